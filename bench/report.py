#!/usr/bin/python3
"""report.py — turns the measurements of one `make bench` run (bench/run.sh: one JSON line per
measured process, written by bench/measure) into bench/RESULTS.md: the machine, one table per
section with median (min-max) and ratios, the targets and where we stand. Warm-up runs are left
out; a failed run is counted and shown, never averaged in. Not a measurement itself.

  report.py --results FILE --notes FILE --work DIR --build DIR --elapsed S --window N
            [--netns NAME] --out FILE
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(build):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for l in f:
            if l.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(l.split()[1]) / 1048576)
    osname = "?"
    if os.path.exists("/etc/os-release"):
        for l in open("/etc/os-release"):
            if l.startswith("PRETTY_NAME="):
                osname = l.split("=", 1)[1].strip().strip('"')
    def deb(p):
        return sh("dpkg-query", "-W", "-f=${Version}", p) or "not installed"
    def pc(p):
        return sh("pkg-config", "--modversion", p) or "?"
    commit = sh("git", "rev-parse", "--short", "HEAD")
    if sh("git", "status", "--porcelain", "--untracked-files=no", "--", ".",
          ":(exclude)bench/RESULTS.md"):
        commit += " (with uncommitted changes)"
    return [
        ("CPU", "%s, %d cores online" % (cpu, os.cpu_count() or 0)),
        ("RAM", mem),
        ("kernel", platform.release()),
        ("OS", osname),
        ("netauto", "%s, commit %s" % (sh(os.path.join(build, "netauto"), "--version"), commit)),
        ("compiler", sh("cc", "--version").split("\n")[0]),
        ("libraries", "libssh2 %s, libtelnet %s, PCRE2 %s, libevent %s, OpenSSL %s; simulator: libssh %s"
         % (pc("libssh2"), pc("libtelnet"), pc("libpcre2-8"), pc("libevent"), pc("openssl"), pc("libssh"))),
        ("peer", "Python %s, python3-netmiko %s, python3-paramiko %s"
         % (platform.python_version(), deb("python3-netmiko"), deb("python3-paramiko"))),
        ("tools", "hyperfine %s, perf %s" % (deb("hyperfine"), deb("linux-perf"))),
    ]


# ---- statistics ---------------------------------------------------------------------------------

def load(path):
    rows = []
    with open(path) as f:
        for l in f:
            l = l.strip()
            if l:
                rows.append(json.loads(l))
    return rows


def sel(rows, **kw):
    out = []
    for r in rows:
        if r.get("warmup"):
            continue
        if all(r.get(k) == v for k, v in kw.items()):
            out.append(r)
    return out


class Stat:
    """Median, min, max of one quantity over the successful runs; counts the failed ones."""

    def __init__(self, rows, f):
        ok = [r for r in rows if r.get("rc") == 0]
        self.failed = len(rows) - len(ok)
        self.v = sorted(x for x in (f(r) for r in ok) if x is not None)
        self.n = len(self.v)

    @property
    def med(self):
        return statistics.median(self.v) if self.v else None

    def fmt(self, scale=1.0, digits=1):
        if not self.v:
            return "failed" if self.failed else "-"
        s = "%.*f" % (digits, self.med * scale)
        if self.n > 1:
            s += " (%.*f-%.*f)" % (digits, self.v[0] * scale, digits, self.v[-1] * scale)
        if self.failed:
            s += " **%d failed**" % self.failed
        return s


def wall(r):
    return r["wall_ms"]


def cpu(r):
    return r["user_s"] + r["sys_s"]


def rss(r):
    return r["maxrss_kb"]


def simcpu(r):
    return r.get("sim_cpu_s")


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "-"
    return "%.*fx" % (digits, a / b)


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


# ---- sections -----------------------------------------------------------------------------------

def tools_in(rows, **kw):
    seen = []
    for r in sel(rows, **kw):
        if r["tool"] not in seen:
            seen.append(r["tool"])
    return seen


def sec_show(rows, md, targets):
    if not sel(rows, section="show"):
        return
    md.append("## One-off show: connect, log in, `show vlan brief`, close\n")
    md.append("Each run is a new process: start-up, connection, login, the platform's on-open "
              "commands (`terminal length 0`, `terminal width 511`), `enable` with the secret, the "
              "command, close. The floor sends the same lines. Wall time of the whole process.\n")
    out = []
    for t in ("ssh", "telnet"):
        fl = Stat(sel(rows, section="show", transport=t, tool="floor"), wall)
        for tool in tools_in(rows, section="show", transport=t):
            rs = sel(rows, section="show", transport=t, tool=tool)
            w = Stat(rs, wall)
            own = Stat(rs, lambda r: (r.get("own") or {}).get("in_process_ms")
                       or (r.get("own") or {}).get("total_ms"))
            out.append([t, tool, w.n, w.fmt(), ratio(w.med, fl.med),
                        own.fmt() if own.v else "",
                        Stat(rs, cpu).fmt(1000, 1), Stat(rs, rss).fmt(1 / 1024, 1),
                        Stat(rs, simcpu).fmt(1000, 1)])
            if tool == "netauto show":
                targets.append(("one-off show over %s vs the floor" % t, "(none set)",
                                ratio(w.med, fl.med)))
    md.append(table(["transport", "tool", "runs", "wall ms", "x floor", "in-process ms",
                     "CPU ms (user+sys)", "peak RSS MiB", "simulator CPU ms"], out))
    md.append("\n*in-process*: the tool's own clock from connect to close (floor), or from "
              "`ConnectHandler` to `disconnect` (Netmiko: interpreter start and imports excluded).\n")


def sec_push(rows, md, targets, window):
    if not sel(rows, section="push"):
        return
    md.append("## Config push: N lines in one config session, then `show running-config`\n")
    md.append("Lines are `vlan K` / `name bench-K` pairs (N/2 VLANs). Every tool logs in, enters "
              "enable and configuration mode, sends the lines, leaves with `end`, reads "
              "`show running-config` and checks the last VLAN's name is in it (a run that misses "
              "it counts as failed). netauto is the CLI: `netauto run` with a config task and a "
              "command task (bench/gen.py writes the playbook); lockstep unless "
              "`--config-window` is given (then up to %d lines are in flight). Netmiko: "
              "`send_config_set` + `send_command` (bench/netmiko_push.py).\n" % window)
    out = []
    for n in (100, 1000):
        for t in ("ssh", "telnet"):
            fl = Stat(sel(rows, section="push", lines=n, transport=t, tool="floor"), wall)
            na = Stat(sel(rows, section="push", lines=n, transport=t, tool="netauto run"), wall)
            for tool in tools_in(rows, section="push", lines=n, transport=t):
                rs = sel(rows, section="push", lines=n, transport=t, tool=tool)
                w = Stat(rs, wall)
                own = Stat(rs, lambda r: (r.get("own") or {}).get("in_process_ms")
                           or (r.get("own") or {}).get("total_ms"))
                vs_na = ratio(w.med, na.med, 1) if tool.startswith("Netmiko") else ""
                out.append([n, t, tool, w.n, w.fmt(), ratio(w.med, fl.med), vs_na,
                            own.fmt() if own.v else "", Stat(rs, cpu).fmt(1000, 1),
                            Stat(rs, rss).fmt(1 / 1024, 1), Stat(rs, simcpu).fmt(1000, 1)])
                if n == 100 and t == "ssh":
                    if tool == "netauto run":
                        targets.append(("100-line push (SSH), netauto lockstep vs the floor",
                                        "<= 1.10x", ratio(w.med, fl.med)))
                    if tool == "netauto run --config-window %d" % window:
                        targets.append(("100-line push (SSH), netauto pipelined vs the floor",
                                        "(none set)", ratio(w.med, fl.med)))
                    if tool.startswith("Netmiko"):
                        targets.append(("100-line push (SSH): %s time / netauto time" % tool,
                                        ">= 10x", ratio(w.med, na.med, 1)))
    md.append(table(["lines", "transport", "tool", "runs", "wall ms", "x floor",
                     "x netauto run", "in-process ms", "CPU ms (user+sys)", "peak RSS MiB",
                     "simulator CPU ms"], out))
    md.append("")


def conc_of(r):
    v = r.get("tcp_inuse_peak", -1)
    return v / 2.0 if v is not None and v >= 0 else None


def sec_fleet(rows, md, targets):
    if not sel(rows, section="fleet"):
        return
    md.append("## Fleet: the example VLAN playbook on many devices\n")
    md.append("`netauto run playbooks/examples/vlans.yaml -e @vlans10.yaml --transport T --forks F`"
              ": ten VLANs from a loop in one config session, `copy running-config "
              "startup-config`, `show vlan brief` with four `expect` patterns, on every device of "
              "one simulator process (each device has its own SSH and Telnet port and host key; "
              "strict host-key checking against the simulator's known_hosts). The simulator runs "
              "on the same two cores: its CPU is shown separately. *Concurrent sessions*: the peak "
              "number of TCP connections open during the run (TCP sockets in use in the "
              "benchmark's network namespace, sampled every 5 ms, halved since both ends count; "
              "closing connections count until closed, so it can exceed `--forks`).\n")
    out = []
    mem = []
    devs = sorted({r["devices"] for r in sel(rows, section="fleet")})
    for n in devs:
        for t in ("ssh", "telnet"):
            forks = sorted({r["forks"] for r in sel(rows, section="fleet", devices=n, transport=t,
                                                     tool="netauto run")})
            st = {}
            for fk in forks:
                rs = sel(rows, section="fleet", devices=n, transport=t, tool="netauto run",
                         forks=fk)
                w, c, p, k = Stat(rs, wall), Stat(rs, cpu), Stat(rs, rss), Stat(rs, conc_of)
                st[fk] = (w, p, k)
                hps = "%.0f" % (n / (w.med / 1000.0)) if w.med else "-"
                out.append([n, t, fk, w.n, w.fmt(1 / 1000, 2), hps, c.fmt(1, 2),
                            Stat(rs, simcpu).fmt(1, 2), p.fmt(1 / 1024, 1), k.fmt(1, 0),
                            Stat(rs, lambda r: r.get("sim_hwm_kb")).fmt(1 / 1024, 1)])
                if n == 1000 and t == "ssh":
                    targets.append(("1,000 SSH devices, wall time (--forks %d)" % fk, "<= 10 s",
                                    "%.2f s" % (w.med / 1000.0) if w.med else "-"))
            base = Stat(sel(rows, section="fleet", devices=n, transport=t, tool="baseline"), rss)
            sess_rows = sel(rows, section="fleet", devices=n, transport=t, tool="sessions")
            sess = Stat(sess_rows, lambda r: (r.get("own") or {}).get("kib_per_session"))
            nsess = sess_rows[0].get("sessions") if sess_rows else None
            hi_fk = forks[-1] if forks else None
            ub = kept = None
            if hi_fk is not None:
                p, k = st[hi_fk][1], st[hi_fk][2]
                if None not in (p.med, k.med, base.med) and k.med > 0:
                    ub = (p.med - base.med) / k.med
            if 100 in st and None not in (st[100][1].med, st[100][2].med, base.med, sess.med):
                kept = (st[100][1].med - base.med - st[100][2].med * sess.med) / n
            mem.append([n, t, base.fmt(1 / 1024, 1), nsess or "-", sess.fmt(1, 1),
                        hi_fk if hi_fk is not None else "-",
                        "%.1f" % ub if ub is not None else "-",
                        "%.1f" % kept if kept is not None else "-"])
            limit = 256 if t == "ssh" else 32
            if sess.med is not None and n == max(devs):
                targets.append(("%s: RSS per concurrent session (%s sessions open at once)"
                                % (t, nsess), "<= %d KiB" % limit, "%.1f KiB" % sess.med))
            if ub is not None and hi_fk is not None and hi_fk >= n:
                targets.append(("%s, %d devices all at once: (peak - baseline) / sessions, "
                                "results included" % (t, n), "<= %d KiB" % limit, "%.1f KiB" % ub))
    md.append(table(["devices", "transport", "--forks", "runs", "wall s", "hosts/s",
                     "netauto CPU s", "simulator CPU s", "netauto peak RSS MiB",
                     "concurrent sessions", "simulator peak RSS MiB"], out))
    md.append("")
    if mem:
        md.append("Memory. *Per open session*: bench/sessions opens N sessions on netauto's driver "
                  "to N devices from one poll loop, runs `show vlan brief` on each, and reads its "
                  "RSS only when all N are open at once: (RSS then - RSS before the first) / N. "
                  "*Run, per session*: (netauto run's peak RSS at the highest `--forks` - the "
                  "one-host baseline) / concurrent sessions; it also counts what the run keeps "
                  "for every finished host, so it is an upper bound when every device is in flight "
                  "at once and overstated otherwise. *Kept per host*: (peak RSS at `--forks 100` - "
                  "baseline - concurrent sessions x per open session) / devices: the results the "
                  "run holds per finished host (for the summary and `--json`).\n")
        md.append(table(["devices", "transport", "one-host baseline RSS MiB", "sessions open",
                         "KiB per open session", "highest --forks", "run, KiB per session",
                         "KiB kept per host"], mem))
        md.append("")


def sec_latency(rows, md, targets, window):
    rs0 = sel(rows, section="latency")
    if not rs0:
        return
    method = rs0[0].get("method", "?")
    md.append("## Latency: the 100-line push with added round-trip time\n")
    md.append("The same 100-line push over SSH (login, enable, config, `show running-config`) "
              "with %s. *Lockstep* sends a line and waits for its echo and prompt before the next "
              "(one round trip per line); *pipelined* keeps up to %d lines in flight "
              "(`--config-window %d`), still checking each line's echo and output in order.\n"
              % ("`tc netem delay` on the namespace's loopback" if method == "netem" else
                 "bench/delayproxy between client and simulator, delaying every byte by half "
                 "the round trip in each direction (this kernel has no netem qdisc)",
                 window, window))
    out = []
    for rtt in sorted({r["rtt_ms"] for r in rs0}):
        fl = Stat(sel(rows, section="latency", rtt_ms=rtt, tool="floor"), wall)
        lk = Stat(sel(rows, section="latency", rtt_ms=rtt, tool="netauto run (lockstep)"), wall)
        for tool in tools_in(rows, section="latency", rtt_ms=rtt):
            rs = sel(rows, section="latency", rtt_ms=rtt, tool=tool)
            w = Stat(rs, wall)
            sp = ratio(lk.med, w.med, 1) if "window" in tool else ""
            out.append([rtt, tool, w.n, w.fmt(1 / 1000, 2), ratio(w.med, fl.med), sp,
                        Stat(rs, cpu).fmt(1000, 1)])
            if "window" in tool:
                targets.append(("pipelined vs lockstep push at %d ms RTT" % rtt,
                                ">= 5x at 50 ms" if rtt == 50 else "(none set)",
                                ratio(lk.med, w.med, 1)))
    md.append(table(["RTT ms", "tool", "runs", "wall s", "x floor", "speed-up over lockstep",
                     "CPU ms (user+sys)"], out))
    md.append("")


def sec_startup(rows, md, work):
    rs0 = sel(rows, section="startup")
    if not rs0:
        return
    md.append("## Start-up\n")
    md.append("`netauto --version` (process start and exit) and `netauto inventory -i` on a "
              "generated 10,000-host inventory (load, resolve defaults < groups < host, print the "
              "table). Timed with hyperfine (`-N`, warm-up runs first) and with bench/measure "
              "(which also gives the peak RSS).\n")
    hf = {}
    for name, case in (("hf-version.json", "netauto --version"),
                       ("hf-inventory.json", "netauto inventory, 10,000 hosts")):
        p = os.path.join(work, name)
        if os.path.exists(p):
            r = json.load(open(p))["results"][0]
            hf[case] = "%.2f +- %.2f (%d runs)" % (r["mean"] * 1000, r["stddev"] * 1000,
                                                   len(r["times"]))
    out = []
    for case in ("netauto --version", "netauto inventory, 10,000 hosts"):
        rs = sel(rows, section="startup", case=case)
        out.append([case, hf.get(case, "-"), Stat(rs, wall).fmt(1, 2), Stat(rs, cpu).fmt(1000, 1),
                    Stat(rs, rss).fmt(1 / 1024, 1)])
    md.append(table(["command", "hyperfine mean +- sd ms", "wall ms (measure)",
                     "CPU ms (user+sys)", "peak RSS MiB"], out))
    md.append("")


def sec_cluster(rows, md, targets):
    rs0 = sel(rows, section="cluster")
    if not rs0:
        return
    md.append("## Cluster\n")
    md.append("netautod's cluster mode (docs/cluster.md): one api node and 1-3 workers of one "
              "site on a private nats-server -js, a configuration job (`vlan 9` + `show vlan "
              "brief`) on simulated SSH devices; wall time from `POST /v1/jobs` to the job's end "
              "(bench/cluster.py). *service*: the simulator's slow fault (bytes a second each "
              "device sends), a stand-in for a real device's service time. Everything shares "
              "this machine's cores.\n")
    out = []
    for r in rs0:
        base = [x for x in rs0 if x["devices"] == r["devices"] and
                x["service"] == r["service"] and x["workers"] == 1]
        scale = ("%.2fx" % (r["per_min"] / base[0]["per_min"])
                 if base and base[0]["per_min"] else "-")
        out.append([format(r["devices"], ","), r["service"], r["workers"], r["tasks"],
                    "%.1f" % r["wall_s"], format(r["per_min"], ","), scale,
                    "ok" if r["rc"] == 0 else "FAILED"])
    md.append(table(["devices", "service", "workers", "tasks each", "wall s", "devices/min",
                     "vs 1 worker", "job"], out))
    md.append("")


def sec_parse(rows, md, targets):
    rs0 = sel(rows, section="parse")
    if not rs0:
        return
    recs = rs0[0]["records"]
    md.append("## Parsing\n")
    md.append("IOS `show ip route` with %s routes (%s records, %.1f MiB) through "
              "bench/ip_route.textfsm. *engine*: the CPU time of the parse alone, reading the "
              "files excluded (netauto: `na_tfsm_parse` in bench/tfsm_bench; python3-textfsm: "
              "`ParseText`); *process*: the whole command, start to exit, writing the records "
              "as JSON (`netauto parse`; bench/textfsm_parse.py with `json.dump`). Both give the "
              "same records (checked before the runs).\n"
              % (format(rs0[0]["routes"], ","), format(recs, ","),
                 rs0[0]["input_bytes"] / 1048576.0))

    def eng(r):
        return (r.get("own") or {}).get("parse_s")
    out = []
    stats = {}
    for tool in ("netauto engine", "netauto parse", "python3-textfsm"):
        rs = sel(rows, section="parse", tool=tool)
        if not rs:
            continue
        e = Stat(rs, eng)
        c = Stat(rs, cpu)
        stats[tool] = (e, c)
        rate = "%s" % format(int(recs / e.med), ",") if e.med else "-"
        out.append([tool, c.n, e.fmt(1000, 1) if e.med else "-", rate, Stat(rs, wall).fmt(1, 0),
                    c.fmt(1000, 0), Stat(rs, rss).fmt(1 / 1024, 1)])
    md.append(table(["tool", "runs", "engine CPU ms", "records/s (engine)", "process wall ms",
                     "process CPU ms", "peak RSS MiB"], out))
    md.append("")
    if "netauto engine" in stats and "python3-textfsm" in stats:
        targets.append(("parse records/s, netauto's engine vs python3-textfsm's (same template "
                        "and input)", ">= 20x",
                        ratio(stats["python3-textfsm"][0].med, stats["netauto engine"][0].med, 1)))
    if "netauto parse" in stats and "python3-textfsm" in stats:
        targets.append(("parse, whole process writing JSON: python3-textfsm CPU / netauto CPU",
                         "(none set)",
                         ratio(stats["python3-textfsm"][1].med, stats["netauto parse"][1].med, 1)))


def summary(rows):
    """The headline table (what the README quotes): medians, floor / netauto / Netmiko."""
    def med(f=wall, **kw):
        return Stat(sel(rows, **kw), f).med

    def ms(v):
        if v is None:
            return "-"
        return "%.1f ms" % v if v < 1000 else "%.2f s" % (v / 1000.0)

    out = []
    for t in ("ssh", "telnet"):
        if sel(rows, section="show", transport=t):
            out.append(["one-off `show vlan brief`, %s" % t,
                        ms(med(section="show", transport=t, tool="floor")),
                        ms(med(section="show", transport=t, tool="netauto show")), "-",
                        ms(med(section="show", transport=t, tool="Netmiko (fast_cli)")), "-"])
    for n in (100, 1000):
        for t in ("ssh", "telnet"):
            if not sel(rows, section="push", lines=n, transport=t):
                continue
            win = [r["tool"] for r in sel(rows, section="push", lines=n, transport=t)
                   if "window" in r["tool"]]
            out.append(["%d-line push + `show running-config`, %s" % (n, t),
                        ms(med(section="push", lines=n, transport=t, tool="floor")),
                        ms(med(section="push", lines=n, transport=t, tool="netauto run")),
                        ms(med(section="push", lines=n, transport=t, tool=win[0])) if win else "-",
                        ms(med(section="push", lines=n, transport=t, tool="Netmiko (fast_cli)")),
                        ms(med(section="push", lines=n, transport=t, tool="Netmiko (defaults)"))])
    for rtt in sorted({r["rtt_ms"] for r in sel(rows, section="latency")}):
        win = [r["tool"] for r in sel(rows, section="latency", rtt_ms=rtt) if "window" in r["tool"]]
        out.append(["100-line push, ssh, %d ms round trip" % rtt,
                    ms(med(section="latency", rtt_ms=rtt, tool="floor")),
                    ms(med(section="latency", rtt_ms=rtt, tool="netauto run (lockstep)")),
                    ms(med(section="latency", rtt_ms=rtt, tool=win[0])) if win else "-", "-", "-"])
    for n in sorted({r["devices"] for r in sel(rows, section="fleet")}):
        for t in ("ssh", "telnet"):
            v = med(section="fleet", devices=n, transport=t, tool="netauto run", forks=100)
            if v is not None:
                out.append(["example playbook on %s devices, %s (--forks 100)" % (format(n, ","), t),
                            "-", ms(v), "-", "-", "-"])
    return out


README_BEGIN = "<!-- bench-summary:begin (generated by bench/report.py) -->"
README_END = "<!-- bench-summary:end -->"


def quote_in_readme(path, head, targets, loads):
    """Put the summary and targets tables between the README's bench-summary markers."""
    with open(path) as f:
        old = f.read()
    i, j = old.find(README_BEGIN), old.find(README_END)
    if i < 0 or j < i:
        sys.stderr.write("report.py: %s has no bench-summary markers; not quoted\n" % path)
        return
    other = max((r["other_cores"] for r in loads), default=0.0)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    part = [README_BEGIN, "",
            "Measured by `make bench` on %s on a %d-core machine (other programs took up to %.2f "
            "cores meanwhile; see bench/RESULTS.md). Median wall time of the whole job, process "
            "start to exit:\n" % (when, os.cpu_count() or 0, other)]
    if head:
        part.append(table(["job", "floor", "netauto", "netauto pipelined", "Netmiko (fast_cli)",
                           "Netmiko (defaults)"], head))
        part.append("")
    if targets:
        part.append(table(["what", "target", "measured"], targets))
        part.append("")
    part.append(README_END)
    with open(path + ".tmp", "w") as f:
        f.write(old[:i] + "\n".join(part) + old[j + len(README_END):])
    os.replace(path + ".tmp", path)


def sec_files(rows, md, targets):
    rs0 = sel(rows, section="files")
    if not rs0:
        return
    n, mib = rs0[0]["devices"], rs0[0]["mib"]
    md.append("## Files: one %d MiB file to %d devices at once\n" % (mib, n))
    md.append("`netauto put -i INV all FILE flash:NAME --forks %d`: one process, one SSH session "
              "per device, the transfer on a second channel of it; with the device's md5 before "
              "(nothing to send?) and after (verified), the free-space check and the rename into "
              "place, as always; and with `--verify none` (transfer, free space, rename). Against "
              "OpenSSH's `scp -O` started %d times in parallel (no verification). Aggregate "
              "throughput: %d x %d MiB / wall time of the whole job.\n" % (n, n, n, mib))
    out = []
    thr = {}
    for tool in tools_in(rows, section="files"):
        rs = sel(rows, section="files", tool=tool)
        agg = Stat(rs, lambda r: n * mib / (r["wall_ms"] / 1000.0))
        thr[tool] = agg.med
        out.append([tool, Stat(rs, wall).fmt(1 / 1000.0, 2), agg.fmt(1, 0),
                    Stat(rs, cpu).fmt(1, 1), Stat(rs, rss).fmt(1 / 1024, 1),
                    Stat(rs, simcpu).fmt(1, 1)])
    md.append(table(["tool", "wall s", "aggregate MiB/s", "CPU s (user+sys)", "peak RSS MiB",
                     "simulator CPU s"], out))
    scp = [v for k, v in thr.items() if k.startswith("scp")]
    md.append("")
    for k in ("netauto put", "netauto put --verify none"):
        if thr.get(k) and scp and scp[0]:
            md.append("- %s: %s the aggregate throughput of %d parallel scp." %
                      (k, ratio(thr[k], scp[0]), n))
            targets.append(["%s, %d x %d MiB at once, vs %d parallel scp" % (k, n, mib, n),
                            "as fast as scp", "%.0f vs %.0f MiB/s (%s)" %
                            (thr[k], scp[0], ratio(thr[k], scp[0]))])
    md.append("")


def main():
    ap = argparse.ArgumentParser()
    for a in ("results", "notes", "work", "build", "out", "netns", "readme"):
        ap.add_argument("--" + a, default="")
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--window", type=int, default=0)
    a = ap.parse_args()
    rows = load(a.results)
    md = ["# netauto benchmarks\n",
          "Generated by `make bench` (bench/run.sh) on %s UTC in %d s. Method and how to read "
          "the tables: [docs/bench.md](../docs/bench.md). Every figure is the median of the runs "
          "shown, with (min-max); warm-up runs are not counted; a failed run is shown as failed, "
          "never averaged in.\n"
          % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"), a.elapsed),
          "## Machine\n", table(["", ""], machine(a.build)), ""]
    md.append("Network: loopback inside the network namespace `%s` made for the run.\n" % a.netns
              if a.netns else "Network: the host's loopback (no network namespace).\n")
    loads = [r for r in rows if r.get("section") == "load"]
    if loads:
        md.append("Other programs on the machine during the run (CPU the machine was busy minus "
                  "what this benchmark's processes used, in cores of %d on average; nothing else "
                  "running gives 0.00):\n" % (os.cpu_count() or 0))
        md.append(table(["section", "wall s", "this benchmark, cores", "other programs, cores",
                         "priority"],
                        [[r["of"], "%.0f" % r["wall_s"], "%.2f" % r["ours_cores"],
                          "%.2f" % r["other_cores"],
                          "real-time" if r.get("realtime") else "normal"] for r in loads]))
        md.append("")
    targets = []
    body = []
    sec_show(rows, body, targets)
    sec_push(rows, body, targets, a.window)
    sec_fleet(rows, body, targets)
    sec_latency(rows, body, targets, a.window)
    sec_startup(rows, body, a.work)
    sec_parse(rows, body, targets)
    sec_files(rows, body, targets)
    sec_cluster(rows, body, targets)
    head = summary(rows)
    if head:
        md.append("## Summary\n")
        md.append("Median wall time of the whole job (process start to exit; the fleet: the whole "
                  "run). *netauto* is lockstep; *pipelined* keeps up to %d configuration lines in "
                  "flight (`--config-window %d`).\n" % (a.window, a.window))
        md.append(table(["job", "floor", "netauto", "netauto pipelined", "Netmiko (fast_cli)",
                         "Netmiko (defaults)"], head))
        md.append("")
    md.append("## Targets\n")
    md.append(table(["what", "target", "measured"], targets) if targets else "(no sections ran)")
    md.append("")
    md.extend(body)
    notes = [l.strip() for l in open(a.notes)] if a.notes and os.path.exists(a.notes) else []
    fails = sum(1 for r in rows if "rc" in r and r["rc"] != 0)
    if fails:
        notes.append("%d measured run(s) failed; see the tables." % fails)
    if notes:
        md.append("## Notes\n")
        md.extend("- " + n for n in notes if n)
        md.append("")
    text = "\n".join(md) + "\n"
    with open(a.out + ".tmp", "w") as f:
        f.write(text)
    os.replace(a.out + ".tmp", a.out)
    if a.readme:
        quote_in_readme(a.readme, head, targets, loads)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
