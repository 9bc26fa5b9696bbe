#!/usr/bin/python3
"""test_cli_words.py — ambiguous and mistyped command lines (issue 17): a table of what users
type by mistake — a file name after a flag (`--json out.json`), a mistyped host next to
--limit (`sw9`), a host or group name among the commands, a file that exists, a value that is
itself an option, global options in the wrong place, local options with a server. Each must
exit 2, say how the line was read, and send nothing: the simulator counts every connection and
every command line it received, and both must stay unchanged. Positive controls show the same
words do reach the device when the user says so (-c, --), so the counters can move. Prints
TAP."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import netauto  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()


def conns(sim):
    return sum(d["connections"] for d in sim.stats()["devices"].values())


tmp = tempfile.mkdtemp(prefix="netauto-cli-words.")
with open(os.path.join(tmp, "notes"), "w") as f:  # a file named like a command word
    f.write("x\n")
pb = os.path.join(tmp, "pb.yaml")
with open(pb, "w") as f:
    f.write("- hosts: sw1\n  tasks:\n    - {name: clock, command: show clock}\n")

with Sim(["--devices", "3"]) as sim:
    inv = sim.inventory
    # (what the user typed, what the message must say)
    TABLE = [
        (["show", "-i", inv, "sw1", "show clock", "--json", "out.json"],
         "'out.json' comes right after --json, which takes no value"),
        (["show", "-i", inv, "--limit", "sim", "sw9", "show clock"],
         "did you mean 'sw1'?"),
        (["show", "-i", inv, "sw9", "show clock"], "host 'sw9' is not in the inventory"),
        (["show", "-i", inv, "sw1", "sw2", "show clock"], "'sw2' is a host of"),
        (["show", "-i", inv, "sw1", "show clock", "ios"], "'ios' is a group of"),
        (["show", "-i", inv, "sw1", "show clock", "sw4"], "looks like a host name"),
        (["show", "-i", inv, "sw1", "./x.txt"], "looks like a file name"),
        (["show", "-i", inv, "sw1", "backup.cfg"], "looks like a file name"),
        (["show", "-i", inv, "sw1", os.path.join(tmp, "notes")], "is a file here"),
        (["show", "-i", inv, "sw1", tmp], "is a directory here"),
        (["show", "-i", inv, "sw1", "-c", "show clock", "show version"],
         "with -c every command comes from -c"),
        (["show", "-i", inv, "sw1", ""], "is empty or has a newline"),
        (["show", "-i", inv, "sw1", "show clock\nreload"], "is empty or has a newline"),
        (["show", "-i", inv, "sw1", "-c", "show clock\nreload"], "a command is one non-empty line"),
        (["show", "-i", inv, "sw1", "show clock", "--transport"], "needs a value"),
        (["show", "-i", inv, "--transcript", "--json", "sw1", "show clock"], "--transcript"),
        (["show", "-i", inv, "sw1", "show clock", "--jsno"], "unknown option '--jsno'"),
        (["show", "-i", inv, "sw1", "show clock", "--json=yes"], "takes no value"),
        (["show", "-i", inv, "sw1"], "at least one command"),
        (["show", "-i", inv, "--limit", "sim"], "at least one command"),
        (["--json", "show", "-i", inv, "sw1", "show clock"], "is not a global option"),
        (["shwo", "-i", inv, "sw1", "show clock"], "unknown verb 'shwo'"),
        (["compare", "-i", inv, "sw1", "show clock"], "commands go with -c"),
        (["compare", "-i", inv, "sw1", "sw2", "-c", "show clock"], "give one HOST"),
        (["compare", "-i", inv, "sw9", "-c", "show clock"], "did you mean 'sw1'?"),
        (["run", pb, pb, "-i", inv], "give one PLAYBOOK"),
        (["inventory", "-i", inv, "sw1"], "unexpected argument 'sw1'"),
        (["shell", "-i", inv, "sw1", "show clock"], "shell"),
        # a server named on the command line: local-only verbs and options are refused, and
        # nothing is contacted (the URL does not even resolve)
        (["--server", "https://netautod.invalid:8443", "show", "-i", inv, "sw1", "show clock"],
         "add --local"),
        (["--server", "https://netautod.invalid:8443", "compare", "-i", inv, "sw1", "-c", "x"],
         "drop --server"),
        (["--server", "https://netautod.invalid:8443", "run", pb, "--diff"],
         "--diff is for running here"),
        (["show", "--local", "sw1", "show clock"], "-i INVENTORY is required"),
    ]

    def table():
        before = conns(sim)
        for args, msg in TABLE:
            r = netauto(*args)
            shown = " ".join(repr(a) if (" " in a or not a) else a for a in args)
            t.ok(r.rc == 2 and msg in r.err and "nothing was sent" in r.err
                 if args[0] not in ("--json", "shwo") else r.rc == 2 and msg in r.err,
                 "exit 2: netauto %s" % shown,
                 "rc %s\nstderr: %s" % (r.rc, r.err))
        t.eq(conns(sim) - before, 0, "none of the %d command lines connected to a device"
             % len(TABLE))
    t.run("the table", table)

    def env_server():
        before = conns(sim)
        r = netauto("show", "-i", inv, "sw1", "show clock",
                    env={"NETAUTO_SERVER": "https://netautod.invalid:8443"})
        t.ok(r.rc == 2 and "NETAUTO_SERVER is set" in r.err and "--local" in r.err,
             "NETAUTO_SERVER set: show -i is refused, the message names the mode and the way "
             "out", r.err)
        r = netauto("show", "-i", inv, "sw1", "show clock", "--local",
                    env={"NETAUTO_SERVER": "https://netautod.invalid:8443"})
        t.ok(r.rc == 0 and "UTC" in r.out, "... and --local runs here", r.err)
        t.eq(conns(sim) - before, 1, "only the --local run connected")
    t.run("NETAUTO_SERVER", env_server)

    def defaults():
        before = conns(sim)
        r = netauto("show", "sw1", "show clock", env={"NETAUTO_INVENTORY": inv})
        t.ok(r.rc == 0 and "UTC" in r.out, "NETAUTO_INVENTORY: show without -i", r.err)
        cfg = os.path.join(tmp, "config.yaml")
        with open(cfg, "w") as f:
            f.write("inventory: %s\nforks: 2\ncolor: never\n" % inv)
        r = netauto("show", "--limit", "sim", "show clock", env={"NETAUTO_CONFIG": cfg})
        t.ok(r.rc == 0 and r.out.count("UTC") == 3, "the configuration's inventory: (3 hosts)",
             r.err)
        xdg = os.path.join(tmp, "xdg")
        os.makedirs(os.path.join(xdg, "netauto"))
        with open(os.path.join(xdg, "netauto", "config.yaml"), "w") as f:
            f.write("inventory: %s\n" % inv)
        r = netauto("show", "sw2", "show clock", env={"XDG_CONFIG_HOME": xdg})
        t.ok(r.rc == 0 and "UTC" in r.out, "$XDG_CONFIG_HOME/netauto/config.yaml", r.err)
        r = netauto("show", "-i", os.path.join(tmp, "nope.yaml"), "sw1", "show clock",
                    env={"NETAUTO_INVENTORY": inv})
        t.ok(r.rc == 2 and "nope.yaml" in r.err, "-i wins over NETAUTO_INVENTORY", r.err)
        with open(cfg, "w") as f:
            f.write("inventory: %s\nforkz: 2\n" % inv)
        r = netauto("show", "sw1", "show clock", env={"NETAUTO_CONFIG": cfg})
        t.ok(r.rc == 2 and cfg + ":2:1" in r.err and "forkz" in r.err,
             "an unknown key in the configuration: FILE:LINE:COLUMN, exit 2", r.err)
        t.eq(conns(sim) - before, 5, "the three good runs connected (1 + 3 + 1), the bad ones "
             "did not")
    t.run("defaults: NETAUTO_INVENTORY and the configuration file", defaults)

    def controls():
        before = conns(sim)
        r = netauto("show", "-i", inv, "--limit", "sw1", "show clock")
        t.ok(r.rc == 0 and "UTC" in r.out, "control: --limit HOSTPATTERN 'show clock' runs",
             r.err)
        r = netauto("show", "-i", inv, "sw1", "--", "sw2")
        t.ok(r.rc == 1 and "sw2" in r.out + r.err,
             "control: after --, 'sw2' is sent as typed (the device rejects it: exit 1)",
             r.out + r.err)
        r = netauto("show", "-i", inv, "sw1", "-c", "out.json")
        t.ok(r.rc == 1, "control: -c 'out.json' is sent as typed", r.out + r.err)
        t.eq(conns(sim) - before, 3, "the three controls connected")
    t.run("controls", controls)

t.done()
