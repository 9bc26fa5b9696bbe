#!/usr/bin/python3
"""test_files_scale.py — one `netauto put` process sends a 20 MiB file to 100 simulated devices at
once (--forks 100): every device ends with the file, verified by its own md5 and byte for byte
on its flash; the simulator's log shows the transfers overlapping (all started before the first
one ended); netauto's peak memory stays bounded (VmHWM < 256 MiB: ~21 MiB measured); a second
run sends nothing to any of them. The time taken is printed as a diagnostic (speed goals live
in `make bench`). Prints TAP."""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import NETAUTO, netauto  # noqa: E402
from filesutil import MIB, check, peak_rss_kib  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
N = 100


tmp = tempfile.mkdtemp(prefix="netauto-files-scale.")
state = os.path.join(tmp, "state")
src = os.path.join(tmp, "image.bin")
with open(src, "wb") as f:
    block = hashlib.sha256(b"scale").digest() * (MIB // 32)
    for i in range(20):
        f.write(bytes([i]) + block[1:])
with open(src, "rb") as f:
    want = hashlib.sha256(f.read()).hexdigest()

try:
    with Sim(["--devices", "%d:ios" % N, "--state-dir", state], timeout=120) as sim:
        inv = sim.inventory

        def hundred_at_once():
            t0 = time.monotonic()
            rc, out, hwm = peak_rss_kib([NETAUTO, "put", "-i", inv, "all", src, "image.bin",
                                         "--forks", str(N), "--json"])
            secs = time.monotonic() - t0
            check(rc == 0, "exit %s\n%s" % (rc, out[-3000:]))
            j = json.loads(out)["hosts"]
            check(len(j) == N and all(h["changed"] and h["sent"] == 20 * MIB for h in j.values()),
                  "every host got it")
            t.diag("%d devices x 20 MiB from one process: %.1f s, %.1f MiB/s in all; peak RSS "
                   "%d KiB" % (N, secs, N * 20 / secs, hwm))
            check(hwm < 256 * 1024, "memory bounded: %d KiB" % hwm)
            for k in range(1, N + 1):
                with open(os.path.join(state, "sw%d" % k, "flash", "image.bin"), "rb") as f:
                    check(hashlib.sha256(f.read()).hexdigest() == want, "sw%d differs" % k)
            # overlapping: every transfer began before the first verified copy was renamed
            starts, first_end = 0, None
            for line in sim.log_lines():
                w = line.split(" ", 5)
                if len(w) > 5 and w[4] == "scp":
                    starts += 1
                elif len(w) > 5 and w[4] == "command" and w[5].startswith("rename "):
                    if first_end is None:
                        first_end = starts
            check(starts == N and first_end == N,
                  "%s transfers had started when the first one ended" % first_end)
            return True
        t.run("100 devices receive a 20 MiB file at once from one process, memory bounded",
              hundred_at_once)

        def second_run():
            r = netauto("put", "-i", inv, "all", src, "image.bin", "--forks", str(N), "--json",
                        timeout=600)
            check(r.rc == 0, r.err[-3000:])
            j = json.loads(r.out)["hosts"]
            check(all(not h["changed"] and h["sent"] == 0 for h in j.values()), "nothing sent")
            return True
        t.run("the second run sends nothing to any of them", second_run)

finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
