#!/usr/bin/python3
"""test_daemon_shell.py — the terminal through netautod without a browser: `netauto --server URL
shell HOST` (cli/remote_shell.c) against a production netautod and the simulator, over SSH and
Telnet: lines from a pipe reach the device and its answers come back (show vlan brief, the
privileged prompt: netautod logged in and ran enable with the vault's secrets); the device's
lock is held while the shell is open and released after; the shell is audited; its transcript
is kept 0600 without the device's password or enable secret; a `read` token is refused (403,
exit 1) and so is a host not in the inventory (404). The browser's side is test_ui_web.py."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import (DEV_PASSWORD, ENABLE_SECRET, VLANS, lab_daemon, sim_args,  # noqa: E402
                         wait_for)
from netautod_harness import NETAUTO, SLOW, WRAP  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()


def shell(d, host, stdin, *extra, token=None):
    argv = WRAP + [NETAUTO, "--server", f"https://127.0.0.1:{d.port}", "--fingerprint",
                   d.fingerprint, "shell", host] + list(extra)
    env = dict(os.environ, NETAUTO_TOKEN=token or d.token)
    for k in ("NETAUTO_SERVER", "NETAUTO_TOKEN_FILE", "NETAUTO_FINGERPRINT", "NETAUTO_CACERT"):
        env.pop(k, None)
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


with Sim(sim_args(2)) as sim:
    d = lab_daemon(sim, playbooks={"vlans.yaml": VLANS})
    d.start()
    reader = d.token_add("viewer", "read")

    # ---- over SSH, with the lock checked while it is open -------------------------------------
    p = shell(d, "sw1", None)
    held = wait_for(lambda: d.json("GET", "/v1/hosts/sw1")[1]["lock"]["holder"], 30)
    t.ok(held == "shell by ci", "while the shell is open, netautod holds sw1's lock for it", held)
    out, err = p.communicate("show vlan brief\nshow clock\n", timeout=60 * SLOW)
    t.ok(p.returncode == 0 and "fddi-default" in out and "sw1#" in out and "UTC" in out,
         "netauto --server ... shell sw1: lines typed reach the device, its answers come back "
         "(privileged prompt: netautod logged in and ran enable)", (p.returncode, out[-500:], err))
    t.ok("Connected to sw1 over ssh through netautod" in err, "it says where it is connected", err)
    t.ok(wait_for(lambda: d.json("GET", "/v1/hosts/sw1")[1]["lock"]["holder"] is None, 10),
         "the lock is released when the shell ends")

    # ---- over Telnet --------------------------------------------------------------------------
    p = shell(d, "sw2", None, "--transport", "telnet")
    out, err = p.communicate("show vlan brief\n", timeout=60 * SLOW)
    t.ok(p.returncode == 0 and "fddi-default" in out and "over telnet" in err,
         "--transport telnet", (p.returncode, out[-300:], err))

    # ---- audit and transcripts ----------------------------------------------------------------
    st, au = d.json("GET", "/v1/audit?limit=100")
    acts = [(x["action"], x["target"], x["who"]) for x in au["audit"]]
    t.ok(("shell.open", "sw1", "ci") in acts and ("shell.close", "sw1", "ci") in acts and
         ("shell.open", "sw2", "ci") in acts, "each shell is audited (open, close)", acts)
    tdir = d.path("state/transcripts")
    files = sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []
    texts = {f: open(os.path.join(tdir, f), errors="replace").read() for f in files}
    modes = {f: os.stat(os.path.join(tdir, f)).st_mode & 0o777 for f in files}
    t.ok(len(files) == 2 and all(m == 0o600 for m in modes.values()) and
         any(f.startswith("sw1-") and "fddi-default" in x for f, x in texts.items()),
         "a transcript per shell, 0600, with the device's output", (files, modes))
    t.ok(not any(DEV_PASSWORD in x or ENABLE_SECRET in x for x in texts.values()),
         "no device password or enable secret in the transcripts")

    # ---- refused ------------------------------------------------------------------------------
    p = shell(d, "sw1", None, token=reader)
    out, err = p.communicate("", timeout=60 * SLOW)
    t.ok(p.returncode == 1 and "403" in err and "commands" in err,
         "a read token: 403 (it needs the commands scope), exit 1", (p.returncode, err))
    p = shell(d, "nosuch", None)
    out, err = p.communicate("", timeout=60 * SLOW)
    t.ok(p.returncode == 1 and "404" in err, "a host not in the inventory: 404, exit 1",
         (p.returncode, err))
    t.ok(d.stop() == 0, "netautod exits 0")
t.done()
