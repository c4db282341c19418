#!/bin/sh
# Determinism: the same content as a directory, a tar.gz (entries in
# reverse order), a tar.zst and a zip gives byte-identical report.json and
# report.md, and a second run gives the same bytes again.
set -eu
C="$PS_SHARED/corpus/lab-2026-11-24"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
N=lab-2026-11-24
(cd "$C" && find . -type f | sort -r | tar -czf "$T/$N.tar.gz" -T -)
tar -C "$C" --zstd -cf "$T/$N.tar.zst" .
(cd "$C" && zip -qr "$T/$N.zip" .)
run() { # src out
    "$PROMSIGHT" analyze "$1" -o "$2" --format json,md --fail-on none -q
}
run "$C" "$T/dir"
run "$C" "$T/dir2"
for a in tar.gz tar.zst zip; do
    run "$T/$N.$a" "$T/$a"
done
for d in dir2 tar.gz tar.zst zip; do
    for f in report.json report.md; do
        cmp "$T/dir/$f" "$T/$d/$f" || { echo "$f differs for $d"; diff "$T/dir/$f" "$T/$d/$f" | head -20; exit 1; }
    done
done
echo "determinism: dir, tar.gz, tar.zst, zip and a rerun agree byte for byte"
