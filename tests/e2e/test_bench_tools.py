#!/usr/bin/python3
"""test_bench_tools.py — the helpers `make bench` relies on, against the simulator: the floor runs
lines over SSH and Telnet and fails when the expected text is missing; bench/measure reports the
command's exit status, its CPU and RSS, and embeds the tool's own JSON; bench/delayproxy really
adds its delay (a run through it takes at least one round trip per line) and passes the bytes
unchanged; bench/sessions opens N driver sessions at once; gen.py writes a playbook netauto runs;
report.py takes medians, counts failures and computes ratios from a results file. Not a
benchmark: nothing here asserts a speed."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

ROOT = os.environ.get("NETAUTO_ROOT", os.getcwd())
BUILD = os.environ.get("NETAUTO_BUILD", os.path.join(ROOT, "build"))
FLOOR = os.path.join(BUILD, "bench", "floor")
MEASURE = os.path.join(BUILD, "bench", "measure")
PROXY = os.path.join(BUILD, "bench", "delayproxy")
SESSIONS = os.path.join(BUILD, "bench", "sessions")
NETAUTO = os.path.join(BUILD, "netauto")
PY = "/usr/bin/python3"
PREFIX = ["-c", "terminal length 0", "-c", "terminal width 511", "-c", "enable"]

t = Tap()
tmp = tempfile.mkdtemp(prefix="bench-tools.")


def run(cmd, timeout=60):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def floor_json(r):
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def floor_cases(sim):
    d = sim.devices["sw1"]
    lines = os.path.join(tmp, "lines10")
    r = run([PY, os.path.join(ROOT, "bench", "gen.py"), "lines", "10", lines])
    t.eq(r.returncode, 0, "gen.py lines")
    for name, args in (("ssh", ["--port", str(d.ssh_port)]),
                       ("telnet", ["--telnet", "--port", str(d.telnet_port)])):
        r = run([FLOOR] + args + PREFIX + ["-c", "configure terminal", "-f", lines, "-c", "end",
                                           "-c", "show running-config", "--expect", "name bench-104"])
        j = floor_json(r)
        t.ok(r.returncode == 0 and j and j["ok"] and j["lines"] == 16,
             "floor over %s runs every line and finds the pushed VLAN" % name, r.stderr + r.stdout)
        r = run([FLOOR] + args + PREFIX + ["-c", "show vlan brief", "--expect", "no such text"])
        t.ok(r.returncode == 1 and "lacks" in r.stderr,
             "floor over %s fails when the expected text is missing" % name, r.stderr)
    # the device saw the lines: VLAN 104 exists with its name
    r = run([FLOOR, "--port", str(d.ssh_port)] + PREFIX + ["-c", "show vlan brief",
                                                          "--expect", "bench-104"])
    t.eq(r.returncode, 0, "the floor's configuration reached the device")
    r = run([FLOOR, "--port", "1"] + PREFIX)
    t.ok(r.returncode == 1 and "connect" in r.stderr, "floor reports a refused connection",
         r.stderr)
    r = run([FLOOR])
    t.eq(r.returncode, 2, "floor without --port is a usage error")


def measure_cases(sim):
    r = run([MEASURE, "--tag", '"case":"x"', "--", "/bin/sh", "-c", "exit 3"])
    j = json.loads(r.stdout)
    t.ok(j["rc"] == 3 and j["case"] == "x" and j["wall_ms"] > 0 and "maxrss_kb" in j,
         "measure reports the exit status, wall time and RSS", r.stdout)
    out = os.path.join(tmp, "m.out")
    busy = "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo '{\"n\": 7}'"
    r = run([MEASURE, "--sim-pid", str(sim.proc.pid), "--tool-json", "--stdout", out, "--",
             "/bin/sh", "-c", busy])
    j = json.loads(r.stdout)
    t.ok(j["rc"] == 0 and j["own"] == {"n": 7} and j["user_s"] + j["sys_s"] > 0
         and j["sim_cpu_s"] >= 0 and j["sim_hwm_kb"] > 0,
         "measure embeds the tool's JSON and reports CPU and the simulator's figures", r.stdout)
    r = run([MEASURE, "--timeout", "1", "--", "/bin/sleep", "30"], timeout=20)
    j = json.loads(r.stdout)
    t.ok(j["rc"] == -9 and j["wall_ms"] < 15000, "measure kills a command past --timeout",
         r.stdout)


def proxy_cases(sim):
    d = sim.devices["sw1"]
    ready = os.path.join(tmp, "proxy.ready")
    p = subprocess.Popen([PROXY, "--delay-ms", "25", "--map", "0:%d" % d.ssh_port,
                          "--map", "0:%d" % d.telnet_port, "--ready", ready],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.02)
        ports = [int(l.split()[0]) for l in open(ready)]
        t.eq(len(ports), 2, "delayproxy writes one port per map")
        for name, args in (("ssh", ["--port", str(ports[0])]),
                           ("telnet", ["--telnet", "--port", str(ports[1])])):
            t0 = time.monotonic()
            r = run([FLOOR] + args + PREFIX + ["-c", "show vlan brief", "--expect", "VLAN Name"])
            took = time.monotonic() - t0
            # 4 lines (and the secret) each wait for an answer: >= 5 round trips of 50 ms
            t.ok(r.returncode == 0 and took >= 0.25,
                 "through delayproxy over %s: same answers, each round trip delayed" % name,
                 "rc %d, %.3f s: %s" % (r.returncode, took, r.stderr))
    finally:
        p.terminate()
        rc = p.wait(10)
    t.eq(rc, 0, "delayproxy stops cleanly on SIGTERM")


def sessions_cases(sim):
    ready = os.path.join(tmp, "sim.ready")
    with open(ready, "w") as f:
        for dev in sim.order:
            f.write("%s %s %s %d %d\n" % dev)
    for tel in ([], ["--telnet"]):
        r = run([SESSIONS, "--ready", ready, "--known-hosts", sim.known_hosts, "-n", "5"] + tel)
        j = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        t.ok(r.returncode == 0 and j.get("ok") == 5 and j.get("rss_all_open_kb", 0) > 0,
             "sessions opens 5 %s sessions at once" % ("telnet" if tel else "ssh"),
             r.stdout + r.stderr)
    bad = os.path.join(tmp, "empty_known_hosts")
    open(bad, "w").close()
    r = run([SESSIONS, "--ready", ready, "--known-hosts", bad, "-n", "2"])
    t.ok(r.returncode == 1 and "not known" in r.stderr,
         "sessions checks host keys strictly", r.stderr)


def gen_playbook_cases(sim):
    lines = os.path.join(tmp, "lines6")
    pb = os.path.join(tmp, "push6.yaml")
    run([PY, os.path.join(ROOT, "bench", "gen.py"), "lines", "6", lines])
    r = run([PY, os.path.join(ROOT, "bench", "gen.py"), "playbook", lines, pb, "name bench-102"])
    t.eq(r.returncode, 0, "gen.py playbook")
    r = run([NETAUTO, "run", pb, "-i", sim.inventory, "--limit", "sw2"])
    t.ok(r.returncode == 0, "netauto runs the generated push playbook", r.stdout + r.stderr)
    bad = os.path.join(tmp, "push6bad.yaml")
    run([PY, os.path.join(ROOT, "bench", "gen.py"), "playbook", lines, bad, "name bench-999"])
    r = run([NETAUTO, "run", bad, "-i", sim.inventory, "--limit", "sw2"])
    t.eq(r.returncode, 1, "the generated playbook's expect fails when the text is missing")


def report_cases():
    res = os.path.join(tmp, "results.jsonl")
    rows = []
    for i, (fl, na) in enumerate(((10, 11), (12, 13), (14, 99), (11, 12))):
        base = {"section": "push", "case": "100 lines", "lines": 100, "transport": "ssh",
                "warmup": i == 0, "user_s": 0.001, "sys_s": 0.001, "maxrss_kb": 1024}
        rows.append(dict(base, tool="floor", rc=0, wall_ms=fl))
        rows.append(dict(base, tool="netauto run", rc=0, wall_ms=na))
    rows.append(dict(rows[-1], tool="netauto run", rc=1, wall_ms=1))
    with open(res, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    notes = os.path.join(tmp, "notes")
    open(notes, "w").close()
    out = os.path.join(tmp, "RESULTS.md")
    r = run([PY, os.path.join(ROOT, "bench", "report.py"), "--results", res, "--notes", notes,
             "--work", tmp, "--build", BUILD, "--elapsed", "1", "--window", "64", "--out", out])
    text = open(out).read() if os.path.exists(out) else ""
    # warm-up (10, 11) left out: floor 12, 14, 11 -> median 12; netauto 13, 99, 12 -> 13
    t.ok(r.returncode == 0 and "| 100 | ssh | floor | 3 | 12.0 (11.0-14.0) | 1.00x" in text,
         "report.py: median (min-max) without the warm-up run", text[-3000:] + r.stderr)
    t.ok("| 100 | ssh | netauto run | 3 | 13.0 (12.0-99.0) **1 failed** | 1.08x" in text,
         "report.py: ratio to the floor, failed runs counted and left out", text[-3000:])
    t.ok("| 100-line push (SSH), netauto lockstep vs the floor | <= 1.10x | 1.08x |" in text,
         "report.py: the target line", text[-3000:])


try:
    with Sim(["--devices", "5"]) as sim:
        t.run("floor", floor_cases, sim)
        t.run("measure", measure_cases, sim)
        t.run("delayproxy", proxy_cases, sim)
        t.run("sessions", sessions_cases, sim)
        t.run("gen.py playbook", gen_playbook_cases, sim)
    t.run("report.py", report_cases)
finally:
    subprocess.run(["rm", "-rf", tmp])
t.done()
