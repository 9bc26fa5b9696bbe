"""tfsm_oracle.py — python3-textfsm (Debian's, the reference implementation) as an oracle for
netauto's TextFSM engine, and the comparison of the two. Used by tests/e2e/test_textfsm_diff.py,
tests/parsing/ntc_diff.py and tests/fuzz/tfsm_oracle_server.py. netauto's side runs through
build/tests/tools/tfsm_probe (many cases in one process). Not a test by itself.

Semantics fixed here (docs/parsing.md): a template is read like Python reads a text file
(UTF-8, universal newlines); the input is bytes decoded as UTF-8 with invalid bytes replaced
(bytes.decode('utf-8', 'replace')), as netauto does with device output.
"""
import io
import json
import os
import re
import subprocess
import warnings

warnings.simplefilter("ignore")

import textfsm  # noqa: E402  (Debian's python3-textfsm)
from textfsm import clitable  # noqa: E402


def py_table(template, text):
    """Run python3-textfsm: {"ok": True, "header", "rows"} or {"ok": False, "kind", "message"}
    with kind "template" (TextFSMTemplateError), "fsm" (TextFSMError) or "crash" (any other
    exception: python3-textfsm fails, but not with one of its own errors)."""
    if isinstance(template, bytes):
        try:
            template = template.decode("utf-8")
        except UnicodeDecodeError as e:
            return {"ok": False, "kind": "crash", "message": "UnicodeDecodeError: %s" % e}
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        fsm = textfsm.TextFSM(io.StringIO(template, newline=None))
    except textfsm.TextFSMTemplateError as e:
        return {"ok": False, "kind": "template", "message": str(e)}
    except Exception as e:  # noqa: BLE001 - python3-textfsm crashes on some templates
        return {"ok": False, "kind": "crash", "message": "%s: %s" % (type(e).__name__, e)}
    try:
        rows = fsm.ParseText(text)
    except textfsm.TextFSMError as e:
        return {"ok": False, "kind": "fsm", "message": str(e)}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "kind": "crash", "message": "%s: %s" % (type(e).__name__, e)}
    return {"ok": True, "header": list(fsm.header), "rows": json.loads(json.dumps(rows))}


def py_index(template_dir, platform, command, text):
    """ntc-templates' parse_output over template_dir: {"ok": True, "records"} or an error."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        cli = clitable.CliTable("index", template_dir)
        cli.ParseCmd(text, {"Command": command, "Platform": platform})
    except clitable.CliTableError as e:
        return {"ok": False, "kind": "notemplate", "message": str(e)}
    except textfsm.TextFSMTemplateError as e:
        return {"ok": False, "kind": "template", "message": str(e)}
    except textfsm.TextFSMError as e:
        return {"ok": False, "kind": "fsm", "message": str(e)}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "kind": "crash", "message": "%s: %s" % (type(e).__name__, e)}
    out = []
    for row in cli:
        out.append({cli.header[i].lower(): v for i, v in enumerate(row)})
    return {"ok": True, "records": out}


def _clitable_str(v):
    """What clitable's TextTable makes of a value (str() of every list item)."""
    if isinstance(v, list):
        return [str(x) if not isinstance(x, str) else x for x in v]
    return v


class Probe:
    """netauto's engine through tests/tools/tfsm_probe."""

    def __init__(self, build):
        self.exe = os.path.join(build, "tests", "tools", "tfsm_probe")

    @staticmethod
    def _part(b):
        if isinstance(b, str):
            b = b.encode("utf-8")
        return str(len(b)).encode() + b":" + b

    def run(self, records):
        data = b"".join(r + b"\n" for r in records)
        p = subprocess.run([self.exe], input=data, capture_output=True, timeout=1200)
        if p.returncode != 0:
            raise RuntimeError("tfsm_probe exited %d: %s" % (p.returncode, p.stderr[-2000:]))
        return [json.loads(l) for l in p.stdout.decode("utf-8").splitlines()]

    def tables(self, cases):
        """cases: [(name, template_bytes, input_bytes)] -> netauto's answers."""
        return self.run([b"T " + b" ".join(self._part(x) for x in c) for c in cases])

    def index(self, cases):
        """cases: [(dir, platform, command, input_bytes)]."""
        return self.run([b"I " + b" ".join(self._part(x) for x in c) for c in cases])


_LOC = re.compile(r"^(?P<name>.*):(?P<line>\d+):(?P<col>\d+): (?P<body>.*)$", re.S)
_MAXMSG = 511  # na_err's message buffer, without the NUL


def _same_message(ours, name, want):
    """netauto's "NAME:LINE:COL: MESSAGE[ [detail]]" against TextFSM's MESSAGE (a C string:
    NUL characters of the input line are written \\x00 there)."""
    want = want.replace("\x00", "\\x00")
    m = _LOC.match(ours)
    if not m or m.group("name") != name:
        return False
    body = m.group("body")
    if body == want or body.startswith(want + " ["):
        return True
    full = "%s:%s:%s: %s" % (name, m.group("line"), m.group("col"), want)
    # cut at the buffer's end (and back to a whole UTF-8 character), maybe inside " [detail]"
    return len(ours.encode()) >= _MAXMSG - 3 and (full + " [").encode().startswith(ours.encode())


def compare(name, ours, py):
    """None when netauto answered as python3-textfsm did, else a description of the difference.
    Returns ("refused", msg) when netauto refused something Python accepts."""
    if not py["ok"]:
        if ours.get("ok"):
            return "python3-textfsm fails (%s: %s) but netauto parsed" % (py["kind"], py["message"])
        if py["kind"] == "crash":
            return None  # python3-textfsm fails with a Python exception; netauto reports it
        want_code = {"template": "config", "fsm": "parse"}[py["kind"]]
        if ours["code"] != want_code:
            return "error code %s, want %s (%s)" % (ours["code"], want_code, py["message"])
        if not _same_message(ours["message"], name, py["message"]):
            return "message differs:\n  netauto: %s\n  python:  %s" % (ours["message"], py["message"])
        return None
    if not ours.get("ok"):
        if ours.get("code") == "unsupported":
            return ("refused", ours["message"])
        return "netauto fails (%s: %s) but python3-textfsm parsed" % (ours.get("code"), ours.get("message"))
    if ours["header"] != py["header"]:
        return "header %r, want %r" % (ours["header"], py["header"])
    if ours["rows"] != py["rows"]:
        for i, (a, b) in enumerate(zip(ours["rows"], py["rows"])):
            if a != b:
                return "row %d: %r, want %r" % (i, a, b)
        return "%d rows, want %d" % (len(ours["rows"]), len(py["rows"]))
    return None


def compare_index(ours, py):
    """The same for ntc-templates' parse_output (clitable turns list items into str())."""
    if not py["ok"]:
        if ours.get("ok"):
            return "python fails (%s: %s) but netauto parsed" % (py["kind"], py["message"])
        return None
    if not ours.get("ok"):
        if ours.get("code") == "unsupported":
            return ("refused", ours["message"])
        return "netauto fails (%s: %s) but python parsed" % (ours.get("code"), ours.get("message"))
    a = [{k: _clitable_str(v) for k, v in r.items()} for r in ours["records"]]
    if a != py["records"]:
        for i, (x, y) in enumerate(zip(a, py["records"])):
            if x != y:
                return "record %d: %r, want %r" % (i, x, y)
        return "%d records, want %d" % (len(a), len(py["records"]))
    return None
