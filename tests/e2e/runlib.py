"""runlib.py — helpers for the `netauto run` end-to-end tests (test_run_*.py): run the netauto
binary with a deadline (a hung run is killed and reported, never left behind), keep playbooks
and inventories in a private temporary directory, read the --json results, and read device
state from the simulator's stats. Not a test framework (tap.py) and not the simulator (simproc.py).

    from runlib import Run
    with Sim(["--devices", "3"]) as sim, Run() as r:
        pb = r.write("pb.yaml", PLAYBOOK)
        res = r.netauto(["run", pb, "-i", sim.inventory], json_out=True)
        res.rc, res.out, res.err, res.json["hosts"]["sw1"]["ok"]
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile

from simproc import build_dir


class Result:
    def __init__(self, rc, out, err, js):
        self.rc = rc
        self.out = out
        self.err = err
        self.json = js

    def host(self, name):
        return self.json["hosts"][name]

    def diag(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.out[-3000:], self.err[-3000:])


class Run:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="netauto-run.")
        self.exe = os.path.join(build_dir(), "netauto")
        self.wrap = os.environ.get("NETAUTO_WRAP", "").split()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def popen(self, args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.Popen(self.wrap + [self.exe] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=e,
                                start_new_session=True)

    def netauto(self, args, json_out=False, timeout=180, env=None):
        """Run netauto; with json_out, add --json FILE and load it (None when absent)."""
        args = list(args)
        jpath = None
        if json_out:
            jpath = self.path("results.json")
            if os.path.exists(jpath):
                os.unlink(jpath)
            args += ["--json", jpath]
        p = self.popen(args, env)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            raise AssertionError("netauto %s did not finish within %d s:\n%s\n%s"
                                 % (" ".join(args), timeout, out.decode(errors="replace")[-2000:],
                                    err.decode(errors="replace")[-2000:]))
        js = None
        if jpath and os.path.exists(jpath):
            with open(jpath) as f:
                js = json.load(f)
        return Result(p.returncode, out.decode(errors="replace"), err.decode(errors="replace"), js)


def device(stats, name):
    return stats["devices"][name]


def total(stats, key):
    """Sum of a per-device counter over every device (logins is {ssh, telnet})."""
    n = 0
    for d in stats["devices"].values():
        v = d[key]
        n += sum(v.values()) if isinstance(v, dict) else v
    return n
