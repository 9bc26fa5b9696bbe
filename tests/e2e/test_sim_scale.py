"""test_sim_scale.py — netauto-sim at scale: 1,000 devices (2,000 listeners) start in one
process, and 200 concurrent SSH sessions to 200 different devices (bench/simload: libssh2,
non-blocking, one poll loop) all complete login + terminal length 0 + show vlan brief. The
simulator's CPU seconds and memory per session (from /proc) are printed as diagnostics; the
only timing assertion is a generous "ended within its deadline". Under valgrind
($NETAUTO_WRAP) the device count is reduced so the run stays within the test timeout."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simproc import Sim, build_dir  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
wrapped = bool(os.environ.get("NETAUTO_WRAP"))
DEVICES, SESSIONS = (100, 50) if wrapped else (1000, 200)

t0 = time.monotonic()
with Sim(["--devices", str(DEVICES)], timeout=600 if wrapped else 120) as sim:
    startup = time.monotonic() - t0
    t.eq(len(sim.devices), DEVICES, "%d devices started in one process (ready after %.2f s)"
         % (DEVICES, startup))
    ports = {p for d in sim.order for p in (d.ssh_port, d.telnet_port)}
    t.eq(len(ports), 2 * DEVICES, "every device has its own SSH and Telnet port")
    with open("/proc/%d/status" % sim.proc.pid) as f:
        rss = [l for l in f if l.startswith("VmRSS")][0].split()[1]
    t.diag("simulator RSS with %d idle devices: %s KiB" % (DEVICES, rss))
    load = os.path.join(build_dir(), "bench", "simload")
    r = subprocess.run([load, "--ready", sim.ready, "-n", str(SESSIONS), "--pid",
                        str(sim.proc.pid), "--timeout", "600" if wrapped else "120", "-q"],
                       capture_output=True, timeout=900)
    out = r.stdout.decode()
    t.diag(out.strip())
    m = re.search(r"summary: (\d+) ok, (\d+) failed", out)
    t.ok(r.returncode == 0 and m and int(m.group(1)) == SESSIONS,
         "%d concurrent SSH sessions to different devices: login + show vlan brief" % SESSIONS,
         out + r.stderr.decode())
    st = sim.stats()["devices"]
    logged = sum(1 for d in st.values() if d["logins"]["ssh"] == 1)
    t.eq(logged, SESSIONS, "the simulator counted one SSH login on each of %d devices" % SESSIONS)
    t.eq(max(d["max_concurrent_sessions"] for d in st.values()), 1,
         "each device had one session (they went to different devices)")
    t.eq(sim.stop(), 0, "simulator stops cleanly")
t.done()
