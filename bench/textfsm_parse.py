#!/usr/bin/python3
"""textfsm_parse.py — the parse benchmark's peer (bench/run.sh, section parse): Debian's
python3-textfsm parses FILE with TEMPLATE; the parse alone is timed (CPU time of ParseText:
reading the files and importing textfsm excluded), then, when OUT is given, the records are
written there as JSON (keys lowercased, as `netauto parse` writes them) so that the whole
process does what `netauto parse` does. Prints {"records": N, "parse_s": S} as its last line.
Not a test.

  textfsm_parse.py TEMPLATE FILE [OUT]
"""
import json
import sys
import time

import textfsm


def main(tpl, path, out=None):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    with open(tpl) as f:
        fsm = textfsm.TextFSM(f)
    t0 = time.process_time()
    rows = fsm.ParseText(text)
    dt = time.process_time() - t0
    if out:
        keys = [h.lower() for h in fsm.header]
        with open(out, "w") as f:
            json.dump([dict(zip(keys, r)) for r in rows], f, indent=2)
            f.write("\n")
    print(json.dumps({"records": len(rows), "parse_s": round(dt, 4)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
