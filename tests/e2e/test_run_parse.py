#!/usr/bin/python3
"""test_run_parse.py — `parse:` on command tasks end to end against the simulator: `parse:
true` registers `parsed` (a list of records per command, as ntc-templates' clitable gives them
for the host's platform) that later tasks use in templates and in `when`; loops register it
per item; `parse: {template: FILE}` (relative to the playbook); the task result carries the
records too; `netauto run --templates DIR`; mistakes found before anything is sent (no template
for a command, a bad template file, parse on a non-command task: exit 2); a template whose
Error action fires fails the task (exit 1) and ignore_errors keeps the run going; the example
playbook playbooks/examples/vlans_parsed.yaml (VLANs checked with assert over the records), an
assert that fails (exit 1, code "assert", its message) and one in --check mode; a handler
with parse: and one with assert (fail_msg). Prints TAP.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402
import tfsm_oracle as O  # noqa: E402

t = Tap()
ROOT = os.environ.get("NETAUTO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
OWN = os.path.join(ROOT, "parsing", "templates")

PB = """
- hosts: all
  tasks:
    - name: read VLANs and the clock
      command: [show vlan brief, show clock]
      parse: true
      register: out
    - name: use a record
      command: "show vlan id {{ out.parsed[0][0].vlan_id }}"
      when: out.parsed[1][0].timezone == 'UTC'
      ignore_errors: true
    - name: loop
      loop: [show vlan brief, sh vl br]
      command: "{{ item }}"
      parse: true
      register: looped
    - name: one template of our own
      command: show clock
      parse: {template: clock.textfsm}
      register: mine
    - name: what was registered
      command: "show {{ looped.results[1].parsed[0][0].vlan_name }} {{ mine.parsed[0][0].hh }}"
      ignore_errors: true
"""
CLOCK = "Value HH (\\d+)\n\nStart\n  ^.*?\\b${HH}:\\d\\d:\\d\\d -> Record\n"

with Sim(["--devices", "2", "--devices", "1:eos:ar"]) as sim, Run() as r:
    inv = sim.inventory
    r.write("clock.textfsm", CLOCK)
    pb = r.write("pb.yaml", PB)
    res = r.netauto(["run", pb, "-i", inv], json_out=True)
    t.ok(res.rc == 0 and res.json, "a playbook with parse: runs (exit 0)", res.diag())
    for host in ("sw1", "ar1"):
        tasks = res.json["hosts"][host]["tasks"] if res.json else []
        if len(tasks) < 5:
            t.ok(False, "%s: five task results" % host, res.diag())
            continue
        plat = res.json["hosts"][host]["platform"]
        first = tasks[0]
        t.ok(first["parsed"][0] and first["parsed"][0][0]["vlan_id"] == "1" and
             first["parsed"][1][0]["timezone"] == "UTC",
             "%s: the task result has the records of both commands" % host, first)
        t.eq(tasks[1]["commands"], ["show vlan id 1"],
             "%s: a later task's command and when use the registered records" % host)
        t.ok(tasks[2]["ok"] and len(tasks[2]["parsed"]) == 2 and
             tasks[2]["parsed"][0] == tasks[2]["parsed"][1],
             "%s: a loop parses every item (show vlan brief and sh vl br alike)" % host)
        t.eq(tasks[4]["commands"], ["show default %s" % first["parsed"][1][0]["time"][:2]],
             "%s: looped.results[i].parsed and parse: {template: FILE} registered" % host)
        t.ok(plat in ("cisco_ios", "arista_eos"), "%s: platform %s" % (host, plat))

    def same_as_clitable():
        res2 = r.netauto(["run", r.write("one.yaml", "- hosts: sw1\n  tasks:\n    - name: v\n"
                                         "      command: show vlan\n      parse: true\n"),
                          "-i", inv], json_out=True)
        task = res2.json["hosts"]["sw1"]["tasks"][0]
        want = O.py_index(OWN, "cisco_ios", "show vlan", task["output"])
        return want["ok"] and task["parsed"] == [want["records"]]
    t.run("the records are clitable's for the same output", same_as_clitable)

    def templates_option():
        d = r.path("tdir")
        os.mkdir(d)
        r.write("tdir/index", "Template, Hostname, Platform, Command\n"
                "c.textfsm, .*, cisco_ios, show clock\n")
        r.write("tdir/c.textfsm", CLOCK)
        pb2 = r.write("t.yaml", "- hosts: sw1\n  tasks:\n    - name: c\n"
                      "      command: show clock\n      parse: true\n")
        res2 = r.netauto(["run", pb2, "-i", inv, "--templates", d], json_out=True)
        task = res2.json["hosts"]["sw1"]["tasks"][0]
        return res2.rc == 0 and list(task["parsed"][0][0]) == ["hh"]
    t.run("netauto run --templates DIR", templates_option)

    def before_anything_is_sent():
        logins = sim.counter("sw1", "logins.ssh")
        bad = [
            ("- hosts: all\n  tasks:\n    - name: n\n      command: show running-config\n"
             "      parse: true\n", "task 'n': parse: no template for platform 'cisco_ios' "
             "and command 'show running-config'"),
            ("- hosts: all\n  tasks:\n    - name: n\n      command: show clock\n"
             "      parse: {template: nothere.textfsm}\n", "nothere.textfsm"),
            ("- hosts: all\n  tasks:\n    - name: n\n      command: show clock\n"
             "      parse: {template: broken.textfsm}\n",
             "broken.textfsm:4:4: Invalid regular expression"),
            ("- hosts: all\n  tasks:\n    - name: n\n      config: [vlan 3]\n      parse: true\n",
             "parse only goes with command"),
            ("- hosts: all\n  tasks:\n    - name: n\n      command: show clock\n"
             "      parse: maybe\n", "parse must be true, false or {template: FILE}"),
        ]
        r.write("broken.textfsm", "Value A (x)\n\nStart\n  ^(${A}\n")
        for i, (text, want) in enumerate(bad):
            res2 = r.netauto(["run", r.write("bad%d.yaml" % i, text), "-i", inv])
            if res2.rc != 2 or want not in res2.err:
                raise AssertionError("case %d: rc %s, stderr %s" % (i, res2.rc, res2.err))
        return sim.counter("sw1", "logins.ssh") == logins
    t.run("no template, a bad or missing template file, parse on config, a bad value: exit 2, "
          "nothing sent", before_anything_is_sent)

    def parse_failure():
        r.write("fail.textfsm", "Value A (\\d+)\n\nStart\n  ^. -> Error \"cannot read this\"\n")
        pb2 = r.write("f.yaml", "- hosts: sw1\n  tasks:\n    - name: f\n      command: show clock\n"
                      "      parse: {template: fail.textfsm}\n      register: x\n"
                      "      ignore_errors: true\n    - name: after\n"
                      "      command: \"show {{ x.failed }}\"\n      ignore_errors: true\n"
                      "    - name: f2\n      command: show clock\n"
                      "      parse: {template: fail.textfsm}\n")
        res2 = r.netauto(["run", pb2, "-i", inv], json_out=True)
        tasks = res2.json["hosts"]["sw1"]["tasks"]
        e = tasks[0]["error"]
        return (res2.rc == 1 and tasks[0]["ignored"] and e["code"] == "parse" and
                'Error: "cannot read this". Rule Line: 4.' in e["message"] and
                tasks[1]["commands"] == ["show true"] and not tasks[2]["ok"])
    t.run("the template's Error action fails the task; ignore_errors goes on", parse_failure)

    def example():
        pb2 = os.path.join(ROOT, "playbooks", "examples", "vlans_parsed.yaml")
        res2 = r.netauto(["run", pb2, "-i", inv], json_out=True)
        ok = res2.rc == 0
        for host in ("sw1", "sw2", "ar1"):
            tasks = res2.json["hosts"][host]["tasks"]
            ok = ok and [x["action"] for x in tasks] == ["config", "command", "assert"]
            ok = ok and tasks[2]["ok"] and tasks[2]["commands"] == []
            names = {x["vlan_id"]: x["vlan_name"] for x in tasks[1]["parsed"][0]}
            ok = ok and all(names.get(str(i)) == n for i, n in
                            ((2, "users"), (3, "voice"), (4, "printers"), (5, "guests")))
        return ok or res2.diag()
    t.run("the example vlans_parsed.yaml: VLANs created, read back as records, asserted", example)

    def failing_assert():
        pb2 = r.write("a.yaml", """- hosts: sw1
  vars:
    want: [{id: 2, name: users}, {id: 99, name: missing}]
  tasks:
    - name: read
      command: show vlan brief
      parse: true
      register: v
    - name: check
      loop: "{{ want }}"
      assert:
        that: "(item.id | string) in (v.parsed[0] | items2dict('vlan_id', 'vlan_name'))"
        msg: "no VLAN {{ item.id }}"
      register: checked
    - name: never
      command: show clock
""")
        res2 = r.netauto(["run", pb2, "-i", inv], json_out=True)
        tasks = res2.json["hosts"]["sw1"]["tasks"]
        e = tasks[1]["error"]
        ok = (res2.rc == 1 and len(tasks) == 2 and not tasks[1]["ok"] and e["code"] == "assert"
              and e["message"] == "sw1: no VLAN 99" and "no VLAN 99" in tasks[1]["output"])
        check = r.netauto(["run", pb2, "-i", inv, "--check"], json_out=True)
        ct = check.json["hosts"]["sw1"]["tasks"]
        return (ok and check.rc == 0 and ct[1]["ok"] and "depends on results" in ct[1]["output"]
                ) or (res2.diag(), check.diag())
    t.run("a false assert fails its task (exit 1, code assert, msg); with --check it waits",
          failing_assert)

    def handler():
        pb3 = r.write("h.yaml", """- hosts: sw1
  tasks:
    - name: push
      config: ["vlan 77", " name h77"]
      notify: read back
  handlers:
    - name: read back
      command: show vlan brief
      parse: true
      register: v
    - name: check
      listen: read back
      assert:
        that: "'77' in (v.parsed[0] | items2dict('vlan_id', 'vlan_name'))"
        fail_msg: "no VLAN 77"
""")
        res3 = r.netauto(["run", pb3, "-i", inv], json_out=True)
        tasks = res3.json["hosts"]["sw1"]["tasks"] if res3.json else []
        names = {x["vlan_id"]: x["vlan_name"] for x in
                 (tasks[1].get("parsed") or [[]])[0]} if len(tasks) == 3 else {}
        return (res3.rc == 0 and names.get("77") == "h77" and tasks[1]["handler"]
                and tasks[2]["ok"]) or res3.diag()
    t.run("handlers: parse: registers records, assert with fail_msg checks them", handler)
t.done()
