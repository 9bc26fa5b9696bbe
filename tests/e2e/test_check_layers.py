#!/usr/bin/python3
"""test_check_layers.py — `make check-layers` (scripts/check-layers.py over scripts/layers.txt)
passes on this tree and its build, and fails on each kind of violation planted in a temporary
copy of the sources: an upward include between folders (core -> playbooks, through a relative
path the compiler's include path would not stop), an upward include between the layers inside
drivers/ (channel -> session), a file no layer claims, a vendor's name in a driver's string (and
not in a comment), an object that uses a symbol of a layer above it (built from two tiny C
files), and a restricted file (drivers/ssh.h: exec and transfers are the session's to hand out)
used by the runner, by include and by symbol. Also: the Makefile's include path of each folder is what the table allows. Not a test of
the build itself."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402

ROOT = os.environ.get("NETAUTO_ROOT", os.getcwd())
BUILD = os.environ.get("NETAUTO_BUILD", os.path.join(ROOT, "build"))
SCRIPT = "scripts/check-layers.py"
FOLDERS = ["core", "parsing", "drivers", "inventory", "playbooks", "daemon", "cli", "tests",
           "bench", "scripts"]

t = Tap()
tmp = tempfile.mkdtemp(prefix="check-layers.")


def check(root, *args):
    return subprocess.run(["/usr/bin/python3", os.path.join(root, SCRIPT), "--root", root] +
                          list(args), capture_output=True, text=True, timeout=60)


def fresh_copy(name):
    dst = os.path.join(tmp, name)
    os.mkdir(dst)
    for f in FOLDERS:
        if os.path.isdir(os.path.join(ROOT, f)):
            shutil.copytree(os.path.join(ROOT, f), os.path.join(dst, f),
                            ignore=shutil.ignore_patterns("corpus", "crashes"))
    return dst


def edit(path, old, new):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    assert old in text, "%s: %r not found" % (path, old)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new, 1))


def append(path, text):
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


# the tree as it is, with the symbols of its build
r = check(ROOT, "--build", os.path.relpath(BUILD, ROOT))
t.ok(r.returncode == 0 and "check-layers: ok" in r.stdout, "this tree and its objects pass",
     r.stdout + r.stderr)

# the copy passes before anything is planted (so each failure below is the planted one's)
base = fresh_copy("clean")
r = check(base)
t.ok(r.returncode == 0, "an unchanged copy passes", r.stdout + r.stderr)


def planted(name, plant, expect):
    root = fresh_copy(name)
    plant(root)
    r = check(root)
    t.ok(r.returncode == 1 and expect in r.stdout, "fails on %s" % name.replace("-", " "),
         "exit %d, wanted a line with %r:\n%s%s" % (r.returncode, expect, r.stdout, r.stderr))


planted("upward-include-core-to-runner",
        lambda root: edit(os.path.join(root, "core/buf.c"), '#include "buf.h"\n',
                          '#include "buf.h"\n#include "../playbooks/runner.h"\n'),
        "core/buf.c:3: core/buf.c (layer core) includes playbooks/runner.h (layer runner)")
planted("upward-include-channel-to-session",
        lambda root: edit(os.path.join(root, "drivers/channel.c"), '#include "channel.h"\n',
                          '#include "channel.h"\n#include "session.h"\n'),
        "(layer channel) includes drivers/session.h (layer session)")
planted("a-file-of-no-layer",
        lambda root: append(os.path.join(root, "drivers/newthing.c"), "int x;\n"),
        "drivers/newthing.c: belongs to no layer")
planted("a-vendor-name-in-drivers",
        lambda root: append(os.path.join(root, "drivers/pattern.c"),
                            '/* cisco_ios in a comment is fine */\n'
                            'static const char *which = "Cisco_IOS";\n'),
        "names a vendor ('Cisco')")

# the symbols: a core object that calls a function of the runner layer, with no include
root = fresh_copy("upward-symbol")
objdir = os.path.join(root, "b", "obj")
SNEAK = "extern int na_secret(void);\nint na_f(void) { return na_secret(); }\n"
for src, code in (("core/sneak.c", SNEAK),
                  ("playbooks/secret.c", "int na_secret(void) { return 1; }\n")):
    with open(os.path.join(root, src), "w", encoding="utf-8") as f:
        f.write(code)
    os.makedirs(os.path.join(objdir, os.path.dirname(src)), exist_ok=True)
    subprocess.run(["cc", "-c", os.path.join(root, src), "-o",
                    os.path.join(objdir, src[:-2] + ".o")], check=True)
r = check(root, "--build", "b")
t.ok(r.returncode == 1 and "b/obj/core/sneak.o (layer core) uses na_secret from "
     "b/obj/playbooks/secret.o (layer runner)" in r.stdout, "fails on an upward symbol",
     r.stdout + r.stderr)
os.remove(os.path.join(objdir, "core/sneak.o"))
r = check(root, "--build", "b")
t.ok(r.returncode == 0, "passes once the upward user is gone", r.stdout + r.stderr)

# the prefixes: a daemon object defining a global without nd_ (the old backend's be_), and a
# library one named like libssh's API, fail; the same names made static pass
for src, code in (("daemon/stray.c", "int be_job_run(void) { return 1; }\n"),
                  ("drivers/ssh_stray.c", "int ssh_connect(void) { return 2; }\n")):
    with open(os.path.join(root, src), "w", encoding="utf-8") as f:
        f.write(code)
    os.makedirs(os.path.join(objdir, os.path.dirname(src)), exist_ok=True)
    subprocess.run(["cc", "-c", os.path.join(root, src), "-o",
                    os.path.join(objdir, src[:-2] + ".o")], check=True)
r = check(root, "--build", "b")
t.ok(r.returncode == 1 and "b/obj/daemon/stray.o (layer daemon) defines the global be_job_run: "
     "this layer's globals start with nd_" in r.stdout and
     "defines the global ssh_connect" in r.stdout, "fails on globals without their layer's prefix",
     r.stdout + r.stderr)
for src in ("daemon/stray.c", "drivers/ssh_stray.c"):
    with open(os.path.join(root, src), "w", encoding="utf-8") as f:
        f.write("static int stray(void) { return 1; }\nint (*nd_stray_fp)(void) = stray;\n"
                if src.startswith("daemon") else "static int x;\nint *na_stray = &x;\n")
    subprocess.run(["cc", "-c", os.path.join(root, src), "-o",
                    os.path.join(objdir, src[:-2] + ".o")], check=True)
r = check(root, "--build", "b")
t.ok(r.returncode == 0, "passes once they are static or prefixed", r.stdout + r.stderr)

# restricted: the runner reaches the SSH transport's exec/transfers through the session only
planted("a-restricted-header-in-the-runner",
        lambda root: edit(os.path.join(root, "playbooks/runner_script.c"),
                          '#include "runner_int.h"\n',
                          '#include "runner_int.h"\n#include "ssh.h"\n'),
        "(layer runner) includes drivers/ssh.h, which only transport, session, inventory, tests "
        "may use")
root = fresh_copy("restricted-symbol")
objdir = os.path.join(root, "b", "obj")
for src, code in (("playbooks/sneak2.c",
                   "extern int na_ssh_sneak(void);\nint na_g(void) { return na_ssh_sneak(); }\n"),
                  ("drivers/ssh_exec.c", "int na_ssh_sneak(void) { return 1; }\n")):
    with open(os.path.join(root, src), "w", encoding="utf-8") as f:
        f.write(code)
    os.makedirs(os.path.join(objdir, os.path.dirname(src)), exist_ok=True)
    subprocess.run(["cc", "-c", os.path.join(root, src), "-o",
                    os.path.join(objdir, src[:-2] + ".o")], check=True)
r = check(root, "--build", "b")
t.ok(r.returncode == 1 and "b/obj/playbooks/sneak2.o (layer runner) uses na_ssh_sneak from "
     "drivers/ssh_exec.c, which only transport, session" in r.stdout,
     "fails on a restricted symbol used by the runner", r.stdout + r.stderr)

# the Makefile's include paths come from the same table: drivers/ sees core and itself only
r = check(ROOT, "--make-includes")
inc = dict(l.split(" := ", 1) for l in r.stdout.splitlines())
t.eq(inc.get("INC_drivers"), "-Icore -Idrivers", "drivers/ compiles with -Icore -Idrivers")
t.eq(inc.get("INC_core"), "-Icore", "core/ compiles with -Icore")
t.eq(inc.get("INC_parsing"), "-Icore -Iparsing", "parsing/ (TextFSM) may use core only")
t.eq(inc.get("INC_tests_sim"), "-Icore -Itests/sim", "the simulator may use core only")

shutil.rmtree(tmp, ignore_errors=True)
t.done()
