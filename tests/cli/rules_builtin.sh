#!/bin/sh
# The built-in rule sets: they pass `rules check`, every rule test passes,
# every rule has at least one alert test that expects it to fire, and every
# problem class of docs/problem-classes.md is covered by some rule.
set -u
fail=0
"$PROMSIGHT" rules check models/rules >/dev/null || { echo "rules check models/rules failed"; "$PROMSIGHT" rules check models/rules; fail=1; }
"$PROMSIGHT" rules test models/rules/tests/*.yaml || fail=1
ids=$("$PROMSIGHT" rules list --no-builtin --rules models/rules | awk 'NR > 1 && NF >= 4 {print $1}')
n=0
for id in $ids; do
    n=$((n + 1))
    # an alert test for id whose exp_alerts has at least one entry
    if ! awk -v id="$id" '
        /alertname:/ { cur = $2 }
        /exp_labels:/ && cur == id { found = 1 }
        END { exit found ? 0 : 1 }' models/rules/tests/*.yaml; then
        echo "rule $id has no alert test expecting it to fire"
        fail=1
    fi
done
[ "$n" -ge 40 ] || { echo "only $n built-in rules (want >= 40)"; fail=1; }
classes=$(grep -o '^| `[a-z_]*\.[a-z_]*`' docs/problem-classes.md | tr -d '|` ')
[ -n "$classes" ] || { echo "no classes found in docs/problem-classes.md"; fail=1; }
for c in $classes; do
    grep -q "class: $c\$" models/rules/*.yaml || { echo "class $c has no built-in rule"; fail=1; }
done
exit $fail
