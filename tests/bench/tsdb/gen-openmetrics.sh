#!/bin/sh
# Write an OpenMetrics file for 'promtool tsdb create-blocks-from openmetrics'.
#   gen-openmetrics.sh SERIES SAMPLES INTERVAL_S START_S [GAP]
# SERIES series spread over 4 metric families (gauges) with labels pod,
# code, region; each has SAMPLES samples INTERVAL_S apart from START_S.
# Every 7th series starts at a later offset (churn). With GAP=1, series 0
# of every family misses samples 40..49 (a 10-scrape outage), so the gap
# check has something to find. Values are deterministic (no randomness).
set -eu
awk -v S="$1" -v N="$2" -v I="$3" -v T0="$4" -v GAP="${5:-0}" 'BEGIN {
    nf = 4
    split("app_queue_depth app_temperature_celsius app_inflight_requests app_memory_bytes", fam, " ")
    per = int((S + nf - 1) / nf)
    for (f = 1; f <= nf; f++) {
        print "# TYPE " fam[f] " gauge"
        for (k = 0; k < per; k++) {
            s = (f - 1) * per + k
            if (s >= S) break
            lbl = sprintf("{code=\"%d\",pod=\"pod-%06d\",region=\"r%d\"}", 200 + (k % 5) * 100, k, k % 3)
            start = (k % 7 == 6) ? int(N / 3) : 0
            for (i = start; i < N; i++) {
                if (GAP && k == 0 && i >= 40 && i < 50) continue
                t = T0 + i * I
                if (f == 4) v = 1048576 * (k + 1) + i * 4096
                else if (f == 2) v = 20 + (k % 10) + (i % 60) / 4.0
                else v = (i * (k + 3)) % 97
                printf "%s%s %.10g %d.000\n", fam[f], lbl, v, t
            }
        }
    }
    print "# EOF"
}'
