#!/usr/bin/python3
"""test_daemon_security.py — netautod's tokens, files, TLS and logs (issue 16: scopes and
revocation, items 4, 10, 11, 12), with the test-double backend:

- scopes end to end, with curl and the netauto CLI: read, run, commands, admin each allow their
  routes and get 403 elsewhere (audited with the token's name); /metrics with read; only admin
  reads the audit trail; `netautod token revoke` takes effect at the next request (no SIGHUP);
  failed authentications are audited with the client's address; `token add` needs --scope;
- files: with a state_dir created 0755 beforehand (the config's own directory, say) the store,
  its WAL and SHM, the log, the tokens and the TLS pair are 0600; files an older netautod left
  0644 are made private; a group- or world-writable state_dir is refused;
- a command whose client goes away while it waits for the device is cancelled: the device never
  sees it (the test double counts every operation);
- TLS: the generated certificate is a leaf (`openssl x509 -text`: CA:FALSE, no Certificate
  Sign), a CA left by an older netautod is replaced; a CBC suite is refused, AEAD ones work;
- logs: a request path with ESC is logged escaped; `netauto --token T` blanks T from its
  command line (/proc/PID/cmdline) and warns; NETAUTO_TOKEN and --token-file need no warning."""

import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netautod_harness import NETAUTO, SLOW, WRAP, Daemon, Tap  # noqa: E402

t = Tap()
CURL = shutil.which("curl")
OPENSSL = shutil.which("openssl")


def curl(d, method, path, token, body=None):
    argv = [CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", d.cert, "-X",
            method, "-H", f"Authorization: Bearer {token}"]
    if body is not None:
        argv += ["-H", "Content-Type: application/json", "--data-binary", body]
    r = subprocess.run(argv + [f"https://127.0.0.1:{d.port}{path}"], capture_output=True,
                       text=True, timeout=60 * SLOW)
    return int(r.stdout or 0)


def cli(d, token, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETAUTO_") or
           k in ("NETAUTO_BUILD", "NETAUTO_ROOT", "NETAUTO_WRAP")}
    env.update({"NETAUTO_SERVER": f"https://127.0.0.1:{d.port}",
                "NETAUTO_FINGERPRINT": d.fingerprint})
    if token:
        env["NETAUTO_TOKEN"] = token
    env.update(env_extra or {})
    return subprocess.run(WRAP + [NETAUTO] + list(args), capture_output=True, text=True,
                          env=env, timeout=120 * SLOW)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---- scopes and revocation ------------------------------------------------------------------------
d = Daemon()
r = d.run("token", "add", "nobody")
t.ok(r.returncode == 2 and "--scope" in r.stderr, "token add without --scope is refused",
     r.stderr)
r = d.run("token", "add", "x", "--scope", "read,write")
t.ok(r.returncode == 2 and "unknown scope 'write'" in r.stderr, "an unknown scope is refused",
     r.stderr)
tok = {s: d.token_add(s, scope) for s, scope in
       (("reader", "read"), ("runner", "run,read"), ("cmds", "commands"), ("boss", "admin"))}
r = d.run("token", "list")
t.ok("reader" in r.stdout and "scopes read" in r.stdout and "scopes read,run" in r.stdout,
     "token list shows the scopes", r.stdout)
d.start()
matrix = {
    ("GET", "/v1/jobs"): {"reader": 200, "runner": 200, "cmds": 403, "boss": 200},
    ("GET", "/metrics"): {"reader": 200, "runner": 200, "cmds": 403, "boss": 200},
    ("GET", "/v1/inventory"): {"reader": 200, "runner": 200, "cmds": 403, "boss": 200},
    ("POST", "/v1/jobs"): {"reader": 403, "runner": 202, "cmds": 403, "boss": 202},
    ("POST", "/v1/commands"): {"reader": 403, "runner": 403, "cmds": 200, "boss": 200},
    ("GET", "/v1/audit"): {"reader": 403, "runner": 403, "cmds": 403, "boss": 200},
}
bodies = {"/v1/jobs": '{"playbook": "quick"}',
          "/v1/commands": '{"host": "sw1", "commands": ["show version"]}'}
got = {}
for (method, path), want in matrix.items():
    for who, code in want.items():
        got[(method, path, who)] = curl(d, method, path, tok[who],
                                        bodies.get(path) if method == "POST" else None)
bad = {k: v for k, v in got.items() if v != matrix[k[:2]][k[2]]}
t.ok(not bad, "curl: each scope reaches its routes, 403 elsewhere (read: GETs and /metrics; "
     "run: jobs; commands: commands; admin: all and the audit trail)", bad)
st, a = d.json("GET", "/v1/audit?limit=500", token=tok["boss"])
denied = [(x["who"], x["target"]) for x in a["audit"] if x["action"] == "denied"]
t.ok(("reader", "POST /v1/jobs") in denied and ("cmds", "GET /v1/jobs") in denied and
     ("runner", "GET /v1/audit") in denied,
     "every 403 is audited with the token's name and what it tried", denied[:6])
r = cli(d, tok["reader"], "run", "quick")
t.ok(r.returncode != 0 and "needs the 'run' scope" in r.stderr,
     "CLI: netauto run with a read token is refused (403, the scope named)", r.stderr)
r = cli(d, tok["runner"], "run", "quick")
t.ok(r.returncode == 0 and "succeeded" in r.stdout, "CLI: netauto run with a run,read token",
     r.stdout + r.stderr)
r = cli(d, tok["reader"], "show", "sw1", "show version")
t.ok(r.returncode != 0 and "needs the 'commands' scope" in r.stderr,
     "CLI: netauto show with a read token is refused", r.stderr)
r = cli(d, tok["cmds"], "show", "sw1", "show version")
t.ok(r.returncode == 0 and "Cisco IOS Software" in r.stdout, "CLI: netauto show with a "
     "commands token", r.stdout + r.stderr)
r = d.run("token", "revoke", "runner")
code = curl(d, "GET", "/v1/jobs", tok["runner"])
t.ok(r.returncode == 0 and code == 401, "a revoked token is refused at its next request, "
     "without SIGHUP", (r.stderr, code))
r = cli(d, tok["runner"], "jobs")
t.ok(r.returncode != 0 and "invalid token" in r.stderr, "... and by the CLI", r.stderr)
code = curl(d, "GET", "/v1/jobs", "nat_" + "Z" * 43)
st, a = d.json("GET", "/v1/audit?limit=50", token=tok["boss"])
fails = [x for x in a["audit"] if x["action"] == "auth.failed"]
t.ok(code == 401 and fails and fails[0]["target"] == "127.0.0.1" and
     "GET /v1/jobs: invalid token" in fails[0]["detail"],
     "a failed authentication is audited with the client's address", fails[:2])

# ---- a command whose client goes away ----------------------------------------------------------------
jid = d.submit("slow", limit="sw3")  # holds sw3 for 30 s
time.sleep(0.5)
ops0 = d.json("GET", "/v1/hosts/sw3", token=tok["boss"])[1]["status"]["double_ops"]
s = d.context().wrap_socket(socket.create_connection(("127.0.0.1", d.port)),
                            server_hostname="127.0.0.1")
body = b'{"host": "sw3", "commands": ["show version"]}'
s.sendall(b"POST /v1/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
          tok["boss"].encode() + b"\r\nContent-Type: application/json\r\nContent-Length: " +
          str(len(body)).encode() + b"\r\n\r\n" + body)
time.sleep(0.5)
s.close()  # gone while the command waits for sw3
time.sleep(0.5)
d.json("DELETE", f"/v1/jobs/{jid}", token=tok["boss"])
d.wait_job(jid)
time.sleep(1.0)  # a command that still waited would run now
ops1 = d.json("GET", "/v1/hosts/sw3", token=tok["boss"])[1]["status"]["double_ops"]
st, a = d.json("GET", "/v1/audit?limit=50", token=tok["boss"])
t.ok(ops1 == ops0 and any(x["action"] == "commands.abandoned" for x in a["audit"]),
     "a command whose client went away while it waited for the device never runs (audited)",
     (ops0, ops1))

# ---- logs --------------------------------------------------------------------------------------------
s = d.context().wrap_socket(socket.create_connection(("127.0.0.1", d.port)),
                            server_hostname="127.0.0.1")
s.sendall(b"GET /v1/\x1b[2J\x1b[31mpwned HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
          tok["boss"].encode() + b"\r\n\r\n")
s.settimeout(10)
reply = s.recv(200)
s.close()
d.json("GET", "/v1/hosts/sw%1b%5b31m", token=tok["boss"])
time.sleep(0.2)
log = d.log()
t.ok(b"404" in reply.split(b"\r\n")[0] and "\x1b" not in log and "\\x1b[31mpwned" in log,
     "a request path with ESC is logged with the ESC escaped (\\x1b)",
     [ln for ln in log.splitlines() if "pwned" in ln or "sw" in ln][-3:])
jid = d.submit("long", limit="sw1")  # 1.5 s: a follower runs that long
p = subprocess.Popen(WRAP + [NETAUTO, "--server", f"https://127.0.0.1:{d.port}", "--fingerprint",
                             d.fingerprint, "--token", tok["boss"], "job", str(jid), "--follow"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(0.5 * SLOW)
try:
    with open(f"/proc/{p.pid}/cmdline", "rb") as f:
        cmdline = f.read()
except OSError:
    cmdline = b"?"
out, err = p.communicate(timeout=60 * SLOW)
t.ok(tok["boss"].encode() not in cmdline and b"xxxxxxxx" in cmdline and p.returncode == 0 and
     "can be read by other local users" in err,
     "netauto --token T works, warns, and blanks T from its command line (/proc/PID/cmdline)",
     (cmdline, err))
r = cli(d, tok["boss"], "jobs")
t.ok(r.returncode == 0 and "warning" not in r.stderr, "NETAUTO_TOKEN: no warning", r.stderr)
d.stop()

# ---- files ---------------------------------------------------------------------------------------------
d = Daemon(token=False)
os.makedirs(d.path("state"), mode=0o755)
os.chmod(d.path("state"), 0o755)  # like a config directory
d.token = d.token_add("ci", "admin")
d.start()
d.submit("quick")  # the store, its WAL and SHM exist now
time.sleep(0.3)
files = ["state/jobs.db", "state/jobs.db-wal", "state/jobs.db-shm", "netautod.log",
         "state/tokens", "state/tls-key.pem", "state/tls-cert.pem"]
modes = {f: oct(mode(d.path(f))) for f in files if os.path.exists(d.path(f))}
t.ok(len(modes) == len(files) and all(m == "0o600" for m in modes.values()),
     "state_dir 0755: the store, WAL, SHM, log, tokens and TLS pair are 0600", modes)
t.ok("can be listed by others" in d.log(), "netautod says the state directory should be 0700")
d.stop()
for f in ("state/jobs.db", "netautod.log", "state/tokens"):
    os.chmod(d.path(f), 0o644)  # as an older netautod left them
d.start()
modes = {f: oct(mode(d.path(f))) for f in ("state/jobs.db", "netautod.log", "state/tokens")}
t.ok(all(m == "0o600" for m in modes.values()), "files left 0644 are made private at start",
     modes)
d.stop()
os.chmod(d.path("state"), 0o775)
ok = d.start(expect_fail=True)
t.ok(not ok and "writable by its group" in d.stderr(),
     "a group-writable state_dir is refused", d.stderr()[-400:])
os.chmod(d.path("state"), 0o777)
ok = d.start(expect_fail=True)
t.ok(not ok and "writable by everyone" in d.stderr(), "a world-writable state_dir is refused",
     d.stderr()[-400:])

# ---- TLS ------------------------------------------------------------------------------------------------
d = Daemon()
os.chmod(d.path("state"), 0o700)
d.start()
x = subprocess.run([OPENSSL, "x509", "-in", d.cert, "-noout", "-text"], capture_output=True,
                   text=True).stdout
t.ok("CA:FALSE" in x and "Certificate Sign" not in x and "TLS Web Server Authentication" in x,
     "openssl x509 -text: the generated certificate is a leaf (CA:FALSE, no Certificate Sign)",
     x)


def s_client(*opts):
    r = subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{d.port}", "-CAfile",
                        d.cert] + list(opts), input="", capture_output=True, text=True,
                       timeout=30 * SLOW)
    return r.returncode == 0 and "Verify return code: 0 (ok)" in r.stdout, r.stdout + r.stderr


cbc, out_cbc = s_client("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA")
gcm, out_gcm = s_client("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
t13, out_13 = s_client("-tls1_3")
t.ok(not cbc and gcm and t13, "AEAD suites only: TLS 1.2 CBC refused, AES-GCM and TLS 1.3 work",
     (out_cbc[-300:], out_gcm[-300:]))
d.stop()
# a CA certificate an older netautod generated is replaced by a leaf
os.remove(d.cert)
os.remove(d.path("state/tls-key.pem"))
subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", d.path("state/tls-key.pem"), "-out", d.cert, "-days", "30",
                "-subj", "/O=netautod/CN=netautod", "-addext",
                "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext",
                "keyUsage=critical,digitalSignature,keyCertSign"], capture_output=True)
d.start()
x = subprocess.run([OPENSSL, "x509", "-in", d.cert, "-noout", "-text"], capture_output=True,
                   text=True).stdout
t.ok("CA:FALSE" in x and "replacing it" in d.stderr(),
     "a CA certificate left by an older netautod is replaced with a leaf (and said so)",
     d.stderr()[-400:])
st, _ = d.json("GET", "/healthz", token=None)
t.ok(st == 200, "and clients trusting the new certificate connect")
d.stop()
sys.exit(t.done())
