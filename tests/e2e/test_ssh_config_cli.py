#!/usr/bin/python3
"""test_ssh_config_cli.py — an engineer's existing OpenSSH set-up, used as it is by the netauto
CLI: an inventory that only names the hosts and points at an ssh_config (HostName, Port, User,
IdentityFile, UserKnownHostsFile, and a jump host given only by ProxyJump) runs `netauto show`
on a real OpenSSH server behind another one; the inventory's own values win over the file; a
syntax error in the file is invalid input (exit 2, FILE:LINE in the message, nothing sent);
`ssh_config: none` ignores it; `netauto inventory --json` shows which file a host uses.
Prints TAP."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import netauto, start_sshd, stop_sshd  # noqa: E402
from tap import Tap  # noqa: E402

import getpass  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="netauto-sshcfg-cli.")
d1, d2 = os.path.join(tmp, "bastion"), os.path.join(tmp, "target")
os.makedirs(d1)
os.makedirs(d2)
me = getpass.getuser()
p1 = p2 = None


def port_of(inv):
    with open(inv) as f:
        for line in f:
            if line.strip().startswith("port:"):
                return int(line.split(":")[1])
    raise AssertionError("no port in " + inv)


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


try:
    p1, inv1 = start_sshd(d1)
    p2, inv2 = start_sshd(d2)
    port1, port2 = port_of(inv1), port_of(inv2)
    cfg = write("ssh_config",
                "# as in ~/.ssh/config\n"
                "Host target\n"
                "    HostName 127.0.0.1\n"
                "    Port %d\n"
                "    IdentityFile %s/id\n"
                "    ProxyJump bastion\n"
                "    UserKnownHostsFile %s/known_hosts\n"
                "Host bastion\n"
                "    HostName 127.0.0.1\n"
                "    Port %d\n"
                "    IdentityFile %s/id\n"
                "    UserKnownHostsFile %s/known_hosts\n"
                "Host *\n"
                "    User %s\n" % (port2, d2, d2, port1, d1, d1, me))
    inv = write("inv.yaml", "defaults:\n  ssh_config: %s\nhosts:\n  target: {platform: linux}\n"
                "  bastion: {platform: linux}\n" % cfg)

    def through_the_jump_host():
        r = netauto("show", "-i", inv, "target", "echo config-works; hostname")
        t.ok(r.rc == 0 and "config-works" in r.out,
             "show on a host known only by its ssh_config name, through its ProxyJump",
             "rc %s\n%s\n%s" % (r.rc, r.out[-1500:], r.err[-1500:]))
        with open(os.path.join(d1, "sshd.log")) as f:
            log1 = f.read()
        t.ok("Accepted publickey for %s" % me in log1,
             "... the jump host (OpenSSH) authenticated netauto on the way", log1[-800:])
    t.run("through the jump host", through_the_jump_host)

    def inventory_wins():
        # the inventory says the target's port is the bastion's: it wins, and the key there
        # is not the target's, so the login reaches the bastion and is refused
        bad = write("inv_port.yaml", "defaults:\n  ssh_config: %s\nhosts:\n  target: "
                    "{platform: linux, ssh_port: %d, jump_host: 'none@127.0.0.1:1'}\n"
                    % (cfg, port1))
        r = netauto("show", "-i", bad, "target", "echo x")
        t.ok(r.rc == 1 and "127.0.0.1:1" in r.err,
             "the inventory's jump_host wins over ProxyJump", r.err[-800:])
        good = write("inv_user.yaml", "defaults:\n  ssh_config: %s\nhosts:\n  target: "
                     "{platform: linux, username: nobody-by-inventory}\n" % cfg)
        r = netauto("show", "-i", good, "target", "echo x")
        t.ok(r.rc == 1 and "authentication failed for user nobody-by-inventory" in r.err,
             "the inventory's username wins over User", r.err[-800:])
    t.run("inventory values win", inventory_wins)

    def syntax_error_is_invalid_input():
        badcfg = write("bad_config", "Host target\n    Port 22\n    Prot 23\n")
        bad = write("inv_bad.yaml", "hosts:\n  target:\n    ssh_config: %s\n" % badcfg)
        r = netauto("show", "-i", bad, "target", "echo x")
        want = "inv_bad.yaml:3:17: host 'target': ssh_config %s:3: Bad configuration " \
               "option: prot" % badcfg
        t.ok(r.rc == 2 and want in r.err, "a syntax error in ssh_config: exit 2 with FILE:LINE",
             "rc %s: %s" % (r.rc, r.err[-800:]))
        r = netauto("inventory", "-i", bad)
        t.ok(r.rc == 2 and want in r.err, "... also for netauto inventory", r.err[-500:])
    t.run("syntax error", syntax_error_is_invalid_input)

    def none_and_json():
        inv_none = write("inv_none.yaml", "defaults:\n  ssh_config: none\nhosts:\n  target: "
                         "{platform: linux, timeouts: {connect: 2}}\n")
        r = netauto("show", "-i", inv_none, "target", "echo x")
        t.ok(r.rc == 1 and "cannot resolve 'target'" in r.err, "ssh_config: none: the name is "
             "just a name (it does not resolve)", r.err[-500:])
        r = netauto("inventory", "-i", inv, "--json")
        hosts = {h["name"]: h for h in json.loads(r.out)["hosts"]} if r.rc == 0 else {}
        t.ok(hosts.get("target", {}).get("ssh_config") == cfg and
             hosts["target"].get("use_agent") is None,
             "inventory --json: the ssh_config in use; use_agent unset (OpenSSH's rule)",
             r.out[-800:])
    t.run("none and json", none_and_json)
finally:
    stop_sshd(p1)
    stop_sshd(p2)
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
