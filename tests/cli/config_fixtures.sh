#!/bin/sh
# The Prometheus configs in testdata/config/ that claim to be real are
# accepted by promtool 2.42 (the oracle), and the ones that claim to be
# rejected are rejected; the oracle files are what Prometheus 2.42 printed.
set -u
command -v promtool >/dev/null 2>&1 || { echo "promtool not installed: skipped"; exit 0; }
d=testdata/config
fail=0
for f in prometheus-server.yml prometheus-lab.yml secrets.yml; do
    promtool check config "$d/$f" >/dev/null 2>&1 || { echo "promtool rejects $f"; fail=1; }
done
promtool check config --agent "$d/agent-lab.yml" >/dev/null 2>&1 || { echo "promtool rejects agent-lab.yml"; fail=1; }
promtool check config "$d/secrets-extra.yml" >/dev/null 2>&1 && { echo "promtool accepts secrets-extra.yml"; fail=1; }
exit $fail
