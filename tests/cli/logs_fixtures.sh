#!/bin/sh
# promsight logs over testdata/logs (every shape): secrets never reach the
# output, every line of the JSON is valid, OpenSearch documents keep their
# own pods, and a must-gather file read alone gets the same events.
set -eu
: "${PROMSIGHT:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$PROMSIGHT" logs --all testdata/logs >"$T/all.txt" 2>"$T/all.err"
"$PROMSIGHT" logs --all --format json testdata/logs >"$T/all.json" 2>/dev/null
grep -q hunter2 testdata/logs/must-gather/namespaces/monitoring/pods/prometheus-agent-0/prometheus/prometheus/logs/current.log ||
    fail "fixture lost its secret"
! grep -q hunter2 "$T/all.txt" "$T/all.json" "$T/all.err" || fail "secret in output"
jq -e . "$T/all.json" >/dev/null || fail "invalid JSON"
[ "$(jq '.files | length' "$T/all.json")" = 13 ] || fail "expected 13 log files"
pods=$(jq -r '[.events[] | select(.file | endswith("fluent-bit.ndjson")) | .pod] | join(",")' "$T/all.json")
[ "$pods" = "prometheus-agent-0,thanos-receive-1,prometheus-agent-1,prometheus-agent-0" ] ||
    fail "OpenSearch pods: $pods"
mg=testdata/logs/must-gather/namespaces/monitoring/pods/prometheus-agent-0/prometheus/prometheus/logs/current.log
"$PROMSIGHT" logs --format json "$mg" >"$T/one.json"
a=$(jq -c '[.events[] | [.line, .time, .signature]]' "$T/one.json")
b=$(jq -c --arg f "$mg" '[.events[] | select(.file == ($f | sub("^testdata/logs/"; ""))) | [.line, .time, .signature]]' "$T/all.json")
[ "$a" = "$b" ] || fail "single-file events differ: $a vs $b"
[ "$(jq '.events | length' "$T/one.json")" = 8 ] || fail "must-gather current.log: 8 events (one per line)"
# The same fixtures as a tar.gz archive (streamed, never extracted) give
# the same events (pods aside: under a top "logs/" directory the bundle
# layer's logs/<pod>/<file> rule names pods differently); the one secret
# is counted as redacted.
tar czf "$T/logs.tgz" -C testdata logs
"$PROMSIGHT" logs --format json "$T/logs.tgz" >"$T/tgz.json" 2>/dev/null
x=$(jq -c '[.events[] | [(.file | sub("^logs/"; "")), .line, .time, .signature, .class]] | sort' "$T/tgz.json")
y=$(jq -c '[.events[] | [.file, .line, .time, .signature, .class]] | sort' "$T/all.json")
[ "$x" = "$y" ] || fail "archive and directory differ"
[ "$(jq '[.files[].secrets_redacted] | add' "$T/all.json")" = 1 ] || fail "secrets_redacted"
echo ok
