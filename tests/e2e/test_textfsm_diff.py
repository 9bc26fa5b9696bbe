#!/usr/bin/python3
"""test_textfsm_diff.py — netauto's TextFSM engine against Debian's python3-textfsm, the
reference implementation, run here at test time as the oracle: every template of
tests/fixtures/textfsm/ over each of its inputs (records, or the error, must be identical:
same error class, same TextFSM message), netauto's own templates (parsing/templates/) over the
simulator's outputs, and a few thousand generated templates and inputs (tfsm_gen.py, fixed
seeds). Not a test of the CLI (test_cli_parse.py) or of regex details (test_pyre_diff.py).
"""
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402
import tfsm_gen  # noqa: E402
import tfsm_oracle as O  # noqa: E402

ROOT = os.environ.get("NETAUTO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("NETAUTO_BUILD", os.path.join(ROOT, "build"))
FIX = os.path.join(ROOT, "tests", "fixtures", "textfsm")

t = Tap()
probe = O.Probe(BUILD)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def check(label, cases, allow_refused=False):
    """cases: [(name, template, input)]; one TAP line for the lot."""
    ours = probe.tables(cases)
    bad = []
    refused = 0
    for (name, tpl, txt), o in zip(cases, ours):
        d = O.compare(name, o, O.py_table(tpl, txt))
        if isinstance(d, tuple) and allow_refused:
            refused += 1
        elif d is not None:
            bad.append("%s on %r: %s" % (name, txt[:60], d))
    t.ok(not bad, "%s: %d cases identical to python3-textfsm%s" % (
        label, len(cases), " (%d refused)" % refused if refused else ""), "\n".join(bad[:10]))
    return ours


# ---- the corpus: one check per template ----------------------------------------------------
fixtures = sorted(glob.glob(os.path.join(FIX, "*.textfsm")))
t.ok(len(fixtures) >= 60, "the corpus has %d templates" % len(fixtures))
kinds = {"ok": 0, "config": 0, "parse": 0}
for path in fixtures:
    stem = path[:-len(".textfsm")]
    name = os.path.basename(path)
    inputs = sorted(glob.glob(stem + ".txt") + glob.glob(stem + ".[0-9]*.txt"))
    tpl = read(path)
    cases = [(name, tpl, read(i)) for i in inputs] or [(name, tpl, b"")]
    for o in check(name, cases):
        kinds["ok" if o.get("ok") else o.get("code", "?")] = kinds.get(
            "ok" if o.get("ok") else o.get("code", "?"), 0) + 1
# the corpus really exercises records, template errors and Error actions
t.ok(kinds["ok"] >= 25 and kinds["config"] >= 30 and kinds["parse"] >= 4,
     "the corpus covers records (%d), template errors (%d) and Error actions (%d)" % (
         kinds["ok"], kinds["config"], kinds["parse"]))

# ---- netauto's own templates, chosen through their index ------------------------------------
# the simulator's outputs (PLATFORM__COMMAND.txt) and the VLAN tables of tests/fixtures/vlans
own_dir = os.path.join(ROOT, "parsing", "templates")
cases = []
for i in sorted(glob.glob(os.path.join(FIX, "sim", "*__*.txt"))):
    plat, cmd = os.path.basename(i)[:-4].split("__")
    cases.append((plat, cmd.replace("_", " "), read(i)))
for name, plat in [("ios_show_vlan.txt", "cisco_ios"), ("ios_show_vlan_brief.txt", "cisco_ios"),
                   ("nxos_show_vlan_brief.txt", "cisco_nxos"), ("eos_show_vlan_brief.txt", "arista_eos")]:
    cases.append((plat, "show vlan brief", read(os.path.join(ROOT, "tests", "fixtures", "vlans", name))))
ours = probe.index([(own_dir, p, c, d) for p, c, d in cases])
bad = []
for (p, c, d), o in zip(cases, ours):
    diff = O.compare_index(o, O.py_index(own_dir, p, c, d))
    if diff is not None:
        bad.append("%s %r: %s" % (p, c, diff))
t.ok(len(cases) >= 24 and not bad,
     "built-in templates via their index: %d outputs, records identical to clitable's" % len(cases),
     "\n".join(bad[:10]))
t.ok(all(o.get("ok") and o["records"] for o in ours),
     "every built-in template gives records for its simulator output",
     "\n".join("%s %r: %s" % (p, c, o) for (p, c, d), o in zip(cases, ours)
               if not (o.get("ok") and o["records"]))[:2000])

# ---- the benchmark's template over a generated `show ip route` ------------------------------
routes = os.path.join(tempfile.mkdtemp(prefix="netauto-tfsm-diff."), "routes.txt")
subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "gen.py"), "routes", "3000", routes],
               check=True)
ours = check("bench/ip_route.textfsm over 3,000 generated routes",
             [("ip_route.textfsm", read(os.path.join(ROOT, "bench", "ip_route.textfsm")),
               read(routes))])
t.ok(ours[0].get("ok") and len(ours[0]["rows"]) > 3000, "... %d records" % len(
    ours[0].get("rows", [])))
shutil.rmtree(os.path.dirname(routes), ignore_errors=True)

# ---- generated templates ------------------------------------------------------------------------
for seed in range(8):
    r = random.Random(1000 + seed)
    cases = []
    for i in range(250):
        rules = []
        tpl = tfsm_gen.gen_template(r, rules)
        txt = tfsm_gen.gen_input(r, rules)
        cases.append(("gen%d_%d.textfsm" % (seed, i), tpl.encode(), txt.encode()))
    ours = check("generated batch %d" % seed, cases)
    oks = sum(1 for o in ours if o.get("ok") and o["rows"])
    t.ok(oks >= 40, "generated batch %d: %d cases gave records" % (seed, oks))

t.done()
