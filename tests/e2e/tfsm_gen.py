"""tfsm_gen.py — random TextFSM templates and inputs for differential testing: Values with
every option combination (in any order), regexes with nested and optional groups, states with
rules using every action (Next, Continue, Error with and without a message, Record, NoRecord,
Clear, Clearall, state changes, End, EOF), ${VALUE}/$VALUE/$$ substitution, comments, and
sometimes mistakes (a Continue with a new state, an unknown state, a bad regex) so the error
paths are compared too; inputs made of the words the rules look for. Deterministic for a given
random.Random. Used by tests/e2e/test_textfsm_diff.py and the fuzzer's seed corpus. Not a test.
"""

NAMES = ["A", "B", "Name", "x_1", "VLAN_ID", "PORTS", "Z9"]
OPTIONS = ["Filldown", "Fillup", "Key", "Required", "List"]
VALUE_RES = [r"(\d+)", r"(\w+)", r"(\S+)", r"(.*)", r"(.*?)", r"(\S*)", r"(a|b)",
             r"([a-c]+\d?)", r"(\d+(?:,\d+)*)", r"((?i:up|down))",
             r"(\w+(?:\s\w+)?)", r"((?:\d+)?)"]
WORDS = ["a", "b", "c", "up", "down", "Down", "x", "vlan", "10", "22", "7,8", "a1", "b2",
         "n", "end", "", "-", "caf\u00e9", "\u0661\u0662"]
STATE_NAMES = ["Start", "S1", "S2"]


SAMPLES = {r"(\d+)": ["1", "22"], r"(\w+)": ["ab", "x1"], r"(\S+)": ["a-b", "7"],
           r"(.*)": ["any thing", ""], r"(.*?)": ["lazy", ""], r"(\S*)": ["", "q"],
           r"(a|b)": ["a", "b"], r"([a-c]+\d?)": ["ab1", "c"], r"(\d+(?:,\d+)*)": ["1,2", "3"],
           r"((?i:up|down))": ["UP", "down"], r"(\w+(?:\s\w+)?)": ["two words", "one"],
           r"((?:\d+)?)": ["", "5"], r"((?P<n>\w)(?P<m>\d)?)": ["a1", "b"],
           r"((?P<n>\w)(?P<m>\d))": ["c3"]}
PIECES = {r"\s+": " ", r"\s*": "", " ": " ", "": "", r".*": "rest", r"\S+": "tok", r"\d+": "9",
          r"(x)?": "x", r"\b\w": "w", r"(?:\s|$$)": " ", "$$": "", r"\s*$$": "  "}


def gen_template(r, rules_out=None):
    """A template; rules_out (a list) receives the pieces of each rule for gen_input."""
    nvals = r.choice([0, 1, 2, 2, 3, 3, 4])
    names = r.sample(NAMES, nvals)
    lines = []
    regexes = {}
    if r.random() < 0.2:
        lines.append("# generated")
    for n in names:
        opts = r.sample(OPTIONS, r.choice([0, 0, 1, 1, 2, 3]))
        regex = r.choice(VALUE_RES) if r.random() < 0.95 else r"((?P<n>\w)(?P<m>\d)?)"
        if "List" in opts and "?P<" in regex and r.random() < 0.5:
            regex = r"((?P<n>\w)(?P<m>\d))"  # always takes part: python3-textfsm needs that
        lines.append("Value %s%s %s" % (",".join(opts) + " " if opts else "", n, regex))
        regexes[n] = regex
    lines.append("")
    states = ["Start"] + r.sample(STATE_NAMES[1:], r.randint(0, 2))
    targets = states + ["End", "EOF"]
    if r.random() < 0.05:
        targets.append("Missing")
    for s in states:
        lines.append(s)
        for _ in range(r.randint(1, 5)):
            text, pieces = gen_rule(r, names, targets)
            lines.append("  " + text)
            if rules_out is not None:
                rules_out.append([regexes.get(p, p) for p in pieces])
        lines.append("")
    if r.random() < 0.15:
        lines += ["EOF", ""]
    if r.random() < 0.1:
        lines += ["End", ""]
    return "\n".join(lines) + "\n"


def gen_rule(r, names, targets):
    """(rule text, pieces): pieces are Value names and the regex bits between them."""
    parts = ["^"]
    pieces = []
    unused = list(names)
    r.shuffle(unused)
    for k in range(r.randint(1, 4)):
        if k:
            parts.append(r.choice([r"\s+", r"\s+", " ", r"\s*", ""]))
            pieces.append(parts[-1])
        c = r.random()
        if unused and c < 0.55:
            n = unused.pop()
            parts.append("$%s " % n if r.random() < 0.2 and n[0].isalpha() else "${%s}" % n)
            pieces.append(n)
            if parts[-1].endswith(" "):
                pieces.append(" ")
        elif c < 0.8:
            parts.append(r.choice(WORDS[:12]))
            pieces.append(parts[-1])
        elif c < 0.985:
            parts.append(r.choice([r".*", r"\S+", r"\d+", r"(x)?", r"\b\w", r"(?:\s|$$)"]))
            pieces.append(parts[-1])
        else:  # now and then a mistake
            parts.append(r.choice(["(", "[", "$", "${Nope}", "x{2,1}", r"(?P<other>\w)"]))
    if r.random() < 0.3:
        parts.append(r.choice(["$$", r"\s*$$", ".*"]))
        pieces.append(parts[-1])
    regex = "".join(parts)
    c = r.random()
    if c < 0.3:
        return regex, pieces
    line_op = r.choice(["", "", "", "Next", "Continue", "Continue", "Error"])
    rec_op = r.choice(["", "Record", "Record", "Record", "NoRecord", "Clear", "Clearall"])
    state = ""
    if line_op == "Error":
        state = r.choice(["", '"a message"', "word"])
    elif r.random() < 0.35 and (line_op != "Continue" or r.random() < 0.1):
        state = r.choice(targets)
    op = line_op
    if rec_op:
        op = (line_op + "." + rec_op) if line_op else rec_op
    action = " ".join(x for x in [op, state] if x)
    text = "%s -> %s" % (regex, action) if action or r.random() < 0.5 else regex + " ->"
    return text, pieces


def gen_input(r, rules=None):
    """Lines of words; most of them made to match one of the rules (from gen_template)."""
    out = []
    for _ in range(r.randint(0, 12)):
        if rules and r.random() < 0.75:
            line = ""
            for p in r.choice(rules):
                if p in SAMPLES:
                    line += r.choice(SAMPLES[p])
                elif p in PIECES:
                    line += PIECES[p]
                else:
                    line += p if not p.startswith(("(", "[", "$", "x{")) else "?"
            out.append(line)
            continue
        out.append(" ".join(r.choice(WORDS) for _ in range(r.randint(0, 4))))
    sep = r.choice(["\n", "\n", "\r\n"])
    return sep.join(out) + (sep if r.random() < 0.7 else "")
