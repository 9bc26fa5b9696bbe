"""test_sim_netmiko.py — netauto-sim against a third-party client: Debian's netmiko 2.4.2 over
SSH (cisco_ios) and Telnet (cisco_ios_telnet) logs in, enters enable mode with the secret,
creates VLANs 2-5 with names through send_config_set, and sees them in show vlan brief; the
simulator's counters agree (logins per transport, config sessions never overlapped). The NX-OS
and EOS personalities are driven with netmiko's cisco_nxos and arista_eos too."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

from netmiko import ConnectHandler  # noqa: E402

t = Tap()


def vlan_rows(out):
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^(\d+)\s+(\S+)\s+(active|act/unsup)\b", line)
        if m:
            rows[int(m.group(1))] = m.group(2)
    return rows


def session(device_type, port, vlans, names_prefix):
    c = ConnectHandler(device_type=device_type, host="127.0.0.1", port=port, username="admin",
                       password="lab-pass-1", secret="lab-enable-1", timeout=20)
    try:
        c.enable()
        prompt = c.find_prompt()
        cfg = []
        for v in vlans:
            cfg += ["vlan %d" % v, "name %s%d" % (names_prefix, v)]
        out = c.send_config_set(cfg)
        brief = c.send_command("show vlan brief")
        return prompt, out, brief
    finally:
        c.disconnect()


with Sim(["--devices", "1", "--devices", "1:nxos", "--devices", "1:eos"]) as sim:
    sw1 = sim.devices["sw1"]

    r = t.run("netmiko cisco_ios over SSH: login, enable, config, show", session, "cisco_ios",
              sw1.ssh_port, [2, 3], "SSH")
    if r:
        prompt, out, brief = r
        t.eq(prompt, "sw1#", "SSH: enable prompt found by netmiko")
        t.ok("% Invalid" not in out and "sw1(config-vlan)#" in out,
             "SSH: config lines accepted", out)
        rows = vlan_rows(brief)
        t.eq({v: rows.get(v) for v in (2, 3)}, {2: "SSH2", 3: "SSH3"},
             "SSH: show vlan brief lists VLANs 2-3 with names")

    r = t.run("netmiko cisco_ios_telnet: login, enable, config, show", session,
              "cisco_ios_telnet", sw1.telnet_port, [4, 5], "TEL")
    if r:
        prompt, out, brief = r
        t.eq(prompt, "sw1#", "Telnet: enable prompt found by netmiko")
        rows = vlan_rows(brief)
        t.eq({v: rows.get(v) for v in (2, 3, 4, 5)},
             {2: "SSH2", 3: "SSH3", 4: "TEL4", 5: "TEL5"},
             "Telnet: show vlan brief lists VLANs 2-5 (SSH and Telnet share the device)")

    st = sim.stats()
    d = st["devices"]["sw1"]
    t.eq((d["logins"]["ssh"], d["logins"]["telnet"]), (1, 1), "one login per transport counted")
    t.eq(d["login_failures"], 0, "no login failures")
    t.eq(d["max_concurrent_config"], 1, "config sessions never overlapped")
    t.eq(d["sessions_open"], 0, "sessions closed after disconnect")
    t.ok(d["config_commands"] >= 8, "config commands counted", d)

    nx = sim.devices["nx1"]
    r = t.run("netmiko cisco_nxos over SSH", session, "cisco_nxos", nx.ssh_port, [10], "NX")
    if r:
        t.eq(vlan_rows(r[2]).get(10), "NX10", "NX-OS: show vlan brief lists the VLAN")
    eos = sim.devices["eos1"]
    r = t.run("netmiko arista_eos over SSH", session, "arista_eos", eos.ssh_port, [20], "EOS")
    if r:
        t.eq(r[0], "eos1#", "EOS: enable prompt")
        t.eq(vlan_rows(r[2]).get(20), "EOS20", "EOS: show vlan brief lists the VLAN")
    t.eq(sim.stop(), 0, "simulator stops cleanly on SIGTERM")

t.done()
