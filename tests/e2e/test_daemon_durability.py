#!/usr/bin/python3
"""test_daemon_durability.py — acknowledged work survives a crash (issue 21), end to end with the
test-double backend (which records each command durably before it "sends" it, like the runner):
queued jobs run after kill -9 in their original order; a resumable playbook's host in flight is
run again ("rerun") while a non-resumable one's is reported interrupted; a cancel accepted
before kill -9 is honoured after it; a schedule that fell due while netautod was down runs once
with catch_up: true and not at all without it; a backup job resumes its hosts without a
result; Idempotency-Key retries return the first job,
also across a crash, and expire after 24 hours; the store passes PRAGMA integrity_check. The
crash test over a stream of jobs on the simulator is test_daemon_crash.py."""

import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netautod_harness import INVENTORY, PLAYBOOKS, SLOW, Daemon, Tap  # noqa: E402

t = Tap()

BOOKS = dict(PLAYBOOKS)
BOOKS["rerun.yaml"] = """\
resumable: true
tasks:
  - {name: step, command: show version, delay_ms: 50, delay_ms_by_host: {sw3: 2500}}
"""
BOOKS["stubborn.yaml"] = """\
cancel_grace_ms: 60000
tasks:
  - {name: first, command: show version, delay_ms: 50, delay_ms_by_host: {sw3: 60000}}
  - {name: second, command: show version, delay_ms: 50}
"""


def events_of(d, jid):
    return [e[1] for e in d.events(jid)]


def audit(d):
    st, a = d.json("GET", "/v1/audit?limit=200")
    return a["audit"] if st == 200 else []


def integrity(d):
    db = sqlite3.connect(d.path("state/jobs.db"))
    r = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return r


def wait_hosts(d, jid, want, timeout=20):
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        if want <= set(d.job(jid).get("hosts") or {}):
            return True
        time.sleep(0.05)
    return False


# ---- queued, then crash: they run after the restart, in order ---------------------------------
d = Daemon(config="limits: {jobs_running: 1}\n", playbooks=BOOKS)
d.start()
long_id = d.submit("slowcmd", limit="sw3")
q = [d.submit("quick") for _ in range(3)]
t.ok(wait_hosts(d, long_id, set(), 5) and [d.job(i)["state"] for i in q] == ["queued"] * 3,
     "one job running, three queued")
d.kill9()
d.start()
jobs = [d.wait_job(i) for i in q]
t.ok(all(j["state"] == "succeeded" and set(j["hosts"]) == {"sw1", "sw2"} for j in jobs),
     "every queued job runs after kill -9 and a restart", [j["state"] for j in jobs])
started = [j["started"] for j in jobs]
t.ok(started == sorted(started) and jobs[0]["started"] >= d.job(long_id)["finished"],
     "they start in their original order, after the job that was running", started)
t.ok(all("job_recovered" in events_of(d, i) for i in q),
     "each has a job_recovered event")
rows = [a for a in audit(d) if a["action"] == "job.recover"]
t.ok({f"job {i}" for i in q} <= {a["target"] for a in rows},
     "each has a job.recover audit row", rows)
lj = d.job(long_id)
t.ok(lj["state"] == "interrupted" and lj["summary"]["interrupted"] == 1 and
     lj["hosts"]["sw3"]["sent"][0]["commands"] == ["show version"],
     "the job in flight (not resumable) ends interrupted, saying what it was sent", lj)

# ---- a resumable playbook's host in flight runs again ------------------------------------------
rid = d.submit("rerun", limit="sw1,sw2,sw3")
t.ok(wait_hosts(d, rid, {"sw1", "sw2"}) and "sw3" not in d.job(rid)["hosts"],
     "resumable job: sw1, sw2 done, sw3 in flight")
d.kill9()
d.start()
rj = d.wait_job(rid)
t.ok(rj["state"] == "succeeded" and rj["hosts"]["sw3"].get("recovery") == "rerun" and
     rj["hosts"]["sw3"]["ok"] and "recovery" not in rj["hosts"]["sw1"],
     "after the restart its host in flight is run again (rerun), the others kept", rj)
t.ok(rj["summary"].get("rerun") == 1 and rj["summary"].get("interrupted") == 0 and
     rj["summary"]["finished"] == 3, "the summary says one host was re-run", rj["summary"])

# ---- a cancel accepted before the crash is honoured after it -----------------------------------
cid = d.submit("stubborn", limit="sw1,sw2,sw3")
t.ok(wait_hosts(d, cid, set(), 5), "a job whose device operation must complete before it stops")
time.sleep(0.3)
st, r = d.json("DELETE", f"/v1/jobs/{cid}")
j = d.job(cid)
t.ok(st == 202 and j["state"] == "running",
     "cancel accepted; the job is still finishing its device operation", (st, r, j["state"]))
d.kill9()
d.start()
j = d.wait_job(cid)
t.ok(j["state"] == "cancelled" and "honoured" in (j["error"] or ""),
     "after kill -9 and a restart the cancel is honoured: cancelled", j)
ev = events_of(d, cid)
after = ev[ev.index("job_recovered"):] if "job_recovered" in ev else ev
t.ok(not {"job_started", "host_started", "task_result"} & set(after) and
     j["hosts"]["sw3"].get("recovery") == "interrupted" and
     j["hosts"]["sw3"]["sent"][0]["commands"] == ["show version"],
     "nothing of it ran after the restart; its host in flight says what it had been sent",
     (after, j["hosts"].get("sw3")))

# ---- Idempotency-Key --------------------------------------------------------------------------
body = {"playbook": "quick"}
st1, r1 = d.json("POST", "/v1/jobs", body=body, headers={"Idempotency-Key": "order-1"})
st2, r2 = d.json("POST", "/v1/jobs", body=body, headers={"Idempotency-Key": "order-1"})
t.ok(st1 == 202 and st2 == 200 and r1["id"] == r2["id"],
     "the same key and request within 24 h returns the first job", (st1, r1, st2, r2))
st3, r3 = d.json("POST", "/v1/jobs", body={"playbook": "quick", "limit": "sw1"},
                 headers={"Idempotency-Key": "order-1"})
t.ok(st3 == 422 and "different request" in r3["error"], "the key with another request: 422", r3)
st4, r4 = d.json("POST", "/v1/jobs", body=body, headers={"Idempotency-Key": "has space"})
t.ok(st4 == 400, "a malformed key: 400", r4)
st5, r5 = d.json("POST", "/v1/jobs", body=body, headers={"Idempotency-Key": "order-2"})
d.kill9()  # the client lost the answer; netautod crashed too
d.start()
st6, r6 = d.json("POST", "/v1/jobs", body=body, headers={"Idempotency-Key": "order-2"})
t.ok(st5 == 202 and st6 == 200 and r6["id"] == r5["id"],
     "a retry after kill -9 finds the job accepted before it", (r5, r6))
other = d.token_add("other")
st7, r7 = d.json("POST", "/v1/jobs", body=body, headers={"Idempotency-Key": "order-2"},
                 token=other)
t.ok(st7 == 202 and r7["id"] != r5["id"], "keys are per token", r7)
d.wait_job(r7["id"])
d.wait_job(r5["id"])
n_jobs = len(d.json("GET", "/v1/jobs?limit=500")[1]["jobs"])
d.stop()
db = sqlite3.connect(d.path("state/jobs.db"))
db.execute("UPDATE idempotency SET created = created - 25*3600*1000")
db.commit()
db.close()
d.start()
st8, r8 = d.json("POST", "/v1/jobs", body=body, headers={"Idempotency-Key": "order-1"})
t.ok(st8 == 202 and r8["id"] != r1["id"], "after 24 hours the key makes a new job", r8)
d.wait_job(r8["id"])
t.ok(len(d.json("GET", "/v1/jobs?limit=500")[1]["jobs"]) == n_jobs + 1,
     "no other job was made by the retries")
t.ok(integrity(d) == "ok", "the store passes PRAGMA integrity_check")
d.stop()

# ---- a backup job resumes its hosts without a result -----------------------------------------
inv = INVENTORY.replace("  sw3:\n    groups: [edge]\n", "  sw3:\n    groups: [edge]\n    latency_ms: 4000\n")
b = Daemon(inventory=inv, playbooks=BOOKS,
           config="schedules:\n  - {name: cfg, cron: '0 3 * * *', backup: show running-config, "
                  "limit: 'sw1,sw2,sw3'}\n")
b.start()
st, r = b.json("POST", "/v1/schedules/cfg/run")
bid = r.get("id") if st == 202 else None
t.ok(bid and wait_hosts(b, bid, {"sw1", "sw2"}) and "sw3" not in b.job(bid)["hosts"],
     "a backup job: sw1, sw2 captured, sw3 (slow) not yet", r)
b.kill9()
b.start()
bj = b.wait_job(bid)
t.ok(bj["state"] == "succeeded" and bj["hosts"]["sw3"]["ok"] and
     bj["hosts"]["sw3"].get("recovery") == "resumed" and "recovery" not in bj["hosts"]["sw1"],
     "after kill -9 and a restart the backup job captures sw3, sw1 and sw2 kept", bj)
b.stop()

# ---- missed schedules --------------------------------------------------------------------------
sched = ("timezone: utc\nschedules:\n"
         "  - {name: catchup, cron: '0 3 * * *', playbook: quick, catch_up: true}\n"
         "  - {name: nocatch, cron: '0 3 * * *', playbook: quick}\n")
s = Daemon(config=sched, playbooks=BOOKS)
s.start()
s.stop()
db = sqlite3.connect(s.path("state/jobs.db"))
names = sorted(r[0] for r in db.execute("SELECT name FROM schedule_state"))
# netautod is down across three days of 03:00 runs
db.execute("UPDATE schedule_state SET next_due = next_due - 3*86400")
db.commit()
db.close()
t.ok(names == ["catchup", "nocatch"], "each schedule's next due time is kept", names)


def sched_jobs(dm):
    js = dm.json("GET", "/v1/jobs?limit=100")[1]["jobs"]
    return sorted((j["submitted_by"], j["id"]) for j in js)


s.start()
deadline = time.time() + 10 * SLOW
while time.time() < deadline and not sched_jobs(s):
    time.sleep(0.1)
time.sleep(2.5)  # two more ticks: a second catch-up would show
got = sched_jobs(s)
t.ok([w for w, _ in got] == ["schedule:catchup"],
     "the missed schedule with catch_up runs once at start; the other one is skipped", got)
t.ok(s.wait_job(got[0][1])["state"] == "succeeded", "the catch-up run succeeds")
s.stop()
s.start()
time.sleep(2.5)
t.ok(len(sched_jobs(s)) == 1, "after a restart nothing more is caught up", sched_jobs(s))
s.stop()

t.done()
