#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# bench_wal.sh - `promsight wal` against Prometheus 2.42's own WAL replay,
# on WALs written by Prometheus itself:
#
#  plain  : `promtool tsdb bench write --metrics=20000 --scrapes=1000`
#           (20 M samples, ~212 MiB, uncompressed: the bench writer opens
#           the TSDB without WAL compression)
#  snappy : a real `prometheus --web.enable-remote-write-receiver` fed
#           20000 series x 1000 scrapes over remote write by
#           tests/bench/wal/remote_write.py (snappy records, Prometheus'
#           default, the way a Thanos Receive ingester writes its WAL)
#
# For each WAL: promsight's wall time (best of RUNS) and peak RSS, and
# Prometheus' total_replay_duration (best of PROM_RUNS, by default as many
# runs as promsight gets, so neither side has more tries at a lucky
# minute) from its log when started
# on a copy holding only wal/ (loopback address, empty config), then the
# ratio. Peak RSS is also measured on the first segment alone, to show
# memory follows series, not WAL bytes. Big files are deleted at the end.
#   env: PROMSIGHT (binary), BENCH_DIR (scratch, default build/bench),
#        WAL_FROM (optional: a directory with plain/wal and snappy/wal made
#        by an earlier run - generation is skipped and they are kept),
#        BENCH_KEEP=1 (after a run that generated them, move the WALs to
#        $BENCH_DIR/wal-keep for a later WAL_FROM=$BENCH_DIR/wal-keep),
#        RUNS (promsight runs per WAL, best kept; default 3),
#        PROM_RUNS (Prometheus replays per WAL, best kept; default RUNS)
set -eu
: "${PROMSIGHT:?}"
BENCH_DIR=${BENCH_DIR:-build/bench}
HERE=$(cd "$(dirname "$0")" && pwd)
for t in promtool prometheus python3 /usr/bin/time timeout; do
    command -v "$t" >/dev/null || { echo "SKIP bench_wal: $t missing"; exit 0; }
done
W="$BENCH_DIR/wal"
rm -rf "$W"
mkdir -p "$W"
W=$(cd "$W" && pwd)
trap 'rm -rf "$W/plain" "$W/snappy" "$W/gen" "$W/rwdata" "$W/replay"' EXIT INT TERM
RUNS=${RUNS:-3}
PROM_RUNS=${PROM_RUNS:-$RUNS}
SERIES=20000
SCRAPES=1000
PORT=$((19100 + $$ % 800))
printf 'global: {}\n' >"$W/empty.yml"

now_ms() { date +%s%3N; }

# Go duration ("1.2s", "883.5ms", "1m2.5s", "950µs") -> seconds
go_secs() {
    echo "$1" | awk '{
        s = $0; t = 0
        while (match(s, /^[0-9.]+(h|ms|µs|us|ns|m|s)/)) {
            tok = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
            match(tok, /[0-9.]+/); v = substr(tok, RSTART, RLENGTH); u = substr(tok, RLENGTH + 1)
            if (u == "h") t += v * 3600; else if (u == "m") t += v * 60
            else if (u == "s") t += v; else if (u == "ms") t += v / 1e3
            else if (u == "ns") t += v / 1e9; else t += v / 1e6
        }
        printf "%.3f", t }'
}

wait_log() { # file pattern seconds
    i=0
    while [ $i -lt $(($3 * 10)) ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

if [ -n "${WAL_FROM:-}" ]; then
    WAL_FROM=$(cd "$WAL_FROM" && pwd)
    echo "using the WALs in $WAL_FROM (not generated, kept)"
    ln -s "$WAL_FROM/plain" "$W/plain"
    ln -s "$WAL_FROM/snappy" "$W/snappy"
else
echo "generating $SERIES label sets"
python3 "$HERE/wal/labels.py" "$SERIES" >"$W/labels.jsonl"

echo "promtool tsdb bench write --metrics=$SERIES --scrapes=$SCRAPES"
t0=$(now_ms)
timeout 600 promtool tsdb bench write --metrics=$SERIES --scrapes=$SCRAPES \
    --out="$W/gen" "$W/labels.jsonl" >"$W/gen.log" 2>&1
echo "  wrote in $(( $(now_ms) - t0 )) ms"
mkdir -p "$W/plain"
mv "$W/gen/storage/wal" "$W/plain/wal"
rm -rf "$W/gen"

echo "prometheus remote-write receiver <- $SERIES series x $SCRAPES scrapes"
t0=$(now_ms)
prometheus --config.file="$W/empty.yml" --storage.tsdb.path="$W/rwdata" \
    --web.listen-address=127.0.0.1:$PORT --web.enable-remote-write-receiver \
    >"$W/rw.log" 2>&1 &
ppid_rw=$!
if ! wait_log "$W/rw.log" "Server is ready" 60; then
    kill "$ppid_rw" 2>/dev/null || true
    echo "prometheus receiver did not start"; tail -5 "$W/rw.log"; exit 1
fi
timeout 600 python3 "$HERE/wal/remote_write.py" "http://127.0.0.1:$PORT/api/v1/write" \
    "$W/labels.jsonl" "$SERIES" "$SCRAPES"
kill -TERM "$ppid_rw"
wait "$ppid_rw" 2>/dev/null || true
echo "  ingested in $(( $(now_ms) - t0 )) ms"
mkdir -p "$W/snappy"
mv "$W/rwdata/wal" "$W/snappy/wal"
rm -rf "$W/rwdata"
fi

run_promsight() { # dir threads -> sets PS_MS PS_RSS
    best=""
    for i in $(seq "$RUNS"); do
        t0=$(now_ms)
        /usr/bin/time -f '%M %U %S' -o "$W/rss" "$PROMSIGHT" wal --threads "$2" --format json "$1" >"$W/ps.json"
        dt=$(( $(now_ms) - t0 ))
        if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then
            best=$dt
            PS_RSS=$(cut -d' ' -f1 "$W/rss")
            PS_CPU=$(awk '{printf "%.2f", $2 + $3}' "$W/rss")
        fi
    done
    PS_MS=$best
}

run_prometheus() { # dir -> sets PR_S
    best=""
    for i in $(seq "$PROM_RUNS"); do
        rm -rf "$W/replay"
        mkdir -p "$W/replay"
        cp -R "$1/wal" "$W/replay/wal"
        # the old log goes first: the shell truncates it only in the
        # forked child, and wait_log could otherwise find the previous
        # run's line and stop this one before it replayed anything
        rm -f "$W/replay.log"
        prometheus --config.file="$W/empty.yml" --storage.tsdb.path="$W/replay" \
            --web.listen-address=127.0.0.1:$PORT >"$W/replay.log" 2>&1 &
        pp=$!
        ok=1
        wait_log "$W/replay.log" "total_replay_duration" 300 || ok=0
        # CPU seconds of the whole prometheus process so far (start-up and
        # replay): utime + stime from /proc, in clock ticks
        cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pp/stat" 2>/dev/null || echo 0)
        kill -TERM "$pp" 2>/dev/null || true
        wait "$pp" 2>/dev/null || true
        [ $ok -eq 1 ] || { echo "prometheus replay did not finish"; tail -5 "$W/replay.log"; exit 1; }
        d=$(sed -n 's/.*total_replay_duration=\([^ ]*\).*/\1/p' "$W/replay.log" | head -n1)
        # a run without a duration is dropped, never counted as 0 s
        if [ -z "$d" ]; then
            echo "prometheus replay: no total_replay_duration in its log (run dropped)"
            continue
        fi
        s=$(go_secs "$d")
        if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; PR_CPU=$cpu; fi
    done
    [ -n "$best" ] || { echo "prometheus replay: no usable run"; exit 1; }
    PR_S=$best
}

echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
printf '\n%-7s %9s %10s %9s %12s %12s %9s %8s %10s %10s %9s %9s %9s\n' WAL BYTES SAMPLES SERIES \
    "promsight_s" "prom_replay_s" RATIO "RSS_MiB" "RSS_1seg" "1thread_s" "ps_cpu_s" "prom_cpu_s" CPU_RATIO
for kind in plain snappy; do
    d="$W/$kind"
    bytes=$(du -sb "$d/wal" | cut -f1)
    run_promsight "$d" 1
    one_s=$(awk "BEGIN{printf \"%.3f\", $PS_MS / 1000}")
    run_promsight "$d" 0
    samples=$(sed -n 's/^ *"head_samples": \([0-9]*\).*/\1/p' "$W/ps.json" | head -n1)
    series=$(sed -n 's/^ *"head_series": \([0-9]*\).*/\1/p' "$W/ps.json" | head -n1)
    /usr/bin/time -f %M -o "$W/rss1" "$PROMSIGHT" wal "$d/wal/00000000" >/dev/null
    run_prometheus "$d"
    ps_s=$(awk "BEGIN{printf \"%.3f\", $PS_MS / 1000}")
    ratio=$(awk "BEGIN{printf \"%.1f\", $PR_S / ($PS_MS / 1000)}")
    cratio=$(awk "BEGIN{printf \"%.1f\", ($PS_CPU > 0 ? $PR_CPU / $PS_CPU : 0)}")
    printf '%-7s %9s %10s %9s %12s %12s %8sx %8s %10s %10s %9s %9s %8sx\n' "$kind" \
        "$((bytes / 1048576))MiB" "$samples" "$series" "$ps_s" "$PR_S" "$ratio" \
        "$((PS_RSS / 1024))" "$(( $(cat "$W/rss1") / 1024 ))" "$one_s" "$PS_CPU" "$PR_CPU" "$cratio"
done
echo "(RATIO = Prometheus 2.42 total_replay_duration / promsight wall time with the"
echo " default threads (one per CPU: $(nproc)), best of $RUNS; Prometheus best of $PROM_RUNS; target >= 10x."
echo " RSS_1seg: peak RSS on the first 128 MiB segment alone. 1thread_s: --threads 1."
echo " ps_cpu_s: promsight user+sys CPU; prom_cpu_s: the whole prometheus process's CPU"
echo " up to the replay log line (start-up included) - both independent of machine load;"
echo " CPU_RATIO = prom_cpu_s / ps_cpu_s, ps_cpu_s of the best default run, 10 ms resolution.)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${BENCH_KEEP:-0}" = 1 ] && [ -z "${WAL_FROM:-}" ]; then
    K="$BENCH_DIR/wal-keep"
    rm -rf "$K"
    mkdir -p "$K"
    mv "$W/plain" "$W/snappy" "$K/"
    echo "WALs kept in $K (WAL_FROM=$K)"
fi
