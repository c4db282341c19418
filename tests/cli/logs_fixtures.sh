#!/bin/sh
# promsight logs over testdata/logs (every shape): secrets never reach the
# output, every line of the JSON is valid, OpenSearch documents keep their
# own pods, and a must-gather file read alone gets the same events.
set -eu
: "${PROMSIGHT:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# pyq FILE EXPR: evaluate a Python expression over the JSON document d
# (jq is not among the build dependencies; python3 is).
pyq() {
    python3 -c 'import json, os, sys; d = json.load(open(sys.argv[1])); r = eval(sys.argv[2]); print(json.dumps(r, separators=(",", ":")) if isinstance(r, (list, dict, bool)) or r is None else r)' "$@"
}

"$PROMSIGHT" logs --all testdata/logs >"$T/all.txt" 2>"$T/all.err"
"$PROMSIGHT" logs --all --format json testdata/logs >"$T/all.json" 2>/dev/null
grep -q hunter2 testdata/logs/must-gather/namespaces/monitoring/pods/prometheus-agent-0/prometheus/prometheus/logs/current.log ||
    fail "fixture lost its secret"
! grep -q hunter2 "$T/all.txt" "$T/all.json" "$T/all.err" || fail "secret in output"
[ "$(pyq "$T/all.json" 'len(d["files"])')" = 13 ] || fail "expected 13 log files (or invalid JSON)"
pods=$(pyq "$T/all.json" '",".join(e["pod"] for e in d["events"] if e["file"].endswith("fluent-bit.ndjson"))')
[ "$pods" = "prometheus-agent-0,thanos-receive-1,prometheus-agent-1,prometheus-agent-0" ] ||
    fail "OpenSearch pods: $pods"
mg=testdata/logs/must-gather/namespaces/monitoring/pods/prometheus-agent-0/prometheus/prometheus/logs/current.log
"$PROMSIGHT" logs --format json "$mg" >"$T/one.json"
a=$(pyq "$T/one.json" '[[e["line"], e["time"], e["signature"]] for e in d["events"]]')
b=$(MG=${mg#testdata/logs/} pyq "$T/all.json" '[[e["line"], e["time"], e["signature"]] for e in d["events"] if e["file"] == os.environ["MG"]]')
[ "$a" = "$b" ] || fail "single-file events differ: $a vs $b"
[ "$(pyq "$T/one.json" 'len(d["events"])')" = 8 ] || fail "must-gather current.log: 8 events (one per line)"
# The same fixtures as a tar.gz archive (streamed, never extracted) give
# the same events (pods aside: under a top "logs/" directory the bundle
# layer's logs/<pod>/<file> rule names pods differently); the one secret
# is counted as redacted.
tar czf "$T/logs.tgz" -C testdata logs
"$PROMSIGHT" logs --format json "$T/logs.tgz" >"$T/tgz.json" 2>/dev/null
x=$(pyq "$T/tgz.json" 'sorted([e["file"][len("logs/"):], e["line"] or 0, e["time"], e["signature"], e["class"]] for e in d["events"])')
y=$(pyq "$T/all.json" 'sorted([e["file"], e["line"] or 0, e["time"], e["signature"], e["class"]] for e in d["events"])')
[ "$x" = "$y" ] || fail "archive and directory differ"
[ "$(pyq "$T/all.json" 'sum(f["secrets_redacted"] for f in d["files"])')" = 1 ] || fail "secrets_redacted"
echo ok
