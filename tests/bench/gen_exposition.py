#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Generate a large Prometheus text exposition for bench_metrics.sh: per pod
# of a cluster, request counters by method/code/handler, a latency
# histogram, and a few gauges - label sets like a federation or
# kube-state dump. Deterministic (seeded).
#   gen_exposition.py MIB OUT
import random
import sys

target = int(sys.argv[1]) * 1024 * 1024
out = open(sys.argv[2], "w", buffering=1 << 20)
random.seed(1)
methods = ["GET", "POST", "PUT", "DELETE"]
codes = ["200", "201", "204", "400", "404", "500", "503"]
handlers = ["/api/v1/query", "/api/v1/query_range", "/api/v1/write", "/metrics", "/-/healthy", "/api/v1/series"]
les = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
written = 0
pod = 0
out.write("# HELP http_requests_total Total HTTP requests.\n# TYPE http_requests_total counter\n")
while written < target:
    pod += 1
    ns = "team-%d" % (pod % 40)
    p = "payments-api-%05d-%x" % (pod, pod * 2654435761 % (1 << 32))
    lines = []
    for m in methods:
        for c in codes:
            h = handlers[(pod + len(m) + int(c)) % len(handlers)]
            lines.append('http_requests_total{namespace="%s",pod="%s",container="app",method="%s",code="%s",handler="%s"} %d\n' % (ns, p, m, c, h, random.randint(0, 10**7)))
    for le in les:
        lines.append('http_request_duration_seconds_bucket{namespace="%s",pod="%s",container="app",le="%s"} %d\n' % (ns, p, le, random.randint(0, 10**6)))
    lines.append('http_request_duration_seconds_sum{namespace="%s",pod="%s",container="app"} %.6f\n' % (ns, p, random.random() * 1e5))
    lines.append('http_request_duration_seconds_count{namespace="%s",pod="%s",container="app"} %d\n' % (ns, p, random.randint(0, 10**6)))
    lines.append('process_resident_memory_bytes{namespace="%s",pod="%s",container="app"} %.6e\n' % (ns, p, random.random() * 1e9))
    lines.append('go_goroutines{namespace="%s",pod="%s",container="app"} %d\n' % (ns, p, random.randint(10, 5000)))
    s = "".join(lines)
    out.write(s)
    written += len(s)
out.close()
