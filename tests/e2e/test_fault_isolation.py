"""test_fault_isolation.py — one host's fault must not become another host's failure. Hosts that
stream huge outputs (the simulator's huge-output fault: 50 MB of `show tech-support` each, 20 MB
under valgrind) share netauto's one event loop with healthy hosts whose every command has a
short deadline; the healthy hosts must see their prompts in time (a session that reads
everything the device has before yielding would starve them into timeouts), over SSH and over
Telnet, in `netauto run` and in `netauto show`; the same next to script tasks printing 15 MB on
Linux hosts (a real OpenSSH server, exec channels). Under valgrind (NETAUTO_WRAP) the deadlines
are scaled up."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import start_sshd, stop_sshd  # noqa: E402
from runlib import Run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import yaml  # noqa: E402

t = Tap()
SCALE = 20 if os.environ.get("NETAUTO_WRAP") else 1
DEADLINE = 0.5 * SCALE      # seconds, every command of the healthy hosts
N_CMDS = 60                 # commands per healthy host
WRAPPED = bool(os.environ.get("NETAUTO_WRAP"))
# bytes of show tech-support per huge host (smaller under valgrind: the point there is memory)
HUGE = 20000000 if WRAPPED else 50000000
RAISED = "32M" if WRAPPED else "64M"


def inventory(huge, ok, r):
    """One inventory over both simulators (each host keeps its simulator's known_hosts)."""
    hosts = {}
    for sim, names, cmd in ((huge, ("huge1", "huge2", "huge3"), 120 * SCALE),
                            (ok, ("ok1", "ok2"), DEADLINE)):
        with open(sim.inventory) as f:
            inv = yaml.safe_load(f)
        for name in names:
            h = inv["hosts"][name]
            # the huge hosts fail on nothing but size: long deadlines in every phase (the
            # simulator serving three huge outputs may be slow to greet under valgrind)
            h["timeouts"] = ({"command": cmd} if cmd == DEADLINE else
                             dict.fromkeys(("connect", "negotiate", "auth", "shell", "command"),
                                           cmd))
            h["known_hosts"] = sim.known_hosts
            hosts[name] = h
    inv["hosts"] = hosts
    return r.write("inv.yaml", yaml.safe_dump(inv))


def run_case(sim, r, inv, transport):
    pb = r.write("pb.yaml", """
- name: huge
  hosts: huge*
  tasks:
    - {name: tech, command: show tech-support, register: tech}
- name: healthy
  hosts: ok*
  tasks:
    - name: many short commands
      command: %s
""" % yaml.safe_dump(["show clock"] * N_CMDS, default_flow_style=True).strip())
    res = r.netauto(["run", pb, "-i", inv, "--transport", transport, "--max-output", RAISED],
                    json_out=True, timeout=300 * SCALE)
    hs = res.json["hosts"] if res.json else {}
    t.ok(res.rc == 0, "%s run: every host ok, exit 0" % transport, res.diag())
    for name in ("ok1", "ok2"):
        h = hs.get(name, {})
        t.ok(h.get("ok") is True and len(h.get("tasks", [])) == 1,
             "%s run: healthy %s got every prompt within %.1f s while 3 hosts streamed %d MB"
             % (transport, name, DEADLINE, HUGE // 1000000), h.get("error"))
    for name in ("huge1", "huge2", "huge3"):
        h = hs.get(name, {})
        t.ok(h.get("ok") is True, "%s run: %s received its %d MB" % (transport, name,
                                                                      HUGE // 1000000),
             h.get("error"))


def show_case(sim, r, inv, transport):
    # one show over every host: the huge hosts print HUGE bytes first, every host many small outputs
    args = ["show", "-i", inv, "--limit", "all", "--transport", transport, "--max-output", RAISED,
            "--json", "show tech-support"] + ["show clock"] * 20
    res = r.netauto(args, timeout=300 * SCALE)
    try:
        js = json.loads(res.out)
    except ValueError:
        js = {"hosts": []}
    hs = {h["host"]: h for h in js.get("hosts", [])}
    t.ok(res.rc == 0, "%s show: every host ok, exit 0" % transport,
         "exit %s\n%s" % (res.rc, res.err[-2000:]))
    for name in ("ok1", "ok2"):
        h = hs.get(name, {})
        t.ok(h.get("ok") is True and len(h.get("commands", [])) == 21,
             "%s show: healthy %s answered every command in time" % (transport, name),
             h.get("error"))


def script_case(ok, r, inv_path):
    """Three Linux hosts (one OpenSSH server) run a script printing 15 MB while the healthy
    simulated hosts run many short commands."""
    d = tempfile.mkdtemp(prefix="netauto-isolation.")
    sshd = None
    try:
        sshd, lin = start_sshd(d)
        with open(lin) as f:
            lx = yaml.safe_load(f)["hosts"]["lnx1"]
        with open(inv_path) as f:
            inv = yaml.safe_load(f)
        hosts = {k: v for k, v in inv["hosts"].items() if k.startswith("ok")}
        for k in (1, 2, 3):
            hosts["lx%d" % k] = dict(lx, timeouts={"command": 120 * SCALE})
        inv["hosts"] = hosts
        ip = r.write("inv-script.yaml", yaml.safe_dump(inv))
        big = r.write("big.sh", "#!/bin/sh\nhead -c 15000000 /dev/zero | tr '\\0' x\n")
        pb = r.write("script.yaml", """
- name: big scripts
  hosts: lx*
  tasks:
    - {name: big, script: {src: %s}, register: big}
- name: healthy
  hosts: ok*
  tasks:
    - name: many short commands
      command: %s
""" % (big, yaml.safe_dump(["show clock"] * N_CMDS, default_flow_style=True).strip()))
        res = r.netauto(["run", pb, "-i", ip], json_out=True, timeout=300 * SCALE)
        hs = res.json["hosts"] if res.json else {}
        t.ok(res.rc == 0, "script run: every host ok, exit 0", res.diag())
        for name in ("ok1", "ok2"):
            h = hs.get(name, {})
            t.ok(h.get("ok") is True, "script run: healthy %s got every prompt within %.1f s "
                 "while 3 scripts printed 15 MB" % (name, DEADLINE), h.get("error"))
        outs = [len((hs.get("lx%d" % k, {}).get("tasks") or [{}])[0].get("stdout") or "")
                for k in (1, 2, 3)]
        t.eq(outs, [15000000] * 3, "script run: each script's 15 MB arrived")
    finally:
        stop_sshd(sshd)
        shutil.rmtree(d, ignore_errors=True)


# Two simulators, so the healthy devices' answers do not wait behind the huge outputs in the
# simulator's own loop: what is measured is netauto's loop.
with Sim(["--devices", "3:ios:huge", "--fault", "huge*:huge-output=%d" % HUGE]) as huge, \
        Sim(["--devices", "2:ios:ok"]) as ok, Run() as r:
    inv = inventory(huge, ok, r)
    for tr in ("ssh", "telnet"):
        run_case(huge, r, inv, tr)
        show_case(huge, r, inv, tr)
    t.run("script tasks next to healthy hosts", script_case, ok, r, inv)
t.done()
