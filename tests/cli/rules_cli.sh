#!/bin/sh
# `promsight rules` usage and error reporting: --help, usage errors, a parse
# error names file, line, rule and column; check flags unknown classes,
# missing annotations and duplicate ids; `rules test` fails on a wrong
# expectation.
set -u
T=${TMPDIR:-/tmp}/ps-rules-cli.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
expect_rc() { # want, cmd...
    want=$1
    shift
    "$@" >"$T/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "expected exit $want, got $rc: $*"
        cat "$T/out"
        fail=1
    fi
}
expect_rc 0 "$PROMSIGHT" rules --help
expect_rc 0 "$PROMSIGHT" diagnose --help
expect_rc 2 "$PROMSIGHT" rules
expect_rc 2 "$PROMSIGHT" rules frobnicate
expect_rc 2 "$PROMSIGHT" diagnose
expect_rc 2 "$PROMSIGHT" diagnose --fail-on sometimes x
cat >"$T/bad.yaml" <<'Y'
groups:
- name: g
  rules:
  - alert: Good
    expr: up == 0
    labels: {severity: critical, class: pod.restarts}
    annotations: {summary: s, description: d}
  - alert: BadExpr
    expr: rate(up[5m]) >
    labels: {severity: critical, class: pod.restarts}
  - alert: Unknown
    expr: frobnicate(up)
  - alert: Good
    expr: up
    labels: {severity: urgent, class: no.such_class}
Y
expect_rc 1 "$PROMSIGHT" rules check "$T/bad.yaml"
grep -q "bad.yaml:9: error: rule BadExpr: expr column 15: unexpected end of input" "$T/out" ||
    { echo "parse error not located:"; cat "$T/out"; fail=1; }
grep -q 'rule Unknown: expr column 1: unknown function "frobnicate"' "$T/out" ||
    { echo "unknown function not reported"; fail=1; }
grep -q 'unknown class "no.such_class"' "$T/out" || { echo "unknown class not reported"; fail=1; }
grep -q 'labels.severity must be critical' "$T/out" || { echo "bad severity not reported"; fail=1; }
grep -q 'rule Good: duplicate id' "$T/out" || { echo "duplicate id not reported"; fail=1; }
grep -q 'missing annotation "summary"' "$T/out" || { echo "missing annotation not reported"; fail=1; }
# a test that expects the wrong alert labels fails
cat >"$T/r.yaml" <<'Y'
groups:
- name: g
  rules:
  - alert: Down
    expr: up == 0
    for: 1m
    labels: {severity: critical, class: pod.restarts}
    annotations: {summary: "{{ $labels.job }} down", description: d}
Y
cat >"$T/t.yaml" <<'Y'
rule_files: [r.yaml]
tests:
- interval: 1m
  input_series:
  - series: 'up{job="x"}'
    values: '1 0 0 0'
  alert_rule_test:
  - eval_time: 1m
    alertname: Down
    exp_alerts: []
  - eval_time: 2m
    alertname: Down
    exp_alerts:
    - exp_labels: {severity: critical, class: pod.restarts, job: x}
      exp_annotations: {summary: "x down", description: d}
Y
expect_rc 0 "$PROMSIGHT" rules test "$T/t.yaml"
sed 's/job: x}/job: y}/' "$T/t.yaml" >"$T/t2.yaml"
expect_rc 1 "$PROMSIGHT" rules test "$T/t2.yaml"
grep -q 'alertname Down, time 2m' "$T/out" || { echo "failure not explained"; cat "$T/out"; fail=1; }
# rules list: the built-in set, as text and JSON
n=$("$PROMSIGHT" rules list --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rules"]))' 2>/dev/null || echo 0)
[ "$n" -ge 40 ] || { echo "rules list --format json: $n rules"; fail=1; }
"$PROMSIGHT" rules list | grep -q '^RemoteWriteUnreachable  *remote_write.unreachable  *critical' ||
    { echo "rules list text lacks RemoteWriteUnreachable"; fail=1; }
exit $fail
