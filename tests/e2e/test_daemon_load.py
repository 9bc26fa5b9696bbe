#!/usr/bin/python3
"""test_daemon_load.py — 1,000 API requests from 48 concurrent clients (each on its own TLS
connection): reads of every kind mixed with 200 job submissions and 50 ad-hoc commands. Every
request must succeed, every accepted job must reach `succeeded`, be listed exactly once, and no
device may ever have been used by two jobs at once. Time is reported, not asserted (only an
"ended within its deadline" check with a generous margin)."""

import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netautod_harness import SLOW, Daemon, Tap, parse_exposition  # noqa: E402

N = 1000
SUBMIT = 200
COMMANDS = 50
WORKERS = 48

t = Tap()
inv = "hosts:\n" + "".join(f"  r{i}:\n    groups: [g{i % 4}]\n    latency_ms: 2\n"
                           for i in range(20))
d = Daemon(inventory=inv, playbooks={
    "tiny.yaml": "tasks:\n  - {name: one, delay_ms: 5}\n  - {name: two, delay_ms: 5}\n"},
    # one token makes all 1,000 requests (48 at a time): no per-token request rate here
    # (token_rate: 0), and up to 64 of its jobs may wait for validation at once
    config="limits: {connections: 256, jobs_running: 32, hosts_in_flight: 16, "
           "jobs_queued: 5000, token_rate: 0, validations_per_token: 64}\n", log_level="warn")
d.start()

kinds = ["submit"] * SUBMIT + ["command"] * COMMANDS + ["read"] * (N - SUBMIT - COMMANDS)
random.seed(7)
random.shuffle(kinds)
reads = ["/v1/jobs?limit=20", "/v1/inventory", "/healthz", "/v1/hosts/r3", "/metrics",
         "/v1/jobs?state=running", "/v1/schedules", "/v1/audit?limit=5"]


def one(i):
    k = kinds[i]
    try:
        if k == "submit":
            st, j = d.json("POST", "/v1/jobs", body={"playbook": "tiny", "limit": f"g{i % 4}"},
                           timeout=120)
            return ("submit", st, j.get("id") if isinstance(j, dict) else None)
        if k == "command":
            st, j = d.json("POST", "/v1/commands",
                           body={"host": f"r{i % 20}", "commands": ["show clock"]}, timeout=120)
            return ("command", st, j.get("ok") if isinstance(j, dict) else None)
        path = reads[i % len(reads)]
        st, _, body = d.request("GET", path, token=None if path == "/healthz" else "default",
                                timeout=120)
        return ("read", st, len(body))
    except Exception as e:  # noqa: BLE001
        return (k, "error", repr(e))


t0 = time.time()
with ThreadPoolExecutor(max_workers=WORKERS) as ex:
    results = list(ex.map(one, range(N)))
elapsed = time.time() - t0
errors = [r for r in results if r[1] not in (200, 202)]
t.ok(not errors, f"{N} concurrent requests: no error ({elapsed:.1f} s, "
     f"{N / elapsed:.0f} req/s)", errors[:10])
ids = [r[2] for r in results if r[0] == "submit" and r[1] == 202]
t.ok(len(ids) == SUBMIT and len(set(ids)) == SUBMIT, "every submission got its own job id",
     len(ids))
t.ok(all(r[2] is True for r in results if r[0] == "command"), "every command succeeded")

deadline = time.time() + 120 * SLOW
listed = []
while time.time() < deadline:
    st, l = d.json("GET", "/v1/jobs?limit=10000")
    listed = l["jobs"]
    if all(j["state"] not in ("queued", "running") for j in listed) and len(listed) >= SUBMIT:
        break
    time.sleep(0.2)
by_id = {j["id"]: j for j in listed}
t.ok(sorted(by_id) == sorted(ids) and len(listed) == SUBMIT,
     "no job lost: the store lists exactly the accepted jobs", (len(listed), len(ids)))
t.ok(all(by_id[i]["state"] == "succeeded" for i in ids if i in by_id),
     "every accepted job succeeded",
     [(i, by_id[i]["state"]) for i in ids if i in by_id and by_id[i]["state"] != "succeeded"][:5])
overlaps = sum(d.json("GET", f"/v1/hosts/r{i}")[1]["status"]["double_overlaps"] for i in range(20))
t.ok(overlaps == 0, "no device was ever used by two jobs/commands at once", overlaps)
st, m = d.metrics()
s = parse_exposition(m)
t.ok(s[("netautod_jobs", 'state="succeeded"')] == SUBMIT and
     s.get(("netautod_http_requests_total", 'code="500"'), 0) == 0, "metrics agree", m[:600])
usage = {}
try:  # reported, not asserted: the daemon's peak memory and CPU time for the whole run
    with open(f"/proc/{d.proc.pid}/status") as f:
        usage.update(l.split(":", 1) for l in f if l.startswith(("VmHWM", "VmRSS")))
    with open(f"/proc/{d.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    usage["cpu_s"] = f"{(int(fields[11]) + int(fields[12])) / tick:.2f}"
except OSError:
    pass
t.ok(d.stop(timeout=60) == 0, "clean exit after the load")
print(f"# {N} requests in {elapsed:.2f} s with {WORKERS} clients (each its own TLS connection)")
print("# netautod: " + ", ".join(f"{k.strip()} {v.strip()}" for k, v in usage.items()))
sys.exit(t.done())
