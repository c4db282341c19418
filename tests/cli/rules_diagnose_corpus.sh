#!/bin/sh
# `promsight diagnose` on the shared lab capture (corpus/README.md gives the
# timeline): the receiver outage 06:39:46 - 06:44:48 must be reported as
# remote_write.unreachable, critical, with the agent's log lines as
# evidence and first/last within a minute of the real start and end (the
# remote-write logger repeats a line at most once a minute, the dumps are
# 15 s apart). A bundle cut from the healthy part of the capture
# (06:47 - 06:55, built here from the same files) has no critical finding.
set -u
C=$PS_SHARED/corpus/lab-2026-11-24
if [ ! -d "$C" ]; then
    echo "shared corpus not found at $C: skipping" >&2
    exit 0
fi
command -v python3 >/dev/null || { echo "python3 needed for the JSON checks: skipping" >&2; exit 0; }
T=${TMPDIR:-/tmp}/ps-rules-diag.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0

"$PROMSIGHT" diagnose --format json "$C" >"$T/all.json" 2>"$T/all.err"
rc=$?
[ "$rc" -eq 3 ] || { echo "diagnose on the capture: want exit 3 (critical), got $rc"; cat "$T/all.err"; fail=1; }
python3 - "$T/all.json" <<'PY' || fail=1
import json, sys
from datetime import datetime, timezone
d = json.load(open(sys.argv[1]))
def t(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
start, end = t("2026-11-24T06:39:46Z"), t("2026-11-24T06:44:48Z")
u = [f for f in d["findings"] if f["class"] == "remote_write.unreachable"]
ok = True
if len(u) != 1:
    print("want one remote_write.unreachable finding, got", len(u)); sys.exit(1)
f = u[0]
for k in ("rule", "class", "severity", "first", "last", "evidence"):
    if k not in f:
        print("finding lacks", k); ok = False
if f["severity"] != "critical":
    print("severity", f["severity"]); ok = False
if abs(t(f["first"]) - start) > 60 or abs(t(f["last"]) - end) > 60:
    print("first/last", f["first"], f["last"], "not within 60 s of the outage"); ok = False
ev = f["evidence"]["events"]
if not ev or not all(e["file"].endswith("prometheus-agent-0/prometheus.log") and "line" in e for e in ev):
    print("evidence events are not the agent's log lines:", ev); ok = False
if not any("connection refused" in e["message"] or "connect:" in e["message"] for e in ev):
    print("no connection error among the evidence lines"); ok = False
if not f["evidence"]["series"]:
    print("no evidence series"); ok = False
mis = [f for f in d["findings"] if f["class"] == "remote_write.misconfigured"]
if not mis or t(mis[0]["first"]) > t("2026-11-24T06:35:12Z"):
    print("the 404 at the start is not reported as remote_write.misconfigured"); ok = False
for k in ("findings", "skipped", "window"):
    if k not in d:
        print("report lacks", k); ok = False
sys.exit(0 if ok else 1)
PY

# deterministic: a second run gives the same bytes
"$PROMSIGHT" diagnose --format json "$C" >"$T/all2.json" 2>/dev/null
cmp -s "$T/all.json" "$T/all2.json" || { echo "two runs differ"; fail=1; }

# rules query: the value of the dump taken at 06:39:46, read at 06:40:00
want=$(awk '/^prometheus_remote_storage_highest_timestamp_in_seconds/ {print $2}' \
    "$C/prometheus-agent-0/dumps/1795502386.prom")
got=$("$PROMSIGHT" rules query "$C" \
    'prometheus_remote_storage_highest_timestamp_in_seconds{pod="prometheus-agent-0"}' \
    2026-11-24T06:40:00Z | awk 'NR == 2 {print $NF}')
python3 -c "import sys; sys.exit(0 if float('$want') == float('$got') else 1)" ||
    { echo "rules query: got '$got', want '$want'"; fail=1; }

# --disable by class and by id, --fail-on never, --lang ko
"$PROMSIGHT" diagnose --format json --disable remote_write.unreachable \
    --disable RemoteWriteMisconfigured --fail-on never "$C" >"$T/dis.json" 2>/dev/null
rc=$?
[ "$rc" -eq 0 ] || { echo "--fail-on never: want exit 0, got $rc"; fail=1; }
if grep -q '"remote_write.unreachable"\|"RemoteWriteMisconfigured"' "$T/dis.json"; then
    echo "--disable did not remove the rules"; fail=1
fi
"$PROMSIGHT" diagnose --lang ko "$C" 2>/dev/null | grep -q '리시버 파드' ||
    { echo "--lang ko did not pick the Korean advice"; fail=1; }

# the healthy cut: dumps and log lines from 06:47:00 to 06:55:00
lo=1795502820
hi=1795503300
for pod in prometheus-agent-0 thanos-receive-0; do
    mkdir -p "$T/cut/$pod/dumps"
    for f in "$C/$pod/dumps/"*.prom; do
        e=$(basename "$f" .prom)
        [ "$e" -ge "$lo" ] && [ "$e" -le "$hi" ] && cp "$f" "$T/cut/$pod/dumps/"
    done
    awk '{ if (match($0, /ts=2026-11-24T06:[0-9][0-9]:[0-9][0-9]/)) {
             m = substr($0, RSTART + 14, 5)
             if (m >= "06:47" && m < "06:55") print } }' \
        "$C/$pod/prometheus.log" >"$T/cut/$pod/prometheus.log"
    [ -d "$C/$pod/config" ] && cp -R "$C/$pod/config" "$T/cut/$pod/"
done
n=$(ls "$T/cut/prometheus-agent-0/dumps" | wc -l)
[ "$n" -ge 20 ] || { echo "healthy cut has only $n agent dumps"; fail=1; }
"$PROMSIGHT" diagnose --format json "$T/cut" >"$T/cut.json" 2>"$T/cut.err"
rc=$?
[ "$rc" -eq 0 ] || { echo "diagnose on the healthy cut: want exit 0, got $rc"; cat "$T/cut.err"; fail=1; }
python3 - "$T/cut.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
crit = [f["rule"] for f in d["findings"] if f["severity"] == "critical"]
if crit:
    print("critical findings on the healthy cut:", crit); sys.exit(1)
if d["window"]["start"] < "2026-11-24T06:47":
    print("cut window starts", d["window"]["start"]); sys.exit(1)
PY
exit $fail
