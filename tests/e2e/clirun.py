"""clirun.py — run the real `netauto` binary from Python end-to-end tests: the path from
$NETAUTO_BUILD, $NETAUTO_WRAP (valgrind) in front when set, a new session (no controlling
terminal, so nothing can wait on a passphrase prompt), a deadline, and the elapsed time.
Also a real OpenSSH server for tests of the linux platform (start_sshd / stop_sshd). Not a test
framework: tap.py prints the results, simproc.py runs the simulator.

    from clirun import netauto
    r = netauto("show", "-i", inv, "sw1", "show clock")
    r.rc, r.out, r.err, r.secs
"""
import getpass
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections import namedtuple

BUILD = os.environ.get("NETAUTO_BUILD") or os.path.join(
    os.environ.get("NETAUTO_ROOT", os.getcwd()), "build")
NETAUTO = os.path.join(BUILD, "netauto")
WRAP = shlex.split(os.environ.get("NETAUTO_WRAP", ""))

Run = namedtuple("Run", "rc out err secs")


def netauto(*args, timeout=120, env=None):
    """Run netauto with args; returns Run(rc, out, err, secs). A run past `timeout` seconds is
    killed and reported with rc None."""
    e = dict(os.environ)
    e.pop("NETAUTO_SERVER", None)
    # nothing from the user running the tests: no default inventory, no configuration file
    e.pop("NETAUTO_INVENTORY", None)
    e.pop("NETAUTO_CONFIG", None)
    e["XDG_CONFIG_HOME"] = "/nonexistent/netauto-tests"
    e.update(env or {})
    t0 = time.monotonic()
    try:
        p = subprocess.run(WRAP + [NETAUTO, *args], capture_output=True, text=True, env=e,
                           stdin=subprocess.DEVNULL, timeout=timeout, start_new_session=True,
                           errors="replace")
        return Run(p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
    except subprocess.TimeoutExpired as x:
        def text(b):
            return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")
        return Run(None, text(x.stdout), text(x.stderr), time.monotonic() - t0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_sshd(d):
    """A real OpenSSH server on loopback (host key, our key authorized, known_hosts) in the
    existing directory d, and an inventory d/linux.yaml with one host lnx1 (platform linux) that
    logs in to it. Returns (process, inventory path); stop with stop_sshd(process)."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d + "/host"],
                   check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d + "/id"],
                   check=True)
    shutil.copy(d + "/id.pub", d + "/authorized_keys")
    port = free_port()
    with open(d + "/sshd_config", "w") as f:
        f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s/host\nPidFile %s/sshd.pid\n"
                "AuthorizedKeysFile %s/authorized_keys\nStrictModes no\nUsePAM no\n"
                "PermitRootLogin prohibit-password\nPasswordAuthentication no\nPermitTTY yes\n"
                "PrintMotd no\nPrintLastLog no\nUseDNS no\nSubsystem sftp internal-sftp\n"
                % (port, d, d, d))
    with open(d + "/host.pub") as f:
        typ, b64 = f.read().split()[:2]
    with open(d + "/known_hosts", "w") as f:
        f.write("[127.0.0.1]:%d %s %s\n" % (port, typ, b64))
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)
    log = open(d + "/sshd.log", "wb")
    p = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", d + "/sshd_config"],
                         stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            inv = os.path.join(d, "linux.yaml")
            with open(inv, "w") as f:
                f.write("hosts:\n  lnx1:\n    host: 127.0.0.1\n    port: %d\n"
                        "    platform: linux\n    username: %s\n    key_file: %s/id\n"
                        "    known_hosts: %s/known_hosts\n" % (port, getpass.getuser(), d, d))
            return p, inv
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.05)
    p.kill()
    p.wait()
    raise RuntimeError("sshd did not start: " + open(d + "/sshd.log").read())




def stop_sshd(p):
    if p is None:
        return
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
