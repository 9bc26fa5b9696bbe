#!/usr/bin/python3
"""test_cli_parity.py — remote parity (issue 17): one table of invocations, each run here (-i
with the daemon's own inventory and vault passphrase) and on a production netautod
(--server) against the same simulated devices: same exit status, and for --json the same
document once timings (elapsed_ms), the server-only fields (the job's id, state...; "server")
and the inventory path are set aside. Also the refusals: options that only mean something here
are refused with --server, with a message, instead of being dropped. Prints TAP."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import cli, lab_daemon, sim_args  # noqa: E402
from clirun import netauto  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="netauto-parity.")

TIMES = {"elapsed_ms", "started", "finished", "created", "updated"}
SERVER_ONLY = {"server", "id", "state", "submitted_by", "request", "targets", "job", "error",
               "generation", "inventory", "events", "cancel_requested_by", "queued_ms",
               "schedule"}


def strip(v, top=True):
    """v without times (anywhere), the server-only fields (top level) and the inventory path."""
    if isinstance(v, dict):
        return {k: strip(x, False) for k, x in v.items()
                if k not in TIMES and not (top and k in SERVER_ONLY)}
    if isinstance(v, list):
        return [strip(x, False) for x in v]
    return v


with Sim(sim_args(2)) as sim:
    d = lab_daemon(sim)
    d.start()
    inv = os.path.join(d.dir, "inventory.yaml")
    vpf = os.path.join(d.dir, "vault-pass")
    pb = os.path.join(tmp, "check.yaml")
    with open(pb, "w") as f:
        f.write("- hosts: sw1:sw2\n  tasks:\n"
                "    - {name: version, command: show version}\n"
                "    - {name: vlan, config: [vlan 42, name parity], }\n")
    jl, jr = os.path.join(tmp, "local.json"), os.path.join(tmp, "remote.json")

    def local(args, json_file=None):
        a = list(args)
        if json_file:
            a = [x if x != "@JSON" else json_file for x in a]
        return netauto(a[0], "-i", inv, "--vault-password-file", vpf, *a[1:])

    def remote(args, json_file=None):
        a = list(args)
        if json_file:
            a = [x if x != "@JSON" else json_file for x in a]
        p = cli(d, *a)
        return p.returncode, p.stdout, p.stderr

    # (args, exit status wanted, how to compare: "stdout-json", "file-json" or None)
    TABLE = [
        (["show", "sw1", "show version", "--json"], 0, "stdout-json"),
        (["show", "sw1", "show version", "show vlan brief", "--json"], 0, "stdout-json"),
        (["show", "sw2", "show bogus", "--json"], 1, "stdout-json"),
        (["show", "sw1", "show version"], 0, "stdout"),
        (["show", "sw1", "show version", "show vlan brief"], 0, "stdout"),
        (["show", "sw9", "show version"], 2, None),
        (["show", "sw1", "show version", "--json", "out.json"], 2, None),
        (["show", "sw1", "sw2", "show version"], 2, None),
        (["show", "sw1"], 2, None),
        (["show", "sw1", "show version", "--transport", "ftp"], 2, None),
        (["inventory", "--json"], 0, "stdout-json"),
        (["run", pb, "--check", "--json", "@JSON"], 0, "file-json"),
        (["run", pb, "--check", "--limit", "sw2", "--json", "@JSON"], 0, "file-json"),
        (["run", pb, "--check", "--limit", "nosuch"], 2, None),
        (["run", pb, "--bogus"], 2, None),
    ]

    def table():
        for args, want, how in TABLE:
            for f in (jl, jr):
                if os.path.exists(f):
                    os.unlink(f)
            lr = local(args, jl)
            rc, rout, rerr = remote(args, jr)
            shown = " ".join(args)
            t.ok(lr.rc == want and rc == want, "exit %d here and on netautod: %s" % (want, shown),
                 "here %s: %s\nserver %s: %s" % (lr.rc, lr.err, rc, rerr))
            if how == "stdout":
                t.eq(rout, lr.out, "same text: %s" % shown)
            elif how in ("stdout-json", "file-json"):
                try:
                    if how == "stdout-json":
                        a, b = json.loads(lr.out), json.loads(rout)
                    else:
                        a, b = json.load(open(jl)), json.load(open(jr))
                except (ValueError, OSError) as e:
                    t.ok(False, "same JSON: %s" % shown, "%s\n%s\n%s" % (e, lr.out, rout))
                    continue
                if args[0] != "inventory":  # a listing, not a result
                    t.ok(a.get("schema") == 1 and b.get("schema") == 1,
                         "schema 1 both ways: %s" % shown)
                sa, sb = strip(a), strip(b)
                t.ok(sa == sb, "same JSON (modulo timings and job fields): %s" % shown,
                     "here:\n%s\nserver:\n%s" % (json.dumps(sa, indent=1, sort_keys=True)[:4000],
                                                json.dumps(sb, indent=1, sort_keys=True)[:4000]))
    t.run("the table", table)

    def refusals():
        for args, msg in ((["show", "-i", inv, "sw1", "show version"], "add --local"),
                          (["show", "--limit", "sw1", "show version"], "--local"),
                          (["run", pb, "--diff"], "--diff is for running here"),
                          (["run", pb, "--forks", "3"], "--forks is for running here"),
                          (["inventory", "--limit", "sw1"], "--limit is for running here"),
                          (["compare", "sw1", "-c", "show version"], "drop --server"),
                          (["put", "sw1", pb, "x.bin"], "put always runs here"),
                          (["get", "sw1", "x.bin", "got"], "drop --server"),
                          (["shell", "-i", inv, "sw1"], "add --local")):
            p = cli(d, *args)
            t.ok(p.returncode == 2 and msg in p.stderr, "refused with --server: %s"
                 % " ".join(args), p.stderr)
    t.run("refusals", refusals)
    d.stop()

t.done()
