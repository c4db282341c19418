#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# inventory_corpus.sh - `promsight inventory --format json` on the shared lab
# corpus as a directory, as .tar.zst (GNU tar --zstd) and as .zip (zip -qr):
#  * every regular file is classified (no "unknown"),
#  * kind counts and per-path kinds agree across the three forms,
#  * kind counts agree with counts computed here from the file names alone,
#  * labels (pod, tenant, tsdb_root, seq, checkpoint) on the TSDB files,
#  * nothing is opened for writing and nothing appears outside the temp dir
#    (strace when available, plus an empty working directory that must stay
#    empty),
#  * exit codes: 0 listed, 1 unopenable, 2 usage; --help on stdout.
set -eu
: "${PROMSIGHT:?}" "${PS_SHARED:?}"
case $PROMSIGHT in /*) ;; *) PROMSIGHT=$(pwd)/$PROMSIGHT ;; esac
C=$PS_SHARED/corpus/lab-2026-11-24
[ -d "$C" ] || { echo "no corpus at $C"; exit 1; }
C=$(cd "$C" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/ps-inv-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

CORPUS_PARENT=$(cd "$C/.." && pwd)
tar --zstd -cf "$T/lab.tar.zst" -C "$CORPUS_PARENT" lab-2026-11-24
(cd "$CORPUS_PARENT" && zip -qr "$T/lab.zip" lab-2026-11-24)

mkdir "$T/cwd"
run() { # out, bundle
    out=$1
    shift
    if command -v strace >/dev/null 2>&1; then
        # LeakSanitizer cannot run under ptrace: leaks are checked by the
        # runs below that are not traced
        (cd "$T/cwd" && ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -e trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,truncate,ftruncate \
            -o "$T/$out.strace" "$PROMSIGHT" inventory --format json "$@" >"$T/$out.json")
        # any file opened for writing, created, renamed or removed?
        if grep -E 'O_WRONLY|O_RDWR|O_CREAT|creat\(|mkdir|rename|unlink|truncate' "$T/$out.strace" |
            grep -v '/dev/null' | grep -v ENOENT | grep -q .; then
            echo "FAIL: $out: promsight wrote to the file system:"
            grep -E 'O_WRONLY|O_RDWR|O_CREAT|creat\(|mkdir|rename|unlink|truncate' "$T/$out.strace" | head
            exit 1
        fi
    else
        (cd "$T/cwd" && "$PROMSIGHT" inventory --format json "$@" >"$T/$out.json")
    fi
}
run dir "$C"
run tzst "$T/lab.tar.zst"
run zip "$T/lab.zip"
[ -z "$(ls -A "$T/cwd")" ] || { echo "FAIL: files appeared in the working directory"; exit 1; }

python3 - "$T" "$C" <<'EOF'
import json, os, re, sys
T, C = sys.argv[1], sys.argv[2]
forms = {f: json.load(open(os.path.join(T, f + ".json"))) for f in ("dir", "tzst", "zip")}
fail = []

def files(doc, strip):
    out = {}
    for e in doc["entries"]:
        if e["type"] != "file":
            continue
        p = e["path"]
        if strip:
            assert p.startswith("lab-2026-11-24/"), p
            p = p[len("lab-2026-11-24/"):]
        out[p] = e
    return out

per = {f: files(d, f != "dir") for f, d in forms.items()}
for f, d in forms.items():
    b = d["bundle"]
    if not b["complete"] or b["unsafe"] != 0:
        fail.append(f"{f}: bundle {b}")
    for p, e in per[f].items():
        if e["kind"] == "unknown":
            fail.append(f"{f}: {p} is unknown")
    if d["diagnostics"]:
        fail.append(f"{f}: unexpected diagnostics {d['diagnostics'][:3]}")

# same files, same kinds, same labels in all three forms
keys = ("kind", "size", "seq", "checkpoint")
for f in ("tzst", "zip"):
    if set(per[f]) != set(per["dir"]):
        fail.append(f"{f}: file set differs: {sorted(set(per[f]) ^ set(per['dir']))[:5]}")
    for p, e in per["dir"].items():
        o = per[f].get(p)
        if o is None:
            continue
        for k in keys:
            if o[k] != e[k]:
                fail.append(f"{f}: {p}: {k} {o[k]!r} != dir {e[k]!r}")
        for k in ("pod", "tenant"):
            if o[k] != e[k]:
                fail.append(f"{f}: {p}: {k} {o[k]!r} != dir {e[k]!r}")
    tf = {k: v["files"] for k, v in forms[f]["totals"].items()}
    td = {k: v["files"] for k, v in forms["dir"]["totals"].items()}
    if tf != td:
        fail.append(f"{f}: totals {tf} != dir {td}")

# independent counts from names on disk
ulid = r"[0-7][0-9A-HJKMNP-TV-Z]{25}"
rules = [
    ("wal_segment", r"(^|/)wal/\d{8}$"),
    ("checkpoint_segment", r"(^|/)wal/checkpoint\.\d+/\d+$"),
    ("block_meta", ulid + r"/meta\.json$"),
    ("block_index", ulid + r"/index$"),
    ("block_chunks", ulid + r"/chunks/\d+$"),
    ("block_tombstones", ulid + r"/tombstones$"),
    ("head_chunks", r"(^|/)chunks_head/\d+$"),
    ("shipper_meta", r"thanos\.shipper\.json$"),
    ("log", r"\.log$"),
    ("metric_dump", r"\.prom$"),
    ("api_json", r"(^|/)api/[^/]+\.json$"),
    ("config", r"\.ya?ml$"),
]
expect = {k: 0 for k, _ in rules}
names = []
for dp, dn, fn in os.walk(C):
    for n in fn:
        names.append(os.path.relpath(os.path.join(dp, n), C))
other = 0
for n in names:
    for k, rx in rules:
        if re.search(rx, n):
            expect[k] += 1
            break
    else:
        other += 1
got = {k: v["files"] for k, v in forms["dir"]["totals"].items()}
for k, v in expect.items():
    if got.get(k) != v:
        fail.append(f"count {k}: inventory {got.get(k)} != names {v}")
if got.get("text", 0) + got.get("unknown", 0) != other:
    fail.append(f"other files: {other} by name, inventory text {got.get('text')}")
if expect["wal_segment"] < 5 or expect["block_index"] < 6:
    fail.append(f"corpus smaller than expected: {expect}")

# labels on the TSDB files
for p, e in per["dir"].items():
    m = re.search(r"(^|/)wal/(\d{8})$", p)
    if m and e["seq"] != int(m.group(2)):
        fail.append(f"{p}: seq {e['seq']}")
    if p.startswith("thanos-receive-0/default-tenant/") and e["kind"] in (
            "wal_segment", "checkpoint_segment", "block_index", "block_meta",
            "block_chunks", "block_tombstones", "head_chunks", "shipper_meta"):
        if e["tenant"] != "default-tenant" or e["pod"] != "thanos-receive-0" \
                or e["tsdb_root"] != "thanos-receive-0/default-tenant":
            fail.append(f"{p}: labels {e['pod']} {e['tenant']} {e['tsdb_root']}")
    if p.startswith("prometheus-agent-0/data/wal/"):
        if e["tsdb_root"] != "prometheus-agent-0/data" or e["tenant"] is not None:
            fail.append(f"{p}: labels {e['tsdb_root']} {e['tenant']}")
    m = re.search(r"checkpoint\.(\d+)/", p)
    if m and e["checkpoint"] != int(m.group(1)):
        fail.append(f"{p}: checkpoint {e['checkpoint']}")

if fail:
    print("\n".join(fail[:40]))
    sys.exit(1)
print("ok:", {k: v for k, v in got.items() if v})
EOF

# untraced runs (leak checks under SAN=1): JSON again must be identical
"$PROMSIGHT" inventory --format json "$T/lab.zip" >"$T/zip2.json"
cmp -s "$T/zip.json" "$T/zip2.json" || { echo "FAIL: output not deterministic"; exit 1; }
"$PROMSIGHT" inventory --format json "$C" >"$T/dir2.json"
cmp -s "$T/dir.json" "$T/dir2.json" || { echo "FAIL: output not deterministic"; exit 1; }

# text output, exit codes, help
"$PROMSIGHT" inventory "$T/lab.tar.zst" >"$T/text.out"
grep -q '^Totals by kind' "$T/text.out" || { echo "FAIL: no totals in text output"; exit 1; }
grep -q 'wal_segment' "$T/text.out" || { echo "FAIL: text output"; exit 1; }
"$PROMSIGHT" inventory --help >"$T/help.out"
grep -q '^Usage: promsight inventory' "$T/help.out" || { echo "FAIL: --help"; exit 1; }
set +e
"$PROMSIGHT" inventory "$T/does-not-exist" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || { echo "FAIL: missing bundle exit $rc, want 1"; exit 1; }
"$PROMSIGHT" inventory >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: no bundle exit $rc, want 2"; exit 1; }
"$PROMSIGHT" inventory --format xml "$C" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: bad format exit $rc, want 2"; exit 1; }
"$PROMSIGHT" inventory --bogus "$C" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: bad option exit $rc, want 2"; exit 1; }
set -e
echo "inventory_corpus: ok"
