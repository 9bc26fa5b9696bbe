#!/bin/bash
# run.sh BUILD [FILTER] — runs every test program and tallies TAP results. Unit tests
# ($BUILD/tests/unit/*), C end-to-end tests ($BUILD/tests/e2e/*) and Python end-to-end tests
# (tests/e2e/test_*.py, run with Debian's /usr/bin/python3) all print TAP ("ok N - name" /
# "not ok N - name"). A program that crashes or prints no result counts as a failure. The last
# line is always "N passed, N failed". Not a test framework: cmocka and tests/e2e/tap.py are.
#
# Environment: VALGRIND=1 runs C test programs under valgrind memcheck (and asks e2e tests to
# wrap the netauto binaries they start); TEST_TIMEOUT (seconds per program, default 900).
#
# Sanitized builds (make asan): every ASan/LSan/UBSan report, from the test program or from any
# netauto, netautod or netauto-sim it starts (whose stderr a test may swallow), is written to
# $BUILD/test-logs/sanitizer/NAME.PID and fails that test program; exit status 98.
set -u
BUILD=${1:-build}
FILTER=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
export NETAUTO_BUILD="$ROOT/$BUILD"
export NETAUTO_ROOT="$ROOT"
export CMOCKA_MESSAGE_OUTPUT=TAP
TIMEOUT=${TEST_TIMEOUT:-900}
PY=/usr/bin/python3

WRAP=()
if [ "${VALGRIND:-0}" = 1 ]; then
    WRAP=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
          --suppressions="$ROOT/tests/valgrind.supp"
          --show-leak-kinds=definite --track-fds=no)
    export NETAUTO_WRAP="${WRAP[*]}"
fi

passed=0
failed=0
failed_names=()
logdir="$ROOT/$BUILD/test-logs"
mkdir -p "$logdir/sanitizer"

run_one() { # name, command...
    local name=$1; shift
    local log="$logdir/$name.log"
    local t0 t1
    local san="$logdir/sanitizer/$name"
    rm -f "$san".*
    export ASAN_OPTIONS="log_path=$san:exitcode=98"
    export LSAN_OPTIONS="exitcode=98"
    export UBSAN_OPTIONS="log_path=$san:exitcode=98:print_stacktrace=1"
    t0=$(date +%s.%N)
    timeout --kill-after=10 "$TIMEOUT" "$@" >"$log" 2>&1
    local rc=$?
    t1=$(date +%s.%N)
    local ok nok
    ok=$(grep -cE '^ok [0-9]+' "$log")
    nok=$(grep -cE '^not ok [0-9]+' "$log")
    local note=""
    local reports=("$san".*)
    if [ -e "${reports[0]}" ]; then
        { echo "# sanitizer reports (${reports[*]}):"; cat "${reports[@]}" | sed 's/^/# /'; } >>"$log"
        nok=$((nok + 1))
        note=" (sanitizer report)"
    fi
    if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
        nok=1
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then note=" (timed out after ${TIMEOUT}s)";
        else note=" (exit status $rc)"; fi
    fi
    if [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ]; then
        nok=1
        note=" (ran no test)"
    fi
    passed=$((passed + ok))
    failed=$((failed + nok))
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
    if [ "$nok" -gt 0 ]; then
        printf 'FAIL %-40s %3d passed %3d failed %6ss%s\n' "$name" "$ok" "$nok" "$secs" "$note"
        failed_names+=("$name")
        grep -E '^not ok|^# ' "$log" | grep -vE '^# (ok|passed|skip)' | head -40 | sed 's/^/     /'
        [ "$nok" -gt 0 ] && [ -n "$note" ] && tail -20 "$log" | sed 's/^/     | /'
    else
        printf 'ok   %-40s %3d passed %6ss\n' "$name" "$ok" "$secs"
    fi
}

matches() { [ -z "$FILTER" ] || [[ "$1" == *"$FILTER"* ]]; }

for t in "$BUILD"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    n=unit/$(basename "$t")
    matches "$n" && run_one "${n//\//_}" "${WRAP[@]}" "$t"
done
for t in "$BUILD"/tests/e2e/test_*; do
    [ -x "$t" ] || continue
    n=e2e/$(basename "$t")
    matches "$n" && run_one "${n//\//_}" "${WRAP[@]}" "$t"
done
for t in tests/e2e/test_*.py; do
    [ -f "$t" ] || continue
    n=e2e/$(basename "$t" .py)
    matches "$n" && run_one "${n//\//_}" "$PY" "$t"
done

if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failed: ${failed_names[*]} (logs in $BUILD/test-logs/)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
