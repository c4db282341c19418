#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# wal_oracle.sh - promtool (Prometheus 2.42) as the oracle for `promsight wal`.
#
# 1. Counts: each corpus WAL is copied into a temp dir d/wal/ and replayed
#    by `promtool tsdb dump d` (head replay of checkpoint + segments). The
#    distinct label sets and the sample lines it prints must equal
#    promsight's totals.head_series / totals.head_samples, and promsight's
#    raw sample count minus what it says the head drops (unknown refs, out
#    of order, duplicates) must equal head_samples.
# 2. Corruption: bytes of a copy of the agent WAL are damaged; promtool then
#    refuses with "corruption in segment ... at N: MSG".
# Also two WALs built from the corpus where the head drops samples (unknown
# refs; out-of-order and duplicate samples), so the drop counts are checked. promsight's first
#    repair-triggering corruption must carry the same N (prometheus_offset)
#    and MSG.
# Needs promtool and jq; skips (exit 0, with a message) without them.
set -eu
: "${PROMSIGHT:?}" "${PS_SHARED:=../shared}"
C="$PS_SHARED/corpus/lab-2026-11-24"
for t in promtool jq; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 0; }
done
[ -d "$C" ] || { echo "SKIP: no corpus at $C"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

counts() { # name srcwal
    d="$tmp/$1"
    mkdir -p "$d/wal"
    cp -R "$2/." "$d/wal/"
    chmod -R u+w "$d"
    promtool tsdb dump "$d" >"$d.dump" 2>"$d.err" || {
        echo "promtool failed on $1:"; cat "$d.err"; fail=1; return; }
    o_series=$(awk '{NF-=2; print}' "$d.dump" | sort -u | wc -l | tr -d ' ')
    o_samples=$(wc -l <"$d.dump" | tr -d ' ')
    "$PROMSIGHT" wal --format json "$d" >"$d.json"
    p_series=$(jq '.wals[0].totals.head_series' "$d.json")
    p_samples=$(jq '.wals[0].totals.head_samples' "$d.json")
    raw=$(jq '.wals[0].totals | .samples + .histograms - .unknown_ref_samples - .out_of_order_samples - .duplicate_samples' "$d.json")
    echo "$1: promtool series=$o_series samples=$o_samples; promsight head_series=$p_series head_samples=$p_samples (raw-dropped=$raw)"
    [ "$o_series" = "$p_series" ] || { echo "  MISMATCH series"; fail=1; }
    [ "$o_samples" = "$p_samples" ] || { echo "  MISMATCH samples"; fail=1; }
    [ "$raw" = "$p_samples" ] || { echo "  MISMATCH raw minus dropped"; fail=1; }
}

counts agent "$C/prometheus-agent-0/data/wal"
counts receive "$C/thanos-receive-0/default-tenant/wal"

# Differences promtool must agree with. (a) The receiver's segments 8 and 9
# without their checkpoint, renamed 0 and 1 (2.42 replays from segment 0
# when there is no checkpoint): most samples are for refs defined in the
# checkpoint, so the head drops them as unknown refs. (b) The agent segment
# twice (00000000 and a copy as 00000001): the second copy is all
# duplicates and out-of-order samples. In both cases head_samples must
# equal promtool's lines and the drops must be non-zero.
mkdir -p "$tmp/src_unknown" "$tmp/src_twice"
cp "$C/thanos-receive-0/default-tenant/wal/00000008" "$tmp/src_unknown/00000000"
cp "$C/thanos-receive-0/default-tenant/wal/00000009" "$tmp/src_unknown/00000001"
cp "$C/prometheus-agent-0/data/wal/00000000" "$tmp/src_twice/00000000"
cp "$C/prometheus-agent-0/data/wal/00000000" "$tmp/src_twice/00000001"
counts unknown_refs "$tmp/src_unknown"
jq -e '.wals[0].totals.unknown_ref_samples > 0' "$tmp/unknown_refs.json" >/dev/null ||
    { echo "  expected unknown refs"; fail=1; }
counts agent_twice "$tmp/src_twice"
jq -e '.wals[0].totals | .out_of_order_samples > 0 and .duplicate_samples > 0' \
    "$tmp/agent_twice.json" >/dev/null || { echo "  expected OOO and duplicates"; fail=1; }

# corrupt NAME OFFSET BYTES-as-printf | truncate NAME SIZE
damage() { # name how arg [bytes]
    d="$tmp/c_$1"
    mkdir -p "$d/wal"
    cp "$C/prometheus-agent-0/data/wal/00000000" "$d/wal/00000000"
    chmod u+w "$d/wal/00000000"
    case $2 in
    write) printf "$4" | dd of="$d/wal/00000000" bs=1 seek="$3" conv=notrunc 2>/dev/null ;;
    truncate) truncate -s "$3" "$d/wal/00000000" ;;
    esac
    if promtool tsdb dump "$d" >/dev/null 2>"$d.err"; then
        echo "$1: promtool found no corruption"; fail=1; return
    fi
    want=$(sed -n 's/.*corruption in segment [^ ]* at \([0-9]*: .*\)$/\1/p' "$d.err" | head -n1)
    "$PROMSIGHT" wal --format json "$d" >"$d.json"
    got=$(jq -r '[.wals[0].corruptions[] | select(.triggers_repair)][0] | "\(.prometheus_offset): \(.message)"' "$d.json")
    echo "$1: promtool '$want'; promsight '$got'"
    [ -n "$want" ] && [ "$want" = "$got" ] || { echo "  MISMATCH"; fail=1; }
}

damage checksum write 500000 '\377'
damage header_len write 32768 '\001\377\377'
damage crc_at_page_end write 65530 '\001'
damage padding write 1795813 '\001'   # page 54 is zero-padded from 26241
damage torn truncate 32768           # page 0 ends in a "first" fragment
damage torn_tail truncate 1000000    # mid-page: the tail reads as zeros
damage fragtype write 98304 '\007'

[ "$fail" -eq 0 ] && echo "wal oracle: all agree"
exit "$fail"
