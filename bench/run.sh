#!/bin/bash
# run.sh — `make bench`: every benchmark of docs/bench.md in one run, against the device simulator
# on loopback, then bench/report.py writes bench/RESULTS.md (medians with min and max, ratios).
# Not a test: nothing here asserts a speed; a run that fails (wrong output, exit status) is
# recorded as failed, shown in the results, and makes the exit status 1.
#
#   bench/run.sh BUILD_DIR
# Environment (all optional):
#   BENCH_RUNS=20        measured runs of the quick cases (show, push); fleet and latency take 3
#   BENCH_FLEET="100 1000 5000"   fleet sizes
#   BENCH_SECTIONS="show push fleet latency startup parse files cluster"   sections to run
#   BENCH_CLUSTER="96:2000:16 1000:0:64"   cluster cases, DEVICES:SLOW_BPS:TASKS (bench/cluster.py)
#   BENCH_ROUTES=100000  routes of the parse section's `show ip route`
#   BENCH_FILES_DEVICES=100   devices of the files section (a 20 MiB file to each at once)
#   BENCH_OUT=bench/RESULTS.md    where the results go (the raw measurements: RESULTS.jsonl)
#   BENCH_WINDOW=64      config window (lines in flight) of the pipelined runs
#   BENCH_NETMIKO_SLOW=1 also Netmiko with its default timing on 1,000 lines (about 2 minutes)
#   BENCH_RT=1           on a shared machine: run every section but the fleet at real-time
#                        priority (chrt -f; root), so other programs' work does not distort it
#
# As root it creates a network namespace for the whole run (its own loopback: other programs'
# traffic does not mix in, the sockets in use can be counted, and `tc netem` may add latency
# there), and deletes it at the end, also after a failure or Ctrl-C. Every process it starts is
# stopped the same way.
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# ---- outer level: the network namespace -------------------------------------------------------
if [ "${NETAUTO_BENCH_INNER:-}" != 1 ]; then
    NS=""
    rc=0
    if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1 &&
        ip netns add "netauto-bench-$$" 2>/dev/null; then
        NS="netauto-bench-$$"
        trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
        ip netns exec "$NS" ip link set lo up
        # The inner level gets its own process group; a signal here goes to all of it.
        NETAUTO_BENCH_INNER=1 NETAUTO_BENCH_NETNS="$NS" setsid ip netns exec "$NS" "$0" "$BUILD" &
        child=$!
        trap 'kill -TERM -- -"$child" 2>/dev/null; rc=130' INT TERM
        while kill -0 "$child" 2>/dev/null; do
            wait "$child" || { r=$?; [ "$rc" = 130 ] || rc=$r; }
        done
        exit "$rc"
    fi
    NETAUTO_BENCH_INNER=1 NETAUTO_BENCH_NETNS="" exec "$0" "$BUILD"
fi

# ---- inner level: the benchmarks ------------------------------------------------------------
PY=/usr/bin/python3
NETAUTO="$BUILD/netauto"
SIM="$BUILD/netauto-sim"
FLOOR="$BUILD/bench/floor"
MEASURE="$BUILD/bench/measure"
PROXY="$BUILD/bench/delayproxy"
SESSIONS="$BUILD/bench/sessions"
RUNS=${BENCH_RUNS:-20}
FLEET=${BENCH_FLEET:-"100 1000 5000"}
SECTIONS=${BENCH_SECTIONS:-"show push fleet latency startup parse files cluster"}
ROUTES=${BENCH_ROUTES:-100000}
OUT=${BENCH_OUT:-$ROOT/bench/RESULTS.md}
WINDOW=${BENCH_WINDOW:-64}
NS=${NETAUTO_BENCH_NETNS:-}

WORK=$(mktemp -d /tmp/netauto-bench.XXXXXX)
RES="$WORK/results.jsonl"
NOTES="$WORK/notes.txt"
: >"$RES"
: >"$NOTES"
PIDS=()
RT=()
NETEM=0
FAILS=0
T_START=$(date +%s)

stop_pid() { # stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; always reaped
    local p=$1 i
    kill -TERM "$p" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    local keep=() q
    for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

cleanup() {
    local p
    set +e
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$p"; done
    if [ "$NETEM" = 1 ]; then tc qdisc del dev lo root 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '[bench %4ds] %s\n' $(($(date +%s) - T_START)) "$*"; }
note() { echo "$*" >>"$NOTES"; }

need() {
    local f
    for f in "$@"; do
        [ -x "$f" ] || { echo "bench: $f is missing (run make first)" >&2; exit 1; }
    done
}
TFSM_BENCH="$BUILD/bench/tfsm_bench"
need "$NETAUTO" "$SIM" "$FLOOR" "$MEASURE" "$PROXY" "$SESSIONS" "$TFSM_BENCH"
has_verb() { "$NETAUTO" "$1" --help >/dev/null 2>&1; }

# start_sim NAME ARGS... -> SIM_PID, $WORK/NAME.ready, $WORK/NAME.yaml
start_sim() {
    local name=$1 i
    shift
    rm -f "$WORK/$name.ready"
    "${RT[@]+"${RT[@]}"}" "$SIM" --ready-file "$WORK/$name.ready" --inventory-out "$WORK/$name.yaml" "$@" \
        >"$WORK/$name.log" 2>&1 &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    for ((i = 0; i < 1200; i++)); do
        [ -s "$WORK/$name.ready" ] && return 0
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench: the simulator did not start:" >&2
    cat "$WORK/$name.log" >&2
    exit 1
}
port_of() { awk -v n="$2" -v c="$3" '$1 == n { print $c }' "$WORK/$1.ready"; } # NAME DEV COL

# m TAGS EXPECT OUTFILE [measure options] -- COMMAND...: one measured run, appended to $RES.
# EXPECT (may be empty) must appear in OUTFILE (the command's stdout) or the run counts as
# failed (rc 99).
m() {
    local tags=$1 expect=$2 outf=$3 line
    shift 3
    line=$("${RT[@]+"${RT[@]}"}" "$MEASURE" --tag "$tags" --stdout "$outf" --stderr "$outf.err" "$@")
    if [ -n "$expect" ] && [[ $line == *'"rc":0,'* ]] && ! grep -qF -- "$expect" "$outf"; then
        line=${line/\"rc\":0,/\"rc\":99,}
    fi
    if [[ $line != *'"rc":0,'* ]]; then
        FAILS=$((FAILS + 1))
        say "FAILED: $tags"
        head -c 2000 "$outf.err" >&2 || true
    fi
    echo "$line" >>"$RES"
}

floor_prefix=(-c 'terminal length 0' -c 'terminal width 511' -c enable)

# ---- 2. one-off show ------------------------------------------------------------------------
section_show() {
    say "show: one-off 'show vlan brief', SSH and Telnet"
    start_sim show --devices 1
    local inv="$WORK/show.yaml" ssh tel r t port tflag w
    ssh=$(port_of show sw1 4)
    tel=$(port_of show sw1 5)
    for t in ssh telnet; do
        if [ $t = ssh ]; then port=$ssh tflag=(); else port=$tel tflag=(--telnet); fi
        for ((r = 0; r <= RUNS; r++)); do
            w=$([ $r = 0 ] && echo true || echo false)
            local tag="\"section\":\"show\",\"case\":\"show vlan brief\",\"transport\":\"$t\",\"warmup\":$w"
            m "$tag,\"tool\":\"floor\"" "" "$WORK/o.floor" --sim-pid "$SIM_PID" --tool-json -- \
                "$FLOOR" --port "$port" "${tflag[@]}" "${floor_prefix[@]}" \
                -c 'show vlan brief' --expect 'VLAN Name'
            m "$tag,\"tool\":\"netauto show\"" "VLAN Name" "$WORK/o.netauto" --sim-pid "$SIM_PID" \
                -- "$NETAUTO" show -i "$inv" sw1 'show vlan brief' --transport $t
            if [ $r -le 3 ]; then
                m "$tag,\"tool\":\"Netmiko (fast_cli)\"" "" "$WORK/o.nm" --sim-pid "$SIM_PID" \
                    --tool-json -- "$PY" bench/netmiko_push.py --port "$port" "${tflag[@]}" \
                    --command 'show vlan brief' --expect 'VLAN Name' --fast
            fi
        done
    done
    stop_pid "$SIM_PID"
}

# ---- 3. config push -------------------------------------------------------------------------
section_push() {
    say "push: 100 and 1,000 config lines + show running-config"
    start_sim push --devices 1
    local inv="$WORK/push.yaml" ssh tel n r t port tflag w last pb lines tag nmruns
    ssh=$(port_of push sw1 4)
    tel=$(port_of push sw1 5)
    for n in 100 1000; do
        lines="$WORK/lines$n.txt"
        pb="$WORK/push$n.yaml"
        last="name bench-$((99 + n / 2))"
        "$PY" bench/gen.py lines $n "$lines"
        "$PY" bench/gen.py playbook "$lines" "$pb" "$last"
        for t in ssh telnet; do
            if [ $t = ssh ]; then port=$ssh tflag=(); else port=$tel tflag=(--telnet); fi
            say "push: $n lines over $t"
            nmruns=3
            for ((r = 0; r <= RUNS; r++)); do
                w=$([ $r = 0 ] && echo true || echo false)
                tag="\"section\":\"push\",\"case\":\"$n lines\",\"lines\":$n,\"transport\":\"$t\",\"warmup\":$w"
                m "$tag,\"tool\":\"floor\"" "" "$WORK/o.floor" --sim-pid "$SIM_PID" --tool-json -- \
                    "$FLOOR" --port "$port" "${tflag[@]}" "${floor_prefix[@]}" \
                    -c 'configure terminal' -f "$lines" -c end -c 'show running-config' \
                    --expect "$last"
                m "$tag,\"tool\":\"netauto run\"" "" "$WORK/o.run" --sim-pid "$SIM_PID" -- \
                    "$NETAUTO" run "$pb" -i "$inv" --transport $t
                m "$tag,\"tool\":\"netauto run --config-window $WINDOW\"" "" "$WORK/o.runw" \
                    --sim-pid "$SIM_PID" -- \
                    "$NETAUTO" run "$pb" -i "$inv" --transport $t --config-window "$WINDOW"
                if [ $r -le $nmruns ]; then
                    m "$tag,\"tool\":\"Netmiko (fast_cli)\"" "" "$WORK/o.nm" --sim-pid "$SIM_PID" \
                        --tool-json -- "$PY" bench/netmiko_push.py --port "$port" "${tflag[@]}" \
                        --lines "$lines" --expect "$last" --fast
                fi
            done
        done
        # Netmiko with its default timing (what its documentation shows): SSH only; it sleeps
        # 50 ms per config line by design, so 1,000 lines only with BENCH_NETMIKO_SLOW=1.
        if [ $n = 100 ] || [ "${BENCH_NETMIKO_SLOW:-0}" = 1 ]; then
            say "push: $n lines, Netmiko with default timing"
            for ((r = 1; r <= (n == 100 ? 3 : 1); r++)); do
                tag="\"section\":\"push\",\"case\":\"$n lines\",\"lines\":$n,\"transport\":\"ssh\",\"warmup\":false"
                m "$tag,\"tool\":\"Netmiko (defaults)\"" "" "$WORK/o.nm" --sim-pid "$SIM_PID" \
                    --tool-json -- "$PY" bench/netmiko_push.py --port "$ssh" --lines "$lines" \
                    --expect "$last"
            done
        else
            note "push: Netmiko with its default timing was not run on 1,000 lines (its send_config_set sleeps 50 ms per line: >= 50 s; BENCH_NETMIKO_SLOW=1 runs it once)."
        fi
    done
    stop_pid "$SIM_PID"
}

# ---- 4. fleet -------------------------------------------------------------------------------
# Per size: --forks 100 (the default) and --forks HIGH (every device at once up to 1,000; 2,000
# beyond, where the simulator's descriptors run out), a one-host run for the process's own
# baseline, and bench/sessions: N sessions on the driver all open at the same moment, for the
# memory one open session costs.
fleet_forks() {
    case $1 in
    100) echo "100" ;;
    1000) echo "100 1000" ;;
    *) echo "100 2000" ;;
    esac
}

section_fleet() {
    local vars="$WORK/vlans10.yaml" pb="$ROOT/playbooks/examples/vlans.yaml" n t r tag forks ns
    "$PY" bench/gen.py vlans10 "$vars"
    for n in $FLEET; do
        say "fleet: $n devices"
        start_sim fleet --devices "$n"
        for t in ssh telnet; do
            tag="\"section\":\"fleet\",\"devices\":$n,\"transport\":\"$t\",\"warmup\":false"
            for ((r = 1; r <= 3; r++)); do
                m "$tag,\"tool\":\"baseline\",\"case\":\"1 host\"" "" "$WORK/o.fleet" \
                    --sim-pid "$SIM_PID" -- "$NETAUTO" run "$pb" -i "$WORK/fleet.yaml" \
                    -e @"$vars" --transport $t --limit sw1
            done
            for forks in $(fleet_forks "$n"); do
                say "fleet: $n devices over $t, --forks $forks"
                for ((r = 1; r <= 3; r++)); do
                    m "$tag,\"tool\":\"netauto run\",\"case\":\"forks $forks\",\"forks\":$forks" \
                        "" "$WORK/o.fleet" --sim-pid "$SIM_PID" --sample-ms 5 --timeout 300 -- \
                        "$NETAUTO" run "$pb" -i "$WORK/fleet.yaml" -e @"$vars" --transport $t \
                        --forks "$forks"
                done
            done
            ns=$((n < 2000 ? n : 2000))
            say "fleet: $ns $t sessions open at once on the driver (bench/sessions)"
            for ((r = 1; r <= 3; r++)); do
                m "$tag,\"tool\":\"sessions\",\"case\":\"$ns open\",\"sessions\":$ns" "" \
                    "$WORK/o.sess" --sim-pid "$SIM_PID" --tool-json --timeout 300 -- \
                    "$SESSIONS" --ready "$WORK/fleet.ready" --known-hosts "$WORK/fleet.yaml.known_hosts" \
                    -n "$ns" $([ $t = telnet ] && echo --telnet)
            done
        done
        stop_pid "$SIM_PID"
    done
}

# ---- 5. latency -----------------------------------------------------------------------------
section_latency() {
    say "latency: 100-line push with 20 and 50 ms round trips"
    start_sim lat --devices 1
    local inv="$WORK/lat.yaml" ssh tel rtt r tag pb lines method pinv pssh ptel ppid
    ssh=$(port_of lat sw1 4)
    tel=$(port_of lat sw1 5)
    lines="$WORK/lines100.txt"
    pb="$WORK/push100.yaml"
    "$PY" bench/gen.py lines 100 "$lines"
    "$PY" bench/gen.py playbook "$lines" "$pb" "name bench-149"
    for rtt in 20 50; do
        method=proxy
        if [ -n "$NS" ] && tc qdisc add dev lo root netem delay "$((rtt / 2))ms" 2>/dev/null; then
            method=netem
            NETEM=1
            pinv=$inv pssh=$ssh
        else
            rm -f "$WORK/proxy.ready"
            "${RT[@]+"${RT[@]}"}" "$PROXY" --delay-ms "$((rtt / 2))" --map "0:$ssh" --map "0:$tel" \
                --ready "$WORK/proxy.ready" >"$WORK/proxy.log" 2>&1 &
            ppid=$!
            PIDS+=("$ppid")
            for ((r = 0; r < 200; r++)); do [ -s "$WORK/proxy.ready" ] && break; sleep 0.05; done
            pssh=$(sed -n 1p "$WORK/proxy.ready" | cut -d' ' -f1)
            ptel=$(sed -n 2p "$WORK/proxy.ready" | cut -d' ' -f1)
            pinv="$WORK/latproxy.yaml"
            "$PY" bench/gen.py proxyinv "$inv" "$pinv" "$pssh" "$ptel"
        fi
        say "latency: RTT $rtt ms added with $method"
        for ((r = 0; r <= 3; r++)); do
            local w
            w=$([ $r = 0 ] && echo true || echo false)
            tag="\"section\":\"latency\",\"rtt_ms\":$rtt,\"method\":\"$method\",\"case\":\"100 lines, RTT $rtt ms\",\"transport\":\"ssh\",\"warmup\":$w"
            m "$tag,\"tool\":\"netauto run (lockstep)\"" "" "$WORK/o.lat" --sim-pid "$SIM_PID" -- \
                "$NETAUTO" run "$pb" -i "$pinv" --transport ssh
            m "$tag,\"tool\":\"netauto run --config-window $WINDOW\"" "" "$WORK/o.lat" \
                --sim-pid "$SIM_PID" -- \
                "$NETAUTO" run "$pb" -i "$pinv" --transport ssh --config-window "$WINDOW"
            m "$tag,\"tool\":\"floor\"" "" "$WORK/o.floor" --sim-pid "$SIM_PID" --tool-json -- \
                "$FLOOR" --port "$pssh" "${floor_prefix[@]}" -c 'configure terminal' \
                -f "$lines" -c end -c 'show running-config' --expect "name bench-149"
        done
        if [ $method = netem ]; then
            tc qdisc del dev lo root
            NETEM=0
        else
            stop_pid "$ppid"
        fi
    done
    note "latency: round-trip time added with $method$([ $method = proxy ] && echo ' (bench/delayproxy: this kernel has no netem qdisc, or no network namespace could be made)')."
    stop_pid "$SIM_PID"
}

# ---- 6. start-up ----------------------------------------------------------------------------
section_startup() {
    say "start-up: netauto --version, netauto inventory on 10,000 hosts"
    local inv="$WORK/inv10000.yaml" r
    "$PY" bench/gen.py inventory 10000 "$inv"
    if command -v hyperfine >/dev/null 2>&1; then
        "${RT[@]+"${RT[@]}"}" hyperfine -N --style none --warmup 5 --runs 50 --export-json "$WORK/hf-version.json" \
            "$NETAUTO --version" >/dev/null
        "${RT[@]+"${RT[@]}"}" hyperfine -N --style none --warmup 2 --runs 10 --export-json "$WORK/hf-inventory.json" \
            "$NETAUTO inventory -i $inv" >/dev/null
    else
        note "start-up: hyperfine is not installed; timed by bench/measure instead."
    fi
    for ((r = 0; r <= 10; r++)); do
        local w
        w=$([ $r = 0 ] && echo true || echo false)
        m "\"section\":\"startup\",\"case\":\"netauto --version\",\"tool\":\"netauto\",\"warmup\":$w" \
            "netauto" "$WORK/o.v" -- "$NETAUTO" --version
        m "\"section\":\"startup\",\"case\":\"netauto inventory, 10,000 hosts\",\"tool\":\"netauto\",\"warmup\":$w" \
            "sw10000" "$WORK/o.inv" -- "$NETAUTO" inventory -i "$inv"
    done
}

# ---- 7. parsing -----------------------------------------------------------------------------
# A large IOS `show ip route` through bench/ip_route.textfsm: netauto's engine alone
# (bench/tfsm_bench: the CPU time of na_tfsm_parse), `netauto parse` start to exit (JSON records
# written), and python3-textfsm on the same template and text (bench/textfsm_parse.py: the CPU
# time of ParseText, and the whole process writing the same records as JSON). Both outputs are
# compared once: the runs only count when they hold the same records.
section_parse() {
    say "parse: a $ROUTES-route show ip route, netauto vs python3-textfsm"
    local txt="$WORK/routes.txt" tpl="$ROOT/bench/ip_route.textfsm" r w tag recs
    "$PY" bench/gen.py routes "$ROUTES" "$txt"
    "$NETAUTO" parse --template "$tpl" "$txt" >"$WORK/na.json"
    "$PY" bench/textfsm_parse.py "$tpl" "$txt" "$WORK/py.json" >/dev/null
    recs=$("$PY" -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(len(a) if a == b else -1)' "$WORK/na.json" "$WORK/py.json")
    if [ "$recs" -lt 0 ]; then
        note "parse: netauto's and python3-textfsm's records differ: the section is not measured."
        FAILS=$((FAILS + 1))
        return
    fi
    for ((r = 0; r <= 5; r++)); do
        w=$([ $r = 0 ] && echo true || echo false)
        tag="\"section\":\"parse\",\"case\":\"show ip route\",\"routes\":$ROUTES,\"records\":$recs,\"input_bytes\":$(stat -c %s "$txt"),\"warmup\":$w"
        m "$tag,\"tool\":\"netauto engine\"" "" "$WORK/o.eng" --tool-json -- \
            "$TFSM_BENCH" "$tpl" "$txt"
        m "$tag,\"tool\":\"netauto parse\"" "" "$WORK/o.na" -- \
            "$NETAUTO" parse --template "$tpl" "$txt"
        if [ $r -le 3 ]; then
            m "$tag,\"tool\":\"python3-textfsm\"" "" "$WORK/o.py" --tool-json -- \
                "$PY" bench/textfsm_parse.py "$tpl" "$txt" "$WORK/py.json"
        fi
    done
}

# ---- 8. files -------------------------------------------------------------------------------
# One `netauto put` sending a 20 MiB file to every simulated IOS device at once (--forks N), with
# the device's md5 before and after (as it always does) and with --verify none (the transfer
# and the rename only), against OpenSSH's scp run once per device, all in parallel (-O: the
# SCP protocol, what IOS speaks; password authentication like netauto's). Every run writes a
# new name, so each sends the whole file; the files are removed between runs (outside the
# measurement).
section_files() {
    local n=${BENCH_FILES_DEVICES:-100} mib=20 r w tag src="$WORK/files-src.bin"
    local state="$WORK/files-state"
    say "files: a $mib MiB file to $n devices at once: netauto put vs $n scp in parallel"
    start_sim files --devices "$n" --state-dir "$state"
    head -c $((mib << 20)) /dev/urandom >"$src"
    printf '#!/bin/sh\necho lab-pass-1\n' >"$WORK/askpass.sh"
    chmod 700 "$WORK/askpass.sh"
    cat >"$WORK/scp-fleet.sh" <<EOF
#!/bin/bash
# $n copies of OpenSSH's scp at once, one per device of the simulator; exit 1 if any fails
export SSH_ASKPASS="$WORK/askpass.sh" SSH_ASKPASS_REQUIRE=force DISPLAY=:0
pids=()
while read -r name pers addr port tport; do
    case \$name in '#'*) continue ;; esac
    scp -O -q -o PreferredAuthentications=password -o PubkeyAuthentication=no \\
        -o UserKnownHostsFile="$WORK/files.yaml.known_hosts" -o StrictHostKeyChecking=yes \\
        -P "\$port" "\$1" "admin@\$addr:\$2" </dev/null &
    pids+=(\$!)
done <"$WORK/files.ready"
rc=0
for p in "\${pids[@]}"; do wait "\$p" || rc=1; done
exit \$rc
EOF
    for ((r = 0; r <= 3; r++)); do
        w=$([ $r = 0 ] && echo true || echo false)
        tag="\"section\":\"files\",\"devices\":$n,\"mib\":$mib,\"case\":\"$n x $mib MiB\",\"warmup\":$w"
        m "$tag,\"tool\":\"netauto put\"" "" "$WORK/o.put" --sim-pid "$SIM_PID" --timeout 900 -- \
            "$NETAUTO" put -i "$WORK/files.yaml" all "$src" "flash:md5-$r.bin" --forks "$n"
        rm -f "$state"/*/flash/*
        m "$tag,\"tool\":\"netauto put --verify none\"" "" "$WORK/o.put" --sim-pid "$SIM_PID" \
            --timeout 900 -- "$NETAUTO" put -i "$WORK/files.yaml" all "$src" "flash:none-$r.bin" \
            --forks "$n" --verify none
        rm -f "$state"/*/flash/*
        m "$tag,\"tool\":\"scp -O (x$n in parallel)\"" "" "$WORK/o.scp" --sim-pid "$SIM_PID" \
            --timeout 900 -- bash "$WORK/scp-fleet.sh" "$src" "flash:scp-$r.bin"
        rm -f "$state"/*/flash/*
    done
    stop_pid "$SIM_PID"
    rm -rf "$state" "$src"
}

# ---- load from other programs ----------------------------------------------------------------
# CPU the whole machine was busy (/proc/stat) minus what this bench's processes used (the shell's
# reaped children, the simulator included): how many cores other programs took meanwhile.
cpu_busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
our_ticks() { # user+sys of this shell's reaped children, in 1/100 s ("times" must run here,
    # not in a subshell, hence the file)
    times >"$WORK/times"
    awk 'NR==2 { split($1,a,/[ms]/); split($2,b,/[ms]/); printf "%d\n", (a[1]*60+a[2]+b[1]*60+b[2])*100 }' "$WORK/times"
}
section_cluster() {
    say "cluster: api node + 1..3 workers on nats-server -js (bench/cluster.py)"
    if ! command -v nats-server >/dev/null 2>&1; then
        note "cluster: skipped: no nats-server (scripts/install-deps.sh installs it)."
        return 0
    fi
    if ! "$PY" bench/cluster.py "$BUILD" >>"$RES" 2>"$WORK/cluster.err"; then
        FAILS=$((FAILS + 1))
        note "cluster: a run failed: $(tail -c 300 "$WORK/cluster.err" | tr '\n' ' ')"
    fi
}

run_section() {
    local s=$1 b0 o0 t0 b1 o1 t1
    # BENCH_RT=1: the short, mostly idle sections run at real-time priority (SCHED_FIFO, every
    # process alike: simulator, floor, netauto, Netmiko) so other programs' CPU-bound work does
    # not sit between a reply and its reader; the fleet, which needs the CPU for seconds, never.
    RT=()
    if [ "${BENCH_RT:-0}" = 1 ] && [ "$s" != fleet ]; then
        RT=(chrt -f 10)
    fi
    b0=$(cpu_busy_ticks)
    our_ticks >"$WORK/o0"
    t0=$(date +%s.%N)
    "section_$s"
    b1=$(cpu_busy_ticks)
    our_ticks >"$WORK/o1"
    t1=$(date +%s.%N)
    o0=$(cat "$WORK/o0")
    o1=$(cat "$WORK/o1")
    awk -v s="$s" -v b=$((b1 - b0)) -v o=$((o1 - o0)) -v t0="$t0" -v t1="$t1" \
        -v hz="$(getconf CLK_TCK)" -v rt="$([ ${#RT[@]} -gt 0 ] && echo true || echo false)" \
        'BEGIN { w = t1 - t0; other = (b - o) / hz / w; if (other < 0) other = 0;
        printf "{\"section\":\"load\",\"of\":\"%s\",\"wall_s\":%.1f,\"ours_cores\":%.2f,\"other_cores\":%.2f,\"realtime\":%s}\n",
        s, w, o / hz / w, other, rt }' >>"$RES"
}

# ---- main -----------------------------------------------------------------------------------
say "work directory $WORK; network namespace ${NS:-none}"
if [ "${BENCH_RT:-0}" = 1 ]; then
    if [ "$(id -u)" = 0 ] && command -v chrt >/dev/null 2>&1 && chrt -f 10 true 2>/dev/null; then
        note "BENCH_RT=1: every section but the fleet ran at real-time priority (chrt -f 10: the simulator, the floor, netauto and Netmiko alike), so other programs' work on this shared machine did not get between a reply and its reader."
    else
        note "BENCH_RT=1 was asked for but real-time priority is not available (not root, or no chrt): normal priority."
        BENCH_RT=0
    fi
fi
if [ "$(nice)" != 0 ]; then
    note "run at scheduling priority nice $(nice) (processes of the benchmark, the simulator included)."
fi
if [ -z "$NS" ]; then
    note "run on the host's loopback (no network namespace: not root, or ip netns failed); socket counts are not available and other programs' traffic may mix in."
fi
for s in $SECTIONS; do
    case $s in
    show | push | latency)
        if ! has_verb "$([ $s = show ] && echo show || echo run)"; then
            note "$s: skipped: this netauto has no '$([ $s = show ] && echo show || echo run)' verb yet."
            continue
        fi
        ;;
    fleet)
        has_verb run || { note "fleet: skipped: this netauto has no 'run' verb yet."; continue; }
        ;;
    files)
        has_verb put || { note "files: skipped: this netauto has no 'put' verb yet."; continue; }
        command -v scp >/dev/null 2>&1 || { note "files: skipped: no scp (openssh-client)."; continue; }
        ;;
    esac
    run_section "$s"
done
say "writing $OUT"
QUOTE=() # the README quotes the latest summary of a default run
[ "$OUT" = "$ROOT/bench/RESULTS.md" ] && QUOTE=(--readme "$ROOT/README.md")
"$PY" bench/report.py --results "$RES" --notes "$NOTES" --work "$WORK" --build "$BUILD" \
    --elapsed $(($(date +%s) - T_START)) --window "$WINDOW" --netns "${NS:-}" --out "$OUT" \
    "${QUOTE[@]}"
cp "$RES" "${OUT%.md}.jsonl" # the raw measurements, one JSON line per process run
say "done in $(($(date +%s) - T_START)) s; $FAILS failed run(s)"
[ "$FAILS" = 0 ]
