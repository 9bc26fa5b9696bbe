#!/usr/bin/python3
"""test_cli_compare.py — `netauto compare` end to end against the simulator: the text report
(side-by-side table with every phase, bytes, SSH algorithms and fingerprint, Telnet options,
identical outputs, the clear-text password warning), --json with every field present and sane
(numbers where numbers belong, wire bytes >= data bytes, the fingerprint matching the known_hosts
key), a unified diff when outputs differ, and exit 1 when one transport fails. Prints TAP."""
import base64
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import netauto  # noqa: E402
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


def known_fp(sim, port):
    """SHA256 fingerprint of the key the simulator wrote to known_hosts for this port."""
    with open(sim.known_hosts) as f:
        for line in f:
            host, _typ, b64 = line.split()[:3]
            if host == "[127.0.0.1]:%d" % port:
                d = hashlib.sha256(base64.b64decode(b64)).digest()
                return "SHA256:" + base64.b64encode(d).decode().rstrip("=")
    raise AssertionError("no known_hosts line for port %d" % port)


with Sim(["--devices", "2", "--fault", "sw2:hostkey-change"]) as sim:
    inv = sim.inventory
    dev = sim.devices["sw1"]
    CMDS = ["-c", "show vlan brief", "-c", "show running-config", "-c", "show version"]

    def text_report():
        r = must(netauto("compare", "-i", inv, "sw1", *CMDS))
        out = r.out
        check(re.search(r"^\s+telnet\s+ssh\s*$", out, re.M), out)
        check(re.search(r"^port\s+%d\s+%d\s*$" % (dev.telnet_port, dev.ssh_port), out, re.M),
              out)
        check(re.search(r"^result\s+ok\s+ok\s*$", out, re.M), out)
        check(re.search(r"^authentication method\s+telnet-login\s+password\s*$", out, re.M), out)
        check(re.search(r"^password sent in clear text\s+YES\s+no\s*$", out, re.M), out)
        for row in ("TCP connect", "negotiation / key exchange", "authentication",
                    "first prompt (from start)", "'show vlan brief'", "'show running-config'"):
            check(re.search(r"^%s\s+[\d.]+ ms\s+[\d.]+ ms\s*$" % re.escape(row), out, re.M),
                  "row %r: %s" % (row, out))
        check(re.search(r"^PTY \+ shell\s+-\s+[\d.]+ ms\s*$", out, re.M), out)
        check(re.search(r"^bytes on the wire in / out\s+\d+ / \d+\s+\d+ / \d+\s*$", out, re.M),
              out)
        check("key exchange  curve25519-sha256" in out, out)
        check("host key      ssh-ed25519 " + known_fp(sim, dev.ssh_port) in out, out)
        # netauto's first choice since libssh2 1.11 (the simulator, libssh, has it too)
        check(re.search(r"ciphers\s+chacha20-poly1305@openssh.com \(client to server\)", out),
              out)
        check(re.search(r"options agreed: .*ECHO.*NAWS", out), out)
        check("outputs: identical after normalisation (3 commands)" in out, out)
        check("WARNING: Telnet sent the password in clear text" in out, out)
        check("lab-pass-1" not in out and "lab-enable-1" not in out)
    t.run("text: side-by-side report", text_report)

    def json_report():
        r = must(netauto("compare", "-i", inv, "sw1", *CMDS, "--json"))
        j = json.loads(r.out)
        check(j["host"] == "sw1" and j["platform"] == "cisco_ios" and j["ok"] is True, j)
        check(j["identical"] is True and j["diff"] is None, j)
        check([c["identical"] for c in j["commands"]] == [True] * 3, j["commands"])
        tn, ss = j["transports"]["telnet"], j["transports"]["ssh"]
        check(tn["port"] == dev.telnet_port and ss["port"] == dev.ssh_port)
        check(tn["cleartext_password"] is True and ss["cleartext_password"] is False)
        check(tn["auth_method"] == "telnet-login" and ss["auth_method"] == "password")
        for side in (tn, ss):
            check(side["ok"] is True and side["error"] is None, side)
            tm = side["timings_ms"]
            for k in ("resolve", "connect", "negotiate", "auth", "first_prompt", "open"):
                check(isinstance(tm[k], (int, float)) and tm[k] >= 0, (k, tm))
            check(tm["first_prompt"] <= tm["open"], tm)
            check(side["wire_bytes"]["in"] >= side["data_bytes"]["in"] > 0, side)
            check(side["wire_bytes"]["out"] >= side["data_bytes"]["out"] > 0, side)
            check(len(side["commands"]) == 3, side["commands"])
            for c in side["commands"]:
                check(c["ok"] and c["elapsed_ms"] >= 0 and c["output"], c)
        check("shell" in ss["timings_ms"] and "shell" not in tn["timings_ms"])
        # encryption and MACs cost bytes: SSH moves more on the wire than it carries
        check(ss["wire_bytes"]["in"] > ss["data_bytes"]["in"], ss)
        s = ss["ssh"]
        check(s["server_banner"] == "SSH-2.0-Cisco-1.25", s)
        check(s["kex"] == "curve25519-sha256" and s["host_key_type"] == "ssh-ed25519", s)
        check(s["host_key_fingerprint"] == known_fp(sim, dev.ssh_port), s)
        for k in ("cipher_client_to_server", "cipher_server_to_client", "mac_client_to_server",
                  "mac_server_to_client"):
            check(s[k], (k, s))
        check("ECHO" in tn["telnet_options"], tn)
        check(tn["commands"][0]["output"] == ss["commands"][0]["output"])
        check(len(j["warnings"]) == 1 and "clear text" in j["warnings"][0], j["warnings"])
    t.run("--json: every field present and sane", json_report)

    def differing():
        # the SSH run starts after the Telnet run has ended: the clocks read differently
        r = must(netauto("compare", "-i", inv, "sw1", "-c", "show vlan brief", "-c",
                         "show clock"))
        check("outputs: DIFFER after normalisation for 1 of 2 commands:" in r.out, r.out)
        check("--- telnet: show clock\n+++ ssh: show clock\n@@ -1 +1 @@\n-*" in r.out, r.out)
        r = must(netauto("compare", "-i", inv, "sw1", "-c", "show clock", "--json"))
        j = json.loads(r.out)
        check(j["identical"] is False and j["commands"][0]["identical"] is False, j)
        check(j["diff"].startswith("--- telnet: show clock\n+++ ssh: show clock\n"), j["diff"])
    t.run("different outputs: a unified diff (exit 0)", differing)

    def one_side_fails():
        r = must(netauto("compare", "-i", inv, "sw2", "-c", "show clock"), 1)
        check(re.search(r"^result\s+ok\s+hostkey-changed\s*$", r.out, re.M), r.out)
        check("outputs: not compared (ssh failed)" in r.out, r.out)
        check("has CHANGED" in r.err, r.err)
        r = must(netauto("compare", "-i", inv, "sw2", "-c", "show clock", "--json"), 1)
        j = json.loads(r.out)
        check(j["ok"] is False and j["identical"] is None, j)
        check(j["transports"]["ssh"]["error"]["code"] == "hostkey-changed", j)
        check(j["transports"]["telnet"]["ok"] is True, j)
    t.run("one transport fails: reported, exit 1", one_side_fails)

    def usage():
        for args, msg in [(["compare", "-i", inv, "sw1"], "-c 'COMMAND'"),
                          (["compare", "-i", inv, "-c", "show clock"], "HOST is required"),
                          (["compare", "-i", inv, "sw*", "-c", "x"], "not in the inventory")]:
            r = must(netauto(*args), 2)
            check(msg in r.err, (args, r.err))
    t.run("invalid input: exit 2", usage)
t.done()
