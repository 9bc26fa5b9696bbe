"""test_fault_matrix.py — every fault a network throws at netauto, in ONE `netauto run` and in
one `netauto show`, over SSH and Telnet, next to healthy devices: a refused login, a connection
dropped in the middle of a configuration push, a device that stops answering, one that drips
its output, garbage and ANSI noise, 50 MB of show tech-support (over the default output limit;
and within a raised one), a changed host key, a banner delayed past the deadline, a name that
does not resolve, a closed port, an address in 127/8 with no listener; and the habits of real
CLIs (issue 12), which must all succeed with the healthy devices' output exactly: a bare CR
before the prompt, a fixed terminal width (IOS scrolls the long lines), syslog messages after
the prompt and glued to it, a banner with prompt-like lines and pauses, the Kerberos notice
glued to "Username:", Enter acting on CR only. Those devices are healthy: they keep the default
timeouts (the Kerberos notice alone costs netauto a second of quiet before it presses Enter).

For each faulty host: its own error code and the exact message in --json (and printed), that
it ended within its deadline (short timeouts in the inventory; elapsed_ms <= deadline + margin,
and timeouts not before their deadline), that every healthy host succeeded in the same run,
that results and transcripts are written for every host, failed ones included, and exit
status 1. The measured table goes to $NETAUTO_BUILD/fault-matrix.md (and docs/reliability.md
with NETAUTO_UPDATE_DOCS=1, see faultdoc.py). Under valgrind (NETAUTO_WRAP) deadlines scale."""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultdoc  # noqa: E402
from runlib import Run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import yaml  # noqa: E402

t = Tap()
WRAPPED = bool(os.environ.get("NETAUTO_WRAP"))
SCALE = 10 if WRAPPED else 1
# Distinct phase deadlines (seconds) so each failure shows which one fired.
SHORT = {"connect": 1.0 * SCALE, "negotiate": 1.2 * SCALE, "auth": 1.4 * SCALE,
         "shell": 1.6 * SCALE, "command": 1.8 * SCALE}
HUGE_CMD = 120.0 * SCALE           # the huge-output hosts fail on size, not time
MARGIN_MS = 2500 * SCALE           # reaching the phase that fails, on a loaded machine
HUGE = 20000000 if WRAPPED else 50000000
RAISED = "32M" if WRAPPED else "64M"
TRANSPORTS = ("ssh", "telnet")
CONFIG = ["vlan 10", "name users", "vlan 20", "name voice", "vlan 30", "name mgmt"]

# Simulator devices: PREFIX1 serves the SSH host, PREFIX2 the Telnet host of each fault. The
# IOS platform sends 3 commands after login (enable, terminal length 0, terminal width 511);
# then `run` sends show version, configure terminal, vlan 10, name users...; `show` sends show
# version, show vlan brief, show clock, show tech-support.
SIM_FAULTS = {
    "refuse": "refuse-login",
    "close": "close-after=6",      # run: closed before 'name users'; show: before show tech
    "stall": "stall-after=6",      # run: silent after 'name users'; show: after show tech
    "slow": "slow=%d" % (500 // SCALE),
    "garbage": "garbage",
    "huge": "huge-output=%d" % HUGE,
    "hostkey": "hostkey-change",
    "banner": "banner-delay=%d" % int(6000 * SCALE),
}
# Real CLIs' habits (netauto-sim --opt): every one of them must succeed.
SIM_QUIRKS = {
    "crprompt": "cr-prompt",
    "width": "fixed-width=80",
    "asyncafter": "async=after",
    "asyncglued": "async=glued",
    "trap": "banner-trap=400",
    "kerberos": "kerberos",
    "cronly": "cr-only",
}

PLAYBOOK = """
- name: fault matrix
  hosts: all
  tasks:
    - name: version
      command: show version
      register: version
    - name: push
      config: {lines: %s, match: none}  # sent as they are, no running-config read first
    - name: vlans
      command: show vlan brief
      register: vlans
    - name: tech
      command: show tech-support
      register: tech
""" % json.dumps(CONFIG)
SHOW_CMDS = ["show version", "show vlan brief", "show clock", "show tech-support",
             "show running-config | include vlan|interface GigabitEthernet0/1|description|"
             "spanning-tree|service"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def build_inventory(sim, r):
    with open(sim.inventory) as f:
        inv = yaml.safe_load(f)
    hosts = {}
    for tr in TRANSPORTS:
        for k in (1, 2):
            d = sim.devices["ok%d" % (k + (2 if tr == "telnet" else 0))]
            hosts["ok-%s-%d" % (tr, k)] = {"host": d.addr, "ssh_port": d.ssh_port,
                                           "telnet_port": d.telnet_port, "transport": tr,
                                           "groups": ["sim", "ios"]}
    for fault in list(SIM_FAULTS) + list(SIM_QUIRKS):
        for i, tr in enumerate(TRANSPORTS):
            d = sim.devices["%s%d" % (fault, i + 1)]
            hosts["%s-%s" % (fault, tr)] = {"host": d.addr, "ssh_port": d.ssh_port,
                                            "telnet_port": d.telnet_port, "transport": tr,
                                            "groups": ["sim", "ios"]}
            if fault in SIM_QUIRKS:
                continue  # a healthy device with a habit: the default timeouts, like ok-*
            to = dict(SHORT)
            if fault == "huge":
                to["command"] = HUGE_CMD
            hosts["%s-%s" % (fault, tr)]["timeouts"] = to
    closed = free_port()
    healthy = sim.devices["ok1"]
    for tr in TRANSPORTS:
        base = {"transport": tr, "groups": ["sim", "ios"], "timeouts": dict(SHORT)}
        hosts["dns-" + tr] = dict(base, host="nonexistent.invalid")
        hosts["closed-" + tr] = dict(base, host="127.0.0.1", port=closed)
        # the simulator's own port, at an address of 127/8 where nothing listens
        hosts["nolisten-" + tr] = dict(base, host="127.0.0.2", port=healthy.ssh_port
                                       if tr == "ssh" else healthy.telnet_port)
    inv["hosts"] = hosts
    return r.write("inventory.yaml", yaml.safe_dump(inv, sort_keys=False)), inv


def ms(phase):
    return int(SHORT[phase] * 1000)


def sec(phase):
    return "%.1f" % SHORT[phase]


def expected(verb, fault, tr, inv):
    """(code, regex of the whole message, deadline_ms, is_timeout) for one faulty host; code
    None = the host must succeed."""
    h = "%s-%s" % (fault, tr)
    host = inv["hosts"][h]
    hq = re.escape(h)
    dev = "%s%d" % (fault, TRANSPORTS.index(tr) + 1)
    nxt = "name users" if verb == "run" else "show tech-support"
    last = r"%s\(config-vlan\)#" % dev if verb == "run" else "%s#" % dev
    if fault == "refuse":
        if tr == "ssh":
            return ("auth", r"%s: authentication failed for user admin \(tried password, "
                    r"keyboard-interactive; server allows publickey,keyboard-interactive,"
                    r"password\)" % hq, ms("auth"), False)
        return ("auth", r"%s: login refused: %% Login invalid" % hq, ms("auth"), False)
    if fault == "close":
        # SSH reads the close while waiting for the prompt; Telnet may have read it with the
        # last prompt already, and then refuses the next line: both say which line, where.
        return ("closed", r"%s: the device closed the connection (while waiting for the prompt "
                r"after '%s'|before '%s' could be sent); last line: '%s'"
                % (hq, nxt, nxt, last), ms("command"), False)
    if fault == "stall":
        return ("timeout", r"%s: no prompt after '%s' within %s s; last line: '%s'"
                % (hq, nxt, sec("command"), last), ms("command"), True)
    if fault == "slow":
        return ("timeout", r"%s: no prompt after 'show version' within %s s; last line: '.+'"
                % (hq, sec("command")), ms("command"), True)
    if fault == "huge":
        return ("overflow", r"%s: output of 'show tech-support' exceeded the limit of 16777216 "
                r"bytes" % hq, int(HUGE_CMD * 1000), False)
    if fault == "hostkey" and tr == "ssh":
        return ("hostkey-changed", r"%s: the ssh-ed25519 host key of \[127\.0\.0\.1\]:%d has "
                r"CHANGED: recorded (SHA256:\S+), presented (SHA256:\S+)\. Someone may be "
                r"intercepting the connection, or the device was replaced or re-keyed\. If the "
                r"change is expected, remove the old key \(ssh-keygen -R '\[127\.0\.0\.1\]:%d' "
                r"-f \S+\) and connect again" % (hq, host["ssh_port"], host["ssh_port"]),
                ms("negotiate"), False)
    if fault == "banner":
        if tr == "ssh":
            return ("timeout", r"%s: SSH key exchange did not complete within %s s"
                    % (hq, sec("negotiate")), ms("negotiate"), True)
        # Telnet: option negotiation and the login prompt share the negotiate deadline
        return ("timeout", r"%s: no login prompt within %s s \(device silent after connect\)"
                % (hq, sec("negotiate")), ms("negotiate"), True)
    if fault == "dns":
        return ("dns", r"%s: (cannot resolve 'nonexistent\.invalid': .+|resolving "
                r"'nonexistent\.invalid' timed out \(DNS server not answering\?\))" % hq,
                ms("connect"), False)
    if fault in ("closed", "nolisten"):
        addr = "127.0.0.1" if fault == "closed" else "127.0.0.2"
        return ("refused", r"%s: connection refused by %s:%d \(nothing listening on that "
                r"port\?\)" % (hq, re.escape(addr), host["port"]), ms("connect"), False)
    return (None, None, 0, False)  # garbage; hostkey over Telnet (no host key): must succeed


FAULT_NAMES = {
    "refuse": "refused login", "close": "connection dropped mid-config",
    "stall": "stall (no answer)", "slow": "slow drip (%s B/s)" % (500 // SCALE),
    "garbage": "garbage and ANSI noise", "huge": "%d MB show tech-support, default limit"
    % (HUGE // 1000000), "hostkey": "host key changed",
    "banner": "banner delayed past the deadline", "dns": "name does not resolve",
    "closed": "closed port", "nolisten": "127.0.0.2, no listener",
    "crprompt": "bare CR before the prompt (NX-OS 9K)",
    "width": "fixed terminal width: long lines scrolled (IOS)",
    "asyncafter": "syslog messages after the prompt", "asyncglued": "syslog messages glued "
    "to the prompt", "trap": "banner lines ending in # and > with pauses, slow hash art",
    "kerberos": "Kerberos notice glued to Username:", "cronly": "Enter acts on CR only",
}
SHOW_NAMES = {"close": "connection dropped between commands",
              "stall": "stall (no answer to the 4th command)"}
FAULTS = list(SIM_FAULTS) + ["dns", "closed", "nolisten"] + list(SIM_QUIRKS)


def check_host(verb, fault, tr, inv, res_host, printed, rows):
    """Assert one faulty host's result; add its row to the table."""
    h = "%s-%s" % (fault, tr)
    code, pat, deadline, is_timeout = expected(verb, fault, tr, inv)
    err = res_host.get("error") or {}
    msg = err.get("message") or ""
    elapsed = int(res_host.get("elapsed_ms") or 0)
    name = SHOW_NAMES.get(fault) if verb == "show" else None
    rows.append(faultdoc.Row(name or FAULT_NAMES[fault], tr, h, err.get("code"), msg,
                             deadline if code else 0, elapsed))
    if code is None:
        t.ok(res_host.get("ok") is True and not err,
             "%s: %s over %s succeeds" % (verb, fault, tr), err)
        return
    t.ok(err.get("code") == code and re.fullmatch(pat, msg) is not None,
         "%s: %s over %s: %s, the exact message" % (verb, fault, tr, code),
         "got:  %r %r\nwant: %r %r" % (err.get("code"), msg, code, pat))
    if fault == "hostkey":
        m = re.fullmatch(pat, msg)
        t.ok(m is not None and m.group(1) != m.group(2),
             "%s: the changed key's message shows both fingerprints, and they differ" % verb)
    t.ok(elapsed <= deadline + MARGIN_MS,
         "%s: %s over %s ended within its deadline (%d ms <= %d + %d ms)"
         % (verb, fault, tr, elapsed, deadline, MARGIN_MS))
    if is_timeout:
        t.ok(elapsed >= deadline, "%s: %s over %s: not before its deadline (%d ms >= %d ms)"
             % (verb, fault, tr, elapsed, deadline))
    t.ok(msg and msg in printed, "%s: %s over %s: the message is printed" % (verb, fault, tr),
         printed[-2000:])


def transcripts_written(verb, d, names):
    got = sorted(os.listdir(d)) if os.path.isdir(d) else []
    missing = [n for n in names if n + ".transcript" not in got]
    t.ok(not missing, "%s: a transcript for every host, failed ones included" % verb,
         "missing: %s" % missing)
    bad = []
    for n in names:
        p = os.path.join(d, n + ".transcript")
        if os.path.exists(p):
            with open(p, "rb") as f:
                if not f.read(64).startswith(b"netauto-transcript 1"):
                    bad.append(n)
    t.ok(not bad, "%s: every transcript is a netauto transcript" % verb, bad)


def vlan_table(s):
    return [line.rstrip() for line in (s or "").splitlines() if line.strip()]


def run_matrix(sim, r, ip, inv):
    pb = r.write("matrix.yaml", PLAYBOOK)
    tdir = r.path("transcripts")
    t0 = time.monotonic()
    res = r.netauto(["run", pb, "-i", ip, "--transcripts", tdir], json_out=True,
                    timeout=600 * SCALE)
    took = time.monotonic() - t0
    t.eq(res.rc, 1, "run: exit 1 (some hosts failed)")
    hs = (res.json or {}).get("hosts", {})
    t.eq(sorted(hs), sorted(inv["hosts"]), "run: --json has a result for every host")
    oks = [h for h in inv["hosts"] if h.startswith("ok-")]
    bad = {h: hs.get(h, {}).get("error") for h in oks if not hs.get(h, {}).get("ok")}
    t.ok(not bad and all(len(hs[h]["tasks"]) == 4 for h in oks),
         "run: every healthy host ran every task", bad)
    rows = []
    for fault in FAULTS:
        for tr in TRANSPORTS:
            check_host("run", fault, tr, inv, hs.get("%s-%s" % (fault, tr), {}), res.out, rows)
    # where the faults struck
    tasks = {h: [(x["name"], x["ok"]) for x in hs.get(h, {}).get("tasks", [])] for h in hs}
    for tr in TRANSPORTS:
        t.eq(tasks.get("close-" + tr), [("version", True), ("push", False)],
             "run: close over %s struck during the configuration push" % tr)
        want = vlan_table(hs.get("ok-%s-1" % tr, {}).get("tasks", [{}] * 3)[2].get("output"))
        got = vlan_table((hs.get("garbage-" + tr, {}).get("tasks") or [{}] * 3)[2].get("output"))
        t.ok(want and got == want, "run: garbage over %s: the clean output, exactly" % tr,
             "got:  %r\nwant: %r" % (got, want))
        want = (hs.get("ok-%s-1" % tr, {}).get("tasks") or [{}] * 3)[2].get("output")
        for q in SIM_QUIRKS:
            got = ((hs.get("%s-%s" % (q, tr), {}).get("tasks") or [{}] * 3)[2].get("output"))
            t.ok(want and got == want, "run: %s over %s: the healthy device's output, byte for "
                 "byte" % (q, tr), "got:  %r\nwant: %r" % (got, want))
        t.eq(tasks.get("huge-" + tr), [("version", True), ("push", True), ("vlans", True),
                                       ("tech", False)],
             "run: huge over %s: everything before show tech-support went through" % tr)
    transcripts_written("run", tdir, list(inv["hosts"]))
    longest = max(int(SHORT["command"] * 1000), 6000 * SCALE)
    t.ok(took * 1000 < longest + 60000 * SCALE, "run: the whole run ended (%.1f s)" % took)
    return rows, hs


def raised_limit(sim, r, ip):
    """With a raised limit the same 50 MB arrive whole."""
    pb = r.write("tech.yaml", "- hosts: huge-*:ok-ssh-1\n  tasks:\n"
                              "    - {name: tech, command: show tech-support, register: t}\n")
    res = r.netauto(["run", pb, "-i", ip, "--max-output", RAISED], json_out=True,
                    timeout=600 * SCALE)
    t.eq(res.rc, 0, "run --max-output %s: exit 0" % RAISED)
    hs = (res.json or {}).get("hosts", {})
    rows = []
    for tr in TRANSPORTS:
        h = hs.get("huge-" + tr, {})
        out = (h.get("tasks") or [{}])[0].get("output") or ""
        lines = out.split("\n")
        # HUGE bytes on the wire in 80-byte lines ending "\r\n"; the output has "\n" endings
        # and no final one
        t.ok(h.get("ok") is True and len(out) == HUGE // 80 * 79 - 1 and
             "output_truncated" not in h["tasks"][0] and
             lines[-1].startswith("huge%d tech " % (TRANSPORTS.index(tr) + 1)),
             "run --max-output %s: %s over %s arrives whole (%d bytes)"
             % (RAISED, "huge", tr, len(out)), h.get("error"))
        rows.append(faultdoc.Row("%d MB show tech-support, --max-output %s" % (HUGE // 1000000,
                                                                             RAISED),
                                 tr, "huge-" + tr, None, "", 0, int(h.get("elapsed_ms") or 0)))
    t.ok(hs.get("ok-ssh-1", {}).get("ok") is True, "run --max-output: the healthy host too")
    return rows


def show_matrix(sim, r, ip, inv):
    tdir = r.path("show-transcripts")
    os.makedirs(tdir)
    t0 = time.monotonic()
    res = r.netauto(["show", "-i", ip, "--limit", "all", "--json", "--transcript",
                     os.path.join(tdir, "{host}.transcript")] + SHOW_CMDS, timeout=600 * SCALE)
    took = time.monotonic() - t0
    t.eq(res.rc, 1, "show: exit 1 (some hosts failed)")
    try:
        js = json.loads(res.out)
    except ValueError:
        js = {}
    hs = {h["host"]: h for h in js.get("hosts", [])}
    t.eq(sorted(hs), sorted(inv["hosts"]), "show: --json has a result for every host")
    oks = [h for h in inv["hosts"] if h.startswith("ok-")]
    bad = {h: hs.get(h, {}).get("error") for h in oks if not hs.get(h, {}).get("ok")}
    t.ok(not bad and all(len(hs[h]["commands"]) == len(SHOW_CMDS) for h in oks),
         "show: every healthy host answered every command", bad)
    rows = []
    for fault in FAULTS:
        for tr in TRANSPORTS:
            check_host("show", fault, tr, inv, hs.get("%s-%s" % (fault, tr), {}), res.err, rows)
    for tr in TRANSPORTS:
        want = vlan_table(hs.get("ok-%s-1" % tr, {}).get("commands", [{}] * 2)[1].get("output"))
        got = vlan_table((hs.get("garbage-" + tr, {}).get("commands") or [{}] * 2)[1]
                         .get("output"))
        t.ok(want and got == want, "show: garbage over %s: the clean output, exactly" % tr)
        ok = hs.get("ok-%s-1" % tr, {}).get("commands") or []
        for q in SIM_QUIRKS:
            qc = hs.get("%s-%s" % (q, tr), {}).get("commands") or []
            pairs = [(ok[k].get("output"), qc[k].get("output")) for k in (1, 4)
                     if k < len(ok) and k < len(qc)]
            t.ok(len(pairs) == 2 and pairs[0][0] and all(a == b for a, b in pairs),
                 "show: %s over %s: show vlan brief and the long show running-config line, the "
                 "healthy device's output byte for byte" % (q, tr),
                 [p for p in pairs if p[0] != p[1]][:1])
    transcripts_written("show", tdir, list(inv["hosts"]))
    t.ok(took < 600 * SCALE, "show: ended (%.1f s)" % took)
    return rows


NOTE = ("Measured by `make test T=fault_matrix` against the simulator on loopback; every faulty "
        "host has timeouts connect %s s, negotiate %s s, auth %s s, shell %s s, command %s s "
        "(the huge-output hosts: command %d s); the devices with a real CLI's habit (bare CR "
        "to syslog glued to the prompt, the rows with no deadline) keep the default timeouts and "
        "must succeed with the healthy devices' output byte for byte; healthy hosts in the same "
        "run: every task ok. "
        "\"deadline\" is the phase deadline that bounds the failure; \"measured\" is the host's "
        "`elapsed_ms` (open to close)." % (sec("connect"), sec("negotiate"), sec("auth"),
                                           sec("shell"), sec("command"), HUGE_CMD))

sim_args = ["--devices", "4:ios:ok"]
for name, f in SIM_FAULTS.items():
    sim_args += ["--devices", "2:ios:" + name, "--fault", "%s*:%s" % (name, f)]
for name, o in SIM_QUIRKS.items():
    sim_args += ["--devices", "2:ios:" + name, "--opt", "%s*:%s" % (name, o)]
with Sim(sim_args) as sim, Run() as r:
    ip, inv = build_inventory(sim, r)
    rows_run, _ = t.run("run matrix", run_matrix, sim, r, ip, inv) or ([], None)
    rows_run += t.run("raised output limit", raised_limit, sim, r, ip) or []
    rows_show = t.run("show matrix", show_matrix, sim, r, ip, inv) or []
    doc = faultdoc.write(rows_run, rows_show, NOTE)
    if doc:
        t.diag("updated " + doc)
t.done()
