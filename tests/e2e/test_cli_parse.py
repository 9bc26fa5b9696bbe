#!/usr/bin/python3
"""test_cli_parse.py — `netauto parse` and `netauto show --parse` end to end: a template file
over a file and over stdin (records equal to python3-textfsm's, keys lowercased; --table equal
to its ParseText), template directories with an ntc-templates index (first match, [[...]]
completion, several templates merged by Key like clitable, all compared with clitable), where
the directory comes from (--templates, -i INVENTORY's templates:, $NET_TEXTFSM before
$NTC_TEMPLATES_DIR, the built-in templates last), the exit statuses and messages of bad
templates, bad indexes, a missing template and the template's Error action; then against the
simulator: `show --parse` as text and JSON, a command without a template refused before
anything is sent, and a parse error reported next to the output it could not parse. Prints TAP.
"""
import json
import os
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import NETAUTO, WRAP, netauto  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402
import tfsm_oracle as O  # noqa: E402

t = Tap()


def check(cond, msg=""):
    if not cond:
        raise AssertionError(msg)


def must(r, rc=0):
    check(r.rc == rc, "exit %s, wanted %s\nstdout: %s\nstderr: %s" % (r.rc, rc, r.out[-3000:],
                                                                     r.err[-3000:]))
    return r


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


tmp = tempfile.mkdtemp(prefix="netauto-cli-parse.")
try:
    VLAN_TPL = write(os.path.join(tmp, "vlan.textfsm"), """Value Required VLAN_ID (\\d+)
Value NAME (\\S+)
Value List PORTS ([^,\\s]+)

Start
  ^VLAN -> Table

Table
  ^\\d+ -> Continue.Record
  ^${VLAN_ID}\\s+${NAME}\\s+\\S+\\s*$$
  ^${VLAN_ID}\\s+${NAME}\\s+\\S+\\s+${PORTS},? -> Continue
  ^\\d+\\s+\\S+\\s+\\S+\\s+\\S+,\\s+${PORTS},? -> Continue
  ^\\s+${PORTS},? -> Continue
  ^\\s+\\S+,\\s+${PORTS},? -> Continue
""")
    VLAN_OUT = ("VLAN Name     Status    Ports\n---- ----     ------    -----\n"
                "1    default  active    Gi0/1, Gi0/2\n                        Gi0/3\n"
                "10   users    active\n20   voice    active    Gi0/4\n")
    vlan_in = write(os.path.join(tmp, "vlan.txt"), VLAN_OUT)

    def expected_dicts(tpl_path, text):
        py = O.py_table(open(tpl_path, "rb").read(), text)
        return [{h.lower(): v for h, v in zip(py["header"], row)} for row in py["rows"]]

    def template_file():
        r = must(netauto("parse", "--template", VLAN_TPL, vlan_in))
        got = json.loads(r.out)
        check(got == expected_dicts(VLAN_TPL, VLAN_OUT), r.out)
        check(got[0] == {"vlan_id": "1", "name": "default", "ports": ["Gi0/1", "Gi0/2", "Gi0/3"]},
              r.out)
    t.run("parse --template FILE INPUT: python3-textfsm's records, keys lowercased", template_file)

    def stdin_and_table():
        p = subprocess.run(WRAP + [NETAUTO, "parse", "--template", VLAN_TPL], input=VLAN_OUT,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and json.loads(p.stdout) == expected_dicts(VLAN_TPL, VLAN_OUT),
              p.stdout + p.stderr)
        r = must(netauto("parse", "--template", VLAN_TPL, "--table", vlan_in))
        py = O.py_table(open(VLAN_TPL, "rb").read(), VLAN_OUT)
        check(json.loads(r.out) == {"header": py["header"], "rows": py["rows"]}, r.out)
    t.run("input on stdin; --table is TextFSM's header and rows", stdin_and_table)

    # ---- a template directory with an index -------------------------------------------------
    tdir = os.path.join(tmp, "templates")
    os.mkdir(tdir)
    write(os.path.join(tdir, "index"), """# a test index
Template, Hostname, Platform, Command

acme_show_vlan.textfsm, .*, acme_os, sh[[ow]] vl[[an]]
acme_show_things.textfsm:acme_show_things_extra.textfsm, .*, acme_os, sh[[ow]] th[[ings]]
acme_other.textfsm, .*, acme_os, sh[[ow]] vl[[an]] never-reached
bad row without enough columns
""")
    shutil.copy(VLAN_TPL, os.path.join(tdir, "acme_show_vlan.textfsm"))
    write(os.path.join(tdir, "acme_show_things.textfsm"), """Value Key NAME (\\S+)
Value COLOUR (\\S+)

Start
  ^thing ${NAME} colour ${COLOUR} -> Record
""")
    write(os.path.join(tdir, "acme_show_things_extra.textfsm"), """Value Key NAME (\\S+)
Value SIZE (\\d+)

Start
  ^size of ${NAME} is ${SIZE} -> Record
""")
    things = write(os.path.join(tmp, "things.txt"),
                   "thing a colour red\nthing b colour blue\nsize of b is 7\nsize of c is 9\n")

    def index_lookup():
        for cmd in ("show vlan", "sh vl", "sho vla"):
            r = must(netauto("parse", "--templates", tdir, "--platform", "acme_os", "--command",
                             cmd, vlan_in))
            want = O.py_index(tdir, "acme_os", cmd, VLAN_OUT)
            check(want["ok"] and json.loads(r.out) == want["records"], (cmd, r.out, want))
        r = must(netauto("parse", "--templates", tdir, "--platform", "acme_os", "--command",
                         "show things", things))
        want = O.py_index(tdir, "acme_os", "show things", open(things).read())
        check(json.loads(r.out) == want["records"], (r.out, want))
        check(json.loads(r.out) == [{"name": "a", "colour": "red", "size": ""},
                                    {"name": "b", "colour": "blue", "size": "7"}], r.out)
    t.run("--templates DIR: completion, first match wins, two templates merged by Key "
          "(as clitable)", index_lookup)

    def where_from():
        other = os.path.join(tmp, "other")
        os.mkdir(other)
        write(os.path.join(other, "index"), "Template, Hostname, Platform, Command\n"
              "only_here.textfsm, .*, acme_os, show vlan\n")
        write(os.path.join(other, "only_here.textfsm"),
              "Value X (\\d+)\n\nStart\n  ^${X}\\s+default -> Record\n")
        args = ["parse", "--platform", "acme_os", "--command", "show vlan", vlan_in]
        via_other = [{"x": "1"}]
        r = must(netauto(*args, env={"NET_TEXTFSM": other, "NTC_TEMPLATES_DIR": tdir}))
        check(json.loads(r.out) == via_other, "NET_TEXTFSM first: " + r.out)
        r = must(netauto(*args, env={"NTC_TEMPLATES_DIR": other}))
        check(json.loads(r.out) == via_other, "NTC_TEMPLATES_DIR: " + r.out)
        r = must(netauto("parse", "--templates", tdir, *args[1:], env={"NET_TEXTFSM": other}))
        check(json.loads(r.out)[0]["vlan_id"] == "1", "--templates wins: " + r.out)
        inv = write(os.path.join(tmp, "inv.yaml"),
                    "templates: other\nhosts:\n  h1: {platform: acme_os}\n")
        r = must(netauto("parse", "-i", inv, *args[1:], env={"NET_TEXTFSM": tdir}))
        check(json.loads(r.out) == via_other, "the inventory's templates: " + r.out)
    t.run("the directory: --templates, else the inventory's templates:, else $NET_TEXTFSM, "
          "else $NTC_TEMPLATES_DIR", where_from)

    def builtin():
        out = ("VLAN Name                             Status    Ports\n"
               "---- -------------------------------- --------- -------------------------------\n"
               "1    default                          active    Gi0/1, Gi0/2\n"
               "10   users                            active    \n")
        f = write(os.path.join(tmp, "ios_vlan.txt"), out)
        r = must(netauto("parse", "--platform", "cisco_ios", "--command", "sh vlan brief", f,
                         env={"NET_TEXTFSM": "", "NTC_TEMPLATES_DIR": ""}))
        check(json.loads(r.out) == [
            {"vlan_id": "1", "vlan_name": "default", "status": "active",
             "interfaces": ["Gi0/1", "Gi0/2"]},
            {"vlan_id": "10", "vlan_name": "users", "status": "active", "interfaces": []}], r.out)
        r = must(netauto("parse", "--templates", tdir, "--platform", "cisco_ios", "--command",
                         "show vlan", f))
        check(json.loads(r.out)[1]["vlan_name"] == "users", "built-ins after a directory")
    t.run("netauto's built-in templates answer when no directory has a template", builtin)

    def errors():
        bad = write(os.path.join(tmp, "bad.textfsm"),
                    "Value A (\\d+)\n\nStart\n  ^a ${A} -> Next Nowhere\n")
        r = must(netauto("parse", "--template", bad, vlan_in), 2)
        check(r.err.startswith("netauto parse: %s:4:" % bad) and
              "State 'Nowhere' not found, referenced in state 'Start'" in r.err, r.err)
        regex = write(os.path.join(tmp, "regex.textfsm"), "Value A (\\d+)\n\nStart\n  ^(${A}\n")
        r = must(netauto("parse", "--template", regex, vlan_in), 2)
        check("%s:4:4: Invalid regular expression: '^((?P<A>\\d+)'. Line: 4." % regex in r.err and
              "missing ), unterminated subpattern at position 1" in r.err, r.err)
        err = write(os.path.join(tmp, "err.textfsm"),
                    "Value A (\\d+)\n\nStart\n  ^VLAN -> Error \"not expected here\"\n")
        r = must(netauto("parse", "--template", err, vlan_in), 1)
        check('Error: "not expected here". Rule Line: 4. Input Line: VLAN Name' in r.err, r.err)
        check(r.out == "", r.out)
        r = must(netauto("parse", "--templates", tdir, "--platform", "acme_os", "--command",
                         "show nothing", vlan_in), 2)
        check("no template for platform 'acme_os' and command 'show nothing'" in r.err, r.err)
        must(netauto("parse", "--template", VLAN_TPL, os.path.join(tmp, "missing.txt")), 2)
        must(netauto("parse", "--template", os.path.join(tmp, "missing.textfsm"), vlan_in), 2)
        must(netauto("parse", "--templates", tmp, "--platform", "p", "--command", "c", vlan_in), 2)
        must(netauto("parse", vlan_in), 2)
        must(netauto("parse", "--template", VLAN_TPL, "--platform", "x", vlan_in), 2)
        badix = os.path.join(tmp, "badix")
        os.mkdir(badix)
        write(os.path.join(badix, "index"), "Template, Platform, Command\nx.textfsm, p(, c\n")
        r = must(netauto("parse", "--templates", badix, "--platform", "p", "--command", "c",
                         vlan_in), 2)
        check("badix/index:2:" in r.err and "Platform" in r.err, r.err)
        r = must(netauto("parse", "--template", VLAN_TPL, "--max-input", "10", vlan_in), 1)
        check("10" in r.err, r.err)
    t.run("errors: bad template and regex (exit 2, file:line:col and TextFSM's words), the "
          "Error action (exit 1), no template, missing files, bad index, input too large",
          errors)

    # ---- show --parse against the simulator ----------------------------------------------------
    with Sim(["--devices", "2", "--devices", "1:nxos:nx"]) as sim:
        inv = sim.inventory

        def show_text():
            r = must(netauto("show", "-i", inv, "sw1", "show vlan brief", "show clock", "--parse"))
            check("--- show vlan brief ---" in r.out and '"vlan_name": "default"' in r.out, r.out)
            check('"timezone": "UTC"' in r.out and "VLAN Name" not in r.out, r.out)
        t.run("show --parse: records instead of the text", show_text)

        def show_json():
            r = must(netauto("show", "-i", inv, "--limit", "all", "show vlan", "show version",
                             "--parse", "--json"))
            doc = json.loads(r.out)
            for h in doc["hosts"]:
                vl, ver = h["commands"]
                want = O.py_index(os.path.join(os.environ.get("NETAUTO_ROOT", "."), "parsing",
                                               "templates"), h["platform"], "show vlan",
                                  vl["output"])
                check(vl["parsed"] == want["records"], (h["host"], vl["parsed"], want))
                check(ver["parsed"][0]["hostname"] == h["host"], ver["parsed"])
                check("parse_error" not in vl and vl["output"], vl)
        t.run("show --parse --json: each command gains parsed (as clitable gives it), output "
              "kept, for every platform", show_json)

        def no_template_nothing_sent():
            before = len(sim.log_lines())
            r = must(netauto("show", "-i", inv, "sw1", "show vlan", "show running-config",
                             "--parse"), 2)
            check("sw1: no template for platform 'cisco_ios' and command 'show running-config'"
                  in r.err, r.err)
            check(len(sim.log_lines()) == before, "the simulator saw a login")
            must(netauto("show", "-i", inv, "sw1", "show vlan", "--templates", tdir), 2)
        t.run("show --parse with a command that has no template: exit 2, nothing sent",
              no_template_nothing_sent)

        def parse_error():
            d = os.path.join(tmp, "strict")
            os.mkdir(d)
            write(os.path.join(d, "index"), "Template, Hostname, Platform, Command\n"
                  "strict.textfsm, .*, cisco_ios, show clock\n")
            write(os.path.join(d, "strict.textfsm"),
                  "Value T (\\S+)\n\nStart\n  ^\\*?${T}\\s+GMT -> Record\n  ^. -> Error\n")
            r = must(netauto("show", "-i", inv, "sw1", "show clock", "--parse", "--templates", d,
                             "--json"), 1)
            c = json.loads(r.out)["hosts"][0]["commands"][0]
            check(c["ok"] and c["output"] and "parsed" not in c, c)
            check(c["parse_error"]["code"] == "parse" and
                  "State Error raised. Rule Line: 5." in c["parse_error"]["message"], c)
            check("sw1: " in r.err and "State Error raised" in r.err, r.err)
        t.run("a parse error: exit 1, parse_error next to the device's output", parse_error)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
