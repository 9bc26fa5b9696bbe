"""test_sim_clients.py — netauto-sim driven by hand through a pty (pexpect) with the real
interactive clients: OpenSSH ssh (strict host key checking against the simulator's
known_hosts; password, keyboard-interactive and public-key login; exec requests) and netkit
telnet (option negotiation, NAWS window size drives the pager, echo exactly once). Log in,
enable, conf t, vlan, show vlan brief, page with space and q, exit."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import pexpect  # noqa: E402

t = Tap()
tmp = tempfile.mkdtemp(prefix="sim-clients.")
key = os.path.join(tmp, "id_ed25519")
subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)


def ssh_cmd(sim, dev, *extra):
    return ["ssh", "-F", "/dev/null", "-p", str(dev.ssh_port),
            "-o", "UserKnownHostsFile=" + sim.known_hosts, "-o", "StrictHostKeyChecking=yes",
            "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"
            ] + list(extra) + ["admin@127.0.0.1"]


def spawn(argv, rows=24, cols=80):
    return pexpect.spawn(argv[0], argv[1:], timeout=15, dimensions=(rows, cols))


def ssh_by_hand(sim, dev):
    p = spawn(ssh_cmd(sim, dev, "-o", "PreferredAuthentications=password",
                      "-o", "PubkeyAuthentication=no"))
    try:
        p.expect(r"password: ")
        p.sendline("lab-pass-1")
        p.expect(r"sw1>")
        motd = p.before
        p.sendline("enable")
        p.expect(r"Password: ")
        p.sendline("lab-enable-1")
        p.expect(r"sw1#")
        p.sendline("conf t")
        p.expect(r"sw1\(config\)#")
        p.sendline("vlan 30")
        p.expect(r"sw1\(config-vlan\)#")
        p.sendline("name by-ssh")
        p.expect(r"sw1\(config-vlan\)#")
        p.sendline("end")
        p.expect(r"sw1#")
        p.sendline("show vlan brief")
        p.expect(r"sw1#")
        brief = p.before
        # a 24-row terminal pages after 23 lines; space shows the next page, q stops
        p.sendline("show running-config")
        p.expect(r" --More-- ")
        page1 = p.before
        p.send(" ")
        p.expect(r" --More-- ")
        p.send("q")
        p.expect(r"sw1#")
        p.sendline("exit")
        p.expect(pexpect.EOF)
        return motd, brief, page1
    finally:
        p.close(force=True)


def ssh_kbdint(sim, dev):
    p = spawn(ssh_cmd(sim, dev, "-o", "PreferredAuthentications=keyboard-interactive"))
    try:
        p.expect(r"Password: ")
        p.sendline("lab-pass-1")
        p.expect(r"sw1>")
        p.sendline("show privilege")
        p.expect(r"Current privilege level is 1\r\n")
        p.sendline("logout")
        p.expect(pexpect.EOF)
        return True
    finally:
        p.close(force=True)


def ssh_pubkey_exec(sim, dev, command):
    r = subprocess.run(ssh_cmd(sim, dev, "-o", "PreferredAuthentications=publickey", "-i", key,
                               "-o", "BatchMode=yes") + [command],
                       capture_output=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def telnet_by_hand(dev):
    p = spawn(["telnet", "127.0.0.1", str(dev.telnet_port)], rows=10)
    try:
        p.expect(r"User Access Verification\r\n\r\nUsername: ")
        p.sendline("admin")
        p.expect(r"Password: ")
        p.sendline("lab-pass-1")
        p.expect(r"sw1>")
        p.sendline("enable")
        p.expect(r"Password: ")
        p.sendline("lab-enable-1")
        p.expect(r"sw1#")
        p.sendline("show clock")
        p.expect(r"sw1#")
        clock = p.before
        p.sendline("conf t")
        p.expect(r"\(config\)#")
        p.sendline("vlan 31")
        p.expect(r"\(config-vlan\)#")
        p.sendline("name by-telnet")
        p.expect(r"\(config-vlan\)#")
        p.send("\x1a")  # Ctrl-Z leaves configuration
        p.expect(r"\^Z\r\nsw1#")
        p.sendline("show vlan brief")
        # NAWS said 10 rows: 9 lines, then the pager
        p.expect(r" --More-- ")
        page = p.before
        p.send("q")
        p.expect(r"sw1#")
        p.sendline("show vlan brief | include by-")
        p.expect(r"sw1#")
        filtered = p.before
        p.sendline("exit")
        p.expect(r"Connection closed by foreign host")
        p.expect(pexpect.EOF)
        return clock, page, filtered
    finally:
        p.close(force=True)


try:
    with Sim(["--devices", "2", "--authorized-keys", key + ".pub",
              "--banner", "Lab switch - authorized use only"]) as sim:
        sw1 = sim.devices["sw1"]
        out = t.run("OpenSSH ssh by hand: password login, enable, conf t, vlan, paging", ssh_by_hand,
                    sim, sw1)
        if out:
            motd, brief, page1 = out
            t.ok(b"\r\nLab switch - authorized use only\r\n\r\n" in motd,
                 "ssh: the MOTD banner is shown before the first prompt", motd)
            text = brief.decode("utf-8", "replace")
            t.ok(re.search(r"\n30\s+by-ssh\s+active", text), "ssh: show vlan brief has VLAN 30",
                 text)
            t.eq(page1.count(b"\r\n"), 1 + 23, "ssh: 24-row PTY pages after 23 lines")
        t.run("OpenSSH ssh: keyboard-interactive login", ssh_kbdint, sim, sw1)
        rc, so, se = ssh_pubkey_exec(sim, sw1, "show vlan brief")
        t.eq(rc, 0, "ssh exec with public-key auth exits 0")
        t.ok(re.search(rb"\n30\s+by-ssh\s+active", so), "ssh exec prints the command output",
             so + se)
        t.ok(not so.rstrip().endswith(b"#") and not so.rstrip().endswith(b">"),
             "ssh exec prints no prompt", so)
        rc, so, se = ssh_pubkey_exec(sim, sim.devices["sw2"], "show running-config")
        t.ok(b"% Invalid input detected at '^' marker." in so,
             "ssh exec runs at privilege 1 (show running-config refused)", so + se)
        r = t.run("netkit telnet by hand: login, enable, Ctrl-Z, NAWS paging, filter",
                  telnet_by_hand, sw1)
        if r:
            clock, page, filtered = r
            t.eq(clock.count(b"show clock"), 1,
                 "telnet: the command is echoed exactly once (server echo, no local echo)")
            t.eq(page.count(b"\r\n"), 1 + 9, "telnet: 10-row window pages after 9 lines")
            t.ok(re.search(rb"31\s+by-telnet", filtered) and b"by-ssh" in filtered,
                 "telnet sees the VLANs made over SSH and Telnet", filtered)
        st = sim.stats()["devices"]["sw1"]
        t.eq(st["logins"], {"ssh": 3, "telnet": 1}, "logins counted per transport")
        t.eq(st["sessions_open"], 0, "no session left open")
        log = sim.log_lines()
        t.ok(any(" sw1 telnet " in l and " command show vlan brief" in l for l in log),
             "--log has a line per command with device and transport", "\n".join(log[-5:]))
        t.ok(not any("lab-pass-1" in l or "lab-enable-1" in l for l in log),
             "--log never contains the password or secret")
finally:
    subprocess.run(["rm", "-rf", tmp])
t.done()
