#!/bin/bash
# demo.sh BUILD — `make demo`: start four simulated IOS switches (build/netauto-sim) on the fixed
# ports of inventory/examples/lab.yaml, run playbooks/examples/vlans.yaml on them over SSH (with
# strict host-key checking) and again over Telnet, show the `show vlan brief` each switch returns
# with VLANs 2-5, check the switches' own state, and stop the simulator on the way out — also on
# failure or Ctrl-C — so nothing is left running. Not a test (tests/e2e/test_run_demo.py runs it).
#
# Files: BUILD/demo/state (the simulator's per-device host keys and startup-configs: keys stay,
# configs are reset at each demo), BUILD/demo/*.json (the runs' results), build/demo/known_hosts
# (what lab.yaml checks host keys against).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SIM=$BUILD/netauto-sim
NETAUTO=$BUILD/netauto
# tests run the demo under valgrind (make valgrind) with the wrapper in $NETAUTO_WRAP
read -r -a WRAP <<<"${NETAUTO_WRAP:-}"
TICKS=50 # tenths of a second to wait for the simulator to start (x3) or to stop
[ ${#WRAP[@]} -gt 0 ] && TICKS=300
DEMO=$BUILD/demo
INV=inventory/examples/lab.yaml
PB=playbooks/examples/vlans.yaml
BASE_PORT=30001 # below the kernel's ephemeral range (32768-), so no kernel-picked port collides
SIM_PID=

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
die() { echo "demo: $*" >&2; exit 1; }

stop_sim() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null
        for _ in $(seq "$TICKS"); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    SIM_PID=
}
trap stop_sim EXIT
trap 'exit 130' INT TERM

[ -x "$SIM" ] && [ -x "$NETAUTO" ] || die "build first: make (missing $SIM or $NETAUTO)"
cd "$ROOT" || exit 1
mkdir -p "$DEMO/state" "$ROOT/build/demo" || die "cannot create $DEMO"
rm -f "$DEMO/ready" "$DEMO/stats.json" "$DEMO"/state/*/startup-config   # every demo starts from factory defaults

say "starting 4 simulated switches (SSH and Telnet on 127.0.0.1:$BASE_PORT-$((BASE_PORT + 7)))"
"${WRAP[@]}" "$SIM" --devices 4 --base-port "$BASE_PORT" --state-dir "$DEMO/state" \
       --ready-file "$DEMO/ready" --inventory-out "$DEMO/sim-inventory.yaml" \
       --stats-file "$DEMO/stats.json" --log "$DEMO/sim.log" >"$DEMO/sim.out" 2>&1 &
SIM_PID=$!
for _ in $(seq $((TICKS * 3))); do
    [ -s "$DEMO/ready" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$DEMO/sim.out" >&2; die "the simulator did not start (ports $BASE_PORT-$((BASE_PORT + 7)) in use?)"; }
    sleep 0.1
done
[ -s "$DEMO/ready" ] || die "the simulator was not ready within $((TICKS * 3 / 10)) s"
sed 's/^/  /' "$DEMO/ready"
# lab.yaml checks host keys strictly against this file: the simulator's keys, stable across runs
cp "$DEMO/sim-inventory.yaml.known_hosts" "$ROOT/build/demo/known_hosts" || die "no known_hosts"

say "netauto run $PB -i $INV -v   (SSH)"
"${WRAP[@]}" "$NETAUTO" run "$PB" -i "$INV" -v --json "$DEMO/ssh.json"
ssh_rc=$?

say "netauto run $PB -i $INV --transport telnet   (the same switches over Telnet: already as wanted, nothing is sent)"
"${WRAP[@]}" "$NETAUTO" run "$PB" -i "$INV" --transport telnet --json "$DEMO/telnet.json"
telnet_rc=$?

say "the switches' own view (simulator statistics)"
kill -USR1 "$SIM_PID"
ok=1
for _ in $(seq "$TICKS"); do grep -q '"seq"' "$DEMO/stats.json" 2>/dev/null && break; sleep 0.1; done
for sw in sw1 sw2 sw3 sw4; do
    entry=$(grep -o "\"$sw\":{[^}]*}[^}]*}" "$DEMO/stats.json" 2>/dev/null)
    vlans=$(printf '%s' "$entry" | grep -o '"vlans":\[[0-9,]*\]' | sed 's/"vlans"://')
    logins=$(printf '%s' "$entry" | grep -o '"logins":{[^}]*}' | sed 's/"logins"://')
    saves=$(printf '%s' "$entry" | grep -o '"saves":[0-9]*' | sed 's/"saves"://')
    printf '  %s  vlans %s  logins %s  saves %s\n' "$sw" "$vlans" "$logins" "$saves"
    case $vlans in *"2,3,4,5"*) ;; *) ok=0 ;; esac
done

say "summary"
if [ "$ssh_rc" -eq 0 ] && [ "$telnet_rc" -eq 0 ] && [ "$ok" -eq 1 ]; then
    echo "  both runs succeeded; VLANs 2-5 exist on sw1-sw4 (results: $DEMO/ssh.json, $DEMO/telnet.json)"
    echo "  next: edit $PB, add --check or --diff, or point -i at your own inventory (docs/runner.md)"
    exit 0
fi
echo "  something failed: SSH run exit $ssh_rc, Telnet run exit $telnet_rc, VLANs on every switch: $ok" >&2
exit 1
