#!/usr/bin/python3
"""test_cluster_nats3.py — netautod's cluster on a 3-node NATS cluster (three nats-server -js
processes routed together, kernel-picked ports, private stores; streams and buckets with 3
replicas): the NATS node the api node uses is killed (kill -9) while a job runs on slowed simulated devices; the
nodes reconnect to the others and the job goes on to succeed, each host exactly once, every
device with VLAN 9 once and never two sessions at once."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import sim_args  # noqa: E402
from cluster_lab import nats_cluster3, node, wait_for, wait_job  # noqa: E402
from netautod_harness import Tap, parse_exposition  # noqa: E402
from simproc import Sim  # noqa: E402

t = Tap()
N = 12
VLAN9 = """\
- name: vlan 9 everywhere
  hosts: all
  tasks:
    - name: vlan 9
      config: ["vlan 9", "name nine", "exit"]
    - name: look
      command: show vlan brief
"""


def in_flight(d):
    st, text = d.metrics()
    return parse_exposition(text).get(("netautod_cluster_tasks_in_flight", ""), 0)


nats = nats_cluster3()
urls = [n.url for n in nats]
with Sim(sim_args(N, "--fault", "all:slow=400")) as sim:
    mk = lambda role, name: node(sim, urls, role, "r", name, sites=lambda h: "r",  # noqa: E731
                                 playbooks={"vlan9.yaml": VLAN9},
                                 config="  replicas: 3\n  tasks: 4\n")
    api, w1, w2 = mk("api", "rapi"), mk("worker", "r1"), mk("worker", "r2")
    for d in (w1, w2, api):
        d.start(timeout=60)
    jid = api.submit("vlan9")
    busy = wait_for(lambda: in_flight(w1) + in_flight(w2) > 0, timeout=30)
    st, c = api.json("GET", "/v1/cluster")
    victim = [n for n in nats if n.url == c["nats"]["url"]]
    t.ok(len(victim) == 1, "the api node says which NATS node it uses", c.get("nats"))
    victim = victim[0] if victim else nats[0]
    victim.kill()
    job = wait_job(api, jid, timeout=240)
    hosts = (job or {}).get("hosts", {})
    t.ok(busy and job and job["state"] == "succeeded" and len(hosts) == N and
         all(r.get("ok") for r in hosts.values()),
         "one of three NATS nodes killed mid-job: the job succeeds, each host once",
         job and {k: job[k] for k in job if k != "hosts"})
    devs = sim.stats()["devices"]
    t.ok(all(v["vlans"].count(9) == 1 and v["max_concurrent_sessions"] == 1
             for v in devs.values()),
         "every device has VLAN 9 once and never had two sessions at once",
         {n: (v["vlans"], v["max_concurrent_sessions"]) for n, v in devs.items()})
    st, c = api.json("GET", "/v1/cluster")
    t.ok(st == 200 and c["nats"]["connected"] and c["nats"]["url"] != victim.url,
         "the api node reconnected to another NATS node", c.get("nats"))
    for d in (w1, w2, api):
        d.stop()
for n in nats:
    n.stop()
t.done()
