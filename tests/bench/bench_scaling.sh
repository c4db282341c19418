#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# bench_scaling.sh - issue 8 item 7: `promsight analyze` at 1x, 10x and 100x
# of one input dimension at a time, with wall time, CPU time and peak RSS
# (/usr/bin/time), and the 10x/1x and 100x/10x ratios. Near-linear growth
# means ratios near 10 (below: fixed costs still dominate; well above 10: a
# cliff). Dimensions, each built from the real lab corpus:
#   wal      agent WAL bytes: the real 1.8 MB segment 00000000 copied as
#            segments 0..N-1 (1, 10, 100 segments = 1.8, 18, 180 MB)
#   series   one metric dump with 5k, 50k, 500k series (real agent metric
#            names with an extra pod label)
#   lines    the agent log repeated, each copy on a new date: 5k, 50k,
#            500k lines
#   entries  a tar.gz of the agent log plus 1k, 10k, 100k empty entries
# Data goes to $BENCH_DIR/scaling (kept between runs; delete it to rebuild).
#   PROMSIGHT=build/rel/promsight sh tests/bench/bench_scaling.sh
set -eu
: "${PROMSIGHT:?}"
case $PROMSIGHT in /*) ;; *) PROMSIGHT=$(pwd)/$PROMSIGHT ;; esac
SHARED=${PS_SHARED:-../shared}
C="$SHARED/corpus/lab-2026-11-24"
D="${BENCH_DIR:-build/bench}/scaling"
mkdir -p "$D"
REPO=$(pwd)

python3 - "$C" "$D" <<'PYEOF'
import io, os, shutil, sys, tarfile
C, D = sys.argv[1:3]
A = "prometheus-agent-0"
seg = open(os.path.join(C, A, "data/wal/00000000"), "rb").read()
log = open(os.path.join(C, A, "prometheus.log"), "rb").read().splitlines(keepends=True)
dump = open(os.path.join(C, A, "dumps/1795502401.prom"), "rb").read().splitlines()
samples = [l for l in dump if l and not l.startswith(b"#")]
def mk(p):
    os.makedirs(p, exist_ok=True)
    return p
for mult in (1, 10, 100):
    # wal
    p = os.path.join(D, "wal-%dx" % mult)
    if not os.path.isdir(p):
        w = mk(os.path.join(p, A, "data/wal"))
        for i in range(mult):
            open(os.path.join(w, "%08d" % i), "wb").write(seg)
    # series: real sample lines, each with a pod label, cycled to N series
    p = os.path.join(D, "series-%dx" % mult)
    if not os.path.isdir(p):
        d = mk(os.path.join(p, A, "dumps"))
        n = 5000 * mult
        with open(os.path.join(d, "1795502401.prom"), "wb") as f:
            for i in range(n):
                l = samples[i % len(samples)]
                lab = b'bench_pod="p%07d"' % i
                if b"{" in l.split(b" ")[0]:
                    name, rest = l.split(b"{", 1)
                    f.write(name + b"{" + lab + (b"," if not rest.startswith(b"}") else b"") + rest + b"\n")
                else:
                    name, val = l.split(b" ", 1)
                    f.write(name + b"{" + lab + b"} " + val + b"\n")
    # log lines, a new date per copy
    p = os.path.join(D, "lines-%dx" % mult)
    if not os.path.isdir(p):
        d = mk(os.path.join(p, A))
        n = 5000 * mult
        with open(os.path.join(d, "prometheus.log"), "wb") as f:
            k = 0
            day = 0
            while k < n:
                ds = b"%04d-%02d-%02d" % (2000 + day // 336, 1 + day // 28 % 12, 1 + day % 28)
                for l in log:
                    if k == n:
                        break
                    f.write(l.replace(b"2026-11-24", ds))
                    k += 1
                day += 1
    # entries
    p = os.path.join(D, "entries-%dx.tar.gz" % mult)
    if not os.path.exists(p):
        with tarfile.open(p, "w:gz") as t:
            data = b"".join(log)
            ti = tarfile.TarInfo(A + "/prometheus.log"); ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
            ti = tarfile.TarInfo()
            for i in range(1000 * mult):
                ti.name = "many/%04d/f%06d.txt" % (i // 1000, i)
                t.addfile(ti)
PYEOF

measure() { # bundle -> "wall cpu rss_kb"
    rm -rf "$D/out"
    /usr/bin/time -f "%e %U %S %M" -o "$D/time.txt" \
        "$PROMSIGHT" analyze "$1" -o "$D/out" --format json -q --fail-on none \
        --models "$REPO/models" >/dev/null 2>"$D/err.txt" ||
        { echo "analyze $1 failed:"; cat "$D/err.txt" "$D/time.txt"; exit 1; }
    awk '{printf "%.2f %.2f %d\n", $1, $2 + $3, $4}' "$D/time.txt"
}
printf "%-8s %5s %10s %9s %8s %8s %9s   %s\n" dim mult units input_MB wall_s cpu_s rss_MiB "ratios wall (rss): 10x/1x 100x/10x"
for dim in wal series lines entries; do
    prev_wall= prev_rss= ratios=
    for mult in 1 10 100; do
        if [ "$dim" = entries ]; then b="$D/entries-${mult}x.tar.gz"; else b="$D/$dim-${mult}x"; fi
        size=$(du -sb "$b" | cut -f1)
        case $dim in
        wal) units="${mult} seg" ;;
        series | lines) units="$((5000 * mult))" ;;
        entries) units="$((1000 * mult + 1))" ;;
        esac
        set -- $(measure "$b")
        wall=$1 cpu=$2 rss=$3
        if [ -n "$prev_wall" ]; then
            ratios="$ratios $(awk -v a="$wall" -v b="$prev_wall" -v r="$rss" -v q="$prev_rss" \
                'BEGIN { printf "%5.1f (%4.1f)", a / (b > 0.01 ? b : 0.01), r / q }')"
        fi
        printf "%-8s %4dx %10s %9.1f %8s %8s %9.1f  %s\n" "$dim" "$mult" "$units" "$(echo "$size" | awk '{print $1 / 1048576}')" \
            "$wall" "$cpu" "$(echo "$rss" | awk '{print $1 / 1024}')" "$ratios"
        prev_wall=$wall prev_rss=$rss
    done
done
rm -rf "$D/out"
