#!/bin/sh
# Run every test built for one configuration.
#   tests/run-tests.sh OBJDIR SHARED
# Unit tests: OBJDIR/tests/test_* (cmocka). CLI tests: tests/cli/*.sh, run
# with PROMSIGHT=OBJDIR/promsight. Fuzz replay: OBJDIR/replay/replay_* over
# tests/fuzz/corpus/<name>/. Ends with one "N passed, N failed" line and
# exits non-zero if anything failed.
set -u
OBJDIR=$1
SHARED=${2:-../shared}
cd "$(dirname "$0")/.." || exit 1
export PS_SHARED="$SHARED"
export PROMSIGHT="$OBJDIR/promsight"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0
fail=0
failed=""
run() { # name, command...
    name=$1
    shift
    log="$OBJDIR/logs/$(echo "$name" | tr '/ ' '__').log"
    mkdir -p "$OBJDIR/logs"
    if "$@" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "  ok    $name"
    else
        fail=$((fail + 1))
        failed="$failed $name"
        echo "  FAIL  $name (log: $log)"
        tail -n 30 "$log" | sed 's/^/        /'
    fi
}
echo "== tests in $OBJDIR"
for t in "$OBJDIR"/tests/test_*; do
    [ -x "$t" ] || continue
    run "unit/$(basename "$t")" "$t"
done
for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    run "cli/$(basename "$t" .sh)" sh "$t"
done
# A subset under valgrind (plain build only: valgrind and ASan do not mix):
# the binary parsers and the stores, where an uninitialised read would hide.
case $OBJDIR in
*asan*) ;;
*)
    if command -v valgrind >/dev/null; then
        for t in "$OBJDIR"/tests/test_common "$OBJDIR"/tests/test_facts \
                 "$OBJDIR"/tests/test_redact "$OBJDIR"/tests/test_report \
                 "$OBJDIR"/tests/test_wal_* "$OBJDIR"/tests/test_tsdb_*; do
            [ -x "$t" ] || continue
            run "valgrind/$(basename "$t")" env PS_TEST_QUICK=1 valgrind -q --error-exitcode=99 \
                --leak-check=full --errors-for-leak-kinds=definite "$t"
        done
    fi
    ;;
esac
for r in "$OBJDIR"/replay/replay_*; do
    [ -x "$r" ] || continue
    name=${r##*/replay_}
    [ -d "tests/fuzz/corpus/$name" ] || continue
    run "fuzz-replay/$name" "$r" "tests/fuzz/corpus/$name"
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$OBJDIR: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
