#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# promsight-collect - gather a support bundle from a live Prometheus Agent ->
# Thanos Receive stack with kubectl, for offline analysis by `promsight`.
#
# What it collects (namespace `monitoring` unless -n): for every pod whose
# name starts with one of the --pods prefixes (default prometheus-agent,
# thanos-receive, prometheus): the WAL (agents) or per-tenant WAL, block
# meta.json files and thanos.shipper.json (receivers) via `kubectl exec
# ... tar`, within --max-wal-mb per pod; current and previous container logs
# with --timestamps; /metrics sampled --samples times every --interval
# seconds; Prometheus API status endpoints; `df` inside the pod. Then the
# namespace's pods, PVCs, StatefulSets, Services, events and ConfigMaps
# (hashrings) as JSON/YAML. Secret objects are never read; secrets in what is
# collected (passwords, tokens, basic auth in URLs, Authorization headers,
# secret-named env vars) are redacted before anything is written to the
# bundle, and counted in manifest.json. The layout is docs/bundle-format.md.
#
# The result is one tar.zst (tar.gz when zstd is missing).
set -eu

VERSION=0.1.0
NS=monitoring
OUT=""
SAMPLES=3
INTERVAL=15
MAX_WAL_MB=512
MAX_LOG_LINES=100000
PODS="prometheus-agent thanos-receive prometheus"
CTX=""
NO_WAL=0

usage() {
    cat <<USAGE
Usage: promsight-collect [options]

Collect a promsight support bundle from a Kubernetes namespace with kubectl.

Options:
  -n, --namespace NS     namespace (default: monitoring)
  -o, --output FILE      bundle file (default: promsight-bundle-NS-UTCSTAMP.tar.zst)
      --context CTX      kubectl context
      --pods "P1 P2"     pod name prefixes to collect (default: "$PODS")
      --samples N        /metrics samples per pod (default: $SAMPLES)
      --interval SEC     seconds between samples (default: $INTERVAL)
      --max-wal-mb MB    WAL/TSDB bytes per pod; newest segments first (default: $MAX_WAL_MB)
      --max-log-lines N  log lines per container and log (default: $MAX_LOG_LINES)
      --no-wal           do not copy WAL or block metadata
  -h, --help             this help

Secrets are redacted before they are written; Secret objects are never read.
USAGE
}

while [ $# -gt 0 ]; do
    case $1 in
    -n|--namespace) NS=$2; shift 2 ;;
    -o|--output) OUT=$2; shift 2 ;;
    --context) CTX=$2; shift 2 ;;
    --pods) PODS=$2; shift 2 ;;
    --samples) SAMPLES=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --max-wal-mb) MAX_WAL_MB=$2; shift 2 ;;
    --max-log-lines) MAX_LOG_LINES=$2; shift 2 ;;
    --no-wal) NO_WAL=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "promsight-collect: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
for n in "$SAMPLES" "$INTERVAL" "$MAX_WAL_MB" "$MAX_LOG_LINES"; do
    case $n in ''|*[!0-9]*) echo "promsight-collect: not a number: $n" >&2; exit 2 ;; esac
done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
[ -n "$OUT" ] || OUT="promsight-bundle-$NS-$STAMP.tar.zst"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/promsight-collect.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
ROOT="$WORK/bundle"
mkdir -p "$ROOT/cluster"
LOG="$WORK/commands.log"
: >"$LOG"

kc() { # kubectl with namespace and context; logs the command (no output)
    echo "kubectl $*" >>"$LOG"
    if [ -n "$CTX" ]; then kubectl --context "$CTX" "$@"; else kubectl "$@"; fi
}

say() { echo "promsight-collect: $*" >&2; }

# Redact secrets in a text file in place (see docs/bundle-format.md).
redact() {
    f=$1
    [ -f "$f" ] || return 0
    sed -E -i \
        -e 's#(://)[^/@[:space:]"'"'"']+:[^/@[:space:]"'"'"']+@#\1<redacted>@#g' \
        -e 's#([Bb]earer|[Bb]asic)([[:space:]]+)[A-Za-z0-9._~+/=-]{8,}#\1\2<redacted>#g' \
        -e 's#((password|passwd|secret|token|credentials|api_?key|access_?key)[A-Za-z0-9_]*"?[[:space:]]*[:=][[:space:]]*"?)[^"'"'"'[:space:],}&]+#\1<redacted>#Ig' \
        "$f"
    # env vars in kubectl JSON: {"name": "X_PASSWORD", "value": "..."}
    sed -E -i '/"name": *"[^"]*(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL)[^"]*"/I{n;s#("value": *")[^"]*"#\1<redacted>"#}' "$f"
}

# Pod names in the namespace matching one of the prefixes.
pods=$(kc get pods -n "$NS" -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}' 2>>"$LOG" || true)
if [ -z "$pods" ]; then
    say "no pods found in namespace $NS (is kubectl configured?)"
    exit 1
fi

wanted() {
    for p in $PODS; do
        case $1 in "$p"*) return 0 ;; esac
    done
    return 1
}

# Value of --flag=value or "--flag","value" in a container's args (JSON array text).
flag_value() { # args flag
    printf '%s\n' "$1" | tr ',' '\n' | tr -d '[]"' | sed -n "s#^ *$2[= ]##p" | head -n 1
}

# Copy the newest WAL segments (and the newest checkpoint) of DIR/wal, within
# a byte budget, into DEST/wal. Listing is "size<TAB>name" from du -k.
copy_wal() { # pod container dir dest budget_kb
    pod=$1; c=$2; dir=$3; dest=$4; budget=$5
    list=$(kc exec -n "$NS" "$pod" -c "$c" -- sh -c 'cd "$1/wal" 2>/dev/null && du -sk * 2>/dev/null' sh "$dir" 2>>"$LOG" || true)
    [ -n "$list" ] || return 0
    # newest checkpoint first, then segments newest to oldest, until the budget
    pick=$(printf '%s\n' "$list" | awk -v budget="$budget" '
        $2 ~ /^checkpoint\.[0-9]+$/ { if ($2 > cp) { cp = $2; cps = $1 } next }
        $2 ~ /^[0-9]+$/ { n++; name[n] = $2; size[n] = $1 }
        END {
            used = 0
            if (cp != "") { print "wal/" cp; used += cps }
            # names sort as numbers (fixed width), newest last
            for (i = n; i >= 1; i--) { if (used + size[i] > budget && i < n) { print "SKIPPED " i > "/dev/stderr"; break } print "wal/" name[i]; used += size[i] }
        }' 2>>"$LOG")
    mkdir -p "$dest"
    # shellcheck disable=SC2086
    kc exec -n "$NS" "$pod" -c "$c" -- tar cf - -C "$dir" $pick 2>>"$LOG" |
        tar xf - -C "$dest" --no-same-owner --no-same-permissions 2>>"$LOG" || say "$pod: WAL copy incomplete"
}

# Receiver: per-tenant WAL + block meta.json + thanos.shipper.json.
copy_receive() { # pod container dir dest budget_kb
    pod=$1; c=$2; dir=$3; dest=$4; budget=$5
    tenants=$(kc exec -n "$NS" "$pod" -c "$c" -- sh -c 'cd "$1" 2>/dev/null && for t in *; do [ -d "$t/wal" ] && echo "$t"; done' sh "$dir" 2>>"$LOG" || true)
    for t in $tenants; do
        case $t in *[!A-Za-z0-9._-]*) say "$pod: skipping odd tenant name"; continue ;; esac
        metas=$(kc exec -n "$NS" "$pod" -c "$c" -- sh -c 'cd "$1/$2" && ls -d */meta.json thanos.shipper.json 2>/dev/null' sh "$dir" "$t" 2>>"$LOG" || true)
        mkdir -p "$dest/$t"
        if [ -n "$metas" ]; then
            # shellcheck disable=SC2086
            kc exec -n "$NS" "$pod" -c "$c" -- tar cf - -C "$dir/$t" $metas 2>>"$LOG" |
                tar xf - -C "$dest/$t" --no-same-owner --no-same-permissions 2>>"$LOG" || true
        fi
        copy_wal "$pod" "$c" "$dir/$t" "$dest/$t" "$budget"
    done
}

scrape() { # pod port path outfile
    kc get --raw "/api/v1/namespaces/$NS/pods/$1:$2/proxy$3" >"$4" 2>>"$LOG" || { rm -f "$4"; return 1; }
}

for pod in $pods; do
    wanted "$pod" || continue
    case $pod in *[!A-Za-z0-9.-]*) say "skipping odd pod name"; continue ;; esac
    say "collecting $pod"
    P="$ROOT/$pod"
    mkdir -p "$P/logs" "$P/dumps" "$P/api"
    containers=$(kc get pod "$pod" -n "$NS" -o 'jsonpath={range .spec.containers[*]}{.name}{"|"}{.args}{"|"}{.ports[*].containerPort}{"\n"}{end}' 2>>"$LOG" || true)
    printf '%s\n' "$containers" | while IFS='|' read -r c args ports; do
        [ -n "$c" ] || continue
        kc logs -n "$NS" "$pod" -c "$c" --timestamps --tail="$MAX_LOG_LINES" >"$P/logs/$c.log" 2>>"$LOG" || rm -f "$P/logs/$c.log"
        kc logs -n "$NS" "$pod" -c "$c" --timestamps --previous --tail="$MAX_LOG_LINES" >"$P/logs/$c-previous.log" 2>>"$LOG" || rm -f "$P/logs/$c-previous.log"
        [ -s "$P/logs/$c-previous.log" ] || rm -f "$P/logs/$c-previous.log"
        printf '%s\n' "$args" >"$P/$c.args"
        port=$(printf '%s\n' "$ports" | awk '{print $1}')
        agent=$(flag_value "$args" --storage.agent.path)
        tsdb=$(flag_value "$args" --storage.tsdb.path)
        recv=$(flag_value "$args" --tsdb.path)
        case $args in *receive*) kind=receive ;; *enable-feature=agent*|*agent*) kind=agent ;; *) kind=prometheus ;; esac
        [ -n "$port" ] || { [ $kind = receive ] && port=10902 || port=9090; }
        i=0
        while [ "$i" -lt "$SAMPLES" ]; do
            # one file per scrape, named by its epoch second (promsight reads
            # the scrape time from the name): never two in the same second
            while [ -e "$P/dumps/$(date -u +%s).prom" ]; do sleep 1; done
            scrape "$pod" "$port" /metrics "$P/dumps/$(date -u +%s).prom" || break
            i=$((i + 1))
            [ "$i" -lt "$SAMPLES" ] && sleep "$INTERVAL"
        done
        if [ $kind != receive ]; then
            for ep in status/tsdb status/runtimeinfo status/flags status/config status/buildinfo targets; do
                scrape "$pod" "$port" "/api/v1/$ep" "$P/api/$(echo "$ep" | tr '/' '_').json" || true
            done
        fi
        kc exec -n "$NS" "$pod" -c "$c" -- df -k >"$P/df.txt" 2>>"$LOG" || rm -f "$P/df.txt"
        [ "$NO_WAL" -eq 1 ] && continue
        budget=$((MAX_WAL_MB * 1024))
        if [ $kind = receive ]; then
            copy_receive "$pod" "$c" "${recv:-./data}" "$P/data" "$budget"
        elif [ $kind = agent ]; then
            copy_wal "$pod" "$c" "${agent:-data-agent/}" "$P/data" "$budget"
        elif [ -n "$tsdb" ]; then
            copy_wal "$pod" "$c" "$tsdb" "$P/data" "$budget"
        fi
    done
done

say "collecting cluster objects"
kc get pods,pvc,statefulsets,services -n "$NS" -o json >"$ROOT/cluster/objects.json" 2>>"$LOG" || true
kc get configmaps -n "$NS" -o yaml >"$ROOT/cluster/configmaps.yaml" 2>>"$LOG" || true
kc get events -n "$NS" -o json >"$ROOT/cluster/events.json" 2>>"$LOG" || true

# Redact every text file; count what was replaced.
redactions=""
for f in $(find "$ROOT" -type f \( -name '*.log' -o -name '*.json' -o -name '*.yaml' -o -name '*.yml' -o -name '*.args' -o -name '*.txt' -o -name '*.prom' \) | sort); do
    before=$(grep -o '<redacted>' "$f" 2>/dev/null | wc -l)
    redact "$f"
    after=$(grep -o '<redacted>' "$f" 2>/dev/null | wc -l)
    if [ "$after" -gt "$before" ]; then
        redactions="$redactions{\"file\":\"${f#"$ROOT"/}\",\"count\":$((after - before))},"
    fi
done

# manifest.json: what, when, how, and every file with its size
{
    printf '{\n  "format": "promsight-bundle/1",\n  "collector": "promsight-collect %s",\n' "$VERSION"
    printf '  "collected_at": "%s",\n  "namespace": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$NS"
    printf '  "redactions": [%s],\n' "${redactions%,}"
    printf '  "commands": [\n'
    sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/    "&",/' "$LOG" | sed '$ s/,$//'
    printf '  ],\n  "files": [\n'
    (cd "$ROOT" && find . -type f | sort | while read -r f; do
        printf '    {"path": "%s", "bytes": %s},\n' "${f#./}" "$(wc -c <"$f" | tr -d ' ')"
    done) | sed '$ s/,$//'
    printf '  ]\n}\n'
} >"$ROOT/manifest.json"

if command -v zstd >/dev/null 2>&1; then
    tar --sort=name -cf - -C "$ROOT" . | zstd -q -T0 -19 -o "$OUT" -f
else
    OUT=${OUT%.tar.zst}.tar.gz
    tar --sort=name -czf "$OUT" -C "$ROOT" .
fi
say "wrote $OUT ($(wc -c <"$OUT" | tr -d ' ') bytes); analyse with: promsight analyze $OUT"
