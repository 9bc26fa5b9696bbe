"""filesutil.py — what the file-transfer end-to-end tests share (test_files_*.py): assertions that
say what went wrong, a generated file of a given size (written in 1 MiB pieces, different per
seed), a file's digest read in pieces, and netauto's peak memory for one run (VmHWM of the
process itself, sampled from /proc until it exits: a child's rusage would count the Python
parent's memory it was forked from). Not a test framework: tap.py prints the results."""
import hashlib
import os
import subprocess
import tempfile

MIB = 1 << 20


def check(cond, msg=""):
    if not cond:
        raise AssertionError(msg)


def must(r, rc=0):
    check(r.rc == rc, "exit %s, wanted %s\nstdout: %s\nstderr: %s" % (r.rc, rc, r.out[-3000:],
                                                                     r.err[-3000:]))
    return r


def make(path, size, seed):
    """A file of size bytes, pseudo-random, different per seed."""
    block = hashlib.sha256(b"netauto-%d" % seed).digest() * (MIB // 32)
    with open(path, "wb") as f:
        left, i = size, 0
        while left:
            piece = bytes([i & 0xff]) + block[1:]
            n = min(left, len(piece))
            f.write(piece[:n])
            left -= n
            i += 1


def digest(path, alg="sha256"):
    h = hashlib.new(alg)
    with open(path, "rb") as f:
        while True:
            b = f.read(MIB)
            if not b:
                return h.hexdigest()
            h.update(b)


def peak_rss_kib(argv, env=None):
    """Run argv; (exit status, stdout+stderr, peak RSS in KiB of that process alone)."""
    rc, out, err, hwm = peak_rss_run(argv, env)
    return rc, out + err, hwm


def peak_rss_run(argv, env=None):
    """Run argv; (exit status, stdout, stderr, peak RSS in KiB of that process alone). Under
    AddressSanitizer the quarantine of freed memory (256 MiB by default) would count as the
    program's: it is kept small for the measurement."""
    env = dict(env or os.environ)
    if env.get("ASAN_OPTIONS"):
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
    hwm = 0
    while True:  # sample the high-water mark every 5 ms until it exits
        try:
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]))
        except OSError:
            pass
        try:
            p.wait(timeout=0.005)
            break
        except subprocess.TimeoutExpired:
            continue
    out.seek(0)
    err.seek(0)
    return (p.returncode, out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"), hwm)
