#!/bin/sh
# make oracle (tsdb part): regenerate testdata/tsdb/ with promtool.
#   1. tests/bench/tsdb/gen-openmetrics.sh writes a small OpenMetrics file
#      (40 series x 300 samples every 30 s, one 10-scrape gap per family);
#   2. promtool tsdb create-blocks-from openmetrics turns it into blocks in
#      testdata/tsdb/om/ (two blocks: the file spans a 2 h boundary);
#   3. promtool's list, analyze --extended (all entries and top 20) and the
#      md5 of the sorted dump of every block go to testdata/tsdb/expected/.
# tests/cli/tsdb_testdata.sh checks promsight against those files. Block
# ULIDs change on every run, so `git diff` after this shows new ULIDs; the
# numbers in expected/ must not change unless promtool's behaviour did.
set -eu
cd "$(dirname "$0")/.."
command -v promtool >/dev/null || { echo "tsdb-oracle: promtool not installed" >&2; exit 1; }
D=testdata/tsdb
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sh tests/bench/tsdb/gen-openmetrics.sh 40 300 30 1795500000 1 > "$T/om.txt"
rm -rf "$D/om" "$D/expected"
mkdir -p "$D/om" "$D/expected"
promtool tsdb create-blocks-from openmetrics -q "$T/om.txt" "$D/om"
# promtool wants a writable DB directory with a wal/
cp -r "$D/om" "$T/db"
mkdir -p "$T/db/wal"
promtool --version 2>&1 | head -n 1 > "$D/expected/promtool-version.txt"
promtool tsdb list "$T/db" > "$D/expected/list.txt"
for b in "$D"/om/01*; do
    id=$(basename "$b")
    promtool tsdb analyze --extended --limit=1000000 "$T/db" "$id" > "$D/expected/analyze-$id.txt"
    promtool tsdb analyze --limit=20 "$T/db" "$id" > "$D/expected/analyze20-$id.txt"
    rm -rf "$T/one"; mkdir -p "$T/one/wal"; cp -r "$b" "$T/one/"
    promtool tsdb dump "$T/one" | LC_ALL=C sort | md5sum | cut -d' ' -f1 > "$D/expected/dump-$id.md5"
    promtool tsdb dump "$T/one" | wc -l | tr -d ' ' > "$D/expected/dump-$id.count"
done
echo "tsdb-oracle: regenerated $D ($(ls -d "$D"/om/01* | wc -l) blocks)"
