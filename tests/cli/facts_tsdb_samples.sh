#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# TSDB samples as facts (src/facts/ingest_samples.c), checked against
# promtool: on the lab corpus, the samples `promsight facts` loads from the
# receiver TSDB (blocks + WAL head) for every referenced metric must equal,
# series by series (count, first and last time, min, max, last value), what
# `promtool tsdb dump` prints for that TSDB; a metric no rule or capacity
# model references (app_requests_total, node_cpu_seconds_total) must not be
# loaded; and the corpus directory and the same corpus packed as tar.zst
# must give the same TSDB series.
set -eu

CORPUS="${PS_SHARED:-../shared}/corpus/lab-2026-11-24"
TSDB="$CORPUS/thanos-receive-0/default-tenant"
if [ ! -d "$TSDB" ] || ! command -v promtool >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    echo "skip: corpus, promtool or python3 missing"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# promtool opens the DB; give it a copy so the corpus is never touched
cp -r "$TSDB" "$T/db"
promtool tsdb dump "$T/db" > "$T/dump.txt"

"$PROMSIGHT" facts --series --format json "$CORPUS" > "$T/dir.json"

python3 - "$T/dump.txt" "$T/dir.json" <<'EOF'
import json, math, re, sys
from datetime import datetime, timezone

TSDB = "thanos-receive-0/default-tenant"
def ts(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)

lab = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
dump = {}
for line in open(sys.argv[1]):
    j = line.rindex("}")
    labels = tuple(sorted(lab.findall(line[1:j])))
    v, t = line[j + 1:].split()
    dump.setdefault(labels, []).append((int(t), float(v)))

facts = {}
for s in json.load(open(sys.argv[2]))["series"]:
    l = dict(s["labels"])
    if l.get("tsdb") != TSDB or l.get("source") != "tsdb":
        continue
    del l["source"]
    assert l.pop("tsdb_tenant") == "default-tenant", l
    del l["tsdb"]
    facts[tuple(sorted(l.items()))] = s

loaded = {dict(k)["__name__"] for k in facts}
fail = 0
for name in ("prometheus_agent_active_series", "prometheus_remote_storage_samples_total"):
    if name not in loaded:
        print("FAIL: referenced metric %s not loaded" % name); fail = 1
for name in ("app_requests_total", "node_cpu_seconds_total"):
    if name in loaded:
        print("FAIL: unreferenced metric %s loaded" % name); fail = 1
    if not any(dict(k)["__name__"] == name for k in dump):
        print("FAIL: %s not in the promtool dump (test premise)" % name); fail = 1

nseries = nsamples = 0
for k, smp in sorted(dump.items()):
    if dict(k)["__name__"] not in loaded:
        continue
    smp.sort()
    f = facts.get(k)
    vals = [v for _, v in smp if not math.isnan(v)]   # facts' min/max skip NaN
    last = None if math.isnan(smp[-1][1]) else smp[-1][1]   # JSON has no NaN
    want = (len(smp), ts(smp[0][0]), ts(smp[-1][0]), min(vals, default=None),
            max(vals, default=None), last)
    got = None if f is None else (f["samples"], f["first"], f["last"], f["min"], f["max"], f["last_value"])
    if got != want:
        print("FAIL %s: promtool %s, promsight %s" % (dict(k), want, got)); fail = 1
    nseries += 1; nsamples += len(smp)
extra = [k for k in facts if k not in dump]
if extra:
    print("FAIL: series not in the promtool dump:", extra[:3]); fail = 1
print("%d metrics, %d series, %d samples equal to promtool tsdb dump" % (len(loaded), nseries, nsamples))
sys.exit(fail)
EOF

# the same corpus as tar.zst: the same TSDB series
tar -C "$CORPUS" -cf - . | zstd -q -o "$T/lab.tar.zst"
for m in prometheus_agent_active_series prometheus_remote_storage_samples_total; do
    "$PROMSIGHT" facts --series --metric "$m" --format json "$CORPUS" > "$T/a.json"
    "$PROMSIGHT" facts --series --metric "$m" --format json "$T/lab.tar.zst" > "$T/b.json"
    python3 - "$T/a.json" "$T/b.json" "$m" <<'EOF'
import json, sys
def tsdb(p):
    return [s for s in json.load(open(p))["series"] if s["labels"].get("source") == "tsdb"]
a, b = tsdb(sys.argv[1]), tsdb(sys.argv[2])
if not a or a != b:
    print("FAIL %s: directory and tar.zst differ (%d vs %d TSDB series)" % (sys.argv[3], len(a), len(b)))
    sys.exit(1)
print("%s: %d TSDB series, directory == tar.zst" % (sys.argv[3], len(a)))
EOF
done
