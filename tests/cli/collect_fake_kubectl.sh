#!/bin/sh
# promsight-collect against a fake kubectl (testdata/collect/kubectl) that
# serves canned cluster objects and the shared corpus as the pods' files.
# Asserts: the bundle has the agent WAL, the receiver's per-tenant WAL with
# its checkpoint, block meta.json files, shipper file, logs, metric samples,
# API JSON, df and cluster objects; no planted secret survives anywhere in
# the archive; the manifest parses and counts the redactions; and promsight
# inventory reads the bundle.
set -eu
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/bin"
ln -s "$(pwd)/testdata/collect/kubectl" "$T/bin/kubectl"
export FAKE_CORPUS="$PS_SHARED/corpus/lab-2026-11-24"
PATH="$T/bin:$PATH" sh src/collect/collect-bundle.sh --samples 2 --interval 0 \
    -o "$T/b.tar.zst" 2>"$T/err" || { cat "$T/err"; exit 1; }
[ -s "$T/b.tar.zst" ]
mkdir "$T/x"
zstd -dc "$T/b.tar.zst" | tar xf - -C "$T/x"
fail() { echo "FAIL: $*"; exit 1; }
for f in prometheus-agent-0/data/wal/00000000 \
         thanos-receive-0/data/default-tenant/wal/checkpoint.00000007/00000000 \
         thanos-receive-0/data/default-tenant/wal/00000011 \
         thanos-receive-0/data/default-tenant/thanos.shipper.json \
         prometheus-agent-0/logs/prometheus.log thanos-receive-0/logs/thanos-previous.log \
         prometheus-agent-0/df.txt prometheus-agent-0/api/status_flags.json \
         cluster/objects.json cluster/configmaps.yaml manifest.json; do
    [ -f "$T/x/$f" ] || fail "missing $f"
done
n=$(ls "$T/x/thanos-receive-0/data/default-tenant/"*/meta.json | wc -l)
[ "$n" -eq "$(ls "$FAKE_CORPUS/thanos-receive-0/default-tenant/"*/meta.json | wc -l)" ] || fail "meta.json count $n"
[ "$(ls "$T/x/prometheus-agent-0/dumps" | wc -l)" -eq 2 ] || fail "expected 2 metric samples"
cmp "$T/x/prometheus-agent-0/data/wal/00000000" "$FAKE_CORPUS/prometheus-agent-0/data/wal/00000000" || fail "WAL differs"
# no planted secret anywhere in the raw archive bytes
for s in dbpass-xyz-0042 AKIAFAKEKEY01 SuperSecret123 abcdefghijklmnop0123 basicpw-123456 tok-SECRET-987654321; do
    if zstd -dc "$T/b.tar.zst" | grep -a -q -- "$s"; then fail "secret $s leaked"; fi
done
python3 - "$T/x/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["format"] == "promsight-bundle/1"
assert sum(r["count"] for r in m["redactions"]) >= 6, m["redactions"]
paths = {f["path"] for f in m["files"]}
assert "prometheus-agent-0/data/wal/00000000" in paths
assert any(c.startswith("kubectl exec") for c in m["commands"])
PY
"$PROMSIGHT" inventory "$T/b.tar.zst" >"$T/inv.txt" || fail "inventory failed"
grep -q wal_segment "$T/inv.txt" || fail "inventory did not see WAL segments"
echo "collect: ok"
