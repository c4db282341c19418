#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""check.py - run `promsight analyze` on every hostile bundle of gen.py and
assert issue 8 item 2 for each.

    python3 tests/hostile/check.py PROMSIGHT GENDIR WORKDIR [NAME...]

Per case (cases.json, see gen.py), in a sandbox WORKDIR/<name>/{cwd,out}:
  * the command runs with cwd = cwd/ (empty), -o out/, a timeout of
    $HOSTILE_TIMEOUT seconds (default 60);
  * exit status == the documented one (3: the intact part still gives a
    critical finding), not killed by a signal, not timed out;
  * stderr has no AddressSanitizer / LeakSanitizer / "runtime error" report;
  * nothing appeared outside out/: cwd/ stays empty, the sandbox holds only
    cwd/ and out/, GENDIR's file list is unchanged, and none of the case's
    "evil" paths (absolute, or relative to the sandbox and to WORKDIR) exists;
  * report.json has a "problems" entry whose file contains the expected
    substring and whose message matches the expected regex, with an offset
    or a line when the case says "located";
  * the expected finding class is in report.json "findings";
  * peak RSS of the child (os.wait4 -> ru_maxrss, i.e. getrusage of that
    child) <= BASE + K * input_bytes, with BASE = 48 MiB plain / 256 MiB under
    ASan (the models, jansson trees and the sanitizer runtime's own shadow
    and quarantine) and K = 16 (48 under ASan; see docs/testing.md
    "Hostile bundles"). Under ASan, LSAN_OPTIONS gets the suppressions in
    tests/hostile/lsan.supp (known leaks not caused by the input).

Every failed check has a category: timeout, crash, exit, sanitizer, escape,
report, problem, problem-stage (the damage is located only in a stage's own
list such as stages.wal.corruptions, not in "problems"), finding, memory.
tests/hostile/known_failures.txt lists known failures as "NAME CATEGORIES
REASON" (CATEGORIES comma-separated): those checks of that case are reported
as "known" and do not fail the suite; every other check still does. A case
whose known checks all pass is reported as FIXED? so the list can be trimmed. Exit 0 when every other
case passed.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

TIMEOUT = int(os.environ.get("HOSTILE_TIMEOUT", "60"))
SAN_WORDS = ("AddressSanitizer", "LeakSanitizer", "runtime error", "UndefinedBehaviorSanitizer")
K = 16
MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")


def is_asan(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def listing(root):
    out = set()
    for r, ds, fs in os.walk(root):
        for n in ds + fs:
            out.add(os.path.relpath(os.path.join(r, n), root))
    return out


def run_child(argv, cwd, stdout, stderr):
    """Run argv; return (status, peak RSS bytes, timed_out). status as in $?.

    The peak RSS is the child's ru_maxrss (wait4). Linux keeps the larger of
    the pre-exec and post-exec high-water marks, so a child forked from this
    Python process would never report less than Python's own RSS; when GNU
    time(1) is installed the command runs under it (a small C process whose
    wait4 of promsight gives promsight's own peak), and its %M is used."""
    rssf = None
    if os.access("/usr/bin/time", os.X_OK):
        rssf = os.path.join(cwd, "..", "maxrss")
        argv = ["/usr/bin/time", "-f", "%M", "-o", rssf] + argv
    p = subprocess.Popen(argv, cwd=cwd, stdout=stdout, stderr=stderr, start_new_session=True)
    deadline = time.monotonic() + TIMEOUT
    delay = 0.005
    while True:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = 0  # reaped; keep Popen quiet
            break
        if time.monotonic() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            pid, st, ru = os.wait4(p.pid, 0)
            p.returncode = 0
            return None, ru.ru_maxrss * 1024, True
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    rss = ru.ru_maxrss * 1024
    if rssf is not None:
        try:
            with open(rssf) as f:
                rss = int(f.read().split()[-1]) * 1024
            os.unlink(rssf)
        except (OSError, ValueError, IndexError):
            pass
    if os.WIFSIGNALED(st):
        return 128 + os.WTERMSIG(st), rss, False
    return os.WEXITSTATUS(st), rss, False  # time(1) exits 128+N for signal N


def check_case(c, binary, gendir, work, base, gen_list):
    errs = []
    box = os.path.join(work, c["name"])
    cwd, out = os.path.join(box, "cwd"), os.path.join(box, "out")
    os.makedirs(cwd)
    bundle = os.path.join(gendir, c["bundle"])
    errf = os.path.join(box, "stderr")
    t0 = time.monotonic()
    with open(os.path.join(box, "stdout"), "wb") as so, open(errf, "wb") as se:
        status, rss, timed_out = run_child([binary, "analyze", bundle, "-o", out, "-q", "--models", MODELS], cwd, so, se)
    secs = time.monotonic() - t0
    if timed_out:
        errs.append(("timeout", "timed out after %d s" % TIMEOUT))
    elif status != c["exit"]:
        errs.append(("crash" if status >= 128 else "exit", "exit %s, expected %d" % (status, c["exit"])))
    with open(errf, "rb") as f:
        err = f.read().decode("utf-8", "replace")
    for w in SAN_WORDS:
        if w in err:
            errs.append(("sanitizer", "sanitizer report (%s): %s" % (w, err[err.index(w):][:300].replace("\n", " | "))))
            break
    # nothing outside out/
    if os.listdir(cwd):
        errs.append(("escape", "files appeared in the working directory: %s" % sorted(os.listdir(cwd))[:5]))
    extra = set(os.listdir(box)) - {"cwd", "out", "stdout", "stderr", "maxrss"}
    if extra:
        errs.append(("escape", "files appeared beside out/: %s" % sorted(extra)))
    gen_list["work"].add(c["name"])
    if set(os.listdir(work)) - gen_list["work"]:
        errs.append(("escape", "files appeared in the work dir: %s" % sorted(set(os.listdir(work)) - gen_list["work"])))
    for e in c["evil"]:
        for p in ([e] if e.startswith("/") else [os.path.join(box, e), os.path.join(out, e),
                                                 os.path.join(cwd, e), os.path.join(work, e)]):
            if os.path.lexists(p):
                errs.append(("escape", "hostile entry written: %s" % p))
    # report
    rep = None
    try:
        with open(os.path.join(out, "report.json"), "rb") as f:
            rep = json.load(f)
    except (OSError, ValueError) as ex:
        if not timed_out and c["exit"] != 1:
            errs.append(("report", "no readable report.json: %s" % ex))
    if rep is not None:
        pr = c["problem"]
        if pr is not None:
            rx = re.compile(pr["message"], re.I)
            hits = [p for p in rep.get("problems", [])
                    if pr["file"] in (p.get("file") or "") and rx.search(p.get("message") or "")]
            if not hits:
                where = stage_mentions(rep, pr)
                errs.append(("problem-stage" if where else "problem",
                             "no problem with file~%r message~/%s/ in problems (%d entries)%s"
                             % (pr["file"], pr["message"], len(rep.get("problems", [])), where)))
            elif pr["located"] and not any("offset" in p or "line" in p for p in hits):
                errs.append(("problem", "problem %r has neither offset nor line" % hits[0].get("message")))
        if c["finding"] is not None:
            classes = [f.get("class") for f in rep.get("findings", [])]
            if c["finding"] not in classes:
                errs.append(("finding", "finding %s missing (have %s)" % (c["finding"], classes)))
    bound = base[0] + base[1] * c["input_bytes"]
    if rss > bound:
        errs.append(("memory", "peak RSS %.1f MiB > bound %.1f MiB (input %d bytes)"
                     % (rss / 2**20, bound / 2**20, c["input_bytes"])))
    return errs, secs, rss


def stage_mentions(rep, pr):
    """Where else the damage was located (stage lists that do not feed problems)."""
    rx = re.compile(pr["message"], re.I)
    st = rep.get("stages", {})
    found = []
    for c in (st.get("wal") or {}).get("wals", []) if isinstance(st.get("wal"), dict) else []:
        for x in c.get("corruptions", []):
            if pr["file"] in x.get("segment", "") and rx.search(x.get("message", "") + " " + x.get("kind", "")):
                found.append("stages.wal.corruptions[%s @%s: %s]" % (x.get("segment"), x.get("fragment_offset"), x.get("message")))
        for x in c.get("notes", []):
            if pr["file"] in x.get("path", "") and rx.search(x.get("message", "")):
                found.append("stages.wal.notes[%s: %s]" % (x.get("path"), x.get("message")))
    ts = st.get("tsdb") if isinstance(st.get("tsdb"), dict) else {}
    for x in ts.get("problems", []):
        if pr["file"] in x.get("file", "") and rx.search(x.get("message", "") + " " + x.get("check", "")):
            found.append("stages.tsdb.problems[%s @%s: %s]" % (x.get("file"), x.get("offset"), x.get("message")))
    return "; located only in " + ", ".join(found[:2]) if found else ""


def main():
    binary, gendir, work = sys.argv[1:4]
    only = set(sys.argv[4:])
    binary = os.path.abspath(binary)
    asan = is_asan(binary)
    # ASan: redzones, shadow and a 256 MiB quarantine of freed blocks make RSS
    # several times the plain build's (100k entries: 2.1 GiB vs 460 MiB), so
    # the ASan bound is looser; the plain run is the real memory check.
    base, k = ((256 << 20), 48) if asan else ((48 << 20), K)
    sup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
    if asan and "suppressions=" not in os.environ.get("LSAN_OPTIONS", ""):
        os.environ["LSAN_OPTIONS"] = (os.environ.get("LSAN_OPTIONS", "") + ":suppressions=" + sup).lstrip(":")
    with open(os.path.join(gendir, "cases.json")) as f:
        cases = json.load(f)["cases"]
    known = {}
    kf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "known_failures.txt")
    if os.path.exists(kf):
        for ln in open(kf):
            ln = ln.strip()
            if ln and not ln.startswith("#"):
                f = ln.split(None, 2)
                known[f[0]] = (set(f[1].split(",")), f[2] if len(f) > 2 else "")
    os.makedirs(work, exist_ok=True)
    gen_before = listing(gendir)
    gen_list = {"work": set(os.listdir(work))}
    fails, kfails, fixed = [], [], []
    total = 0.0
    print("hostile: %d cases, %s build, memory bound %d MiB + %d x input"
          % (len(cases), "ASan" if asan else "plain", base >> 20, k))
    for c in cases:
        if only and c["name"] not in only:
            continue
        errs, secs, rss = check_case(c, binary, gendir, work, (base, k), gen_list)
        total += secs
        kcat = known.get(c["name"], (set(), ""))[0]
        new = [e for e in errs if e[0] not in kcat]
        tag = "ok"
        if new:
            tag = "FAIL"
            fails.append(c["name"])
        elif errs:
            tag = "KNOWN"
            kfails.append(c["name"])
        elif kcat:
            tag = "FIXED?"
            fixed.append(c["name"])
        print("  %-6s %-30s %6.2f s %7.1f MiB  in %8.1f KiB" % (tag, c["name"], secs, rss / 2**20,
                                                                  c["input_bytes"] / 1024))
        for cat, msg in errs:
            print("         - %s%s: %s" % ("known " if cat in kcat else "", cat, msg))
    if listing(gendir) != gen_before:
        print("FAIL: the generated bundles changed during the runs")
        fails.append("(gendir)")
    print("hostile: %d cases in %.1f s: %d failed, %d known failures, %d known failures now passing"
          % (len(cases) if not only else len(only), total, len(fails), len(kfails), len(fixed)))
    if fails:
        print("failed: " + " ".join(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
