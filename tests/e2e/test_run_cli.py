"""test_run_cli.py — `netauto run`'s command line against the simulator: extra vars in every
form (-e @file.yaml, -e JSON, -e k=v; later ones win; they beat inventory and play vars), the
inventory's secrets from a vault with --vault-password-file, --transcripts (one file per host,
secrets recorded only as `> secret`), --json - (results on stdout, people's text on stderr),
and usage errors (exit 2, nothing sent)."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run, total  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import yaml  # noqa: E402

t = Tap()

PB = """
- hosts: all
  vars: {vname: from-play, vid: 800}
  tasks:
    - name: a VLAN
      config: ["vlan {{ vid }}", "name {{ vname }}", "exit"]
"""


def extra_vars(sim, r):
    pb = r.write("pb.yaml", PB)
    vf = r.write("vars.yaml", "vid: 700\nvname: from-file\n")
    res = r.netauto(["run", pb, "-i", sim.inventory, "--limit", "sw1", "-e", "@" + vf,
                     "-e", '{"vname": "from-json"}', "-e", "vid=701 other=x"], json_out=True)
    cmds = res.json["hosts"]["sw1"]["tasks"][0]["commands"] if res.json else None
    t.eq(cmds, ["vlan 701", "name from-json", "exit"],
         "-e @file, -e JSON, -e k=v: later wins, all beat play vars")
    t.ok(701 in sim.stats()["devices"]["sw1"]["vlans"], "... and reached the device")
    res = r.netauto(["run", pb, "-i", sim.inventory, "--limit", "sw1"], json_out=True)
    cmds = res.json["hosts"]["sw1"]["tasks"][0]["commands"] if res.json else None
    t.eq(cmds, ["vlan 800", "name from-play", "exit"], "without -e: the play's vars")
    bad = r.write("bad-vars.yaml", "- not a mapping\n")
    res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "@" + bad])
    t.ok(res.rc == 2 and re.search(r"bad-vars\.yaml:1:1: extra vars must be a mapping", res.err),
         "-e @file that is not a mapping: exit 2, positioned", res.diag())
    res = r.netauto(["run", pb, "-i", sim.inventory, "-e", "{not json"])
    t.ok(res.rc == 2 and "-e: not a JSON object" in res.err, "-e bad JSON: exit 2", res.diag())


def vault(sim, r):
    with open(sim.inventory) as f:
        inv = yaml.safe_load(f)
    inv["vault"] = "secrets.vault"
    inv["defaults"]["password"] = "${vault:lab_password}"
    inv["defaults"]["secret"] = "${vault:enable}"
    invp = r.write("vinv.yaml", yaml.safe_dump(inv))
    vaultp = r.write("secrets.vault", "lab_password: lab-pass-1\nenable: lab-enable-1\n")
    passf = r.write("vpass.txt", "vault pass phrase\n")
    res = r.netauto(["vault", "encrypt", vaultp, "--vault-password-file", passf])
    t.ok(res.rc == 0, "vault encrypted", res.diag())
    pb = r.write("show.yaml", "- hosts: sw2\n  tasks:\n    - {name: v, command: show version}\n")
    res = r.netauto(["run", pb, "-i", invp, "--vault-password-file", passf], json_out=True)
    t.ok(res.rc == 0 and res.json["hosts"]["sw2"]["ok"], "--vault-password-file: secrets from "
         "the vault log in", res.diag())
    before = total(sim.stats(), "connections")
    res = r.netauto(["run", pb, "-i", invp], env={"NETAUTO_VAULT_PASSWORD": "not-the-pass-9"})
    t.ok(res.rc == 2 and "wrong passphrase" in res.err, "a wrong vault passphrase: exit 2",
         res.diag())
    t.eq(total(sim.stats(), "connections") - before, 0, "... and nothing sent")


def transcripts(sim, r):
    pb = r.write("t.yaml", PB)
    tdir = r.path("tr")
    res = r.netauto(["run", pb, "-i", sim.inventory, "--transcripts", tdir, "--transport",
                     "telnet"])
    t.ok(res.rc == 0, "--transcripts: exit 0", res.diag())
    files = sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []
    t.eq(files, ["sw1.transcript", "sw2.transcript"], "one transcript per host")
    text = open(os.path.join(tdir, "sw1.transcript")).read() if files else ""
    t.ok(text.startswith("netauto-transcript 1\n# sw1 cisco_ios over telnet"), "transcript header",
         text[:200])
    t.ok('> "vlan 800\\r"' in text, "the config lines are in it (Enter is CR)")
    t.ok("> secret" in text and "lab-pass-1" not in text and "lab-enable-1" not in text,
         "secrets recorded only as '> secret'")


def json_stdout(sim, r):
    pb = r.write("j.yaml", PB)
    res = r.netauto(["run", pb, "-i", sim.inventory, "--json", "-", "--limit", "sw2"])
    try:
        js = json.loads(res.out)
    except ValueError:
        js = None
    t.ok(res.rc == 0 and js and js["summary"]["ok"] == 1, "--json -: the results on stdout",
         res.diag())
    t.ok("1 host: 1 ok" in res.err, "... and the summary table on stderr")


def usage(sim, r):
    pb = r.write("u.yaml", PB)
    before = total(sim.stats(), "connections")
    for args, pat, what in (
            ([pb], r"-i INVENTORY is required(.|\n)*^usage: netauto run PLAYBOOK", "no -i"),
            ([pb, "-i", sim.inventory, "--forks", "x"], r"--forks: expected a number",
             "bad --forks"),
            ([pb, "-i", sim.inventory, "--transport", "serial"],
             r"--transport: expected ssh or telnet", "bad --transport"),
            ([pb, "-i", sim.inventory, "--timeout", "0"], r"--timeout: expected seconds",
             "bad --timeout"),
            ([pb, "-i", sim.inventory, "--max-output", "-1M"],
             r"--max-output: expected a byte count \(like 64M\), got '-1M'", "bad --max-output"),
            ([pb, "-i", sim.inventory, "--max-output", "99999999999G"],
             r"--max-output: expected a byte count", "--max-output too big"),
            ([pb, "-i", sim.inventory, "--bogus"], r"unknown option '--bogus'",
             "unknown option"),
            ([pb, pb, "-i", sim.inventory], r"^usage:", "two playbooks")):
        res = r.netauto(["run"] + args)
        t.ok(res.rc == 2 and re.search(pat, res.err, re.M), "usage: %s: exit 2" % what,
             res.diag())
    t.eq(total(sim.stats(), "connections") - before, 0, "usage errors send nothing")
    res = r.netauto(["run", "--help"])
    t.ok(res.rc == 0 and res.out.startswith("usage: netauto run"), "--help")


with Sim(["--devices", "2"]) as sim, Run() as r:
    extra_vars(sim, r)
    vault(sim, r)
    transcripts(sim, r)
    json_stdout(sim, r)
    usage(sim, r)
t.done()
