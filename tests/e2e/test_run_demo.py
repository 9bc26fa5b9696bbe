"""test_run_demo.py — `make demo` (scripts/demo.sh) works and cleans up: both runs succeed, the
captured `show vlan brief` of every switch shows VLANs 2-5 with their names, the SSH run checks
host keys strictly (a second demo reuses the same keys), and no simulator is left running
afterwards. The demo uses fixed ports (inventory/examples/lab.yaml, 30001-30008); when another
program holds them the test is skipped rather than failed."""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simproc import build_dir  # noqa: E402
from tap import Tap  # noqa: E402

ROOT = os.environ.get("NETAUTO_ROOT", os.getcwd())
t = Tap()


def ports_free():
    for port in range(30001, 30009):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def sim_pid():
    try:
        with open(os.path.join(build_dir(), "demo", "ready")) as f:
            m = re.search(r"pid=(\d+)", f.readline())
            return int(m.group(1)) if m else None
    except OSError:
        return None


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie is gone for our purpose only once reaped; the demo reaps its child
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split()[2] == "Z"


def demo_once(n):
    p = subprocess.run([os.path.join(ROOT, "scripts", "demo.sh"), build_dir()], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    out = p.stdout.decode(errors="replace")
    t.ok(p.returncode == 0, "demo %d: exit 0" % n, out[-3000:] + p.stderr.decode()[-2000:])
    tables = re.findall(r"^--- (sw\d): show the VLANs\n(.*?)(?=^--- sw|^$)", out, re.M | re.S)
    t.eq(sorted(h for h, _ in tables), ["sw1", "sw2", "sw3", "sw4"],
         "demo %d: the VLAN table of every switch is shown" % n)
    t.ok(all(re.search(r"^2\s+users\s.*^3\s+voice\s.*^4\s+printers\s.*^5\s+guests\s", tb,
                       re.M | re.S) for _, tb in tables), "demo %d: VLANs 2-5 with names" % n)
    t.ok("both runs succeeded; VLANs 2-5 exist on sw1-sw4" in out, "demo %d: summary" % n)
    pid = sim_pid()
    t.ok(pid is not None and gone(pid), "demo %d: the simulator was stopped" % n)
    t.ok(ports_free(), "demo %d: its ports are free again" % n)


if not ports_free():
    t.skip("make demo", "ports 30001-30008 are in use by another program")
else:
    demo_once(1)
    time.sleep(0.2)
    demo_once(2)  # same host keys (--state-dir), so strict checking passes again
t.done()
