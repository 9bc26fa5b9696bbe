#!/usr/bin/python3
"""test_deb.py — `make deb` (issue 17): dpkg-buildpackage from debian/ builds the package, lintian
finds no error in it (the make target fails otherwise), and the package holds what an engineer
expects: the three programs, the four manual pages, bash and zsh completion, the systemd unit
in /lib/systemd/system with ExecStart on /usr/bin/netautod, maintainer scripts that create the
netautod system user and enable the unit without starting it. Installing and removing it needs
a throwaway Debian root: with $NETAUTO_DEB_CHROOT naming one (debootstrap bookworm DIR), the test
installs the package there with apt, runs the installed netauto, then purges it and checks that
nothing of it is left; without one that part is skipped (nothing is ever installed on the
machine running the tests). Skipped entirely when the packaging tools are missing and cannot be
installed. Prints TAP."""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402

t = Tap()
ROOT = os.environ.get("NETAUTO_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
       and not k.startswith(("ASAN_", "LSAN_", "UBSAN_"))}

if not all(shutil.which(x) for x in ("dpkg-buildpackage", "lintian", "dh")):
    r = subprocess.run([os.path.join(ROOT, "scripts", "install-deps.sh"), "--deb"],
                       capture_output=True, text=True, env=ENV)
if not all(shutil.which(x) for x in ("dpkg-buildpackage", "lintian", "dh")):
    t.skip("make deb", "dpkg-buildpackage, lintian or debhelper is missing and could not be "
           "installed")
    t.done()
    sys.exit(0)

r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "deb"], capture_output=True,
                   text=True, env=ENV, timeout=3600)
debs = sorted(glob.glob(os.path.join(ROOT, "build", "deb", "netauto_*.deb")))
t.ok(r.returncode == 0 and debs, "make deb: dpkg-buildpackage, then lintian --fail-on error",
     r.stdout[-3000:] + r.stderr[-3000:])
lint = [x for x in (r.stdout + r.stderr).split("\n") if x.startswith("E: ")]
t.ok(not lint, "lintian reports no error", lint)
if not debs:
    t.done()
    sys.exit(0)
deb = debs[-1]

files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
for path in ("./usr/bin/netauto", "./usr/bin/netautod", "./usr/bin/netauto-sim",
             "./usr/share/man/man1/netauto.1.gz", "./usr/share/man/man8/netautod.8.gz",
             "./usr/share/man/man5/netauto-inventory.5.gz",
             "./usr/share/man/man5/netauto-playbook.5.gz",
             "./usr/share/bash-completion/completions/netauto",
             "./usr/share/zsh/vendor-completions/_netauto",
             "./lib/systemd/system/netautod.service",
             "./usr/share/netauto/platforms/cisco_ios.yaml"):
    t.ok(" " + path + "\n" in files + "\n" or (" " + path + " ") in files,
         "the package holds %s" % path[1:])

tmp = subprocess.run(["mktemp", "-d"], capture_output=True, text=True).stdout.strip()
subprocess.run(["dpkg-deb", "-R", deb, tmp], check=True)
unit = open(os.path.join(tmp, "lib/systemd/system/netautod.service")).read()
t.ok("ExecStart=/usr/bin/netautod --config /etc/netautod/netautod.yaml" in unit,
     "the unit runs the packaged netautod")
postinst = open(os.path.join(tmp, "DEBIAN", "postinst")).read()
t.ok("adduser --system" in postinst and "netautod" in postinst,
     "postinst creates the netautod system user")
t.ok("deb-systemd-helper" in postinst and "enable" in postinst and
     "deb-systemd-invoke start" not in postinst and "invoke-rc.d" not in postinst,
     "postinst enables the unit and does not start it")
control = open(os.path.join(tmp, "DEBIAN", "control")).read()
t.ok("adduser" in control and "libyaml" in control and "libpcre2" in control,
     "Depends: adduser and the shared libraries (shlibs)", control)
shutil.rmtree(tmp, ignore_errors=True)

chroot = os.environ.get("NETAUTO_DEB_CHROOT")
if not chroot or os.geteuid() != 0:
    t.skip("install and purge in a throwaway Debian root",
           "set NETAUTO_DEB_CHROOT to a debootstrapped bookworm (and run as root) to test it")
else:
    inside = "/tmp/" + os.path.basename(deb)
    shutil.copy(deb, chroot + inside)
    shutil.copy("/etc/resolv.conf", chroot + "/etc/resolv.conf")  # apt fetches the Depends

    def ch(*cmd):
        return subprocess.run(["chroot", chroot] + list(cmd), capture_output=True, text=True,
                              env=dict(ENV, DEBIAN_FRONTEND="noninteractive"), timeout=1800)
    ch("apt-get", "update", "-q")
    p = ch("apt-get", "install", "-y", inside)
    t.ok(p.returncode == 0, "apt install ./netauto_*.deb in the throwaway root",
         p.stdout[-2000:] + p.stderr[-2000:])
    p = ch("netauto", "--version")
    t.ok(p.returncode == 0 and p.stdout.startswith("netauto "), "the installed netauto runs")
    p = ch("getent", "passwd", "netautod")
    t.ok(p.returncode == 0, "the netautod user exists")
    t.ok(os.path.islink(chroot + "/etc/systemd/system/multi-user.target.wants/netautod.service"),
         "the unit is enabled")
    st = os.stat(chroot + "/var/lib/netautod")
    t.ok(st.st_mode & 0o777 == 0o700, "/var/lib/netautod is private (0700)")
    p = ch("apt-get", "purge", "-y", "netauto")
    left = ch("dpkg", "-L", "netauto")
    t.ok(p.returncode == 0 and left.returncode != 0 and
         not os.path.exists(chroot + "/usr/bin/netauto") and
         not os.path.exists(chroot + "/var/lib/netautod") and
         not os.path.exists(chroot + "/etc/systemd/system/multi-user.target.wants/"
                                     "netautod.service") and
         ch("getent", "passwd", "netautod").returncode != 0,
         "apt purge removes the package, its files and the user", p.stderr[-2000:])
t.done()
