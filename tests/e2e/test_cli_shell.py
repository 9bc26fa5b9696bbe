#!/usr/bin/python3
"""test_cli_shell.py — `netauto shell` driven through a pseudo-terminal (python3-pexpect): the
driver logs in and enables, then keystrokes and output flow both ways over SSH and over Telnet;
the session ends when the device closes it or on `~.`; the local terminal settings are the same
afterwards (also when netauto is killed with SIGTERM in raw mode); the local window size reaches
the device (checked with `stty size` on a real OpenSSH server and the linux platform).
Prints TAP."""
import os
import shutil
import shlex
import signal
import subprocess
import sys
import tempfile
import time

import pexpect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import NETAUTO, WRAP, start_sshd, stop_sshd  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
TIMEOUT = 60 if WRAP else 20


def check(cond, msg=""):
    if not cond:
        raise AssertionError(msg)


def spawn(args, **kw):
    cmd = WRAP + [NETAUTO] + args
    env = dict(os.environ)
    env.pop("NETAUTO_SERVER", None)
    return pexpect.spawn(cmd[0], cmd[1:], timeout=TIMEOUT, encoding="utf-8",
                         codec_errors="replace", env=env, **kw)


def finish(c):
    c.expect(pexpect.EOF)
    c.close()
    return c.exitstatus, c.signalstatus


tmp = tempfile.mkdtemp(prefix="netauto-cli-shell.")
sshd = None
try:
    with Sim(["--devices", "1"]) as sim:
        inv = sim.inventory

        def over(transport, leave):
            c = spawn(["shell", "-i", inv, "sw1", "--transport", transport])
            c.expect_exact("Connected to sw1 in privileged mode")
            c.expect_exact("sw1#")
            c.send("show vlan brief\r")
            c.expect_exact("1002 fddi-default")
            c.expect_exact("sw1#")
            c.send("conf t\r")
            c.expect_exact("sw1(config)#")
            c.send("vlan 66\r")
            c.expect_exact("sw1(config-vlan)#")
            c.send("end\r")
            c.expect_exact("sw1#")
            if leave == "exit":
                c.send("exit\r")
                c.expect_exact("Connection to sw1 closed.")
            else:
                c.send("~.")
                c.expect_exact("Disconnected from sw1.")
            status, sig = finish(c)
            check(status == 0 and sig is None, (status, sig, c.before))
            st = sim.stats()
            check(66 in st["devices"]["sw1"]["vlans"], st["devices"]["sw1"]["vlans"])
        t.run("ssh: log in, run commands, exit (the device closes)", over, "ssh", "exit")
        t.run("telnet: log in, run commands, ~. disconnects", over, "telnet", "escape")

        def tilde_passes():
            c = spawn(["shell", "-i", inv, "sw1"])
            c.expect_exact("sw1#")
            c.send("~~x\r")  # "~~" at line start sends one "~"
            c.expect_exact("~x")
            c.expect_exact("sw1#")
            c.send("show clock ~.\r")  # not at line start: sent as typed
            c.expect_exact("sw1#")
            check(c.isalive())
            c.send("~.")
            status, _ = finish(c)
            check(status == 0)
        t.run("~ elsewhere is sent as typed", tilde_passes)

        def restored(how):
            before, after, pidf = (os.path.join(tmp, n) for n in ("before", "after", "pid"))
            inner = " ".join(["exec"] + [shlex.quote(a) for a in
                                         WRAP + [NETAUTO, "shell", "-i", inv, "sw1"]])
            script = ("stty -a > %s; sh -c 'echo $$ > %s; %s'; echo netauto-exit=$?; "
                      "stty -a > %s; echo done" % (before, pidf, inner.replace("'", "'\\''"),
                                                   after))
            c = pexpect.spawn("/bin/sh", ["-c", script], timeout=TIMEOUT, encoding="utf-8")
            c.expect_exact("sw1#")
            if how == "escape":
                c.send("~.")
                c.expect("netauto-exit=0")
            else:
                with open(pidf) as f:
                    os.kill(int(f.read()), signal.SIGTERM)
                c.expect("netauto-exit=143")  # died by SIGTERM, after restoring the terminal
            c.expect_exact("done")
            finish(c)
            b, a = open(before).read(), open(after).read()
            check(b == a, "terminal settings changed:\n%s\n---\n%s" % (b, a))
            check(" icanon " in a and " echo " in a, a)
        t.run("terminal restored after ~.", restored, "escape")
        t.run("terminal restored after SIGTERM in raw mode", restored, "signal")

        def piped_input():
            # standard input is a pipe: keystrokes go as they come; after the end of input the
            # session ends once the device has been quiet for a while
            p = subprocess.run(WRAP + [NETAUTO, "shell", "-i", inv, "sw1"], input="show clock\r",
                               capture_output=True, text=True, timeout=TIMEOUT,
                               start_new_session=True)
            check(p.returncode == 0, (p.returncode, p.stderr))
            check("sw1#show clock" in p.stdout and "UTC" in p.stdout, p.stdout)
        t.run("piped input: sent, then the session ends", piped_input)

        def bad_host():
            c = spawn(["shell", "-i", inv, "nosuch"])
            c.expect_exact("host 'nosuch' is not in the inventory")
            status, _ = finish(c)
            check(status == 2, status)
        t.run("unknown host: exit 2", bad_host)

        def login_fails():
            with open(inv) as f:
                text = f.read().replace("lab-pass-1", "wrong-pass")
            bad = os.path.join(tmp, "bad.yaml")
            with open(bad, "w") as f:
                f.write(text)
            c = spawn(["shell", "-i", bad, "sw1"])
            c.expect("sw1: authentication failed")
            status, _ = finish(c)
            check(status == 1, status)
        t.run("refused login: message, exit 1", login_fails)

    def window_size():
        global sshd
        d = os.path.join(tmp, "sshd")
        os.mkdir(d)
        sshd, inv = start_sshd(d)
        c = spawn(["shell", "-i", inv, "lnx1"], dimensions=(37, 101))
        c.expect_exact("Connected to lnx1")
        c.send("stty size\r")
        c.expect_exact("37 101")
        c.send("exit\r")
        c.expect_exact("Connection to lnx1 closed.")
        status, _ = finish(c)
        check(status == 0, status)
    t.run("the local window size reaches the device (linux, OpenSSH)", window_size)
finally:
    stop_sshd(sshd)
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
