#!/usr/bin/python3
"""tfsm_oracle_server.py — python3-textfsm as a long-running oracle for the differential fuzz
target tests/fuzz/fuzz_textfsm_diff.c: it reads requests on stdin and answers on stdout, each a
decimal length, a newline and that many bytes of JSON:
    request  {"name", "template_hex", "input_hex", "ours": netauto's answer (tfsm_probe's shape)}
    answer   {"same": true} or {"same": false, "diff": "..."} (tests/e2e/tfsm_oracle.compare)
Runs until stdin closes. TFSM_ORACLE_LOG=FILE appends every request there (triage).
Not a test by itself."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import tfsm_oracle as O  # noqa: E402


def main():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = inp.readline()
        if not head:
            return
        raw = inp.read(int(head))
        if os.environ.get("TFSM_ORACLE_LOG"):
            with open(os.environ["TFSM_ORACLE_LOG"], "ab") as f:
                f.write(raw + b"\n")
        req = json.loads(raw)
        tpl = bytes.fromhex(req["template_hex"])
        txt = bytes.fromhex(req["input_hex"])
        d = O.compare(req["name"], req["ours"], O.py_table(tpl, txt))
        if isinstance(d, tuple):  # netauto refused what Python accepts: a documented difference
            d = None
        ans = json.dumps({"same": d is None, "diff": d}).encode()
        out.write(b"%d\n" % len(ans) + ans)
        out.flush()


if __name__ == "__main__":
    main()
