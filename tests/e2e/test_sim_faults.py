"""test_sim_faults.py — every netauto-sim fault, observed on the wire with raw sockets, a raw
Telnet client, paramiko and OpenSSH: refuse-login (SSH and Telnet), close-after (EOF after N
commands), stall-after (socket open, silent), slow (measured byte rate near BPS), garbage
(escape and junk bytes present), huge-output (the exact byte count arrives, the simulator's
memory stays small), hostkey-change (a different key than known_hosts records), banner-delay
(first byte no sooner than MS), legacy-crypto (only diffie-hellman-group14-sha1 and ssh-rsa
offered) and rsa-host-key (an RSA key with rsa-sha2-512/256 only: OpenSSH and netauto connect
with their defaults and strict host keys). A clean device in the same process is the control
for each."""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simcli import Closed, SshShell, TelnetClient  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import paramiko  # noqa: E402

t = Tap()
HUGE = 3000001
ARGS = ["--devices", "11",
        "--fault", "sw2:refuse-login",
        "--fault", "sw3:close-after=3",
        "--fault", "sw4:stall-after=2",
        "--fault", "sw5:slow=8000",
        "--fault", "sw6:garbage",
        "--fault", "sw7:huge-output",
        "--fault", "sw8:hostkey-change",
        "--fault", "sw9:banner-delay=1500",
        "--opt", "sw10:legacy-crypto",
        "--opt", "sw11:rsa-host-key",
        "--opt", "sw7:privilege=15"]


def strip_junk(b):
    b = re.sub(rb"\x1b\[[0-9;?]*[@-~]", b"", b)
    return b.replace(b"\x00", b"").replace(b"\x07", b"")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def refuse_login(sim):
    d = sim.devices["sw2"]
    try:
        SshShell("127.0.0.1", d.ssh_port)
        ssh_refused = False
    except paramiko.AuthenticationException:
        ssh_refused = True
    t.ok(ssh_refused, "refuse-login: SSH with the right password is refused")
    c = TelnetClient("127.0.0.1", d.telnet_port)
    tries = []
    try:
        for _ in range(3):
            c.expect(rb"Username: $")
            c.send(b"admin\r\n")
            c.expect(rb"Password: $")
            c.send(b"lab-pass-1\r\n")
            tries.append(c.expect(rb"% Login invalid\r\n\r\n"))
        closed = c.wait_eof(5)
    finally:
        c.close()
    t.eq(len(tries), 3, "refuse-login: Telnet answers % Login invalid to the right password")
    t.ok(closed, "refuse-login: Telnet hangs up after three tries")
    ok = TelnetClient("127.0.0.1", sim.devices["sw1"].telnet_port)
    try:
        t.ok(ok.login().endswith(b"sw1>"), "control: the same login works on sw1")
    finally:
        ok.close()


def close_after(sim):
    d = sim.devices["sw3"]
    for proto in ("telnet", "ssh"):
        if proto == "telnet":
            c = TelnetClient("127.0.0.1", d.telnet_port)
            c.login()
        else:
            c = SshShell("127.0.0.1", d.ssh_port)
            c.expect(rb"sw3>")
        try:
            answered = 0
            for _ in range(3):
                c.send(b"show clock\r")
                c.expect(rb"UTC .*\r\nsw3>")
                answered += 1
            eof = c.wait_eof(5)
            t.ok(answered == 3 and eof, "close-after=3 (%s): 3 commands answered, then EOF" % proto,
                 c.raw[-200:])
        finally:
            c.close()


def stall_after(sim):
    d = sim.devices["sw4"]
    c = SshShell("127.0.0.1", d.ssh_port)
    try:
        c.expect(rb"sw4>")
        for _ in range(2):
            c.send(b"show clock\r")
            c.expect(rb"UTC .*\r\nsw4>")
        c.send(b"show clock\r")
        t0 = time.monotonic()
        silent = c.read_for(2.5)
        t.eq(silent, b"", "stall-after=2 (ssh): no byte for 2.5 s after the third command")
        t.ok(not c.eof and not c.chan.closed, "stall-after=2 (ssh): the session stays open")
        # the stall is this session's only: sw1 answers meanwhile
        o = TelnetClient("127.0.0.1", sim.devices["sw1"].telnet_port)
        try:
            o.login()
            o.send(b"show clock\r\n")
            o.expect(rb"UTC .*\r\nsw1>")
            t.ok(time.monotonic() - t0 < 30, "stall-after: other devices keep answering")
        finally:
            o.close()
    finally:
        c.close()
    c = TelnetClient("127.0.0.1", d.telnet_port)
    try:
        c.login()
        for _ in range(2):
            c.send(b"show clock\r\n")
            c.expect(rb"UTC .*\r\nsw4>")
        c.send(b"show version\r\n")
        t.eq(c.read_for(2.0), b"", "stall-after=2 (telnet): silent after the second command")
        t.ok(not c.eof, "stall-after=2 (telnet): socket still open")
    finally:
        c.close()


def timed_output(c, cmd, prompt):
    c.send(cmd)
    sent = time.monotonic()
    first = None
    n0 = len(c.raw)
    deadline = time.monotonic() + 60
    while not re.search(prompt + rb"$", c.buf):
        if time.monotonic() > deadline or c.eof:
            raise TimeoutError("no prompt; got %r" % c.buf[-200:])
        c._recv(0.5)
        if first is None and len(c.raw) > n0:
            first = (time.monotonic(), len(c.raw))
    end = time.monotonic()
    c.buf = b""
    # rate after the first chunk arrived (that chunk is the burst allowance)
    rate = (len(c.raw) - first[1]) / max(end - first[0], 1e-6)
    return rate, len(c.raw) - n0, end - sent


def slow(sim):
    rates = {}
    for name in ("sw5", "sw1"):
        c = SshShell("127.0.0.1", sim.devices[name].ssh_port)
        try:
            c.expect(name.encode() + rb">")
            c.send(b"enable\r")
            c.expect(rb"Password: ")
            c.send(b"lab-enable-1\r")
            c.expect(name.encode() + rb"#")
            c.send(b"terminal length 0\r")
            c.expect(name.encode() + rb"#")
            rates[name] = timed_output(c, b"show tech-support\r", name.encode() + rb"#")
        finally:
            c.close()
    rate, size, took = rates["sw5"]
    t.ok(size > 8000, "slow: the test output is large enough (%d bytes)" % size)
    t.ok(0.75 * 8000 <= rate <= 1.2 * 8000,
         "slow=8000: measured %.0f bytes/s over %d bytes" % (rate, size))
    t.ok(rates["sw1"][2] < took / 5,
         "control: sw1 sends the same output much sooner (%.3f s vs %.3f s)"
         % (rates["sw1"][2], took))


def garbage(sim):
    out = {}
    for name in ("sw6", "sw1"):
        c = TelnetClient("127.0.0.1", sim.devices[name].telnet_port)
        try:
            c.login()
            c.send(b"terminal length 0\r\nshow vlan brief\r\nshow interfaces status\r\n"
                   b"show privilege\r\n")
            end = b"Current privilege level is 1\r\n" + name.encode() + b">"
            deadline = time.monotonic() + 20
            while not strip_junk(c.raw).endswith(end) and time.monotonic() < deadline:
                c._recv(0.5)
            out[name] = c.raw
        finally:
            c.close()
    dirty = out["sw6"]
    t.ok(b"\x1b[" in dirty, "garbage: ANSI escape sequences on the wire")
    t.ok(b"\x00" in dirty or b"\x07" in dirty, "garbage: junk NUL/BEL bytes on the wire")
    t.ok(b"\x1b[" not in out["sw1"], "control: sw1 sends no escapes")
    clean = strip_junk(dirty).replace(b"sw6", b"sw1")
    t.eq(clean, out["sw1"], "garbage: stripped of escapes and junk it is the clean output")


def huge(sim):
    d = sim.devices["sw7"]
    hwm0 = rss_kb(sim.proc.pid)
    # default size (50 MB) over Telnet, read as fast as Python can
    c = TelnetClient("127.0.0.1", d.telnet_port)
    try:
        c.login(prompt=rb"sw7#")
        c.send(b"terminal length 0\r\n")
        c.expect(rb"sw7#")
        c.raw = b""
        c.send(b"show tech-support\r\n")
        total = 0
        tail = b""
        deadline = time.monotonic() + 120
        while not tail.endswith(b"\r\nsw7#") and time.monotonic() < deadline and not c.eof:
            c.sock.settimeout(5)
            chunk = c.sock.recv(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            tail = (tail + chunk)[-64:]
        head = b"show tech-support\r\n"
        body = total - len(head) - len(b"sw7#")
        t.eq(body, 50000000, "huge-output: 50,000,000 bytes between the command and the prompt")
    finally:
        c.close()
    grew = rss_kb(sim.proc.pid) - hwm0
    t.ok(hwm0 > 0 and grew < 16 * 1024, "huge-output: the simulator's peak RSS grew by %d KiB "
         "for 50 MB of output (generated as it drains, never held)" % grew)


def hostkey_change(sim):
    known = {}
    with open(sim.known_hosts) as f:
        for line in f:
            host, typ, b64 = line.split()
            known[host] = (typ, b64)
    seen = {}
    for name in ("sw8", "sw1"):
        d = sim.devices[name]
        tr = paramiko.Transport(("127.0.0.1", d.ssh_port))
        try:
            tr.start_client(timeout=10)
            k = tr.get_remote_server_key()
            seen[name] = (k.get_name(), k.get_base64())
        finally:
            tr.close()
    k8 = "[127.0.0.1]:%d" % sim.devices["sw8"].ssh_port
    k1 = "[127.0.0.1]:%d" % sim.devices["sw1"].ssh_port
    t.ok(seen["sw8"] != known[k8] and seen["sw8"][0] == known[k8][0],
         "hostkey-change: sw8 presents a different key than known_hosts records")
    t.eq(seen["sw1"], known[k1], "control: sw1 presents the recorded key")
    r = subprocess.run(["ssh", "-F", "/dev/null", "-p", str(sim.devices["sw8"].ssh_port),
                        "-o", "UserKnownHostsFile=" + sim.known_hosts,
                        "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                        "admin@127.0.0.1", "show clock"], capture_output=True, timeout=30)
    t.ok(r.returncode != 0 and b"REMOTE HOST IDENTIFICATION HAS CHANGED" in r.stderr,
         "hostkey-change: OpenSSH refuses with a host-key-changed error", r.stderr[-400:])


def first_byte_after(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        t0 = time.monotonic()
        s.settimeout(10)
        s.recv(1)
        return time.monotonic() - t0
    finally:
        s.close()


def banner_delay(sim):
    d = sim.devices["sw9"]
    for proto, port in (("ssh", d.ssh_port), ("telnet", d.telnet_port)):
        dt = first_byte_after(port)
        t.ok(1.5 <= dt < 6.0, "banner-delay=1500 (%s): first byte after %.2f s" % (proto, dt))
    dt = first_byte_after(sim.devices["sw1"].ssh_port)
    t.ok(dt < 1.0, "control: sw1's first SSH byte after %.3f s" % dt)
    c = SshShell("127.0.0.1", d.ssh_port)
    try:
        t.ok(c.expect(rb"sw9>"), "banner-delay: the login then works")
    finally:
        c.close()


def kexinit(port, extra=()):
    r = subprocess.run(["ssh", "-vv", "-F", "/dev/null", "-p", str(port),
                        "-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no",
                        "-o", "BatchMode=yes", "-o", "PreferredAuthentications=none"]
                       + list(extra) + ["admin@127.0.0.1", "true"],
                       capture_output=True, timeout=30)
    err = r.stderr.decode("utf-8", "replace")
    peer = err.split("peer server KEXINIT proposal", 1)
    if len(peer) < 2:
        return None, None, err
    kex = re.search(r"debug2: KEX algorithms: (\S+)", peer[1]).group(1).split(",")
    hk = re.search(r"debug2: host key algorithms: (\S+)", peer[1]).group(1).split(",")
    return [a for a in kex if "@openssh.com" not in a and not a.startswith("ext-info")], hk, err


def legacy(sim):
    d = sim.devices["sw10"]
    kex, hk, err = kexinit(d.ssh_port, ["-o", "KexAlgorithms=+diffie-hellman-group14-sha1",
                                        "-o", "HostKeyAlgorithms=+ssh-rsa"])
    t.eq(kex, ["diffie-hellman-group14-sha1"], "legacy-crypto: the only KEX offered")
    t.eq(hk, ["ssh-rsa"], "legacy-crypto: the only host key algorithm offered")
    kex1, hk1, _ = kexinit(sim.devices["sw1"].ssh_port)
    t.ok(kex1 and "diffie-hellman-group14-sha1" not in kex1 and "curve25519-sha256" in kex1,
         "control: sw1 offers modern KEX only", kex1)
    t.eq(hk1, ["ssh-ed25519"], "control: sw1's host key is ed25519")
    r = subprocess.run(["ssh", "-F", "/dev/null", "-p", str(d.ssh_port), "-o",
                        "UserKnownHostsFile=" + sim.known_hosts, "-o", "BatchMode=yes",
                        "admin@127.0.0.1", "true"], capture_output=True, timeout=30)
    t.ok(r.returncode != 0 and b"no matching" in r.stderr,
         "legacy-crypto: a default OpenSSH client finds no common algorithm", r.stderr[-300:])
    import logging
    seen = []

    class Grab(logging.Handler):
        def emit(self, rec):
            seen.append(rec.getMessage())

    h = Grab()
    lg = logging.getLogger("paramiko")
    lg.addHandler(h)
    lg.setLevel(logging.DEBUG)
    try:
        c = SshShell("127.0.0.1", d.ssh_port)
        try:
            c.expect(rb"sw10>")
            hk = c.client.get_transport().host_key_type
        finally:
            c.close()
    finally:
        lg.removeHandler(h)
        lg.setLevel(logging.WARNING)
    t.ok("Kex: diffie-hellman-group14-sha1" in seen and hk == "ssh-rsa",
         "legacy-crypto: paramiko logs in with diffie-hellman-group14-sha1 and ssh-rsa",
         [m for m in seen if m.startswith("Kex")])
    with open(sim.inventory) as f:
        inv = f.read()
    t.ok(re.search(r"  sw10:\n(    .*\n)*    ssh_algorithms: \{kex: \[diffie-hellman-group14-sha1\]"
                   r", host_keys: \[ssh-rsa\]\}", inv),
         "legacy-crypto: the inventory opts sw10 into those algorithms")


def rsa_host_key(sim):
    d = sim.devices["sw11"]
    kex, hk, _ = kexinit(d.ssh_port)
    t.eq(hk, ["rsa-sha2-512", "rsa-sha2-256"], "rsa-host-key: only SHA-2 RSA host key "
         "algorithms offered")
    t.ok(kex and "curve25519-sha256" in kex, "rsa-host-key: key exchange stays modern", kex)
    with open(sim.known_hosts) as f:
        line = [ln for ln in f if ln.startswith("[127.0.0.1]:%d " % d.ssh_port)]
    t.ok(len(line) == 1 and line[0].split()[1] == "ssh-rsa",
         "rsa-host-key: known_hosts records the device's ssh-rsa key", line)
    r = subprocess.run(["ssh", "-F", "/dev/null", "-p", str(d.ssh_port), "-o",
                        "UserKnownHostsFile=" + sim.known_hosts, "-o", "StrictHostKeyChecking=yes",
                        "-o", "BatchMode=yes", "-o", "PreferredAuthentications=none",
                        "admin@127.0.0.1", "true"], capture_output=True, timeout=30)
    t.ok(b"Permission denied" in r.stderr and b"no matching" not in r.stderr and
         b"Host key verification failed" not in r.stderr,
         "rsa-host-key: a default OpenSSH client verifies the key strictly and gets to "
         "authentication", r.stderr[-300:])
    with open(sim.inventory) as f:
        inv = f.read()
    block = re.search(r"  sw11:\n((    .*\n)*)", inv).group(1)
    t.ok("ssh_algorithms" not in block, "rsa-host-key: the inventory needs no opt-in", block)


with Sim(ARGS) as sim:
    for fn in (refuse_login, close_after, stall_after, slow, garbage, huge, hostkey_change,
               banner_delay, legacy, rsa_host_key):
        t.run(fn.__name__ + " ran to the end", fn, sim)
    st = sim.stats()["devices"]
    t.ok(st["sw2"]["login_failures"] >= 4 and st["sw2"]["logins"] == {"ssh": 0, "telnet": 0},
         "stats: refused logins are counted as failures", st["sw2"])
    t.eq(sim.stop(), 0, "simulator stops cleanly")
t.done()
