"""test_run_batches.py — the playbook features of a safe rollout, end to end against simulated
switches, driven by an Ansible inventory directory (INI with a host range, group_vars with an
ansible-vault encrypted password file, host_vars with the ports): serial batches with a
max_fail_percentage budget (a batch that fails past it stops the run: its other hosts stop at
the next task, later batches are never contacted and are reported "skipped"), any_errors_fatal,
serial as a percentage and a list, tags (--tags, --skip-tags, always, never), handlers notified
by changed tasks (run once per host at the end of the play, not when nothing changed),
vars_files, --syntax-check, --list-hosts and --list-tasks (no device contacted). Checked in the
results JSON and in the simulator's own counters (logins, saves, VLANs)."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
N = 6
VAULT = shutil.which("ansible-vault")

ROLLOUT = """
- name: rollout
  hosts: switches
  serial: 2
  max_fail_percentage: 0
  vars_files: [vars/site.yml]
  tasks:
    - name: probe
      command: "{{ probe_cmd | default('show version') }}"
      tags: [probe]
    - name: vlan
      config: ["vlan {{ vid }}", "name {{ vname }}"]
      notify: save config
      tags: [change]
    - name: second change
      config: ["vlan {{ vid2 }}"]
      notify: [save config]
      tags: [change]
    - name: debug only
      command: show clock
      tags: [never, debug]
  handlers:
    - name: save config
      save: true
"""

FATAL = """
- name: fatal
  hosts: switches
  serial: 1
  any_errors_fatal: true
  tasks:
    - name: probe
      command: "{{ probe_cmd | default('show version') }}"
"""

SPLIT = """
- name: split
  hosts: switches
  serial: [1, "50%"]
  tasks:
    - name: version
      command: show version
      tags: always
    - name: unchanged
      command: show clock
      notify: never notified
  handlers:
    - name: never notified
      save: true
"""


def logins(sim):
    st = sim.stats()["devices"]
    return {n: st[n]["logins"]["ssh"] + st[n]["logins"]["telnet"] for n in st}


with Sim(["--devices", str(N)]) as sim, Run() as r:
    d = sim.devices
    home = r.path("home")
    os.makedirs(os.path.join(home, ".ssh"))
    shutil.copy(sim.known_hosts, os.path.join(home, ".ssh", "known_hosts"))
    env = {"HOME": home}
    inv = r.path("inv")
    os.makedirs(os.path.join(inv, "group_vars", "all"))
    os.makedirs(os.path.join(inv, "host_vars"))
    os.makedirs(r.path("vars"))
    r.write("inv/hosts", "[switches]\nsw[1:%d] ansible_host=127.0.0.1\n\n[switches:vars]\n"
                         "ansible_network_os=cisco.ios.ios\nansible_connection=network_cli\n"
                         "ansible_become=yes\nansible_become_method=enable\n" % N)
    r.write("inv/group_vars/all/main.yml",
            "ansible_user: admin\nansible_password: \"{{ vault_password }}\"\n"
            "ansible_become_password: \"{{ vault_enable }}\"\n")
    r.write("inv/group_vars/all/vault.yml", "vault_password: lab-pass-1\n"
                                            "vault_enable: lab-enable-1\n")
    r.write("vault-pass", "batches-vault-pw\n")
    vault_args = []
    if VAULT:
        subprocess.run([VAULT, "encrypt", "--vault-password-file", r.path("vault-pass"),
                        r.path("inv/group_vars/all/vault.yml")], check=True,
                       capture_output=True, env=dict(os.environ, HOME=home))
        vault_args = ["--vault-password-file", r.path("vault-pass")]
    for name, dev in d.items():
        r.write("inv/host_vars/%s.yml" % name, "ansible_port: %d\n" % dev.ssh_port)
    r.write("inv/host_vars/sw3.yml", "ansible_port: %d\nprobe_cmd: show nonsense-command\n"
            % d["sw3"].ssh_port)
    r.write("vars/site.yml", "vid: 310\nvid2: 311\nvname: batch\n")
    pb = r.write("rollout.yaml", ROLLOUT)
    base = ["-i", inv] + vault_args

    # --syntax-check, --list-tasks, --list-hosts: nothing is contacted
    before = logins(sim)
    res = r.netauto(["run", pb, "--syntax-check"] + base, env=env)
    t.ok(res.rc == 0 and "playbook: " + pb in res.out, "--syntax-check: exit 0", res.diag())
    bad = r.write("bad.yaml", ROLLOUT.replace("notify: save config", "notify: sav config"))
    res = r.netauto(["run", bad, "--syntax-check"], env=env)
    t.ok(res.rc == 2 and "no handler named or listening to 'sav config'" in res.err,
         "--syntax-check of a bad playbook: exit 2 with the position", res.diag())
    res = r.netauto(["run", pb, "--list-tasks", "--tags", "change"], env=env)
    t.ok(res.rc == 0 and "vlan\tTAGS: [change]" in res.out and "probe\t" not in res.out and
         "debug only" not in res.out and "(handler) save config" in res.out,
         "--list-tasks with --tags: the selected tasks and their tags", res.diag())
    res = r.netauto(["run", pb, "--list-hosts", "--limit", "sw[2-4]"] + base, env=env)
    t.ok(res.rc == 0 and "hosts (3):" in res.out and "      sw2\n      sw3\n      sw4\n" in res.out,
         "--list-hosts with --limit", res.diag())
    if VAULT:
        r.write("wrong-pass", "not-the-vault-password\n")
        res = r.netauto(["run", pb, "-i", inv, "--vault-password-file", r.path("wrong-pass")],
                        env=env)
        t.ok(res.rc == 2 and "wrong Ansible Vault password" in res.err and
             "not-the-vault-password" not in res.err + res.out,
             "a wrong vault password: exit 2, a clear error", res.diag())
    else:
        t.skip("a wrong vault password", "ansible-vault is not installed")
    t.eq(logins(sim), before, "no device was contacted by the checks")

    # the rollout: batch 1 fine, batch 2 fails past the budget, batch 3 never starts
    res = r.netauto(["run", pb] + base, json_out=True, env=env)
    t.ok(res.rc == 1, "a batch past its failure budget: exit 1", res.diag())
    hs = res.json["hosts"] if res.json else {}
    st = {n: hs[n]["status"] for n in hs}
    t.eq([st.get(n) for n in ("sw1", "sw2", "sw3", "sw5", "sw6")],
         ["ok", "ok", "failed", "skipped", "skipped"], "statuses per batch")
    t.ok(st.get("sw4") in ("ok", "failed"), "sw4 (batch 2) ran: ok, or stopped at a task "
         "boundary", st)
    t.eq(res.json["summary"]["skipped"] if res.json else None, 2, "summary counts the skipped")
    t.ok("max_fail_percentage 0" in (hs.get("sw5", {}).get("error") or {}).get("message", ""),
         "a skipped host says why", hs.get("sw5"))
    stats = sim.stats()["devices"]
    t.eq([stats[n]["logins"]["ssh"] - before[n] for n in ("sw5", "sw6")], [0, 0],
         "the skipped hosts were never contacted")
    t.eq([stats[n]["saves"] for n in ("sw1", "sw2")], [1, 1],
         "two changed tasks notified one handler: one save per host")
    t.ok(310 in stats["sw1"]["vlans"] and 311 in stats["sw1"]["vlans"],
         "vars_files fed the templates")
    t.eq(stats["sw3"]["saves"], 0, "the failed host ran no handler")
    tasks1 = [x["name"] for x in hs["sw1"]["tasks"]]
    t.eq(tasks1, ["probe", "vlan", "second change", "save config"],
         "never-tagged tasks do not run; the handler runs last")
    t.ok(hs["sw1"]["tasks"][-1].get("handler") is True, "handler results are marked")

    # --skip-tags change: only the probe (sw3 excluded so nothing fails)
    res = r.netauto(["run", pb, "--skip-tags", "change", "--limit", "!sw3"] + base,
                    json_out=True, env=env)
    t.ok(res.rc == 0 and all([x["name"] for x in h["tasks"]] == ["probe"]
                             for h in res.json["hosts"].values()),
         "--skip-tags leaves the tagged tasks (and so the handler) out", res.diag())
    # --tags debug: the never task runs when asked by name
    res = r.netauto(["run", pb, "--tags", "debug", "--limit", "sw1"] + base, json_out=True,
                    env=env)
    t.ok(res.rc == 0 and [x["name"] for x in res.json["hosts"]["sw1"]["tasks"]] ==
         ["debug only"], "--tags debug runs the never-tagged task", res.diag())

    # any_errors_fatal: the first failure stops everything after it
    fpb = r.write("fatal.yaml", FATAL)
    before = logins(sim)
    res = r.netauto(["run", fpb] + base, json_out=True, env=env)
    hs = res.json["hosts"] if res.json else {}
    t.eq([hs[n]["status"] for n in sorted(hs)], ["ok", "ok", "failed", "skipped", "skipped",
                                                 "skipped"], "any_errors_fatal with serial 1")
    after = logins(sim)
    t.eq([after[n] - before[n] for n in ("sw4", "sw5", "sw6")], [0, 0, 0],
         "hosts after the fatal failure never contacted")

    # serial [1, "50%"]: batches of 1 then half of the play's hosts; a task that changes
    # nothing does not notify
    spb = r.write("split.yaml", SPLIT)
    saves = {n: s["saves"] for n, s in sim.stats()["devices"].items()}
    res = r.netauto(["run", spb, "--limit", "!sw3", "-vv"] + base, json_out=True, env=env)
    t.ok(res.rc == 0 and "5 hosts in 3 batches" in res.err,
         "serial [1, '50%'] on 5 hosts: 3 batches (1, 2, 2)", res.diag())
    t.ok(res.json and all([x["name"] for x in h["tasks"]] == ["version", "unchanged"]
                          for h in res.json["hosts"].values()),
         "no handler result when nothing changed", res.json)
    t.eq({n: s["saves"] for n, s in sim.stats()["devices"].items()}, saves,
         "a handler is not run when the notifying task changed nothing")
    res = r.netauto(["run", spb, "--limit", "sw1", "--tags", "none-such"] + base,
                    json_out=True, env=env)
    t.ok(res.rc == 0 and [x["name"] for x in res.json["hosts"]["sw1"]["tasks"]] == ["version"],
         "an always task runs whatever --tags says", res.diag())
t.done()
