"""tap.py — a tiny TAP producer for netauto's Python end-to-end tests (run by tests/run.sh with
Debian's /usr/bin/python3). Each check prints "ok N - name" or "not ok N - name" at once, with
"# " diagnostics; done() prints the plan and exits 0 only when nothing failed. Not a test
framework: no discovery, no fixtures.

    from tap import Tap
    t = Tap()
    t.ok(1 + 1 == 2, "arithmetic")
    t.eq(got, want, "same output")
    t.run("a step that may raise", fn, *args)   # an exception is a failure, not a crash
    t.done()
"""
import sys
import traceback


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            print("# " + line)
        sys.stdout.flush()

    def ok(self, cond, name, diag=None):
        self.n += 1
        name = name.replace("\n", " ")
        if cond:
            print("ok %d - %s" % (self.n, name))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            if diag is not None:
                self.diag(diag)
        sys.stdout.flush()
        return bool(cond)

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got:  %r\nwant: %r" % (got, want))

    def skip(self, name, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, reason))
        sys.stdout.flush()

    def run(self, name, fn, *args, **kw):
        """Call fn; a truthy result passes, False fails, an exception fails with its traceback.
        Returns fn's result (None after an exception)."""
        try:
            r = fn(*args, **kw)
        except Exception:  # noqa: BLE001 - every failure must become a TAP line
            self.ok(False, name, traceback.format_exc())
            return None
        self.ok(r is not False, name)
        return r

    def done(self):
        print("1..%d" % self.n)
        sys.stdout.flush()
        sys.exit(1 if self.failed or self.n == 0 else 0)
