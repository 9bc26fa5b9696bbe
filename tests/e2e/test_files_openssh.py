#!/usr/bin/python3
"""test_files_openssh.py — `netauto put` / `netauto get` with the linux platform against Debian's
OpenSSH server on 127.0.0.1 (sftp-server and scp are OpenSSH's own):

  - put and get, SFTP and SCP, 0 bytes to 200 MiB, verified with the host's own sha256sum (and
    md5sum, sha512sum when asked), the file byte for byte where it lands;
  - netauto's memory stays flat: the peak resident set size of a 200 MiB put and get is within
    16 MiB of a 1 MiB one (VmHWM of the netauto process, read from /proc while it runs: a
    child's rusage would count the Python parent's memory it was forked from);
  - the second run sends nothing;
  - an SFTP upload cut by its total deadline keeps its partial file and the next run resumes
    it; an SCP upload cut the same way leaves nothing behind.
Prints TAP."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import NETAUTO, netauto, start_sshd, stop_sshd  # noqa: E402
from filesutil import MIB, check, digest, make, must, peak_rss_kib  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()


tmp = tempfile.mkdtemp(prefix="netauto-files-ssh.")
sshd = None
try:
    sd = os.path.join(tmp, "sshd")
    os.mkdir(sd)
    sshd, inv = start_sshd(sd)
    remote = os.path.join(tmp, "remote")
    os.mkdir(remote)
    sizes = [0, 1, 30000, 32768, MIB + 1, 200 * MIB]
    srcs = {}
    for s in sizes:
        srcs[s] = os.path.join(tmp, "f%d.bin" % s)
        make(srcs[s], s, s)

    def sizes_both_protocols():
        for s in sizes:
            for proto in ("sftp", "scp"):
                dst = os.path.join(remote, "%s-%d.bin" % (proto, s))
                r = must(netauto("put", "-i", inv, "lnx1", srcs[s], dst, "--protocol", proto,
                                 "--json", timeout=300))
                j = json.loads(r.out)["hosts"]["lnx1"]
                check(j["changed"] and j["sent"] == s and j["algorithm"] == "sha256", r.out)
                check(j["digest"] == digest(srcs[s]), "sha256sum's digest of the copy")
                check(digest(dst) == digest(srcs[s]), "%s differs" % dst)
                back = os.path.join(tmp, "back-%s" % proto)
                must(netauto("get", "-i", inv, "lnx1", dst, back, "--protocol", proto,
                             timeout=300))
                got = os.path.join(back, os.path.basename(dst))
                check(digest(got) == digest(srcs[s]), "get of %s differs" % dst)
                os.remove(got)
                if s == 200 * MIB:
                    os.remove(dst)
        return True
    t.run("put and get, SFTP and SCP, 0 bytes to 200 MiB, verified with sha256sum",
          sizes_both_protocols)

    def other_digests():
        dst = os.path.join(remote, "alg.bin")
        for alg in ("md5", "sha512"):
            r = must(netauto("put", "-i", inv, "lnx1", srcs[MIB + 1], dst, "--verify", alg,
                             "--json", "--overwrite"))
            j = json.loads(r.out)["hosts"]["lnx1"]
            check(j["algorithm"] == alg and j["digest"] == digest(srcs[MIB + 1], alg), r.out)
        r = must(netauto("put", "-i", inv, "lnx1", srcs[MIB + 1], dst, "--json"))
        j = json.loads(r.out)["hosts"]["lnx1"]
        check(not j["changed"] and j["sent"] == 0, "the second run sends nothing: " + r.out)
        return True
    t.run("md5sum and sha512sum when asked; the second run sends nothing", other_digests)

    def memory_is_flat():
        # netauto itself, not under valgrind (whose memory is its own)
        small = os.path.join(remote, "rss-small.bin")
        big = os.path.join(remote, "rss-big.bin")
        rc, out, rss_small = peak_rss_kib([NETAUTO, "put", "-i", inv, "lnx1", srcs[MIB + 1],
                                           small])
        check(rc == 0, out)
        rc, out, rss_big = peak_rss_kib([NETAUTO, "put", "-i", inv, "lnx1", srcs[200 * MIB],
                                         big])
        check(rc == 0, out)
        t.diag("peak RSS: 1 MiB put %d KiB, 200 MiB put %d KiB" % (rss_small, rss_big))
        check(rss_big - rss_small < 16 * 1024, "200 MiB put: %d KiB, 1 MiB put: %d KiB" %
              (rss_big, rss_small))
        gd = os.path.join(tmp, "rss-get")
        rc, out, rss_get = peak_rss_kib([NETAUTO, "get", "-i", inv, "lnx1", big, gd])
        check(rc == 0, out)
        t.diag("peak RSS: 200 MiB get %d KiB" % rss_get)
        check(rss_get - rss_small < 16 * 1024, "200 MiB get: %d KiB" % rss_get)
        check(digest(os.path.join(gd, "rss-big.bin")) == digest(srcs[200 * MIB]), "got it")
        os.remove(big)
        os.remove(os.path.join(gd, "rss-big.bin"))
        return True
    t.run("netauto's memory is flat: 200 MiB put and get within 16 MiB of a 1 MiB put",
          memory_is_flat)

    def cut_and_resumed():
        dst = os.path.join(remote, "cut.bin")
        # SFTP: cut by the total deadline part-way; the partial file stays for the next run
        r = must(netauto("put", "-i", inv, "lnx1", srcs[200 * MIB], dst, "--protocol", "sftp",
                         "--timeout", "0.3", timeout=120), 1)
        check("did not finish within 0.3 s" in r.err and "the next run resumes it" in r.err,
              r.err)
        parts = [f for f in os.listdir(remote) if f.startswith("cut.bin.netauto-")]
        check(len(parts) == 1, os.listdir(remote))
        kept = os.path.getsize(os.path.join(remote, parts[0]))
        check(0 < kept < 200 * MIB, "kept %d bytes" % kept)
        r = must(netauto("put", "-i", inv, "lnx1", srcs[200 * MIB], dst, "--protocol", "sftp",
                         "--json", timeout=300))
        j = json.loads(r.out)["hosts"]["lnx1"]
        check(j["resumed_at"] >= kept and j["sent"] == 200 * MIB - j["resumed_at"], r.out)
        check(digest(dst) == digest(srcs[200 * MIB]), "whole and right after the resume")
        os.remove(dst)
        # SCP: cut the same way, nothing is left behind
        r = must(netauto("put", "-i", inv, "lnx1", srcs[200 * MIB], dst, "--protocol", "scp",
                         "--timeout", "0.3", timeout=120), 1)
        check("did not finish within 0.3 s" in r.err, r.err)
        check(not [f for f in os.listdir(remote) if f.startswith("cut.bin")], os.listdir(remote))
        return True
    t.run("an SFTP upload cut by its deadline resumes on the next run; SCP leaves nothing",
          cut_and_resumed)
finally:
    stop_sshd(sshd)
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
