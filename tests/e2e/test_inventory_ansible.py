"""test_inventory_ansible.py — differential tests of netauto's Ansible inventories against the
reference implementation, Debian's ansible-core: for a corpus of inventories written here
(YAML, INI, directories with group_vars/host_vars files and NAME/ directories, ranges with
steps and letters, ports, nested children, diamonds, conflicting variables at every precedence
level, ansible_group_priority, all/ungrouped, YAML 1.1 and Python-literal typing, inventory
scripts with and without _meta, the JSON of `ansible-inventory --list`, host lists, several -i
sources, vault-encrypted files and inline !vault values made by ansible-vault here), every host
must have the same groups and the same variables in `netauto inventory --json` as in
`ansible-inventory --list` (and `--host`). Secrets are the one expected difference: netauto
shows ********, so the expected side gets the same masking for the values the test knows are
secret. Also: wrong and missing vault passwords are clear errors (exit 2).

ansible-inventory is the oracle and runs at test time (scripts/install-deps.sh installs
ansible-core); without it every case is reported as skipped, never as passed."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simproc import build_dir  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
NETAUTO = os.path.join(build_dir(), "netauto")
WRAP = os.environ.get("NETAUTO_WRAP", "").split()
ANSIBLE_INV = shutil.which("ansible-inventory") or "/usr/bin/ansible-inventory"
ANSIBLE_VAULT = shutil.which("ansible-vault") or "/usr/bin/ansible-vault"
HAVE_ANSIBLE = os.access(ANSIBLE_INV, os.X_OK) and os.access(ANSIBLE_VAULT, os.X_OK)
TMP = tempfile.mkdtemp(prefix="netauto-ansinv.")

SECRET_KEYS = {"ansible_password", "ansible_ssh_pass", "ansible_ssh_password",
               "ansible_become_password", "ansible_become_pass", "ansible_enable_pass"}
MASK = "********"


def ansible_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    home = os.path.join(TMP, "home")
    os.makedirs(home, exist_ok=True)
    env.update({"HOME": home, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": home,
                "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
                "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true",
                "ANSIBLE_DEPRECATION_WARNINGS": "false", "ANSIBLE_LOCALHOST_WARNING": "false",
                "PATH": "/usr/bin:/bin"})
    env.pop("NETAUTO_VAULT_PASSWORD", None)
    return env


def write(root, files):
    for name, content in files.items():
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        mode = None
        if isinstance(content, tuple):
            content, mode = content
        with open(p, "w") as f:
            f.write(content)
        if mode:
            os.chmod(p, mode)


def run(cmd, cwd, env=None):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=120)
    return p.returncode, p.stdout, p.stderr


def vault_args(vault):
    a = []
    for v in vault or []:
        a += ["--vault-id", v]
    return a


def ansible_view(root, sources, vault=None):
    """{host: (groups, vars)} from ansible-inventory --list; groups include 'all'."""
    rc, out, err = run([ANSIBLE_INV, "--list"] + sum((["-i", s] for s in sources), []) +
                       vault_args(vault), root, ansible_env())
    if rc != 0:
        raise AssertionError("ansible-inventory failed (%d): %s" % (rc, err))
    data = json.loads(out)
    meta = data.pop("_meta", {}).get("hostvars", {})
    parents = {}
    hosts_in = {}
    for g, gd in data.items():
        for c in gd.get("children", []):
            parents.setdefault(c, set()).add(g)
        for h in gd.get("hosts", []):
            hosts_in.setdefault(h, set()).add(g)

    def ancestors(g, seen):
        for p in parents.get(g, ()):
            if p not in seen:
                seen.add(p)
                ancestors(p, seen)
        return seen

    hosts = set(hosts_in) | set(meta)
    view = {}
    for h in hosts:
        gs = {"all"}
        for g in hosts_in.get(h, ()):
            gs.add(g)
            ancestors(g, gs)
        view[h] = (sorted(gs), meta.get(h, {}))
    return view, data


def mask(v, secrets):
    if isinstance(v, dict):
        if set(v) == {"__ansible_vault"}:
            return MASK
        return {k: mask(x, secrets) for k, x in v.items()}
    if isinstance(v, list):
        return [mask(x, secrets) for x in v]
    if isinstance(v, str):
        for s in sorted(secrets, key=len, reverse=True):
            if len(s) >= 4 and s in v:
                v = v.replace(s, MASK)
        return v
    return v


def expected(view, extra_secrets=()):
    """Secret values (and whatever contains them) are masked by netauto."""
    secrets = set(extra_secrets)
    for _, (_, hv) in view.items():
        for k, v in hv.items():
            if k in SECRET_KEYS and isinstance(v, str) and not v.startswith("{{"):
                secrets.add(v)
    return {h: (g, mask(hv, secrets)) for h, (g, hv) in view.items()}


def netauto_view(root, sources, vault=None, env=None, expect_rc=0):
    e = dict(os.environ)
    e.pop("NETAUTO_VAULT_PASSWORD", None)
    e.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    e.update(env or {})
    rc, out, err = run(WRAP + [NETAUTO, "inventory", "--json"] +
                       sum((["-i", s] for s in sources), []) + vault_args(vault), root, e)
    if rc != expect_rc:
        raise AssertionError("netauto inventory exited %d (want %d): %s" % (rc, expect_rc, err))
    if rc != 0:
        return None, err
    data = json.loads(out)
    return {h["name"]: (sorted(h["groups"]), h["vars"]) for h in data["hosts"]}, data


def compare(name, root, sources, vault=None, extra_secrets=(), check=None):
    if not HAVE_ANSIBLE:
        t.skip(name, "ansible-inventory is not installed (scripts/install-deps.sh installs "
                     "ansible-core)")
        return None
    try:
        view, raw = ansible_view(root, sources, vault)
        want = expected(view, extra_secrets)
        got, data = netauto_view(root, sources, vault)
    except Exception as e:  # noqa: BLE001
        t.ok(False, name, str(e))
        return None
    diffs = []
    for h in sorted(set(want) | set(got)):
        if h not in got:
            diffs.append("host %s: missing in netauto" % h)
        elif h not in want:
            diffs.append("host %s: not in ansible-inventory" % h)
        else:
            if got[h][0] != want[h][0]:
                diffs.append("host %s groups: netauto %s, ansible %s" % (h, got[h][0],
                                                                         want[h][0]))
            gv, wv = got[h][1], want[h][1]
            for k in sorted(set(gv) | set(wv)):
                if gv.get(k, "<absent>") != wv.get(k, "<absent>"):
                    diffs.append("host %s var %s: netauto %r, ansible %r" %
                                 (h, k, gv.get(k, "<absent>"), wv.get(k, "<absent>")))
    ok = t.ok(not diffs and len(want) > 0, name, "\n".join(diffs[:30]) or "no hosts")
    if ok and check:
        check(got, data, view)
    return view


def host_consistency(name, root, sources, hosts, vault=None):
    """--host H must agree with --list (the oracle itself, and what netauto matched)."""
    if not HAVE_ANSIBLE:
        t.skip(name, "ansible-inventory is not installed")
        return
    view, _ = ansible_view(root, sources, vault)
    bad = []
    for h in hosts:
        rc, out, err = run([ANSIBLE_INV, "--host", h] + sum((["-i", s] for s in sources), []) +
                           vault_args(vault), root, ansible_env())
        if rc != 0 or json.loads(out) != view[h][1]:
            bad.append("%s: %s" % (h, err or out))
    t.ok(not bad, name, "\n".join(bad))


def case_dir(name):
    d = os.path.join(TMP, name)
    os.makedirs(d)
    return d


# ---- the corpus ----------------------------------------------------------------------------

YAML_INV = """\
all:
  vars:
    level: all-inv
    only_all: 1
    typed:
      yes_: yes
      on_: On
      off_: off
      octal: 0777
      octal_o: 0o17
      hex: 0x1F
      under: 1_000
      sexa: 1:30
      sexa_f: 1:30.5
      float_e: 1.5e+3
      not_float: 1e3
      dot5: .5
      tilde: ~
      empty:
      quoted: "yes"
      date: 2024-01-02
      neg: -12
      list: [a, 1, true]
      bin: 0b101
    base: &base {x: 1, y: 2}
    merged:
      <<: *base
      y: 3
  children:
    region:
      vars: {level: region-inv, region_var: r, prio_var: region}
      children:
        site:
          vars: {level: site-inv, site_var: s}
          children:
            access:
              vars: {level: access-inv}
              hosts:
                sw[01:04:2]:
                  ansible_host: 10.0.0.1
                sw[a:c]:
                r1:2222:
                  level: host-inv
            core:
              hosts:
                sw01: {core_only: true}
    other:
      vars: {ansible_group_priority: 5, prio_var: other}
      hosts:
        sw01:
    zeta:
      vars: {prio_var: zeta}
      hosts:
        sw01:
    ungrouped:
      hosts:
        lonely:
        sw03:
  hosts:
    top1:
      level: top-host
"""

GV_FILES = {
    "group_vars/all.yml": "level: all-file\nfile_all: yes\n",
    "group_vars/all.yaml": "ignored_because_yml_exists: true\n",
    "group_vars/site.yaml": "level: site-file\nsite_file: 1\n",
    "group_vars/access/10-main.yml": "level: access-dir\naccess_a: 1\n",
    "group_vars/access/20-more.json": '{"access_b": [1, 2], "shadow": "json"}\n',
    "group_vars/access/sub/30-deep": "deep: true\nshadow: deep\n",
    "group_vars/access/notes.txt": "ignored: 1\n",
    "group_vars/access/.hidden.yml": "hidden: 1\n",
    "group_vars/access/backup.yml~": "backup: 1\n",
    "group_vars/region": "region_file: plain\n",
    "host_vars/sw01": "level: host-file\nhv: 1\n",
    "host_vars/sw03.json": '{"hv_json": {"a": [1, "b"]}}\n',
    "host_vars/r1/a.yml": "level: r1-dir-a\n",
    "host_vars/r1/b.yml": "level: r1-dir-b\n",
}

INI_INV = r"""# an INI inventory
lonely1 ansible_host=192.0.2.1
lonely2:2201

[web]
web[1:3] role=web weight=1.5
web-[a:b].example.com ansible_port=2222 flag=True nothing=None
db01 quoted='a b' dq="x y" hexv=0x10 under=1_000 oct=0777 word=yes lst="[1, 'two', None]" dct="{'k': 1, 2: 'x'}" tup="(1, 2)" hash=a#comment
esc "with_space=two words" bs=a\ b

[web:vars]
level = web-vars
num = 42
str = "quoted str"  
raw = some text here
pylist = [1, 2.5, 'x']
comment_like = 1 # python comment
semi = 1 ; not a comment
empty =
tuple = 1, 2

[dbs:children]
web
later

[later]
late1

[later:vars]
level=later-vars

[dbs:vars]
level=dbs-vars
deep=1

[top:children]
dbs

; another comment
[ungrouped]
lonely3
"""

SCRIPT_LIST = {
    "_meta": {"hostvars": {"s1": {"a": 1, "ansible_host": "10.1.1.1"},
                           "s2": {"nested": {"x": [1, 2]}}}},
    "all": {"children": ["ungrouped", "grp", "bare"]},
    "grp": {"hosts": ["s1", "s2"], "vars": {"gv": "g", "level": "grp"},
            "children": ["sub"]},
    "sub": {"hosts": ["s3"], "vars": {"level": "sub"}},
    "bare": ["s4", "s5"],
    "ungrouped": {"hosts": ["s6"]},
}


def script(body_json, host_vars=None):
    hv = json.dumps(host_vars or {})
    return ("#!/usr/bin/python3\nimport json, sys\nLIST = %s\nHOSTVARS = %s\n"
            "if sys.argv[1] == '--list':\n    print(json.dumps(LIST))\n"
            "else:\n    print(json.dumps(HOSTVARS.get(sys.argv[2], {})))\n"
            % (json.dumps(body_json), hv), 0o755)


def main():
    # 1. YAML with group_vars/host_vars files and dirs, ranges, ports, priorities, typing
    d = case_dir("yaml")
    write(d, dict({"hosts.yml": YAML_INV}, **GV_FILES))
    compare("YAML inventory with group_vars/host_vars files and NAME/ directories, ranges "
            "with steps and letters, ports, priorities, YAML 1.1 typing, merge keys",
            d, ["hosts.yml"])
    host_consistency("ansible-inventory --host agrees with --list (YAML case)", d,
                     ["hosts.yml"], ["sw01", "r1", "lonely"])

    # 2. INI
    d = case_dir("ini")
    write(d, {"hosts": INI_INV, "group_vars/web.yml": "level: web-file\n",
              "group_vars/top": "top_file: 1\n", "host_vars/db01.yaml": "hv: db\n"})
    compare("INI inventory: ungrouped lines, ranges, ports, Python-literal values, quoting and "
            "comments, [g:vars], [g:children] declared later, group_vars/host_vars",
            d, ["hosts"])

    # 3. a directory of sources (INI without extension, YAML, a subdirectory, ignored files)
    d = case_dir("dir")
    inv = os.path.join(d, "inventory")
    write(inv, {"01-hosts": "[routers]\nr1 level=ini\nr2\n[routers:vars]\nlevel=ini-group\n",
                "02-more.yml": "all:\n  children:\n    routers:\n      vars: {level: yaml-group"
                               ", extra: 1}\n      hosts:\n        r1: {from_yaml: 1}\n"
                               "        r3:\n",
                "sub/03-extra.yaml": "switches:\n  hosts:\n    s1:\n    r2: {in_sub: true}\n",
                "notes.txt": "this is ignored\n", "old.ini": "[x]\nignored_host\n",
                ".hidden": "[y]\nhidden_host\n", "README.md": "# ignored\n",
                "group_vars/routers/main.yml": "level: routers-file\n",
                "group_vars/all": "dir_all: true\n", "host_vars/s1.yml": "s1_file: 1\n"})
    compare("-i DIR: every inventory file (sorted, recursive, ignored extensions skipped) with "
            "the directory's group_vars/host_vars", d, ["inventory"])

    # 4. several -i sources, each with its own group_vars (precedence across sources)
    d = case_dir("multi")
    write(d, {"a/hosts.yml": "g1:\n  hosts:\n    h1: {src: a}\n    h2:\n",
              "a/group_vars/g1.yml": "v: a-g1\nfrom_a: 1\n",
              "a/group_vars/all.yml": "all_src: a\n",
              "b/hosts": "[g2]\nh1 src=b\nh3\n[g1]\nh3\n",
              "b/group_vars/g1.yml": "v: b-g1\n", "b/group_vars/g2.yml": "v: b-g2\n",
              "b/group_vars/all.yml": "all_src: b\n", "b/host_vars/h1.yml": "hv: b\n"})
    compare("several -i sources: hosts and groups merged, group_vars of each source in -i order",
            d, ["a/hosts.yml", "b/hosts"])

    # 5. diamonds, depth and priority
    d = case_dir("diamond")
    write(d, {"hosts.yml": """\
all:
  children:
    a:
      vars: {v: a, w: a}
      children:
        b: {vars: {v: b}}
        c:
          vars: {v: c, w: c, ansible_group_priority: 0}
          children:
            d: {vars: {w: d}, hosts: {h1: {}}}
    b:
      children:
        d:
    e:
      vars: {v: e, ansible_group_priority: 10}
      children:
        a:
    f:
      vars: {v: f}
      hosts:
        h2: {}
    g:
      vars: {v: g, ansible_group_priority: -1}
      hosts:
        h2: {}
""", "group_vars/b.yml": "fv: b\n", "group_vars/c.yml": "fv: c\n",
              "group_vars/d.yml": "fd: 1\n"})
    compare("nested children with diamonds: depth (longest path), ansible_group_priority, "
            "names", d, ["hosts.yml"])

    # 6. inventory scripts (with _meta, without _meta: --host per host) and their JSON
    d = case_dir("script")
    write(d, {"inv.py": script(SCRIPT_LIST),
              "old.py": script({k: v for k, v in SCRIPT_LIST.items() if k != "_meta"},
                               SCRIPT_LIST["_meta"]["hostvars"]),
              "group_vars/grp.yml": "from_file: 1\n"})
    compare("an executable inventory script printing --list JSON with _meta.hostvars", d,
            ["inv.py"])
    compare("an old-style script without _meta (run with --host for each host)", d, ["old.py"])
    if HAVE_ANSIBLE:
        rc, out, err = run([ANSIBLE_INV, "-i", "../yaml/hosts.yml", "--list"], d, ansible_env())
        write(d, {"listed.json": out, "cat.sh": ("#!/bin/sh\ncat %s/listed.json\n" % d, 0o755)})
        view = compare("the JSON of ansible-inventory --list (through a script, for Ansible)",
                       d, ["cat.sh"])
        if view is not None:
            want = expected(view)
            got, _ = netauto_view(d, ["listed.json"])
            t.eq(got, want, "netauto reads the same JSON from a file directly")

    # 6b. scripts that fail: their stderr is shown; one that hangs is stopped, group and all
    write(d, {"fail.py": ("#!/bin/sh\necho 'cannot reach the CMDB' >&2\nexit 3\n", 0o755),
              "bad.py": ("#!/bin/sh\necho 'not json'\n", 0o755),
              "hang.sh": ("#!/bin/sh\nsleep 29.4321 &\nsleep 29.4321\n", 0o755)})
    _, err = netauto_view(d, ["fail.py"], expect_rc=2)
    t.ok("exited with status 3; its stderr: cannot reach the CMDB" in err,
         "a failing inventory script: exit 2 with its exit status and stderr", err)
    _, err = netauto_view(d, ["bad.py"], expect_rc=2)
    t.ok("its output is not a JSON mapping" in err, "a script printing junk: exit 2", err)
    import time
    t0 = time.monotonic()
    _, err = netauto_view(d, ["hang.sh"], env={"NETAUTO_INVENTORY_SCRIPT_TIMEOUT": "1"},
                          expect_rc=2)
    left = subprocess.run(["pgrep", "-f", "sleep 29.4321"], capture_output=True, text=True).stdout
    t.ok("did not finish within 1 s" in err and time.monotonic() - t0 < 15 and not left.strip(),
         "a script that hangs is stopped at its deadline, with what it started", err + left)

    # 7. host lists
    d = case_dir("hostlist")
    compare("-i 'h1,h2:2222,10.0.0.1,' (a host list)", d, ["h1,h2:2222,10.0.0.1,"])

    # 8. Ansible Vault: encrypted files and inline !vault values made by ansible-vault here
    d = case_dir("vault")
    write(d, {"pw1": "first-vault-pass\n", "pw2": "second-vault-pass\n",
              "pwscript.sh": ("#!/bin/sh\necho second-vault-pass\n", 0o755),
              "group_vars/all/main.yml": "ansible_password: \"{{ vault_ansible_password }}\"\n"
                                         "plain: 1\n",
              "group_vars/all/vault.yml": "vault_ansible_password: vaulted-login-pass-1\n"
                                          "vault_snmp: snmp-file-secret\n",
              "host_vars/r2.yml": "hv_secret_file: r2-file-value\nlevel: r2\n"})
    inline = {}
    if HAVE_ANSIBLE:
        env = ansible_env()
        run([ANSIBLE_VAULT, "encrypt", "--vault-id", "default@pw1",
             "group_vars/all/vault.yml"], d, env)
        run([ANSIBLE_VAULT, "encrypt", "--vault-id", "lab@pw2", "host_vars/r2.yml"], d, env)
        for name, val, vid in (("enable", "inline-enable-secret-9", "default@pw1"),
                               ("token", "inline-lab-token-7", "lab@pw2")):
            rc, out, err = run([ANSIBLE_VAULT, "encrypt_string", "--vault-id", vid, val,
                                "--name", name], d, env)
            inline[name] = out
    inv_yaml = ("routers:\n  vars:\n    ansible_become_password: !vault |\n" +
                "".join("      " + ln + "\n" for ln in
                        inline.get("enable", "x: y").split("\n", 1)[1].splitlines()) +
                "  hosts:\n    r1:\n      api_token: !vault |\n" +
                "".join("        " + ln + "\n" for ln in
                        inline.get("token", "x: y").split("\n", 1)[1].splitlines()) +
                "    r2:\n")
    write(d, {"hosts.yml": inv_yaml})
    compare("Ansible Vault: encrypted group_vars/host_vars files (1.1 and 1.2 with a vault id) "
            "and inline !vault values, passwords from a file and an executable script",
            d, ["hosts.yml"], vault=["default@pw1", "lab@pwscript.sh"],
            extra_secrets=["inline-enable-secret-9", "inline-lab-token-7",
                           "vaulted-login-pass-1"])
    if HAVE_ANSIBLE:
        got, data = netauto_view(d, ["hosts.yml"],
                                 env={"ANSIBLE_VAULT_PASSWORD_FILE": os.path.join(d, "pw1")},
                                 vault=["lab@pw2"])
        r1 = {h["name"]: h for h in data["hosts"]}["r1"]
        t.ok(r1["password"] == MASK and r1["secret"] == MASK and
             r1["vars"]["vault_snmp"] == "snmp-file-secret",
             "ANSIBLE_VAULT_PASSWORD_FILE works; the vaulted login and enable passwords become "
             "the host's password and secret", r1)
        rc, out, err = run(WRAP + [NETAUTO, "inventory", "-i", "hosts.yml",
                                   "--vault-password-file", "pwscript.sh", "--vault-id",
                                   "default@pw1"], d)
        t.ok(rc == 0 and "r1" in out, "an executable --vault-password-file is run", err)
        _, err = netauto_view(d, ["hosts.yml"], vault=["default@pw2", "lab@pw2"], expect_rc=2)
        t.ok("wrong Ansible Vault password" in err and "first-vault-pass" not in err,
             "a wrong vault password is a clear error (exit 2), naming the file", err)
        _, err = netauto_view(d, ["hosts.yml"], expect_rc=2)
        t.ok("encrypted with Ansible Vault" in err and "--vault-id" in err,
             "no vault password: an error saying how to give one (exit 2)", err)
        rc, out, err = run(WRAP + [NETAUTO, "vault", "decrypt", "host_vars/r2.yml",
                                   "--vault-id", "lab@pw2"], d)
        t.ok(rc == 0 and out == "hv_secret_file: r2-file-value\nlevel: r2\n",
             "netauto vault decrypt reads an ansible-vault file byte for byte", err or out)
    else:
        for name in ("vault env", "wrong password", "no password", "vault decrypt"):
            t.skip(name, "ansible-vault is not installed")

    # 9. ungrouped and all
    d = case_dir("ungrouped")
    write(d, {"hosts.yml": "all:\n  hosts:\n    a1: {v: 1}\n  children:\n    ungrouped:\n"
                           "      hosts:\n        u1:\n        g1h:\n    g1:\n      hosts:\n"
                           "        g1h:\n    empty:\n",
              "group_vars/ungrouped.yml": "ug: 1\n", "group_vars/empty.yml": "never: 1\n"})
    compare("all/ungrouped: hosts directly under all, in ungrouped and elsewhere", d,
            ["hosts.yml"])


try:
    main()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
t.done()
