#!/usr/bin/python3
"""test_ui_web.py — netautod's web page (/ui/, issue 19) end to end, in headless Chromium driven
through Debian's chromedriver (webdriver.py), against a production netautod and the device
simulator: the page's security headers (CSP without inline script or style, no framing...) and
no CSP violation in the browser; sign-in with a token (a wrong one refused); the example VLAN
playbook run from the page, its hosts followed live until every one is ok, a host's tasks and
output; a host's backups and the diff between two of them; compare (Telnet vs SSH timings as a
chart, with the output); schedules; a `read` token is offered no run button, no compare, and
gets 403 when it posts a job anyway; and a job of 5,000 hosts: the lists stay virtualised (rows
in the DOM counted) with the time to show and scroll them printed as diagnostics (timing goals
belong in make bench). Screenshots of each page go to $BUILD/ui-screenshots/. Skipped (one SKIP
line) when chromium or chromedriver is missing."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import (DEV_PASSWORD, ENABLE_SECRET, VLANS, lab_daemon, sim_args,  # noqa: E402
                         wait_for)
from netautod_harness import BUILD, SLOW, Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from simproc import Sim  # noqa: E402
from webdriver import Browser, find_browser  # noqa: E402

t = Tap()
if not find_browser():
    t.skip("the web page in a browser", "chromium or chromedriver not installed")
    t.done()

SHOTS = os.path.join(BUILD, "ui-screenshots")
SCHEDULE = """\
schedules:
  - name: nightly-backup
    cron: "30 2 * * *"
    backup: show running-config
"""


# five running-configs from sw4 (2,000 bytes a second): a job that runs long enough to cancel
SLOW_PB = ("- name: slow\n  hosts: all\n  tasks:\n" +
           "".join(f"    - {{name: config {i}, command: show running-config}}\n" for i in range(5)))


def shot(b, name):
    t.ok(b.screenshot(os.path.join(SHOTS, name + ".png")) > 1000, f"screenshot {name}.png")


def sign_in(b, d, token):
    b.get(f"https://127.0.0.1:{d.port}/ui/")
    b.wait_css("#token")
    b.type("#token", token)
    b.click("#signin button[type=submit]")


def csp_violations(b):
    return [m for m in b.console() if "Content Security Policy" in m.get("message", "")]


with Sim(sim_args(4, "--fault", "sw4:slow=2000")) as sim:
    d = lab_daemon(sim, config=SCHEDULE, playbooks={"vlans.yaml": VLANS, "slow.yaml": SLOW_PB})
    d.start()
    read_token = d.token_add("viewer", "read")
    base = f"https://127.0.0.1:{d.port}"

    # ---- served by netautod, with the security headers -------------------------------------
    st, hd, body = d.request("GET", "/ui/", token=None)
    csp = hd.get("content-security-policy", "")
    t.ok(st == 200 and b"app.js" in body and hd.get("content-type", "").startswith("text/html"),
         "GET /ui/ without a token: the page", (st, hd))
    t.ok("default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
         and "frame-ancestors 'none'" in csp and hd.get("x-frame-options") == "DENY" and
         hd.get("x-content-type-options") == "nosniff" and hd.get("referrer-policy") == "no-referrer",
         "strict CSP (no inline script or style), no framing, no sniffing, no referrer", hd)
    st, hd, _ = d.request("GET", "/", token=None)
    t.ok(st == 302 and hd.get("location") == "/ui/", "/ redirects to /ui/", (st, hd))
    st, _, _ = d.request("GET", "/ui/nope.js", token=None)
    st2, _, _ = d.request("POST", "/ui/", body={}, token=None)
    t.ok(st == 404 and st2 == 405, "an unknown page file is 404, a POST 405", (st, st2))
    st, _, _ = d.request("GET", "/v1/jobs", token=None)
    t.ok(st == 401, "the API behind the page still needs the token", st)
    st, me = d.json("GET", "/v1/whoami", token=read_token)
    t.ok(st == 200 and me == {"name": "viewer", "scopes": ["read"]}, "GET /v1/whoami", me)

    # ---- the terminal's WebSocket: ticket, single use, own origin only ------------------------
    def upgrade(path, origin=None):
        """A raw WebSocket handshake on netautod's TLS port: the status line and headers."""
        raw = socket.create_connection(("127.0.0.1", d.port), timeout=30)
        sk = d.context().wrap_socket(raw, server_hostname="127.0.0.1")
        try:
            head = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{d.port}\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n" + (f"Origin: {origin}\r\n" if origin else "") + "\r\n")
            sk.sendall(head.encode())
            got = b""
            while b"\r\n\r\n" not in got:
                chunk = sk.recv(4096)
                if not chunk:
                    break
                got += chunk
            return got.decode(errors="replace")
        finally:
            sk.close()

    st, tk = d.json("POST", "/v1/shell/sw1", {})
    t.ok(st == 200 and len(tk["ticket"]) == 64 and tk["url"].startswith("/v1/shell/sw1/ws?ticket="),
         "POST /v1/shell/sw1: a ticket for the terminal", tk)
    first = upgrade("/v1/shell/sw1/ws?ticket=" + "0" * 64)
    t.ok(first.startswith("HTTP/1.1 401"), "the WebSocket without a valid ticket: 401", first[:80])
    st, tk2 = d.json("POST", "/v1/shell/sw1", {})
    cross = upgrade(tk2["url"], origin="https://evil.example")
    t.ok(cross.startswith("HTTP/1.1 403"), "... from another site's page (Origin): 403", cross[:80])
    ok101 = upgrade(tk["url"], origin=f"https://127.0.0.1:{d.port}")
    t.ok(ok101.startswith("HTTP/1.1 101") and
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in ok101,
         "with its ticket: 101 and the RFC 6455 accept key", ok101[:200])
    again = upgrade(tk["url"])
    t.ok(again.startswith("HTTP/1.1 401"), "a ticket works once", again[:80])
    st, j = d.json("POST", "/v1/shell/nosuch", {})
    t.ok(st == 404, "a terminal to a host not in the inventory: 404", (st, j))
    wait_for(lambda: d.json("GET", "/v1/hosts/sw1")[1]["lock"]["holder"] is None, 10)

    # the login's phases in POST /v1/commands: for a new session, not for a pooled one
    st, c1 = d.json("POST", "/v1/commands", {"host": "sw3", "commands": ["show clock"]})
    st2, c2 = d.json("POST", "/v1/commands", {"host": "sw3", "commands": ["show clock"]})
    lg = c1.get("login") or {}
    t.ok(c1["session"] == "new" and all(isinstance(lg.get(k), float) for k in
                                        ("resolve", "connect", "negotiate", "auth", "shell", "open"))
         and lg["auth"] > 0 and lg["open"] >= lg["auth"] and lg["wire_bytes"]["in"] > 0 and
         c2["session"] == "pooled" and c2["login"] is None,
         "POST /v1/commands: a new session's login timed per phase, none for a pooled one", (c1, c2))

    # a first backup of every device, before the playbook changes them
    st, j = d.json("POST", "/v1/schedules/nightly-backup/run", {})
    bj = d.wait_job(j["id"], timeout=60) if st == 202 else j
    t.ok(bj.get("state") == "succeeded", "a first backup of the 4 devices", bj)

    b = Browser()
    try:
        # ---- sign-in ---------------------------------------------------------------------
        sign_in(b, d, "nat_not-a-token")
        msg = b.wait("const e = document.querySelector('#signin .err'); return e && e.innerText")
        t.ok(msg and "does not know" in msg and not b.exists("#nav a"),
             "a wrong token: refused, nothing shown", msg)
        shot(b, "signin")
        b.type("#token", d.token)
        b.click("#signin button[type=submit]")
        t.ok(b.wait_css("#run-form"), "signed in with an admin token: the jobs page with a Run form")
        t.ok(b.js("return document.cookie") == "" and
             b.js("return localStorage.length + sessionStorage.length") == 0,
             "the token is in no cookie and no storage")

        # ---- run the example playbook and watch its hosts --------------------------------
        b.type("#run-playbook", "vlans")
        b.click("#run-button")
        seen = set()
        deadline = time.time() + 60 * SLOW
        while time.time() < deadline:
            s = b.js("const e = document.getElementById('job-state'); return e && e.innerText")
            if s:
                seen.add(s)
            if s in ("succeeded", "failed"):
                break
            time.sleep(0.02)
        t.ok(seen & {"queued", "running"} and "succeeded" in seen,
             "the job page follows the job live: queued/running, then succeeded", seen)
        rows = b.wait("const r = [...document.querySelectorAll('.vlist .row')];"
                      "return r.length === 4 && r.every(x => x.innerText.includes('ok')) && r.length")
        t.ok(rows == 4, "its 4 hosts turned ok", b.text(".vlist"))
        counts = b.text("#job-counts")
        t.ok(counts and "4 ok" in counts and "4 changed" in counts, "4 ok, 4 changed", counts)
        b.click('.vlist .row[data-host="sw2"]')
        out = b.wait("const e = document.querySelector('#host-detail'); return e && e.innerText.includes('guests') && e.innerText")
        t.ok(out and "create VLANs 2-5" in out and "show the VLANs" in out,
             "a host's tasks and the output of show vlan brief", out)
        shot(b, "job")
        b.get(base + "/ui/#/jobs")
        sign_in(b, d, d.token)
        b.wait("return document.querySelectorAll('#jobs-body tr').length >= 2")
        t.ok("vlans" in (b.text("#jobs-body") or ""), "the jobs list shows the playbook job",
             b.text("#jobs-body"))
        shot(b, "jobs")

        # ---- cancel a running job from its page --------------------------------------------
        jid = d.submit("slow", limit="sw4")
        b.js(f"location.hash = '#/job/{jid}'")
        t.ok(b.wait_css("#cancel"), "a running job's page offers Cancel")
        b.click("#cancel")
        st = b.wait("const e = document.getElementById('job-state');"
                    "return e && /cancelled|succeeded|failed/.test(e.innerText) && e.innerText",
                    timeout=60 * SLOW)
        t.ok(st == "cancelled" and d.job(jid)["state"] == "cancelled",
             "Cancel: the job ends cancelled, the page follows", st)

        # ---- backups and their diff ------------------------------------------------------
        st, j = d.json("POST", "/v1/schedules/nightly-backup/run", {})
        t.ok(st == 202 and d.wait_job(j["id"], timeout=60)["state"] == "succeeded",
             "a second backup, after the change")
        b.js("location.hash = '#/hosts'")
        t.ok(b.wait("return document.querySelectorAll('.vlist .row').length === 4"),
             "the hosts page lists the 4 devices")
        b.wait("return document.querySelector('.vlist').innerText.includes('backup')")
        shot(b, "hosts")
        b.click('.vlist .row[data-host="sw3"]')
        diff = b.wait("const e = document.querySelector('#bk-diff pre.diff');"
                      "return e && e.innerText.includes('users') && e.innerText")
        t.ok(diff and "+ vlan 2" in diff and "+  name users" in diff.replace("+ name", "+  name"),
             "sw3's backups: the diff between the two shows the new VLANs", diff)
        shot(b, "host-backups")

        # ---- compare ---------------------------------------------------------------------
        b.js("location.hash = '#/compare'")
        b.wait_css("#cmp-form")
        b.type("#cmp-host", "sw1")
        b.click("#cmp-run")
        bars = b.wait("return document.querySelectorAll('#cmp-chart rect').length", timeout=60 * SLOW)
        tbl = b.text("#cmp-out table") or ""
        labels = b.js("return [...document.querySelectorAll('#cmp-chart text')].map(e => e.textContent)")
        auth = b.js("return [...document.querySelectorAll('#cmp-chart rect')].slice(6, 8)"
                    ".map(e => Number(e.dataset.ms))")
        t.ok(bars == 16 and "login: connect" in labels and "login: auth" in labels and
             "login (all)" in labels and "telnet" in tbl and "ssh" in tbl and tbl.count("new") == 2,
             "compare: a chart of Telnet and SSH per phase (resolve, connect, negotiate, auth, "
             "shell, the whole login), the request and the command", (bars, labels, tbl))
        t.ok(len(auth) == 2 and all(x > 0 for x in auth), "both logins' auth phase was timed", auth)
        out = b.js("return document.getElementById('cmp-ssh-out').textContent")
        t.ok(out and "guests" in out, "compare shows the device's output", out)
        shot(b, "compare")

        # ---- the terminal ------------------------------------------------------------------
        b.js("location.hash = '#/terminal/sw2'")
        st = b.wait("const e = document.getElementById('term-status');"
                    "return e && /^Connected|^Closed/.test(e.innerText) && e.innerText", timeout=60 * SLOW)
        t.ok(st and st.startswith("Connected to sw2 over ssh"), "the terminal connects to sw2", st)
        st_h, hj = d.json("GET", "/v1/hosts/sw2")
        t.ok(hj["lock"]["holder"] == "shell by ci", "the device's lock is held by the shell while it is open",
             hj["lock"])
        b.type("#term .xterm-helper-textarea", "show vlan brief\ue007", clear=False)
        screen = b.wait("const e = document.querySelector('#term .xterm-rows');"
                        "return e && e.innerText.includes('guests') && e.innerText", timeout=30 * SLOW)
        t.ok(screen and "users" in screen and "printers" in screen and "show vlan brief" in screen,
             "typed show vlan brief in the terminal: the VLANs are on the screen", screen)
        shot(b, "terminal")
        b.click("#term-close")
        closed = b.wait("return /^Closed|^Disconnected/.test(document.getElementById('term-status').innerText)")
        t.ok(closed and wait_for(lambda: d.json("GET", "/v1/hosts/sw2")[1]["lock"]["holder"] is None, 10),
             "disconnected: the device's lock is released")
        st_a, au = d.json("GET", "/v1/audit?limit=50")
        acts = [(x["action"], x["target"]) for x in au["audit"] if x["action"].startswith("shell.")]
        t.ok(("shell.open", "sw2") in acts and ("shell.close", "sw2") in acts,
             "the shell is in the audit trail (open, close)", acts)
        tdir = d.path("state/transcripts")
        files = sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []
        text = open(os.path.join(tdir, files[-1]), errors="replace").read() if files else ""
        mode = os.stat(os.path.join(tdir, files[-1])).st_mode & 0o777 if files else None
        t.ok(files and files[-1].startswith("sw2-") and "guests" in text and mode == 0o600,
             "its transcript is kept (0600) with the device's output", (files, mode, text[-300:]))
        t.ok(DEV_PASSWORD not in text and ENABLE_SECRET not in text,
             "no device password or enable secret in the transcript")

        # ---- schedules -------------------------------------------------------------------
        b.js("location.hash = '#/schedules'")
        t.ok(b.wait("return document.querySelector('[data-schedule=\"nightly-backup\"] button')"),
             "the schedules page, with Run now for an admin token")
        shot(b, "schedules")
        bad = csp_violations(b)
        t.ok(not bad, "no Content-Security-Policy violation in the browser", bad)

        # ---- a read token --------------------------------------------------------------
        b.click("#signout")
        b.type("#token", read_token)
        b.click("#signin button[type=submit]")
        b.wait("return document.querySelectorAll('#jobs-body tr').length >= 1")
        nav = b.text("#nav")
        t.ok(not b.exists("#run-form") and not b.exists("#run-button") and "Compare" not in nav,
             "a read token: no Run button, no Compare page", nav)
        b.js("location.hash = '#/schedules'")
        b.wait_css("[data-schedule]")
        t.ok(not b.exists("[data-schedule] button"), "... and no Run now on the schedules")
        st = b.js_async("const done = arguments[arguments.length - 1];"
                        "fetch('/v1/jobs', {method: 'POST', headers: {Authorization: 'Bearer ' + arguments[0],"
                        " 'Content-Type': 'application/json'}, body: '{\"playbook\": \"vlans\"}'})"
                        ".then(r => done(r.status), e => done(String(e)))", read_token)
        t.ok(st == 403, "a read token posting a job from the page anyway: 403", st)
        shot(b, "readonly-schedules")
        st, j = d.json("POST", "/v1/shell/sw1", {}, token=read_token)
        t.ok(st == 403, "a read token may not open a terminal (403)", (st, j))
    finally:
        b.quit()
    d.stop()

# ---- 5,000 hosts ----------------------------------------------------------------------------
s = socket.socket()
s.bind(("127.0.0.1", 0))
closed_port = s.getsockname()[1]
s.close()  # nothing listens there: every login is refused at once
N = 5000
inv = ("defaults: {platform: cisco_ios, transport: telnet, username: u, password: p,"
       " timeouts: {connect: 2}}\nhosts:\n" +
       "".join(f"  h{i:04d}: {{host: 127.0.0.1, telnet_port: {closed_port}}}\n" for i in range(N)))
big = Daemon(inventory=inv, production=True, log_level="warn",
             config="limits: {hosts_in_flight: 256}\n",
             playbooks={"show.yaml": "- name: clock\n  hosts: all\n  tasks:\n    - {name: clock, command: show clock}\n"})
big.start()
jid = big.submit("show")
job = big.wait_job(jid, timeout=300)
t.ok(job["state"] == "failed" and len(job["hosts"]) == N,
     f"a job of {N} hosts (all refused) finished", {k: job[k] for k in ("state", "summary")})
b = Browser()
try:
    sign_in(b, big, big.token)
    b.wait_css("#run-form")
    t0 = time.time()
    b.js(f"location.hash = '#/job/{jid}'")
    ok = b.wait(f"const r = document.querySelectorAll('.vlist .row'); return r.length > 0 &&"
                f" document.getElementById('job-counts').innerText.includes('{N} failed')", timeout=120)
    shown = time.time() - t0
    rows = b.js("return netautoUi.rows()")
    t.ok(ok and rows < 100, f"the job page of {N} hosts shows them virtualised: {rows} rows in the DOM",
         rows)
    t0 = time.time()
    b.js("const v = document.querySelector('.vlist'); v.scrollTop = v.scrollHeight")
    last = b.wait(f"return document.querySelector('.vlist .row[data-host=\"h{N - 1:04d}\"]') !== null")
    scrolled = time.time() - t0
    t.ok(last, "scrolled to the end: the last host is drawn")
    t.diag(f"{N} hosts: job page shown in {shown * 1000:.0f} ms (GET of the whole job included), "
           f"scroll to the end drawn in {scrolled * 1000:.0f} ms, {rows} rows in the DOM")
    shot(b, "job-5000-hosts")
    rerun = b.text("#rerun")
    t.ok(rerun == f"Re-run the {N} failed hosts", "a finished job with failed hosts offers to re-run them",
         rerun)
    t0 = time.time()
    b.js("location.hash = '#/hosts'")
    ok = b.wait("return document.querySelectorAll('.vlist .row').length > 0")
    rows = b.js("return netautoUi.rows()")
    t.ok(ok and rows < 100, f"the hosts page of {N} hosts: {rows} rows in the DOM", rows)
    t.diag(f"hosts page of {N} hosts shown in {(time.time() - t0) * 1000:.0f} ms")
finally:
    b.quit()
big.stop()
t.done()
