"""test_run_forks.py — concurrency and interruption of `netauto run`: --forks caps the hosts in
flight (twelve inventory hosts all pointing at ONE simulated device, so the device's own
max_concurrent_sessions is exactly the runner's concurrency: <= forks, and above it without a
cap); Ctrl-C (SIGINT) cancels a run — sessions closed, unfinished hosts reported cancelled in
the results, exit 1, quickly; on a terminal a progress line is drawn
on stderr and cleared at the end."""
import os
import pty
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import yaml  # noqa: E402

t = Tap()
PB = """
- hosts: all
  tasks:
    - name: a command
      command: show version
    - name: another
      command: show clock
"""


def one_device_inventory(sim, r, n, name="many.yaml"):
    with open(sim.inventory) as f:
        inv = yaml.safe_load(f)
    sw1 = inv["hosts"]["sw1"]
    inv["hosts"] = {"h%02d" % i: dict(sw1) for i in range(1, n + 1)}
    return r.write(name, yaml.safe_dump(inv))


def forks_cap(r):
    with Sim(["--devices", "1", "--fault", "sw1:slow=8000"]) as sim:
        inv = one_device_inventory(sim, r, 12)
        pb = r.write("pb.yaml", PB)
        res = r.netauto(["run", pb, "-i", inv, "--forks", "3"], json_out=True)
        t.ok(res.rc == 0 and res.json["summary"]["ok"] == 12, "--forks 3: all 12 ok", res.diag())
        d = sim.stats()["devices"]["sw1"]
        t.ok(2 <= d["max_concurrent_sessions"] <= 3,
             "--forks 3: at most 3 sessions at once (saw %d)" % d["max_concurrent_sessions"])
        t.eq(d["logins"]["ssh"], 12, "one login per inventory host")
    with Sim(["--devices", "1", "--fault", "sw1:slow=8000"]) as sim:
        inv = one_device_inventory(sim, r, 12)
        res = r.netauto(["run", pb, "-i", inv, "--forks", "0"], json_out=True)
        d = sim.stats()["devices"]["sw1"]
        t.ok(res.rc == 0 and d["max_concurrent_sessions"] > 3,
             "--forks 0 (no cap): more at once (saw %d)" % d["max_concurrent_sessions"],
             res.diag())


def cancel(r):
    with Sim(["--devices", "6", "--fault", "all:stall-after=3"]) as sim:
        pb = r.write("pb.yaml", PB)
        jpath = r.path("cancel.json")
        p = r.popen(["run", pb, "-i", sim.inventory, "--forks", "2", "--json", jpath])
        # wait until two sessions are stalled (logged in), then interrupt
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            st = sim.stats()
            if sum(d["sessions_open"] for d in st["devices"].values()) >= 2:
                break
            time.sleep(0.05)
        time.sleep(0.2)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
        took = time.monotonic() - t0
        t.ok(p.returncode == 1 and took < 5, "SIGINT: exit 1 within 5 s (%s in %.1f s)"
             % (p.returncode, took), err.decode())
        t.ok(b"cancelling" in err, "it says it is cancelling")
        import json
        try:
            with open(jpath) as f:
                js = json.load(f)
        except (OSError, ValueError):
            js = None
        t.ok(js is not None, "results written after the cancel")
        if js:
            st = [h["status"] for h in js["hosts"].values()]
            t.eq(st, ["cancelled"] * 6, "every host cancelled (2 running, 4 not started)")
            t.eq(js["summary"]["cancelled"], 6, "summary counts them")
            codes = {(h["error"] or {}).get("code") for h in js["hosts"].values()}
            t.eq(codes, {"cancelled"}, "error code cancelled")
            running = [h for h in js["hosts"].values() if h["tasks"]]
            t.ok(len(running) == 2 and all(x["tasks"][-1]["error"]["code"] == "cancelled"
                                           for x in running),
                 "the task in progress on each running host is reported cancelled")
        time.sleep(0.3)
        st = sim.stats()
        t.eq(sum(d["sessions_open"] for d in st["devices"].values()), 0,
             "the sessions were closed")


def progress_on_tty(r):
    with Sim(["--devices", "8", "--fault", "all:slow=20000"]) as sim:
        pb = r.write("pb.yaml", PB)
        master, slave = pty.openpty()
        p = subprocess.Popen(r.wrap + [r.exe, "run", pb, "-i", sim.inventory, "--forks", "2"],
                             stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        got = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        out, _ = p.communicate(timeout=60)
        os.close(master)
        text = got.decode(errors="replace")
        t.eq(p.returncode, 0, "run on a terminal: exit 0")
        t.ok(re.search(r"\r\[ ?\d/8\] \d ok, 0 failed, \d running", text),
             "a progress line is drawn on the terminal", repr(text[:500]))
        t.ok(text.endswith("\r\x1b[K"), "and cleared at the end", repr(text[-100:]))
        t.ok(b"8 hosts: 8 ok" in out, "the summary goes to stdout")


with Run() as r:
    forks_cap(r)
    cancel(r)
    progress_on_tty(r)
t.done()
