#!/usr/bin/python3
"""test_daemon_backend_pool.py — netautod's device session pool (POST /v1/commands) against
the simulator, counted by the simulator itself: a second command reuses the pooled session (no
new login), a device error keeps it, after the idle timeout it is gone (a new login); a pooled
session the device closed (reloaded from its console) is replaced by a fresh one; a pooled session that went silent is
discarded after the command's deadline and the command retried once on a fresh session; asking
for the other transport closes the idle one first (one session per device); a job on a device
closes its pooled session before logging in; the pool's size bound closes the oldest idle
session; GET /v1/hosts/{name} and /metrics show the sessions; and a command still running when
the drain's grace period ends is cancelled (503) and netautod exits 0."""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import (DEV_PASSWORD, ENABLE_SECRET, command, lab_daemon, logins,  # noqa: E402
                         sim_args, wait_for)
from netautod_harness import SLOW, Tap, parse_exposition  # noqa: E402
from simcli import TelnetClient  # noqa: E402
from simproc import Sim  # noqa: E402

t = Tap()
IDLE = 3 * SLOW
ON_OPEN = 3  # terminal length 0, terminal width 511, enable: commands the device counts


def metrics(d):
    st, text = d.metrics()
    m = parse_exposition(text)
    return m[("netautod_sessions_open", "")], m[("netautod_sessions_idle", "")]


def status(d, host):
    return d.json("GET", f"/v1/hosts/{host}")[1]["status"]


args = sim_args(7, "--fault", f"sw3:stall-after={ON_OPEN + 1}", "--fault", "sw7:slow=150")
with Sim(args) as sim:
    d = lab_daemon(sim, config=f"session_pool: {{idle_timeout: {IDLE}}}\n"
                   "backend: {pool_size: 3}\nlimits: {drain_grace: 1}\n",
                   host_extra={"sw3": "timeouts: {command: 1}"})
    d.start()

    # ---- reuse ---------------------------------------------------------------------------
    st, r1 = command(d, "sw1", "show clock")
    st2, r2 = command(d, "sw1", "show version", "show vlan brief")
    s = sim.stats()
    t.ok(st == 200 and r1["ok"] and r1["session"] == "new" and
         s["devices"]["sw1"]["commands"] == ON_OPEN + 3,
         "first command: a new session (the device counts the on-open commands too)",
         (r1, s["devices"]["sw1"]["commands"]))
    t.ok(st2 == 200 and r2["ok"] and r2["session"] == "pooled" and logins(sim, "sw1", s) == 1 and
         "Cisco IOS Software" in r2["commands"][0]["output"] and
         "default" in r2["commands"][1]["output"],
         "second command: the pooled session, no new login (simulator: 1 login)",
         (r2["session"], s["devices"]["sw1"]["logins"]))
    st, h = d.json("GET", "/v1/hosts/sw1")
    t.ok(h["status"]["sessions"] == 1 and h["status"]["idle_sessions"] == 1 and
         h["status"]["reachable"] is True, "GET /v1/hosts/sw1: one idle pooled session",
         h["status"])
    st, r = command(d, "sw1", "show foo", "show clock")
    t.ok(st == 200 and r["ok"] is False and r["error"]["code"] == "device-error" and
         len(r["commands"]) == 1 and "Invalid input" in r["commands"][0]["output"] and
         r["session"] == "pooled" and not r["retried"],
         "a rejected command: ok false with the device's text, stops there, no retry", r)
    st, r = command(d, "sw1", "show clock")
    t.ok(r["ok"] and r["session"] == "pooled" and logins(sim, "sw1") == 1,
         "a device error leaves the session pooled", r)

    # ---- a pooled session the device closed ------------------------------------------------
    st, r = command(d, "sw2", "show clock")
    first_ok = r["ok"] and r["session"] == "new"
    # someone else reloads the device on its console: it drops every session, the pooled one too
    tc = TelnetClient(sim.devices["sw2"].addr, sim.devices["sw2"].telnet_port)
    try:
        tc.login(password=DEV_PASSWORD)
        tc.send(b"enable\r\n")
        tc.expect(rb"Password: $")
        tc.send(ENABLE_SECRET.encode() + b"\r\n")
        tc.expect(rb"#$")
        tc.send(b"reload\r\n")
        tc.expect(rb"\[confirm\]")
        tc.send(b"\r\n")
        tc.wait_eof()
    finally:
        tc.close()
    wait_for(lambda: sim.stats()["devices"]["sw2"]["sessions_open"] == 0, timeout=10)
    st, r = command(d, "sw2", "show clock")
    s = sim.stats()["devices"]["sw2"]
    t.ok(first_ok and st == 200 and r["ok"] and r["session"] == "new" and not r["retried"] and
         s["logins"]["ssh"] == 2 and "the device closed it" in d.log(),
         "the device closed the pooled session: noticed before use, a fresh login", (r, s))

    # ---- a pooled session that went silent --------------------------------------------------
    st, r = command(d, "sw3", "show clock")
    first_ok = r["ok"]
    t0 = time.time()
    st, r = command(d, "sw3", "show clock")
    took = time.time() - t0
    t.ok(first_ok and st == 200 and r["ok"] and r["retried"] and r["session"] == "new" and
         logins(sim, "sw3") == 2 and 1.0 <= took < 20 * SLOW,
         "a silent pooled session: discarded after the 1 s deadline, retried once on a new one",
         (r, took))

    # ---- one session per device: the other transport ----------------------------------------
    command(d, "sw4", "show clock")
    st, r = command(d, "sw4", "show clock", transport="telnet")
    s = sim.stats()["devices"]["sw4"]
    t.ok(r["ok"] and r["transport"] == "telnet" and r["session"] == "new" and
         s["logins"] == {"ssh": 1, "telnet": 1} and s["sessions_open"] == 1 and
         s["max_concurrent_sessions"] == 1,
         "asking for Telnet closes the idle SSH session first: never two sessions", s)
    st, r = command(d, "sw4", "show clock", transport="telnet")
    t.ok(r["session"] == "pooled", "the Telnet session is pooled in turn", r)

    # ---- a job closes the device's pooled session -------------------------------------------
    command(d, "sw5", "show clock")
    before = status(d, "sw5")
    jid = d.submit("vlans", limit="sw5")
    job = d.wait_job(jid, timeout=60)
    s = sim.stats()["devices"]["sw5"]
    after = status(d, "sw5")
    t.ok(before["idle_sessions"] == 1 and job["state"] == "succeeded" and
         s["max_concurrent_sessions"] == 1 and after["idle_sessions"] == 0 and
         logins(sim, "sw5") == 2 and "needed by other work" in d.log(),
         "a job on the device closes its pooled session before logging in", (before, s, after))

    # ---- the idle timeout -------------------------------------------------------------------
    o, i = metrics(d)
    t.ok(i >= 1 and o >= i, "/metrics: pooled sessions open and idle", (o, i))
    gone = wait_for(lambda: metrics(d) == (0, 0), timeout=IDLE + 5)
    t.ok(gone, "after the idle timeout no session is left open", metrics(d))
    s = sim.stats()
    t.ok(all(v["sessions_open"] == 0 for v in s["devices"].values()),
         "the simulator agrees: no session open", {k: v["sessions_open"] for k, v in
                                                  s["devices"].items()})
    st, r = command(d, "sw1", "show clock")
    t.ok(r["ok"] and r["session"] == "new" and logins(sim, "sw1") == 2,
         "the next command after the idle timeout logs in again", r)

    # ---- the pool's bound (pool_size: 3) -------------------------------------------------------
    for host in ("sw4", "sw5", "sw6"):
        command(d, host, "show clock")
    o, i = metrics(d)
    t.ok(i == 3 and status(d, "sw1")["idle_sessions"] == 0 and
         all(status(d, h)["idle_sessions"] == 1 for h in ("sw4", "sw5", "sw6")),
         "a fourth idle session closes the oldest (pool_size 3)", (o, i))
    n = logins(sim, "sw1")
    st, r = command(d, "sw1", "show clock")
    t.ok(r["session"] == "new" and logins(sim, "sw1") == n + 1,
         "the evicted device logs in again", r)
    s = sim.stats()
    over = {k: v["max_concurrent_sessions"] for k, v in s["devices"].items()
            if v["max_concurrent_sessions"] > 1 and k != "sw2"}  # sw2: the console above
    t.ok(not over, "no device ever had two sessions at once from netautod", over)

    # ---- a command still running when the drain's grace period ends ----------------------------
    out = {}

    def slow():
        out["r"] = command(d, "sw7", "show running-config")

    th = threading.Thread(target=slow)
    th.start()
    wait_for(lambda: d.json("GET", "/v1/hosts/sw7")[1]["lock"]["holder"], timeout=10)
    t0 = time.time()
    d.signal(signal.SIGTERM)
    th.join(60)
    rc = d.proc.wait(60)
    st, r = out.get("r", (0, None))
    t.ok(st == 503 and "cancelled" in r["error"] and rc == 0 and time.time() - t0 < 15 * SLOW,
         "a command running past the drain grace: 503 cancelled, netautod exits 0",
         (st, r, rc, time.time() - t0))

sys.exit(t.done())
