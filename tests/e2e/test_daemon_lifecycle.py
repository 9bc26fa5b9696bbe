#!/usr/bin/python3
"""test_daemon_lifecycle.py — end-to-end tests of netautod's life cycle with the test-double
backend: kill -9 mid-job then restart (job `interrupted`, finished hosts kept, accepted jobs never
lost), SIGHUP reloading tokens and inventory (a broken inventory keeps the old one), SIGTERM
drain (no new jobs, running ones finish, or are interrupted after the grace period; exit 0),
sd_notify over $NOTIFY_SOCKET, the state-directory lock, the generated certificate reused,
schedules running backups with a unified diff, per-device exclusivity under concurrent jobs,
the SQLite store's schema version and WAL mode, and the production binary (runner backend,
token commands, configuration errors; its device work is tested in test_daemon_backend*.py)."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netautod_harness import SLOW, Daemon, Tap  # noqa: E402

t = Tap()

# ---- kill -9 mid-job, restart -----------------------------------------------------------------
d = Daemon(config="limits: {jobs_running: 1}\n")
d.start()
fp1 = d.fingerprint
t.ok("(generated, self-signed)" in d.stdout(), "first start generates a self-signed certificate")
jid = d.submit("slow")  # sw1, sw2, bad finish fast; sw3 takes 30 s
qid = d.submit("quick")  # waits behind it (jobs_running: 1)
finished = set()
deadline = time.time() + 20 * SLOW
while time.time() < deadline and len(finished) < 3:
    j = d.job(jid)
    finished = set(j["hosts"])
    time.sleep(0.05)
t.ok(finished == {"sw1", "sw2", "bad"} and d.job(jid)["state"] == "running" and
     d.job(qid)["state"] == "queued", "three hosts done, one still running, one job queued",
     (finished, d.job(jid)["state"]))
d.kill9()
t.ok(d.proc.returncode == -signal.SIGKILL, "netautod killed with SIGKILL")
d.start()
t.ok(d.fingerprint == fp1 and "generated" not in d.stdout(),
     "restart reuses the certificate (same fingerprint)")
j = d.job(jid)
t.ok(j["state"] == "interrupted" and set(j["hosts"]) == {"sw1", "sw2", "bad"} and
     j["hosts"]["sw1"]["ok"] and "sw3" not in j["hosts"],
     "after restart: interrupted, with the finished hosts kept", j)
t.ok(j["summary"]["targets"] == 4 and j["summary"]["finished"] == 3, "summary counts", j["summary"])
t.ok(d.job(qid)["state"] == "interrupted", "the queued job is interrupted too (never lost)")
ev = d.events(jid)
t.ok(ev[-1][1] == "job_finished" and ev[-1][2]["state"] == "interrupted",
     "its event stream replays and ends with job_finished interrupted", ev[-1:])
st, a = d.json("GET", "/v1/audit?limit=50")
t.ok(any(x["action"] == "job.recover" and x["target"] == f"job {jid}" for x in a["audit"]),
     "the recovery is in the audit trail")
# accepted means durable: submit and kill at once
ids = [d.submit("quick") for _ in range(5)]
d.kill9()
d.start()
states = [d.job(i)["state"] for i in ids]
t.ok(all(s in ("succeeded", "interrupted") for s in states),
     "jobs answered 202 just before kill -9 are all in the store", states)
db = sqlite3.connect(d.path("state/jobs.db"))
ver = db.execute("PRAGMA user_version").fetchone()[0]
mode = db.execute("PRAGMA journal_mode").fetchone()[0]
db.close()
t.ok(ver == 1 and mode == "wal", "store: schema version 1, WAL", (ver, mode))
second = subprocess.run(d.argv(), capture_output=True, text=True, timeout=30 * SLOW)
t.ok(second.returncode == 1 and "already using the state directory" in second.stderr,
     "a second netautod on the same state directory is refused", second.stderr)
t.ok(d.stop() == 0, "stop: exit 0")

# ---- SIGHUP: tokens and inventory ------------------------------------------------------------
notify_path = os.path.join(d.dir, "notify.sock")
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(notify_path)
ns.settimeout(10 * SLOW)
d2 = Daemon(config="schedules:\n"
                   "  - {name: nightly-backup, cron: '0 3 * * *', backup: show running-config,"
                   " limit: core}\n"
                   "  - {name: weekly, cron: '@weekly', playbook: quick}\n")
d2.start(env={"NOTIFY_SOCKET": notify_path})


def notes():
    out = []
    try:
        while True:
            ns.settimeout(0.5)
            out.append(ns.recv(4096).decode())
    except socket.timeout:
        pass
    return out


first = notes()
t.ok(any("READY=1" in n for n in first), "sd_notify READY=1 at start", first)
ops = d2.token_add("ops")
st, _ = d2.json("GET", "/v1/jobs", token=ops)
t.ok(st == 200, "a token added while running is accepted at once (no SIGHUP needed)")
st, _ = d2.json("GET", "/v1/hosts/sw9")
t.ok(st == 404, "sw9 is not in the inventory yet")
d2.write("inventory.yaml", open(d2.path("inventory.yaml")).read() +
         "  sw9:\n    groups: [core]\n")
d2.signal(signal.SIGHUP)
hup = notes()
t.ok(any("RELOADING=1" in n for n in hup) and any("READY=1" in n for n in hup),
     "sd_notify RELOADING=1 then READY=1 on SIGHUP", hup)
st, _ = d2.json("GET", "/v1/jobs", token=ops)
t.ok(st == 200, "after SIGHUP the new token works")
st, _ = d2.json("GET", "/v1/hosts/sw9")
t.ok(st == 200, "after SIGHUP the new host is known")
r = d2.run("token", "revoke", "ops")
d2.write("inventory.yaml", "hosts: [this is: not valid\n")
d2.signal(signal.SIGHUP)
notes()
st, _ = d2.json("GET", "/v1/jobs", token=ops)
t.ok(r.returncode == 0 and st == 401, "a revoked token is refused after SIGHUP")
st, _ = d2.json("GET", "/v1/hosts/sw9")
t.ok(st == 200 and "inventory kept as it was" in d2.log(),
     "a broken inventory on SIGHUP keeps the previous one (and says so)")

# ---- schedules and backups with diffs ---------------------------------------------------------
st, s = d2.json("GET", "/v1/schedules")
names = {x["name"]: x for x in s["schedules"]}
t.ok(st == 200 and set(names) == {"nightly-backup", "weekly"} and
     names["nightly-backup"]["next"].endswith("03:00:00.000Z") is not None and
     names["nightly-backup"]["kind"] == "backup", "GET /v1/schedules", s)
st, j = d2.json("POST", "/v1/schedules/nightly-backup/run")
t.ok(st == 202, "POST /v1/schedules/NAME/run starts it now", (st, j))
b1 = d2.wait_job(j["id"])
t.ok(b1["kind"] == "backup" and b1["state"] == "succeeded" and
     set(b1["hosts"]) == {"sw1", "sw2", "sw9"} and b1["submitted_by"].startswith("ci"),
     "the backup job ran on the limit's hosts", b1)
# change sw1's configuration (back to the first inventory, so sw9 leaves again)
d2.write("inventory.yaml", open(os.path.join(d.dir, "inventory.yaml")).read().replace(
    "description uplink", "description core uplink\\n shutdown"))
d2.signal(signal.SIGHUP)
notes()
st, j = d2.json("POST", "/v1/schedules/nightly-backup/run")
b2 = d2.wait_job(j["id"])
st, lst = d2.json("GET", "/v1/backups/sw1")
t.ok(st == 200 and len(lst["backups"]) == 2 and lst["backups"][0]["changed"] and
     lst["backups"][0]["command"] == "show running-config", "two backups of sw1 listed", lst)
st, one = d2.json("GET", f"/v1/backups/sw1/{lst['backups'][0]['id']}")
want_diff_lines = ["- description uplink", "+ description core uplink", "+ shutdown"]
t.ok(st == 200 and one["text"].startswith("hostname sw1\n") and
     all(x in one["diff"].splitlines() for x in want_diff_lines) and
     one["diff"].startswith("--- sw1 backup ") and one["previous"] == lst["backups"][1]["id"],
     "GET /v1/backups/sw1/ID: text and unified diff against the previous capture", one)
st, one = d2.json("GET", f"/v1/backups/sw2/{lst['backups'][0]['id']}")
t.ok(st == 404, "a backup id of another host: 404")
st, _ = d2.json("GET", "/v1/backups/nosuchhost")
t.ok(st == 404, "backups of an unknown host: 404")
st, j = d2.json("POST", "/v1/schedules/nope/run")
t.ok(st == 404, "unknown schedule: 404")

# ---- per-device exclusivity under concurrency -------------------------------------------------
jobs = [d2.submit("quick", limit="core") for _ in range(8)]
st, c = d2.json("POST", "/v1/commands", body={"host": "sw1", "commands": ["show version"] * 3})
results = [d2.wait_job(i) for i in jobs]
t.ok(all(r["state"] == "succeeded" for r in results) and st == 200,
     "8 concurrent jobs on the same devices all succeed", [r["state"] for r in results])
intervals = {}
for i in jobs:
    start = {}
    for _, name, data in d2.events(i):
        if name == "host_started":
            start[data["host"]] = data["time"]
        elif name == "host_finished":
            intervals.setdefault(data["host"], []).append((start[data["host"]], data["time"]))
overlap = False
for host, iv in intervals.items():
    iv.sort()
    for (a0, a1), (b0, b1_) in zip(iv, iv[1:]):
        if b0 < a1:
            overlap = True
t.ok(not overlap and len(intervals["sw1"]) == 8, "no two jobs worked on one device at once",
     intervals)
overlaps = [d2.json("GET", f"/v1/hosts/{h}")[1]["status"]["double_overlaps"]
            for h in ("sw1", "sw2")]  # sw9 left the inventory with the last reload
t.ok(overlaps == [0, 0], "the backend never saw overlapping use of a device", overlaps)

# ---- SIGTERM drain ----------------------------------------------------------------------------
lid = d2.submit("long", limit="sw1")
time.sleep(0.3)
d2.signal(signal.SIGTERM)
time.sleep(0.3)
st, j = d2.json("POST", "/v1/jobs", body={"playbook": "quick"})
t.ok(st == 503, "while draining new jobs are refused with 503", (st, j))
st, h = d2.json("GET", "/healthz", token=None)
t.ok(st == 503 and h["status"] == "draining", "healthz reports draining", h)
st, j = d2.json("GET", f"/v1/jobs/{lid}")
t.ok(st == 200 and j["state"] == "running", "reads still work while draining")
rc = d2.proc.wait(timeout=30 * SLOW)
stop_notes = notes()
t.ok(rc == 0 and any("STOPPING=1" in n for n in stop_notes),
     "drain: exit 0 after the running job, STOPPING=1 sent", (rc, stop_notes))
d2.start()
t.ok(d2.job(lid)["state"] == "succeeded", "the running job finished during the drain")
d2.stop()
ns.close()

# ---- drain with a short grace period ----------------------------------------------------------
d3 = Daemon(config="limits: {drain_grace: 1, jobs_running: 1, jobs_queued: 2}\n")
d3.start()
long_id = d3.submit("slow", limit="sw3")
queued_id = d3.submit("quick")
st, j = d3.json("POST", "/v1/jobs", body={"playbook": "quick"})
t.ok(st == 429 and "too many unfinished jobs" in j["error"], "a full job queue answers 429", j)
time.sleep(0.3)
t0 = time.time()
rc = d3.stop()
took = time.time() - t0
d3.start()
j = d3.job(long_id)
t.ok(rc == 0 and took < 15 * SLOW, "grace over: exit 0 without waiting for the job", (rc, took))
t.ok(j["state"] == "interrupted" and "grace" in (j["error"] or ""),
     "the running job is interrupted by the drain", j)
j = d3.job(queued_id)
t.ok(j["state"] == "interrupted" and "before the job started" in (j["error"] or ""),
     "the queued job is interrupted without starting", j)
d3.stop()

# ---- the production binary (runner backend) ---------------------------------------------------
p = Daemon(production=True, inventory="hosts:\n  sw1: {host: 127.0.0.1, platform: cisco_ios}\n",
           playbooks={})
r = p.run("--version")
t.ok(r.returncode == 0 and "backend runner" in r.stdout, "netautod --version", r.stdout)
r = p.run("token", "list")
t.ok(r.returncode == 0 and r.stdout.startswith("ci "), "netautod token list", r.stdout)
r = p.run("token", "add", "ci", "--scope", "read")
t.ok(r.returncode == 2 and "already exists" in r.stderr, "token add of an existing name fails")
r = p.run("token", "revoke", "nobody")
t.ok(r.returncode == 1 and "no token named 'nobody'" in r.stderr, "token revoke of an unknown name")
tokens_text = open(p.path("state/tokens")).read()
t.ok(p.token not in tokens_text and oct(os.stat(p.path("state/tokens")).st_mode & 0o777) == "0o600",
     "the token file holds only hashes, mode 0600")
p.start()
st, h = p.json("GET", "/healthz", token=None)
t.ok(st == 200 and h["backend"] == "runner", "production netautod serves with the runner backend")
st, j = p.json("POST", "/v1/jobs", body={"playbook": "quick"})
t.ok(st == 400 and "no playbook 'quick'" in j["error"], "an unknown playbook: 400", j)
r = p.run("fingerprint")
t.ok(r.returncode == 0 and r.stdout.strip() == p.fingerprint, "netautod fingerprint")
t.ok(p.stop() == 0, "production netautod: SIGTERM, exit 0")
p.write("netautod.yaml", "port: 8443\nlimits:\n  per_device: 4\n")
r = p.run("check-config")
t.ok(r.returncode == 2 and f"{p.config}:3:15: per_device must be 1" in r.stderr,
     "configuration errors name FILE:LINE:COLUMN (exit 2)", r.stderr)
r = subprocess.run(p.argv(), capture_output=True, text=True, timeout=60 * SLOW)
t.ok(r.returncode == 2 and ":3:15:" in r.stderr, "netautod refuses to start on a bad config")

sys.exit(t.done())
