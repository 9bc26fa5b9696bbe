"""test_sim_server.py — netauto-sim as a server: SSH and Telnet sessions to one device share
its state; a client that connects and sends nothing stalls nobody and is dropped at the login
timeout; two sessions in configuration mode at once show in max_concurrent_config; reload drops
the device's other sessions and restores the startup-config; --state-dir keeps the
startup-config and host keys across restarts and --host-key keeps one key; --base-port lays the
ports out as documented; the inventory is valid YAML in the documented shape; stats seq grows;
bad options exit with status 2 and a clear message."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simcli import SshShell, TelnetClient  # noqa: E402
from simproc import Sim, SimError, build_dir  # noqa: E402
from tap import Tap  # noqa: E402

import socket  # noqa: E402

import paramiko  # noqa: E402
import yaml  # noqa: E402

t = Tap()


def enable(c, name):
    c.send(b"enable\r")
    c.expect(rb"Password: ")
    c.send(b"lab-enable-1\r")
    c.expect(name.encode() + rb"#")
    c.send(b"terminal length 0\r")
    c.expect(name.encode() + rb"#")


def shared_state_and_concurrency(sim):
    d = sim.devices["sw1"]
    idle = socket.create_connection(("127.0.0.1", d.ssh_port))  # connects, says nothing
    idle_tel = socket.create_connection(("127.0.0.1", d.telnet_port))
    try:
        t0 = time.monotonic()
        a = SshShell("127.0.0.1", d.ssh_port)
        a.expect(rb"sw1>")
        b = TelnetClient("127.0.0.1", d.telnet_port)
        b.login()
        t.ok(time.monotonic() - t0 < 10, "silent clients do not hold up other logins")
        try:
            enable(a, "sw1")
            enable(b, "sw1")
            a.send(b"conf t\r")
            a.expect(rb"sw1\(config\)#")
            b.send(b"conf t\r\n")
            b.expect(rb"sw1\(config\)#")
            a.send(b"vlan 77\rname from-ssh\rend\r")
            a.expect(rb"end\r\nsw1#")
            b.send(b"hostname core1\r\n")
            b.expect(rb"core1\(config\)#")
            b.send(b"end\r\n")
            b.expect(rb"core1#")
            b.send(b"show vlan brief\r\n")
            out = b.expect(rb"core1#")
            t.ok(re.search(rb"77\s+from-ssh", out), "Telnet sees the VLAN created over SSH", out)
            a.send(b"\r")
            t.ok(a.expect(rb"core1#"), "SSH sees the hostname changed over Telnet")
            st = sim.stats()["devices"]["sw1"]
            t.eq(st["max_concurrent_config"], 2, "two sessions in config at once are counted")
            t.eq(st["in_config"], 0, "nobody is in config mode now")
            t.eq(st["sessions_open"], 2, "two sessions open")
            # reload: this session closes, the other drops, running = startup (none saved)
            a.send(b"reload\r")
            a.expect(rb"\[confirm\]")
            a.send(b"\r")
            t.ok(a.wait_eof(5), "reload closes the session that asked for it")
            t.ok(b.wait_eof(5), "reload drops the device's other sessions")
        finally:
            a.close()
            b.close()
        c = TelnetClient("127.0.0.1", d.telnet_port)
        try:
            out = c.login()
            t.ok(out.endswith(b"sw1>"), "after reload the unsaved hostname is gone", out)
            c.send(b"show vlan brief\r\n")
            out = c.expect(rb"sw1>")
            t.ok(b"from-ssh" not in out, "after reload the unsaved VLAN is gone")
        finally:
            c.close()
        # the silent SSH client is dropped at --login-timeout (2 s here)
        idle.settimeout(10)
        got = b""
        t0 = time.monotonic()
        while True:
            chunk = idle.recv(4096)
            if not chunk:
                break
            got += chunk
        t.ok(got.startswith(b"SSH-2.0-Cisco-1.25"),
             "the SSH server says SSH-2.0-Cisco-1.25 like IOS", got[:40])
        idle_tel.settimeout(10)
        while idle_tel.recv(4096):
            pass
        t.ok(time.monotonic() - t0 < 9, "silent clients are dropped at the login timeout")
    finally:
        idle.close()
        idle_tel.close()


def hostile_clients(sim):
    import random
    rnd = random.Random(7)
    d = sim.devices["nx1"]
    # not SSH at all on the SSH port: the server hangs up
    s = socket.create_connection(("127.0.0.1", d.ssh_port), timeout=10)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(rnd.randrange(256) for _ in range(5000)))
    s.settimeout(10)
    try:
        while s.recv(4096):
            pass
        closed = True
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    s.close()
    t.ok(closed, "garbage on the SSH port: the server closes the connection")
    # random bytes and broken option negotiation on the Telnet port
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", d.telnet_port), timeout=10)
        junk = bytearray(rnd.randrange(256) for _ in range(20000))
        for k in range(0, len(junk), 97):
            junk[k] = 255
        try:
            s.sendall(bytes(junk))
        except OSError:
            pass
        s.close()
    # a client that disconnects in the middle of the SSH key exchange
    s = socket.create_connection(("127.0.0.1", d.ssh_port), timeout=10)
    s.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
    s.recv(100)
    s.close()
    c = TelnetClient("127.0.0.1", d.telnet_port)
    try:
        t.ok(c.login().endswith(b"nx1# "), "after hostile clients the device still serves logins")
    finally:
        c.close()


def inventory_shape(sim):
    with open(sim.inventory) as f:
        inv = yaml.safe_load(f)
    dflt = inv["defaults"]
    t.eq((dflt["username"], dflt["password"], dflt["secret"], dflt["host_key_policy"]),
         ("admin", "lab-pass-1", "lab-enable-1", "strict"), "inventory defaults")
    t.eq(dflt["known_hosts"], os.path.realpath(sim.known_hosts),
         "inventory points at the known_hosts file")
    t.eq({g: inv["groups"][g].get("platform") for g in ("ios", "nxos", "eos")},
         {"ios": "cisco_ios", "nxos": "cisco_nxos", "eos": "arista_eos"},
         "platform per personality group")
    h = inv["hosts"]["nx1"]
    d = sim.devices["nx1"]
    t.eq(h, {"host": "127.0.0.1", "ssh_port": d.ssh_port, "telnet_port": d.telnet_port,
             "groups": ["sim", "nxos"]}, "inventory host entry")
    with open(sim.known_hosts) as f:
        lines = f.read().splitlines()
    t.eq(len(lines), len(sim.devices), "one known_hosts line per device")
    t.ok(all(re.match(r"^\[127\.0\.0\.1\]:\d+ ssh-ed25519 [A-Za-z0-9+/=]+$", l) for l in lines),
         "known_hosts lines are [addr]:port ssh-ed25519 key", lines[:2])
    s1 = sim.stats()
    s2 = sim.stats()
    t.ok(s2["seq"] == s1["seq"] + 1, "stats seq grows by one per SIGUSR1")


def host_key(port):
    tr = paramiko.Transport(("127.0.0.1", port))
    try:
        tr.start_client(timeout=10)
        return tr.get_remote_server_key().get_base64()
    finally:
        tr.close()


def persistence():
    tmp = tempfile.mkdtemp(prefix="sim-state.")
    try:
        state = os.path.join(tmp, "state")
        with Sim(["--devices", "2", "--state-dir", state]) as sim:
            keys1 = [host_key(sim.devices[n].ssh_port) for n in ("sw1", "sw2")]
            c = SshShell("127.0.0.1", sim.devices["sw1"].ssh_port)
            try:
                c.expect(rb"sw1>")
                enable(c, "sw1")
                c.send(b"conf t\rvlan 42\rname kept\rvlan 43\rend\rwrite memory\r")
                c.expect(rb"\[OK\]\r\nsw1#")
                c.send(b"conf t\rvlan 44\rend\r")
                c.expect(rb"end\r\nsw1#")
            finally:
                c.close()
        t.ok(keys1[0] != keys1[1], "--state-dir: each device has its own host key")
        t.ok(os.path.exists(os.path.join(state, "sw1", "startup-config")),
             "--state-dir: DIR/NAME/startup-config written")
        with Sim(["--devices", "2", "--state-dir", state]) as sim:
            keys2 = [host_key(sim.devices[n].ssh_port) for n in ("sw1", "sw2")]
            c = TelnetClient("127.0.0.1", sim.devices["sw1"].telnet_port)
            try:
                c.login()
                c.send(b"show vlan brief\r\n")
                out = c.expect(rb"sw1>")
            finally:
                c.close()
        t.eq(keys2, keys1, "--state-dir: host keys survive a restart")
        t.ok(re.search(rb"42\s+kept", out) and re.search(rb"43\s+VLAN0043", out)
             and b"VLAN0044" not in out,
             "--state-dir: the saved startup-config is the running config after restart", out)
        hk = os.path.join(tmp, "hostkey")
        with Sim(["--devices", "2", "--host-key", hk]) as sim:
            k1 = [host_key(sim.devices[n].ssh_port) for n in ("sw1", "sw2")]
        with Sim(["--devices", "1", "--host-key", hk]) as sim:
            k2 = host_key(sim.devices["sw1"].ssh_port)
        t.ok(k1[0] == k1[1] == k2, "--host-key: one key for every device, kept across restarts")
        t.eq(oct(os.stat(hk).st_mode & 0o777), "0o600", "--host-key file is private (0600)")
    finally:
        subprocess.run(["rm", "-rf", tmp])


def base_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    base = 20000 + (port % 20000)
    try:
        with Sim(["--devices", "3", "--base-port", str(base)]) as sim:
            got = [(d.name, d.ssh_port, d.telnet_port) for d in sim.order]
    except SimError as e:
        t.skip("--base-port lays out ports", "port range busy: %s" % e)
        return
    t.eq(got, [("sw%d" % (k + 1), base + 2 * k, base + 2 * k + 1) for k in range(3)],
         "--base-port: device k gets SSH on N+2k and Telnet on N+2k+1")


def usage_errors():
    sim = os.path.join(build_dir(), "netauto-sim")
    cases = [
        (["--fault", "sw1:explode"], "unknown fault 'explode'"),
        (["--fault", "sw9:garbage"], "'sw9' matches no device"),
        (["--fault", "sw1:slow"], "'slow' needs a number"),
        (["--devices", "2:vyos"], "unknown personality 'vyos'"),
        (["--devices", "2", "--devices", "2"], "sw1 is used twice"),
        (["--opt", "all:privilege=7"], "'privilege' needs a number from 15 to 15"),
        (["--bogus"], "unknown option --bogus"),
    ]
    for args, msg in cases:
        wrap = os.environ.get("NETAUTO_WRAP", "").split()  # valgrind sees the exit path too
        r = subprocess.run(wrap + [sim] + args, capture_output=True, timeout=60 if wrap else 10)
        t.ok(r.returncode == 2 and msg.encode() in r.stderr,
             "usage error exits 2: %s" % " ".join(args), r.stderr)


with Sim(["--devices", "1", "--devices", "1:nxos", "--login-timeout", "2"]) as sim:
    t.run("shared state, concurrency, reload, login timeout", shared_state_and_concurrency, sim)
    t.run("inventory, known_hosts and stats", inventory_shape, sim)
    t.run("hostile clients", hostile_clients, sim)
t.run("persistence across restarts", persistence)
t.run("base port layout", base_port)
t.run("usage errors", usage_errors)
t.done()
