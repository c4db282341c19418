#!/bin/sh
# Compare promtool-format 'tsdb analyze' outputs (used by the tsdb CLI tests).
#   compare-analyze.sh PROMTOOL_FULL PROMSIGHT_FULL [PROMTOOL_20 PROMSIGHT_20]
# *_FULL were made with no effective limit (every entry of every list):
# the header and the --extended fullness histogram must be identical and
# each top list equal as a multiset of "count name" lines (promtool orders
# equal counts arbitrarily: Go's unstable sort over map order). *_20 (the
# default limit) must list the same sequence of counts. Exit 1 on a
# difference, printing it.
set -eu
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
split_sections() { # file outdir: one file per section
    mkdir -p "$2"
    awk -v d="$2" 'BEGIN{f=d"/00-header"; n=0}
        /^$/ {next}
        /:$/ && !/^[0-9]/ {n++; s=$0; gsub(/[^A-Za-z0-9-]/,"_",s); f=sprintf("%s/%02d-%s", d, n, s); printf "" > f; next}
        {print > f}' "$1"
}
split_sections "$1" "$W/pt"
split_sections "$2" "$W/ps"
if [ $# -ge 4 ]; then split_sections "$3" "$W/pt20"; split_sections "$4" "$W/ps20"; fi
fail=0
n=0
for f in "$W"/pt/*; do
    s=$(basename "$f")
    n=$((n + 1))
    if [ ! -f "$W/ps/$s" ]; then echo "section $s missing"; fail=1; continue; fi
    case $s in
    00-header|*Compaction*)
        cmp -s "$f" "$W/ps/$s" || { echo "$s differs:"; diff "$f" "$W/ps/$s" | head; fail=1; } ;;
    *)
        sort "$f" > "$W/a"; sort "$W/ps/$s" > "$W/b"
        cmp -s "$W/a" "$W/b" || { echo "$s differs as a multiset:"; diff "$W/a" "$W/b" | head; fail=1; }
        if [ -f "$W/pt20/$s" ]; then
            cut -d' ' -f1 "$W/pt20/$s" > "$W/a"; cut -d' ' -f1 "$W/ps20/$s" > "$W/b"
            cmp -s "$W/a" "$W/b" || { echo "$s: top-20 counts differ"; fail=1; }
        fi ;;
    esac
done
[ "$n" -ge 7 ] || { echo "only $n sections parsed"; fail=1; }
exit $fail
