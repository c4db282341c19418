#!/bin/sh
# promtool is the oracle for promsight's PromQL and alert semantics: the
# same rule file and test files must pass in both (testdata/rules/oracle/
# ok.test.yaml, values worked out by hand) and fail in both
# (bad.test.yaml, two deliberately wrong expectations).
set -u
D=testdata/rules/oracle
fail=0
if ! command -v promtool >/dev/null 2>&1; then
    echo "promtool not installed: skipping the oracle comparison" >&2
    exit 0
fi
promtool test rules "$D/ok.test.yaml" || { echo "promtool: ok.test.yaml should pass"; fail=1; }
"$PROMSIGHT" rules test "$D/ok.test.yaml" || { echo "promsight: ok.test.yaml should pass"; fail=1; }
if promtool test rules "$D/bad.test.yaml" >/dev/null 2>&1; then
    echo "promtool: bad.test.yaml should fail"; fail=1
fi
out=$("$PROMSIGHT" rules test "$D/bad.test.yaml")
rc=$?
[ "$rc" -eq 1 ] || { echo "promsight: bad.test.yaml should fail with exit 1, got $rc"; fail=1; }
n=$(printf '%s\n' "$out" | grep -c '^  FAILED .*bad.test.yaml')
[ "$n" -eq 2 ] || { echo "promsight: expected 2 failures in bad.test.yaml, got $n"; printf '%s\n' "$out"; fail=1; }
exit $fail
