#!/usr/bin/python3
"""test_inventory_cli.py — end-to-end tests of `netauto inventory` and `netauto vault` through
the real binary: text and --json output with secrets masked, --limit, exit 2 with
file:line:column on bad input, vault encrypt/decrypt/edit/create with NETAUTO_VAULT_PASSWORD or
--vault-password-file, and an inventory resolving ${vault:...}. Prints TAP.

Every command runs in a new session (no controlling terminal), so nothing can ever wait on a
passphrase prompt. Everything lives in one temporary directory, removed at the end."""
import json
import os
import pty
import select
import signal
import time
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import traceback

BUILD = os.environ.get("NETAUTO_BUILD", os.path.abspath("build"))
NETAUTO = os.path.join(BUILD, "netauto")
WRAP = shlex.split(os.environ.get("NETAUTO_WRAP", ""))


# ---- a tiny private TAP helper (kept in this file on purpose) --------------------------------
class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def run(self, name, fn):
        self.n += 1
        try:
            fn()
            print(f"ok {self.n} - {name}", flush=True)
        except Exception:  # noqa: BLE001 - report any failure as "not ok"
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def netauto(*args, env_extra=None, drop_env=(), cwd=None):
    env = dict(os.environ)
    for k in ("NETAUTO_VAULT_PASSWORD", "NETAUTO_TEST_PW") + tuple(drop_env):
        env.pop(k, None)
    env.update(env_extra or {})
    p = subprocess.run(WRAP + [NETAUTO, *args], capture_output=True, text=True, env=env,
                       cwd=cwd, timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


TMP = tempfile.mkdtemp(prefix="na-e2e-inv.")


def path(name):
    return os.path.join(TMP, name)


def write(name, text):
    with open(path(name), "w") as f:
        f.write(text)
    return path(name)


LAB = """\
defaults:
  platform: cisco_ios
  username: admin
  password: ${NETAUTO_TEST_PW}
  secret: Enable-Plain-5
groups:
  lab:
    vars: {site: lab1}
  switches:
    parents: [lab]
    transport: telnet
hosts:
  sw1:
    host: 127.0.0.1
    ssh_port: 40001
    telnet_port: 40002
    groups: [switches]
  sw2:
    host: 127.0.0.2
    groups: [switches]
  rtr1:
    host: 10.0.0.1
    platform: arista_eos
    groups: [lab]
"""
PW = {"NETAUTO_TEST_PW": "Login-Pass-77"}


def t_text_output():
    inv = write("lab.yaml", LAB)
    rc, out, err = netauto("inventory", "-i", inv, env_extra=PW)
    check(rc == 0, f"rc={rc} err={err}")
    lines = out.splitlines()
    check(lines[0].split() == ["NAME", "ADDRESS", "SSH", "TELNET", "PLATFORM", "TRANSPORT",
                               "USERNAME", "PASSWORD", "SECRET", "GROUPS"], lines[0])
    rows = {ln.split()[0]: ln.split() for ln in lines[1:-1]}
    check(rows["sw1"] == ["sw1", "127.0.0.1", "40001", "40002", "cisco_ios", "telnet", "admin",
                          "********", "********", "lab,switches"], rows["sw1"])
    check(rows["rtr1"] == ["rtr1", "10.0.0.1", "22", "23", "arista_eos", "ssh", "admin",
                           "********", "********", "lab"], rows["rtr1"])
    check(lines[-1] == "3 hosts", lines[-1])
    check("Login-Pass-77" not in out + err and "Enable-Plain-5" not in out + err, "secret leaked")


def t_json_output():
    inv = path("lab.yaml")
    rc, out, err = netauto("inventory", "-i", inv, "--json", env_extra=PW)
    check(rc == 0, f"rc={rc} err={err}")
    doc = json.loads(out)
    check(doc["format"] == "native", doc["format"])
    hosts = {h["name"]: h for h in doc["hosts"]}
    check([h["name"] for h in doc["hosts"]] == ["sw1", "sw2", "rtr1"], "order")
    sw1 = hosts["sw1"]
    check(sw1["address"] == "127.0.0.1" and sw1["ssh_port"] == 40001
          and sw1["telnet_port"] == 40002 and sw1["transport"] == "telnet"
          and sw1["port"] == 40002, sw1)
    check(sw1["password"] == "********" and sw1["secret"] == "********", sw1)
    check(sw1["key_passphrase"] is None, sw1)
    check(sw1["groups"] == ["all", "lab", "switches"], sw1["groups"])
    check(sw1["vars"] == {"site": "lab1"}, sw1["vars"])
    check(sw1["timeouts_ms"]["connect"] == 10000, sw1["timeouts_ms"])
    check("Login-Pass-77" not in out and "Enable-Plain-5" not in out, "secret leaked")


def t_limit():
    inv = path("lab.yaml")
    rc, out, err = netauto("inventory", "-i", inv, "--json", "--limit", "switches:!sw1",
                           env_extra=PW)
    check(rc == 0, err)
    check([h["name"] for h in json.loads(out)["hosts"]] == ["sw2"], out)
    rc, out, err = netauto("inventory", "-i", inv, "--json", "-l", "rtr1,sw*", env_extra=PW)
    check([h["name"] for h in json.loads(out)["hosts"]] == ["sw1", "sw2", "rtr1"], out)
    rc, out, err = netauto("inventory", "-i", inv, "--limit", "lab:&nosuch", env_extra=PW)
    check(rc == 2, f"rc={rc}")
    check(out == "", out)
    check(err.strip() == "--limit: 'nosuch' matches no host or group", err)


def t_malformed_yaml():
    bad = write("bad.yaml", "hosts:\n  sw1:\n    host: [1.2.3.4\n  sw2: {}\n")
    rc, out, err = netauto("inventory", "-i", bad)
    check(rc == 2, f"rc={rc}")
    check(out == "", out)
    check(err.startswith(bad + ":4:6: "), err)
    bad2 = write("bad2.yaml", "hosts:\n  sw1:\n    transport: sssh\n")
    rc, out, err = netauto("inventory", "-i", bad2)
    check(rc == 2, f"rc={rc}")
    check(err.strip() == f"{bad2}:3:16: host 'sw1': transport must be ssh or telnet, got 'sssh'",
          err)
    rc, out, err = netauto("inventory", "-i", path("does-not-exist.yaml"))
    check(rc == 2 and "cannot open" in err, err)
    rc, out, err = netauto("inventory", "-i", path("lab.yaml"))  # NETAUTO_TEST_PW unset
    check(rc == 2, f"rc={rc}")
    check(err.strip() == f"{path('lab.yaml')}:4:13: host 'sw1': password: environment variable "
          "NETAUTO_TEST_PW is not set", err)
    rc, out, err = netauto("inventory")
    check(rc == 2 and "-i INVENTORY is required" in err, err)
    rc, out, err = netauto("inventory", "-i", path("lab.yaml"), "--bogus")
    check(rc == 2 and "usage:" in err, err)


def t_ansible():
    inv = write("hosts.yml", """\
all:
  vars:
    ansible_user: netops
    ansible_password: Ans-Pass-31
  children:
    ios:
      vars: {ansible_network_os: cisco.ios.ios, ansible_connection: network_cli}
      hosts:
        r1: {ansible_host: 10.0.0.1, ansible_become_password: Ans-En-32}
    eos:
      vars: {ansible_network_os: arista.eos.eos}
      hosts:
        e1: {ansible_host: 10.0.0.2, ansible_port: 2222}
""")
    rc, out, err = netauto("inventory", "-i", inv, "--json")
    check(rc == 0, err)
    doc = json.loads(out)
    check(doc["format"] == "ansible", doc)
    h = {x["name"]: x for x in doc["hosts"]}
    check(h["r1"]["platform"] == "cisco_ios" and h["r1"]["secret"] == "********", h["r1"])
    check(h["e1"]["platform"] == "arista_eos" and h["e1"]["ssh_port"] == 2222, h["e1"])
    check("Ans-Pass-31" not in out and "Ans-En-32" not in out, "secret leaked")


VAULT_PLAIN = "enable_secret: Vault-Enable-91\nlogin: Vault-Login-92\n"
VPW = {"NETAUTO_VAULT_PASSWORD": "correct horse battery staple"}


def t_vault_round_trip():
    f = write("secrets.vault", VAULT_PLAIN)
    rc, out, err = netauto("vault", "encrypt", f, env_extra=VPW)
    check(rc == 0, f"rc={rc} err={err}")
    data = open(f).read()
    check(data.startswith("$NETAUTO_VAULT;1;AES256-GCM;scrypt;N=32768,r=8,p=3\n"), data[:80])
    check("Vault-Enable-91" not in data, "plaintext in the vault")
    check(stat.S_IMODE(os.stat(f).st_mode) == 0o600, oct(os.stat(f).st_mode))
    rc, out, err = netauto("vault", "decrypt", f, env_extra=VPW)
    check(rc == 0 and out == VAULT_PLAIN, f"rc={rc} out={out!r} err={err}")
    # wrong passphrase: exit 2, clear message, nothing on stdout
    rc, out, err = netauto("vault", "decrypt", f,
                           env_extra={"NETAUTO_VAULT_PASSWORD": "Tr0ub4dor"})
    check(rc == 2 and out == "", f"rc={rc} out={out!r}")
    check(err.strip() == f"vault {f}: wrong passphrase or corrupted file", err)
    # encrypting twice is refused
    rc, out, err = netauto("vault", "encrypt", f, env_extra=VPW)
    check(rc == 2 and "already encrypted" in err, err)
    # no passphrase source and no terminal
    rc, out, err = netauto("vault", "decrypt", f)
    check(rc == 2 and "NETAUTO_VAULT_PASSWORD" in err, err)
    # a password file instead of the environment
    pwf = write("vault-pass.txt", "correct horse battery staple\n")
    rc, out, err = netauto("vault", "decrypt", f, "--vault-password-file", pwf)
    check(rc == 0 and out == VAULT_PLAIN, err)
    # decrypt in place, then encrypt again
    g = write("copy.vault", open(f).read())
    rc, out, err = netauto("vault", "decrypt", "--in-place", g, env_extra=VPW)
    check(rc == 0 and open(g).read() == VAULT_PLAIN, err)
    check(stat.S_IMODE(os.stat(g).st_mode) == 0o600, "mode")
    # a plaintext that is not a mapping is refused with its position
    bad = write("bad.vault", "- a\n- b\n")
    rc, out, err = netauto("vault", "encrypt", bad, env_extra=VPW)
    check(rc == 2 and err.startswith(bad + ":1:1: "), err)
    check(open(bad).read() == "- a\n- b\n", "file changed")


def t_inventory_uses_vault():
    write("vlab.yaml", """\
vault: secrets.vault
defaults:
  username: admin
  password: ${vault:login}
  secret: ${vault:enable_secret}
hosts:
  sw1: {host: 127.0.0.1}
""")
    rc, out, err = netauto("inventory", "-i", path("vlab.yaml"), "--json", env_extra=VPW)
    check(rc == 0, f"rc={rc} err={err}")
    h = json.loads(out)["hosts"][0]
    check(h["password"] == "********" and h["secret"] == "********", h)
    check("Vault-" not in out + err, "vault secret leaked")
    rc, out, err = netauto("inventory", "-i", path("vlab.yaml"), "--vault-password-file",
                           path("vault-pass.txt"))
    check(rc == 0 and "sw1" in out, err)
    rc, out, err = netauto("inventory", "-i", path("vlab.yaml"),
                           env_extra={"NETAUTO_VAULT_PASSWORD": "Tr0ub4dor"})
    check(rc == 2, f"rc={rc}")
    check(err.strip() == f"vault {path('secrets.vault')}: wrong passphrase or corrupted file", err)
    write("vlab2.yaml", "vault: secrets.vault\nhosts:\n  sw1: {secret: '${vault:nope}'}\n")
    rc, out, err = netauto("inventory", "-i", path("vlab2.yaml"), env_extra=VPW)
    check(rc == 2, f"rc={rc}")
    check(err.strip() == f"{path('vlab2.yaml')}:3:17: host 'sw1': secret: 'nope' is not in "
          f"vault {path('secrets.vault')}", err)


def t_vault_edit_create():
    tmpdir = path("tmp")
    os.mkdir(tmpdir, 0o700)
    editor = write("editor.sh", "#!/bin/sh\nsed -i 's/Vault-Login-92/Vault-Login-93/' \"$1\"\n")
    os.chmod(editor, 0o755)
    f = path("secrets.vault")
    before = open(f).read()
    env = dict(VPW, EDITOR=editor, TMPDIR=tmpdir)
    rc, out, err = netauto("vault", "edit", f, env_extra=env)
    check(rc == 0, f"rc={rc} err={err}")
    check(open(f).read() != before, "not re-encrypted")
    rc, out, err = netauto("vault", "decrypt", f, env_extra=VPW)
    check(out == VAULT_PLAIN.replace("92", "93"), out)
    check(os.listdir(tmpdir) == [], f"temporary files left: {os.listdir(tmpdir)}")
    # an editor that fails changes nothing
    same = open(f).read()
    rc, out, err = netauto("vault", "edit", f, env_extra=dict(env, EDITOR="false"))
    check(rc == 1 and open(f).read() == same, f"rc={rc} err={err}")
    check(os.listdir(tmpdir) == [], "temporary files left after a failed edit")
    # create
    maker = write("maker.sh", "#!/bin/sh\nprintf 'snmp: Created-94\\n' >> \"$1\"\n")
    os.chmod(maker, 0o755)
    n = path("new.vault")
    rc, out, err = netauto("vault", "create", n, env_extra=dict(env, EDITOR=maker))
    check(rc == 0, f"rc={rc} err={err}")
    check(open(n).read().startswith("$NETAUTO_VAULT;1;"), "not a vault")
    rc, out, err = netauto("vault", "decrypt", n, env_extra=VPW)
    check(rc == 0 and "snmp: Created-94" in out, out)
    rc, out, err = netauto("vault", "create", n, env_extra=dict(env, EDITOR=maker))
    check(rc == 2 and "already exists" in err, err)
    check(os.listdir(tmpdir) == [], "temporary files left after create")


def run_on_pty(args, answers, env_drop=("NETAUTO_VAULT_PASSWORD",), deadline_s=60):
    """Run netauto with a pseudo-terminal as its controlling terminal; answer each prompt
    ("...: ") with the next line of `answers`. Returns (exit status, everything shown)."""
    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe(WRAP[0] if WRAP else NETAUTO, WRAP + [NETAUTO, *args], env)
        finally:
            os._exit(127)
    seen = b""
    answered = 0
    end = time.monotonic() + deadline_s
    try:
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.5)
            if fd in r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
                # answer prompt k once prompt k has fully appeared (a read may split it)
                if (answered < len(answers) and seen.count(b"passphrase for") > answered
                        and seen.rstrip().endswith(b":")):
                    os.write(fd, answers[answered].encode() + b"\n")
                    answered += 1
        done, status = os.waitpid(pid, os.WNOHANG)
        while not done and time.monotonic() < end:
            time.sleep(0.05)
            done, status = os.waitpid(pid, os.WNOHANG)
        if not done:
            raise AssertionError(f"netauto {' '.join(args)} still running; shown: {seen!r}")
        pid = 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def t_tty_prompt():
    f = path("tty.vault")
    write("tty.vault", VAULT_PLAIN)
    # encrypt asks twice; a mismatch is refused and the file is left alone
    rc, shown = run_on_pty(["vault", "encrypt", f], ["Pass-Phrase-1", "Pass-Phrase-2"])
    check(rc == 2 and "do not match" in shown, f"rc={rc} shown={shown!r}")
    check(open(f).read() == VAULT_PLAIN, "file changed")
    rc, shown = run_on_pty(["vault", "encrypt", f], ["Pass-Phrase-1", "Pass-Phrase-1"])
    check(rc == 0, f"rc={rc} shown={shown!r}")
    check("Vault passphrase for " + f in shown, shown)
    check("Pass-Phrase-1" not in shown, "the passphrase was echoed")
    rc, shown = run_on_pty(["vault", "decrypt", f], ["Pass-Phrase-1"])
    check(rc == 0 and "Vault-Enable-91" in shown, f"rc={rc} shown={shown!r}")
    check("Pass-Phrase-1" not in shown, "the passphrase was echoed")


def main():
    tap = Tap()
    try:
        check(os.access(NETAUTO, os.X_OK), f"{NETAUTO} is not built")
        tap.run("inventory text output masks secrets", t_text_output)
        tap.run("inventory --json", t_json_output)
        tap.run("inventory --limit and an unknown pattern (exit 2)", t_limit)
        tap.run("malformed YAML and invalid values: exit 2 with file:line:column", t_malformed_yaml)
        tap.run("Ansible YAML inventory through the CLI", t_ansible)
        tap.run("vault encrypt/decrypt round trip, wrong passphrase", t_vault_round_trip)
        tap.run("inventory resolves ${vault:NAME}", t_inventory_uses_vault)
        tap.run("vault edit and create through $EDITOR, temp files removed", t_vault_edit_create)
        tap.run("passphrase prompt on the terminal, no echo, asked twice", t_tty_prompt)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
