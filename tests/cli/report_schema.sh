#!/bin/sh
# report.json follows docs/report-schema.json: the committed example and a
# fresh report of a damaged bundle (problems, skipped rules) both validate.
set -eu
PY=python3
$PY -c 'import jsonschema' 2>/dev/null || PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/b/prometheus-agent-0/data/wal"
C="$PS_SHARED/corpus/lab-2026-11-24"
cp "$C/prometheus-agent-0/prometheus.log" "$T/b/prometheus-agent-0/"
head -c 40000 "$C/prometheus-agent-0/data/wal/00000000" >"$T/b/prometheus-agent-0/data/wal/00000000"
"$PROMSIGHT" analyze "$T/b" -o "$T/out" --format json --fail-on none -q
"$PROMSIGHT" analyze "$C" -o "$T/full" --format json --fail-on none -q
$PY - docs/report-schema.json "$T/out/report.json" "$T/full/report.json" reports/lab/report.json <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
for f in sys.argv[2:]:
    r = json.load(open(f))
    jsonschema.validate(r, schema)
    print("valid:", f, len(r["findings"]), "findings,", len(r["problems"]), "problems")
full = json.load(open(sys.argv[3]))
rule_errors = [p for p in full["problems"] if p.get("file", "").startswith("models/")]
assert not rule_errors, "built-in rules fail to evaluate on the corpus: %s" % rule_errors
bad = json.load(open(sys.argv[3])); bad["verdict"]["status"] = "fine"
try:
    jsonschema.validate(bad, schema)
except jsonschema.ValidationError:
    print("an invalid verdict is rejected")
else:
    sys.exit("schema accepted an invalid verdict")
PY
