#!/usr/bin/python3
"""test_cli_show.py — `netauto show` end to end against the simulator: one host and one or
several commands (plain output, per-command headers), several hosts from --limit run at the same
time (=== host === headers, inventory order, logins overlapping in the simulator's log), both
transports, --json, a device error (exit 1, output kept, the device's message on stderr), a host
that cannot be reached next to hosts that can, exit 2 with nothing sent for bad input, output
limits and per-command timeouts ending within their deadline, transcripts holding no password
or secret, and a linux host over OpenSSH whose output is not UTF-8. Prints TAP."""
import json
import os
import re
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import netauto, start_sshd, stop_sshd  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()


def check(cond, msg=""):
    if not cond:
        raise AssertionError(msg)


def must(r, rc=0):
    check(r.rc == rc, "exit %s, wanted %s\nstdout: %s\nstderr: %s" % (r.rc, rc, r.out[-3000:],
                                                                     r.err[-3000:]))
    return r


ARGS = ["--devices", "3", "--devices", "2:ios:slowlogin",
        "--fault", "slowlogin*:banner-delay=1500",
        "--devices", "1:ios:stall", "--fault", "stall1:stall-after=4",
        "--devices", "1:ios:huge", "--fault", "huge1:huge-output=3000000"]

tmp = tempfile.mkdtemp(prefix="netauto-cli-show.")
sshd = None
try:
    with Sim(ARGS) as sim:
        inv = sim.inventory
        # an inventory with one extra host that nothing listens on
        with open(inv) as f:
            text = f.read()
        dead_inv = os.path.join(tmp, "dead.yaml")
        with open(dead_inv, "w") as f:
            f.write(text + "  dead1:\n    host: 127.0.0.1\n    ssh_port: 1\n"
                    "    telnet_port: 1\n    groups: [sim, ios]\n")

        def one_command():
            r = must(netauto("show", "-i", inv, "sw1", "show vlan brief"))
            check("1002 fddi-default" in r.out, r.out)
            check("===" not in r.out and "---" not in r.out.splitlines()[0], r.out)
            check(r.err == "", r.err)
        t.run("one host, one command: the output alone", one_command)

        def several_commands():
            r = must(netauto("show", "-i", inv, "sw1", "show clock", "show privilege"))
            lines = r.out.splitlines()
            check(lines[0] == "--- show clock ---", r.out)
            check("--- show privilege ---" in lines, r.out)
            check("Current privilege level is 15" in r.out, r.out)
        t.run("one host, several commands: a header per command", several_commands)

        def telnet():
            r = must(netauto("show", "-i", inv, "sw2", "show vlan brief", "--transport", "telnet"))
            check("1002 fddi-default" in r.out, r.out)
            st = sim.stats()
            check(sim.counter("sw2", "logins.telnet", st) == 1, st["devices"]["sw2"])
            check(sim.counter("sw2", "logins.ssh", st) == 0, st["devices"]["sw2"])
        t.run("--transport telnet uses Telnet", telnet)

        def limit_concurrent():
            r = must(netauto("show", "-i", inv, "--limit", "slowlogin*:sw3", "show clock"))
            heads = re.findall(r"^=== (\S+) ===$", r.out, re.M)
            check(heads == ["sw3", "slowlogin1", "slowlogin2"], heads)
            # both slow devices answer only after 1.5 s: their logins overlap only if the
            # sessions were opened at the same time (sequentially they would be >= 1.5 s apart)
            times = {}
            for line in sim.log_lines():
                f = line.split()
                if len(f) >= 5 and f[4] == "login" and f[1].startswith("slowlogin"):
                    times[f[1]] = f[0]
            check(len(times) == 2, times)
            secs = []
            for v in times.values():
                m = re.search(r"(\d+):(\d+):(\d+(?:\.\d+)?)", v)
                check(m, "unexpected log time %r" % v)
                secs.append(int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)))
            check(abs(secs[0] - secs[1]) < 1.0, "logins %s apart" % abs(secs[0] - secs[1]))
        t.run("--limit: several hosts at once, headers in inventory order", limit_concurrent)

        def host_is_pattern():
            r = must(netauto("show", "-i", inv, "sw[12]", "show clock"))
            check(re.findall(r"^=== (\S+) ===$", r.out, re.M) == ["sw1", "sw2"], r.out)
            r = must(netauto("show", "-i", inv, "sim", "show clock", "--limit", "sw2"))
            check("=== " not in r.out and "UTC" in r.out, r.out)
        t.run("HOST may be a pattern; --limit narrows it", host_is_pattern)

        def json_output():
            r = must(netauto("show", "-i", inv, "--limit", "sw1:sw2", "show clock", "show foo",
                             "--json"), 1)
            j = json.loads(r.out)
            check(j["ok"] is False, j)
            check([h["host"] for h in j["hosts"]] == ["sw1", "sw2"], j)
            for h in j["hosts"]:
                check(h["transport"] == "ssh" and h["platform"] == "cisco_ios", h)
                check(h["ok"] is False and h["error"]["code"] == "device-error", h)
                c0, c1 = h["commands"]
                check(c0["command"] == "show clock" and c0["ok"] and "UTC" in c0["output"], c0)
                check(c0["error"] is None and c0["device_error"] is None, c0)
                check(isinstance(c0["elapsed_ms"], (int, float)) and c0["elapsed_ms"] >= 0, c0)
                check(c1["ok"] is False and c1["error"]["code"] == "device-error", c1)
                check(c1["device_error"].startswith("% Invalid input"), c1)
                check("^" in c1["output"], c1)
        t.run("--json: hosts, commands, outputs and errors", json_output)

        def device_error():
            r = must(netauto("show", "-i", inv, "sw1", "show foo", "show clock"), 1)
            check("% Invalid input detected at '^' marker." in r.out, r.out)
            check("UTC" in r.out, "the next command still ran: " + r.out)
            check(r.err.strip() == "sw1: 'show foo' failed: % Invalid input detected at '^' "
                  "marker.", r.err)
        t.run("a device error: exit 1, output kept, the device's message", device_error)

        def unreachable_next_to_good():
            r = must(netauto("show", "-i", dead_inv, "--limit", "sw1:dead1", "show clock"), 1)
            check("=== sw1 ===" in r.out and "UTC" in r.out, r.out)
            check(re.search(r"^dead1: .*refused", r.err, re.M), r.err)
        t.run("an unreachable host fails alone (exit 1)", unreachable_next_to_good)

        def invalid_input():
            before = sim.stats()["connections_open"]
            conns = sum(d["connections"] for d in sim.stats()["devices"].values())
            for args, msg in [
                (["show", "-i", inv, "nosuch", "show clock"], "host 'nosuch' is not in the"),
                (["show", "-i", inv, "sw1"], "at least one command"),
                (["show", "sw1", "show clock"], "-i INVENTORY is required"),
                (["show", "-i", inv, "sw1", "show clock", "--transport", "ftp"],
                 "--transport: expected ssh or telnet"),
                (["show", "-i", inv, "--limit", "zz*", "show clock"], "matches no host"),
                (["show", "-i", os.path.join(tmp, "missing.yaml"), "sw1", "x"], "missing.yaml"),
                (["show", "-i", inv, "sw1", "show clock", "--forks", "0"], "--forks"),
            ]:
                r = must(netauto(*args), 2)
                check(msg in r.err, "%s: %s" % (args, r.err))
            after = sum(d["connections"] for d in sim.stats()["devices"].values())
            check(after == conns, "connections were made: %d -> %d" % (conns, after))
            check(before >= 0)
        t.run("invalid input: exit 2 and nothing sent", invalid_input)

        def colour():
            base = ["show", "-i", inv, "--limit", "sw1:sw2", "show vlan brief"]
            plain = must(netauto(*base))
            check("\033[" not in plain.out + plain.err, "no colour into a pipe by default")
            r = must(netauto(*base, "--color", "always"))
            check("\033[1m=== sw1 ===\033[0m" in r.out, r.out[:300])
            # the device's output is the same bytes with or without colour
            check(r.out.replace("\033[1m", "").replace("\033[0m", "") == plain.out,
                  "only the headers gained colour")
            r = must(netauto("show", "-i", inv, "sw1", "show foo", "--color", "always"), 1)
            check("\033[31m" in r.err and "\033[" not in r.out, (r.out, r.err))
            r = must(netauto(*base, "--color", "auto", env={"NO_COLOR": "1"}))
            check("\033[" not in r.out, "NO_COLOR")
        t.run("--color always colours netauto's own lines, never the device's; NO_COLOR", colour)

        def timeout_within_deadline():
            r = must(netauto("show", "-i", inv, "stall1", "show clock", "show vlan brief",
                             "--timeout", "1.5", timeout=60), 1)
            check("UTC" in r.out, r.out)
            check("no prompt after 'show vlan brief' within 1.5 s" in r.err, r.err)
            check(r.secs < 1.5 + 10, "took %.1f s" % r.secs)
        t.run("--timeout: a stalled device fails within the deadline", timeout_within_deadline)

        def output_limit():
            r = must(netauto("show", "-i", inv, "huge1", "show tech-support", "--max-output",
                             "1M"), 1)
            check("exceeded the limit of 1048576 bytes" in r.err, r.err)
            r = must(netauto("show", "-i", inv, "huge1", "show tech-support", "--json"))
            out = json.loads(r.out)["hosts"][0]["commands"][0]["output"]
            check(len(out) > 2900000, len(out))
        t.run("--max-output: overflow past it, success within the default", output_limit)

        def transcripts():
            pat = os.path.join(tmp, "tr-{host}.txt")
            must(netauto("show", "-i", inv, "--limit", "sw1:sw2", "show running-config",
                         "--transcript", pat))
            must(netauto("show", "-i", inv, "sw3", "show clock", "-t", "telnet",
                         "--transcript", pat))
            for name in ("sw1", "sw2", "sw3"):
                with open(pat.replace("{host}", name)) as f:
                    body = f.read()
                check(body.startswith("netauto-transcript 1"), body[:100])
                check("> secret" in body, "the enable secret is recorded as a marker")
                for secret in ("lab-pass-1", "lab-enable-1"):
                    check(secret not in body, "%s found in the %s transcript" % (secret, name))
            check("show running-config" in open(pat.replace("{host}", "sw1")).read())
        t.run("transcripts: one per host, no password or secret", transcripts)
    def linux_and_bytes():
        # a Linux host over OpenSSH; output that is not UTF-8 still makes valid JSON
        global sshd
        d = os.path.join(tmp, "sshd")
        os.mkdir(d)
        sshd, linv = start_sshd(d)
        r = must(netauto("show", "-i", linv, "lnx1", "echo one two", "printf 'caf\\351 ok\\n'",
                         "--json"))
        j = json.loads(r.out)
        outs = [c["output"] for c in j["hosts"][0]["commands"]]
        check(outs == ["one two", "caf\ufffd ok"], outs)
        r = must(netauto("show", "-i", linv, "lnx1", "ls /nonexistent-netauto"), 1)
        check("No such file or directory" in r.err, r.err)
    t.run("a linux host; bytes that are not UTF-8 in --json", linux_and_bytes)
finally:
    stop_sshd(sshd)
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
