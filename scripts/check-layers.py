#!/usr/bin/python3
"""check-layers.py — checks netauto's house rules on layers (scripts/layers.txt, docs/hacking.md):

  - every #include "..." of a C file resolves to a header of its own layer or of a layer it may
    use (never one above or beside it), and every .c/.h file of a listed folder has a layer;
  - with --build DIR: every symbol an object file uses, when a project object defines it, comes
    from its own layer or one it may use (what the includes cannot show: a hand-written extern);
  - no C file in a vendor-free folder (drivers/) names a vendor in code or strings;
  - with --build DIR: every global symbol a layer's object defines starts with that layer's
    prefix (na_ for the library, nd_ for the daemon...), so no two folders' names can collide
    with each other or with a library's (libssh's ssh_*, libssh2's libssh2_*).
  - files marked `restricted` (a header, or the object of a source) are used only by their own
    layer and the layers named, although layers above reach their layer otherwise.

Usage:
  check-layers.py [--root DIR] [--build DIR]   check; prints the violations, exit 1 if any
                                               (BUILD relative to the root)
  check-layers.py --make-includes              print "INC_<folder> := -I..." lines for make

Not a compiler and not a linter of style: it reads #include lines and `nm` output only."""

import argparse
import fnmatch
import os
import re
import subprocess
import sys

LAYERS_FILE = "scripts/layers.txt"


class Table:
    def __init__(self, path):
        self.layers = []      # names in file order
        self.uses = {}        # layer -> direct uses
        self.patterns = []    # (pattern, layer)
        self.vendor_free = []
        self.vendors = []
        self.prefixes = {}    # layer -> allowed prefixes of its global symbols
        self.restricted = []  # (layers allowed, [patterns])
        with open(path, encoding="utf-8") as f:
            for lineno, raw in enumerate(f, 1):
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                words = line.split()
                where = "%s:%d" % (path, lineno)
                if words[0] == "vendor-free":
                    self.vendor_free += words[1:]
                    continue
                if words[0] == "vendors":
                    self.vendors += [w.lower() for w in words[1:]]
                    continue
                if words[0] == "prefix":
                    if len(words) < 3:
                        sys.exit("%s: expected 'prefix layers prefixes...'" % where)
                    for l in words[1].split(","):
                        self.prefixes.setdefault(l, []).extend(words[2:])
                    continue
                if words[0] == "restricted":
                    if len(words) < 3:
                        sys.exit("%s: expected 'restricted layers files...'" % where)
                    self.restricted.append((words[1].split(","), words[2:]))
                    continue
                if len(words) < 3:
                    sys.exit("%s: expected 'layer uses files...'" % where)
                name, uses = words[0], words[1]
                if name in self.uses:
                    sys.exit("%s: layer %s listed twice" % (where, name))
                self.layers.append(name)
                self.uses[name] = [] if uses == "-" else uses.split(",")
                for p in words[2:]:
                    self.patterns.append((p, name))
        for l in self.prefixes:
            if l not in self.uses:
                sys.exit("%s: a prefix line names unknown layer %s" % (path, l))
        for name, uses in self.uses.items():
            for u in uses:
                if u not in self.uses:
                    sys.exit("%s: layer %s uses unknown layer %s" % (path, name, u))
        self.allowed = {name: self._closure(name) for name in self.layers}
        for who, _ in self.restricted:
            for u in who:
                if u not in self.uses:
                    sys.exit("%s: restricted to unknown layer %s" % (path, u))
        for name in self.layers:
            if name in self._closure(name, strict=True):
                sys.exit("%s: layer %s uses itself through a cycle" % (path, name))

    def _closure(self, name, strict=False):
        seen = set() if strict else {name}
        todo = list(self.uses[name])
        while todo:
            u = todo.pop()
            if u not in seen:
                seen.add(u)
                todo += self.uses[u]
        return seen

    def layer_of(self, path, build=None):
        """The layer of a file (path relative to the root), or None."""
        best, best_len = None, -1
        for pat, name in self.patterns:
            if pat.startswith("$BUILD/"):
                if build is None:
                    continue
                # (an absolute BUILD's sources sit under obj/ without their leading slash)
                pat = build.strip("/") + pat[len("$BUILD"):]
                path = path.lstrip("/")
            if pat.endswith("/"):
                hit = path.startswith(pat)
            else:
                hit = fnmatch.fnmatchcase(path, pat)
            if hit and len(pat) > best_len:
                best, best_len = name, len(pat)
        return best

    def restricted_for(self, path):
        """The layers (besides the file's own) that may use a restricted file, or None."""
        for who, pats in self.restricted:
            if any(fnmatch.fnmatchcase(path, p) for p in pats):
                return who
        return None

    def folders(self):
        """Source folders named by the table (not $BUILD ones), in table order, unique."""
        out = []
        for pat, _ in self.patterns:
            if pat.startswith("$BUILD/"):
                continue
            d = pat.rstrip("/") if pat.endswith("/") else os.path.dirname(pat)
            if d not in out:
                out.append(d)
        return out

    def folder_layers(self, folder):
        return [name for pat, name in self.patterns
                if not pat.startswith("$BUILD/")
                and (pat.rstrip("/") if pat.endswith("/") else os.path.dirname(pat)) == folder]


def c_files(root, table):
    files = []
    for folder in table.folders():
        top = os.path.join(root, folder)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in ("corpus", "crashes", "regressions")]
            for fn in filenames:
                if fn.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(dirpath, fn), root))
    return sorted(set(files))


INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip_comments(text, keep_strings=True):
    """C text without comments (newlines kept, so line numbers stay right)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1] if keep_strings else c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def check_includes(root, table, files, problems):
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    nincl = 0
    for f in files:
        layer = table.layer_of(f)
        if layer is None:
            problems.append("%s: belongs to no layer (add it to %s)" % (f, LAYERS_FILE))
            continue
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = strip_comments(fh.read())
        for m in INCLUDE_RE.finditer(text):
            nincl += 1
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            here = os.path.dirname(f)
            rel = os.path.normpath(os.path.join(here, name))
            if os.path.isfile(os.path.join(root, rel)):
                target = rel
            elif "/" not in name and name in by_name:
                cands = by_name[name]
                if len(cands) > 1:
                    problems.append("%s:%d: \"%s\" is ambiguous (%s)" %
                                    (f, line, name, ", ".join(cands)))
                    continue
                target = cands[0]
            else:
                problems.append("%s:%d: \"%s\" is not a header of this tree (use <...> for "
                                "system headers)" % (f, line, name))
                continue
            tl = table.layer_of(target)
            if tl is None:
                problems.append("%s:%d: includes %s, which belongs to no layer" % (f, line, target))
            elif tl not in table.allowed[layer]:
                problems.append("%s:%d: %s (layer %s) includes %s (layer %s): %s may use %s only"
                                % (f, line, f, layer, target, tl, layer,
                                   ", ".join(sorted(table.allowed[layer]))))
            else:
                who = table.restricted_for(target)
                if who is not None and layer != tl and layer not in who:
                    problems.append("%s:%d: %s (layer %s) includes %s, which only %s may use "
                                    "(%s)" % (f, line, f, layer, target,
                                              ", ".join([tl] + who), LAYERS_FILE))
    return nincl


def check_symbols(root, table, build, problems):
    objdir = os.path.join(build, "obj")
    objs = []
    for dirpath, _, filenames in os.walk(os.path.join(root, objdir)):
        objs += [os.path.join(dirpath, fn) for fn in filenames if fn.endswith(".o")]
    if not objs:
        problems.append("%s: no object files (build first: make)" % objdir)
        return 0
    layer_of_obj = {}
    src_of_obj = {}
    for o in list(objs):
        src = os.path.relpath(o, os.path.join(root, objdir))[:-2] + ".c"
        gen = table.layer_of(src, build=build) if not table.layer_of(src) else None
        if not gen and not os.path.isfile(os.path.join(root, src)):
            objs.remove(o)  # left over from a source that moved or went away
            continue
        layer_of_obj[o] = gen or table.layer_of(src)
        src_of_obj[o] = src
    defined, undefined = {}, []
    res = subprocess.run(["nm", "-A", "-P"] + sorted(objs), capture_output=True, text=True)
    if res.returncode != 0:
        problems.append("nm failed: %s" % res.stderr.strip())
        return 0
    for line in res.stdout.splitlines():
        # "path.o: symbol type [value size]"
        head, _, rest = line.partition(": ")
        parts = rest.split()
        if len(parts) < 2:
            continue
        sym, typ = parts[0], parts[1]
        if typ == "U":
            undefined.append((head, sym))
        elif typ.isupper() and typ not in "UVW":
            defined.setdefault(sym, set()).add(head)
    n = 0
    for o, sym in undefined:
        layer = layer_of_obj.get(o)
        if layer is None or sym not in defined:
            continue
        n += 1
        def_layers = {layer_of_obj.get(d) for d in defined[sym]}
        if not def_layers & table.allowed[layer]:
            d = sorted(defined[sym])[0]
            problems.append("%s (layer %s) uses %s from %s (layer %s)" %
                            (os.path.relpath(o, root), layer, sym, os.path.relpath(d, root),
                             layer_of_obj.get(d)))
            continue
        for d in defined[sym]:
            who = table.restricted_for(src_of_obj.get(d, ""))
            dl = layer_of_obj.get(d)
            if who is not None and layer != dl and layer not in who:
                problems.append("%s (layer %s) uses %s from %s, which only %s may use (%s)" %
                                (os.path.relpath(o, root), layer, sym, src_of_obj.get(d),
                                 ", ".join([dl] + who), LAYERS_FILE))
    for sym, where in sorted(defined.items()):
        # main, and what the compiler makes (reserved __ names: ASan's __odr_asan.X markers)
        if sym == "main" or sym.startswith("__"):
            continue
        for o in sorted(where):
            want = table.prefixes.get(layer_of_obj.get(o))
            if want and not sym.startswith(tuple(want)):
                problems.append("%s (layer %s) defines the global %s: this layer's globals "
                                "start with %s (make it static, or rename it)" %
                                (os.path.relpath(o, root), layer_of_obj[o], sym,
                                 " or ".join(want)))
    for o, layer in sorted(layer_of_obj.items()):
        if layer is None:
            problems.append("%s: object of a file that belongs to no layer" %
                            os.path.relpath(o, root))
    return n


def check_vendors(root, table, files, problems):
    if not table.vendors:
        return
    words = re.compile(r"(?<![A-Za-z0-9])(%s)(?![A-Za-z0-9])" % "|".join(table.vendors), re.I)
    for f in files:
        if not any(f.startswith(d if d.endswith("/") else d + "/") for d in table.vendor_free):
            continue
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = strip_comments(fh.read())
        for m in words.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            problems.append("%s:%d: names a vendor ('%s'): vendor behaviour belongs in "
                            "drivers/platforms/*.yaml" % (f, line, m.group(1)))


def make_includes(table):
    for folder in table.folders():
        allowed = set()
        for layer in table.folder_layers(folder):
            allowed |= table.allowed[layer]
        dirs = []
        for d in table.folders():
            if any(l in allowed for l in table.folder_layers(d)) and d not in dirs:
                dirs.append(d)
        print("INC_%s := %s" % (re.sub(r"[^A-Za-z0-9]", "_", folder),
                                " ".join("-I" + d for d in dirs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="the tree to check (default: the one holding this script)")
    ap.add_argument("--build", help="also check the symbols of BUILD/obj/**/*.o")
    ap.add_argument("--make-includes", action="store_true")
    a = ap.parse_args()
    table = Table(os.path.join(a.root, LAYERS_FILE))
    if a.make_includes:
        make_includes(table)
        return 0
    problems = []
    files = c_files(a.root, table)
    nincl = check_includes(a.root, table, files, problems)
    nsym = check_symbols(a.root, table, a.build, problems) if a.build else 0
    check_vendors(a.root, table, files, problems)
    for p in problems:
        print("check-layers: " + p)
    summary = "%d files, %d includes" % (len(files), nincl)
    if a.build:
        summary += ", %d uses of project symbols" % nsym
    if problems:
        print("check-layers: %d problem(s) in %s (rules: docs/hacking.md, table: %s)" %
              (len(problems), summary, LAYERS_FILE))
        return 1
    print("check-layers: ok (%s)" % summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
