#!/usr/bin/python3
"""test_daemon_validation.py — what one job request may cost and reach (issue 16, items 1-3),
with the production netautod (runner backend):

1. an expansion bomb (a 1 KB inline playbook whose tasks each expand to 6 MB, for 10 hosts: it
   held netautod's loop for about 5 s and was accepted) is refused with 400 naming
   limits.validation_bytes, while /healthz keeps answering within 200 ms (the validation runs
   off the loop, within a budget for the whole request); a playbook that fits still validates;
   a token may have limits.validations_per_token jobs waiting for validation (429 beyond), and
   limits.token_rate requests a second (429 with Retry-After beyond);
2. secret-looking vars are secrets for the job's lifetime: against simulated switches, a value
   pushed in a config line, read back by `show running-config` and echoed by a refused command
   appears in no answer (job, events), no job-store row and no log line;
3. a stored playbook's `script: {src: "{{ script }}"}` cannot reach outside playbook_dir:
   ../state/tokens, /etc/passwd and a file that does not exist get the same 400 (no hint of
   whether a file exists), a script inside the directory is accepted.

Latency bounds have wide margins (SLOW stretches them under valgrind and sanitizers)."""

import os
import re
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import lab_daemon, sim_args, wait_for  # noqa: E402
from netautod_harness import SLOW, Daemon, Tap  # noqa: E402
from simproc import Sim  # noqa: E402

t = Tap()

HOSTS = 10
inv = ("defaults: {platform: cisco_ios, transport: ssh, username: u, password: p}\nhosts:\n" +
       "".join(f"  s{i}: {{host: 127.0.0.1, ssh_port: 9}}\n" for i in range(HOSTS)))


def bomb(tasks):
    """About 1 KB: each task expands to 3 x 2 MB of command text for each host."""
    rep = lambda v: "".join("{{ " + v + " }}" for _ in range(8))  # noqa: E731
    pb = "- hosts: all\n  vars:\n    a: \"" + "x" * 64 + "\"\n"
    prev = "a"
    for n in "bcdef":
        pb += f"    {n}: \"{rep(prev)}\"\n"
        prev = n
    pb += "  tasks:\n"
    for i in range(tasks):
        pb += f"    - name: t{i}\n      command: [\"{{{{ f }}}}\", \"{{{{ f }}}}\", \"{{{{ f }}}}\"]\n"
    return pb


def probe_while(d, work):
    """Run work() in a thread; meanwhile time /healthz every 50 ms. Returns (result, latencies)."""
    res = {}
    th = threading.Thread(target=lambda: res.setdefault("r", work()))
    th.start()
    lat = []
    time.sleep(0.05)
    while th.is_alive():
        t0 = time.time()
        try:
            st, _ = d.json("GET", "/healthz", token=None, timeout=30)
        except Exception:  # noqa: BLE001
            st = None
        lat.append((st, (time.time() - t0) * 1000))
        time.sleep(0.05)
    th.join()
    return res.get("r"), lat


# ---- 1. the expansion bomb ------------------------------------------------------------------------
script_pb = ("- hosts: s1\n  tasks:\n    - name: run it\n"
             "      script: {src: \"{{ script }}\"}\n")
d = Daemon(production=True, inventory=inv, playbooks={"scripted.yaml": script_pb, "ok.sh":
                                                      "#!/bin/sh\necho ok\n"})
d.start()
pb = bomb(6)
(st, j), lat = probe_while(d, lambda: d.json("POST", "/v1/jobs", body={"playbook": pb},
                                             timeout=120))
worst = max([ms for _, ms in lat] or [0])
t.ok(st == 400 and "limits.validation_bytes" in (j or {}).get("error", ""),
     f"an expansion bomb ({len(pb)} bytes, 10 hosts) is refused: 400 naming "
     f"limits.validation_bytes", (st, j))
t.ok(lat and all(s == 200 for s, _ in lat) and worst < 200 * SLOW,
     f"/healthz answers within 200 ms while it is validated (worst {worst:.0f} ms, "
     f"{len(lat)} probes)", lat[-5:])
st, j = d.json("POST", "/v1/jobs", body={"playbook": bomb(1), "limit": "s1"})
t.ok(st == 202, "the same playbook with one task on one host (6 MB) still validates", (st, j))

results = []


def submit_one():
    results.append(d.json("POST", "/v1/jobs", body={"playbook": pb}, timeout=120)[0])


threads = [threading.Thread(target=submit_one) for _ in range(12)]
for th in threads:
    th.start()
for th in threads:
    th.join(180 * SLOW)
t.ok(results.count(429) >= 1 and results.count(400) >= 1 and
     set(results) <= {400, 429},
     "12 bombs at once from one token: at most limits.validations_per_token (8) wait for "
     "validation, the others get 429", sorted(results))

# ---- 3. script sources stay in playbook_dir ----------------------------------------------------------
answers = {}
for src in ("../state/tokens", "/etc/passwd", "../no-such-file", "ok.sh"):
    st, j = d.json("POST", "/v1/jobs", body={"playbook": "scripted", "vars": {"script": src}})
    answers[src] = (st, (j or {}).get("error", ""))
outside = [answers[s] for s in ("../state/tokens", "/etc/passwd", "../no-such-file")]
t.ok(all(st == 400 and "outside netautod's playbook directory" in e for st, e in outside),
     "a script path outside playbook_dir is refused (the token file, /etc/passwd)", answers)
t.ok(len({e.replace(s, "X") for (st, e), s in zip(outside, ("../state/tokens", "/etc/passwd",
                                                               "../no-such-file"))}) == 1,
     "... with the same answer whether or not the file exists", outside)
t.ok(answers["ok.sh"][0] == 202, "a script inside playbook_dir is accepted", answers["ok.sh"])
d.stop()

# ---- 2. secret vars ---------------------------------------------------------------------------------
SECRET = "Upl1nk-S3cr3t-77"
PB = """\
- hosts: all
  tasks:
    - name: describe the uplink
      config: ["interface Gi0/1", "description key {{ uplink_secret }}", "exit"]
    - name: read it back
      command: "show running-config"
    - name: a command the device refuses
      command: "show {{ uplink_secret }}"
      ignore_errors: true
"""
with Sim(sim_args(2)) as sim:
    d = lab_daemon(sim, playbooks={"uplink.yaml": PB}, log_level="debug")
    d.start()
    st, j = d.json("POST", "/v1/jobs", body={"playbook": "uplink", "vars":
                                             {"uplink_secret": SECRET, "site": "lab"}})
    jid = j["id"] if st == 202 else None
    job = wait_for(lambda: (lambda x: x if x and x["state"] not in ("queued", "running")
                            else None)(d.job(jid)), timeout=60) if jid else None
    raw = d.request("GET", f"/v1/jobs/{jid}")[2] if jid else b""
    pushed = job and all(h["tasks"][0]["ok"] for h in job["hosts"].values())
    t.ok(st == 202 and pushed and b"description key ********" in raw,
         "the job ran with the real value (the devices got it) and shows ********", job)
    # Device output stays byte-exact (issue 12): the readback of the running configuration holds
    # the description the device now has. Everything netauto itself wrote -- the commands it
    # typed, its error messages, the stored request -- shows ******** instead.
    readback = SECRET.encode()
    def scrub(b):
        """the bytes minus the device line that legitimately carries the value (raw, in JSON, or
        in the repr of a JSON column)"""
        return re.sub(rb"description key " + re.escape(readback) + rb"(\n|\\+n)", b"", b)
    t.ok(job and all(f"description key {SECRET}\n" in h["tasks"][1]["output"]
                     for h in job["hosts"].values()),
         "the device's own output (show running-config) reaches the result byte for byte")
    t.ok(readback not in scrub(raw), "the job (commands, errors, request) does not show it")
    events = d.request("GET", f"/v1/jobs/{jid}/events")[2] if jid else b""
    t.ok(events and readback not in scrub(events), "the events do not show it")
    db = sqlite3.connect(d.path("state/jobs.db"))
    rows = [r for tbl in ("jobs", "host_results", "events", "audit")
            for r in db.execute(f"SELECT * FROM {tbl}") if readback in scrub(repr(r).encode())]
    db.close()
    t.ok(not rows, "no job-store row holds it outside the device's output", rows[:2])
    log = d.log()
    t.ok(SECRET not in log and SECRET not in d.stderr(), "the log does not hold it",
         [ln for ln in log.splitlines() if SECRET in ln][:3])
    d.stop()
# ---- 1. requests per token -----------------------------------------------------------------------
d = Daemon(config="limits: {token_rate: 5, token_burst: 10}\n")
d.start()
codes, retry = [], None
c = d.conn()
for _ in range(25):
    c.request("GET", "/v1/jobs?limit=1", headers={"Authorization": f"Bearer {d.token}"})
    r = c.getresponse()
    r.read()
    codes.append(r.status)
    if r.status == 429:
        retry = r.getheader("Retry-After")
c.close()
t.ok(codes[:10] == [200] * 10 and codes.count(429) >= 10 and retry == "1",
     "limits.token_rate 5/s (burst 10): 25 quick requests, the 11th on get 429 with Retry-After",
     codes)
time.sleep(1.2)
st, _ = d.json("GET", "/v1/jobs?limit=1")
t.ok(st == 200, "a second later the token may go on")
d.stop()

sys.exit(t.done())
