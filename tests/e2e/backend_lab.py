"""backend_lab.py — shared set-up for the end-to-end tests of netautod's production backend
(daemon/backend/: runner jobs, session pool, inventory) against the device simulator:
simulator arguments with unique device secrets, an inventory of the simulator's devices whose
password and enable secret come from a netauto vault (the daemon reads its passphrase from
`vault_password_file`), the example VLAN playbook, a production netautod around all of that, and
small helpers (wait for a job, the simulator's per-device counters, the netauto CLI against the
daemon). The secrets are distinctive strings so the tests can grep for them. Not a test itself
(run.sh only runs test_*.py); everything started is stopped by the harnesses it builds on."""

import os
import subprocess
import time

from netautod_harness import NETAUTO, ROOT, SLOW, WRAP, Daemon

DEV_PASSWORD = "dev-Pw-7f3e91q"
ENABLE_SECRET = "en-Sc-K4v2xw8"
VAULT_PASS = "vault-Ph-Z8m3rt"

with open(os.path.join(ROOT, "playbooks", "examples", "vlans.yaml")) as _f:
    VLANS = _f.read()


def sim_args(n, *extra):
    """netauto-sim arguments: n IOS devices with the lab's secrets, plus extra arguments."""
    return ["--devices", str(n), "--password", DEV_PASSWORD, "--secret", ENABLE_SECRET] + list(extra)


def host_line(dev, extra=""):
    more = (", " + extra) if extra else ""
    return (f"  {dev.name}: {{host: {dev.addr}, ssh_port: {dev.ssh_port}, "
            f"telnet_port: {dev.telnet_port}{more}}}\n")


def inventory(sim, names=None, extra_hosts="", host_extra=None):
    """A native inventory of the simulator's devices (all, or `names`), secrets from the vault,
    SSH host keys checked strictly against the simulator's known_hosts. host_extra maps a device
    name to more settings for its line (e.g. "timeouts: {command: 1}")."""
    host_extra = host_extra or {}
    text = ("vault: secrets.vault\n"
            "defaults:\n"
            "  platform: cisco_ios\n"
            "  transport: ssh\n"
            "  username: admin\n"
            "  password: ${vault:device_password}\n"
            "  secret: ${vault:enable_secret}\n"
            "  host_key_policy: strict\n"
            f"  known_hosts: {sim.known_hosts}\n"
            "hosts:\n")
    for d in sim.order:
        if names is None or d.name in names:
            text += host_line(d, host_extra.get(d.name, ""))
    return text + extra_hosts


def make_vault(directory):
    """secrets.vault (encrypted with `netauto vault encrypt`) and the passphrase file."""
    pf = os.path.join(directory, "vault-pass")
    with open(pf, "w") as f:
        f.write(VAULT_PASS + "\n")
    os.chmod(pf, 0o600)
    vf = os.path.join(directory, "secrets.vault")
    with open(vf, "w") as f:
        f.write(f"device_password: {DEV_PASSWORD}\nenable_secret: {ENABLE_SECRET}\n")
    r = subprocess.run(WRAP + [NETAUTO, "vault", "encrypt", vf, "--vault-password-file", pf],
                       capture_output=True, text=True, timeout=120 * SLOW)
    if r.returncode != 0:
        raise RuntimeError("netauto vault encrypt: " + r.stderr)


def lab_daemon(sim, config="", playbooks=None, log_level="debug", **inv):
    """A production netautod (not started) for the simulator's devices."""
    d = Daemon(config="vault_password_file: vault-pass\n" + config,
               inventory=inventory(sim, **inv), production=True, log_level=log_level,
               playbooks={"vlans.yaml": VLANS} if playbooks is None else playbooks)
    make_vault(d.dir)
    return d


def wait_for(cond, timeout=30, step=0.05):
    """Poll cond() until it returns something truthy (returned) or the time is up (None)."""
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return None


def logins(sim, name, stats=None):
    lg = sim.counter(name, "logins", stats)
    return lg["ssh"] + lg["telnet"]


def command(d, host, *cmds, transport=None):
    body = {"host": host, "commands": list(cmds)}
    if transport:
        body["transport"] = transport
    return d.json("POST", "/v1/commands", body, timeout=120)


def cli(d, *args, timeout=180):
    """The netauto CLI against the daemon (--server, --fingerprint; the token in NETAUTO_TOKEN,
    not on the command line where ps shows it)."""
    argv = WRAP + [NETAUTO, "--server", f"https://127.0.0.1:{d.port}", "--fingerprint",
                   d.fingerprint] + list(args)
    env = dict(os.environ)
    for k in ("NETAUTO_SERVER", "NETAUTO_TOKEN", "NETAUTO_TOKEN_FILE", "NETAUTO_FINGERPRINT",
              "NETAUTO_CACERT"):
        env.pop(k, None)
    env["NETAUTO_TOKEN"] = d.token
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout * SLOW, env=env)
