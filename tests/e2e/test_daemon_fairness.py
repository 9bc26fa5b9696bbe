#!/usr/bin/python3
"""test_daemon_fairness.py — device slots are shared fairly between jobs and ad-hoc commands
(issue 16, item 9), with the test-double backend: a job over 80 stalled devices (each task
takes 30 s) holds at most its share of limits.hosts_in_flight (64: jobs leave the last eighth),
so an ad-hoc command to a healthy device is answered at once (it waited for the first stalled
device to give its slot back, 30 s here); and the devices are never used twice at once. (Which
flow gets a freed slot — the one holding the fewest — is tested in
tests/unit/test_daemon_lock.c.)"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netautod_harness import SLOW, Daemon, Tap  # noqa: E402

t = Tap()
inv = ("hosts:\n" + "".join(f"  st{i}: {{groups: [stalled]}}\n" for i in range(80)) +
       "  healthy: {groups: [ok]}\n")
d = Daemon(inventory=inv, playbooks={
    "stall.yaml": "hosts: stalled\ntasks:\n  - {name: hang, delay_ms: 30000}\n",
}, config="limits: {hosts_in_flight: 64, jobs_running: 4}\n")
d.start()
big = d.submit("stall")
time.sleep(0.5)
t0 = time.time()
try:
    st, j = d.json("POST", "/v1/commands", body={"host": "healthy", "commands": ["show clock"]},
                   timeout=10 * SLOW)
except Exception as e:  # noqa: BLE001
    st, j = None, repr(e)
took = time.time() - t0
t.ok(st == 200 and j["ok"] and took < 1.0 * SLOW,
     f"a job holding 80 stalled devices: an ad-hoc command to a healthy device is answered in "
     f"{took * 1000:.0f} ms (bound 1 s)", (st, j))
st, m = d.metrics()
held = [ln for ln in m.splitlines() if ln.startswith("netautod_hosts_in_flight ")]
t.ok(held == ["netautod_hosts_in_flight 56"],
     "the job holds 56 of the 64 slots (jobs leave the last eighth)", held)
d.json("DELETE", f"/v1/jobs/{big}")
j = d.wait_job(big, timeout=30)
overlaps = sum(d.json("GET", f"/v1/hosts/st{i}")[1]["status"]["double_overlaps"]
               for i in range(80))
t.ok(j["state"] == "cancelled" and overlaps == 0, "no device was used twice at once",
     (j["state"], overlaps))
t.ok(d.stop() == 0, "clean exit")
sys.exit(t.done())
