"""test_run_vlans.py — the `vlans` resource through `netauto run` against the simulator: each
state (merged, replaced, overridden, deleted, deleted-all) leaves the device with exactly the
VLANs and names it should (read from the device by a separate Telnet client), a second run of
the same task changes nothing (changed: false, no configuration command reaches the device);
--check sends no configuration command, changes nothing, and prints exactly the planned
commands; --diff shows the running-config change as a unified diff (and an empty one when
nothing changed)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run  # noqa: E402
from simcli import TelnetClient  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
DEFAULTS = {1: "default", 1002: "fddi-default", 1003: "token-ring-default",
            1004: "fddinet-default", 1005: "trnet-default"}


def device_vlans(sim, name):
    """{id: name} as the device shows it, read over Telnet by the test itself."""
    d = sim.devices[name]
    c = TelnetClient("127.0.0.1", d.telnet_port)
    try:
        c.login()
        c.send(b"terminal length 0\r\n")
        c.expect(rb"> ?$")
        c.send(b"show vlan brief\r\n")
        out = c.expect(rb"\n\S+> ?$").decode()
    finally:
        c.close()
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^(\d+)\s+(\S+)\s", out, re.M)}


def vlans_task(state, config):
    lines = ["- hosts: sw1", "  tasks:", "    - name: vlans %s" % state, "      vlans:",
             "        state: %s" % state]
    if config is not None:
        lines.append("        config: %s" % config)
    return "\n".join(lines) + "\n"


def config_commands(sim, name="sw1"):
    return sim.stats()["devices"][name]["config_commands"]


def apply(sim, r, state, config, want, what):
    """Run the task, check the device, run it again: nothing may change the second time."""
    pb = r.write("v.yaml", vlans_task(state, config))
    res = r.netauto(["run", pb, "-i", sim.inventory], json_out=True)
    task = res.json["hosts"]["sw1"]["tasks"][0] if res.json else {}
    t.ok(res.rc == 0 and task.get("ok") and task.get("changed"), "%s: applied, changed" % what,
         res.diag())
    got = device_vlans(sim, "sw1")
    t.eq(got, {**DEFAULTS, **want}, "%s: the device has exactly the wanted VLANs" % what)
    before = config_commands(sim)
    res = r.netauto(["run", pb, "-i", sim.inventory], json_out=True)
    task = res.json["hosts"]["sw1"]["tasks"][0] if res.json else {}
    t.ok(res.rc == 0 and task.get("ok") and task.get("changed") is False,
         "%s: second run changed: false" % what, res.diag())
    t.eq(task.get("commands"), ["show vlan brief"], "%s: second run only reads" % what)
    t.eq(config_commands(sim) - before, 0, "%s: second run sent no config command" % what)
    t.eq(res.json and res.json["summary"]["changed"], 0, "%s: summary counts no change" % what)


def check_mode(sim, r):
    pb = r.write("c.yaml", """
- hosts: sw1
  tasks:
    - name: wanted
      vlans:
        state: merged
        config: [{id: 70, name: seventy}, {id: 10, name: renamed}]
    - name: lines
      config: ["vlan 71", "name x"]
    - name: save
      save: true
""")
    st0 = sim.stats()["devices"]["sw1"]
    before = device_vlans(sim, "sw1")
    res = r.netauto(["run", pb, "-i", sim.inventory, "--check"], json_out=True)
    t.ok(res.rc == 0, "--check: exit 0", res.diag())
    st1 = sim.stats()["devices"]["sw1"]
    t.eq(st1["config_commands"] - st0["config_commands"], 0, "--check: no configuration command")
    t.eq(st1["saves"] - st0["saves"], 0, "--check: no save")
    t.eq(st1["logins"]["ssh"] - st0["logins"]["ssh"], 1, "--check still logs in (reads allowed)")
    t.eq(device_vlans(sim, "sw1"), before, "--check: VLANs unchanged")
    want = ("--- sw1: wanted (would send)\n[exec]\nshow vlan brief\n[config]\nvlan 10\n"
            "name renamed\nexit\nvlan 70\nname seventy\nexit\n"
            "--- sw1: lines (would send)\n[config]\nvlan 71\nname x\n"
            "--- sw1: save (would send)\n[save]\ncopy running-config startup-config\n")
    t.ok(res.out.startswith(want), "--check prints exactly what would be sent", res.out)
    h = res.json["hosts"]["sw1"] if res.json else {}
    t.ok(res.json and res.json["summary"]["check"] is True and h["changed"] is True,
         "--check: results say check mode and that it would change")
    t.eq(h.get("tasks", [{}])[0].get("commands"),
         ["show vlan brief", "vlan 10", "name renamed", "exit", "vlan 70", "name seventy", "exit"],
         "--check: commands are the read and the plan")
    t.ok("diff" not in h, "--check: no diff taken")


def diff_mode(sim, r):
    pb = r.write("d.yaml", vlans_task("merged", "[{id: 40, name: forty}]"))
    res = r.netauto(["run", pb, "-i", sim.inventory, "--diff"], json_out=True)
    t.ok(res.rc == 0, "--diff: exit 0", res.diag())
    d = res.json["hosts"]["sw1"].get("diff", "") if res.json else ""
    t.ok(d.startswith("--- sw1 running-config before\n+++ sw1 running-config after\n@@ ") and
         "\n+vlan 40\n+ name forty\n" in d, "--diff: unified diff of the change", d)
    t.ok("Current configuration" not in d, "--diff ignores volatile lines")
    t.ok("--- sw1: diff of the running-config\n--- sw1 running-config before" in res.out,
         "--diff: printed per host", res.out)
    res = r.netauto(["run", pb, "-i", sim.inventory, "--diff"], json_out=True)
    t.eq(res.json["hosts"]["sw1"].get("diff") if res.json else None, "",
         "--diff without a change: empty diff")
    t.ok("diff of the running-config\n(no change)" in res.out, "... shown as (no change)")


with Sim(["--devices", "2"]) as sim, Run() as r:
    apply(sim, r, "merged", "[{id: 10, name: servers}, {id: 20, name: voice}]",
          {10: "servers", 20: "voice"}, "merged")
    apply(sim, r, "merged", "[{id: 20}, {id: 30, name: web}]",
          {10: "servers", 20: "voice", 30: "web"}, "merged keeps names not given")
    apply(sim, r, "replaced", "[{id: 10}, {id: 30, name: www}]",
          {10: "VLAN0010", 20: "voice", 30: "www"}, "replaced")
    apply(sim, r, "overridden", "[{id: 10, name: a}, {id: 50, name: e}]",
          {10: "a", 50: "e"}, "overridden")
    apply(sim, r, "deleted", "[{id: 50}]", {10: "a"}, "deleted")
    check_mode(sim, r)
    diff_mode(sim, r)
    apply(sim, r, "deleted", None, {}, "deleted without a list")
    t.eq(device_vlans(sim, "sw2"), DEFAULTS, "the other device was never touched")
t.done()
