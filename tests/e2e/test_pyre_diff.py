#!/usr/bin/python3
"""test_pyre_diff.py — netauto's Python-regex translator (parsing/pyre.h) against Debian's
Python `re` itself: for hand-picked patterns (every syntax corner TextFSM templates can meet:
escapes, classes, Unicode \\d \\w \\s \\b, anchors, inline flags, {,n}, lookarounds, conditionals,
back references, and the errors) and for thousands of generated ones, netauto must accept what
Python accepts and refuse what it refuses with the same message and position (str(re.error)),
and match the same span and groups (re.match and re.search); and (?i) must pair exactly the
characters Python pairs, over all of Unicode. Runs
build/tests/tools/pyre_probe. Python 3.11.2's possessive repeats of groups are buggy
(CPython gh-106052, gh-100061: fixed in later 3.11 releases), so the generator leaves them out.
"""
import json
import os
import random
import re
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402

warnings.simplefilter("ignore")
ROOT = os.environ.get("NETAUTO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("NETAUTO_BUILD", os.path.join(ROOT, "build"))
PROBE = os.path.join(BUILD, "tests", "tools", "pyre_probe")
t = Tap()


def python(flag, pat, subj):
    try:
        r = re.compile(pat)
    except re.error as e:
        return {"error": str(e), "status": "syntax" if e.pos is not None else "lookbehind"}
    except (OverflowError, ValueError, RecursionError) as e:
        return {"error": str(e), "status": "pyerror"}
    m = r.match(subj) if flag == "m" else r.search(subj)
    if not m:
        return {"match": None}
    return {"match": [list(m.span(i)) if m.span(i) != (-1, -1) else None
                      for i in range(r.groups + 1)],
            "names": [[k, v] for k, v in r.groupindex.items()]}


def netauto(cases):
    def rec(f, p, s):
        pb, sb = p.encode("utf-8"), s.encode("utf-8")
        return b"%s %d:%s %d:%s\n" % (f.encode(), len(pb), pb, len(sb), sb)
    out = subprocess.run([PROBE], input=b"".join(rec(*c) for c in cases), capture_output=True,
                         check=True, timeout=600).stdout.decode("utf-8").splitlines()
    res = []
    for o in out:
        j = json.loads(o)
        j.pop("pcre2", None)
        res.append(j)
    return res


def compare(label, cases, allowed_unsupported=0):
    got = netauto(cases)
    bad, unsupported = [], 0
    for (f, p, s), g in zip(cases, got):
        if g.get("status") == "unsupported":
            unsupported += 1
            continue
        w = python(f, p, s)
        if g != w:
            bad.append("%s %r on %r:\n  netauto: %s\n  python:  %s" % (f, p, s, g, w))
    t.ok(len(got) == len(cases) and not bad and unsupported <= allowed_unsupported,
         "%s: %d cases as Python (%d refused)" % (label, len(cases), unsupported),
         "\n".join(bad[:8]))
    return got


HAND = [
    ("m", r"^(?P<name>\S+)\s+up", "Gi0/1   up"), ("m", r"(?P<a>x)(?P<a>y)", "xy"),
    ("m", r"(?P<1a>x)", "x"), ("m", r"\N", "x"), ("m", r"a{3,2}", "aaa"), ("m", r"(?<=a|bc)", "abc"),
    ("m", r"[b-a]", "a"), ("m", r"(?i", "x"), ("m", r"a)", "a"), ("m", r"(?(x)a)", "a"),
    ("m", r"\x4", "a"), ("m", r"[\d-z]", "a"), ("m", r"a{,3}b", "aab"), ("m", r"a{,}b", "aab"),
    ("m", r"a{", "a{"), ("m", r"a{1", "a{1"), ("m", r"a{1,2", "a{1,2"), ("m", r"a{}", "a{}"),
    ("m", r"x{2}{3}", "xxxxxx"), ("m", r"^foo$", "foo"), ("m", r"(?i)ABC", "abc"),
    ("m", r"(?i:ABC)d", "abcd"), ("m", r"(?a)\w+", "h\u00e9llo"), ("m", r"\w+", "h\u00e9llo"),
    ("m", r"\d+", "\u0661\u0662\u0663"), ("m", r"(?a)\d+", "\u0661\u0662"), ("m", r"\s+x", " \x1fx"),
    ("s", r"\bfoo\b", "a foo b"), ("m", r"\B", ""), ("m", r"\b", ""), ("m", r"x\B", "xy"),
    ("m", r"(?x) a b c # comment", "abc"), ("m", r"(a)|b", "b"), ("m", r"(a)?(?(1)b|c)", "c"),
    ("m", r"(a)?(?(1)b|c)", "ab"), ("m", r"(?P<x>a)(?P=x)", "aa"), ("m", r"(a)\1", "aa"),
    ("m", r"\0", "\x00"), ("m", r"\101", "A"), ("m", r"[\101]", "A"), ("m", r"\400", "x"),
    ("m", r"[\8]", "8"), ("m", r"(?#comment)a", "a"), ("m", r"(?>a+)b", "aab"), ("m", r"a++b", "aab"),
    ("m", r"a*?b", "aaab"), ("m", r".*", "abc\ndef"), ("m", r"(?s).*", "abc\ndef"),
    ("s", r"(?m)^b", "a\nb"), ("m", r"(?m)a$", "a\nb"), ("m", r"a$", "a\n"), ("m", r"a\Z", "a\n"),
    ("m", r"(?a)(?u)x", "x"), ("m", r"(?au)x", "x"), ("m", r"(?L)x", "x"), ("m", r"(?-i:a)", "a"),
    ("m", r"(?i-i:a)", "a"), ("m", r"(?t)a", "a"), ("m", r"(?t)a*", "a"), ("m", r"a|(?i)b", "b"),
    ("m", r"(?i)a|b", "B"), ("m", r"[^\W\d]+", "ab1"), ("m", r"[\W]+", "!?a"), ("m", r"[^\W]+", "ab!"),
    ("m", r"(?i)[^\W]+", "AB!"), ("m", r"[\S]+", "ab c"), ("m", r"[]a]+", "]a]"),
    ("m", r"[^]a]+", "bc]"), ("m", r"[a-]+", "a-a"), ("m", r"[\d-]+", "1-2"),
    ("m", "(?i)\u01c5", "\u01c6"), ("m", "(?i)\u00df", "\u1e9e"), ("m", r"(?i)k", "\u212a"),
    ("m", r"(?ai)k", "\u212a"), ("m", r"(?i)[k]", "\u212a"), ("m", r"(?ai)[a-z]+", "KELVIN"),
    ("m", r"\u00e9", "\u00e9"), ("m", r"\U0001F600", "\U0001F600"), ("m", r"\U00110000", "x"),
    ("m", r"(?<=(a))b", "ab"), ("s", r"(a)(?<=\1)", "a"), ("s", r"(?<=\d{2})x", "12x"),
    ("m", r"(?P<n>a)(?(n)b)", "ab"), ("m", r"(?(2)a|b)(x)(y)", "bxy"), ("m", r"(?(3)a|b)(x)(y)", "bxy"),
    ("m", r"(?(0)a)", "a"), ("m", r"(?(-1)a)", "a"), ("m", r"(a|)*b", "aab"), ("m", r"(a?)*b", "b"),
    ("m", r"(?:(a)|b)*", "ab"), ("m", r"(a|(b))+", "ba"), ("m", r"(a*)+b", "aab"),
    ("m", r"((a)|b)*c", "abc"), ("m", r"(?:x|(y))*z", "yxz"), ("m", r"[\ud800-\udfff]", "x"),
    ("m", r"\ud800|a", "a"), ("m", r"[0-9]{1,1500}x", "123x"), ("m", r"a{70000}", "a"),
    ("m", r"\\", "\\"), ("m", "\\", "x"), ("m", r"(?P<a>", "x"), ("m", r"(?P=a)", "x"),
    ("m", r"(?<x>a)", "a"), ("m", r"(?P<\u00e9t\u00e9>a)", "a"), ("m", r"(?P<a b>x)", "x"),
    ("m", r"[", "x"), ("m", r"*a", "a"), ("m", r"a**", "a"), ("m", r"^*", "a"), ("m", r"(?:^)*a", "a"),
    ("m", r"\e", "x"), ("m", r"\c", "x"), ("m", r"\g<1>", "x"), ("m", r"(?", "x"), ("m", r"(?P", "x"),
    ("m", r"(?#", "x"), ("m", r"(?<", "x"), ("m", r"(?<a", "x"), ("m", r"(?(1", "x"),
    ("m", r"(?(1)a|b|c)", "x"), ("m", r"(a)(?(1)b|c", "x"), ("m", r"(?-", "x"), ("m", r"(?-z:a)", "a"),
    ("m", r"(?i-:a)", "a"), ("m", r"(?iz)", "a"), ("m", r"(?i:a", "a"), ("m", r"[a-\d]", "a"),
    ("m", r"x{99999999999}", "x"), ("m", r"\1(a)", "aa"), ("m", r"(a\1)", "aa"),
    ("m", r"(?<=a(?P=b))", "a"), ("m", r"(?P<b>a)(?<=(?P=b))", "a"), ("m", r"(?(1_0)a)", "a"),
    ("m", "(?(\u0661)a)(b)", "ab"), ("m", r"(?( 1 )a)(b)", "ab"),
]


def gen(r, d=0):
    atoms = ["a", "b", "c", "x", ".", r"\d", r"\D", r"\w", r"\W", r"\s", r"\S", r"\b", r"\B", "^", "$",
             r"\A", r"\Z", "[ab]", "[^ab]", "[a-c]", r"[\d\s]", r"[^\W\d]", r"[\W]", "[]a]", "[a-]",
             r"\.", r"\\", " ", "\u00e9", "\u00c9", "\u00df", "K", "k", "\u0130", r"\x41", r"\101",
             r"\0", r"\u00e9", r"\n", "-", "{", "}", "]", r"\1", "(?P=n)", r"\e", r"\8", r"[\b]",
             r"\t", "[^]]", "0", "1", "9", "_", ":"]
    quants = ["", "", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{1,2}", "{,2}", "{2,}", "{0}",
              "{", "{1", "{2,1}", "**"]
    poss = ["*+", "++", "?+", "{1,2}+"]
    out = ""
    for _ in range(r.randint(1, 4)):
        c = r.random()
        if d < 4 and c < 0.25:
            inner = gen(r, d + 1)
            kind = r.choice(["(%s)", "(?:%s)", "(?P<n>%s)", "(?P<g%d>%%s)" % r.randint(0, 3),
                             "(?=%s)", "(?!%s)", "(?<=%s)", "(?<!%s)", "(?>%s)", "(?i:%s)",
                             "(?-i:%s)", "(?a:%s)", "(?s:%s)", "(?m:%s)", "(?x:%s)", "(?(1)%s)",
                             "(?(n)%s|b)", "(%s|%s)"])
            s = kind % ((inner, gen(r, d + 1)) if kind.count("%s") == 2 else inner)
            out += s + r.choice(quants)  # (groups never get a possessive repeat)
        elif c < 0.32:
            out += (gen(r, d + 1) + "|" + gen(r, d + 1)) if d < 4 else "a|b"
        else:
            a = r.choice(atoms)
            q = r.choice(quants + poss) if len(a) == 1 or a.startswith("\\") or a.startswith("[") else ""
            out += a + q
    return out


def subject(r):
    return "".join(r.choice("aabbcx1 _.-\u00e9\u00c9\u00dfkK\n\x1f]{}") for _ in range(r.randint(0, 8)))


def case_pairs():
    """Every pair of characters Python's (?i) treats as equal (its lower() plus re._casefix),
    as a literal, a class, a negated class and a range."""
    from collections import defaultdict
    from re import _casefix
    low = defaultdict(set)
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        for v in (c.lower(), c.upper().lower() if len(c.upper()) == 1 else ""):
            if len(v) == 1:
                low[v].add(c)
    cases = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        lo = c.lower() if len(c.lower()) == 1 else c
        group = set(low.get(lo, ())) | {lo}
        for x in _casefix._EXTRA_CASES.get(ord(lo), ()):
            group |= low.get(chr(x), set()) | {chr(x)}
        group.discard(c)
        e = re.escape(c)
        for d in sorted(group):
            for p in ("(?i)" + e, "(?i)[" + e + "]", "(?i)[^" + e + "]", "(?i)[\\x00-" + e + "]"):
                cases.append(("m", p, d))
    return cases


got = compare("hand-picked patterns", HAND, allowed_unsupported=4)
cp = case_pairs()
compare("case-insensitive pairs of all of Unicode (literal, class, negated class, range)", cp)
t.ok(len(cp) > 10000, "... %d of them" % len(cp))
statuses = {g.get("status", "match" if g.get("match") else "nomatch") for g in got}
t.ok({"syntax", "lookbehind", "pyerror", "unsupported", "match", "nomatch"} <= statuses,
     "hand-picked patterns give matches, misses, re.error, other Python errors and refusals")
for seed in range(4):
    r = random.Random(seed)
    cases = []
    for _ in range(1500):
        p = gen(r)
        if r.random() < 0.2:
            p = r.choice(["(?i)", "(?a)", "(?m)", "(?s)", "(?x)", "(?t)", "(?u)"]) + p
        for _ in range(3):
            cases.append((r.choice("ms"), p, subject(r)))
    got = compare("generated patterns, seed %d" % seed, cases)
    n = sum(1 for g in got if g.get("match"))
    t.ok(n > 300,
         "seed %d: %d of them match something" % (seed, n))
t.done()
