#!/bin/bash
# check-wrap.sh [BUILD] [FILTER] — proves that every test starts netauto, netautod and
# netauto-sim through $NETAUTO_WRAP (how `make valgrind` puts valgrind in front of the binaries
# the end-to-end tests start). It runs the test suite against build-wrapcheck/, a shadow of BUILD
# (default build) whose three binaries are guards that fail at once with "started without
# $NETAUTO_WRAP", and sets NETAUTO_WRAP to a wrapper that runs the real binary instead. A test
# that starts one of them directly fails; the others pass as usual. Not valgrind itself: it
# checks only that valgrind would be in front. Build first (make).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
FILTER=${2:-}
case $BUILD in /*) REAL=$BUILD ;; *) REAL=$ROOT/$BUILD ;; esac
SHADOW=$ROOT/build-wrapcheck
for b in netauto netautod netauto-sim; do
    [ -x "$REAL/$b" ] || { echo "check-wrap: $REAL/$b missing: run make first" >&2; exit 2; }
done

rm -rf "$SHADOW"
mkdir -p "$SHADOW"
for f in "$REAL"/*; do
    n=$(basename "$f")
    case $n in netauto|netautod|netauto-sim|test-logs) continue ;; esac
    ln -s "$f" "$SHADOW/$n"
done
for b in netauto netautod netauto-sim; do
    cat >"$SHADOW/$b" <<EOF
#!/bin/sh
echo "check-wrap: \$0 started without \\\$NETAUTO_WRAP (\$*)" >&2
exit 97
EOF
    chmod +x "$SHADOW/$b"
done
cat >"$SHADOW/wrap" <<EOF
#!/bin/sh
# \$NETAUTO_WRAP for check-wrap.sh: run the real binary behind a guard
exe=\$1; shift
case \$exe in
    "$SHADOW"/netauto|"$SHADOW"/netautod|"$SHADOW"/netauto-sim) exe="$REAL/\${exe##*/}" ;;
esac
exec "\$exe" "\$@"
EOF
chmod +x "$SHADOW/wrap"

cd "$ROOT" || exit 2
NETAUTO_WRAP="$SHADOW/wrap" tests/run.sh build-wrapcheck "$FILTER"
rc=$?
if grep -l "started without" "$SHADOW"/test-logs/*.log 2>/dev/null; then
    echo "check-wrap: the tests above start a netauto binary without \$NETAUTO_WRAP" >&2
    rc=1
fi
exit $rc
