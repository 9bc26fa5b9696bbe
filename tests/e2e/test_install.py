#!/usr/bin/python3
"""test_install.py — `make install` (issue 17): install into a throwaway DESTDIR with
PREFIX=/usr, then use only what was installed, from a directory outside the source tree with
the source tree's variables unset: the installed netauto-sim plays the devices, the installed
netauto runs the installed example playbook against them; `man -l` renders each installed page
without warnings; the installed bash completion completes verbs, options and the host names of
the inventory (-i on the line, or $NETAUTO_INVENTORY); the systemd unit starts the installed
netautod; `make uninstall` removes everything. Prints TAP."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402

t = Tap()
ROOT = os.environ.get("NETAUTO_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("NETAUTO_BUILD") or os.path.join(ROOT, "build")
tmp = tempfile.mkdtemp(prefix="netauto-install.")
dest = os.path.join(tmp, "root")
work = os.path.join(tmp, "work")  # the user's directory: nothing from the source tree
os.makedirs(work)
usr = os.path.join(dest, "usr")
BIN = os.path.join(usr, "bin")


def env_installed(**more):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("NETAUTO_") and k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    e["PATH"] = BIN + ":/usr/bin:/bin"
    e["HOME"] = work
    e["XDG_CONFIG_HOME"] = os.path.join(work, ".config")
    e.update(more)
    return e


def make(*targets):
    # the build directory as built (no flags that would make make rebuild anything)
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT, "BUILD=" + os.path.relpath(
        BUILD, ROOT), "DESTDIR=" + dest, "PREFIX=/usr"] + list(targets), capture_output=True,
        text=True, timeout=600, env={k: v for k, v in os.environ.items()
                                     if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")})


def installed():
    r = make("install")
    t.ok(r.returncode == 0, "make install DESTDIR=... PREFIX=/usr", r.stdout[-2000:] + r.stderr)
    want = ["bin/netauto", "bin/netautod", "bin/netauto-sim", "share/man/man1/netauto.1",
            "share/man/man8/netautod.8", "share/man/man5/netauto-inventory.5",
            "share/man/man5/netauto-playbook.5", "share/bash-completion/completions/netauto",
            "share/zsh/site-functions/_netauto", "lib/systemd/system/netautod.service",
            "share/netauto/platforms/cisco_ios.yaml", "share/netauto/templates/index",
            "share/doc/netauto/examples/vlans.yaml", "share/doc/netauto/README.md"]
    missing = [w for w in want if not os.path.exists(os.path.join(usr, w))]
    t.ok(not missing, "installed: binaries, pages, completions, unit, data, docs", missing)
    unit = open(os.path.join(usr, "lib/systemd/system/netautod.service")).read()
    t.ok("ExecStart=/usr/bin/netautod --config /etc/netautod/netautod.yaml" in unit and
         "/usr/local" not in unit, "the unit's paths are the installed ones (PREFIX=/usr)")


def example_playbook():
    sim_dir = os.path.join(tmp, "sim")
    os.makedirs(sim_dir)
    ready, inv = os.path.join(sim_dir, "ready"), os.path.join(sim_dir, "inventory.yaml")
    sim = subprocess.Popen([os.path.join(BIN, "netauto-sim"), "--devices", "2", "--ready-file",
                            ready, "--inventory-out", inv, "--log", os.path.join(sim_dir, "log")],
                           cwd=work, env=env_installed(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        for _ in range(1500):
            if os.path.exists(ready) and os.path.getsize(ready) > 0:
                break
            if sim.poll() is not None:
                break
            subprocess.run(["sleep", "0.02"])
        t.ok(os.path.exists(ready), "the installed netauto-sim is up")
        pb = os.path.join(usr, "share/doc/netauto/examples/vlans.yaml")
        r = subprocess.run(["netauto", "run", pb, "-i", inv], cwd=work, env=env_installed(),
                           capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        t.ok(r.returncode == 0 and "2 hosts: 2 ok" in r.stdout + r.stderr,
             "the installed netauto runs the installed example playbook (exit 0)",
             r.stdout[-2000:] + r.stderr[-2000:])
        # the completion, against this inventory
        comp = os.path.join(usr, "share/bash-completion/completions/netauto")

        def complete(words, **env):
            script = ('source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _netauto; '
                      'printf "%%s\\n" "${COMPREPLY[@]}"' %
                      (comp, " ".join("'%s'" % w for w in words), len(words) - 1))
            p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], cwd=work,
                               env=env_installed(**env), capture_output=True, text=True,
                               timeout=60)
            return sorted(x for x in p.stdout.split("\n") if x)
        t.eq(complete(["netauto", "sh"]), ["shell", "show"], "bash: verbs")
        t.eq(complete(["netauto", "show", "--tra"]), ["--transcript", "--transport"],
             "bash: a verb's options")
        t.eq(complete(["netauto", "show", "-i", inv, "sw"]), ["sw1", "sw2"],
             "bash: host names from the inventory given with -i")
        t.eq(complete(["netauto", "show", "--limit", "si"], NETAUTO_INVENTORY=inv), ["sim"],
             "bash: group names for --limit from $NETAUTO_INVENTORY")
        t.eq(complete(["netauto", "show", "-t", ""]), ["ssh", "telnet"], "bash: --transport")
        t.eq(complete(["netauto", "put", "--st"]), ["--stall-timeout"], "bash: put's options")
        t.eq(complete(["netauto", "get", "-i", inv, "--verify", "sha"]), ["sha256", "sha512"],
             "bash: get --verify")
        t.eq(complete(["netauto", "put", "-i", inv, "--protocol", "scp", "sw"]), ["sw1", "sw2"],
             "bash: put's HOSTS from the inventory given with -i")
        t.ok(inv in complete(["netauto", "put", "-i", inv, "sw1", inv[:-1]]),
             "bash: put's LOCAL is a file name")
    finally:
        sim.terminate()
        sim.wait(timeout=30)


def man_pages():
    for page in ("man1/netauto.1", "man8/netautod.8", "man5/netauto-inventory.5",
                 "man5/netauto-playbook.5"):
        p = subprocess.run(["man", "--warnings", "-l", os.path.join(usr, "share/man", page)],
                           capture_output=True, text=True, env=env_installed(MANPAGER="cat",
                                                                              PAGER="cat"))
        name = os.path.basename(page).rsplit(".", 1)
        t.ok(p.returncode == 0 and ("%s(%s)" % (name[0].upper(), name[1])) in p.stdout and
             p.stderr.strip() == "", "man -l renders the installed %s" % page, p.stderr)


def the_unit():
    if not shutil.which("systemd-analyze"):
        t.skip("systemd-analyze verify on the unit", "systemd-analyze is not installed")
        return
    unit = os.path.join(usr, "lib/systemd/system/netautod.service")
    text = open(unit).read().replace("/usr/bin/netautod", os.path.join(BIN, "netautod"))
    copy = os.path.join(tmp, "netautod.service")
    with open(copy, "w") as f:
        f.write(text)
    p = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True, text=True)
    bad = [x for x in p.stderr.split("\n") if "netautod.service" in x]
    t.ok(not bad, "systemd-analyze verify finds nothing wrong in the unit", p.stderr)


def uninstalled():
    r = make("uninstall")
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
    t.ok(r.returncode == 0 and not left, "make uninstall removes every file", left)


t.run("make install", installed)
t.run("the installed example playbook, the completion", example_playbook)
t.run("the installed manual pages", man_pages)
t.run("the unit", the_unit)
t.run("make uninstall", uninstalled)
shutil.rmtree(tmp, ignore_errors=True)
t.done()
