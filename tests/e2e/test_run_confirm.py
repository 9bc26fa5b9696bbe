"""test_run_confirm.py — commit-confirmed on IOS (issue 13: `confirm: SECONDS` on a config task,
the archive feature's revert timer) against the simulator, whose revert timer is shortened
with --opt revert-minute=MS:

- a change followed by a failing `expect` is rolled back at once: the running config right
  after the run equals the one before it (volatile lines aside), without waiting for the timer;
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

MINUTE_MS = 1500  # one minute of the revert timer in the simulator
t = Tap()

ARCHIVE = """
- hosts: all
  tasks:
    - name: archive
      config: {parents: [archive], lines: ["path flash:rollback"]}
"""

CHANGE = """
- hosts: all
  tasks:
    - name: vlan 42
      confirm: 60
      config:
        parents: ["vlan 42"]
        lines: ["name {{ nm }}"]
        after: [exit]
    - name: check
      command: show vlan brief
      expect: ['^42\\s+{{ want }}\\s']
"""


def running(r, inv, host="sw1"):
    """The running configuration, read by netauto show, without its volatile first lines."""
    res = r.netauto(["show", "-i", inv, host, "show running-config"])
    lines = [x for x in res.out.splitlines()
             if not x.startswith(("Building configuration", "Current configuration"))]
    return "\n".join(lines)


def tasks(res, host="sw1"):
    return [(x["name"], x["action"], x["ok"], x["commands"])
            for x in res.json["hosts"][host]["tasks"]] if res.json else []


with Sim(["--devices", "2", "--opt", "sw*:revert-minute=%d" % MINUTE_MS]) as sim, Run() as r:
    arch = r.write("archive.yaml", ARCHIVE)
    pb = r.write("change.yaml", CHANGE)
    res = r.netauto(["run", arch, "-i", sim.inventory], json_out=True)
    t.ok(res.rc == 0, "the archive is configured", res.diag())

    # a successful play: confirmed, survives the timer
    res = r.netauto(["run", pb, "-i", sim.inventory, "--limit", "sw1", "-e", "nm=first",
                     "-e", "want=first"], json_out=True)
    t.ok(res.rc == 0, "confirmed run: exit 0", res.diag())
    t.eq(tasks(res),
         [("vlan 42", "config", True, ["configure terminal revert timer 1", "vlan 42",
                                       "name first", "exit"]),
          ("check", "command", True, ["show vlan brief"]),
          ("confirm the change of 'vlan 42'", "confirm", True, ["configure confirm"])],
         "the change under the revert timer, the check, then the confirmation")
    time.sleep(2 * MINUTE_MS / 1000.0)  # past the timer (waiting for the device's clock)
    cfg = running(r, sim.inventory)
    t.ok("vlan 42\n name first\n" in cfg, "the confirmed change survives the timer", cfg[-600:])

    # a failing check: rolled back at once
    before = running(r, sim.inventory)
    t0 = time.monotonic()
    res = r.netauto(["run", pb, "-i", sim.inventory, "--limit", "sw1", "-e", "nm=second",
                     "-e", "want=nope"], json_out=True)
    after = running(r, sim.inventory)
    elapsed = time.monotonic() - t0
    t.ok(res.rc == 1, "rolled-back run: exit 1 (the check failed)", res.diag())
    t.eq(tasks(res)[-1:],
         [("roll back the change of 'vlan 42'", "rollback", True, ["configure revert now"])],
         "the failing check is followed by the rollback")
    t.ok(res.json and res.json["hosts"]["sw1"]["tasks"][-1]["changed"] is True,
         "the rollback changed the device (back)")
    t.eq(after, before, "the running config right after equals the pre-change one")
    t.ok(elapsed < MINUTE_MS / 1000.0, "the rollback did not wait for the timer (%.2f s)" % elapsed)

    # killed after the change: the device goes back by itself
    before = running(r, sim.inventory, "sw2")
    probe = r.write("probe.yaml", CHANGE.replace("- name: check", "- name: check\n      timeout: 60"))
    c0 = sim.stats()["devices"]["sw2"]["commands"]
    res = r.netauto(["run", probe, "-i", sim.inventory, "--limit", "sw2", "-e", "nm=killed",
                     "-e", "want=killed"], json_out=True)
    per_run = sim.stats()["devices"]["sw2"]["commands"] - c0
    t.ok(res.rc == 0 and per_run > 2, "a run's commands counted (%d)" % per_run, res.diag())

# killed after the change: the same run again, on a device that stops answering after the run's
# next-to-last command (`show vlan brief`; the last is `configure confirm`), counted above
with Sim(["--devices", "1", "--opt", "sw1:revert-minute=%d" % MINUTE_MS,
          "--fault", "sw1:stall-after=%d" % (per_run - 1)]) as sim, Run() as r:
    arch = r.write("archive.yaml", ARCHIVE)
    res = r.netauto(["run", arch, "-i", sim.inventory], json_out=True)
    t.ok(res.rc == 0, "kill: the archive is configured", res.diag())
    before = running(r, sim.inventory)
    probe = r.write("probe.yaml", CHANGE.replace("- name: check", "- name: check\n      timeout: 60"))
    p = r.popen(["run", probe, "-i", sim.inventory, "-e", "nm=killed", "-e", "want=killed"])
    deadline = time.monotonic() + 30
    changed = False
    while time.monotonic() < deadline and p.poll() is None:
        st = sim.stats()["devices"]["sw1"]
        if 42 in st["vlans"] and st["in_config"] == 0:
            changed = True
            break
        time.sleep(0.05)
    t.ok(changed and p.poll() is None, "kill: the change is on the device, netauto still runs")
    os.killpg(p.pid, signal.SIGKILL)
    p.communicate()
    t.ok(42 in sim.stats()["devices"]["sw1"]["vlans"],
         "kill: right after the SIGKILL the change is still there (nobody rolled it back)")
    time.sleep(2 * MINUTE_MS / 1000.0)
    st = sim.stats()["devices"]["sw1"]
    t.ok(42 not in st["vlans"], "kill: the timer expired, the device went back by itself",
         st["vlans"])
    t.eq(running(r, sim.inventory), before, "kill: the running config is the pre-change one")

# a platform that cannot undo a change by itself refuses confirm: before anything is sent
with Sim(["--devices", "1:nxos"]) as sim, Run() as r:
    pb = r.write("change.yaml", CHANGE)
    c0 = sim.stats()["devices"]
    res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "nm=x", "-e", "want=x"])
    t.eq(res.rc, 2, "NX-OS: exit 2")
    t.ok("confirm: platform 'cisco_nxos' cannot undo a change by itself" in res.err,
         "NX-OS: the message names the platform", res.err)
    c1 = sim.stats()["devices"]
    t.eq([d["logins"] for d in c1.values()], [d["logins"] for d in c0.values()],
         "NX-OS: nothing was sent (no login)")

t.done()
