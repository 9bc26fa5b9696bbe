#!/usr/bin/python3
"""test_cli_help.py — help and manual pages (issue 17): `netauto --help`, `-h` and `help` exit 0
and list every verb and the global options; every verb's --help exits 0 and lists the same
options as that verb's part of netauto(1) rendered by man(1) (`man -l`, groff's warnings on);
every option the help lists is one the parser takes (VERB --OPTION [VALUE] --help exits 0, a
made-up one exits 2); the same for netautod(8); the two file-format pages render. The pages
come from the binaries (`netauto help --man`, `netautod --man`), which is what `make install`
installs. Prints TAP."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clirun import BUILD, netauto  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
NETAUTOD = os.path.join(BUILD, "netautod")
tmp = tempfile.mkdtemp(prefix="netauto-help.")

OPT_HELP = re.compile(r"^  ((?:-\w, )?--[a-z][\w-]*|-\w)\b")
OPT_MAN = re.compile(r"^ {7}((?:-\w, )?--[a-z][\w-]*|-\w)\b")


def man_text(roff):
    """man -l on the page; (rc, text, warnings)."""
    path = os.path.join(tmp, "page.man")
    with open(path, "w") as f:
        f.write(roff)
    env = dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="100", LC_ALL="C.UTF-8")
    p = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                       env=env)
    return p.returncode, p.stdout, p.stderr


def opts_of(lines, rx):
    got = set()
    for line in lines:
        m = rx.match(line)
        if m:
            got.add(m.group(1))
    return got


def man_blocks(text):
    """The VERBS section of netauto(1): {verb: [lines]}."""
    sect = text.split("\nVERBS\n", 1)[1].split("\nRESULTS\n", 1)[0]
    blocks, cur = {}, None
    for line in sect.split("\n"):
        m = re.match(r"^   (\w+)$", line)
        if m:
            cur = m.group(1)
            blocks[cur] = []
        elif cur:
            blocks[cur].append(line)
    return blocks


def overview():
    for args in (["--help"], ["-h"], ["help"]):
        r = netauto(*args)
        t.ok(r.rc == 0 and all(v in r.out for v in ("show", "run", "jobs", "job", "cancel",
                                                    "backups", "parse", "--server"))
             and r.err == "", "netauto %s: exit 0, lists every verb and --server" % args[0],
             r.out + r.err)
    r = netauto()
    t.ok(r.rc == 2 and "usage: netauto VERB" in r.err, "netauto alone: usage, exit 2", r.err)


def verbs_against_man():
    r = netauto("help", "--man", "netauto")
    t.ok(r.rc == 0 and r.out.startswith(".\\\""), "netauto help --man netauto: roff", r.err)
    rc, text, warn = man_text(r.out)
    t.ok(rc == 0 and "VERBS" in text and warn.strip() == "",
         "man -l renders netauto(1) without warnings", warn)
    blocks = man_blocks(text)
    t.ok(len(blocks) >= 12, "netauto(1) describes %d verbs" % len(blocks), sorted(blocks))
    for verb, lines in sorted(blocks.items()):
        h = netauto(verb, "--help")
        block = h.out.split("\noptions:\n", 1)[-1].split("\n\n", 1)[0]
        hopts = opts_of(block.split("\n"), OPT_HELP)
        mopts = opts_of(lines, OPT_MAN)
        t.ok(h.rc == 0 and h.out.startswith("usage: netauto %s" % verb) and hopts,
             "netauto %s --help: exit 0" % verb, h.out + h.err)
        t.eq(sorted(hopts), sorted(mopts), "%s: --help and netauto(1) list the same options"
             % verb)
        # the parser takes every option the help lists (it stops at --help after reading all)
        bad = []
        for o in sorted(hopts):
            name = o.split(", ")[-1]
            if name in ("-h", "--help"):
                continue
            line = [x for x in block.split("\n") if OPT_HELP.match(x) and
                    OPT_HELP.match(x).group(1) == o][0]
            takes = re.match(r"^  (?:-\w, )?--[\w-]+ ([^ .]\S*)", line) or \
                re.match(r"^  -\w ([A-Z]\S*)", line)
            args = [verb, name] + (["x"] if takes and not takes.group(1).startswith("...")
                                   else []) + ["--help"]
            p = netauto(*args)
            if p.rc != 0:
                bad.append((args, p.err.strip()))
        t.ok(not bad, "%s: the parser takes every option its help lists" % verb, repr(bad))
        p = netauto(verb, "--no-such-option", "--help")
        t.ok(p.rc == 2 and "unknown option" in p.err, "%s: an unknown option is refused" % verb,
             p.err)


def netautod_page():
    p = subprocess.run([NETAUTOD, "--help"], capture_output=True, text=True)
    t.ok(p.returncode == 0 and "--config" in p.stdout, "netautod --help: exit 0", p.stderr)
    m = subprocess.run([NETAUTOD, "--man"], capture_output=True, text=True)
    rc, text, warn = man_text(m.stdout)
    t.ok(m.returncode == 0 and rc == 0 and "NETAUTOD(8)" in text and warn.strip() == "",
         "netautod --man renders as netautod(8) without warnings", warn)
    hopts = opts_of(p.stdout.split("\n"), OPT_HELP) | opts_of(p.stdout.split("\n"), OPT_MAN)
    options = text.split("\nOPTIONS\n", 1)[1].split("\n\n\n", 1)[0] if "\nOPTIONS\n" in text \
        else ""
    mopts = opts_of(options.split("\n"), OPT_MAN)
    t.ok(mopts and mopts <= hopts, "netautod: every option of netautod(8) is in --help",
         "man %s help %s" % (sorted(mopts), sorted(hopts)))
    q = subprocess.run([NETAUTOD, "--no-such-option"], capture_output=True, text=True)
    t.ok(q.returncode == 2, "netautod: an unknown option exits 2", q.stderr)


def format_pages():
    for page, sect in (("netauto-inventory", "5"), ("netauto-playbook", "5")):
        r = netauto("help", "--man", page)
        rc, text, warn = man_text(r.out)
        t.ok(r.rc == 0 and rc == 0 and ("%s(%s)" % (page.upper(), sect)) in text and
             warn.strip() == "", "man -l renders %s(%s)" % (page, sect), warn + r.err)
    r = netauto("help", "playbook")
    t.ok(r.rc == 0 and "TASKS" in r.out.upper(), "netauto help playbook", r.err)


t.run("overview", overview)
t.run("verbs against netauto(1)", verbs_against_man)
t.run("netautod(8)", netautod_page)
t.run("file formats", format_pages)
t.done()
