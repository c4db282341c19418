#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# hostile_secrets.sh - issue 8 item 3: a bundle seeded with distinct random
# secrets in every place a support bundle carries them, then every command
# that prints is run (text and json; analyze with every report format) and
# every byte it writes - stdout, stderr and every file under the output
# directory - is searched for every secret, raw and base64-encoded.
#
# Places: agent prometheus.yml (remote_write URL user:pass@, basic_auth
# password, bearer_token, authorization credentials, oauth2 client_secret,
# sigv4 secret_key), a second Prometheus' config with the same kinds under
# scrape_configs, API status/flags (Thanos objstore config with a
# secret_key, a --web.config password), a pod JSON (container args
# --x.password= and --objstore.config=, env vars with value), a kubectl list
# with a Secret (data base64, stringData) and a ConfigMap holding a config,
# log lines (Authorization: Bearer, URL credentials, password=).
#
# Secrets that leak are printed with the command and file. Leaks already
# reported to their owners are listed in tests/hostile/known_secret_leaks.txt
# ("NAME COMMAND-PREFIX REASON"); those do not fail this test, any other leak
# does.
set -eu
: "${PROMSIGHT:?}" "${PS_SHARED:?}"
case $PROMSIGHT in /*) ;; *) PROMSIGHT=$(pwd)/$PROMSIGHT ;; esac
# known leaks not caused by the input (see the file) do not fail ASan runs
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(pwd)/tests/hostile/lsan.supp"
export LSAN_OPTIONS
REPO=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/ps-secrets-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
C="$PS_SHARED/corpus/lab-2026-11-24"

python3 - "$C" "$T" <<'PYEOF'
import base64, json, os, secrets, sys
C, T = sys.argv[1:3]
B = T + "/bundle"
names = ["rw_url_pass", "basic_auth_password", "bearer_token", "authorization_credentials",
         "oauth2_client_secret", "sigv4_secret_key", "scrape_basic_auth", "scrape_bearer",
         "flags_objstore_secret_key", "flags_web_password", "pod_arg_password",
         "pod_arg_objstore_secret", "pod_env_value", "secret_data", "secret_string_data",
         "configmap_password", "log_bearer", "log_url_pass", "log_password"]
S = {n: "ps" + secrets.token_hex(12) for n in names}
json.dump(S, open(T + "/secrets.json", "w"))
def w(rel, data):
    p = os.path.join(B, rel); os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(data.encode() if isinstance(data, str) else data)
A = "prometheus-agent-0/"
log = open(C + "/" + A + "prometheus.log", "rb").read()
extra = ("ts=2026-11-24T06:40:01.000Z caller=client.go:1 level=warn msg=\"request\" header=\"Authorization: Bearer %s\"\n"
         "ts=2026-11-24T06:40:02.000Z caller=queue_manager.go:1 level=warn component=remote url=http://admin:%s@thanos-receive.monitoring:19291/api/v1/write msg=\"Failed to send batch, retrying\" err=\"connection refused\"\n"
         "ts=2026-11-24T06:40:03.000Z caller=main.go:1 level=info msg=\"loaded\" password=%s\n"
         % (S["log_bearer"], S["log_url_pass"], S["log_password"])).encode()
cut = log.index(b"\n", len(log) // 2) + 1
w(A + "prometheus.log", log[:cut] + extra + log[cut:])
for d in ("1795502371.prom", "1795502386.prom"):
    w(A + "dumps/" + d, open(C + "/" + A + "dumps/" + d, "rb").read())
w(A + "config/prometheus.yml", f"""global:
  scrape_interval: 5s
remote_write:
  - url: http://agent:{S['rw_url_pass']}@thanos-receive.monitoring:19291/api/v1/write
    basic_auth:
      username: agent
      password: {S['basic_auth_password']}
  - url: http://thanos-receive.monitoring:19291/api/v1/write
    bearer_token: {S['bearer_token']}
  - url: http://thanos-receive.monitoring:19292/api/v1/write
    authorization:
      type: Bearer
      credentials: {S['authorization_credentials']}
  - url: https://receive.example.com/api/v1/write
    oauth2:
      client_id: promsight
      client_secret: {S['oauth2_client_secret']}
      token_url: https://auth.example.com/token
  - url: https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write
    sigv4:
      region: us-east-1
      access_key: AKIAEXAMPLE
      secret_key: {S['sigv4_secret_key']}
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ["node-exporter:9100"]}}]
""")
w("prometheus-0/config/prometheus.yml", f"""global:
  scrape_interval: 5s
scrape_configs:
  - job_name: secured
    basic_auth: {{username: u, password: "{S['scrape_basic_auth']}"}}
    static_configs: [{{targets: ["a:9100"]}}]
  - job_name: token
    bearer_token: '{S['scrape_bearer']}'
    static_configs: [{{targets: ["b:9100"]}}]
""")
w("prometheus-0/api/status_flags.json", json.dumps({"status": "success", "data": {
    "objstore.config": "type: S3\nconfig:\n  bucket: metrics\n  access_key: AKIAEXAMPLE\n  secret_key: %s\n" % S["flags_objstore_secret_key"],
    "web.config.file": "", "storage.tsdb.path": "/prometheus",
    "web.basic-auth.password": S["flags_web_password"]}}))
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "thanos-receive-0", "namespace": "monitoring"},
       "spec": {"containers": [{"name": "thanos-receive", "image": "quay.io/thanos/thanos:v0.32.0",
                "args": ["receive", "--x.password=" + S["pod_arg_password"],
                         "--objstore.config=type: S3\nconfig:\n  secret_key: " + S["pod_arg_objstore_secret"]],
                "env": [{"name": "AWS_SECRET_ACCESS_KEY", "value": S["pod_env_value"]}]}]}}
w("k8s/monitoring/pods/thanos-receive-0.json", json.dumps(pod, indent=1))
lst = {"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "remote-write-auth", "namespace": "monitoring"},
     "type": "Opaque", "data": {"password": base64.b64encode(S["secret_data"].encode()).decode()},
     "stringData": {"token": S["secret_string_data"]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "prometheus-config", "namespace": "monitoring"},
     "data": {"prometheus.yml": "remote_write:\n  - url: http://r/api/v1/write\n    basic_auth:\n      username: x\n      password: %s\n" % S["configmap_password"]}}]}
w("k8s/monitoring/list.json", json.dumps(lst, indent=1))
PYEOF

B="$T/bundle"
mkdir "$T/out" "$T/cwd"
# the commands run in an empty directory: tell them where the models are
PROMSIGHT_MODELS="$REPO/models"
export PROMSIGHT_MODELS
n=0
run() { # name, args... : capture stdout+stderr into $T/out/<name>.{out,err}
    name=$1; shift
    n=$((n + 1))
    st=0
    (cd "$T/cwd" && "$PROMSIGHT" "$@") >"$T/out/$name.out" 2>"$T/out/$name.err" || st=$?
    echo "$name $st" >>"$T/status.txt"
    [ "$st" -lt 128 ] && [ "$st" -ne 2 ] || { echo "FAIL: $name exited $st"; cat "$T/out/$name.err"; exit 1; }
    if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/out/$name.err"; then
        echo "FAIL: sanitizer report from $name"; cat "$T/out/$name.err"; exit 1
    fi
}
run analyze analyze "$B" -o "$T/out/report" --models "$REPO/models" --format json,md,html,junit
run analyze-ko analyze "$B" -o "$T/out/report-ko" --models "$REPO/models" --lang ko
run analyze-term analyze "$B" -o "$T/out/report-term" --models "$REPO/models"
for f in text json; do
    run "facts-$f" facts --format "$f" "$B"
    run "logs-$f" logs --format "$f" "$B"
    run "metrics-$f" metrics --format "$f" "$B"
    run "inventory-$f" inventory --format "$f" "$B"
    run "wal-$f" wal --format "$f" "$B"
    run "tsdb-$f" tsdb --format "$f" "$B"
    run "diagnose-$f" diagnose --format "$f" "$B"
    run "plan-$f" plan --format "$f" "$B"
done
echo "exit statuses: $(tr '\n' ' ' <"$T/status.txt")"
[ -z "$(ls -A "$T/cwd")" ] || { echo "FAIL: files written to the working directory"; ls -A "$T/cwd"; exit 1; }
# each command must have produced something (a crash or a usage error would
# make this test pass vacuously)
for f in "$T"/out/*.out; do
    b=${f%.out}
    [ -s "$f" ] || [ -s "$b.err" ] || [ "${f##*/}" = "analyze-term.out" ] || { echo "FAIL: ${f##*/} produced nothing"; exit 1; }
done
[ -s "$T/out/report/report.json" ] && [ -s "$T/out/report/report.html" ] || { echo "FAIL: analyze wrote no report"; cat "$T/out/analyze.err"; exit 1; }

python3 - "$T" "$REPO/tests/hostile/known_secret_leaks.txt" <<'PYEOF'
import base64, json, os, sys
T, known_f = sys.argv[1:3]
S = json.load(open(T + "/secrets.json"))
known = []
if os.path.exists(known_f):
    for ln in open(known_f):
        ln = ln.strip()
        if ln and not ln.startswith("#"):
            f = ln.split(None, 2)
            known.append((f[0], f[1]))
needles = {}
for n, s in S.items():
    needles[s.encode()] = n
    needles[base64.b64encode(s.encode())] = n + " (base64)"
# the search itself must work: every secret is in the bundle, raw or (the
# Secret's data) base64-encoded
seen = set()
for r, _, fs in os.walk(T + "/bundle"):
    for f in fs:
        data = open(os.path.join(r, f), "rb").read()
        seen.update(n.split()[0] for nd, n in needles.items() if nd in data)
assert seen == set(S), "secrets missing from the bundle: %s" % (set(S) - seen)
# and the commands really read what holds them: redactions were counted
rep = json.load(open(T + "/out/report/report.json"))
red = {x["file"]: x["count"] for x in rep.get("redactions", [])}
assert red, "report.json lists no redactions at all"
print("redactions in report.json: %s" % ", ".join("%s %d" % kv for kv in sorted(red.items())))
files = 0
leaks = []
for r, _, fs in os.walk(T + "/out"):
    for f in fs:
        p = os.path.join(r, f); files += 1
        data = open(p, "rb").read()
        for nd, n in needles.items():
            if nd in data:
                rel = os.path.relpath(p, T + "/out")
                leaks.append((n.split()[0], rel, n, data.count(nd)))
new = [l for l in leaks if not any(l[0] == k[0] and l[1].startswith(k[1]) for k in known)]
print("secrets: %d secrets x 2 encodings searched in %d files written" % (len(S), files))
for name, rel, n, cnt in sorted(leaks):
    tag = "known" if (name, rel) not in [(x[0], x[1]) for x in new] else "LEAK "
    print("  %s %-28s %dx in %s" % (tag, n, cnt, rel))
if new:
    print("FAIL: %d new leak(s)" % len(new))
    sys.exit(1)
print("secrets: no secret in any output%s" % (" (apart from the known leaks above)" if leaks else ""))
PYEOF
