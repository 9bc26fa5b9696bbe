#!/usr/bin/python3
"""test_daemon_api.py — end-to-end tests of netautod's HTTPS API with the test-double backend:
authentication, validation (400/404/405/409/413), a job followed over server-sent events to
`succeeded`, results, cancellation, event replay and client disconnects, ad-hoc commands,
inventory and hosts (secrets masked), /metrics parsed as Prometheus text, the audit trail,
request logging without bodies or tokens, idle and handshake timeouts, and the connection cap."""

import json
import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netautod_harness import SLOW, Daemon, Tap, closed_within, parse_exposition, raw_connect  # noqa: E402

t = Tap()
from netautod_harness import INVENTORY  # noqa: E402

d = Daemon(inventory=INVENTORY + "  slowdev:\n    latency_ms: 3500\n", config="limits: {body_bytes: 4096, client_timeout: 2, sse_heartbeat: 1, "
                  "connections: 12, hosts_in_flight: 16}\n")
d.start()

# ---- authentication ---------------------------------------------------------------------------
st, h = d.json("GET", "/healthz", token=None)
t.ok(st == 200 and h["status"] == "ok" and h["backend"] == "test-double",
     "GET /healthz needs no token", h)
st, hdrs, body = d.request("GET", "/v1/jobs", token=None)
t.ok(st == 401 and "bearer" in hdrs.get("www-authenticate", "").lower(),
     "no token: 401 with WWW-Authenticate", (st, hdrs))
st, _ = d.json("GET", "/v1/jobs", token="nat_" + "A" * 43)
t.ok(st == 401, "wrong token: 401")
st, _, _ = d.request("GET", "/v1/jobs", token=None, headers={"Authorization": "Basic " + d.token})
t.ok(st == 401, "right token, wrong scheme: 401")
st, _ = d.json("GET", "/metrics", token=None)
t.ok(st == 401, "/metrics needs a token")

# ---- validation -------------------------------------------------------------------------------
st, j = d.json("POST", "/v1/jobs", body=b"{not json")
t.ok(st == 400 and "invalid JSON" in j["error"], "bad JSON: 400", j)
st, j = d.json("POST", "/v1/jobs", body=b"[1,2]")
t.ok(st == 400 and "object" in j["error"], "JSON array body: 400", j)
st, j = d.json("POST", "/v1/jobs", body={"limit": "core"})
t.ok(st == 400 and j["error"] == "missing field 'playbook'", "missing playbook: 400", j)
st, j = d.json("POST", "/v1/jobs", body={"playbook": "quick", "colour": "red"})
t.ok(st == 400 and "unknown field 'colour'" in j["error"], "unknown field: 400", j)
st, j = d.json("POST", "/v1/jobs", body={"playbook": "nope"})
t.ok(st == 400 and "no playbook 'nope'" in j["error"], "unknown playbook: 400", j)
st, j = d.json("POST", "/v1/jobs", body={"playbook": "tasks:\n  - [unclosed\n"})
t.ok(st == 400 and j["error"].startswith("<inline playbook>:"),
     "bad inline YAML: 400 with position", j)
st, j = d.json("POST", "/v1/jobs", body={"playbook": "quick", "limit": "nothing-like-this"})
t.ok(st == 400 and "matches no host" in j["error"], "limit matching nothing: 400", j)
st, j = d.json("POST", "/v1/jobs", body={"playbook": "quick", "check": "yes"})
t.ok(st == 400 and "check" in j["error"], "check must be a boolean: 400", j)
st, _, _ = d.request("POST", "/v1/jobs", body=b'{"playbook": "' + b"x" * 10000 + b'"}')
t.ok(st == 413, "oversized body: 413", st)
st, hdrs, _ = d.request("DELETE", "/v1/inventory")
t.ok(st == 405 and hdrs.get("allow") == "GET", "wrong method: 405 with Allow", (st, hdrs))
st, _ = d.json("GET", "/v1/nothing")
t.ok(st == 404, "unknown endpoint: 404")
st, _ = d.json("GET", "/v1/jobs/99999")
t.ok(st == 404, "unknown job: 404")
st, _ = d.json("GET", "/v1/jobs/abc")
t.ok(st == 404, "non-numeric job id: 404")
st, j = d.json("GET", "/v1/jobs?state=sleeping")
t.ok(st == 400, "unknown state filter: 400", j)
st, body = d.json("GET", "/v1/jobs")
t.ok(st == 200 and body == {"jobs": []}, "no job was created by the rejected requests", body)

# ---- a job followed to the end over SSE -------------------------------------------------------
st, hdrs, body = d.request("POST", "/v1/jobs", body={
    "playbook": "quick", "vars": {"site": "lab", "enable_password": "pw-xyz-123",
                                  "nested": {"api_token": "tok-abc"}}})
job = json.loads(body)
t.ok(st == 202 and job["state"] == "queued" and hdrs.get("location") == f"/v1/jobs/{job['id']}",
     "POST /v1/jobs: 202 with id and Location", (st, hdrs, body))
ev = d.events(job["id"])
names = [e[1] for e in ev]
t.ok(names[0] == "job_queued" and names[1] == "job_started" and names[-1] == "job_finished",
     "event stream: queued, started ... finished", names)
t.ok([e[0] for e in ev] == list(range(1, len(ev) + 1)), "event ids are 1..N in order")
t.ok(ev[-1][2]["state"] == "succeeded" and ev[-1][2]["summary"]["ok"] == 2,
     "stream ends with job_finished succeeded", ev[-1])
per_host = {}
for _, name, data in ev:
    if "host" in data:
        per_host.setdefault(data["host"], []).append(name)
t.ok(per_host == {"sw1": ["host_started", "task_result", "task_result", "host_finished"],
                  "sw2": ["host_started", "task_result", "task_result", "host_finished"]},
     "per host: started, one result per task, finished", per_host)
j = d.job(job["id"])
ok_shape = all(set(r) >= {"ok", "changed", "error", "tasks"} for r in j["hosts"].values())
task = j["hosts"]["sw1"]["tasks"][0]
t.ok(j["state"] == "succeeded" and ok_shape and set(task) >= {
    "name", "ok", "changed", "output", "elapsed_ms", "commands"},
    "GET job: per-host results in the `netauto run --json` shape", j)
t.ok(task["output"] == "Cisco IOS Software, Version 15.2\n" and task["commands"] == ["show version"],
     "task output and commands", task)
t.ok(j["submitted_by"] == "ci" and j["created"] and j["started"] and j["finished"] and
     j["summary"] == {"targets": 2, "finished": 2, "ok": 2, "failed": 0, "changed": 2},
     "job record: who, times, summary", j)
t.ok(j["request"]["vars"] == {"site": "lab", "enable_password": "********",
                              "nested": {"api_token": "********"}},
     "secret-looking vars are masked in the stored request", j["request"])
st, raw, body = d.request("GET", f"/v1/jobs/{job['id']}")
t.ok(b"pw-xyz-123" not in body and b"tok-abc" not in body, "the secret values are not served")
ev2 = d.events(job["id"], last_id=3)
t.ok([e[0] for e in ev2] == list(range(4, len(ev) + 1)), "Last-Event-ID replays only later events",
     [e[0] for e in ev2])

# ---- failures, listing ------------------------------------------------------------------------
fid = d.submit("fails")
j = d.wait_job(fid)
t.ok(j["state"] == "failed" and not j["hosts"]["sw2"]["ok"] and j["hosts"]["sw1"]["ok"] and
     "breaks on sw2" in j["hosts"]["sw2"]["error"], "a failing host fails the job", j)
bid = d.submit("quick", limit="bad")
j = d.wait_job(bid)
t.ok(j["state"] == "failed" and "authentication" in j["hosts"]["bad"]["error"],
     "login failure is a host failure", j)
st, l = d.json("GET", "/v1/jobs?state=failed")
t.ok(st == 200 and [x["id"] for x in l["jobs"]] == [bid, fid], "list ?state=failed, newest first",
     l)
st, l = d.json("GET", "/v1/jobs?limit=1")
t.ok(st == 200 and len(l["jobs"]) == 1 and l["jobs"][0]["id"] == bid, "list ?limit=1")

# ---- cancel -----------------------------------------------------------------------------------
cid = d.submit("slow", limit="sw3")
seen = d.events(cid, stop_after=3)  # queued, started, host_started
st, j = d.json("DELETE", f"/v1/jobs/{cid}")
t.ok(st == 202 and j["state"] == "cancelling", "DELETE a running job: 202 cancelling", (st, j))
j = d.wait_job(cid)
t.ok(j["state"] == "cancelled", "the job ends cancelled", j)
names = [e[1] for e in d.events(cid)]
t.ok("cancel_requested" in names and names[-1] == "job_finished", "events show the cancel", names)
st, j = d.json("DELETE", f"/v1/jobs/{cid}")
t.ok(st == 409, "DELETE a finished job: 409", (st, j))
st, j = d.json("DELETE", "/v1/jobs/424242")
t.ok(st == 404, "DELETE an unknown job: 404")

# ---- a client that goes away mid-stream -------------------------------------------------------
sid = d.submit("long", limit="sw1")
holder = {}
d.events(sid, stop_after=2, on_open=lambda c: holder.setdefault("c", c))
time.sleep(0.1)
_, m = d.metrics()
open_streams = parse_exposition(m)[("netautod_event_streams", "")]
deadline = time.time() + 10 * SLOW
while time.time() < deadline and open_streams > 0:
    time.sleep(0.2)
    open_streams = parse_exposition(d.metrics()[1])[("netautod_event_streams", "")]
t.ok(open_streams == 0, "a closed event stream is cleaned up (heartbeat notices)", open_streams)
t.ok(d.wait_job(sid)["state"] == "succeeded", "the job is unaffected by its watcher leaving")

# ---- commands ---------------------------------------------------------------------------------
st, j = d.json("POST", "/v1/commands", body={"host": "sw1", "commands": ["show version",
                                                                         "show clock"]})
t.ok(st == 200 and j["ok"] and j["commands"][0]["output"] == "Cisco IOS Software, Version 15.2\n"
     and j["commands"][1]["command"] == "show clock", "POST /v1/commands: outputs", j)
st, j = d.json("POST", "/v1/commands", body={"host": "sw1", "commands": ["show version"],
                                             "transport": "telnet"})
t.ok(st == 200 and j["transport"] == "telnet", "transport telnet passed to the backend", j)
st, j = d.json("POST", "/v1/commands", body={"host": "nope", "commands": ["show version"]})
t.ok(st == 404, "commands on an unknown host: 404", j)
st, j = d.json("POST", "/v1/commands", body={"host": "sw1", "commands": []})
t.ok(st == 400, "no commands: 400", j)
st, j = d.json("POST", "/v1/commands", body={"host": "sw1", "commands": ["a"],
                                             "transport": "serial"})
t.ok(st == 400, "bad transport: 400", j)
st, j = d.json("POST", "/v1/commands", body={"host": "bad", "commands": ["show version"]})
t.ok(st == 200 and j["ok"] is False and j["error"]["code"] == "auth",
     "device login failure: 200 with ok false", j)

t0 = time.time()
st, j = d.json("POST", "/v1/commands", body={"host": "slowdev", "commands": ["show tech"]})
t.ok(st == 200 and j["ok"] and time.time() - t0 >= 3.4,
     "a command slower than the client idle timeout (2 s) is not cut off", (st, j))

# ---- inventory, hosts -------------------------------------------------------------------------
st, raw, body = d.request("GET", "/v1/inventory")
inv = json.loads(body)
t.ok(st == 200 and set(inv["hosts"]) == {"sw1", "sw2", "sw3", "bad", "slowdev"} and
     inv["hosts"]["sw2"]["password"] == "********" and b"S3cr3t-Pass-42" not in body,
     "GET /v1/inventory, passwords masked", inv)
st, j = d.json("GET", "/v1/hosts/sw1")
t.ok(st == 200 and j["name"] == "sw1" and j["status"]["reachable"] is True and
     j["status"]["last_seen"] and j["lock"] == {"holder": None, "held_ms": None, "waiting": 0},
     "GET /v1/hosts/sw1: settings, status, lock", j)
st, j = d.json("GET", "/v1/hosts/sw9")
t.ok(st == 404, "unknown host: 404")

# ---- metrics ----------------------------------------------------------------------------------
st, text = d.metrics()
try:
    s = parse_exposition(text)
    parsed = True
except ValueError as e:
    s, parsed = {}, False
    print(f"# {e}")
t.ok(st == 200 and parsed, "GET /metrics parses as Prometheus text", text[:2000])
t.ok(s.get(("netautod_jobs", 'state="succeeded"')) == 2 and
     s.get(("netautod_jobs", 'state="failed"')) == 2 and
     s.get(("netautod_jobs", 'state="cancelled"')) == 1, "jobs by state", s)
# host "bad": the "fails" job (all hosts), the job limited to it, and one command
t.ok(s.get(("netautod_login_failures_total", "")) == 3, "device login failures counted")
t.ok(s.get(("netautod_http_requests_total", 'code="401"'), 0) >= 4 and
     s.get(("netautod_api_auth_failures_total", ""), 0) >= 4, "401s counted")
t.ok(s.get(("netautod_command_duration_seconds_count", ""), 0) >= 10,
     "command latency histogram filled", s.get(("netautod_command_duration_seconds_count", "")))
t.ok(("netautod_sessions_open", "") in s, "sessions open reported")

# ---- audit and logs ---------------------------------------------------------------------------
st, a = d.json("GET", "/v1/audit?limit=200")
actions = [(x["who"], x["action"]) for x in a["audit"]]
t.ok(("ci", "job.submit") in actions and ("ci", "job.cancel") in actions and
     ("ci", "commands") in actions and ("netautod", "start") in actions,
     "audit trail: submissions, cancel, commands, start", actions)
cmd_audit = [x for x in a["audit"] if x["action"] == "commands"]
t.ok(cmd_audit and cmd_audit[-1]["target"] == "sw1" and "show version" in cmd_audit[-1]["detail"],
     "audit names the device and the commands", cmd_audit[-1:])
log = d.log()
t.ok("api: ci POST /v1/jobs 202" in log and "api: - GET /v1/jobs 401" in log,
     "requests logged with who, method, path, status", log[-3000:])
t.ok(d.token not in log and "pw-xyz-123" not in log and "enable_password" not in log,
     "no token and no request body in the log")

# ---- timeouts and the connection cap ----------------------------------------------------------
s1 = raw_connect(d.port)
t0 = time.time()
t.ok(closed_within(s1, 8 * SLOW), "a client that sends nothing is disconnected (no TLS hello)",
     time.time() - t0)
s1.close()
ctx = d.context()
s2 = ctx.wrap_socket(raw_connect(d.port), server_hostname="127.0.0.1")
t.ok(closed_within(s2, 8 * SLOW), "a TLS client that sends no request is disconnected")
s2.close()
plain = raw_connect(d.port)
plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
plain.settimeout(8 * SLOW)
try:
    got = plain.recv(100)
except OSError:
    got = b""
t.ok(not got.startswith(b"HTTP/"), "plain HTTP on the TLS port gets no HTTP answer", got)
plain.close()

def late_request(result):
    try:
        result["status"] = d.json("GET", "/healthz", token=None)[0]
    except Exception as e:  # noqa: BLE001
        result["error"] = repr(e)
    result["t"] = time.time()


# At the cap with every connection busy (event streams being answered) a new client waits in the
# listen backlog, and is served once slots free up.
busy_job = d.submit("slow", limit="sw3")
streams = []
for _ in range(12):
    c = d.conn()
    c.request("GET", f"/v1/jobs/{busy_job}/events", headers={"Authorization": f"Bearer {d.token}"})
    rs = c.getresponse()
    streams.append((c, rs))
time.sleep(0.3)
result = {}
th = threading.Thread(target=late_request, args=(result,))
t_start = time.time()
th.start()
th.join(1.5)
waited = th.is_alive()
for c, _ in streams:
    c.close()
th.join(20 * SLOW)
t.ok(waited and result.get("status") == 200,
     "at the connection cap with every slot busy a new client waits, and is served once slots "
     "free up", result)
d.json("DELETE", f"/v1/jobs/{busy_job}")

# At the cap with connections that send nothing, the one waiting longest (at least a second) is
# closed for the new client: silent clients cannot keep others out.
idle = [raw_connect(d.port) for _ in range(12)]
time.sleep(1.2)
result = {}
t_start = time.time()
late_request(result)
took = result.get("t", time.time()) - t_start
closed = sum(1 for s in idle if closed_within(s, 0.01))
for s in idle:
    s.close()
t.ok(result.get("status") == 200 and took < 1.0 * SLOW and closed >= 1,
     "at the connection cap a silent connection is closed for a new client", (result, took, closed))

# ---- drain with work in flight ----------------------------------------------------------------
inflight = {}


def slow_command():
    inflight["cmd"] = d.json("POST", "/v1/commands",
                             body={"host": "slowdev", "commands": ["show tech"]}, timeout=60)


def watch_job(job_id):
    inflight["events"] = d.events(job_id, timeout=60)


lj = d.submit("long", limit="sw2")
threads = [threading.Thread(target=slow_command), threading.Thread(target=watch_job, args=(lj,))]
for th in threads:
    th.start()
time.sleep(0.5)
rc = d.stop()
for th in threads:
    th.join(30 * SLOW)
t.ok(rc == 0, "SIGTERM with a command and a watched job in flight: exit 0", rc)
t.ok(inflight.get("cmd", (0,))[0] == 200, "the in-flight command completed during the drain",
     inflight.get("cmd"))
ev = inflight.get("events") or [(0, "", {})]
t.ok(ev[-1][1] == "job_finished" and ev[-1][2]["state"] == "succeeded",
     "the watched job finished during the drain and its stream ended", ev[-1:])
sys.exit(t.done())
