#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# inventory_hostile.sh - `promsight inventory` on hostile and damaged
# bundles built here with Python's tarfile/zipfile and gzip(1):
#  * "../evil", "/abs", symlink, hardlink, fifo entries are listed unsafe,
#    never read, and nothing is created outside the temp dir,
#  * a misnamed file (a log stored as wal/00000001) is classified by content
#    with a note,
#  * a gzip'd run of zeros stops with a "limit" diagnostic (exit 0, listing
#    incomplete) quickly,
#  * a truncated tar.gz lists what it can with an error diagnostic (exit 0),
#  * a directory with a symlink to outside is not followed.
set -eu
: "${PROMSIGHT:?}"
case $PROMSIGHT in /*) ;; *) PROMSIGHT=$(pwd)/$PROMSIGHT ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/ps-invh-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
mkdir "$T/cwd"

python3 - "$T" <<'EOF2'
import io, sys, tarfile, zipfile
T = sys.argv[1]
def add(t, name, data=b"", typ=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name); ti.type = typ; ti.linkname = link
    ti.size = len(data) if typ == tarfile.REGTYPE else 0; ti.mtime = 1795502084
    t.addfile(ti, io.BytesIO(data) if ti.size else None)
with tarfile.open(T + "/hostile.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as t:
    add(t, "ok/readme.txt", b"hello\n")
    add(t, "../evil.txt", b"evil\n")
    add(t, "/tmp/abs-evil.txt", b"evil\n")
    add(t, "lnk", typ=tarfile.SYMTYPE, link="/etc/shadow")
    add(t, "hl", typ=tarfile.LNKTYPE, link="ok/readme.txt")
    add(t, "fifo", typ=tarfile.FIFOTYPE)
    add(t, "dup.txt", b"1\n"); add(t, "dup.txt", b"2\n")
    add(t, "p-0/data/wal/00000001", b"ts=2026-11-24T06:34:45Z level=info msg=misnamed\n")
with zipfile.ZipFile(T + "/hostile.zip", "w") as z:
    z.writestr("ok.txt", b"ok\n"); z.writestr("../zip-evil.txt", b"evil\n")
    z.writestr("/abs-zip.txt", b"evil\n")
EOF2

json() { (cd "$T/cwd" && "$PROMSIGHT" inventory --format json "$@"); }
json "$T/hostile.tar.gz" >"$T/h.json"
json "$T/hostile.zip" >"$T/z.json"
python3 - "$T" <<'EOF2'
import json, sys
T = sys.argv[1]
h = json.load(open(T + "/h.json")); z = json.load(open(T + "/z.json"))
e = {}
for x in h["entries"]:
    e.setdefault(x["raw_path"], x)
fail = []
def want(cond, msg):
    if not cond: fail.append(msg)
for raw in ("../evil.txt", "/tmp/abs-evil.txt", "lnk", "hl", "fifo"):
    want(raw in e and e[raw]["unsafe"], f"{raw} not unsafe")
want(e["lnk"]["type"] == "symlink" and e["lnk"]["link_target"] == "/etc/shadow", "symlink")
want(e["hl"]["type"] == "hardlink" and e["hl"]["link_target"] == "ok/readme.txt", "hardlink")
want(e["fifo"]["type"] == "device", "fifo type")
want(not e["ok/readme.txt"]["unsafe"], "readme unsafe")
want(sum(1 for x in h["entries"] if x["path"] == "dup.txt") == 2, "dup listed twice")
d = h["diagnostics"]
want(any("duplicate" in x["message"] for x in d), "no duplicate diagnostic")
want(sum(1 for x in d if x["code"] == "unsafe" and x["severity"] == "warning") >= 5, "unsafe diags")
w = e["p-0/data/wal/00000001"]
want(w["kind"] == "log" and w["by"] == "content", f"misnamed: {w['kind']} {w['by']}")
want(any(x["path"] == "p-0/data/wal/00000001" and "wal_segment" in x["message"] for x in d), "no mismatch note")
want(h["bundle"]["unsafe"] == 5 and h["bundle"]["complete"], f"bundle {h['bundle']}")
ze = {x["raw_path"]: x for x in z["entries"]}
want(ze["../zip-evil.txt"]["unsafe"] and ze["/abs-zip.txt"]["unsafe"] and not ze["ok.txt"]["unsafe"], "zip unsafe")
if fail:
    print("\n".join(fail)); sys.exit(1)
EOF2
[ ! -e "$T/evil.txt" ] && [ ! -e /tmp/abs-evil.txt ] && [ ! -e "$T/zip-evil.txt" ] || { echo "FAIL: something was extracted"; exit 1; }
[ -z "$(ls -A "$T/cwd")" ] || { echo "FAIL: files appeared in the working directory"; exit 1; }
"$PROMSIGHT" inventory "$T/hostile.tar.gz" >"$T/h.txt"
grep -q '^Unsafe entries' "$T/h.txt" && grep -q 'lnk -> /etc/shadow' "$T/h.txt" ||
    { echo "FAIL: text output lacks the unsafe list"; cat "$T/h.txt"; exit 1; }

# compression bomb: 64 MiB of zeros, gzip'd to ~64 KB
mkdir "$T/b" && head -c 67108864 /dev/zero >"$T/b/zeros.bin"
tar -C "$T/b" -czf "$T/bomb.tar.gz" zeros.bin && rm -rf "$T/b"
json "$T/bomb.tar.gz" >"$T/bomb.json"
python3 - "$T/bomb.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
assert not d["bundle"]["complete"], d["bundle"]
assert d["bundle"]["status"] == "limit", d["bundle"]
assert any(x["code"] == d["bundle"]["status"] and "ratio" in x["message"] for x in d["diagnostics"]), d["diagnostics"]
EOF2
# ... and passes with a raised ratio limit
json --max-ratio 100000 "$T/bomb.tar.gz" >"$T/bomb2.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['bundle']['complete'], d" "$T/bomb2.json"

# truncated archive: the entries before the cut are listed, an error
# diagnostic says where it ended, exit 0. The second entry is incompressible
# (256 KiB from os.urandom) so a cut 20000 bytes before the end is inside
# it, well after the first 64 KiB libarchive decompresses to open the stream.
python3 - "$T" <<'EOF2'
import io, os, sys, tarfile
T = sys.argv[1]
with tarfile.open(T + "/two.tar.gz", "w:gz") as t:
    for name, data in (("a.log", b"level=info msg=x\n"), ("noise.bin", os.urandom(262144))):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
b = open(T + "/two.tar.gz", "rb").read()
open(T + "/trunc.tar.gz", "wb").write(b[:len(b) - 20000])
EOF2
json "$T/trunc.tar.gz" >"$T/trunc.json"
python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert not d['bundle']['complete'], d['bundle']
assert [x['path'] for x in d['entries']] == ['a.log', 'noise.bin'], d['entries']
assert any(x['severity'] == 'error' for x in d['diagnostics']), d['diagnostics']" "$T/trunc.json"
# cut inside the first gzip block: not listable, read as one file, warned
head -c 100 "$T/two.tar.gz" >"$T/stub.tar.gz"
json "$T/stub.tar.gz" >"$T/stub.json"
python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
assert not d['bundle']['archive'] and d['entries'][0]['kind'] == 'archive', d
assert any(x['code'] == 'corrupt' and 'cannot be listed' in x['message'] for x in d['diagnostics']), d" "$T/stub.json"

# directory with a symlink to outside: listed, not followed
mkdir -p "$T/d/sub" && echo "level=info msg=x" >"$T/d/sub/a.log"
ln -s /etc "$T/d/etc-link"
json "$T/d" >"$T/d.json"
python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); p=[x['path'] for x in d['entries']]
assert p == ['etc-link','sub','sub/a.log'], p
assert d['entries'][0]['type'] == 'symlink' and d['entries'][0]['unsafe']" "$T/d.json"
echo "inventory_hostile: ok"
