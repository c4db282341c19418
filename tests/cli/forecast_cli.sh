#!/bin/sh
# promsight forecast: input formats agree, usage errors, and the shared
# corpus' query_range JSON (the lab's cardinality grows during the capture,
# so the fitted head-series slope must be positive).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
P=$PROMSIGHT
API=$PS_SHARED/corpus/lab-2026-11-24/prometheus-0/api

# --help and usage errors
"$P" forecast --help | grep -q "Usage: promsight forecast" || fail "--help"
set +e
"$P" forecast >/dev/null 2>&1; [ $? -eq 2 ] || fail "no FILE should exit 2"
"$P" forecast --model quadratic testdata/fit/growth_s.csv >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --model"
"$P" forecast --horizon 30x testdata/fit/growth_s.csv >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --horizon"
"$P" forecast --interval 120 testdata/fit/growth_s.csv >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --interval"
"$P" forecast "$tmp/missing.csv" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing file should exit 1"
set -e

# seconds, milliseconds and RFC 3339 times give the same forecast
for f in growth_s growth_ms growth_rfc3339; do
    "$P" forecast --format json "testdata/fit/$f.csv" 2>"$tmp/$f.err" |
        grep '"mean"\|"lo"\|"hi"\|"chosen"' >"$tmp/$f.vals"
done
cmp "$tmp/growth_s.vals" "$tmp/growth_ms.vals" || fail "ms times differ from seconds"
cmp "$tmp/growth_s.vals" "$tmp/growth_rfc3339.vals" || fail "RFC 3339 times differ"
grep -q ":33: warning" "$tmp/growth_rfc3339.err" || fail "bad line 33 not diagnosed"

# exact linear data, last point at 23 h: 30 days later 1000 + 25 * (23 + 720) = 19575
awk 'BEGIN { for (i = 0; i < 24; i++) printf "%d,%d\n", 3600 * i, 1000 + 25 * i }' >"$tmp/line.csv"
"$P" forecast --model linear --horizon 30d --format json "$tmp/line.csv" >"$tmp/line.json"
mean=$(grep -m1 '"mean"' "$tmp/line.json" | sed 's/.*: *//; s/,$//')
awk -v m="$mean" 'BEGIN { exit !(m > 19574.999999 && m < 19575.000001) }' ||
    { grep '"mean"' "$tmp/line.json"; fail "linear forecast of exact line"; }
# and it reaches 20000 at 1000 + 25 h = 20000 -> h = 760 -> 760 h after t=0
"$P" forecast --model linear --limit 20k "$tmp/line.csv" | grep -q "reaches it 1970-02-01T16:00:00" ||
    { "$P" forecast --model linear --limit 20k "$tmp/line.csv"; fail "ETA of exact line"; }

# corpus: head series (one series, grows), agent active series (3 series)
"$P" forecast --format json "$API/query_range-prometheus_tsdb_head_series.json" >"$tmp/head.json"
n=$(grep -c '"series": "prometheus_tsdb_head_series' "$tmp/head.json")
[ "$n" -eq 1 ] || fail "head series count $n"
grep -q '"points": 84' "$tmp/head.json" || fail "84 points expected"
# every fitted linear model has a positive slope (the lab's cardinality grows)
awk '/"model": "linear"/ { l = 1 } l && /"slope_per_day"/ { sub(/.*: /, ""); sub(/,/, ""); if ($0 + 0 <= 0) exit 1; exit 0 }' \
    "$tmp/head.json" || fail "head series slope not positive"
"$P" forecast "$API/query_range-prometheus_agent_active_series.json" >"$tmp/agent.txt"
n=$(grep -c '^prometheus_agent_active_series{' "$tmp/agent.txt")
[ "$n" -eq 3 ] || fail "agent series count $n"
grep -q "chosen " "$tmp/agent.txt" || fail "no chosen model"
# an empty matrix is an error with a diagnostic
set +e
"$P" forecast "$API/query_range-prometheus_tsdb_wal_storage_size_bytes.json" >/dev/null 2>"$tmp/empty.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "empty result should exit 1, got $rc"
grep -q "no samples" "$tmp/empty.err" || fail "empty result diagnostic"
echo ok
