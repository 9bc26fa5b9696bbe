"""cluster_lab.py — shared set-up for the cluster tests (tests/e2e/test_cluster_*.py): a real
nats-server with JetStream (one node, or a 3-node cluster) on 127.0.0.1 with ports the kernel
picks and a private temporary store, stopped and removed at exit; and netautod nodes (api,
workers of named sites) around one device simulator, every node with the same inventory (each
host's `site` variable) and playbooks, the production backend. Not a test itself (run.sh only
runs test_*.py)."""

import atexit
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from backend_lab import inventory, lab_daemon, wait_for
from netautod_harness import SLOW

_servers = []


def _stop_all():
    for s in list(_servers):
        s.stop()


atexit.register(_stop_all)


class NatsNode:
    """One nats-server -js process. routes: cluster URLs of the other members (3-node)."""

    def __init__(self, name="n1", cluster=False, routes=(), directory=None):
        self.name = name
        self.dir = directory or tempfile.mkdtemp(prefix="netauto-nats.")
        self.own_dir = directory is None
        self.cluster = cluster
        self.routes = list(routes)
        self.proc = None
        self.port = None
        self.cluster_port = None
        _servers.append(self)

    def start(self, client_port=-1, cluster_port=-1, timeout=20):
        store = os.path.join(self.dir, "store-" + self.name)
        ports = os.path.join(self.dir, "ports-" + self.name)
        shutil.rmtree(ports, ignore_errors=True)
        os.makedirs(ports)
        argv = ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(client_port),
                "--store_dir", store, "--server_name", self.name, "--ports_file_dir", ports,
                "-l", os.path.join(self.dir, self.name + ".log")]
        if self.cluster:
            argv += ["--cluster_name", "netauto", "--cluster",
                     f"nats://127.0.0.1:{cluster_port}"]
            if self.routes:
                argv += ["--routes", ",".join(self.routes)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            files = glob.glob(os.path.join(ports, "*.ports"))
            if files:
                try:
                    with open(files[0]) as f:
                        p = json.load(f)
                    self.port = int(p["nats"][0].rsplit(":", 1)[1])
                    if self.cluster:
                        self.cluster_port = int(p["cluster"][0].rsplit(":", 1)[1])
                    return self
                except (ValueError, KeyError, IndexError):
                    pass
            if self.proc.poll() is not None:
                raise RuntimeError("nats-server exited: " + self.log())
            time.sleep(0.02)
        raise RuntimeError("nats-server did not start: " + self.log())

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    @property
    def route(self):
        return f"nats://127.0.0.1:{self.cluster_port}"

    def log(self):
        try:
            with open(os.path.join(self.dir, self.name + ".log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self in _servers:
            _servers.remove(self)
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    """A port the kernel says is free now (bound to 0, then closed)."""
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def nats_cluster3():
    """A 3-node NATS cluster with JetStream (R3 possible); returns the nodes, started. Every
    node is given the routes of all three (a JetStream cluster needs them from the start), so
    their cluster ports are picked first."""
    d = tempfile.mkdtemp(prefix="netauto-nats3.")
    ports = [free_port() for _ in range(3)]
    routes = [f"nats://127.0.0.1:{p}" for p in ports]
    nodes = [NatsNode(f"n{i + 1}", cluster=True, routes=routes, directory=d) for i in range(3)]
    for n, p in zip(nodes, ports):
        n.start(cluster_port=p)
    nodes[0].own_dir = True  # the first one removes the shared directory
    return nodes


def cluster_config(urls, role, site="default", node=None, extra=""):
    u = ",".join(urls) if isinstance(urls, (list, tuple)) else urls
    text = (f"cluster:\n  nats_url: \"{u}\"\n  role: {role}\n  site: {site}\n"
            "  ack_wait: 2s\n  lease: 3s\n  heartbeat: 500ms\n  max_deliver: 20\n")
    if node:
        text += f"  node: {node}\n"
    return text + extra


def site_inventory_extra(sim, sites):
    """host_extra for backend_lab.inventory: device name -> "vars: {site: S}"."""
    return {d.name: f"vars: {{site: {sites(d.name)}}}" for d in sim.order}


def node(sim, urls, role, site="default", name=None, sites=None, config="", playbooks=None):
    """A production netautod (not started) in the cluster."""
    return lab_daemon(sim, config=cluster_config(urls, role, site, name) + config,
                      playbooks=playbooks, log_level="info",
                      host_extra=site_inventory_extra(sim, sites) if sites else None)


def wait_job(d, jid, timeout=120):
    end = ("succeeded", "failed", "cancelled", "interrupted")

    def done():
        st, j = d.json("GET", f"/v1/jobs/{jid}")
        return j if st == 200 and j.get("state") in end else None
    return wait_for(done, timeout=timeout, step=0.2)


__all__ = ["NatsNode", "nats_cluster3", "cluster_config", "node", "wait_job", "inventory",
           "wait_for", "signal"]
