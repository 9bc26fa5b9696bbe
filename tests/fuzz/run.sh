#!/bin/bash
# run.sh [TARGET...] — builds the libFuzzer targets (tests/fuzz/Makefile, clang, into build-fuzz/)
# and runs each one for a bounded time, one after the other, then prints a summary: executions,
# coverage, corpus size and whether it found anything. Inputs that crash, leak, time out or run
# out of memory are written to tests/fuzz/crashes/<target>-<kind>-<hash> for triage: reproduce
# with `build-fuzz/fuzz_<target> FILE`, fix, then move the file to tests/fuzz/regressions/<target>/
# so `make test` replays it forever. Exit status 1 when any target found something.
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 60); 0 = only replay the corpora once
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (default 10; the
#                  playbook, daemon and session targets get more, see SLOW below)
#   FUZZ_RSS_MB    memory ceiling in MiB (default 2048)
#   FUZZ_JOBS      make -j for the build (default 2)
#   FUZZ_ARGS      extra libFuzzer flags
# The growing corpus of each target lives in build-fuzz/corpus/<target>/ (kept between runs);
# the seeds in tests/fuzz/corpus/<target>/ and the regressions are read, never written.
# Not a CI scheduler: targets run sequentially in this process group, in the foreground.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
OUT=build-fuzz
SECONDS_EACH=${FUZZ_SECONDS:-60}
TIMEOUT=${FUZZ_TIMEOUT:-10}
RSS=${FUZZ_RSS_MB:-2048}
CRASHES=tests/fuzz/crashes

ALL=(inventory playbook template platform telnet vtnorm channel session daemon vlans sshfiles ansinv
     textfsm pyre textfsm_diff)
# Per-input time limits: the playbook and daemon targets evaluate templates up to the engine's
# budget (NA_TPL_MAX_STEPS), which takes seconds under ASan on pathological inputs.
declare -A SLOW=([playbook]=30 [daemon]=30 [session]=20 [textfsm]=20 [textfsm_diff]=30)
declare -A MAXLEN=([inventory]=8192 [playbook]=8192 [template]=2048 [platform]=8192
                   [telnet]=16384 [vtnorm]=16384 [channel]=16384 [session]=16384
                   [daemon]=8192 [vlans]=8192 [sshfiles]=8192 [ansinv]=8192 [textfsm]=8192
                   [pyre]=2048 [textfsm_diff]=2048)

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")
for t in "${targets[@]}"; do
    if [ ! -f "tests/fuzz/fuzz_$t.c" ]; then
        echo "run.sh: no target '$t' (have: ${ALL[*]})" >&2
        exit 2
    fi
done

command -v clang >/dev/null || { echo "run.sh: clang is missing (scripts/install-deps.sh --fuzz)" >&2; exit 2; }
echo "fuzz: building ${targets[*]} with clang into $OUT/"
bins=()
for t in "${targets[@]}"; do bins+=("$OUT/fuzz_$t"); done
make --no-print-directory -f tests/fuzz/Makefile -j"${FUZZ_JOBS:-2}" "${bins[@]}" \
    2>&1 | grep -v '^  CLANG' || true
for b in "${bins[@]}"; do
    [ -x "$b" ] || { echo "run.sh: build failed ($b)" >&2; exit 2; }
done
mkdir -p "$CRASHES" "$OUT/logs"

summary=()
found=0
for t in "${targets[@]}"; do
    work="$OUT/corpus/$t"
    mkdir -p "$work"
    dirs=("$work" "tests/fuzz/corpus/$t")
    [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
    tmo=$TIMEOUT
    [ -n "${SLOW[$t]:-}" ] && [ "${SLOW[$t]}" -gt "$tmo" ] && tmo=${SLOW[$t]}
    flags=(-max_len="${MAXLEN[$t]}" -timeout="$tmo" -report_slow_units="$tmo" -rss_limit_mb="$RSS"
           -artifact_prefix="$CRASHES/$t-" -print_final_stats=1 -close_fd_mask=3)
    [ -f "tests/fuzz/$t.dict" ] && flags+=(-dict="tests/fuzz/$t.dict")
    if [ "$SECONDS_EACH" = 0 ]; then
        flags+=(-runs=0)
    else
        flags+=(-max_total_time="$SECONDS_EACH")
    fi
    # shellcheck disable=SC2086
    flags+=(${FUZZ_ARGS:-})
    log="$OUT/logs/$t.log"
    before=$(ls "$CRASHES" 2>/dev/null | grep "^$t-" | grep -vc -- "-slow-unit-")
    echo "fuzz: $t for ${SECONDS_EACH}s (log $log)"
    "$OUT/fuzz_$t" "${flags[@]}" "${dirs[@]}" >"$log" 2>&1 </dev/null
    rc=$?
    after=$(ls "$CRASHES" 2>/dev/null | grep "^$t-" | grep -vc -- "-slow-unit-")
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
        found=1
        what=$(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+( [^ ]+)?|runtime error: .*|fuzz invariant failed: .*|ALARM: working on the last Unit for [0-9]+ seconds|out-of-memory \([^)]*\)' "$log" | head -1)
        art=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')
        summary+=("$(printf 'FOUND %-10s %10s runs  %-34s %s -> %s' "$t" "${runs:-?}" "${cov:-}" "${what:-exit $rc}" "${art:-?}")")
    else
        summary+=("$(printf 'ok    %-10s %10s runs  %s' "$t" "${runs:-?}" "${cov:-}")")
    fi
done

echo
echo "fuzz summary (${SECONDS_EACH}s per target):"
printf '  %s\n' "${summary[@]}"
if [ "$found" -ne 0 ]; then
    echo "new findings are in $CRASHES/ (reproduce: $OUT/fuzz_TARGET FILE)"
    exit 1
fi
echo "nothing found"
