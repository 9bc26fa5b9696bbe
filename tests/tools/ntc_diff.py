#!/usr/bin/python3
"""ntc_diff.py — netauto's TextFSM engine against python3-textfsm over the whole ntc-templates
collection (github.com/networktocode/ntc-templates, fetched separately: its templates and tests
are not part of netauto). Two comparisons, both exact:

  1. every template: compiled, then run over every test input (tests/PLATFORM/COMMAND/*.raw)
     whose index row names it — netauto's records and errors against TextFSM's;
  2. every test input through the index, as ntc-templates' parse_output does it (platform from
     the directory, command from the sub-directory name with '_' -> ' ').

  tests/tools/ntc_diff.py NTC_CHECKOUT [--build build] [--show N]

Prints the counts and the first differences; exit status 1 when anything differs. Not part of
`make test` (the collection is not in the repository); docs/parsing.md quotes its numbers.
"""
import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import tfsm_oracle as O  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ntc")
    ap.add_argument("--build", default="build")
    ap.add_argument("--show", type=int, default=15)
    a = ap.parse_args()
    tdir = os.path.join(a.ntc, "ntc_templates", "templates")
    probe = O.Probe(a.build)
    raws = sorted(glob.glob(os.path.join(a.ntc, "tests", "*", "*", "*.raw")))
    inputs = []
    for r in raws:
        parts = os.path.normpath(os.path.relpath(r, os.path.join(a.ntc, "tests"))).split(os.sep)
        with open(r, "rb") as f:
            inputs.append((r, parts[0], " ".join(parts[1].split("_")), f.read()))

    # which templates each input goes to (python's clitable decides)
    cli = O.clitable.CliTable("index", tdir)
    by_template = {}
    for r, plat, cmd, data in inputs:
        try:
            row = cli.index.GetRowMatch({"Command": cmd, "Platform": plat})
        except Exception:  # noqa: BLE001
            row = 0
        if row:
            for t in cli.index.index[row]["Template"].split(":"):
                by_template.setdefault(t, []).append((r, data))

    # 1. templates
    templates = sorted(glob.glob(os.path.join(tdir, "*.textfsm")))
    cases, meta = [], []
    for t in templates:
        name = os.path.basename(t)
        with open(t, "rb") as f:
            tpl = f.read()
        for r, data in by_template.get(name, [(None, b"")]):
            cases.append((name, tpl, data))
            meta.append((name, r))
    ours = probe.tables(cases)
    same = diff = refused = 0
    tpl_ok = set()
    tpl_bad = set()
    shown = 0
    for (name, tpl, data), (tname, raw), o in zip(cases, meta, ours):
        d = O.compare(name, o, O.py_table(tpl, data))
        if d is None:
            same += 1
            continue
        if isinstance(d, tuple):
            refused += 1
        else:
            diff += 1
        tpl_bad.add(tname)
        if shown < a.show:
            shown += 1
            print("DIFF %s on %s: %s" % (tname, raw and os.path.relpath(raw, a.ntc), d))
    for name, _ in meta:
        if name not in tpl_bad:
            tpl_ok.add(name)
    print("templates: %d; every case equal for %d; differing %d" % (len(templates), len(tpl_ok), len(tpl_bad)))
    print("template x input cases: %d equal, %d differ, %d refused by netauto" % (same, diff, refused))

    # 2. index
    ours = probe.index([(tdir, plat, cmd, data) for _, plat, cmd, data in inputs])
    isame = idiff = 0
    shown = 0
    for (r, plat, cmd, data), o in zip(inputs, ours):
        d = O.compare_index(o, O.py_index(tdir, plat, cmd, data))
        if d is None:
            isame += 1
            continue
        idiff += 1
        if shown < a.show:
            shown += 1
            print("DIFF index %s (%s, %r): %s" % (os.path.relpath(r, a.ntc), plat, cmd, d))
    print("inputs through the index: %d; %d equal, %d differ" % (len(inputs), isame, idiff))
    return 1 if diff or idiff or refused else 0


if __name__ == "__main__":
    sys.exit(main())
