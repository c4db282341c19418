#!/bin/sh
# promsight metrics on the shared corpus: the agent's remote-write gauges
# become series spanning the capture, with the value each dump file holds
# (read here with awk, independently of promsight) at the time its file
# name gives; the receiver outage (06:39:46-06:44:48) shows as pending
# samples piling up. Also --help, usage errors, and the text output.
set -u
LAB="$PS_SHARED/corpus/lab-2026-11-24"
DUMPS="$LAB/prometheus-agent-0/dumps"
[ -d "$DUMPS" ] || { echo "corpus missing: $DUMPS"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }

"$PROMSIGHT" metrics --help | grep -q "Usage: promsight metrics" || fail "--help"
"$PROMSIGHT" metrics >/dev/null 2>&1; [ $? -eq 2 ] || fail "no PATH should exit 2"
"$PROMSIGHT" metrics --bogus "$LAB" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option should exit 2"
"$PROMSIGHT" metrics --samples "$LAB" >/dev/null 2>&1; [ $? -eq 2 ] || fail "--samples alone should exit 2"
"$PROMSIGHT" metrics /nonexistent/x >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing path should exit 1"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
URL="http://thanos-receive.monitoring:19291/api/v1/write"
for m in prometheus_remote_storage_samples_pending prometheus_remote_storage_shards \
         prometheus_remote_storage_queue_highest_sent_timestamp_seconds; do
    # Expected: "<epoch> <value>" from every dump that has the series.
    for f in "$DUMPS"/*.prom; do
        b=$(basename "$f" .prom)
        awk -v p="$m{remote_name=\"thanos\",url=\"$URL\"}" -v t="$b" \
            'index($0, p " ") == 1 { print t, $2 }' "$f"
    done >"$tmp/want.$m"
done
[ "$(wc -l <"$tmp/want.prometheus_remote_storage_shards")" -eq 83 ] || fail "expected 83 dumps with the series"

"$PROMSIGHT" metrics --format json --samples \
    --metric prometheus_remote_storage_samples_pending \
    --metric prometheus_remote_storage_shards \
    --metric prometheus_remote_storage_queue_highest_sent_timestamp_seconds \
    "$LAB" >"$tmp/out.json" 2>"$tmp/err" || fail "promsight metrics exited $?"

python3 - "$tmp" "$URL" <<'PY' || exit 1
import calendar, json, sys, time
tmp, url = sys.argv[1], sys.argv[2]
j = json.load(open(tmp + "/out.json"))
def ms(s):
    base = s.rstrip("Z")
    frac = 0
    if "." in base:
        base, f = base.split(".")
        frac = int(f.ljust(3, "0")[:3])
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) * 1000 + frac
got = {}
for m in j["metrics"]:
    for s in m["series"]:
        l = s["labels"]
        if l.get("pod") == "prometheus-agent-0" and l.get("url") == url and l.get("source") == "dump":
            got[m["name"]] = {ms(v[0]): v[1] for v in s["values"]}
bad = 0
for name in ("prometheus_remote_storage_samples_pending", "prometheus_remote_storage_shards",
             "prometheus_remote_storage_queue_highest_sent_timestamp_seconds"):
    want = {}
    for line in open(tmp + "/want." + name):
        t, v = line.split()
        want[int(t) * 1000] = float(v)
    g = got.get(name, {})
    if g != want:
        print("FAIL", name, "differs:", sorted(set(g.items()) ^ set(want.items()))[:5])
        bad = 1
    else:
        print("ok  ", name, len(g), "samples", min(g), "..", max(g))
# The outage: every pending value inside the window beats every value before it.
p = got["prometheus_remote_storage_samples_pending"]
before = [v for t, v in p.items() if t <= 1795502386000]
during = [v for t, v in p.items() if 1795502386000 < t <= 1795502688000]
if not during or min(during) <= 3 * max(before):
    print("FAIL outage not visible", max(before), during[:3]); bad = 1
hs = got["prometheus_remote_storage_queue_highest_sent_timestamp_seconds"]
if any(v > 1795502386 for t, v in hs.items() if 1795502386000 < t <= 1795502688000):
    print("FAIL highest sent timestamp moved during the outage"); bad = 1
files = [f for f in j["files"] if f["path"].startswith("prometheus-agent-0/dumps/")]
if len(files) != 85 or any(f["time_source"] != "filename" for f in files):
    print("FAIL dump file records", len(files)); bad = 1
sys.exit(bad)
PY

"$PROMSIGHT" metrics "$LAB" >"$tmp/out.txt" 2>/dev/null || fail "text output"
grep -q "^prometheus-agent-0/dumps/\* .* 85 .*filename" "$tmp/out.txt" || fail "text: dump group line"
grep -q "^prometheus-0/api/status_tsdb.json .*status/tsdb .*content" "$tmp/out.txt" || fail "text: status/tsdb line"
grep -q "^prometheus_remote_storage_samples_pending  *gauge " "$tmp/out.txt" || fail "text: metric table"
# A single file and a plain directory work too.
"$PROMSIGHT" metrics --format json "$DUMPS/1795502401.prom" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert len(j["files"]) == 1 and j["files"][0]["samples"] > 100, j["files"]
assert j["files"][0]["time"] == "2026-11-24T06:40:01Z", j["files"][0]["time"]
' || fail "single file"
"$PROMSIGHT" metrics --stats "$DUMPS" | grep -q "^files 85 " || fail "plain directory"
# Selectors with label matchers pick series.
"$PROMSIGHT" metrics --format json "$LAB" \
    --metric 'prometheus_remote_storage_shards{pod="prometheus-agent-0",url="'"$URL"'"}' \
    --metric 'promsight_api_target_up{job="thanos-receive"}' | python3 -c '
import json, sys
j = json.load(sys.stdin)
n = {m["name"]: len(m["series"]) for m in j["metrics"]}
assert n == {"prometheus_remote_storage_shards": 1, "promsight_api_target_up": 1}, n
up = [m for m in j["metrics"] if m["name"] == "promsight_api_target_up"][0]["series"][0]
assert up["last_value"] == 0, up     # the receiver target was down at the end
' || fail "selectors"
"$PROMSIGHT" metrics --metric 'bad{' "$LAB" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad selector should exit 2"
echo "ok"
