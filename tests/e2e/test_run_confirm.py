"""test_run_confirm.py — commit-confirmed (issue 13: `confirm: SECONDS` on a config task) on every
built-in platform that has it, against the simulator, whose timers are shortened with
--opt revert-minute=MS:

- IOS through the archive feature (`configure terminal revert timer`, `configure confirm`,
  `configure revert now`), Junos through `commit confirmed` (`commit`, `rollback 1` + `commit`);
- a change followed by a failing `expect` is rolled back at once: the configuration right after
  the run equals the one before it, without waiting for the timer;
- a successful play is confirmed and the change survives the timer;
- a netauto killed with SIGKILL after the change (its next command stalls) leaves a device that
  goes back by itself when the timer expires;
- a platform without `confirm:` (NX-OS) refuses the task before anything is sent (exit 2)."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

MINUTE_MS = 1500  # one minute of the devices' timers in the simulator
t = Tap()

PLATFORMS = {
    "ios": {
        "host": "sw1",
        "read": "show running-config",
        # the archive feature must be configured for the revert timer
        "setup": "- hosts: all\n  tasks:\n    - name: archive\n"
                 "      config: {parents: [archive], lines: [\"path flash:rollback\"]}\n",
        "change": "config: {parents: [\"vlan 42\"], lines: [\"name {{ nm }}\"], after: [exit]}",
        "check": "show vlan brief",
        "want": "^42\\s+{{ want }}\\s",
        "sent": ["configure terminal revert timer 1", "vlan 42", "name first", "exit"],
        "confirm": ["configure confirm"],
        "rollback": ["configure revert now"],
        "after_check": 1,  # configure confirm
        "shows": "vlan 42\n name first\n",
    },
    "junos": {
        "host": "jn1",
        "read": "show configuration",
        "setup": None,
        "change": "config: [\"delete vlans first\", \"set vlans {{ nm }} vlan-id 42\"]",
        "check": "show vlans",
        "want": "\\s{{ want }}\\s+42\\s",
        "sent": ["delete vlans first", "set vlans first vlan-id 42", "commit confirmed 1"],
        "after_check": 2,  # configure, commit
        "confirm": ["commit"],
        "rollback": ["rollback 1", "commit"],
        "shows": "    first {\n        vlan-id 42;\n",
    },
}

PLAY = """
- hosts: all
  tasks:
    - name: the change
      confirm: 60
      %s
    - name: check
      timeout: 60
      command: %s
      expect: ['%s']
"""


def config_of(r, inv, p):
    """The device's configuration, read by netauto show, without IOS's volatile lines."""
    res = r.netauto(["show", "-i", inv, p["host"], p["read"]])
    return "\n".join(x for x in res.out.splitlines()
                     if not x.startswith(("Building configuration", "Current configuration")))


def tasks(res, host):
    return [(x["name"], x["action"], x["ok"], x["commands"])
            for x in res.json["hosts"][host]["tasks"]] if res.json else []


def vlans(sim, host):
    return sim.stats()["devices"][host]["vlans"]


def platform(kind):
    p = PLATFORMS[kind]
    host = p["host"]
    play = PLAY % (p["change"], p["check"], p["want"])
    sim_args = ["--devices", "1:%s" % kind, "--opt", "%s:revert-minute=%d" % (host, MINUTE_MS)]
    with Sim(sim_args) as sim, Run() as r:
        pb = r.write("change.yaml", play)
        if p["setup"]:
            res = r.netauto(["run", r.write("setup.yaml", p["setup"]), "-i", sim.inventory])
            t.ok(res.rc == 0, "%s: setup" % kind, res.diag())

        # a successful play: confirmed, survives the timer
        c0 = sim.stats()["devices"][host]["commands"]
        res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "nm=first", "-e", "want=first"],
                        json_out=True)
        per_run = sim.stats()["devices"][host]["commands"] - c0
        t.ok(res.rc == 0, "%s: confirmed run: exit 0" % kind, res.diag())
        t.eq(tasks(res, host),
             [("the change", "config", True, p["sent"]),
              ("check", "command", True, [p["check"]]),
              ("confirm the change of 'the change'", "confirm", True, p["confirm"])],
             "%s: the change under the device's timer, the check, the confirmation" % kind)
        time.sleep(2 * MINUTE_MS / 1000.0)  # past the timer (the device's clock)
        cfg = config_of(r, sim.inventory, p)
        t.ok(p["shows"] in cfg, "%s: the confirmed change survives the timer" % kind, cfg[-600:])

        # a failing check: rolled back at once
        before = config_of(r, sim.inventory, p)
        t0 = time.monotonic()
        res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "nm=second", "-e", "want=nope"],
                        json_out=True)
        after = config_of(r, sim.inventory, p)
        elapsed = time.monotonic() - t0
        t.ok(res.rc == 1, "%s: rolled-back run: exit 1 (the check failed)" % kind, res.diag())
        t.eq(tasks(res, host)[-1:],
             [("roll back the change of 'the change'", "rollback", True, p["rollback"])],
             "%s: the failing check is followed by the rollback" % kind)
        t.ok(res.json and res.json["hosts"][host]["tasks"][-1]["changed"] is True,
             "%s: the rollback changed the device (back)" % kind)
        t.eq(after, before, "%s: the configuration right after equals the pre-change one" % kind)
        t.ok(elapsed < MINUTE_MS / 1000.0,
             "%s: the rollback did not wait for the timer (%.2f s)" % (kind, elapsed))

    # killed after the change: the same run on a device that stops answering after the check
    # (the run's commands counted above, less the confirmation's)
    stall = ["--fault", "%s:stall-after=%d" % (host, per_run - p["after_check"])]
    with Sim(sim_args + stall) as sim, Run() as r:
        pb = r.write("change.yaml", play)
        if p["setup"]:
            res = r.netauto(["run", r.write("setup.yaml", p["setup"]), "-i", sim.inventory])
            t.ok(res.rc == 0, "%s: kill: setup" % kind, res.diag())
        before = config_of(r, sim.inventory, p)
        proc = r.popen(["run", pb, "-i", sim.inventory, "-e", "nm=killed", "-e", "want=killed"])
        deadline = time.monotonic() + 30
        changed = False
        while time.monotonic() < deadline and proc.poll() is None:
            st = sim.stats()["devices"][host]
            if 42 in st["vlans"] and st["in_config"] == 0:
                changed = True
                break
            time.sleep(0.05)
        t.ok(changed and proc.poll() is None,
             "%s: kill: the change is on the device, netauto still runs" % kind)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        t.ok(42 in vlans(sim, host),
             "%s: kill: right after the SIGKILL the change is still there" % kind)
        time.sleep(2 * MINUTE_MS / 1000.0)
        t.ok(42 not in vlans(sim, host),
             "%s: kill: the timer expired, the device went back by itself" % kind, vlans(sim, host))
        t.eq(config_of(r, sim.inventory, p), before,
             "%s: kill: the configuration is the pre-change one" % kind)


platform("ios")
platform("junos")

# a platform that cannot undo a change by itself refuses confirm: before anything is sent
with Sim(["--devices", "1:nxos"]) as sim, Run() as r:
    pb = r.write("change.yaml", PLAY % (PLATFORMS["ios"]["change"], "show vlan brief", "x"))
    c0 = sim.stats()["devices"]
    res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "nm=x"])
    t.eq(res.rc, 2, "NX-OS: exit 2")
    t.ok("confirm: platform 'cisco_nxos' cannot undo a change by itself" in res.err,
         "NX-OS: the message names the platform", res.err)
    c1 = sim.stats()["devices"]
    t.eq([d["logins"] for d in c1.values()], [d["logins"] for d in c0.values()],
         "NX-OS: nothing was sent (no login)")

t.done()
