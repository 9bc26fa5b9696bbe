"""test_secrets_audit.py — the rule of issue 12 on everything netauto writes: what netauto itself
types (passwords, enable secrets, key passphrases, the vault passphrase, and the same values
typed inside a config line) never appears in any byte netauto writes; what a device printed stays
byte for byte in results, transcripts and backups; usernames are not secrets.

1. Strong secrets, never anywhere: a device password (from the vault), an enable secret (from
   ${ENV}), an SSH key passphrase (from the vault), the vault passphrase itself (a file, and
   $NETAUTO_VAULT_PASSWORD), a wrong password and a wrong enable secret (failed logins), and the
   device password typed by a playbook inside a config line (a local fallback user, which the
   device refuses, quoting nothing) go through `netauto inventory`, `run` (-vvvv trace logs,
   --json, --transcripts, --diff, and --check's rendering of what it would send), `show` (-vvv, --json, transcripts), `compare` (-vvv, text and
   --json), over SSH (password and encrypted key) and Telnet; then every byte of stdout, stderr
   and every file netauto wrote is searched for each secret, also hex-, base64- and
   escape-encoded. A control (`netauto vault decrypt`, which prints secrets by design) proves the
   search finds them.
2. Weak lab secrets that are also words of device output: the password `cisco` and the enable
   secret `admin` (user netops). `www.cisco.com` (show version) and `administratively down` (a
   shut interface in show ip interface brief) reach `show` (text and --json) and `run --json`
   results and the transcripts byte for byte, over SSH and Telnet; in the transcripts every line
   netauto sent is a command without them, the secrets themselves only `> secret`.

When netautod has a device backend bound (not "backend unbound"), the daemon is audited too: its
log at debug level, the SQLite job store dumped with Python's sqlite3, job results, SSE events,
ad-hoc command results, /metrics and /v1/hosts for the strong secrets; and with the weak
secrets, a job's results and the backups (show version, show ip interface brief) keep
`www.cisco.com` and `administratively down` byte for byte in the API, the job store and the
backups table; otherwise that part is skipped."""
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

WEAK = {"password": "cisco", "secret": "admin", "username": "netops"}
DEVICE_WORDS = ("www.cisco.com", "administratively down")

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
    - name: local fallback user with the device password
      config: ["username backup secret {{ fallback }}"]
      ignore_errors: true
"""

WEAK_PLAYBOOK = """
- name: weak
  hosts: all
  tasks:
    - name: shut a port
      config: ["interface GigabitEthernet0/2", "shutdown"]
    - name: brief
      command: show ip interface brief
    - name: brief, parsed
      command: show ip interface brief
      parse: true
    - name: version
      command: show version
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
                               "--json", os.path.join(outputs, "run.json"),
                               "-e", "fallback=" + SECRETS["device password"]] + vpf, env, 1),
                ("run --check", ["run", pb, "-i", inv, "--limit", "ssh-pw", "--check", "-vv",
                                 "--json", os.path.join(outputs, "check.json"),
                                 "-e", "fallback=" + SECRETS["device password"]] + vpf, env, 0),
                ("run --json -", ["run", pb, "-i", inv, "--limit", "bad-*", "--json", "-",
                                  "-vv", "-e", "fallback=x"], env_vault, 1),
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
            fb = [x for x in hs["ssh-pw"]["tasks"] if x["name"].startswith("local fallback")]
            t.ok(fb and fb[0]["commands"] == ["username backup secret ********"] and
                 fb[0]["ok"] is False and fb[0]["ignored"] is True,
                 "a config line holding the device password shows it as ********", fb)
            with open(os.path.join(outputs, "check.json")) as f:
                ck = json.load(f)["hosts"]["ssh-pw"]["tasks"]
            fb = [x for x in ck if x["name"].startswith("local fallback")]
            t.ok(fb and "username backup secret ********" in fb[0]["output"] and
                 fb[0]["commands"] == ["username backup secret ********"],
                 "--check: the rendering of that line (what would be sent) shows it as ********",
                 fb)
            tr = open(os.path.join(tdir, "ssh-pw.transcript"), "rb").read()
            t.ok(b'> "username backup secret "\n' in tr.replace(b"\r", b"") or
                 re.search(rb'> "username backup secret "\n[0-9.]+ > secret\n', tr),
                 "... and went out as its own secret write, recorded '> secret'")

            # control: the search finds secrets where they are
            res = r.netauto(["vault", "decrypt", vault] + vpf)
            found = find_secrets(res.out.encode())
            t.ok(any(f.startswith("device password") for f in found) and
                 any(f.startswith("key passphrase") for f in found),
                 "control: the search finds secrets in `netauto vault decrypt`", found)


def weak_part(audit):
    """Weak lab secrets that are also words of the device's output: the output stays exact."""
    with Run() as r, Sim(["--devices", "2", "--username", WEAK["username"], "--password",
                          WEAK["password"], "--secret", WEAK["secret"]]) as sim:
        with open(sim.inventory) as f:
            inv_text = f.read()
        inv = r.write("weak.yaml", inv_text)
        pb = r.write("weak-pb.yaml", WEAK_PLAYBOOK)
        tdir = r.path("weak-transcripts")
        sdir = r.path("weak-show")
        os.makedirs(sdir)
        os.makedirs(tdir)
        for tr in ("ssh", "telnet"):
            res = r.netauto(["run", pb, "-i", inv, "--transport", tr, "--transcripts",
                             os.path.join(tdir, tr), "-vvvv"], json_out=True, timeout=300 * SLOW)
            t.eq(res.rc, 0, "weak secrets, run over %s: exit 0" % tr)
            hs = (res.json or {}).get("hosts", {})
            outs = [x.get("output") or "" for h in hs.values() for x in h.get("tasks", [])]
            text = "\n".join(outs)
            t.ok(len(hs) == 2 and all(w in text for w in DEVICE_WORDS),
                 "weak secrets over %s: run --json keeps %s byte for byte" % (tr, DEVICE_WORDS),
                 text[-1500:])
            t.ok("********istratively" not in text and "www.********" not in text,
                 "... and nothing in it was rewritten")
            recs = json.dumps([x.get("parsed") for h in hs.values() for x in h.get("tasks", [])
                               if x.get("name") == "brief, parsed"])
            t.ok('"administratively down"' in recs and "********" not in recs,
                 "weak secrets over %s: the records parse: made of the output keep the device's "
                 "words" % tr, recs[-600:])
            for name in os.listdir(os.path.join(tdir, tr)):
                data = open(os.path.join(tdir, tr, name), "rb").read().decode()
                ins = "".join(l for l in data.splitlines(True) if re.match(r"[0-9.]+ < ", l))
                outs_ = [l for l in data.splitlines() if re.match(r"[0-9.]+ > ", l)]
                t.ok(all(w in ins for w in DEVICE_WORDS),
                     "weak secrets over %s: the transcript %s has the device's words" % (tr, name))
                bad = [l for l in outs_ if not l.endswith("> secret") and
                       (WEAK["password"] in l or WEAK["secret"] in l)]
                t.ok(not bad and sum(l.endswith("> secret") for l in outs_) >= 1,
                     "... and every line netauto sent is a command without the secrets (them: "
                     "'> secret')", bad)
            audit.add("weak run %s: stderr" % tr, res.err)
            res = r.netauto(["show", "-i", inv, "--limit", "all", "--transport", tr, "--json",
                             "--transcript", os.path.join(sdir, tr + "-{host}.tr"),
                             "show ip interface brief", "show version"], timeout=300 * SLOW)
            js = json.loads(res.out) if res.rc == 0 else {}
            text = "\n".join(c.get("output") or "" for h in js.get("hosts", [])
                             for c in h.get("commands", []))
            t.ok(res.rc == 0 and all(w in text for w in DEVICE_WORDS),
                 "weak secrets over %s: show --json keeps the device's words" % tr, res.err)
            res = r.netauto(["show", "-i", inv, "sw1", "--transport", tr, "show version"])
            t.ok(res.rc == 0 and "www.cisco.com" in res.out,
                 "weak secrets over %s: show's text output too" % tr, res.out[-600:])
            res = r.netauto(["show", "-i", inv, "sw1", "--transport", tr, "--parse", "--json",
                             "show ip interface brief"], timeout=300 * SLOW)
            js = json.loads(res.out) if res.rc == 0 else {}
            recs = json.dumps([c.get("parsed") for h in js.get("hosts", [])
                               for c in h.get("commands", [])])
            t.ok(res.rc == 0 and '"administratively down"' in recs and "********" not in recs,
                 "weak secrets over %s: records parsed from the output (--parse) keep the "
                 "device's words" % tr, (res.rc, recs[-600:], res.err[-300:]))


def daemon_bound():
    exe = os.path.join(build_dir(), "netautod")
    if not os.path.exists(exe):
        return False
    p = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    return p.returncode == 0 and "unbound" not in p.stdout + p.stderr


def daemon_part(audit):
    from netautod_harness import Daemon
    with Run() as r, Sim(["--devices", "2", "--password", SECRETS["device password"],
                          "--secret", SECRETS["enable secret"]]) as sim, \
            Sim(["--devices", "1:ios:wk", "--username", WEAK["username"], "--password",
                 WEAK["password"], "--secret", WEAK["secret"]]) as weak:
        d1, d2 = sim.devices["sw1"], sim.devices["sw2"]
        w1 = weak.devices["wk1"]
        kh = r.write("known_hosts", open(sim.known_hosts).read() + open(weak.known_hosts).read())
        inv = ("vault: secrets.vault\ndefaults:\n  platform: cisco_ios\n  username: admin\n"
               "  password: ${vault:device_password}\n  secret: ${vault:enable_secret}\n"
               "  host_key_policy: strict\n  known_hosts: %s\nhosts:\n"
               "  sw1: {host: 127.0.0.1, ssh_port: %d, telnet_port: %d}\n"
               "  tn1: {host: 127.0.0.1, ssh_port: %d, telnet_port: %d, transport: telnet}\n"
               "  bad1: {host: 127.0.0.1, ssh_port: %d, telnet_port: %d, password: '%s'}\n"
               "  wk1: {host: 127.0.0.1, ssh_port: %d, telnet_port: %d, username: %s,\n"
               "        password: %s, secret: %s}\n"
               % (kh, d1.ssh_port, d1.telnet_port, d2.ssh_port, d2.telnet_port,
                  d1.ssh_port, d1.telnet_port, SECRETS["wrong password"], w1.ssh_port,
                  w1.telnet_port, WEAK["username"], WEAK["password"], WEAK["secret"]))
        schedules = ("schedules:\n"
                     "  - {name: bk-version, cron: '0 3 * * *', backup: show version, limit: wk1}\n"
                     "  - {name: bk-brief, cron: '0 3 * * *', backup: show ip interface brief,"
                     " limit: wk1}\n")
        d = Daemon(config="vault_password_file: vault-pass\n" + schedules, inventory=inv,
                   production=True, log_level="debug",
                   playbooks={"audit.yaml": PLAYBOOK.replace("hosts: all", "hosts: sw1:tn1:bad1")
                              .replace("{{ fallback }}", "x"),
                              "weak.yaml": WEAK_PLAYBOOK.replace("hosts: all", "hosts: wk1")})
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
            # weak secrets: the device's words stay exact in results and backups
            status, job = d.json("POST", "/v1/jobs", {"playbook": "weak.yaml"})
            final = d.wait_job(job["id"], timeout=120 * SLOW) if "id" in job else {}
            blob = json.dumps(final)
            t.ok(final.get("state") == "succeeded" and
                 all(w in blob for w in DEVICE_WORDS) and "********istratively" not in blob,
                 "daemon, weak secrets: the job's results keep the device's words",
                 blob[-1500:])
            texts = ""
            for sched in ("bk-version", "bk-brief"):
                st, j = d.json("POST", "/v1/schedules/%s/run" % sched, {})
                done = d.wait_job(j["id"], timeout=120 * SLOW) if st == 202 else {}
                st, bl = d.json("GET", "/v1/backups/wk1")
                for b in (bl.get("backups") or []) if st == 200 else []:
                    st2, bk = d.json("GET", "/v1/backups/wk1/%s" % b["id"])
                    texts += bk.get("text", "") if st2 == 200 else ""
                t.eq(done.get("state"), "succeeded", "daemon, weak secrets: backup %s ran" % sched)
            t.ok(all(w in texts for w in DEVICE_WORDS) and "www.********" not in texts,
                 "daemon, weak secrets: the backups keep %s byte for byte" % (DEVICE_WORDS,),
                 texts[-1000:])
        finally:
            d.stop()
        audit.add("daemon: log", d.log())
        audit.add("daemon: stdout", d.stdout())
        audit.add("daemon: stderr", d.stderr())
        db = glob.glob(os.path.join(d.dir, "**", "*.db"), recursive=True)
        t.ok(db, "daemon: the job store exists", db)
        stored = ""
        for p in db:
            con = sqlite3.connect(p)
            dump = "\n".join(con.iterdump())
            stored += dump
            con.close()
            audit.add("daemon: sqlite dump of %s" % os.path.basename(p), dump)
            audit.add_file(p, "daemon: raw %s" % os.path.basename(p))
        t.ok(all(w in stored for w in DEVICE_WORDS) and "********istratively" not in stored and
             "www.********" not in stored,
             "daemon, weak secrets: the job store (results, backups) keeps the device's words")


audit = Audit()
t.run("CLI: run, show, compare, inventory with every kind of secret", cli_part, audit)
t.run("CLI: weak lab secrets that are words of the device's output", weak_part, audit)
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
