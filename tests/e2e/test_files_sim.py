#!/usr/bin/python3
"""test_files_sim.py — `netauto put` / `netauto get` and the copy task end to end against the
simulator (netauto-sim serves SCP and SFTP on a flash per device, with libssh's server side):

  - put and get over SCP (IOS) and SFTP (EOS), 0 bytes to 200 MiB, every file verified by the
    device's own digest command and byte for byte where it lands (the flash is a directory under
    the simulator's --state-dir: read here directly); netauto's peak memory (VmHWM) for the
    200 MiB put and get within 16 MiB of the 1 MiB ones, over SCP and SFTP;
  - the second run sends nothing (changed false; the simulator's log shows no new transfer);
  - a different file already there is refused without --overwrite, replaced with it;
  - each injected fault ends in a clear error within its deadline: a transfer that stalls (put
    and get), a corrupted byte (put: the copy is removed and the old file stays; get: nothing is
    written), a flash that fills up during the transfer (SCP and SFTP), a flash too small from
    the start (refused before anything is sent), the SCP server switched off (refused with the
    platform's hint; a playbook that configures it makes the next put work), a local file
    system too small for a get (a 1 MiB tmpfs in a user namespace; skipped where there is none);
  - the device's words in an error stay exact, also when a weak lab secret is one of them;
  - an SFTP upload cut by a stall resumes on the next run (after a restart of the simulator);
  - --check says what would be sent and sends nothing; a playbook's copy task does the same as
    the CLI; exit 2 with nothing sent for what can be checked first;
  - the progress line (hosts, bytes, rate, ETA) on a terminal, and only there.
Prints TAP."""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import NETAUTO, WRAP, Run, netauto  # noqa: E402
from filesutil import MIB, check, digest, make, must, peak_rss_run  # noqa: E402
from simproc import Sim  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()


tmp = tempfile.mkdtemp(prefix="netauto-files-sim.")
state = os.path.join(tmp, "state")
ARGS = ["--devices", "2:ios", "--devices", "2:eos", "--devices", "1:nxos",
        "--devices", "1:ios:stall", "--fault", "stall1:xfer-stall=1000000",
        "--devices", "1:eos:estall", "--fault", "estall1:xfer-stall=2000000",
        "--devices", "1:ios:bad", "--fault", "bad1:xfer-corrupt=777777",
        "--devices", "1:ios:full", "--fault", "full1:xfer-full=1500000",
        "--devices", "1:eos:efull", "--fault", "efull1:xfer-full=1500000",
        "--devices", "1:ios:tiny", "--opt", "tiny1:flash-size=1000000",
        "--devices", "1:ios:noscp", "--opt", "noscp1:scp-server=off",
        "--state-dir", state]


def flash(dev, name):
    return os.path.join(state, dev, "flash", name)


def sim_transfers(sim, dev):
    """How many SCP/SFTP channels the simulator's log shows for dev."""
    n = 0
    for l in sim.log_lines():
        w = l.split(" ", 5)  # time device transport peer event text
        n += len(w) > 4 and w[1] == dev and w[4] in ("scp", "sftp")
    return n


sizes = [0, 1, 32768, MIB + 1, 200 * MIB]
srcs = {}
for s in sizes:
    srcs[s] = os.path.join(tmp, "f%d.bin" % s)
    make(srcs[s], s, s)

try:
    # a file already on a device before it starts (the stall and corruption cases need one)
    for dev, name, size, seed in (("stall1", "big.bin", 3 * MIB, 1), ("bad1", "old.bin", 50000, 2),
                                  ("bad1", "pull.bin", 900000, 3)):
        os.makedirs(os.path.dirname(flash(dev, name)), exist_ok=True)
        make(flash(dev, name), size, seed)
    sim = Sim(ARGS).start()
    inv = sim.inventory

    rss = {}

    def run_measured(key, *args):
        """netauto put/get; for 1 MiB and 200 MiB with its peak memory in rss[key] (netauto
        itself, not under valgrind, whose memory is its own)."""
        if key[2] not in (MIB + 1, 200 * MIB):
            return netauto(*args, timeout=300)
        t0 = time.monotonic()
        rc, out, err, rss[key] = peak_rss_run([NETAUTO] + list(args))
        return Run(rc, out, err, time.monotonic() - t0)

    def sizes_both_protocols():
        for s in sizes:
            for dev, proto, name in (("sw1", "scp", "flash:f%d.bin" % s),
                                     ("eos1", "sftp", "flash:f%d.bin" % s)):
                r = must(run_measured((proto, "put", s), "put", "-i", inv, dev, srcs[s], name,
                                      "--protocol", proto, "--json"))
                j = json.loads(r.out)["hosts"][dev]
                check(j["changed"] and j["sent"] == s and j["size"] == s, r.out)
                check(j["algorithm"] == "md5" and j["digest"] == digest(srcs[s], "md5"), r.out)
                check(j["protocol"] == proto, r.out)
                check(digest(flash(dev, "f%d.bin" % s)) == digest(srcs[s]),
                      "%s on %s differs" % (name, dev))
                back = os.path.join(tmp, "back-%s" % proto)
                r = must(run_measured((proto, "get", s), "get", "-i", inv, dev, name, back,
                                      "--protocol", proto))
                got = os.path.join(back, "f%d.bin" % s)
                check(digest(got) == digest(srcs[s]), "get of %s from %s differs" % (name, dev))
                check("md5 verified" in r.out, r.out)
                os.remove(got)
                if s == 200 * MIB:
                    os.remove(flash(dev, "f%d.bin" % s))  # keep the disk free
        for proto in ("scp", "sftp"):
            for op in ("put", "get"):
                small, big = rss[proto, op, MIB + 1], rss[proto, op, 200 * MIB]
                t.diag("peak RSS, %s %s: 1 MiB %d KiB, 200 MiB %d KiB" % (proto, op, small, big))
                check(big - small < 16 * 1024, "%s %s: 200 MiB %d KiB, 1 MiB %d KiB" %
                      (proto, op, big, small))
        return True
    t.run("put and get, SCP and SFTP, 0 bytes to 200 MiB, verified with the device's md5; "
          "netauto's memory flat", sizes_both_protocols)

    def idempotent():
        before = sim_transfers(sim, "sw2")
        r = must(netauto("put", "-i", inv, "sw2,nx1", srcs[MIB + 1], "img.bin", "--json"))
        j = json.loads(r.out)["hosts"]
        check(j["sw2"]["changed"] and j["nx1"]["changed"], r.out)
        check(os.path.exists(flash("nx1", "img.bin")), "a bare name goes to bootflash: on NX-OS")
        check(sim_transfers(sim, "sw2") == before + 1, "one transfer to sw2: %d then %d\n%s" %
              (before, sim_transfers(sim, "sw2"), "\n".join(sim.log_lines()[-8:])))
        r = must(netauto("put", "-i", inv, "sw2,nx1", srcs[MIB + 1], "img.bin", "--json"))
        j = json.loads(r.out)["hosts"]
        check(not j["sw2"]["changed"] and not j["nx1"]["changed"], r.out)
        check(j["sw2"]["sent"] == 0 and j["nx1"]["sent"] == 0, r.out)
        check(sim_transfers(sim, "sw2") == before + 1, "no transfer on the second run")
        r = must(netauto("put", "-i", inv, "sw2", srcs[MIB + 1], "img.bin"))
        check("already there (md5 %s), nothing sent" % digest(srcs[MIB + 1], "md5") in r.out,
              r.out)
        # NX-OS's sha512 (show file ... sha512sum) agrees too
        r = must(netauto("put", "-i", inv, "nx1", srcs[MIB + 1], "img.bin", "--verify", "sha512",
                         "--json"))
        j = json.loads(r.out)["hosts"]["nx1"]
        check(not j["changed"] and j["digest"] == digest(srcs[MIB + 1], "sha512"), r.out)
        return True
    t.run("the second run sends nothing (changed false), digests from IOS, NX-OS", idempotent)

    def overwrite():
        r = must(netauto("put", "-i", inv, "sw2", srcs[32768], "img.bin"), 1)
        check("already on the device with another content" in r.err, r.err)
        check("give overwrite to replace it" in r.err, r.err)
        check(digest(flash("sw2", "img.bin")) == digest(srcs[MIB + 1]), "the old file stays")
        must(netauto("put", "-i", inv, "sw2", srcs[32768], "img.bin", "--overwrite"))
        check(digest(flash("sw2", "img.bin")) == digest(srcs[32768]), "replaced")
        check(not [f for f in os.listdir(os.path.dirname(flash("sw2", "x")))
                   if "netauto-" in f], "no part file left")
        return True
    t.run("a different file: refused without --overwrite, replaced with it", overwrite)

    def no_verify():
        # without digests: always sent, whatever is there replaced (the device is not asked)
        for i in range(2):
            r = must(netauto("put", "-i", inv, "sw2", srcs[1 if i else 32768], "nv.bin",
                             "--verify", "none", "--json"))
            j = json.loads(r.out)["hosts"]["sw2"]
            check(j["changed"] and j["algorithm"] == "none", r.out)
        check(digest(flash("sw2", "nv.bin")) == digest(srcs[1]), "replaced without digests")
        # a get without digests does not replace a local file unless told to
        d = os.path.join(tmp, "nvget")
        must(netauto("get", "-i", inv, "sw2", "nv.bin", d, "--verify", "none"))
        r = must(netauto("get", "-i", inv, "sw2", "nv.bin", d, "--verify", "none"), 1)
        check("exists: give overwrite to replace it" in r.err, r.err)
        must(netauto("get", "-i", inv, "sw2", "nv.bin", d, "--verify", "none", "--overwrite"))
        check(digest(os.path.join(d, "nv.bin")) == digest(srcs[1]), "got it")
        return True
    t.run("--verify none: sent every time, replacing what is there", no_verify)

    def stall():
        for args in (["put", "-i", inv, "stall1", srcs[MIB + 1] + "", "flash:s.bin"],
                     ["get", "-i", inv, "stall1", "flash:big.bin", os.path.join(tmp, "sg")]):
            if args[0] == "put":
                make(os.path.join(tmp, "s3.bin"), 3 * MIB, 9)
                args[4] = os.path.join(tmp, "s3.bin")
            r = must(netauto(*(args + ["--stall-timeout", "1.5"])), 1)
            check(re.search(r"stall1: SCP (upload to|download of) \S+ stalled: nothing moved "
                            r"for 1\.5 s \(\d+ of \d+ bytes moved\)", r.err), r.err)
            check(1.5 <= r.secs < 15, "ended after %.1f s" % r.secs)
        check(not os.path.exists(os.path.join(tmp, "sg")),
              "no local file, and the directory made for it is gone again")
        check(not [f for f in os.listdir(os.path.dirname(flash("stall1", "x")))
                   if "netauto-" in f], "the partial upload was removed")
        return True
    t.run("a transfer that stalls ends at its stall deadline (put and get), nothing left",
          stall)

    def quick(r):
        """A fault that is not a stall ends as soon as the device says so: well within the
        deadlines (a device command's 30 s, the stall deadline's 30 s)."""
        check(r.secs < 20, "the error came after %.1f s" % r.secs)

    def corrupted():
        old = digest(flash("bad1", "old.bin"))
        make(os.path.join(tmp, "new.bin"), 1000000, 5)
        r = must(netauto("put", "-i", inv, "bad1", os.path.join(tmp, "new.bin"), "old.bin",
                         "--overwrite"), 1)
        quick(r)
        check("verification failed: the device computes md5" in r.err, r.err)
        check("the copy is removed and flash:old.bin is left as it was" in r.err, r.err)
        check(digest(flash("bad1", "old.bin")) == old, "the old file is untouched")
        check(not [f for f in os.listdir(os.path.dirname(flash("bad1", "x")))
                   if "netauto-" in f], "no part file left")
        dst = os.path.join(tmp, "pulled")
        r = must(netauto("get", "-i", inv, "bad1", "pull.bin", dst), 1)
        quick(r)
        check("verification failed" in r.err and "nothing was written" in r.err, r.err)
        check(not os.path.exists(dst), "nothing written locally, not even the directory")
        return True
    t.run("a corrupted byte: verification fails, the old file stays, nothing written locally",
          corrupted)

    def disk_full():
        make(os.path.join(tmp, "two.bin"), 2 * MIB, 6)
        r = must(netauto("put", "-i", inv, "full1", os.path.join(tmp, "two.bin"), "x.bin"), 1)
        quick(r)
        check("refused by the device: scp: flash:x.bin.netauto-" in r.err and
              "No space left on device" in r.err, r.err)
        check(not [f for f in os.listdir(os.path.dirname(flash("full1", "x")))
                   if "netauto-" in f], "the partial file was removed")
        r = must(netauto("put", "-i", inv, "efull1", os.path.join(tmp, "two.bin"), "x.bin",
                         "--protocol", "sftp"), 1)
        quick(r)
        check("No space left on device" in r.err, r.err)
        check("stays on the device: the next run resumes it" in r.err, r.err)
        r = must(netauto("put", "-i", inv, "tiny1", os.path.join(tmp, "two.bin"), "x.bin"), 1)
        quick(r)
        check("not enough space on flash:: 976.6 KiB free, flash:x.bin needs 2.0 MiB" in r.err,
              r.err)
        check(not os.listdir(os.path.dirname(flash("tiny1", "x"))), "nothing sent")
        return True
    t.run("a full flash: during the transfer (SCP, SFTP) and from the start", disk_full)

    def local_full(small):
        """get into a local file system too small for the file (a 1 MiB tmpfs mounted in a user
        and mount namespace of netauto's own): refused before a byte moves, nothing left."""
        for dev, proto in (("sw1", "scp"), ("eos1", "sftp")):
            make(flash(dev, "big2.bin"), 2 * MIB, 7)
            t0 = time.monotonic()
            p = in_small_fs(small, WRAP + [NETAUTO, "get", "-i", inv, dev, "big2.bin", small,
                                           "--protocol", proto])
            secs = time.monotonic() - t0
            check(p.returncode == 1, "rc %s: %s" % (p.returncode, p.stderr))
            check(re.search(r"not enough local space for \S*big2.bin: 2097152 bytes needed, "
                            r"\d+ free", p.stderr), p.stderr)
            check(re.search(r"(?m)^left: $", p.stderr), "nothing left in the directory: " +
                  p.stderr)
            check(secs < 20, "%.1f s" % secs)
        return True

    def in_small_fs(small, argv):
        """argv run with a 1 MiB tmpfs on `small` (rc 99: it could not be mounted); what is left
        there afterwards goes to stderr as "left: NAMES"."""
        inner = ('d=$1; shift; mount -t tmpfs -o size=1m tmpfs "$d" || exit 99; "$@"; rc=$?; '
                 'echo "left: $(ls -A "$d")" >&2; exit $rc')
        return subprocess.run(["unshare", "-rm", "sh", "-c", inner, "sh", small] + argv,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=120)

    small = os.path.join(tmp, "small")
    os.makedirs(small)
    name = "a local file system too small: get refuses before a byte moves, nothing left"
    probe = in_small_fs(small, ["true"])
    if probe.returncode != 0:
        t.skip(name, "cannot mount a tmpfs in a user namespace here: " + probe.stderr.strip())
    else:
        t.run(name, local_full, small)

    def scp_off():
        r = must(netauto("put", "-i", inv, "noscp1", srcs[1], "one.bin"), 1)
        quick(r)
        check("the device's scp server is off" in r.err and
              "configure 'ip scp server enable'" in r.err, r.err)
        pb = os.path.join(tmp, "enable.yaml")
        with open(pb, "w") as f:
            f.write("- hosts: noscp1\n  tasks:\n    - name: scp on\n"
                    "      config: [ip scp server enable]\n")
        must(netauto("run", pb, "-i", inv))
        must(netauto("put", "-i", inv, "noscp1", srcs[1], "one.bin"))
        check(os.path.exists(flash("noscp1", "one.bin")), "sent once enabled")
        return True
    t.run("the SCP server off: refused with the platform's hint; configured, it works", scp_off)

    def check_mode():
        r = must(netauto("put", "-i", inv, "eos2", srcs[MIB + 1], "chk.bin", "--check",
                         "--json"))
        j = json.loads(r.out)
        check(j["check"] and j["hosts"]["eos2"]["changed"], r.out)
        check(not os.path.exists(flash("eos2", "chk.bin")), "nothing sent")
        return True
    t.run("--check: would send, nothing sent", check_mode)

    def playbook():
        d = os.path.join(tmp, "pb")
        os.makedirs(os.path.join(d, "images"))
        shutil.copy(srcs[MIB + 1], os.path.join(d, "images", "ios.bin"))
        pb = os.path.join(d, "copy.yaml")
        with open(pb, "w") as f:
            f.write("- hosts: sw1,eos2\n  tasks:\n"
                    "    - name: image\n      copy: {src: images/ios.bin, dest: ios.bin}\n"
                    "      register: img\n"
                    "    - name: back\n      copy: {src: ios.bin, dest: \"got/{{ "
                    "inventory_hostname }}\", direction: get, protocol: sftp}\n"
                    "      when: inventory_hostname == 'eos2'\n")
        jf = os.path.join(tmp, "run.json")
        must(netauto("run", pb, "-i", inv, "--json", jf))
        with open(jf) as f:
            j = json.load(f)
        task = j["hosts"]["sw1"]["tasks"][0]
        check(task["changed"] and "verify /md5 flash:ios.bin.netauto-" in
              "\n".join(task["commands"]), json.dumps(task))
        check(digest(os.path.join(d, "got", "eos2", "ios.bin")) == digest(srcs[MIB + 1]),
              "got it back")
        must(netauto("run", pb, "-i", inv, "--json", jf))
        with open(jf) as f:
            j = json.load(f)
        check(not j["hosts"]["sw1"]["changed"] and not j["hosts"]["eos2"]["changed"],
              "the second run changes nothing")
        return True
    t.run("a playbook's copy task (put and get, the second run changes nothing)", playbook)

    def invalid_input():
        tinv = os.path.join(tmp, "telnet.yaml")  # the same devices, reached over Telnet
        with open(inv) as f, open(tinv, "w") as g:
            g.write(f.read().replace("\n  transport: ssh\n", "\n  transport: telnet\n"))
        shutil.copy(inv + ".known_hosts", tinv + ".known_hosts")
        for args, want in ((["put", "-i", tinv, "sw1", srcs[1], "x"],
                            "sw1: file transfers need SSH, and the inventory gives this host "
                            "telnet"),
                           (["get", "-i", tinv, "sw1", "x", tmp], "file transfers need SSH"),
                           (["put", "-i", inv, "sw1", os.path.join(tmp, "nope"), "x"],
                            "cannot read"),
                           (["put", "-i", inv, "sw1", srcs[1], "x", "--verify", "sha256"],
                            "cisco_ios has no sha256 digest command"),
                           (["put", "-i", inv, "sw1", srcs[1], "x", "--protocol", "sftp"],
                            "do not offer sftp"),
                           (["put", "-i", inv, "sw1", srcs[1], "flash:my file"],
                            "only letters, digits"),
                           (["get", "-i", inv, "sw1", "x"], "expected HOSTS REMOTE LOCALDIR")):
            logins = len([l for l in sim.log_lines() if " login " in l])
            r = must(netauto(*args), 2)
            check(want in r.err, r.err)
            check(len([l for l in sim.log_lines() if " login " in l]) == logins, "no login")
        return True
    t.run("exit 2 before anything is sent for bad input", invalid_input)

    def progress_on_a_terminal():
        make(os.path.join(tmp, "p.bin"), 30 * MIB, 8)
        pid, fd = pty.fork()
        if pid == 0:
            env = dict(os.environ)
            env.pop("NETAUTO_NO_PROGRESS", None)
            argv = WRAP + [NETAUTO, "put", "-i", inv, "sw1,eos1", os.path.join(tmp, "p.bin"),
                           "p.bin", "--protocol", "scp"]
            os.execvpe(argv[0], argv, env)
        out = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 1)
            if r:
                try:
                    b = os.read(fd, 65536)
                except OSError:
                    break
                if not b:
                    break
                out += b
        _, status = os.waitpid(pid, 0)
        text = out.decode("utf-8", "replace")
        check(os.waitstatus_to_exitcode(status) == 0, text)
        check(re.search(r"put p\.bin: \d/2 hosts \[[#.]{20}\] [\d.]+ [KMG]?i?B/60\.0 MiB "
                        r"[\d.]+ [KMG]?i?B/s", text), text[-2000:])
        check("\r" in text and "\033[K" in text, "redrawn in place")
        # not a terminal: no progress line
        r = must(netauto("put", "-i", inv, "sw1", os.path.join(tmp, "p.bin"), "p.bin"))
        check("hosts [" not in r.err and "hosts [" not in r.out, r.err)
        return True
    t.run("a progress line (hosts, bytes, rate, ETA) on a terminal only", progress_on_a_terminal)

    def device_words_exact():
        # the device's enable secret is "space", a word of the device's own error: netauto's
        # text is masked of it, the device's words stay as the device said them (issue 12)
        with Sim(["--devices", "1:ios:wk", "--secret", "space", "--fault",
                  "wk1:xfer-full=100000"]) as weak:
            r = must(netauto("put", "-i", weak.inventory, "wk1", srcs[MIB + 1], "w.bin"), 1)
            quick(r)
            check("scp: flash:w.bin.netauto-" in r.err and "No space left on device" in r.err,
                  r.err)
            check("********" not in r.err, "nothing the device said was rewritten: " + r.err)
        return True
    t.run("a device's words in a copy's error stay exact (a weak secret that is one of them)",
          device_words_exact)

    def sftp_resume():
        src = os.path.join(tmp, "r.bin")
        make(src, 6 * MIB, 7)
        r = must(netauto("put", "-i", inv, "estall1", src, "r.bin", "--protocol", "sftp",
                         "--stall-timeout", "1"), 1)
        check("stalled" in r.err and "the next run resumes it" in r.err, r.err)
        parts = [f for f in os.listdir(os.path.dirname(flash("estall1", "x")))
                 if "netauto-" in f]
        check(len(parts) == 1 and os.path.getsize(flash("estall1", parts[0])) > 0, parts)
        kept = os.path.getsize(flash("estall1", parts[0]))
        # the same device again, healthy (the flash is under --state-dir)
        sim.stop()
        i = ARGS.index("estall1:xfer-stall=2000000")
        args = ARGS[:i - 1] + ARGS[i + 1:]
        sim2 = Sim(args).start()
        try:
            r = must(netauto("put", "-i", sim2.inventory, "estall1", src, "r.bin", "--protocol",
                             "sftp", "--json"))
            j = json.loads(r.out)["hosts"]["estall1"]
            check(j["resumed_at"] == kept and j["sent"] == 6 * MIB - kept, r.out)
            check(digest(flash("estall1", "r.bin")) == digest(src), "whole and right")
        finally:
            sim2.stop()
        return True
    t.run("an SFTP upload cut by a stall resumes on the next run", sftp_resume)
finally:
    try:
        sim.stop()
    except Exception:  # noqa: BLE001
        pass
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
