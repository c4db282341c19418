#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""runpair.py - time two commands on the same input, alternately, RUNS times.

    runpair.py RUNS OUT_A OUT_B -- CMD_A... -- CMD_B...

Each run is a fork/exec with stdout to OUT_A / OUT_B (stderr discarded);
wall time is measured around it with a monotonic clock (microseconds, not
GNU time's 10 ms), CPU time and peak RSS come from wait4's rusage of that
child alone. Alternating A and B spreads whatever else the machine is doing
evenly over both. Prints one line per command:

    A <min_wall_s> <median_wall_s> <median_cpu_s> <max_rss_kib>
    B ...

Exits 1 if a command fails (non-zero exit or signal).
"""
import os
import statistics
import sys
import time


def run(cmd, out):
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_WRONLY)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(fd, 1)
        os.dup2(null, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    os.close(fd)
    os.close(null)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        sys.exit("runpair: %s failed (status %d)" % (cmd[0], status))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main():
    a = sys.argv[1:]
    if len(a) < 6 or a[3] != "--" or "--" not in a[4:]:
        sys.exit(__doc__)
    runs, out_a, out_b = int(a[0]), a[1], a[2]
    k = a.index("--", 4)
    cmds = {"A": (a[4:k], out_a), "B": (a[k + 1:], out_b)}
    res = {"A": [], "B": []}
    for _ in range(runs):
        for name in ("A", "B"):
            res[name].append(run(*cmds[name]))
    for name in ("A", "B"):
        r = res[name]
        walls = [x[0] for x in r]
        print(name, "%.4f %.4f %.4f %d" % (min(walls), statistics.median(walls),
                                           statistics.median(x[1] for x in r),
                                           max(x[2] for x in r)))


main()
