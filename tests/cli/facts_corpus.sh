#!/bin/sh
# promsight facts on the shared corpus (issue "one fact store", done-when):
# the receiver outage appears as remote_write.unreachable events located
# by file and line inside the real outage window, and the agent's
# remote-write series (pending samples, shards, highest sent timestamp)
# are time series spanning the capture whose values equal what the dump
# files say (read here independently, line by line).
set -eu
C="$PS_SHARED/corpus/lab-2026-11-24"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$PROMSIGHT" facts --format json "$C" >"$T/facts.json" 2>"$T/err"
python3 - "$T/facts.json" "$C" <<'PY'
import json, os, sys, datetime
facts = json.load(open(sys.argv[1]))
corpus = sys.argv[2]
def ms(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000
# timeline.txt: receiver-killed / receiver-restarted
tl = dict(l.split()[2:3] + l.split()[1:2] for l in open(os.path.join(corpus, "timeline.txt")))
killed, restarted = int(tl["receiver-killed"]) * 1000, int(tl["receiver-restarted"]) * 1000
ev = [e for e in facts["events"] if e["class"] == "remote_write.unreachable"]
assert ev, "no remote_write.unreachable events"
log = open(os.path.join(corpus, "prometheus-agent-0/prometheus.log")).read().splitlines()
for e in ev:
    assert e["file"].endswith("prometheus-agent-0/prometheus.log"), e["file"]
    line = log[e["line"] - 1]
    assert "connection refused" in line, line           # the cited line is the real one
    t = ms(e["time"])
    assert killed <= t <= restarted + 60000, e["time"]  # inside the outage (+1 min dedupe)
want = sum(1 for l in log if "connection refused" in l)
assert len(ev) == want, (len(ev), want)
# remote-write series from the agent's dumps
def dump_value(epoch, metric):
    for l in open(os.path.join(corpus, "prometheus-agent-0/dumps/%d.prom" % epoch)):
        if l.startswith(metric + "{") and "/api/v1/write" in l:
            return float(l.rsplit(" ", 1)[1])
    return None
start, end = int(tl["start"]) * 1000, int(tl["end"]) * 1000
for metric in ["prometheus_remote_storage_samples_pending", "prometheus_remote_storage_shards",
               "prometheus_remote_storage_queue_highest_sent_timestamp_seconds"]:
    ss = [s for s in facts["series"] if s["labels"].get("__name__") == metric
          and s["labels"].get("pod") == "prometheus-agent-0"
          and s["labels"].get("source") == "dump" and "/api/v1/write" in s["labels"].get("url", "")]
    assert len(ss) == 1, (metric, len(ss))
    s = ss[0]
    assert ms(s["first"]) <= start + 120000 and ms(s["last"]) >= end - 60000, (metric, s["first"], s["last"])
    ndumps = len(os.listdir(os.path.join(corpus, "prometheus-agent-0/dumps")))
    assert s["samples"] >= ndumps - 5, (metric, s["samples"], ndumps)
    last_epoch = int(ms(s["last"]) / 1000)
    assert abs(dump_value(last_epoch, metric) - s["last_value"]) < 1e-6 * max(1, abs(s["last_value"])), metric
print("facts corpus: %d outage events, remote-write series ok" % len(ev))
PY
