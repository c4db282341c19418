#!/bin/sh
# promsight tsdb on archives: the corpus receiver TSDB packed as tar.gz and
# tar (with a .tmp-for-creation directory) must give the same list,
# analyze (with full decoding) and verify results as the directory, read
# through the bundle layer without extracting anything.
set -eu
: "${PROMSIGHT:?}" "${PS_SHARED:=../shared}"
L="$PS_SHARED/corpus/lab-2026-11-24"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
mkdir -p "$T/src"
cp -r "$L/thanos-receive-0/default-tenant" "$T/src/"
chmod -R u+w "$T/src"
mkdir "$T/src/default-tenant/01M865C8QQT63VJQ680HVCMJ3G.tmp-for-creation"
tar -C "$T/src" -czf "$T/b.tar.gz" default-tenant
tar -C "$T/src" -cf "$T/b.tar" default-tenant
"$PROMSIGHT" tsdb list "$T/src/default-tenant" > "$T/list.dir"
"$PROMSIGHT" tsdb analyze --extended --limit 0 "$T/src/default-tenant" |
    grep -v '^TSDB \|head chunks\|not-shipped\|incomplete' > "$T/an.dir"
for a in b.tar.gz b.tar; do
    "$PROMSIGHT" tsdb list "$T/$a" > "$T/list.$a"
    cmp -s "$T/list.dir" "$T/list.$a" || { echo "FAIL list $a"; diff "$T/list.dir" "$T/list.$a"; fail=1; }
    "$PROMSIGHT" tsdb analyze --extended --limit 0 "$T/$a" |
        grep -v '^TSDB \|head chunks\|not-shipped\|incomplete' > "$T/an.$a"
    cmp -s "$T/an.dir" "$T/an.$a" || { echo "FAIL analyze $a"; diff "$T/an.dir" "$T/an.$a" | head; fail=1; }
    "$PROMSIGHT" tsdb verify --format json "$T/$a" > "$T/v.$a"
    grep -q '"check": "tsdb/not-shipped"' "$T/v.$a" || { echo "FAIL $a: not-shipped"; fail=1; }
    grep -q "$a:default-tenant/01M865C8QQT63VJQ680HVCMJ3G.tmp-for-creation" "$T/v.$a" ||
        { echo "FAIL $a: tmp-for-creation not reported"; fail=1; }
    grep -q '"path": ".*chunks_head/000009"' "$T/v.$a" || { echo "FAIL $a: head chunks not read"; fail=1; }
    [ $fail -eq 0 ] && echo "ok   $a"
done
exit $fail
