#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# inventory_layouts.sh - kinds and path labels end to end on the layouts
# support bundles come in: kubelet /var/log/pods, OpenShift must-gather,
# troubleshoot.sh, a kubectl-style logs/<pod>/<container>.log tree and a
# Thanos receive data dir, as a directory and as a tar.gz of it. The
# expected labels are written from the layouts' documented structure.
set -eu
: "${PROMSIGHT:?}"
case $PROMSIGHT in /*) ;; *) PROMSIGHT=$(pwd)/$PROMSIGHT ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/ps-invl-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
B=$T/b
put() { mkdir -p "$(dirname "$B/$1")"; printf '%b' "$2" >"$B/$1"; }
CRI='2026-11-24T06:34:45.103456789Z stderr F ts=2026-11-24T06:34:45.103Z caller=main.go:1 level=info msg="x"\n'
LOGFMT='ts=2026-11-24T06:34:45.103Z caller=main.go:1 level=warn msg="remote write 404"\n'
KLOG='I1124 06:34:45.123456       1 main.go:42] started\nE1124 06:34:46.000001       1 main.go:43] failed\n'
put var/log/pods/monitoring_prometheus-agent-0_0a1b2c3d-1111/prometheus/0.log "$CRI"
put mg/quay-io-x/namespaces/monitoring/pods/thanos-receive-1/thanos-receive/thanos-receive/logs/current.log "$LOGFMT"
put mg/quay-io-x/namespaces/monitoring/core/pods.yaml 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n'
put sb/cluster-resources/pods/logs/monitoring/thanos-query-7d9f8b6c5d-x2k9p/query.log "$KLOG"
put sb/cluster-resources/pods/monitoring.json '{"apiVersion":"v1","items":[],"kind":"PodList"}'
put logs/prometheus-agent-1/config-reloader.log "$LOGFMT"
put logs/thanos-receive-2-previous.log "$LOGFMT"
put thanos-receive-0/data/tenant-a/wal/00000003 ''
put thanos-receive-0/data/tenant-a/thanos.shipper.json '{\n "version": 1,\n "uploaded": []\n}\n'
put thanos-receive-0/hashrings.json '[{"hashring":"default","tenants":[],"endpoints":["thanos-receive-0:10901"]}]\n'
put metrics.txt '# HELP up x\n# TYPE up gauge\nup 1\n'
tar -C "$T" -czf "$T/b.tar.gz" b

for form in dir tgz; do
    if [ $form = dir ]; then "$PROMSIGHT" inventory --format json "$B" >"$T/$form.json"
    else "$PROMSIGHT" inventory --format json "$T/b.tar.gz" >"$T/$form.json"; fi
    python3 - "$T/$form.json" "$form" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1])); pre = "b/" if sys.argv[2] == "tgz" else ""
e = {x["path"][len(pre):]: x for x in d["entries"] if x["type"] == "file"}
want = {  # path: (kind, pod, container, tenant, tsdb_root)
 "var/log/pods/monitoring_prometheus-agent-0_0a1b2c3d-1111/prometheus/0.log":
   ("log", "prometheus-agent-0", "prometheus", None, None),
 "mg/quay-io-x/namespaces/monitoring/pods/thanos-receive-1/thanos-receive/thanos-receive/logs/current.log":
   ("log", "thanos-receive-1", "thanos-receive", None, None),
 "mg/quay-io-x/namespaces/monitoring/core/pods.yaml": ("k8s_object", None, None, None, None),
 "sb/cluster-resources/pods/logs/monitoring/thanos-query-7d9f8b6c5d-x2k9p/query.log":
   ("log", "thanos-query-7d9f8b6c5d-x2k9p", "query", None, None),
 "sb/cluster-resources/pods/monitoring.json": ("k8s_object", None, None, None, None),
 "logs/prometheus-agent-1/config-reloader.log": ("log", "prometheus-agent-1", "config-reloader", None, None),
 "logs/thanos-receive-2-previous.log": ("log", "thanos-receive-2", None, None, None),
 "thanos-receive-0/data/tenant-a/wal/00000003":
   ("wal_segment", "thanos-receive-0", None, "tenant-a", "thanos-receive-0/data/tenant-a"),
 "thanos-receive-0/data/tenant-a/thanos.shipper.json":
   ("shipper_meta", "thanos-receive-0", None, "tenant-a", "thanos-receive-0/data/tenant-a"),
 "thanos-receive-0/hashrings.json": ("hashring", "thanos-receive-0", None, None, None),
 "metrics.txt": ("metric_dump", None, None, None, None),
}
fail = []
if set(e) != set(want):
    fail.append(f"entries differ: {sorted(set(e) ^ set(want))}")
for p, w in want.items():
    x = e.get(p)
    if x is None:
        continue
    got = (x["kind"], x["pod"], x["container"], x["tenant"],
           x["tsdb_root"][len(pre):] if x["tsdb_root"] else None)
    if got != w:
        fail.append(f"{sys.argv[2]} {p}: got {got}, want {w}")
if e["thanos-receive-0/data/tenant-a/wal/00000003"]["seq"] != 3:
    fail.append("seq")
if fail:
    print("\n".join(fail)); sys.exit(1)
EOF2
done
echo "inventory_layouts: ok"
