"""clirun.py — run the real `netauto` binary from Python end-to-end tests: the path from
$NETAUTO_BUILD, $NETAUTO_WRAP (valgrind) in front when set, a new session (no controlling
terminal, so nothing can wait on a passphrase prompt), a deadline, and the elapsed time.
Not a test framework: tap.py prints the results, simproc.py runs the simulator.

    from clirun import netauto
    r = netauto("show", "-i", inv, "sw1", "show clock")
    r.rc, r.out, r.err, r.secs
"""
import os
import shlex
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
