#!/usr/bin/python3
"""cluster.py — `make bench`'s cluster section (bench/run.sh): devices per minute through
netautod's cluster mode (docs/cluster.md) — one api node and 1, 2, 3 workers of one site on a
private nats-server -js, a configuration job (vlan 9 + show vlan brief) on simulated devices,
with a realistic service time per device (the simulator's slow fault: every device sends 2,000
bytes a second) and without. One JSON line per measured job on stdout (wall time from POST
/v1/jobs to the job's end). Not a test: it asserts nothing but that the job succeeded.

    bench/cluster.py BUILD_DIR   (environment: BENCH_CLUSTER="96:2000:16 1000:0:64", each
                                  DEVICES:SLOW_BPS:TASKS, measured with 1, 2 and 3 workers)"""

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if len(sys.argv) > 1:
    os.environ["NETAUTO_BUILD"] = os.path.abspath(sys.argv[1])
os.environ.setdefault("NETAUTO_ROOT", ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from backend_lab import sim_args  # noqa: E402
from cluster_lab import NatsNode, node, wait_job  # noqa: E402
from simproc import Sim  # noqa: E402

PB = {"p.yaml": "- hosts: all\n  tasks:\n"
      "    - {name: v, config: [\"vlan 9\", \"name nine\", \"exit\"]}\n"
      "    - {name: s, command: show vlan brief}\n"}
CASES = os.environ.get("BENCH_CLUSTER", "96:2000:16 1000:0:64").split()


def one(nats, n, slow, tasks, workers):
    extra = ["--fault", f"all:slow={slow}"] if slow else []
    with Sim(sim_args(n, *extra)) as sim:
        mk = lambda role, name: node(sim, [nats.url], role, "a", name,  # noqa: E731
                                     sites=lambda h: "a", playbooks=PB,
                                     config=f"  tasks: {tasks}\n")
        api = mk("api", f"bapi{n}{workers}")
        ws = [mk("worker", f"bw{n}x{workers}x{i}") for i in range(workers)]
        try:
            for d in ws + [api]:
                d.start()
            t0 = time.time()
            jid = api.submit("p")
            j = wait_job(api, jid, timeout=1800)
            dt = time.time() - t0
        finally:
            for d in ws + [api]:
                d.stop()
    ok = bool(j) and j["state"] == "succeeded"
    return {"section": "cluster", "tool": "netautod cluster", "devices": n,
            "service": f"slow={slow}" if slow else "none", "tasks": tasks,
            "workers": workers, "wall_s": round(dt, 2), "per_min": round(n / dt * 60),
            "rc": 0 if ok else 1, "warmup": False}


nats = NatsNode().start()
rc = 0
try:
    for case in CASES:
        n, slow, tasks = (int(x) for x in case.split(":"))
        for w in (1, 2, 3):
            r = one(nats, n, slow, tasks, w)
            rc |= r["rc"]
            print(json.dumps(r), flush=True)
finally:
    nats.stop()
sys.exit(rc)
