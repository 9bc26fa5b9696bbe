#!/usr/bin/python3
"""test_cluster_failures.py — netautod's cluster mode when parts of it fail, through a real
nats-server -js (private store, kernel-picked ports) and slowed simulated devices (the
simulator's slow fault: each device takes seconds):
  kill -9: one of a site's two workers is killed mid-job; its tasks come back after their
    AckWait and the device leases' TTL, the other worker finishes them: the job succeeds with
    each host exactly once, some with attempts > 1, every device with VLAN 9 once;
  SIGSTOP past the lease: a worker is stopped while it drives devices, the other worker of the
    site takes the expired leases and finishes the job; after SIGCONT the stopped worker sends
    nothing more to any device (the simulator's command counters do not move), says so in its
    log and counts the lease losses;
  site down: with every worker of site b stopped, a job's site-a hosts finish, its site-b hosts
    wait, the job says so (a site_waiting event, GET /v1/cluster's hosts_waiting) and stays
    running; a new worker of site b finishes it (site_resumed), each host once."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend_lab import sim_args  # noqa: E402
from cluster_lab import NatsNode, node, wait_for, wait_job  # noqa: E402
from netautod_harness import Tap, parse_exposition  # noqa: E402
from simproc import Sim  # noqa: E402

t = Tap()

VLAN9 = """\
- name: vlan 9 everywhere
  hosts: all
  tasks:
    - name: vlan 9
      config: ["vlan 9", "name nine", "exit"]
    - name: look
      command: show vlan brief
"""
PB = {"vlan9.yaml": VLAN9}
SLOW_DEV = ["--fault", "all:slow=400"]
TASKS = "  tasks: 4\n"


def metric(d, name):
    st, text = d.metrics()
    return parse_exposition(text).get((name, ""), 0)


def commands_by_device(sim):
    return {n: (v["commands"], v["config_commands"]) for n, v in sim.stats()["devices"].items()}


def check_once(job, n, label):
    hosts = (job or {}).get("hosts", {})
    t.ok(job and job["state"] == "succeeded" and len(hosts) == n and
         all(r.get("ok") and r.get("attempts", 0) >= 1 for r in hosts.values()),
         f"{label}: the job succeeds, each of its {n} hosts exactly once with attempts",
         job and {k: job[k] for k in job if k != "hosts"})
    return hosts


nats = NatsNode().start()

# ---- kill -9 a worker mid-job --------------------------------------------------------------
N = 12
with Sim(sim_args(N, *SLOW_DEV)) as sim:
    mk = lambda role, site, name: node(sim, [nats.url], role, site, name,  # noqa: E731
                                       sites=lambda h: "k", playbooks=PB, config=TASKS)
    api = mk("api", "default", "kapi")
    w1, w2 = mk("worker", "k", "k1"), mk("worker", "k", "k2")
    for d in (w1, w2, api):
        d.start()
    jid = api.submit("vlan9")
    busy = wait_for(lambda: metric(w1, "netautod_cluster_tasks_in_flight") > 0, timeout=30)
    time.sleep(1.0)  # it is talking to its devices now
    w1.kill9()
    job = wait_job(api, jid, timeout=180)
    hosts = check_once(job, N, "kill -9")
    t.ok(busy and any(r["attempts"] > 1 for r in hosts.values()) and
         all(r["worker"] == "k2" for r in hosts.values() if r["attempts"] > 1),
         "the killed worker's tasks were redelivered and finished by the other worker",
         {h: (r["attempts"], r["worker"]) for h, r in hosts.items()})
    devs = sim.stats()["devices"]
    t.ok(all(v["vlans"].count(9) == 1 for v in devs.values()),
         "kill -9: every device ends with VLAN 9 once")
    t.ok(metric(w2, "netautod_cluster_redeliveries_total") > 0,
         "the surviving worker counts redeliveries")
    for d in (w2, api):
        d.stop()

# ---- SIGSTOP a worker past its lease, then SIGCONT ------------------------------------------
with Sim(sim_args(N, *SLOW_DEV)) as sim:
    mk = lambda role, site, name: node(sim, [nats.url], role, site, name,  # noqa: E731
                                       sites=lambda h: "s", playbooks=PB, config=TASKS)
    api = mk("api", "default", "sapi")
    w1, w2 = mk("worker", "s", "s1"), mk("worker", "s", "s2")
    for d in (w1, w2, api):
        d.start()
    jid = api.submit("vlan9")
    busy = wait_for(lambda: metric(w1, "netautod_cluster_tasks_in_flight") > 0, timeout=30)
    time.sleep(1.0)
    w1.signal(signal.SIGSTOP)
    job = wait_job(api, jid, timeout=180)
    hosts = check_once(job, N, "SIGSTOP")
    t.ok(busy and all(r["worker"] == "s2" for r in hosts.values()),
         "every host's result comes from the worker that was not stopped",
         {h: (r["attempts"], r["worker"]) for h, r in hosts.items()})
    before = commands_by_device(sim)
    w1.signal(signal.SIGCONT)
    stopped = wait_for(lambda: "nothing more is sent" in w1.log() or None, timeout=20)
    time.sleep(3.0)  # what it would send, it would have sent by now
    after = commands_by_device(sim)
    moved = {n: (before[n], after[n]) for n in before if before[n] != after[n]}
    t.ok(stopped and not moved, "after SIGCONT the stopped worker sends nothing more to any "
         "device", moved or w1.log()[-2000:])
    t.ok(metric(w1, "netautod_cluster_lease_losses_total") > 0,
         "the stopped worker counts its lost leases")
    for d in (w1, w2, api):
        d.stop()

# ---- every worker of a site down ------------------------------------------------------------
N = 8
with Sim(sim_args(N)) as sim:
    site = lambda h: "a" if int(h[2:]) % 2 else "b"  # noqa: E731
    mk = lambda role, s, name: node(sim, [nats.url], role, s, name, sites=site,  # noqa: E731
                                    playbooks=PB)
    api = mk("api", "default", "dapi")
    wa, wb = mk("worker", "a", "da1"), mk("worker", "b", "db1")
    for d in (wa, wb, api):
        d.start()
    wb.stop()

    def b_dead():
        st, c = api.json("GET", "/v1/cluster")
        return st == 200 and c["sites"].get("b", {}).get("workers") == 0 or None
    t.ok(wait_for(b_dead, timeout=20), "GET /v1/cluster: site b has no live worker")
    jid = api.submit("vlan9")

    def a_done():
        st, j = api.json("GET", f"/v1/jobs/{jid}")
        hs = j.get("hosts", {}) if st == 200 else {}
        return len(hs) == N // 2 and all(site(h) == "a" for h in hs) and j
    j = wait_for(a_done, timeout=120)
    time.sleep(1.5)  # a few heartbeats: nothing else happens to site b's hosts
    st, c = api.json("GET", "/v1/cluster")
    st2, j2 = api.json("GET", f"/v1/jobs/{jid}")
    t.ok(j and j2["state"] == "running" and len(j2.get("hosts", {})) == N // 2 and
         c["sites"]["b"].get("hosts_waiting") == N // 2 and
         c["sites"]["b"]["health"] == "no live worker",
         "site b down: site a's hosts finish, site b's wait, the job runs on",
         (j2 and {k: j2[k] for k in j2 if k != "hosts"}, c))
    wb2 = mk("worker", "b", "db2")
    wb2.start()
    job = wait_job(api, jid, timeout=120)
    check_once(job, N, "site down then up")
    ev = [(e, d) for _, e, d in api.events(jid, timeout=30)]
    waiting = [d for e, d in ev if e == "site_waiting"]
    t.ok(len(waiting) == 1 and waiting[0]["site"] == "b" and waiting[0]["hosts"] == N // 2 and
         "no live worker" in waiting[0]["message"] and
         any(e == "site_resumed" and d["site"] == "b" for e, d in ev),
         "the job's events say site b's hosts waited, and when they resumed",
         [x for x in ev if x[0].startswith("site")])

    # cancel a job whose site-b hosts wait: their queued tasks are purged
    wb2.stop()
    t.ok(wait_for(b_dead, timeout=20), "site b down again")
    jid = api.submit("vlan9")
    j = wait_for(a_done, timeout=120)
    st, _ = api.json("DELETE", f"/v1/jobs/{jid}")
    job = wait_job(api, jid, timeout=30)
    wb3 = mk("worker", "b", "db3")
    wb3.start()
    time.sleep(2.0)  # a few fetches
    t.ok(j and st == 202 and job and job["state"] == "cancelled" and
         metric(wb3, "netautod_cluster_tasks_received_total") == 0,
         "a cancelled job's queued tasks are purged: a new worker of the site gets none",
         (st, job and job["state"], metric(wb3, "netautod_cluster_tasks_received_total")))
    for d in (wa, wb3, api):
        d.stop()

# ---- a task every worker dies on: given up after max_deliver ---------------------------------
with Sim(sim_args(1, *SLOW_DEV)) as sim:
    md = "  max_deliver: 2\n"
    def mk(role, site, name):  # noqa: F811
        d = node(sim, [nats.url], role, site, name, sites=lambda h: "p", playbooks=PB)
        d.write("netautod.yaml", open(d.config).read().replace("  max_deliver: 20\n", md))
        return d
    api = mk("api", "default", "papi")
    api.start()
    jid = api.submit("vlan9")
    for name in ("p1", "p2"):  # each worker takes the task, then dies with it
        w = mk("worker", "p", name)
        w.start()
        took = wait_for(lambda: metric(w, "netautod_cluster_tasks_in_flight") > 0, timeout=30)
        time.sleep(1.0)  # the lease taken, the device being talked to
        w.kill9()
        time.sleep(5.0)  # well past the lease (3 s), so the next worker can take it
    # JetStream notices the last delivery's expiry when a worker asks for work again
    w = mk("worker", "p", "p3")
    w.start()
    job = wait_job(api, jid, timeout=60)
    r = (job or {}).get("hosts", {}).get("sw1", {})
    t.ok(took and job and job["state"] == "failed" and r.get("attempts") == 2 and
         "no worker of site p finished the task in 2 deliveries" in
         (r.get("error") or {}).get("message", ""),
         "a task every worker died on is given up after max_deliver: the host fails, the job "
         "ends", job)
    t.ok(metric(w, "netautod_cluster_tasks_received_total") == 0,
         "the given-up task is not delivered a third time")
    w.stop()
    api.stop()

nats.stop()
t.done()
