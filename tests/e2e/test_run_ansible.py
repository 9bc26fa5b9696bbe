"""test_run_ansible.py — an Ansible YAML inventory drives `netauto run`: connection variables
(ansible_host/port/user/password/become_password, ansible_network_os, ansible_connection
network_cli and telnet) reach the devices, groups work in plays and --limit, host vars from
the inventory feed templates; SSH host keys come from ~/.ssh/known_hosts (HOME is a private
directory holding the simulator's keys)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

import yaml  # noqa: E402

t = Tap()

PB = """
- name: access switches
  hosts: access
  tasks:
    - name: site VLAN
      config: ["vlan {{ site_vlan }}", "name {{ site_name }}"]
    - name: save
      save: true
- name: everyone
  hosts: all
  tasks:
    - name: version
      command: show version
      expect: ['IOS']
"""

with Sim(["--devices", "3"]) as sim, Run() as r:
    d = sim.devices
    inv = {
        "all": {
            "vars": {"ansible_user": "admin", "ansible_password": "lab-pass-1",
                     "ansible_become_password": "lab-enable-1",
                     "ansible_network_os": "cisco.ios.ios",
                     "ansible_connection": "ansible.netcommon.network_cli",
                     "site_vlan": 600, "site_name": "default-site"},
            "children": {
                "access": {
                    "vars": {"site_name": "access-site"},
                    "hosts": {
                        "sw1": {"ansible_host": "127.0.0.1", "ansible_port": d["sw1"].ssh_port,
                                "site_vlan": 601},
                        "sw2": {"ansible_host": "127.0.0.1", "ansible_port": d["sw2"].ssh_port},
                    },
                },
                "legacy": {
                    "vars": {"ansible_connection": "telnet"},
                    "hosts": {"sw3": {"ansible_host": "127.0.0.1",
                                      "ansible_port": d["sw3"].telnet_port}},
                },
            },
        }
    }
    invp = r.write("hosts.yml", yaml.safe_dump(inv))
    home = r.path("home")
    os.makedirs(os.path.join(home, ".ssh"))
    with open(sim.known_hosts) as f, open(os.path.join(home, ".ssh", "known_hosts"), "w") as g:
        g.write(f.read())
    pb = r.write("site.yaml", PB)
    res = r.netauto(["run", pb, "-i", invp], json_out=True, env={"HOME": home})
    t.ok(res.rc == 0, "Ansible inventory: exit 0", res.diag())
    hs = res.json["hosts"] if res.json else {}
    t.eq(list(hs), ["sw1", "sw2", "sw3"], "every host, in inventory order")
    t.eq([hs[n]["transport"] for n in hs], ["ssh", "ssh", "telnet"],
         "ansible_connection picks the transport")
    t.eq([len(hs[n]["tasks"]) for n in hs], [3, 3, 1], "plays by group")
    st = sim.stats()["devices"]
    t.eq([(st[n]["logins"]["ssh"], st[n]["logins"]["telnet"]) for n in ("sw1", "sw2", "sw3")],
         [(1, 0), (1, 0), (0, 1)], "the devices saw those logins")
    t.ok(601 in st["sw1"]["vlans"] and 600 in st["sw2"]["vlans"] and 600 not in st["sw3"]["vlans"],
         "host and group vars reach the templates")
    t.eq(st["sw1"]["saves"], 1, "enable secret from ansible_become_password (save needs enable)")
    res = r.netauto(["run", pb, "-i", invp, "--limit", "legacy"], json_out=True,
                    env={"HOME": home})
    t.ok(res.rc == 0 and res.json and list(res.json["hosts"]) == ["sw3"],
         "--limit with an Ansible group", res.diag())
t.done()
