"""test_run_errors.py — failures in `netauto run`. Invalid input (malformed playbook YAML, an
unknown host or bad syntax in --limit, an undefined variable — also one that only some host
lacks —, a play's hosts naming nothing, an unknown platform, a script task over Telnet, bad -e,
no host left to run on) exits 2 with file:line:column where it applies and sends NOTHING (the
simulator accepted no connection at all). At run time a failure stays with its host: a device
error on one host fails that host only (exit 1; the others run every task), ignore_errors goes
on, a refused login, a stalled device (--timeout) and a host over --host-timeout fail that host
within its deadline while the others finish."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run, total  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import yaml  # noqa: E402

t = Tap()

GOOD = """
- name: lab
  hosts: all
  tasks:
    - name: show
      command: show version
"""


def inventory_with_vars(sim, r, extra_hosts=None, host_vars=None, default_vars=None):
    """The simulator's inventory with vars (and extra hosts) added."""
    with open(sim.inventory) as f:
        inv = yaml.safe_load(f)
    inv["defaults"]["vars"] = default_vars or {}
    for h, v in (host_vars or {}).items():
        inv["hosts"][h]["vars"] = v
    inv["hosts"].update(extra_hosts or {})
    return r.write("inv.yaml", yaml.safe_dump(inv))


def invalid(sim, r, what, args, pattern):
    before = sim.stats()
    res = r.netauto(["run"] + args)
    after = sim.stats()
    t.ok(res.rc == 2, "%s: exit 2" % what, res.diag())
    t.ok(re.search(pattern, res.err, re.M), "%s: message" % what,
         "stderr: %r\nwanted: %r" % (res.err, pattern))
    t.eq((total(after, "connections") - total(before, "connections"),
          total(after, "logins") - total(before, "logins")), (0, 0),
         "%s: nothing sent (no connection, no login)" % what)


def invalid_input(sim, r):
    inv = sim.inventory
    good = r.write("good.yaml", GOOD)
    bad_yaml = r.write("bad.yaml", "- name: x\n  hosts: all\n  tasks:\n    - name: a\n"
                                   "      command: [unclosed\n")
    invalid(sim, r, "malformed YAML", [bad_yaml, "-i", inv], r"bad\.yaml:\d+:\d+: ")
    invalid(sim, r, "unknown host in --limit", [good, "-i", inv, "--limit", "sw9"],
            r"--limit: 'sw9' matches no host or group")
    invalid(sim, r, "bad --limit", [good, "-i", inv, "--limit", "~sw.*"], r"^--limit: '~sw\.\*'")
    undef = r.write("undef.yaml", "- hosts: all\n  tasks:\n    - name: uses x\n"
                                  "      command: \"show {{ nope }}\"\n")
    invalid(sim, r, "undefined variable", [undef, "-i", inv],
            r"undef\.yaml:4:16: task 'uses x': undefined variable 'nope'")
    inv2 = inventory_with_vars(sim, r, host_vars={"sw1": {"what": "version"}})
    partly = r.write("partly.yaml", "- hosts: all\n  tasks:\n    - name: show it\n"
                                    "      command: \"show {{ what }}\"\n")
    invalid(sim, r, "a variable only sw2 lacks", [partly, "-i", inv2],
            r"partly\.yaml:4:16: task 'show it': undefined variable 'what' \(host 'sw2'\)")
    typo = r.write("typo.yaml", "- name: p\n  hosts: swiches\n  tasks: []\n")
    invalid(sim, r, "play hosts naming nothing", [typo, "-i", inv],
            r"typo\.yaml:2:10: play 'p': hosts: 'swiches' matches no host or group")
    inv3 = inventory_with_vars(sim, r, extra_hosts={"odd": {"host": "127.0.0.1",
                                                              "platform": "junos_maybe"}})
    invalid(sim, r, "unknown platform", [good, "-i", inv3],
            r"host 'odd': platform 'junos_maybe': ")
    script = r.write("s.yaml", "- hosts: sw1\n  tasks:\n    - name: run it\n"
                               "      script: {src: s.yaml}\n")
    invalid(sim, r, "script over Telnet", [script, "-i", inv, "--transport", "telnet"],
            r"s\.yaml:3:7: task 'run it': script tasks need SSH, and host 'sw1' uses telnet")
    invalid(sim, r, "bad -e", [good, "-i", inv, "-e", "=x"], r"-e: expected KEY=VALUE")
    invalid(sim, r, "no host left", [r.write("one.yaml", GOOD.replace("hosts: all",
                                                                      "hosts: sw1")),
                                     "-i", inv, "--limit", "sw2"], r"no host to run on")
    invalid(sim, r, "missing inventory file", [good, "-i", r.path("nope.yaml")], r"nope\.yaml")


def device_error_isolated(sim, r):
    inv = inventory_with_vars(sim, r, host_vars={"sw2": {"vid": 5000}}, default_vars={"vid": 300})
    pb = r.write("dev.yaml", """
- hosts: all
  tasks:
    - name: add a VLAN
      config: ["vlan {{ vid }}", "name from-run"]
    - name: after
      command: show vlan brief
      register: after
""")
    res = r.netauto(["run", pb, "-i", inv], json_out=True)
    t.ok(res.rc == 1, "device error on sw2: exit 1", res.diag())
    hosts = res.json["hosts"] if res.json else {}
    h2 = hosts.get("sw2", {})
    t.eq((h2.get("status"), len(h2.get("tasks", []))), ("failed", 1),
         "sw2 failed at its first task and ran no other")
    err = (h2.get("error") or {})
    t.ok(err.get("code") == "device-error" and
         "config line 1 'vlan 5000' failed: % Invalid input" in err.get("message", ""),
         "sw2's error is the device's, naming the line", err)
    t.ok(all(hosts[n]["ok"] and len(hosts[n]["tasks"]) == 2 for n in ("sw1", "sw3")),
         "sw1 and sw3 ran every task")
    st = sim.stats()
    t.ok(300 in st["devices"]["sw1"]["vlans"] and 300 in st["devices"]["sw3"]["vlans"],
         "the others were configured")
    t.ok(re.search(r"^sw2\s+failed\s+no\s+0/1\s+\S+ \S+\s+sw2: config line 1", res.out, re.M),
         "the summary table shows sw2's error", res.out)
    t.ok("!!! sw2: task 'add a VLAN' failed: " in res.out, "the failure is printed")


def ignore_errors(sim, r):
    pb = r.write("ign.yaml", """
- hosts: sw1
  tasks:
    - name: bad command
      command: show nonsense
      ignore_errors: true
      register: bad
    - name: goes on
      command: show version
      when: bad.failed
""")
    res = r.netauto(["run", pb, "-i", sim.inventory], json_out=True)
    t.ok(res.rc == 0, "ignore_errors: exit 0", res.diag())
    h = res.json["hosts"]["sw1"] if res.json else {"tasks": [{}, {}]}
    a, b = (h["tasks"] + [{}, {}])[:2]
    t.ok(a.get("ok") is False and a.get("ignored") is True and
         a.get("error", {}).get("code") == "device-error", "the failed task is marked ignored", a)
    t.ok(b.get("ok") is True and "IOS" in b.get("output", ""), "the next task ran", b)
    t.ok(h.get("ok") is True, "the host is ok")
    t.ok("!!! sw1: task 'bad command' failed (ignored): " in res.out, "printed as ignored")


def later_errors_are_their_own(sim, r):
    """Issue 12, item 9a: after a task failed under ignore_errors, a later failing task of the
    same host reports its own error, not the first task's."""
    pb = r.write("ign2.yaml", """
- hosts: sw1
  tasks:
    - name: first
      command: show nonsense
      ignore_errors: true
    - name: second
      command: show vlan brief | foo
      ignore_errors: true
    - name: third
      config: [vlan 5000]
""")
    res = r.netauto(["run", pb, "-i", sim.inventory], json_out=True)
    h = res.json["hosts"]["sw1"] if res.json else {"tasks": [{}, {}, {}]}
    msgs = [((x.get("error") or {}).get("message") or "") for x in (h["tasks"] + [{}] * 3)[:3]]
    t.ok(res.rc == 1 and "'show nonsense' failed" in msgs[0] and
         "'show vlan brief | foo' failed" in msgs[1] and
         "config line 1 'vlan 5000' failed" in msgs[2],
         "ignore_errors: every later failing task reports its own error", msgs)


def connection_failures(r):
    with Sim(["--devices", "4", "--fault", "sw2:refuse-login", "--fault", "sw3:stall-after=3",
              "--fault", "sw4:slow=300"]) as sim:
        g = r.write("g.yaml", GOOD)
        t0 = time.monotonic()
        res = r.netauto(["run", g, "-i", sim.inventory, "--timeout", "1", "--limit", "sw1:sw2:sw3"],
                        json_out=True)
        took = time.monotonic() - t0
        t.ok(res.rc == 1, "faults: exit 1", res.diag())
        hs = res.json["hosts"] if res.json else {}
        t.eq(hs.get("sw1", {}).get("status"), "ok", "a healthy device is unaffected")
        t.eq((hs.get("sw2", {}).get("error") or {}).get("code"), "auth",
             "refused login: auth error")
        t.ok(re.search(r"^!!! sw2: authentication failed for user admin", res.out, re.M) and
             "sw2: sw2:" not in res.out, "a host that failed before any task: printed once, "
             "named once", res.out)
        e3 = hs.get("sw3", {}).get("error") or {}
        t.ok(e3.get("code") == "timeout" and "within 1.0 s" in e3.get("message", ""),
             "stalled device: --timeout", e3)
        t.ok(took < 15, "the run ended within its deadlines (%.1f s)" % took)

        t0 = time.monotonic()
        res = r.netauto(["run", g, "-i", sim.inventory, "--host-timeout", "2", "--limit",
                         "sw1,sw4"], json_out=True)
        took = time.monotonic() - t0
        hs = res.json["hosts"] if res.json else {}
        e4 = hs.get("sw4", {}).get("error") or {}
        t.ok(res.rc == 1 and e4.get("code") == "timeout" and
             "did not finish within 2.0 s" in e4.get("message", ""),
             "slow device: --host-timeout", res.diag())
        t.eq(hs.get("sw1", {}).get("status"), "ok", "... the other host is ok")
        t.ok(1.5 < took < 15, "the host was stopped at its deadline (%.1f s)" % took)


with Sim(["--devices", "3"]) as sim, Run() as r:
    invalid_input(sim, r)
    device_error_isolated(sim, r)
    ignore_errors(sim, r)
    later_errors_are_their_own(sim, r)
with Run() as r:
    connection_failures(r)
t.done()
