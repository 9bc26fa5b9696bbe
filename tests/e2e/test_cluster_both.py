#!/usr/bin/python3
"""test_cluster_both.py — a single-node `both` cluster (api and worker in one netautod, jobs
through a real nats-server -js with a private store and a kernel-picked port) passes the
existing end-to-end tests of netautod's production backend: each listed test runs unchanged
with NETAUTO_TEST_CLUSTER set, which makes every production netautod the harness starts
(netautod_harness.Daemon) a `both` node of its own on that NATS server. One TAP line per test
file; a failing file's own failures are shown."""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster_lab import NatsNode  # noqa: E402
from netautod_harness import SLOW, Tap  # noqa: E402

# Not test_daemon_validation.py: it sends secret-looking job vars, which a cluster refuses by
# design (tasks are stored by NATS; secrets belong in each node's inventory vault) — that
# refusal is checked in test_cluster_jobs.py.
TESTS = ["test_daemon_backend.py", "test_daemon_backend_life.py", "test_daemon_backend_pool.py",
         "test_daemon_lifecycle.py", "test_daemon_parse.py", "test_secrets_audit.py"]

t = Tap()
nats = NatsNode().start()
env = dict(os.environ, NETAUTO_TEST_CLUSTER=nats.url)
for name in TESTS:
    t0 = time.time()
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, name)], env=env, capture_output=True, text=True,
                       timeout=900 * SLOW)
    lines = r.stdout.splitlines()
    bad = [ln for ln in lines if ln.startswith("not ok")]
    plan = [ln for ln in lines if ln.startswith("1..")]
    t.ok(r.returncode == 0 and not bad and plan,
         f"{name} passes on a single `both` cluster node ({len(lines) - 1} checks, "
         f"{time.time() - t0:.0f} s)", "\n".join(bad[:10]) + "\n" + r.stderr[-1500:])
nats.stop()
t.done()
