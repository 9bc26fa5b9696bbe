"""test_sim_quirks.py — what real CLIs do that netauto's own simulator did not (issue 12), each a
netauto-sim option, end to end with `netauto run` over SSH and over Telnet: the transcript proves
the device really did it (the bytes are there), the results prove netauto read it right.

  cr-prompt        NX-OS 9K ends an output with a bare CR before the prompt (show file md5sum,
                   of a file placed on the device's flash: the hash is the file's own)
  fixed-width=80   the device ignores `terminal width`: IOS scrolls a long line ("$", backspaces),
                   EOS wraps it (" \\r"); the echo is still recognised, and the next one too
  async=after      syslog messages after the prompt, on lines of their own
  async=glued      the first one glued to the prompt
  banner-trap=MS   a banner with lines ending in '#' and '>' followed by pauses (shorter and
                   longer than netauto's settle time), hash art drawn slowly
  kerberos         Telnet "Username: " with NX-OS's Kerberos notice glued to it
  cr-only          the line editor acts on CR only (a bare LF is nothing)
  % errors         IOS "% IP  routing table foo does not exist" (an error), "% Access VLAN does
                   not exist. Creating vlan 55" (not one)
  iosxr            commit, a commit refused ("% Failed to commit ...") and abort
  junos            set / commit, a commit check refused and rollback 0, [edit] above the prompt;
                   re-master: {master:0} above every prompt
Across all of it no credential went to a wrong question: the devices count no failed login."""
import hashlib
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run, device  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
WRAP = bool(os.environ.get("NETAUTO_WRAP"))
SLOW = 4 if WRAP else 1
TRANSPORTS = ("ssh", "telnet")
LONG = ("show running-config | include hostname|vlan|interface Ethernet1|"
        "interface GigabitEthernet0/1|description")

DEVICES = [  # (spec, options)
    ("1:nxos:crp", ["crp1:cr-prompt"]),
    ("1:ios:wid", ["wid1:fixed-width=80"]),
    ("1:eos:wre", ["wre1:fixed-width=80"]),
    ("1:ios:asa", ["asa1:async=after"]),
    ("1:ios:asg", ["asg1:async=glued"]),
    ("1:ios:bts", ["bts1:banner-trap=120"]),
    ("1:ios:btl", ["btl1:banner-trap=700"]),
    ("1:nxos:krb", ["krb1:kerberos"]),
    ("1:ios:cro", ["cro1:cr-only"]),
    ("1:ios:pct", []),
    ("1:iosxr:xr", []),
    ("1:junos:jn", []),
    ("1:junos:jm", ["jm1:re-master"]),
]


# The file `show file ... md5sum` hashes, on crp1's flash (netauto-sim --state-dir keeps a
# device's flash in STATE/NAME/flash; see docs/files.md).
CANDIDATE = b"hostname crp1\ninterface Ethernet1/1\n  description uplink\n"
STATE = tempfile.mkdtemp(prefix="netauto-quirks.")
os.makedirs(os.path.join(STATE, "crp1", "flash"))
with open(os.path.join(STATE, "crp1", "flash", "candidate_config.txt"), "wb") as f:
    f.write(CANDIDATE)


def sim_args():
    a = ["--state-dir", STATE]
    for spec, opts in DEVICES:
        a += ["--devices", spec]
        for o in opts:
            a += ["--opt", o]
    return a


def run(r, sim, tr, host, pb_text, name):
    pb = r.write("%s-%s.yaml" % (name, tr), pb_text)
    tdir = r.path("tr-%s-%s" % (name, tr))
    res = r.netauto(["run", pb, "-i", sim.inventory, "--transport", tr, "--limit", host,
                     "--transcripts", tdir], json_out=True, timeout=300 * SLOW)
    h = (res.json or {}).get("hosts", {}).get(host, {})
    path = os.path.join(tdir, host + ".transcript")
    text = open(path, encoding="utf-8", errors="replace").read() if os.path.exists(path) else ""
    return res, h, text


def tasks(h):
    return {x["name"]: x for x in h.get("tasks", [])}


def received(text):
    """The received bytes of a transcript, as the escaped text it stores them in."""
    return "".join(re.findall(r'^[0-9.]+ < "(.*)"$', text, re.M))


def cr_prompt(r, sim, tr):
    res, h, text = run(r, sim, tr, "crp1", """
- hosts: crp1
  tasks:
    - {name: md5, command: "show file bootflash:candidate_config.txt md5sum"}
    - {name: clock, command: show clock}
""", "crp")
    ts = tasks(h)
    out = ts.get("md5", {}).get("output", "")
    md5 = hashlib.md5(CANDIDATE).hexdigest()
    t.ok(res.rc == 0 and out == md5,
         "cr-prompt over %s: the hash is the whole output" % tr, (res.rc, out, res.err[-500:]))
    t.ok(re.search(md5 + r'\\rcrp1# ', received(text)) is not None,
         "... and the device did send hash, bare CR, prompt")
    t.ok("UTC" in ts.get("clock", {}).get("output", ""), "... the next command too")


def fixed_width(r, sim, tr, host, marker):
    res, h, text = run(r, sim, tr, host, """
- hosts: %s
  tasks:
    - {name: long, command: "%s"}
    - {name: again, command: "%s"}
    - {name: clock, command: show clock}
""" % (host, LONG, LONG), "fw-" + host)
    ts = tasks(h)
    o1, o2 = ts.get("long", {}).get("output", "x"), ts.get("again", {}).get("output", "y")
    t.ok(res.rc == 0 and o1.startswith("hostname %s\n" % host) and o1 == o2,
         "fixed-width over %s (%s): the long line's output, without its echo, twice" % (tr, host),
         (res.rc, o1[:200], o2[:200]))
    t.ok(marker in received(text), "... the device did %s the echo (%r in the transcript)"
         % ("scroll" if marker == "\\b$" else "wrap", marker))
    t.ok(ts.get("clock", {}).get("output", "").count("\n") < 4 and
         "show clock" not in ts.get("clock", {}).get("output", ""),
         "... later outputs do not start with their echo (no switch to no-echo)")


def async_msgs(r, sim, tr, host, glued):
    res, h, text = run(r, sim, tr, host, """
- hosts: %s
  tasks:
    - {name: bounce, config: ["interface GigabitEthernet0/3", "shutdown", "no shutdown"]}
    - {name: clock, command: show clock}
    - {name: vlan, config: ["vlan 33", "name thirty-three"]}
""" % host, "as-" + host)
    ts = tasks(h)
    msgs = ts.get("bounce", {}).get("async_messages") or []
    t.ok(res.rc == 0 and any("%LINK-5-CHANGED: Interface GigabitEthernet0/3" in m for m in msgs)
         and any("%SYS-5-CONFIG_I: Configured from console" in m for m in msgs),
         "async=%s over %s: the messages are reported apart" % ("glued" if glued else "after", tr),
         (res.rc, msgs, res.err[-400:]))
    t.ok(all(x.get("output", "") in ("", None) or "%" not in x.get("output", "")
             for n, x in ts.items() if n != "clock"),
         "... and kept out of the outputs", {n: x.get("output") for n, x in ts.items()})
    t.ok("UTC" in ts.get("clock", {}).get("output", "") and
         "%SYS" not in ts.get("clock", {}).get("output", ""), "... the next command is clean")
    pat = r'%s#\*[A-Z][a-z]{2} ' % host if glued else r'%s#\\r\\n\*[A-Z][a-z]{2} ' % host
    t.ok(re.search(pat, received(text)) is not None,
         "... the device did print them %s the prompt" % ("glued to" if glued else "after"))


def banner_trap(r, sim, tr, host):
    before = device(sim.stats(), host)["login_failures"]
    res, h, text = run(r, sim, tr, host, """
- hosts: %s
  tasks:
    - {name: priv, command: show privilege}
""" % host, "bt-" + host)
    out = tasks(h).get("priv", {}).get("output", "")
    t.ok(res.rc == 0 and out == "Current privilege level is 15",
         "banner-trap (%s) over %s: logged in, enable, the command ran" % (host, tr),
         (res.rc, out, res.err[-500:]))
    t.ok("Maintenance tonight 22:00 #" in received(text) or tr == "telnet",
         "... behind the banner with prompt-like lines")
    t.eq(device(sim.stats(), host)["login_failures"] - before, 0,
         "... and no credential went to a wrong question")


def kerberos(r, sim, tr):
    before = device(sim.stats(), "krb1")["login_failures"]
    res, h, text = run(r, sim, tr, "krb1", """
- hosts: krb1
  tasks:
    - {name: clock, command: show clock}
""", "krb")
    t.ok(res.rc == 0 and "UTC" in tasks(h).get("clock", {}).get("output", ""),
         "kerberos over %s: logged in" % tr, (res.rc, res.err[-500:]))
    t.eq(device(sim.stats(), "krb1")["login_failures"] - before, 0,
         "... without typing a credential at the Kerberos line")


def cr_only(r, sim, tr):
    res, h, text = run(r, sim, tr, "cro1", """
- hosts: cro1
  tasks:
    - {name: vlan, config: ["vlan 44", "name cr-only"]}
    - {name: show, command: show vlan brief}
""", "cro")
    out = tasks(h).get("show", {}).get("output", "")
    t.ok(res.rc == 0 and "44   cr-only" in out, "cr-only over %s: Enter is CR" % tr,
         (res.rc, out[-300:], res.err[-400:]))


def percent_errors(r, sim, tr):
    vlan = 55 if tr == "ssh" else 56  # a VLAN the device does not have yet
    res, h, text = run(r, sim, tr, "pct1", """
- hosts: pct1
  tasks:
    - name: informational
      config: ["interface GigabitEthernet0/7", "switchport access vlan %d"]
    - name: vrf
      config: ["ntp server 10.1.1.1", "ntp server vrf foo 1.2.3.4"]
      ignore_errors: true
""" % vlan, "pct")
    ts = tasks(h)
    e = (ts.get("vrf", {}).get("error") or {}).get("message", "")
    t.ok(ts.get("informational", {}).get("ok") is True and
         "%% Access VLAN does not exist. Creating vlan %d" % vlan in
         ts["informational"]["output"],
         "%% errors over %s: an informational %% line is not an error" % tr,
         ts.get("informational"))
    t.eq(e, "pct1: config line 2 'ntp server vrf foo 1.2.3.4' failed: % IP  routing table foo "
            "does not exist", "... an unlisted %% line in answer to a config line is")


def iosxr(r, sim, tr):
    res, h, text = run(r, sim, tr, "xr1", """
- hosts: xr1
  tasks:
    - {name: push, config: ["vlan 30", "name thirty", "interface GigabitEthernet0/4",
                            "description uplink-%s"]}
    - name: refused
      config: ["interface Loopback1", "ip address 10.1.1.1 255.255.255.0", "interface Loopback2",
               "ip address 10.1.1.2 255.255.255.0"]
      ignore_errors: true
    - {name: check, command: "show running-config | include thirty|uplink|Loopback"}
""" % tr, "xr")
    ts = tasks(h)
    t.ok(ts.get("push", {}).get("ok") is True and ts["push"]["commands"][-1] == "commit",
         "iosxr over %s: the lines, then commit" % tr, ts.get("push"))
    ref = ts.get("refused", {})
    t.ok(ref.get("ok") is False and ref.get("commands", [])[-2:] == ["commit", "abort"] and
         "'commit' failed: % Failed to commit one or more configuration items" in
         (ref.get("error") or {}).get("message", ""),
         "... a refused commit fails the task, then abort", ref)
    t.ok(ts.get("check", {}).get("output") == " name thirty\n description uplink-%s" % tr,
         "... the device has the committed change and not the refused one",
         ts.get("check", {}).get("output"))
    t.ok("RP/0/RSP0/CPU0:xr1(config)#" in received(text), "... with IOS XR's prompts")


def junos(r, sim, tr, host):
    vid = 10 if tr == "ssh" else 20
    res, h, text = run(r, sim, tr, host, """
- hosts: %s
  tasks:
    - {name: push, config: ["set vlans users-%s vlan-id %d",
                            "set interfaces ge-0/0/1 description up"]}
    - {name: dup, config: ["set vlans voice vlan-id %d"], ignore_errors: true}
    - {name: vlans, command: show vlans}
""" % (host, tr, vid, vid), "jn-" + host)
    ts = tasks(h)
    push, dup = ts.get("push", {}), ts.get("dup", {})
    t.ok(push.get("ok") is True and push.get("commands", [])[-1:] == ["commit"] and
         push.get("output") == "commit complete\n",
         "junos (%s) over %s: set, then commit complete" % (host, tr), push)
    t.ok(dup.get("ok") is False and dup.get("commands", [])[-2:] == ["commit", "rollback 0"] and
         (dup.get("error") or {}).get("message") ==
         "%s: 'commit' failed: error: configuration check-out failed" % host,
         "... a commit refused by its check, then rollback 0", dup)
    out = ts.get("vlans", {}).get("output", "")
    t.ok(re.search(r"^default-switch +users-%s +%d *$" % (tr, vid), out, re.M) is not None and
         "voice" not in out and "{master" not in out and "[edit" not in out,
         "... show vlans: the committed VLAN, no prompt line in the output", out)
    if host == "jm1":
        t.ok("{master:0}\\r\\n" in received(text), "... {master:0} was above the prompts")
    t.ok("[edit]\\r\\n" in received(text), "... [edit] above the configuration prompt")


with Sim(sim_args()) as sim, Run() as r:
    for tr in TRANSPORTS:
        t.run("cr-prompt over " + tr, cr_prompt, r, sim, tr)
        t.run("fixed width, IOS scroll, over " + tr, fixed_width, r, sim, tr, "wid1", "\\b$")
        t.run("fixed width, EOS wrap, over " + tr, fixed_width, r, sim, tr, "wre1", " \\r")
        t.run("async after over " + tr, async_msgs, r, sim, tr, "asa1", False)
        t.run("async glued over " + tr, async_msgs, r, sim, tr, "asg1", True)
        t.run("banner trap, short pauses, over " + tr, banner_trap, r, sim, tr, "bts1")
        t.run("banner trap, long pauses, over " + tr, banner_trap, r, sim, tr, "btl1")
        t.run("kerberos over " + tr, kerberos, r, sim, tr)
        t.run("cr-only over " + tr, cr_only, r, sim, tr)
        t.run("% errors over " + tr, percent_errors, r, sim, tr)
        t.run("iosxr over " + tr, iosxr, r, sim, tr)
        t.run("junos over " + tr, junos, r, sim, tr, "jn1")
        t.run("junos re-master over " + tr, junos, r, sim, tr, "jm1")
shutil.rmtree(STATE, ignore_errors=True)
t.done()
