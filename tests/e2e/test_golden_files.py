#!/usr/bin/python3
"""test_golden_files.py — the golden-file tests (tests/unit/test_golden.c over
tests/fixtures/golden/) can fail and can be regenerated: run against a temporary copy of the
fixtures, one changed byte in an expected file fails exactly that case (and shows the line in a
diff), one changed byte in a recorded transcript fails the cases that replay it, a missing
expected file fails, and NETAUTO_GOLDEN_UPDATE=1 (make golden-update) writes the expected files
back byte for byte. Not the golden cases themselves: test_golden runs those in make test."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402

ROOT = os.environ.get("NETAUTO_ROOT", os.getcwd())
BUILD = os.environ.get("NETAUTO_BUILD", os.path.join(ROOT, "build"))
GOLDEN = os.path.join(BUILD, "tests", "unit", "test_golden")
WRAP = os.environ.get("NETAUTO_WRAP", "").split()

t = Tap()
tmp = tempfile.mkdtemp(prefix="golden-files.")
copy = os.path.join(tmp, "root")
for sub in ("golden", "transcripts"):
    shutil.copytree(os.path.join(ROOT, "tests", "fixtures", sub),
                    os.path.join(copy, "tests", "fixtures", sub))
gdir = os.path.join(copy, "tests", "fixtures", "golden")


def run(update=False, only=None):
    env = dict(os.environ, NETAUTO_ROOT=copy, NETAUTO_BUILD=os.path.join(tmp, "build"),
               CMOCKA_MESSAGE_OUTPUT="TAP")
    env.pop("NETAUTO_GOLDEN_UPDATE", None)
    env.pop("NETAUTO_GOLDEN_CASE", None)
    if update:
        env["NETAUTO_GOLDEN_UPDATE"] = "1"
    if only:
        env["NETAUTO_GOLDEN_CASE"] = only
    r = subprocess.run(WRAP + [GOLDEN], env=env, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    failed = re.findall(r"^not ok \d+ - (\S+)", out, re.M)
    passed = re.findall(r"^ok \d+ - (\S+)", out, re.M)
    return r.returncode, passed, failed, out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


rc, passed, failed, out = run()
ncases = len(passed)
t.ok(rc == 0 and not failed and ncases > 30, "the copy passes (%d cases)" % ncases,
     "exit %d, failed: %s\n%s" % (rc, failed, out[-3000:]))

# one byte of an expected output changed: "act/unsup" -> "act/unsuP"
exp = os.path.join(gdir, "open_and_show.out")
orig = read(exp)
write(exp, orig.replace(b"act/unsup ", b"act/unsuP ", 1))
rc, passed, failed, out = run()
t.eq(failed, ["open_and_show"], "a changed byte in open_and_show.out fails that case only")
t.ok('-  "1002 fddi-default                     act/unsuP "' in out and
     '+  "1002 fddi-default                     act/unsup "' in out,
     "the diff shows the changed line", out[-3000:])
got = os.path.join(tmp, "build", "test-logs", "golden", "open_and_show.out")
t.ok(os.path.isfile(got) and read(got) == orig, "what it got is kept in test-logs/golden/")

# regenerating on purpose writes the file back as it was
rc, passed, failed, out = run(update=True, only="open_and_show")
t.ok(rc == 0 and read(exp) == orig, "NETAUTO_GOLDEN_UPDATE=1 writes the expected file back",
     out[-2000:])

# one byte of a recording changed: the device's output differs, so its cases fail
tr = os.path.join(copy, "tests", "fixtures", "transcripts", "ios_banner_hash.txt")
tr_orig = read(tr)
write(tr, tr_orig.replace(b"10:15:02.123", b"10:15:02.124", 1))
rc, passed, failed, out = run(only="banner_ending_in_hash")
t.eq(failed, ["banner_ending_in_hash"], "a changed byte in a recording fails its case")
write(tr, tr_orig)

# a case without its expected file fails, saying how to write it
os.rename(os.path.join(gdir, "line_noise.out"), os.path.join(gdir, "line_noise.away"))
rc, passed, failed, out = run(only="line_noise")
t.ok(failed == ["line_noise"] and "make golden-update writes it" in out,
     "a missing expected file fails", out[-2000:])

shutil.rmtree(tmp, ignore_errors=True)
t.done()
