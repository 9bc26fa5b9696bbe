#!/usr/bin/python3
"""test_daemon_crash.py — the crash test of issue 21: the production netautod (runner backend)
over a stream of jobs on simulated devices (one of them slow, so hosts are often in flight) is
killed with SIGKILL at random moments — while a submission is being answered (before accept),
with jobs queued, in the middle of a host, while the store is being written — and restarted
each time; clients that lost an answer retry with the same Idempotency-Key. At the end: every
job that was answered 202 ends in a terminal state; no submission made two jobs; no host of a
non-resumable job was sent its configuration twice (the simulator's per-device command log is
the oracle: each job's lines carry a name used by that job only); every resumable job converges
(succeeded, each host's VLAN in place); a queued job's secret vars survive the crash sealed
(never in clear in the state directory) and the job runs with the real value; the store passes
PRAGMA integrity_check. The seed is
printed so a failure can be replayed (CRASH_SEED=...)."""

import os
import random
import re
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import lab_daemon, sim_args, wait_for  # noqa: E402
from netautod_harness import Tap  # noqa: E402
from simproc import Sim  # noqa: E402

t = Tap()
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
rnd = random.Random(SEED)
print(f"# seed {SEED}", flush=True)
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "12"))

PUSH = """\
- name: push
  hosts: all
  tasks:
    - name: mark
      config:
        - "vlan {{ vid }}"
        - "name {{ tag }}"
        - exit
"""
CONVERGE = PUSH.replace("  hosts: all\n", "  hosts: all\n  resumable: true\n")
SECRET_BOOK = """\
- name: secret
  hosts: all
  tasks:
    - name: mark
      config:
        - "vlan {{ vid }}"
        - "name {{ vlan_secret }}"
        - exit
"""

with Sim(sim_args(3, "--fault", "sw3:slow=3000")) as sim:
    d = lab_daemon(sim, config="limits: {jobs_running: 2, jobs_queued: 200}\n",
                   playbooks={"push.yaml": PUSH, "converge.yaml": CONVERGE,
                              "secret.yaml": SECRET_BOOK}, log_level="info")
    subs = {}  # key -> {"book", "tag", "vid", "id" (None until answered)}
    lock = threading.Lock()
    n = 0

    def post(key):
        s = subs[key]
        body = {"playbook": s["book"], "vars": {"vid": s["vid"], "tag": s["tag"]}}
        try:
            st, r = d.json("POST", "/v1/jobs", body=body, headers={"Idempotency-Key": key},
                           timeout=20)
        except Exception:  # the daemon died under it: no answer
            return
        if st in (200, 202):
            with lock:
                if s["id"] is not None and s["id"] != r["id"]:
                    s["dup"] = (s["id"], r["id"])
                s["id"] = r["id"]
        elif st == 409:  # the first attempt is still being validated: ask again later
            return
        else:
            s["err"] = (st, r)

    kills = 0
    for rnd_i in range(ROUNDS):
        d.start()
        # clients that got no answer before the last crash retry with the same key
        for key, s in list(subs.items()):
            if s["id"] is None:
                post(key)
        threads = []
        for _ in range(rnd.randint(2, 4)):
            n += 1
            key = f"k{n}"
            subs[key] = {"book": rnd.choice(["push", "converge"]), "tag": f"crash{n}x",
                         "vid": 100 + n, "id": None}
            th = threading.Thread(target=post, args=(key,))
            th.start()
            threads.append(th)
            time.sleep(rnd.uniform(0, 0.05))
        time.sleep(rnd.choice([0, 0.01, 0.05, rnd.uniform(0.1, 1.5)]))
        d.kill9()
        kills += 1
        for th in threads:
            th.join()

    # the last start: retry what was never answered, then let everything finish
    d.start()
    for _ in range(3):
        for key, s in list(subs.items()):
            if s["id"] is None:
                post(key)
        if all(s["id"] is not None for s in subs.values()):
            break
        time.sleep(0.5)
    ids = {s["id"] for s in subs.values() if s["id"] is not None}
    terminal = ("succeeded", "failed", "cancelled", "interrupted")
    final = {}
    for i in sorted(ids):
        final[i] = d.wait_job(i, timeout=120, states=terminal)
    t.ok(kills == ROUNDS and all(s["id"] is not None for s in subs.values()),
         f"{kills} kill -9s over {len(subs)} submissions; every one answered in the end",
         [k for k, s in subs.items() if s["id"] is None])
    t.ok(not any("err" in s for s in subs.values()),
         "no submission was refused", [s.get("err") for s in subs.values() if "err" in s])
    t.ok(all(j and j["state"] in terminal for j in final.values()),
         "every job answered 202 ends in a terminal state",
         {i: (j or {}).get("state") for i, j in final.items()})
    all_jobs = d.json("GET", "/v1/jobs?limit=1000")[1]["jobs"]
    t.ok(len(all_jobs) == len(ids) and not any("dup" in s for s in subs.values()),
         "no submission made two jobs (Idempotency-Key retries)", (len(all_jobs), len(ids)))

    # the oracle: what each simulated device was sent
    sent = {}
    for line in sim.log_lines():
        m = re.match(r"\S+ (\S+) \S+ \S+ command name (crash\d+x)$", line.rstrip())
        if m:
            sent[(m.group(1), m.group(2))] = sent.get((m.group(1), m.group(2)), 0) + 1
    twice = []
    non_resumable = [s for s in subs.values() if s["book"] == "push"]
    for s in non_resumable:
        for dev in ("sw1", "sw2", "sw3"):
            if sent.get((dev, s["tag"]), 0) > 1:
                twice.append((s["id"], dev, s["tag"], sent[(dev, s["tag"])]))
    t.ok(sent and not twice,
         f"no host of a non-resumable job was sent its configuration twice "
         f"({len(non_resumable)} such jobs, {sum(sent.values())} marked lines seen)", twice)
    interrupted = [(i, h) for i, j in final.items() for h, r in (j.get("hosts") or {}).items()
                   if r.get("recovery") == "interrupted"]
    ok_sent = all(r["sent"] for i, j in final.items() for h, r in (j.get("hosts") or {}).items()
                  if r.get("recovery") == "interrupted")
    t.ok(ok_sent, f"hosts left interrupted ({len(interrupted)}) each say what they were sent",
         interrupted)
    conv = [s for s in subs.values() if s["book"] == "converge"]
    bad = []
    for s in conv:
        j = final[s["id"]]
        if j["state"] != "succeeded" or any(not r["ok"] for r in j["hosts"].values()):
            bad.append((s["id"], j["state"], j.get("error")))
    t.ok(conv and not bad, f"every resumable job converges ({len(conv)} jobs)", bad)
    # each converged VLAN is on every device
    missing = []
    for dev in ("sw1", "sw2", "sw3"):
        st, r = d.json("POST", "/v1/commands", body={"host": dev, "commands": ["show vlan brief"]},
                       timeout=120)
        out = r["commands"][0]["output"] if st == 200 and r.get("commands") else ""
        for s in conv:
            if not re.search(rf"^{s['vid']}\s+{s['tag']}\s", out, re.M):
                missing.append((dev, s["vid"]))
    t.ok(not missing, "the devices hold every resumable job's VLAN", missing)
    reruns = sum(1 for j in final.values() for r in (j.get("hosts") or {}).values()
                 if r.get("recovery") == "rerun")
    print(f"# {reruns} hosts re-run, {len(interrupted)} left interrupted", flush=True)

    # ---- a queued job's secret vars survive the crash sealed, never in clear ------------------
    SECRET = "Sealed-Vx7q2"
    busy = [d.submit("push", limit="sw3", vars={"vid": 900 + k, "tag": f"busy{k}x"})
            for k in range(2)]
    st, r = d.json("POST", "/v1/jobs", body={"playbook": "secret", "limit": "sw1",
                                             "vars": {"vid": 990, "vlan_secret": SECRET}})
    sid = r["id"] if st == 202 else None
    t.ok(sid and d.job(sid)["state"] == "queued" and
         d.job(sid)["request"]["vars"]["vlan_secret"] == "********",
         "a job with a secret var waits queued (the stored request masks it)", r)
    d.kill9()

    def in_store(text):
        found = []
        for name in os.listdir(d.path("state")):
            with open(os.path.join(d.path("state"), name), "rb") as f:
                if text.encode() in f.read():
                    found.append(name)
        return found
    t.ok(not in_store(SECRET), "the secret is nowhere in the state directory while it waits",
         in_store(SECRET))
    d.start()
    sj = d.wait_job(sid, timeout=120)
    for b in busy:
        d.wait_job(b, timeout=120)
    st, r = d.json("POST", "/v1/commands", body={"host": "sw1", "commands": ["show vlan brief"]},
                   timeout=120)
    out = r["commands"][0]["output"] if st == 200 and r.get("commands") else ""
    t.ok(sj["state"] == "succeeded" and re.search(rf"^990\s+{SECRET}\s", out, re.M),
         "after the restart it runs with the real value (unsealed)", (sj["state"], out[-300:]))
    t.ok(not in_store(SECRET), "and the store still holds no copy of it", in_store(SECRET))
    d.stop()
    db = sqlite3.connect(d.path("state/jobs.db"))
    ic = db.execute("PRAGMA integrity_check").fetchone()[0]
    left = db.execute("SELECT count(*) FROM jobs WHERE state IN ('queued','running')").fetchone()
    db.close()
    t.ok(ic == "ok" and left[0] == 0, "the store passes PRAGMA integrity_check, nothing left "
         "unfinished", (ic, left))

sys.exit(t.done())
