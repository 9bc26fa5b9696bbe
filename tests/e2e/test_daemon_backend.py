#!/usr/bin/python3
"""test_daemon_backend.py — netautod with its production backend against 51 simulated devices
over SSH (strict host keys; device password and enable secret from a vault): authentication
(401), invalid requests (400 with the message: bad JSON, unknown playbook, a path, inline YAML
with a positioned error, script tasks inline, a limit matching nothing) creating no job; the
example VLAN playbook on 50 devices followed over server-sent events to `succeeded`, results
per host, VLANs 2-5 on every device (read from the simulator); two concurrent jobs and ad-hoc
commands on the same devices never overlapping on any device (the simulator's
max_concurrent_sessions and max_concurrent_config stay 1); a refused login (200 with ok: false,
counted in /metrics, host unreachable); the CLI (`netauto --server ... run` and `show`);
scheduled backups through the session pool with a diff after a change; /metrics parsed, with
real session and latency numbers; and no secret (device password, enable secret, API token,
vault passphrase) in the daemon's log, output, job store, job results, inventory or /metrics."""

import json
import os
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import (DEV_PASSWORD, ENABLE_SECRET, VAULT_PASS, cli, command,  # noqa: E402
                         lab_daemon, sim_args, wait_for)
from netautod_harness import Tap, parse_exposition  # noqa: E402
from simproc import Sim  # noqa: E402

t = Tap()
N = 50
GOOD = "all:!sw51"  # sw51 refuses every login

VLAN9 = """\
- name: vlan 9 everywhere
  hosts: all
  tasks:
    - name: vlan 9
      config: ["vlan 9", "name nine", "exit"]
"""
VLAN77 = """\
- hosts: all
  tasks:
    - {name: vlan 77, config: ["vlan 77", "name seventy-seven", "exit"]}
"""
ESCAPE = """\
- hosts: sw1
  tasks:
    - name: outside
      copy: {src: ../netautod.yaml, dest: "flash:x"}
"""
SCHEDULE = """\
schedules:
  - name: nightly
    cron: "0 3 * * *"
    backup: show running-config
    limit: "sw1,sw2,sw3"
"""

with Sim(sim_args(N + 1, "--fault", "sw51:refuse-login")) as sim:
    d = lab_daemon(sim, config="limits: {jobs_running: 4, hosts_in_flight: 64}\n"
                   "session_pool: {idle_timeout: 60}\n" + SCHEDULE,
                   playbooks={"vlans.yaml": open(os.path.join(
                       os.environ.get("NETAUTO_ROOT", "."), "playbooks", "examples",
                       "vlans.yaml")).read(), "vlan9.yaml": VLAN9, "vlan77.yml": VLAN77,
                             "escape.yaml": ESCAPE})
    d.start()
    st, h = d.json("GET", "/healthz", token=None)
    t.ok(st == 200 and h["backend"] == "runner", "netautod serves with the runner backend", h)

    # ---- authentication and invalid requests ---------------------------------------------
    st, j = d.json("POST", "/v1/jobs", {"playbook": "vlans"}, token=None)
    t.ok(st == 401, "no token: 401", (st, j))
    st, j = d.json("POST", "/v1/commands", {"host": "sw1", "commands": ["show clock"]},
                   token="nat_" + "B" * 43)
    t.ok(st == 401, "wrong token: 401", (st, j))
    st, j = d.json("POST", "/v1/jobs", body=b'{"playbook": "vlans",')
    t.ok(st == 400 and "invalid JSON" in j["error"], "bad JSON: 400", j)
    st, j = d.json("POST", "/v1/jobs", {"playbook": "nope"})
    t.ok(st == 400 and j["error"].startswith("no playbook 'nope' in "), "unknown playbook: 400", j)
    st, j = d.json("POST", "/v1/jobs", {"playbook": "../playbooks/vlans"})
    t.ok(st == 400 and "may not contain '/'" in j["error"], "a path instead of a name: 400", j)
    st, j = d.json("POST", "/v1/jobs", {"playbook": ".hidden"})
    t.ok(st == 400 and "start with '.'" in j["error"], "a dot name: 400", j)
    st, j = d.json("POST", "/v1/jobs", {"playbook":
                                        "- hosts: all\n  tasks:\n    - name: x\n"
                                        "      command: \"show {{ what }}\"\n"})
    t.ok(st == 400 and j["error"].startswith("<inline playbook>:4:16: task 'x': undefined "
                                             "variable 'what'"),
         "inline playbook with an undefined variable: 400 with file:line:column", j)
    st, j = d.json("POST", "/v1/jobs", {"playbook":
                                        "- hosts: sw1\n  tasks:\n    - name: up\n"
                                        "      script: {src: /etc/hostname}\n"})
    t.ok(st == 400 and "script tasks are only allowed in playbooks stored" in j["error"] and
         j["error"].startswith("<inline playbook>:3:7:"),
         "inline playbooks may not upload local files (script tasks): 400", j)
    st, j = d.json("POST", "/v1/jobs", {"playbook":
                                        "- hosts: sw1\n  tasks:\n    - name: img\n"
                                        "      copy: {src: /etc/hostname, dest: flash:h}\n"})
    t.ok(st == 400 and "copy tasks are only allowed in playbooks stored" in j["error"] and
         j["error"].startswith("<inline playbook>:3:7:"),
         "inline playbooks may not copy local files (copy tasks): 400", j)
    st, j = d.json("POST", "/v1/jobs", {"playbook": "escape"})
    t.ok(st == 400 and "is outside the playbook's directory" in j["error"],
         "a stored playbook's copy stays inside playbook_dir: 400", j)
    st, j = d.json("POST", "/v1/jobs", {"playbook": "vlans", "limit": "core9"})
    t.ok(st == 400 and "matches no host or group" in j["error"], "limit matching nothing: 400",
         j)
    st, j = d.json("GET", "/v1/jobs")
    t.ok(st == 200 and j["jobs"] == [], "no job was created by the rejected requests", j)
    t.ok(sum(sim.counter(f"sw{i}", "connections") for i in range(1, N + 2)) == 0,
         "and no device was contacted")

    # ---- the example playbook on 50 devices, followed over SSE ---------------------------
    jid = d.submit("vlans", limit=GOOD)
    ev = d.events(jid, timeout=120)
    types = [e[1] for e in ev]
    t.ok(ev and types[0] == "job_queued" and types[-1] == "job_finished" and
         ev[-1][2]["state"] == "succeeded",
         "SSE: job_queued ... job_finished, state succeeded", types[-3:] + [ev[-1][2]])
    t.ok(types.count("host_started") == N and types.count("host_finished") == N and
         types.count("task_result") == 3 * N,
         "SSE: 50 host_started, 150 task_result, 50 host_finished",
         {k: types.count(k) for k in set(types)})
    job = d.job(jid)
    hosts = job["hosts"]
    t.ok(job["state"] == "succeeded" and len(hosts) == N and job["summary"]["ok"] == N and
         job["targets"] == [f"sw{i}" for i in range(1, N + 1)],
         "GET /v1/jobs/ID: succeeded, 50 targets in inventory order, 50 ok",
         {k: job[k] for k in ("state", "summary", "error")})
    h7 = hosts.get("sw7", {})
    t.ok(h7.get("ok") and h7.get("changed") and h7.get("status") == "ok" and
         [x["name"] for x in h7["tasks"]] ==
         ["create VLANs 2-5", "save the configuration", "show the VLANs"] and
         h7["tasks"][0]["commands"][:2] == ["vlan 2", "name users"] and
         "printers" in h7["tasks"][2]["output"],
         "per-host results: tasks, commands sent, device output", h7)
    stats = sim.stats()
    have = [n for n in (f"sw{i}" for i in range(1, N + 1))
            if {2, 3, 4, 5} <= set(stats["devices"][n]["vlans"])]
    t.ok(len(have) == N, "VLANs 2-5 are on all 50 devices (the simulator's own state)",
         len(have))
    t.ok(all(stats["devices"][f"sw{i}"]["saves"] == 1 for i in range(1, N + 1)),
         "each device saved once")

    # ---- two concurrent jobs and commands on the same devices -----------------------------
    j1 = d.submit("vlan9", limit=GOOD)
    j2 = d.submit("vlans", limit="sw1,sw2,sw3,sw4,sw5,sw6,sw7,sw8,sw9,sw10")
    answers = []

    def spam():
        for k in range(6):
            answers.append(command(d, f"sw{1 + k % 3}", "show vlan brief", "show clock"))

    th = threading.Thread(target=spam)
    th.start()
    a = d.wait_job(j1, timeout=120)
    b = d.wait_job(j2, timeout=120)
    th.join(120)
    t.ok(a["state"] == "succeeded" and b["state"] == "succeeded",
         "both concurrent jobs succeeded", (a["state"], a["error"], b["state"], b["error"]))
    t.ok(len(answers) == 6 and all(st == 200 and r["ok"] for st, r in answers),
         "commands sent meanwhile all succeeded", answers[:2])
    stats = sim.stats()
    over = {n: (v["max_concurrent_sessions"], v["max_concurrent_config"])
            for n, v in stats["devices"].items() if n != "sw51" and
            (v["max_concurrent_sessions"] != 1 or v["max_concurrent_config"] != 1)}
    t.ok(not over, "no device ever had two sessions or two config sessions at once", over)
    t.ok(all(9 in stats["devices"][f"sw{i}"]["vlans"] for i in range(1, N + 1)),
         "VLAN 9 is on every device")

    # ---- a device refusing the login -------------------------------------------------------
    st, r = command(d, "sw51", "show clock")
    t.ok(st == 200 and r["ok"] is False and r["error"]["code"] == "auth" and r["commands"] == [],
         "POST /v1/commands to a device refusing the login: 200, ok false, error auth", r)
    st, h = d.json("GET", "/v1/hosts/sw51")
    t.ok(st == 200 and h["status"]["reachable"] is False and h["status"]["last_error"],
         "the host's status says unreachable, with the error", h.get("status"))
    st, h = d.json("GET", "/v1/hosts/sw1")
    t.ok(st == 200 and h["status"]["reachable"] is True and h["status"]["last_seen"] and
         h["host"]["password"] == "********" and h["host"]["secret"] == "********",
         "a reached host: reachable, last_seen; its settings have secrets masked", h)
    st, h = d.json("GET", "/v1/hosts/nosuch")
    t.ok(st == 404, "unknown host: 404")
    st, r = command(d, "nosuch", "show clock")
    t.ok(st == 404 and "no host 'nosuch'" in r["error"], "commands to an unknown host: 404", r)
    st, inv = d.json("GET", "/v1/inventory")
    t.ok(st == 200 and len(inv["hosts"]) == N + 1 and
         inv["hosts"]["sw3"]["password"] == "********" and
         set(inv["groups"]["all"]["hosts"]) == set(inv["hosts"]),
         "GET /v1/inventory: every host, secrets masked, groups with members",
         {k: inv.get(k) for k in ("inventory", "format")})

    # ---- the CLI against the daemon ----------------------------------------------------------
    r = cli(d, "run", "vlans", "--limit", "sw11,sw12")
    t.ok(r.returncode == 0 and "accepted by" in r.stdout,
         "netauto --server ... run vlans: exit 0", r.stdout + r.stderr)
    r = cli(d, "show", "sw11", "show vlan brief")
    t.ok(r.returncode == 0 and "users" in r.stdout and "printers" in r.stdout,
         "netauto --server ... show sw11 'show vlan brief': the device's table", r.stdout +
         r.stderr)
    r = cli(d, "show", "sw51", "show clock")
    t.ok(r.returncode == 1 and "sw51" in r.stderr, "show on a device refusing the login: exit 1",
         r.stderr)

    # ---- backups through the pool, diff after a change ---------------------------------------
    st, j = d.json("POST", "/v1/schedules/nightly/run", {})
    b1 = d.wait_job(j["id"], timeout=60) if st == 202 else None
    t.ok(b1 and b1["state"] == "succeeded" and sorted(b1["hosts"]) == ["sw1", "sw2", "sw3"],
         "a backup schedule run now: succeeded on its 3 devices", b1 or j)
    st, bl = d.json("GET", "/v1/backups/sw2")
    first = bl["backups"][0] if st == 200 and bl["backups"] else None
    st, bk = d.json("GET", f"/v1/backups/sw2/{first['id']}") if first else (0, {})
    t.ok(st == 200 and "hostname sw2" in bk["text"] and "vlan 9" in bk["text"],
         "the backup holds the device's running-config", bk.get("text", "")[:300])
    jid77 = d.submit("vlan77", limit="sw2")
    t.ok(d.wait_job(jid77)["state"] == "succeeded", "a change on sw2")
    st, j = d.json("POST", "/v1/schedules/nightly/run", {})
    b2 = d.wait_job(j["id"], timeout=60) if st == 202 else None
    st, bl = d.json("GET", "/v1/backups/sw2")
    newest = bl["backups"][0]
    st, bk = d.json("GET", f"/v1/backups/sw2/{newest['id']}")
    t.ok(b2 and b2["state"] == "succeeded" and newest["changed"] and "+vlan 77" in bk["diff"],
         "the next backup of sw2 is changed, its diff shows the new VLAN", bk.get("diff"))
    st, bl3 = d.json("GET", "/v1/backups/sw3")
    t.ok(len(bl3["backups"]) == 2 and not bl3["backups"][0]["changed"],
         "sw3 did not change: its second backup is unchanged", bl3)

    # ---- metrics ----------------------------------------------------------------------------
    st, text = d.metrics()
    try:
        m = parse_exposition(text)
        parsed = True
    except ValueError as e:
        m, parsed = {}, str(e)
    t.ok(st == 200 and parsed is True, "/metrics parses as Prometheus text", parsed)
    idle = m.get(("netautod_sessions_idle", ""), -1)
    pooled = sum(d.json("GET", f"/v1/hosts/sw{i}")[1]["status"]["idle_sessions"]
                 for i in range(1, N + 1))
    t.ok(idle >= 3 and idle == pooled and m[("netautod_sessions_open", "")] >= idle,
         "sessions_open / sessions_idle count the pooled sessions (those of the backups)",
         (m.get(("netautod_sessions_open", "")), idle, pooled))
    count = m.get(("netautod_command_duration_seconds_count", ""), 0)
    t.ok(count >= 3 * N + N + 12 and m[("netautod_command_duration_seconds_sum", "")] > 0,
         "command latency histogram counts every device command (jobs and commands)", count)
    t.ok(m.get(("netautod_login_failures_total", ""), 0) >= 2,
         "login failures counted", m.get(("netautod_login_failures_total", "")))

    # ---- secrets nowhere ------------------------------------------------------------------------
    secrets = {"device password": DEV_PASSWORD, "enable secret": ENABLE_SECRET,
               "API token": d.token, "vault passphrase": VAULT_PASS}
    texts = {"/metrics": text}
    for p in ("/v1/inventory", "/v1/hosts/sw1", "/v1/jobs?limit=1000", "/v1/audit?limit=1000",
              "/v1/backups/sw2"):
        texts[p] = json.dumps(d.json("GET", p)[1])
    for k in d.json("GET", "/v1/jobs?limit=1000")[1]["jobs"]:
        texts[f"job {k['id']}"] = json.dumps(d.job(k["id"]))
    t.ok(d.stop() == 0, "netautod stops cleanly (SIGTERM, exit 0)")
    db = sqlite3.connect(d.path("state/jobs.db"))
    texts["job store dump"] = "\n".join(db.iterdump())
    db.close()
    texts["log"] = d.log()
    texts["stdout+stderr"] = d.stdout() + d.stderr()
    t.ok(len(texts["log"]) > 10000 and "sw7" in texts["job store dump"],
         "the daemon logged (debug) and stored results", len(texts["log"]))
    leaks = [(w, where) for w, s in secrets.items() for where, txt in texts.items() if s in txt]
    t.ok(not leaks, "no secret in the log, output, job store, results, inventory or /metrics",
         leaks)

sys.exit(t.done())
