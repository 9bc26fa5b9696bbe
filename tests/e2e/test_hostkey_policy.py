"""test_hostkey_policy.py — SSH host-key policies as a user of `netauto run`, `show` and
`compare` meets them. Strict is the default: an unknown key is refused (its fingerprint and how
to accept it in the message) before anything is sent; a changed key is refused with both
fingerprints, also under accept-new, and the file is left alone; accept-new records unknown keys
(then strict accepts them); `off` accepts anything and warns loudly — without -v — exactly ONCE
per host however many plays, tasks, commands and sessions reach it: several hosts, two inventory
names for one device, and a jump host (a real OpenSSH server) shared by two hosts. A device
whose only host key is RSA with rsa-sha2-512/256 signatures (most IOS boxes today) works with
the defaults under strict and accept-new; accept-new refuses a key of another type than the
recorded one."""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import start_sshd, stop_sshd  # noqa: E402
from runlib import Run, total  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import yaml  # noqa: E402

t = Tap()
WARN = "HOST KEY NOT VERIFIED (host_key_policy off)"

PB = """
- name: first play
  hosts: all
  tasks:
    - {name: one, command: show clock}
    - {name: two, command: show version, register: v}
- name: second play
  hosts: all
  tasks:
    - {name: three, command: show clock}
"""


def inventory(sim, r, name, policy=None, known_hosts=None, extra=None, jump=None):
    with open(sim.inventory) as f:
        inv = yaml.safe_load(f)
    d = inv["defaults"]
    if policy is None:
        d.pop("host_key_policy", None)  # the default
    else:
        d["host_key_policy"] = policy
    if known_hosts is not None:
        d["known_hosts"] = known_hosts
    inv["hosts"].update(extra or {})
    if jump:
        inv["hosts"].update(jump)
    return r.write(name, yaml.safe_dump(inv, sort_keys=False))


def warn_lines(err, who):
    return [ln for ln in err.splitlines()
            if WARN in ln and re.search(r"WARN +%s:" % re.escape(who), ln)]


def strict_default(sim, r):
    empty = r.write("empty_known_hosts", "")
    ip = inventory(sim, r, "strict.yaml", known_hosts=empty)
    pb = r.write("pb.yaml", PB)
    before = sim.stats()
    res = r.netauto(["run", pb, "-i", ip, "--limit", "sw1"], json_out=True)
    after = sim.stats()
    err = ((res.json or {}).get("hosts", {}).get("sw1", {}).get("error") or {})
    t.ok(res.rc == 1 and err.get("code") == "hostkey-unknown", "strict by default: an unknown "
         "key is refused", res.diag())
    msg = err.get("message", "")
    t.ok(re.search(r"the host key of \[127\.0\.0\.1\]:%d is not known: ssh-ed25519 "
                   r"SHA256:[A-Za-z0-9+/]{43}" % sim.devices["sw1"].ssh_port, msg) and
         "accept-new" in msg, "... naming the fingerprint and how to accept it", msg)
    t.eq(total(after, "logins") - total(before, "logins"), 0,
         "... before any login: no password went to an unverified server")
    with open(empty) as f:
        t.eq(f.read(), "", "... and nothing was recorded")


def accept_new(sim, r):
    kh = r.path("recorded_known_hosts")
    ip = inventory(sim, r, "acceptnew.yaml", policy="accept-new", known_hosts=kh)
    pb = r.write("pb.yaml", PB)
    res = r.netauto(["run", pb, "-i", ip, "--limit", "sw1:sw2"], json_out=True)
    t.ok(res.rc == 0, "accept-new: unknown keys are accepted", res.diag())
    with open(kh) as f:
        rec = sorted(ln.split()[0] + " " + ln.split()[1] + " " + ln.split()[2]
                     for ln in f if ln.strip() and not ln.startswith("#"))
    with open(sim.known_hosts) as f:
        want = sorted(ln.strip() for ln in f if ln.strip() and not ln.startswith("#") and
                      ln.split()[0] in ("[127.0.0.1]:%d" % sim.devices[n].ssh_port
                                        for n in ("sw1", "sw2")))
    t.eq(rec, want, "... and recorded: exactly the devices' keys, one line each")
    ip2 = inventory(sim, r, "strict2.yaml", policy="strict", known_hosts=kh)
    res = r.netauto(["run", pb, "-i", ip2, "--limit", "sw1:sw2"], json_out=True)
    t.ok(res.rc == 0, "strict then accepts the recorded keys", res.diag())
    res = r.netauto(["run", pb, "-i", ip, "--limit", "sw1:sw2"], json_out=True)
    with open(kh) as f:
        t.eq(len([ln for ln in f if ln.strip()]), 2, "accept-new again adds nothing")


def changed_key(sim, r):
    # rekey1 presents a fresh key; the simulator's known_hosts keeps its usual one
    pb = r.write("pb.yaml", PB)
    with open(sim.known_hosts) as f:
        orig = f.read()
    kh = r.write("kh_copy", orig)
    for policy in ("strict", "accept-new"):
        ip = inventory(sim, r, "changed-%s.yaml" % policy, policy=policy, known_hosts=kh)
        before = sim.stats()
        res = r.netauto(["run", pb, "-i", ip, "--limit", "rekey1"], json_out=True)
        after = sim.stats()
        err = ((res.json or {}).get("hosts", {}).get("rekey1", {}).get("error") or {})
        m = re.search(r"has CHANGED: recorded (SHA256:\S+), presented (SHA256:\S+)\.",
                      err.get("message", ""))
        t.ok(res.rc == 1 and err.get("code") == "hostkey-changed" and m and
             m.group(1) != m.group(2), "%s: a changed key is refused with both fingerprints"
             % policy, res.diag())
        t.eq(total(after, "logins") - total(before, "logins"), 0, "%s: ... before any login"
             % policy)
        with open(kh) as f:
            t.eq(f.read(), orig, "%s: ... and known_hosts is left alone" % policy)


def off_once(sim, r, sshd_inv):
    pb = r.write("pb.yaml", PB)
    # sw1 twice under two names (same device, same address): each name is warned about once;
    # sw2 and sw3 through the same jump host (OpenSSH), also with policy off
    with open(sshd_inv) as f:
        lnx = yaml.safe_load(f)["hosts"]["lnx1"]
    lnx.pop("known_hosts")
    lnx["host_key_policy"] = "off"
    d1 = sim.devices["sw1"]
    alias = {"sw1-alias": {"host": d1.addr, "ssh_port": d1.ssh_port,
                           "telnet_port": d1.telnet_port, "groups": ["sim", "ios"]}}
    for n in ("sw2", "sw3"):
        alias[n + "-via"] = {"host": "127.0.0.1", "ssh_port": sim.devices[n].ssh_port,
                             "telnet_port": sim.devices[n].telnet_port, "groups": ["sim", "ios"],
                             "jump_host": "lnx1"}
    ip = inventory(sim, r, "off.yaml", policy="off", known_hosts=r.path("never_written"),
                   extra=alias, jump={"lnx1": lnx})
    hosts = ["sw1", "sw2", "sw1-alias", "sw2-via", "sw3-via"]
    res = r.netauto(["run", pb, "-i", ip, "--limit", ",".join(hosts)], json_out=True)
    t.ok(res.rc == 0, "off: every host accepted (5 hosts, 2 plays, 3 tasks each)", res.diag())
    counts = {h: len(warn_lines(res.err, h)) for h in hosts + ["lnx1"]}
    t.eq(counts, dict.fromkeys(hosts + ["lnx1"], 1),
         "off: run warns without -v, exactly once per host (the shared jump host once too)")
    line = (warn_lines(res.err, "sw1") or [""])[0]
    t.ok(re.search(r"accepting ssh-ed25519 SHA256:\S+ from \[127\.0\.0\.1\]:%d without "
                   r"checking; anyone in the path could be impersonating it" % d1.ssh_port, line),
         "off: the warning names the key, its fingerprint and the risk", line)
    t.ok(not os.path.exists(r.path("never_written")), "off: known_hosts is not written")

    res = r.netauto(["show", "-i", ip, "--limit", "sw1,sw1-alias,sw2-via", "show clock",
                     "show version", "show clock"])
    counts = {h: len(warn_lines(res.err, h)) for h in ("sw1", "sw1-alias", "sw2-via", "lnx1")}
    t.ok(res.rc == 0 and counts == dict.fromkeys(counts, 1),
         "off: show with 3 commands on 3 hosts warns once per host", "%s\n%s" % (counts, res.err))
    res = r.netauto(["compare", "-i", ip, "sw1", "-c", "show clock", "-c", "show clock"])
    t.ok(res.rc == 0 and len(warn_lines(res.err, "sw1")) == 1, "off: compare warns once",
         res.err)


def rsa_only_device(sim, r):
    pb = r.write("pb.yaml", PB)
    ip = inventory(sim, r, "rsa-strict.yaml", policy="strict")  # the simulator's known_hosts
    res = r.netauto(["run", pb, "-i", ip, "--limit", "rsa1:sw1"], json_out=True)
    t.ok(res.rc == 0, "RSA-only device (rsa-sha2 only): default algorithms, strict: run ok",
         res.diag())
    res = r.netauto(["compare", "-i", ip, "rsa1", "-c", "show clock", "--json"])
    j = json.loads(res.out) if res.rc == 0 else {}
    ssh = j.get("transports", {}).get("ssh", {}).get("ssh") or {}
    t.ok(ssh.get("host_key_type") == "rsa-sha2-512", "... negotiated rsa-sha2-512, never SHA-1",
         res.out[-800:] + res.err[-800:])
    kh = r.path("rsa_known_hosts")
    ip = inventory(sim, r, "rsa-acceptnew.yaml", policy="accept-new", known_hosts=kh)
    res = r.netauto(["run", pb, "-i", ip, "--limit", "rsa1"], json_out=True)
    with open(kh) as f:
        rec = [ln.split()[:2] for ln in f if ln.strip()]
    t.ok(res.rc == 0 and rec == [["[127.0.0.1]:%d" % sim.devices["rsa1"].ssh_port, "ssh-rsa"]],
         "accept-new records the RSA key as ssh-rsa", "%s %s" % (rec, res.diag()))
    # a key of another type recorded for the device: accept-new refuses and adds nothing
    ed = [ln for ln in open(sim.known_hosts) if "ssh-ed25519" in ln][0].split()[1:3]
    other = r.write("other_type_known_hosts",
                    "[127.0.0.1]:%d %s %s\n" % (sim.devices["rsa1"].ssh_port, ed[0], ed[1]))
    ip = inventory(sim, r, "rsa-other.yaml", policy="accept-new", known_hosts=other)
    res = r.netauto(["run", pb, "-i", ip, "--limit", "rsa1"], json_out=True)
    err = ((res.json or {}).get("hosts", {}).get("rsa1", {}).get("error") or {})
    m = re.search(r"presents a ssh-rsa host key (SHA256:\S+), but a ssh-ed25519 key (SHA256:\S+) "
                  r"is recorded for it", err.get("message", ""))
    t.ok(res.rc == 1 and err.get("code") == "hostkey-changed" and m,
         "accept-new refuses a key of another type, with both fingerprints", res.diag())
    with open(other) as f:
        t.eq(len(f.read().splitlines()), 1, "... and adds nothing")


tmp = tempfile.mkdtemp(prefix="netauto-hostkey.")
sshd = None
try:
    sshd, sshd_inv = start_sshd(tmp)
    with Sim(["--devices", "3", "--devices", "1:ios:rekey", "--fault", "rekey1:hostkey-change",
              "--devices", "1:ios:rsa", "--opt", "rsa1:rsa-host-key"]) as sim, Run() as r:
        t.run("strict by default", strict_default, sim, r)
        t.run("accept-new", accept_new, sim, r)
        t.run("changed key", changed_key, sim, r)
        t.run("off warns once per host", off_once, sim, r, sshd_inv)
        t.run("RSA-only device", rsa_only_device, sim, r)
finally:
    stop_sshd(sshd)
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
