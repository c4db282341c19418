#!/bin/sh
# A bundle archive cut short (an interrupted download or copy) inside the
# WAL: the WAL statistics must cover every segment, and every complete
# fragment of the cut segment, that arrived - not be thrown away - and the
# cut must not be reported as WAL corruption (the WAL on the pod was fine;
# the archive broke). The bundle layer's located error and the WAL scan's
# warning say where the bundle stopped.
#
# testdata/wal/receive-cp7-seg8 (a real receiver WAL: checkpoint.00000007
# with one 64 KiB segment, then segment 00000008 of 192 KiB, 27500 samples,
# no corruption) as an uncompressed tar, cut at offsets inside the
# checkpoint segment, between the two, and inside 00000008.
set -eu
: "${PROMSIGHT:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
tar -C testdata/wal --format=ustar -cf "$T/w.tar" receive-cp7-seg8
full=$(stat -c %s "$T/w.tar")
"$PROMSIGHT" wal --format json "$T/w.tar" > "$T/full.json"
# offset of each segment's data in the tar (ustar: 512-byte header before it)
off_cp=$(python3 -c 'import sys,tarfile
t = tarfile.open(sys.argv[1])
print(" ".join(str(m.offset_data) + ":" + m.name for m in t.getmembers() if m.isfile()))' "$T/w.tar")
echo "tar: $full bytes; data at $off_cp"
for spec in $off_cp; do
    at=${spec%%:*}
    for delta in 100 40000 70000; do
        cut=$((at + delta))
        [ "$cut" -lt "$full" ] || continue
        head -c "$cut" "$T/w.tar" > "$T/cut.tar"
        rc=0
        "$PROMSIGHT" wal --format json "$T/cut.tar" > "$T/cut.json" 2> "$T/err.txt" || rc=$?
        r=$(python3 - "$T/cut.json" "$T/full.json" "$rc" "$T/err.txt" <<'PY'
import json, sys
cut, full, rc, err = sys.argv[1], sys.argv[2], int(sys.argv[3]), open(sys.argv[4]).read()
problems = []
if rc != 0:
    problems.append("exit status %d" % rc)
try:
    doc = json.load(open(cut))
    c = doc["wals"][0]
    err += "\n".join(doc.get("diagnostics", []))
except Exception as e:
    c = None
    problems.append("no WAL statistics (%s)" % e)
f = json.load(open(full))["wals"][0]
if c is not None:
    if c["totals"]["corruptions"] != 0:
        problems.append("the cut is reported as WAL corruption: %r" % c["corruptions"][:2])
    fs = {s["name"]: s for s in f["segments"]}
    for s in c["segments"]:
        w = fs.get(s["name"])
        if w is None:
            problems.append("unknown segment %s" % s["name"]); continue
        # a cut segment has at most the whole segment's records and samples
        for k in ("records_snappy", "samples", "series"):
            if s[k] > w[k]:
                problems.append("%s: %s %d > %d" % (s["name"], k, s[k], w[k]))
    if c["totals"]["samples"] > f["totals"]["samples"]:
        problems.append("more samples than the whole WAL")
    n = len(c["segments"])
if "could not be read to its end" not in err:
    problems.append("no warning that the bundle stopped early")
if "the rest of the archive is not read" not in err and "Truncated" not in err:
    problems.append("no located bundle error")
print("; ".join(problems) if problems else "ok %d segment(s), %d samples" % (n, c["totals"]["samples"]))
PY
)
        case $r in
        ok*) echo "ok   cut at $cut ($spec +$delta): $r" ;;
        *) echo "FAIL cut at $cut ($spec +$delta): $r"; fail=1 ;;
        esac
    done
done
# cut inside 00000008: the checkpoint is whole, and 00000008 keeps samples
seg8=$(echo "$off_cp" | tr ' ' '\n' | grep '/00000008$' | cut -d: -f1)
head -c $((seg8 + 100000)) "$T/w.tar" > "$T/cut8.tar"
"$PROMSIGHT" wal --format json "$T/cut8.tar" 2>/dev/null | python3 -c '
import json, sys
w = json.load(sys.stdin)["wals"][0]
s = {x["name"].split("/")[-1]: x for x in w["segments"]}
assert s["00000000"]["series"] > 0 and s["00000008"]["samples"] > 0, s
print("ok   cut inside 00000008: checkpoint %d series, 00000008 %d samples" %
      (s["00000000"]["series"], s["00000008"]["samples"]))' || { echo "FAIL cut inside 00000008"; fail=1; }
# analyze: no WAL corruption finding from the cut
mkdir -p "$T/rep"
"$PROMSIGHT" analyze -o "$T/rep" "$T/cut8.tar" > /dev/null 2>&1 || true
if grep -q '"wal.corruption"' "$T/rep/report.json"; then
    echo "FAIL analyze reports the cut as WAL corruption"; fail=1
else
    echo "ok   analyze: no wal.corruption finding for the cut"
fi
exit $fail
