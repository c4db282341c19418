#!/bin/sh
# End to end through `promsight facts`: configuration facts and events come
# out of the CLI, and no secret from the seeded fixtures is ever printed.
set -u
d=testdata/config
fail=0
for f in secrets.yml secrets-extra.yml secrets-k8s.yaml; do
    for fmt in text json; do
        out=$("$PROMSIGHT" facts --format "$fmt" "$d/$f" 2>&1)
        if printf '%s' "$out" | grep -q SEKRIT; then
            echo "secret printed for $f ($fmt)"
            fail=1
        fi
        # a redacted URL (secrets.yml) or flag value (secrets-k8s.yaml) is published
        [ "$f" = secrets-extra.yml ] || printf '%s' "$out" | grep -q '<redacted>' ||
            { echo "nothing redacted shown for $f ($fmt)"; fail=1; }
    done
done
# the OOM kill: an event at the container's finishedAt, with its labels
j=$("$PROMSIGHT" facts --format json --events "$d/pods.json" 2>/dev/null)
n=$(printf '%s' "$j" | python3 -c '
import json, sys
ev = json.load(sys.stdin)["events"]
print(sum(1 for e in ev if e["class"] == "k8s.oom_killed"
          and e["time"] == "2026-11-24T06:30:58Z" and e["labels"].get("pod") == "prometheus-agent-0"
          and e["labels"].get("container") == "prometheus" and e.get("line") == 130))')
[ "$n" = 1 ] || { echo "OOMKilled event: got $n"; fail=1; }
# the agent's queue_config from the lab, defaults filled in (2.42)
j=$("$PROMSIGHT" facts --format json --series --metric promsight_config_remote_write_queue "$d/agent-lab.yml" 2>/dev/null)
for pv in capacity=2500 max_shards=10 max_samples_per_send=500 min_shards=1; do
    p=${pv%=*} v=${pv#*=}
    got=$(printf '%s' "$j" | python3 -c '
import json, sys
p = sys.argv[1]
print(" ".join("%g" % s["last_value"] for s in json.load(sys.stdin)["series"] if s["labels"].get("param") == p))' "$p")
    [ "$got" = "$v" ] || { echo "$p: got '$got', want $v"; fail=1; }
done
exit $fail
