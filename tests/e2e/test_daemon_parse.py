#!/usr/bin/python3
"""test_daemon_parse.py — `"parse": true` on netautod's POST /v1/commands, with the production
backend against simulated devices: each successful command gains `parsed` (the same records as
ntc-templates' clitable gives for the host's platform and the command) or `parse_error` (no
template: the request still succeeds), no `parsed` without the field, a bad value is 400, the
inventory's `templates:` directory is used before the built-in templates, and the CLI against
the daemon (`netauto --server ... show --parse`) prints records and fails on a parse error, and
parsing runs off netautod's event loop: seconds of TextFSM work (a template that backtracks on
every long line) never make the loop late. Prints TAP."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import cli, lab_daemon, sim_args  # noqa: E402
from netautod_harness import SLOW, Tap, lag_worst  # noqa: E402
from simproc import Sim  # noqa: E402
import tfsm_oracle as O  # noqa: E402

t = Tap()
ROOT = os.environ.get("NETAUTO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
OWN = os.path.join(ROOT, "parsing", "templates")

with Sim(sim_args(2, "--devices", "1:eos:ar", "--devices", "1:ios:big",
                  "--fault", "big1:huge-output=60000")) as sim:
    d = lab_daemon(sim, host_extra={"ar1": "platform: arista_eos"})
    # a template directory of the inventory's own: `show clock` on cisco_ios comes from here
    os.makedirs(d.path("tpl"))
    d.write("tpl/index", "Template, Hostname, Platform, Command\n"
            "clock.textfsm, .*, cisco_ios, sh[[ow]] clo[[ck]]\n"
            "slow.textfsm, .*, cisco_ios, sh[[ow]] tech[[-support]]\n")
    d.write("tpl/clock.textfsm", "Value HOUR (\\d+)\n\nStart\n  ^\\*?${HOUR}: -> Record\n")
    # exponential backtracking on a line of many words (no [!?] in it): PCRE2's match limit
    # stops it after about half a second of CPU per output
    d.write("tpl/slow.textfsm", "Value W (\\w+)\n\nStart\n  ^(\\w+\\s?)*[!?] -> Record\n")
    with open(d.path("inventory.yaml")) as f:
        inv = f.read()
    d.write("inventory.yaml", "templates: tpl\n" + inv)
    d.start()

    for host, plat in (("sw1", "cisco_ios"), ("ar1", "arista_eos")):
        st, r = d.json("POST", "/v1/commands", {"host": host, "parse": True,
                                                "commands": ["show vlan brief", "show version"]},
                       timeout=120)
        ok = st == 200 and r["ok"] and len(r["commands"]) == 2
        for c in r.get("commands", []) if ok else []:
            want = O.py_index(OWN, plat, c["command"], c["output"])
            ok = ok and want["ok"] and c.get("parsed") == want["records"] and c["parsed"]
        t.ok(ok, "%s: every command gains parsed, clitable's records for %s" % (host, plat), r)

    st, r = d.json("POST", "/v1/commands", {"host": "sw1", "parse": True,
                                            "commands": ["show clock", "show running-config"]},
                   timeout=120)
    c1, c2 = (r["commands"] + [{}, {}])[:2] if st == 200 else ({}, {})
    t.ok(st == 200 and r["ok"] and list(c1.get("parsed", [{}])[0]) == ["hour"],
         "the inventory's templates: directory comes first", r)
    t.ok(st == 200 and "parsed" not in c2 and c2["parse_error"]["code"] == "not-found" and
         "no template for platform 'cisco_ios' and command 'show running-config'" in
         c2["parse_error"]["message"] and c2["output"],
         "no template: parse_error next to the output, the request still succeeds", r)

    st, r = d.json("POST", "/v1/commands", {"host": "sw1", "commands": ["show clock"]},
                   timeout=120)
    t.ok(st == 200 and "parsed" not in r["commands"][0] and "parse_error" not in r["commands"][0],
         "without parse: no parsed field", r)
    st, r = d.json("POST", "/v1/commands", {"host": "sw1", "parse": "yes",
                                            "commands": ["show clock"]})
    t.ok(st == 400 and "'parse' must be true or false" in r["error"], "parse: \"yes\" is 400", r)

    lag0 = d.loop_lag()
    st, r = d.json("POST", "/v1/commands", {"host": "big1", "parse": True,
                                            "commands": ["show tech-support"] * 4}, timeout=600)
    lag1 = d.loop_lag()
    worst = lag_worst(lag0, lag1)
    cs = r.get("commands", []) if st == 200 else []
    t.ok(len(cs) == 4 and all(c["ok"] and len(c["output"]) > 50000 and
                              "backtracked too much" in c.get("parse_error", {}).get("message", "")
                              for c in cs),
         "4 outputs through a template that backtracks: each a parse_error, the output kept",
         (st, [{k: (v if k != "output" else len(v)) for k, v in c.items()} for c in cs]))
    t.ok(worst <= 0.25 * SLOW, "... and netautod's loop was never late by more than 250 ms "
         "while they were parsed (worst bucket %s s)" % worst, (lag0, lag1))

    p = cli(d, "show", "ar1", "show vlan", "--parse")
    recs = json.loads(p.stdout) if p.returncode == 0 else None
    t.ok(recs and recs[0]["vlan_id"] == "1" and "VLAN Name" not in p.stdout,
         "netauto --server ... show --parse prints the records", (p.returncode, p.stdout, p.stderr))
    p = cli(d, "show", "sw1", "show running-config", "--parse")
    t.ok(p.returncode == 1 and "no template for platform 'cisco_ios'" in p.stderr,
         "... and exits 1 when a command could not be parsed", (p.returncode, p.stderr))
    p = cli(d, "show", "sw1", "show running-config", "--parse", "--json")
    doc = json.loads(p.stdout) if p.stdout.strip() else {}
    cmds = (doc.get("hosts") or [{}])[0].get("commands") or [{}]  # the local show's shape
    t.ok(p.returncode == 1 and doc.get("schema") == 1 and cmds[0].get("parse_error"),
         "... also with --json", (p.returncode, p.stdout[:500]))
    d.stop()
t.done()
