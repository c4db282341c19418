#!/bin/sh
# Parity with PromQL predict_linear, with promtool as the oracle: promsight
# forecasts a series with --model linear, then promtool evaluates
# predict_linear over the same samples and checks the two agree to 1e-6.
# predict_linear(x[15m], 3600) at T = last sample + 10 s predicts the value
# at last + 3610 s, so promsight is asked for --horizon 3610s.
set -eu
command -v promtool >/dev/null 2>&1 || { echo "SKIP: no promtool"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# 40 samples every 15 s from t=0: a trend with a deterministic wiggle.
awk 'BEGIN { for (i = 0; i < 40; i++) printf "%d,%d\n", 15 * i, 100 + 3 * i + (i * 37) % 11 - 5 }' \
    >"$tmp/x.csv"
vals=$(cut -d, -f2 "$tmp/x.csv" | tr '\n' ' ')
"$PROMSIGHT" forecast --model linear --horizon 3610s --format json "$tmp/x.csv" >"$tmp/out.json"
mean=$(grep -m1 '"mean"' "$tmp/out.json" | sed 's/.*: *//; s/,$//')
echo "promsight: value at last+3610s = $mean"
[ -n "$mean" ]
# eval time: last sample (585 s) + 10 s = 595 s
cat >"$tmp/test.yml" <<YAML
rule_files: []
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'x'
        values: '$vals'
    promql_expr_test:
      - expr: abs(predict_linear(x[15m], 3600) - $mean) < bool 1e-6
        eval_time: 595s
        exp_samples:
          - labels: '{}'
            value: 1
YAML
promtool test rules "$tmp/test.yml"
