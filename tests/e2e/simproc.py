"""simproc.py — run netauto-sim from Python end-to-end tests: start it with your arguments in a
private temporary directory, wait for its ready file, read devices and ports, ask for stats
(SIGUSR1 + wait for a newer "seq"), and stop it (SIGTERM, then SIGKILL; always reaped, the
directory removed). Use it as a context manager so a failing test still stops the simulator.
The C twin is tests/lib/simproc.h. Not a simulator: that is tests/sim/.

    from simproc import Sim
    with Sim(["--devices", "2", "--fault", "sw2:slow=2000"]) as sim:
        d = sim.devices["sw1"]          # .name .personality .addr .ssh_port .telnet_port
        stats = sim.stats()             # dict from the stats JSON
        sim.counter("sw1", "logins.ssh")
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections import namedtuple

Device = namedtuple("Device", "name personality addr ssh_port telnet_port")

_running = set()


def _kill_leftovers():
    for p in list(_running):
        try:
            p.kill()
            p.wait(5)
        except Exception:  # noqa: BLE001
            pass


atexit.register(_kill_leftovers)


def build_dir():
    return os.environ.get("NETAUTO_BUILD") or os.path.join(
        os.environ.get("NETAUTO_ROOT", os.getcwd()), "build")


class SimError(Exception):
    pass


class Sim:
    def __init__(self, args=(), timeout=30.0, wrap=True):
        self.args = list(args)
        self.timeout = timeout
        self.wrap = wrap and bool(os.environ.get("NETAUTO_WRAP"))
        self.proc = None
        self.returncode = None
        self.last_stderr = ""
        self.devices = {}
        self.order = []
        self.seq = 0
        self.dir = tempfile.mkdtemp(prefix="netauto-sim.")
        self.ready = os.path.join(self.dir, "ready")
        self.stats_path = os.path.join(self.dir, "stats.json")
        self.inventory = os.path.join(self.dir, "inventory.yaml")
        self.known_hosts = self.inventory + ".known_hosts"
        self.log = os.path.join(self.dir, "sim.log")
        self.stderr_path = os.path.join(self.dir, "sim.stderr")

    # -- life cycle -------------------------------------------------------------------------
    def start(self):
        cmd = [os.path.join(build_dir(), "netauto-sim"), "--ready-file", self.ready,
               "--stats-file", self.stats_path, "--inventory-out", self.inventory,
               "--log", self.log] + self.args
        if self.wrap:
            cmd = os.environ["NETAUTO_WRAP"].split() + cmd
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._err, stderr=self._err,
                                     stdin=subprocess.DEVNULL)
        _running.add(self.proc)
        deadline = time.monotonic() + self.timeout
        while not os.path.exists(self.ready):
            rc = self.proc.poll()
            if rc is not None:
                err = self.stderr_text()
                self.stop()  # clears self.proc
                raise SimError("netauto-sim exited with %s before it was ready: %s" % (rc, err))
            if time.monotonic() > deadline:
                err = self.stderr_text()
                self.stop()
                raise SimError("netauto-sim not ready after %.0f s: %s" % (self.timeout, err))
            time.sleep(0.02)
        with open(self.ready) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                name, pers, addr, sp, tp = line.split()
                d = Device(name, pers, addr, int(sp), int(tp))
                self.devices[name] = d
                self.order.append(d)
        return self

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout=None):
        """Returns the exit status (0 = clean stop); None when it had to be killed. The first
        stop's status is kept in self.returncode and its stderr in self.last_stderr."""
        if self.proc is not None:
            rc = None
            if timeout is None:
                timeout = 30.0 if self.wrap else 5.0
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    rc = self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            else:
                rc = self.proc.returncode
            _running.discard(self.proc)
            self._err.close()
            self.proc = None
            self.returncode = rc
            self.last_stderr = self.stderr_text()
        if self.dir and os.path.isdir(self.dir):
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        return self.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        rc = self.stop()
        if rc != 0 and exc_type is None:
            # a crash, a sanitizer report or a hang at exit is a failure of the test
            raise SimError("netauto-sim did not stop cleanly (status %s): %s"
                           % (rc, self.last_stderr[-2000:]))
        return False

    # -- instrumentation -------------------------------------------------------------------
    def stats(self, timeout=10.0):
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(self.stats_path) as f:
                    j = json.load(f)
                if j.get("seq", 0) > self.seq:
                    self.seq = j["seq"]
                    return j
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise SimError("no new stats within %.0f s" % timeout)
            time.sleep(0.01)

    def counter(self, dev, path, stats=None):
        j = (stats or self.stats())["devices"][dev]
        for k in path.split("."):
            j = j[k]
        return j

    def log_lines(self):
        with open(self.log) as f:
            return f.read().splitlines()
