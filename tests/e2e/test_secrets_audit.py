"""test_secrets_audit.py — no secret in any byte netauto produces. A device password (from the
vault), an enable secret (from ${ENV}), an SSH key passphrase (from the vault), the vault
passphrase itself (a file, and $NETAUTO_VAULT_PASSWORD), and a wrong password and a wrong enable
secret (failed logins) go through `netauto inventory`, `run` (-vvvv trace logs, --json,
--transcripts, --diff), `show` (-vvv, --json, transcripts), `compare` (-vvv, text and --json),
over SSH (password and encrypted key) and Telnet; then every byte of stdout, stderr and every
file netauto wrote is searched for each secret, also hex-, base64- and escape-encoded. A control
(`netauto vault decrypt`, which prints secrets by design) proves the search finds them.

When netautod has a device backend bound (not "backend unbound"), the daemon is audited too:
its log at debug level, the SQLite job store dumped with Python's sqlite3, job results, SSE
events, ad-hoc command results, /metrics and /v1/hosts; otherwise that part is skipped."""
import base64
import glob
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run  # noqa: E402
from simproc import Sim, build_dir  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
WRAP = os.environ.get("NETAUTO_WRAP", "").split()
SLOW = 4 if WRAP else 1

SECRETS = {
    "device password": "Pw-audit-7Xq2#Lm9",
    "enable secret": "En-audit-K4!v2xw8",
    "key passphrase": "Kp-audit-Z8m3rtQ",
    "vault passphrase": "Vp-audit-Hs91LkP",
    "wrong password": "Wr-audit-Nb55Yte",
    "wrong enable secret": "Ws-audit-Qe72Jdu",
}


def encodings(s):
    """The secret as a leak may show it: plain, hex, base64, escaped bytes."""
    b = s.encode()
    forms = {s, b.hex(), b.hex().upper(), base64.b64encode(b).decode().rstrip("=")}
    forms.add("".join(c if c.isalnum() else "\\x%02x" % ord(c) for c in s))
    forms.add(json.dumps(s)[1:-1])
    return forms


def find_secrets(blob):
    """Names of the secrets found in blob (bytes)."""
    found = []
    for name, s in SECRETS.items():
        for f in encodings(s):
            if f.encode() in blob:
                found.append("%s (as %r)" % (name, f))
                break
    return found


class Audit:
    """Everything netauto produced, by where it came from."""

    def __init__(self):
        self.blobs = {}

    def add(self, where, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.blobs[where] = self.blobs.get(where, b"") + data

    def add_file(self, path, where=None):
        with open(path, "rb") as f:
            self.add(where or path, f.read())

    def leaks(self):
        return {w: f for w, b in self.blobs.items() for f in [find_secrets(b)] if f}


def setup(r, sim_dir_key):
    """Vault (password + key passphrase), encrypted key, inventory. Returns (inventory, env,
    vault-password-file)."""
    vp = r.write("vault-pass", SECRETS["vault passphrase"] + "\n")
    os.chmod(vp, 0o600)
    vault = r.write("secrets.vault", "device_password: '%s'\nkey_pass: '%s'\n"
                    % (SECRETS["device password"], SECRETS["key passphrase"]))
    res = r.netauto(["vault", "encrypt", vault, "--vault-password-file", vp])
    if res.rc != 0:
        raise RuntimeError("vault encrypt: " + res.err)
    return vp, vault


INVENTORY = """vault: secrets.vault
defaults:
  platform: cisco_ios
  username: admin
  password: ${{vault:device_password}}
  secret: ${{NETAUTO_AUDIT_ENABLE}}
  host_key_policy: strict
  known_hosts: {kh}
hosts:
  ssh-pw: {{host: 127.0.0.1, ssh_port: {d1.ssh_port}, telnet_port: {d1.telnet_port}, transport: ssh}}
  ssh-key: {{host: 127.0.0.1, ssh_port: {d2.ssh_port}, telnet_port: {d2.telnet_port}, transport: ssh,
            key_file: {key}, key_passphrase: '${{vault:key_pass}}'}}
  telnet-pw: {{host: 127.0.0.1, ssh_port: {d3.ssh_port}, telnet_port: {d3.telnet_port}, transport: telnet}}
  bad-login-ssh: {{host: 127.0.0.1, ssh_port: {d1.ssh_port}, telnet_port: {d1.telnet_port}, transport: ssh,
                  password: '{wrong}'}}
  bad-login-telnet: {{host: 127.0.0.1, ssh_port: {d3.ssh_port}, telnet_port: {d3.telnet_port},
                     transport: telnet, password: '{wrong}'}}
  bad-enable: {{host: 127.0.0.1, ssh_port: {d3.ssh_port}, telnet_port: {d3.telnet_port}, transport: telnet,
               secret: '{wrong_secret}'}}
"""

PLAYBOOK = """
- name: audit
  hosts: all
  tasks:
    - name: version
      command: show version
    - name: vlans
      config: ["vlan 42", "name audit"]
    - name: running
      command: show running-config
      register: running
    - name: save
      save: true
"""


def cli_part(audit):
    with Run() as r:
        key = r.path("id_audit")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", SECRETS["key passphrase"],
                        "-C", "audit", "-f", key], check=True)
        with Sim(["--devices", "3", "--password", SECRETS["device password"],
                  "--secret", SECRETS["enable secret"], "--authorized-keys", key + ".pub"]) \
                as sim:
            vp, vault = setup(r, None)
            d1, d2, d3 = (sim.devices[n] for n in ("sw1", "sw2", "sw3"))
            inv = r.write("inventory.yaml", INVENTORY.format(
                kh=sim.known_hosts, d1=d1, d2=d2, d3=d3, key=key, wrong=SECRETS["wrong password"],
                wrong_secret=SECRETS["wrong enable secret"]))
            env = {"NETAUTO_AUDIT_ENABLE": SECRETS["enable secret"]}
            env_vault = dict(env, NETAUTO_VAULT_PASSWORD=SECRETS["vault passphrase"])
            vpf = ["--vault-password-file", vp]
            outputs = r.path("out")
            os.makedirs(outputs)
            tdir = os.path.join(outputs, "run-transcripts")
            sdir = os.path.join(outputs, "show-transcripts")
            os.makedirs(sdir)
            pb = r.write("pb.yaml", PLAYBOOK)

            steps = [
                ("inventory", ["inventory", "-i", inv] + vpf, env, None),
                ("inventory --json", ["inventory", "-i", inv, "--json"], env_vault, None),
                ("run -vvvv", ["run", pb, "-i", inv, "-vvvv", "--diff", "--transcripts", tdir,
                               "--json", os.path.join(outputs, "run.json")] + vpf, env, 1),
                ("run --json -", ["run", pb, "-i", inv, "--limit", "bad-*", "--json", "-",
                                  "-vv"], env_vault, 1),
                ("show -vvv --json", ["show", "-i", inv, "--limit", "all", "-vvv", "--json",
                                      "--transcript", os.path.join(sdir, "{host}.tr"),
                                      "show running-config", "show privilege"] + vpf, env, 1),
                ("show text", ["show", "-i", inv, "ssh-key", "show users", "-vvv"], env_vault, 0),
                ("compare -vvv", ["compare", "-i", inv, "ssh-pw", "-c", "show clock", "-vvv"]
                 + vpf, env, 0),
                ("compare --json", ["compare", "-i", inv, "bad-login-ssh", "-c", "show clock",
                                    "--json", "-vvv"] + vpf, env, 1),
            ]
            for what, args, e, want_rc in steps:
                res = r.netauto(args, env=e, timeout=300 * SLOW)
                audit.add("%s: stdout" % what, res.out)
                audit.add("%s: stderr" % what, res.err)
                if want_rc is not None:
                    t.eq(res.rc, want_rc, "%s: exit %d" % (what, want_rc))
                else:
                    t.eq(res.rc, 0, "%s: exit 0" % what)
            produced = [p for p in glob.glob(os.path.join(outputs, "**"), recursive=True)
                        if os.path.isfile(p)]
            for p in produced:
                audit.add_file(p, os.path.relpath(p, r.dir))
            names = {os.path.basename(p) for p in produced}
            t.ok({"run.json", "ssh-pw.transcript", "telnet-pw.transcript",
                  "bad-login-telnet.transcript", "telnet-pw.tr", "bad-enable.tr"} <= names,
                 "results and transcripts were written (also for the failed logins)",
                 sorted(names))

            # the failures happened, with messages that do not need the secret
            with open(os.path.join(outputs, "run.json")) as f:
                hs = json.load(f)["hosts"]
            t.ok(all(hs[h]["ok"] for h in ("ssh-pw", "ssh-key", "telnet-pw")),
                 "the good logins worked (password over SSH and Telnet, encrypted key)",
                 {h: hs[h]["error"] for h in hs})
            e1 = hs["bad-login-ssh"]["error"] or {}
            e2 = hs["bad-login-telnet"]["error"] or {}
            e3 = hs["bad-enable"]["error"] or {}
            t.ok(e1.get("code") == "auth" and e2.get("code") == "auth" and
                 e3.get("code") == "auth" and "enable" in e3.get("message", ""),
                 "the wrong password and the wrong enable secret failed as auth errors",
                 (e1, e2, e3))
            tr = open(os.path.join(tdir, "telnet-pw.transcript"), "rb").read()
            t.ok(b"> secret" in tr, "the Telnet transcript marks where the password went")

            # control: the search finds secrets where they are
            res = r.netauto(["vault", "decrypt", vault] + vpf)
            found = find_secrets(res.out.encode())
            t.ok(any(f.startswith("device password") for f in found) and
                 any(f.startswith("key passphrase") for f in found),
                 "control: the search finds secrets in `netauto vault decrypt`", found)


def daemon_bound():
    exe = os.path.join(build_dir(), "netautod")
    if not os.path.exists(exe):
        return False
    p = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    return p.returncode == 0 and "unbound" not in p.stdout + p.stderr


def daemon_part(audit):
    from netautod_harness import Daemon
    with Run() as r, Sim(["--devices", "2", "--password", SECRETS["device password"],
                          "--secret", SECRETS["enable secret"]]) as sim:
        d1, d2 = sim.devices["sw1"], sim.devices["sw2"]
        inv = ("vault: secrets.vault\ndefaults:\n  platform: cisco_ios\n  username: admin\n"
               "  password: ${vault:device_password}\n  secret: ${vault:enable_secret}\n"
               "  host_key_policy: strict\n  known_hosts: %s\nhosts:\n"
               "  sw1: {host: 127.0.0.1, ssh_port: %d, telnet_port: %d}\n"
               "  tn1: {host: 127.0.0.1, ssh_port: %d, telnet_port: %d, transport: telnet}\n"
               "  bad1: {host: 127.0.0.1, ssh_port: %d, telnet_port: %d, password: '%s'}\n"
               % (sim.known_hosts, d1.ssh_port, d1.telnet_port, d2.ssh_port, d2.telnet_port,
                  d1.ssh_port, d1.telnet_port, SECRETS["wrong password"]))
        d = Daemon(config="vault_password_file: vault-pass\n", inventory=inv, production=True,
                   log_level="debug", playbooks={"audit.yaml": PLAYBOOK})
        with open(d.path("vault-pass"), "w") as f:
            f.write(SECRETS["vault passphrase"] + "\n")
        vf = d.path("secrets.vault")
        with open(vf, "w") as f:
            f.write("device_password: '%s'\nenable_secret: '%s'\n"
                    % (SECRETS["device password"], SECRETS["enable secret"]))
        res = r.netauto(["vault", "encrypt", vf, "--vault-password-file", d.path("vault-pass")])
        t.eq(res.rc, 0, "daemon: vault encrypted")
        d.start()
        try:
            status, job = d.json("POST", "/v1/jobs", {"playbook": "audit.yaml"})
            t.ok(status in (200, 201, 202) and "id" in job, "daemon: job accepted", job)
            events = d.events(job["id"], timeout=120 * SLOW)
            audit.add("daemon: SSE events", json.dumps(events))
            final = d.wait_job(job["id"], timeout=120 * SLOW)
            audit.add("daemon: job", json.dumps(final))
            t.ok(final.get("state") == "failed", "daemon: the job ran (bad1 failed its login)",
                 final.get("state"))
            hs = final.get("hosts") or {}
            t.ok(hs.get("sw1", {}).get("ok") is True and hs.get("tn1", {}).get("ok") is True and
                 (hs.get("bad1", {}).get("error") or {}).get("code") == "auth",
                 "daemon: sw1 (SSH) and tn1 (Telnet) logged in with the vault's secrets, bad1 "
                 "was refused", json.dumps(final)[:3000])
            for path in ("/v1/jobs/%s" % job["id"], "/v1/jobs", "/v1/hosts", "/v1/hosts/sw1",
                         "/v1/hosts/bad1", "/v1/inventory"):
                st, _, payload = d.request("GET", path)
                audit.add("daemon: GET %s" % path, payload)
            answers = {}
            for host in ("sw1", "tn1", "bad1"):
                st, _, payload = d.request("POST", "/v1/commands",
                                           {"host": host, "commands": ["show version"]},
                                           timeout=120)
                answers[host] = (st, payload[:300])
                audit.add("daemon: POST /v1/commands %s" % host, payload)
            t.ok(b"IOS" in answers["sw1"][1] and b"IOS" in answers["tn1"][1] and
                 (answers["bad1"][0] != 200 or b"auth" in answers["bad1"][1]),
                 "daemon: ad-hoc commands ran (and bad1's login failed)", answers)
            # the netauto CLI against the daemon: its output too
            from backend_lab import cli
            got = {}
            for args in (["run", "audit.yaml"], ["show", "tn1", "show privilege"],
                         ["jobs", "--json"], ["job", str(job["id"])]):
                rc = cli(d, *args)
                got[args[0]] = rc
                audit.add("daemon: netauto --server %s: stdout" % args[0], rc.stdout)
                audit.add("daemon: netauto --server %s: stderr" % args[0], rc.stderr)
            t.ok(got["run"].returncode == 1 and "bad1" in got["run"].stdout + got["run"].stderr
                 and got["show"].returncode == 0 and "privilege level is 15" in got["show"].stdout
                 and got["job"].returncode == 1 and "bad1" in got["job"].stdout,
                 "daemon: the remote CLI ran the playbook (bad1 failed) and a command",
                 {k: (v.returncode, v.stdout[-300:], v.stderr[-300:]) for k, v in got.items()})
            st, text = d.metrics()
            audit.add("daemon: /metrics", text)
            t.ok(st == 200 and "netautod" in text, "daemon: /metrics read")
        finally:
            d.stop()
        audit.add("daemon: log", d.log())
        audit.add("daemon: stdout", d.stdout())
        audit.add("daemon: stderr", d.stderr())
        db = glob.glob(os.path.join(d.dir, "**", "*.db"), recursive=True)
        t.ok(db, "daemon: the job store exists", db)
        for p in db:
            con = sqlite3.connect(p)
            dump = "\n".join(con.iterdump())
            con.close()
            audit.add("daemon: sqlite dump of %s" % os.path.basename(p), dump)
            audit.add_file(p, "daemon: raw %s" % os.path.basename(p))


audit = Audit()
t.run("CLI: run, show, compare, inventory with every kind of secret", cli_part, audit)
if daemon_bound():
    t.run("daemon: log, job store, results, events, metrics", daemon_part, audit)
else:
    t.skip("daemon audit", "netautod has no device backend bound in this build")
leaks = audit.leaks()
t.ok(len(audit.blobs) >= 10 and sum(len(b) for b in audit.blobs.values()) > 10000,
     "the audit read what was produced (%d sources, %d bytes)"
     % (len(audit.blobs), sum(len(b) for b in audit.blobs.values())))
t.ok(not leaks, "no secret in any byte produced", "\n".join("%s: %s" % kv for kv in leaks.items()))
t.done()
