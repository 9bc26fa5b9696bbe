"""test_run_converge.py — configuration that converges (issue 13), end to end against the
simulator (whose IOS keeps lines in its own order, as a real IOS does, so "nothing is sent the
second time" means netauto compared with what the device shows, not with what it sent):

- the example playbook (playbooks/examples/vlans.yaml), over SSH and over Telnet: `--check
  --diff` first shows the exact diff and leaves the device as it was (no config line, no save);
  the real run's `--diff` is the same diff; the second run sends no config line, saves nothing
  and reports every host and task `changed: false`;
- parents / lines / match (line, strict, exact, none) / replace (line, block) / before / after
  on nested sections (interfaces, `router bgp` with `address-family`), lines with trailing
  spaces, the list form as an indented snippet, a registered running_config;
- save: changed and save: modified, each both ways (saves counted by the simulator);
- backup: true stores the running configuration (byte for byte as the device printed it) in
  --backup-dir before the first change, privately, and nothing when nothing changes."""
import glob
import os
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

ROOT = os.environ.get("NETAUTO_ROOT", os.getcwd())
PB = os.path.join(ROOT, "playbooks", "examples", "vlans.yaml")
N = 3
t = Tap()

# The simulator's IOS puts new `vlan N` sections after `vlan internal allocation policy
# ascending` and its `!`, each followed by a `!` of its own, as IOS does.
EXPECTED = """--- {h} running-config before
+++ {h} running-config after
@@ -27,6 +27,18 @@
 !
 vlan internal allocation policy ascending
 !
+vlan 2
+ name users
+!
+vlan 3
+ name voice
+!
+vlan 4
+ name printers
+!
+vlan 5
+ name guests
+!
 !
 interface GigabitEthernet0/1
 !
"""


def counters(sim):
    st = sim.stats()["devices"]
    return {n: (d["config_commands"], d["saves"], sorted(d["vlans"])) for n, d in st.items()}


def example_twice(transport):
    with Sim(["--devices", str(N)]) as sim, Run() as r:
        base = ["run", PB, "-i", sim.inventory, "--transport", transport]
        before = counters(sim)
        res = r.netauto(base + ["--check", "--diff"], json_out=True)
        t.ok(res.rc == 0 and res.json, "%s: --check --diff: exit 0" % transport, res.diag())
        hosts = res.json["hosts"] if res.json else {}
        for h in ("sw1", "sw%d" % N):
            t.eq(hosts.get(h, {}).get("diff"), EXPECTED.format(h=h),
                 "%s: --check --diff shows the exact diff it would make (%s)" % (transport, h))
        t.ok(all(x["changed"] for x in hosts.get("sw1", {}).get("tasks", [])[:2]),
             "%s: --check: the config and save tasks would change" % transport)
        t.eq(counters(sim), before,
             "%s: --check sent no config line and no save; the VLANs are as they were"
             % transport)

        res = r.netauto(base + ["--diff"], json_out=True)
        t.ok(res.rc == 0 and res.json, "%s: first run: exit 0" % transport, res.diag())
        hosts = res.json["hosts"] if res.json else {}
        t.ok(all(hosts[h]["changed"] for h in hosts), "%s: first run changed every host"
             % transport)
        for h in ("sw1", "sw%d" % N):
            t.eq(hosts.get(h, {}).get("diff"), EXPECTED.format(h=h),
                 "%s: --diff after the real run is the same diff (%s)" % (transport, h))
        first = counters(sim)
        t.ok(all({2, 3, 4, 5} <= set(v[2]) and v[1] == 1 for v in first.values()),
             "%s: VLANs 2-5 exist and each device saved once" % transport, first)

        res = r.netauto(base + ["--diff"], json_out=True)
        t.ok(res.rc == 0 and res.json, "%s: second run: exit 0" % transport, res.diag())
        hosts = res.json["hosts"] if res.json else {}
        t.ok(hosts and all(not hosts[h]["changed"] and
                           not any(x["changed"] for x in hosts[h]["tasks"]) for h in hosts),
             "%s: second run: every host and task changed: false" % transport,
             {h: [x["changed"] for x in hosts[h]["tasks"]] for h in hosts})
        t.ok(hosts and all(hosts[h]["tasks"][0]["commands"] == [] and hosts[h]["diff"] == ""
                           for h in hosts),
             "%s: second run: the config task sent nothing, the diff is empty" % transport)
        second = counters(sim)
        t.eq({n: (v[0] - first[n][0], v[1] - first[n][1]) for n, v in second.items()},
             {n: (0, 0) for n in second},
             "%s: second run: no config line and no save reached any device" % transport)
        last = res.out.strip().splitlines()[-1] if res.out.strip() else ""
        t.ok(last.startswith("%d hosts: %d ok, 0 failed, 0 changed in" % (N, N)),
             "%s: the summary says nothing changed" % transport, last)

example_twice("ssh")
example_twice("telnet")

# NX-OS and EOS show their sections with other indentation (2 and 3 spaces) and separators
with Sim(["--devices", "1:nxos", "--devices", "1:eos"]) as sim, Run() as r:
    for k in (1, 2):
        before = counters(sim)
        res = r.netauto(["run", PB, "-i", sim.inventory], json_out=True)
        hosts = res.json["hosts"] if res.json else {}
        t.ok(res.rc == 0 and hosts and all(h["changed"] == (k == 1) for h in hosts.values()),
             "NX-OS, EOS: run %d %s" % (k, "changes" if k == 1 else "changes nothing"),
             res.diag())
        if k == 2:
            t.eq({n: v[:2] for n, v in counters(sim).items()},
                 {n: v[:2] for n, v in before.items()},
                 "NX-OS, EOS: the second run sends no config line and saves nothing")

SECTIONS = """
- hosts: sw1
  tasks:
    - name: uplink
      config:
        parents: ["interface GigabitEthernet0/1"]
        lines: ["description uplink to core   ", "switchport mode trunk"]
        before: ["do show clock"]
        after: ["do show version"]
    - name: bgp
      config:
        parents: ["router bgp 65000"]
        lines: ["neighbor 10.0.0.2 remote-as 65001", "bgp log-neighbor-changes"]
    - name: af in IOS order, strict
      config:
        parents: ["router bgp 65000", "address-family ipv4"]
        lines: ["network 10.1.0.0 mask 255.255.0.0", "neighbor 10.0.0.2 activate"]
        match: strict
    - name: af in another order, line
      config:
        parents: ["router bgp 65000", "address-family ipv4 vrf blue"]
        lines: ["neighbor 10.9.0.2 activate", "network 10.9.0.0 mask 255.255.0.0"]
    - name: af in another order, strict
      config:
        parents: ["router bgp 65000", "address-family ipv4 vrf red"]
        lines: ["neighbor 10.8.0.2 activate", "network 10.8.0.0 mask 255.255.0.0"]
        match: strict
    - name: exact
      config:
        parents: ["interface GigabitEthernet0/2"]
        lines: ["description access", "shutdown"]
        match: exact
    - name: exact subset
      config:
        parents: ["interface GigabitEthernet0/2"]
        lines: ["description access"]
        match: exact
    - name: none
      config:
        parents: ["interface GigabitEthernet0/3"]
        lines: ["description always"]
        match: none
    - name: snippet
      register: snip
      config: |
        router bgp 65000
         address-family ipv4 vrf blue
          redistribute connected
    - name: flat list
      config: ["interface GigabitEthernet0/4", "description flat"]
    - name: running_config is registered
      assert:
        that: ["'router bgp 65000' in snip.running_config"]
"""

REPLACE = """
- hosts: sw1
  tasks:
    - name: line
      config:
        parents: ["interface GigabitEthernet0/5"]
        lines: ["description five", "shutdown"]
    - name: block
      config:
        parents: ["interface GigabitEthernet0/6"]
        lines: ["description six", "shutdown"]
        replace: block
"""


def tasks_of(res):
    return {x["name"]: x for x in res.json["hosts"]["sw1"]["tasks"]} if res.json else {}


with Sim(["--devices", "1"]) as sim, Run() as r:
    pb = r.write("sections.yaml", SECTIONS)
    res = r.netauto(["run", pb, "-i", sim.inventory], json_out=True)
    t.ok(res.rc == 0, "sections: first run exit 0", res.diag())
    one = tasks_of(res)
    t.eq(one.get("uplink", {}).get("commands"),
         ["do show clock", "interface GigabitEthernet0/1", "description uplink to core",
          "switchport mode trunk", "do show version"],
         "before, parents, the lines (trailing spaces trimmed), after")
    t.eq(one.get("af in IOS order, strict", {}).get("commands"),
         ["router bgp 65000", "address-family ipv4", "network 10.1.0.0 mask 255.255.0.0",
          "neighbor 10.0.0.2 activate"], "nested parents: both levels, then the lines")
    t.ok(one.get("running_config is registered", {}).get("ok") is True,
         "a registered config task keeps running_config (read by a later assert)",
         one.get("running_config is registered"))
    res = r.netauto(["run", pb, "-i", sim.inventory, "-v"], json_out=True)
    t.ok(res.rc == 0, "sections: second run exit 0", res.diag())
    two = tasks_of(res)
    want = {"uplink": [], "bgp": [], "af in IOS order, strict": [],
            "af in another order, line": [], "exact": [], "snippet": []}
    t.eq({k: two.get(k, {}).get("commands") for k in want}, want,
         "second run: nothing sent for line / strict (in the device's order) / exact / snippet")
    t.eq({k: two.get(k, {}).get("changed") for k in want}, {k: False for k in want},
         "second run: those tasks report changed: false")
    t.eq(two.get("af in another order, strict", {}).get("commands"),
         ["router bgp 65000", "address-family ipv4 vrf red", "neighbor 10.8.0.2 activate",
          "network 10.8.0.0 mask 255.255.0.0"],
         "strict: lines the device keeps in another order are sent again (order matters)")
    t.eq(two.get("exact subset", {}).get("commands"),
         ["interface GigabitEthernet0/2", "description access"],
         "exact: a section with more lines than these is not these lines: sent")
    t.eq(two.get("none", {}).get("commands"),
         ["interface GigabitEthernet0/3", "description always"], "match none: always sent")
    t.eq(two.get("flat list", {}).get("commands"),
         ["interface GigabitEthernet0/4", "description flat"],
         "list form without indentation: its lines are not where the device shows them, sent")


    pb = r.write("replace.yaml", REPLACE)
    pre = r.write("pre.yaml", """
- hosts: sw1
  tasks:
    - name: descriptions
      config: ["interface GigabitEthernet0/5", " description five",
               "interface GigabitEthernet0/6", " description six"]
""")
    res = r.netauto(["run", pre, "-i", sim.inventory], json_out=True)
    t.ok(res.rc == 0, "replace: descriptions set", res.diag())
    res = r.netauto(["run", pb, "-i", sim.inventory], json_out=True)
    tk = tasks_of(res)
    t.eq(tk.get("line", {}).get("commands"), ["interface GigabitEthernet0/5", "shutdown"],
         "replace line: only the missing line")
    t.eq(tk.get("block", {}).get("commands"),
         ["interface GigabitEthernet0/6", "description six", "shutdown"],
         "replace block: every line when one is missing")
    res = r.netauto(["run", pb, "-i", sim.inventory], json_out=True)
    t.eq([x["commands"] for x in tasks_of(res).values()], [[], []],
         "replace: the second run sends nothing")


SAVE = """
- hosts: sw1
  tasks:
    - name: maybe change
      config:
        parents: ["interface GigabitEthernet0/7"]
        lines: ["description {{ d }}"]
    - name: save
      save: {when}
"""

with Sim(["--devices", "1"]) as sim, Run() as r:
    def saves():
        return sim.stats()["devices"]["sw1"]["saves"]

    pb = r.write("changed.yaml", SAVE.replace("{when}", "changed"))
    res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "d=one"], json_out=True)
    tk = tasks_of(res)
    t.ok(res.rc == 0 and tk.get("save", {}).get("changed") is True and saves() == 1,
         "save: changed after a change: saved", res.diag())
    res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "d=one"], json_out=True)
    tk = tasks_of(res)
    t.ok(res.rc == 0 and tk.get("save", {}).get("changed") is False and
         tk["save"]["commands"] == [] and saves() == 1,
         "save: changed without a change: not saved", res.diag())

    pb = r.write("modified.yaml", SAVE.replace("{when}", "modified"))
    res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "d=one"], json_out=True)
    tk = tasks_of(res)
    t.ok(res.rc == 0 and tk.get("save", {}).get("changed") is False and saves() == 1,
         "save: modified when running equals startup: not saved", res.diag())
    # a change made outside netauto's run (another session): running differs from startup
    other = r.write("other.yaml", SAVE.replace("{when}", "changed").split("    - name: save")[0])
    res = r.netauto(["run", other, "-i", sim.inventory, "-e", "d=two"], json_out=True)
    t.ok(res.rc == 0 and saves() == 1, "a change without saving", res.diag())
    pb2 = r.write("modified_only.yaml", """
- hosts: sw1
  tasks:
    - {name: save, save: modified}
""")
    res = r.netauto(["run", pb2, "-i", sim.inventory], json_out=True)
    tk = tasks_of(res)
    t.ok(res.rc == 0 and tk.get("save", {}).get("changed") is True and saves() == 2,
         "save: modified when running differs from startup: saved (nothing else changed in "
         "this run)", res.diag())
    res = r.netauto(["run", pb2, "-i", sim.inventory], json_out=True)
    t.ok(res.rc == 0 and tasks_of(res).get("save", {}).get("changed") is False and saves() == 2,
         "save: modified right after the save: not saved", res.diag())

BACKUP = """
- hosts: sw1
  backup: true
  tasks:
    - name: uplink
      config:
        parents: ["interface GigabitEthernet0/9"]
        lines: ["description backed up first"]
"""

with Sim(["--devices", "1"]) as sim, Run() as r:
    pb = r.write("backup.yaml", BACKUP)
    bdir = r.path("bk")
    shown = r.netauto(["show", "-i", sim.inventory, "sw1", "show running-config"]).out
    res = r.netauto(["run", pb, "-i", sim.inventory, "--backup-dir", bdir], json_out=True)
    tk = tasks_of(res)
    files = sorted(glob.glob(os.path.join(bdir, "*")))
    t.ok(res.rc == 0 and len(files) == 1 and
         re.match(r"sw1_\d{8}T\d{6}\.cfg$", os.path.basename(files[0])),
         "backup: one file HOST_YYYYmmddTHHMMSS.cfg", (files, res.diag()))
    if files:
        with open(files[0]) as f:
            saved = f.read()
        t.eq(saved.rstrip("\n"), shown.rstrip("\n"),
             "backup: the running configuration before the change, as the device printed it")
        t.ok("backed up first" not in saved, "backup: taken before the change")
        t.eq(stat.S_IMODE(os.stat(files[0]).st_mode), 0o600, "backup: a private file")
        t.eq(stat.S_IMODE(os.stat(bdir).st_mode), 0o700, "backup: a private directory")
        t.eq(tk.get("uplink", {}).get("backup_path"), files[0], "backup: the task names its file")
    res = r.netauto(["run", pb, "-i", sim.inventory, "--backup-dir", bdir], json_out=True)
    t.ok(res.rc == 0 and len(glob.glob(os.path.join(bdir, "*"))) == 1,
         "backup: nothing changes, nothing is stored", res.diag())

t.done()
