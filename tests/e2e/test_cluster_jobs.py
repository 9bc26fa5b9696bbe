#!/usr/bin/python3
"""test_cluster_jobs.py — netautod in cluster mode through a real nats-server -js (private
store, ports the kernel picks): one api node and three workers in two sites (a: two workers,
b: one) run a configuration job on 300 simulated devices (odd-numbered in site a, even in b).
The job succeeds with every host once, each with `attempts` and the worker that ran it (of the
host's site); the simulator confirms no device ever had two sessions at once, every device was
logged in to once and has VLAN 9 once; the workers together report as many finished tasks as
hosts; GET /v1/cluster lists the four nodes and both sites healthy; /metrics carries the
cluster's counters and the per-site consumer lag; a worker refuses jobs (501); a job with
secret-looking vars is refused (400: tasks are stored by NATS); a 3 MB output (over NATS'
max_payload) reaches the job byte for byte, in chunks; a bad cluster: section is an error with
its position."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import sim_args  # noqa: E402
from cluster_lab import NatsNode, cluster_config, node, wait_job  # noqa: E402
from netautod_harness import Daemon, Tap, parse_exposition  # noqa: E402
from simproc import Sim  # noqa: E402

t = Tap()
N = int(os.environ.get("NETAUTO_CLUSTER_DEVICES", "300"))

VLAN9 = """\
- name: vlan 9 everywhere
  hosts: all
  tasks:
    - name: vlan 9
      config: ["vlan 9", "name nine", "exit"]
"""
TECH = """\
- hosts: all
  tasks:
    - {name: tech, command: show tech-support}
"""
PB = {"vlan9.yaml": VLAN9, "tech.yaml": TECH}
HUGE = 3000000


def site_of(name):
    return "a" if int(name[2:]) % 2 else "b"


nats = NatsNode().start()
with Sim(sim_args(N, "--fault", f"sw1:huge-output={HUGE}")) as sim:
    mk = lambda role, site, name: node(sim, [nats.url], role, site, name, sites=site_of,  # noqa
                                       playbooks=PB)
    api = mk("api", "default", "api1")
    workers = [mk("worker", "a", "wa1"), mk("worker", "a", "wa2"), mk("worker", "b", "wb1")]
    for w in workers:
        w.start()
    api.start()

    # a bad cluster: section is refused with its position
    bad = Daemon(config=cluster_config([nats.url], "sideways", "a", "x1"), production=True,
                 token=False)
    r = bad.run("check-config")
    t.ok(r.returncode == 2 and "netautod.yaml:" in r.stderr and
         "role must be api, worker or both" in r.stderr, "a bad role: error with its position",
         r.stderr)

    st, j = workers[0].json("POST", "/v1/jobs", {"playbook": "vlan9"})
    t.ok(st == 501 and "cluster worker" in j.get("error", ""), "a worker refuses jobs: 501",
         (st, j))

    st, j = api.json("POST", "/v1/jobs", {"playbook": "vlan9",
                                          "vars": {"snmp_secret": "s3cr3t-x"}})
    t.ok(st == 400 and "cannot be sent through the cluster" in j.get("error", ""),
         "secret-looking vars are refused (400): tasks are stored by NATS", (st, j))

    jid = api.submit("vlan9")
    job = wait_job(api, jid, timeout=300)
    t.ok(job and job["state"] == "succeeded", f"the job on {N} devices succeeds",
         job and {k: job[k] for k in job if k != "hosts"})
    hosts = (job or {}).get("hosts", {})
    t.ok(len(hosts) == N, f"{N} host results", len(hosts))
    wrong = [h for h, r in hosts.items()
             if not r.get("ok") or r.get("attempts", 0) < 1 or r.get("site") != site_of(h) or
             not str(r.get("worker", "")).startswith("w" + site_of(h))]
    t.ok(not wrong, "each host ok, with attempts, run by a worker of its site",
         [(h, hosts[h]) for h in wrong[:3]])

    stats = sim.stats()
    devs = stats["devices"]
    overlap = {n: v["max_concurrent_sessions"] for n, v in devs.items()
               if v["max_concurrent_sessions"] > 1}
    t.ok(not overlap, "no device ever had two sessions at once", overlap)
    logins = {n: v["logins"]["ssh"] + v["logins"]["telnet"] for n, v in devs.items()}
    t.ok(all(v == 1 for v in logins.values()), "every device logged in to exactly once",
         {n: v for n, v in logins.items() if v != 1})
    t.ok(all(v["vlans"].count(9) == 1 for v in devs.values()), "every device has VLAN 9 once",
         [n for n, v in devs.items() if v["vlans"].count(9) != 1][:5])

    done = 0
    for w in workers:
        st, text = w.metrics()
        m = parse_exposition(text)
        done += m.get(("netautod_cluster_tasks_done_total", ""), 0)
    t.ok(done == N, "the workers finished one task per host", done)
    st, text = api.metrics()
    m = parse_exposition(text)
    t.ok(m.get(("netautod_cluster_tasks_published_total", ""), 0) == N and
         m.get(("netautod_cluster_results_folded_total", ""), 0) == N and
         ("netautod_cluster_consumer_lag", 'site="a",kind="pending"') in m and
         m.get(("netautod_cluster_nats_connected", ""), 0) == 1,
         "the api node's /metrics: tasks queued, results folded, consumer lag per site",
         {k: v for k, v in m.items() if "cluster" in k[0]})

    # a result larger than NATS' max_payload (1 MiB) travels in chunks, byte for byte
    jid = api.submit("tech", limit="sw1")
    job = wait_job(api, jid, timeout=120)
    out = ((job or {}).get("hosts", {}).get("sw1", {}).get("tasks") or [{}])[0].get("output", "")
    st, direct = api.json("POST", "/v1/commands", {"host": "sw1",
                                                  "commands": ["show tech-support"]},
                          timeout=120)
    ref = direct["commands"][0]["output"] if st == 200 else None
    t.ok(job and job["state"] == "succeeded" and len(out) > 2 * 1024 * 1024 and out == ref,
         f"a {len(out)}-byte output (over NATS' 1 MiB max_payload) reaches the job byte for "
         "byte (same as the command run directly)", (job and job["state"], len(out),
                                                     ref and len(ref)))

    st, c = api.json("GET", "/v1/cluster")
    names = sorted(n["node"] for n in c.get("nodes", [])) if st == 200 else []
    t.ok(st == 200 and names == ["api1", "wa1", "wa2", "wb1"] and
         c["sites"]["a"]["workers"] == 2 and c["sites"]["b"]["workers"] == 1 and
         c["sites"]["a"]["health"] == "ok" and c["node"]["role"] == "api",
         "GET /v1/cluster: four nodes, sites a (2 workers) and b (1), healthy", c)

    for w in workers:
        w.stop()
    api.stop()
nats.stop()
t.done()
