#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""labels.py N - N label sets as JSON lines, the input format of
`promtool tsdb bench write` (one flat JSON object per line, no spaces).
400 metric names x 50 instances, like a node-exporter fleet."""
import json
import sys

n = int(sys.argv[1])
for i in range(n):
    print(json.dumps({'__name__': 'bench_metric_%d' % (i % 400),
                      'instance': 'host-%03d:9100' % (i // 400),
                      'job': 'bench', 'env': 'prod'}, separators=(',', ':')))
