#!/bin/sh
# promsight plan on the shared lab corpus: usage errors, the text and JSON
# plans, facts the corpus README states independently (one receiver, three
# agents, queue_config max_shards 10 / max_samples_per_send 500, cardinality
# that grows during the capture), the arithmetic shown, and determinism.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
P=$PROMSIGHT
LAB=$PS_SHARED/corpus/lab-2026-11-24

"$P" plan --help | grep -q "Usage: promsight plan" || fail "--help"
set +e
"$P" plan >/dev/null 2>&1; [ $? -eq 2 ] || fail "no BUNDLE should exit 2"
"$P" plan --interval 0 "$LAB" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --interval"
"$P" plan --pricing "$tmp/none.yaml" "$LAB" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing --pricing file"
"$P" plan "$tmp/no-such-bundle" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing bundle"
set -e

"$P" plan "$LAB" >"$tmp/plan.txt" 2>"$tmp/plan.err" || { cat "$tmp/plan.err"; fail "plan exit"; }
for s in "Capacity series" "Quantities used for sizing" "Recommendations" "Monthly cost" \
         "[receiver.replicas]" "[receiver.volume]" "[agent.volume]" "[agent.queue_config]" "[agent.memory]" \
         "[storage.retention]" "EXAMPLE prices"; do
    grep -qF "$s" "$tmp/plan.txt" || fail "text plan lacks '$s'"
done
# every capacity series names its model and its backtest error (or why none)
nser=$(grep -c '^    data ' "$tmp/plan.txt")
nmod=$(grep -c '^    model .*\(MASE\|only [0-9]* points\)' "$tmp/plan.txt")
[ "$nser" -ge 5 ] || fail "only $nser capacity series"
[ "$nser" -eq "$nmod" ] || fail "$nser series but $nmod with a model and backtest error"
# forecasts carry intervals
grep -q '^    forecast  +30d [0-9.e+-]* \[' "$tmp/plan.txt" || fail "no interval in forecasts"

"$P" plan --format json "$LAB" >"$tmp/plan.json" 2>/dev/null
"$P" plan --format json "$LAB" >"$tmp/plan2.json" 2>/dev/null
cmp -s "$tmp/plan.json" "$tmp/plan2.json" || fail "JSON plan not deterministic"
num() { grep -m1 "\"$1\":" "$tmp/plan.json" | sed 's/.*: *//; s/,$//'; }
[ "$(num receivers)" = "1.0" ] || fail "receivers $(num receivers)"
[ "$(num agents)" = "3.0" ] || fail "agents $(num agents)"
[ "$(num rw_max_shards)" = "10.0" ] || fail "max_shards $(num rw_max_shards)"
[ "$(num rw_max_samples_per_send)" = "500.0" ] || fail "mspd $(num rw_max_samples_per_send)"
[ "$(num rw_capacity)" = "2500.0" ] || fail "capacity $(num rw_capacity)"
# the agents' active series grow during the capture: the forecast mean at
# the first horizon is above today's value
awk '/"agent_active_series": \{/ { q = 1 } q && /"now":/ { sub(/.*: /, ""); sub(/,/, ""); now = $0 + 0 }
     q && /"mean": \[/ { getline; sub(/,/, ""); m = $0 + 0; exit !(m > now && now > 1000) }' \
    "$tmp/plan.json" || fail "agent series forecast does not grow"
# block timeline: the receiver's six blocks (corpus README) form one series
# whose last point is the newest block's numSeries, read here from meta.json
grep -q '"series": "promsight_block_series{tsdb=\\"thanos-receive-0/default-tenant\\",tenant=\\"default-tenant\\"} (6 blocks)"' \
    "$tmp/plan.json" || fail "block series not merged into one 6-block series"
newest=$(grep -l '"maxTime"' "$LAB"/thanos-receive-0/default-tenant/01*/meta.json |
    while read -r m; do printf '%s %s\n' "$(sed -n 's/.*"maxTime": *\([0-9]*\).*/\1/p' "$m")" "$m"; done |
    sort -n | tail -1 | cut -d' ' -f2)
bseries=$(sed -n 's/.*"numSeries": *\([0-9]*\).*/\1/p' "$newest")
awk -v want="$bseries" '/"series": "promsight_block_series/ { q = 1 } q && /"last_value":/ {
        sub(/.*: /, ""); sub(/,/, ""); exit !($0 + 0 == want + 0) }' "$tmp/plan.json" ||
    fail "block series last value is not the newest block's numSeries ($bseries)"
# arithmetic a reader can follow: capacity = max_samples_per_send x 5
grep -q 'capacity = 500 x 5 = 2500' "$tmp/plan.txt" || fail "queue_config arithmetic"

"$P" plan --pricing none "$LAB" >"$tmp/noprice.txt" 2>/dev/null
grep -q "Monthly cost" "$tmp/noprice.txt" && fail "--pricing none still priced"
echo ok
