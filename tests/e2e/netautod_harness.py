"""netautod_harness.py — shared helpers for netautod's Python end-to-end tests
(tests/e2e/test_daemon_*.py): a TAP printer, a Daemon that runs netautod with the TEST DOUBLE
backend (build/tests/e2e/test_netautod_double serve ...) or the production binary in a private
temporary directory on 127.0.0.1 and an ephemeral port, HTTPS requests verified against the
daemon's own certificate, server-sent events, and a Prometheus exposition parser.

Everything a test starts is stopped and removed at exit, even when the test fails. Not a test
itself (run.sh only runs test_*.py)."""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("NETAUTO_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("NETAUTO_BUILD") or os.path.join(ROOT, "build")
DOUBLE = os.path.join(BUILD, "tests", "e2e", "test_netautod_double")
NETAUTOD = os.path.join(BUILD, "netautod")
NETAUTO = os.path.join(BUILD, "netauto")
WRAP = os.environ.get("NETAUTO_WRAP", "").split()
# Generous: valgrind and ASan builds are slow.
SLOW = 4 if WRAP else 1

_procs = []
_dirs = []


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=10)
            except Exception:
                pass
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def _on_signal(sig, frame):
    _cleanup()
    sys.exit(1)


signal.signal(signal.SIGTERM, _on_signal)


class Tap:
    """TAP output: ok(cond, name) prints "ok N - name" / "not ok N - name"."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            if diag is not None:
                for line in str(diag).splitlines()[:40]:
                    print(f"# {line}", flush=True)
        return bool(cond)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


INVENTORY = """\
hosts:
  sw1:
    groups: [core]
    commands:
      "show version": "Cisco IOS Software, Version 15.2\\n"
      "show running-config": "hostname sw1\\ninterface Gi0/1\\n description uplink\\n"
  sw2:
    groups: [core]
    password: S3cr3t-Pass-42
  sw3:
    groups: [edge]
  bad:
    groups: [broken]
    login_fail: true
"""

PLAYBOOKS = {
    "quick.yaml": """\
hosts: core
tasks:
  - {name: show version, command: show version, delay_ms: 20}
  - {name: set vlan, delay_ms: 20, changed: true}
""",
    "slow.yaml": """\
tasks:
  - {name: step, delay_ms: 100, delay_ms_by_host: {sw3: 30000}}
""",
    "long.yaml": """\
tasks:
  - {name: long step, delay_ms: 1500}
""",
    "fails.yaml": """\
tasks:
  - {name: first, delay_ms: 10}
  - {name: breaks on sw2, delay_ms: 10, fail_on: [sw2]}
""",
}


class Daemon:
    """One netautod in its own temporary directory."""

    def __init__(self, config="", inventory=INVENTORY, playbooks=None, production=False,
                 token=True, log_level="debug"):
        self.dir = tempfile.mkdtemp(prefix="netautod-e2e-")
        _dirs.append(self.dir)
        self.production = production
        self.binary = NETAUTOD if production else DOUBLE
        self.proc = None
        self.port = None
        self.fingerprint = None
        os.makedirs(os.path.join(self.dir, "playbooks"))
        self.write("inventory.yaml", inventory)
        for name, text in (PLAYBOOKS if playbooks is None else playbooks).items():
            self.write(os.path.join("playbooks", name), text)
        self.config = os.path.join(self.dir, "netautod.yaml")
        base = ("port: 0\nstate_dir: state\ninventory: inventory.yaml\n"
                f"playbook_dir: playbooks\nlog: {{file: netautod.log, level: {log_level}}}\n")
        self.write("netautod.yaml", base + config)
        self.token = self.token_add("ci") if token else None

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)

    def argv(self, *args):
        pre = [] if self.production else ["serve"]
        return WRAP + [self.binary] + pre + list(args) + ["--config", self.config]

    def run(self, *args, env=None, timeout=60):
        return subprocess.run(self.argv(*args), capture_output=True, text=True,
                              timeout=timeout * SLOW, env=env)

    def token_add(self, name, scope="admin"):
        r = self.run("token", "add", name, "--scope", scope)
        if r.returncode != 0 and "--scope" in r.stderr and "unknown option" in r.stderr:
            # a netautod from before token scopes (to check that a regression test fails on
            # it): every token there had full access
            r = self.run("token", "add", name)
        if r.returncode != 0:
            raise RuntimeError(f"token add failed: {r.stderr}")
        return r.stdout.strip()

    # ---- process ------------------------------------------------------------------------
    def start(self, env=None, expect_fail=False, timeout=30, preexec_fn=None):
        out = open(self.path("stdout.txt"), "w")
        err = open(self.path("stderr.txt"), "w")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.proc = subprocess.Popen(self.argv(), stdout=out, stderr=err, env=e,
                                     cwd=self.dir, preexec_fn=preexec_fn)
        out.close()
        err.close()
        _procs.append(self.proc)
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            text = self.stdout()
            m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", text)
            f = re.search(r"fingerprint (SHA256:[0-9a-f]{64})", text)
            if m and f:
                self.port = int(m.group(1))
                self.fingerprint = f.group(1)
                self.cert = self.path("state/tls-cert.pem")
                return True
            if self.proc.poll() is not None:
                if expect_fail:
                    return False
                raise RuntimeError(f"netautod exited {self.proc.returncode}: "
                                   f"{self.stderr()}")
            time.sleep(0.02)
        raise RuntimeError("netautod did not start in time: " + self.stderr())

    def stdout(self):
        with open(self.path("stdout.txt")) as f:
            return f.read()

    def stderr(self):
        with open(self.path("stderr.txt")) as f:
            return f.read()

    def log(self):
        try:
            with open(self.path("netautod.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit status (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    # ---- HTTPS ---------------------------------------------------------------------------
    def context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        return ctx

    def conn(self, timeout=30):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context(),
                                           timeout=timeout * SLOW)

    def request(self, method, path, body=None, token="default", headers=None, timeout=30):
        """Returns (status, headers dict (lower-case), body bytes)."""
        h = dict(headers or {})
        tok = self.token if token == "default" else token
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            h.setdefault("Content-Type", "application/json")
        c = self.conn(timeout)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            payload = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, payload
        finally:
            c.close()

    def json(self, method, path, body=None, **kw):
        status, _, payload = self.request(method, path, body, **kw)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload

    def submit(self, playbook, **fields):
        body = {"playbook": playbook}
        body.update(fields)
        status, j = self.json("POST", "/v1/jobs", body)
        if status != 202:
            raise RuntimeError(f"submit {playbook}: {status} {j}")
        return j["id"]

    def job(self, job_id):
        return self.json("GET", f"/v1/jobs/{job_id}")[1]

    def wait_job(self, job_id, timeout=30, states=("succeeded", "failed", "cancelled",
                                                   "interrupted")):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            j = self.job(job_id)
            if j and j.get("state") in states:
                return j
            time.sleep(0.05)
        return self.job(job_id)

    def events(self, job_id, last_id=None, timeout=60, stop_after=None, on_open=None):
        """Read the job's event stream until the server ends it (or stop_after events).
        Returns a list of (id, event, data) with data parsed from JSON."""
        h = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        if last_id is not None:
            h["Last-Event-ID"] = str(last_id)
        c = self.conn(timeout)
        c.request("GET", f"/v1/jobs/{job_id}/events", headers=h)
        r = c.getresponse()
        if r.status != 200:
            c.close()
            raise RuntimeError(f"events: HTTP {r.status}")
        if on_open:
            on_open(c)
        out = []
        cur = {}
        try:
            while True:
                line = r.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                if line == "":
                    if "event" in cur:
                        out.append((int(cur.get("id", "0")), cur["event"],
                                    json.loads(cur.get("data", "null"))))
                        if stop_after and len(out) >= stop_after:
                            break
                    cur = {}
                    continue
                if line.startswith(":"):
                    cur.setdefault("_comments", 0)
                    continue
                k, _, v = line.partition(":")
                cur[k] = v[1:] if v.startswith(" ") else v
        finally:
            c.close()
        return out

    def metrics(self):
        status, _, payload = self.request("GET", "/metrics")
        return status, payload.decode()

    def loop_lag(self):
        """netautod's own loop-lag histogram ({le: cumulative count}) from /metrics: how late
        its event loop ran a 100 ms timer. Compare two snapshots with lag_worst()."""
        _, text = self.metrics()
        s = parse_exposition(text)
        h = {float(re.search(r'le="([^"]+)"', lab).group(1)): v
             for (name, lab), v in s.items() if name == "netautod_loop_lag_seconds_bucket"}
        return h or {float("inf"): 0}  # a netautod without the histogram


def rss_env():
    """The environment for a netautod whose memory a test measures: under AddressSanitizer
    (make asan) freed memory waits in a quarantine (up to 256 MB), so data that only passed
    through would count as held; this turns the quarantine off for that daemon (leaks, overflows
    and use-after-free of live memory are still caught)."""
    asan = os.environ.get("ASAN_OPTIONS")
    return {"ASAN_OPTIONS": asan + ":quarantine_size_mb=0"} if asan else None


def lag_worst(before, after):
    """The upper bound (seconds) of the worst loop lag seen between two loop_lag() snapshots:
    the smallest bucket that holds every sample taken in between."""
    total = after[float("inf")] - before[float("inf")]
    if total <= 0:
        return float("inf")  # no sample: the loop never ran the timer (or has none)
    for le in sorted(after):
        if after[le] - before.get(le, 0) >= total:
            return le
    return float("inf")


def parse_exposition(text):
    """Parse Prometheus text format strictly enough to catch mistakes. Returns
    {(name, labels-string): value}; raises ValueError on anything malformed."""
    name_re = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    sample_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
    label_re = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"$')
    types = {}
    samples = {}
    if not text.endswith("\n"):
        raise ValueError("no final newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 4 or parts[1] not in ("HELP", "TYPE"):
                raise ValueError(f"line {n}: bad comment {line!r}")
            if not name_re.match(parts[2]):
                raise ValueError(f"line {n}: bad name")
            if parts[1] == "TYPE":
                if parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    raise ValueError(f"line {n}: bad type")
                if parts[2] in types:
                    raise ValueError(f"line {n}: TYPE twice")
                types[parts[2]] = parts[3]
            continue
        m = sample_re.match(line)
        if not m:
            raise ValueError(f"line {n}: bad sample {line!r}")
        name, labels, value = m.group(1), m.group(3) or "", m.group(4)
        if labels:
            for lab in labels.split(","):
                if not label_re.match(lab):
                    raise ValueError(f"line {n}: bad label {lab!r}")
        float(value)  # "+Inf", "NaN" and numbers are accepted by float()
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and types.get(name[:-len(suf)]) == "histogram":
                fam = name[:-len(suf)]
        if fam not in types:
            raise ValueError(f"line {n}: {name} has no TYPE before it")
        samples[(name, labels)] = float(value)
    # histograms: cumulative buckets ending in +Inf == _count
    for fam, t in types.items():
        if t != "histogram":
            continue
        buckets = [(k[1], v) for k, v in samples.items() if k[0] == fam + "_bucket"]
        les = [(float(re.search(r'le="([^"]+)"', lab).group(1)), v) for lab, v in buckets]
        les.sort()
        if not les or les[-1][0] != float("inf"):
            raise ValueError(f"{fam}: no +Inf bucket")
        for (a, va), (b, vb) in zip(les, les[1:]):
            if vb < va:
                raise ValueError(f"{fam}: buckets not cumulative")
        if les[-1][1] != samples.get((fam + "_count", "")):
            raise ValueError(f"{fam}: +Inf bucket != _count")
    return samples


def raw_connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def closed_within(sock, seconds):
    """True if the peer closes the connection (EOF or reset) within `seconds`."""
    sock.settimeout(seconds)
    t0 = time.time()
    try:
        while time.time() - t0 < seconds:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, ssl.SSLError, OSError) as e:
        if isinstance(e, socket.timeout):
            return False
        return True
    return False
