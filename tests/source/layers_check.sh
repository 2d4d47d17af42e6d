#!/usr/bin/env bash
# The layering rules of docs/design.md "Layers", checked on the source
# (issue 12): calls go down only, so no two files call or include each
# other in a loop; nothing above akis/ (pkcs11/, tools/) reaches PC/SC or
# sees the transport's vocabulary; only apdu/pcsc.c includes <winscard.h>;
# nothing below pkcs11/ knows PKCS#11. Prints "N passed, N failed".
#   tests/source/layers_check.sh [TOP]
set -u
cd "${1:-$(dirname "$0")/../..}"
exec python3 - <<'PY'
import collections, glob, os, re, sys

sys.setrecursionlimit(10000)
passed = failed = 0

def check(name, bad):
    global passed, failed
    if bad:
        failed += 1
        print(f"FAIL - {name}")
        for b in bad:
            print(f"#   {b}")
    else:
        passed += 1
        print(f"ok   - {name}")

LAYERS = ["log", "apdu", "akis", "pkcs11"] + sorted(glob.glob("tools/*/"))
def files(exts):
    out = []
    for d in LAYERS:
        for e in exts:
            out += glob.glob(os.path.join(d, "*." + e))
    return sorted(out)

def strip_comments(t):
    t = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), t, flags=re.S)
    return re.sub(r"//[^\n]*", "", t)

src = {f: strip_comments(open(f, encoding="utf-8").read()) for f in files(["c", "h"])}

def scc(graph):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(" <-> ".join(sorted(comp)))
    for v in list(graph):
        if v not in index:
            visit(v)
    return out

# Who defines which non-static function (a definition: a name, its
# parameters and an opening brace on the next line, as the tree is formatted).
defined = {}
for f, t in src.items():
    if f.endswith(".c"):
        for m in re.finditer(r"^(?!static\b)[A-Za-z_][\w \*]*?\b([a-z_][a-z0-9_]*)\([^;{]*?\)\s*\n\{", t, re.M):
            defined.setdefault(m.group(1), f)
calls = collections.defaultdict(set)
for f, t in src.items():
    if not f.endswith(".c"):
        continue
    for fn in set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", t)):
        g = defined.get(fn)
        if g is not None and g != f:
            calls[f].add(g)
check("the call graph between files has no loop", scc(calls))

includes = collections.defaultdict(set)
for f, t in src.items():
    for m in re.finditer(r'#include "([^"]+)"', t):
        includes[f].add(os.path.normpath(os.path.join(os.path.dirname(f), m.group(1))))
check("the include graph has no loop", scc(includes))

modules = collections.defaultdict(set)
for graph in (calls, includes):
    for a, bs in graph.items():
        for b in bs:
            if a[:-2] != b[:-2]:
                modules[a[:-2]].add(b[:-2])
check("no two modules (a .c with its .h) depend on each other in a loop", scc(modules))

above = [f for f in src if f.startswith(("pkcs11/", "tools/"))]
check("nothing above akis/ includes apdu/ or uses the transport's names",
      [f"{f}: {m.group(0)}" for f in above
       for m in re.finditer(r'#include "[^"]*apdu/[^"]*"|\bapdu_(?:pcsc_|rv\b|card\b|reader\b)\w*|\bAPDU_[A-Z_]+', src[f])])
check("only apdu/pcsc.c includes <winscard.h>",
      [f for f, t in src.items() if "<winscard.h>" in t and f != "apdu/pcsc.c"])
below = [f for f in src if f.startswith(("log/", "apdu/", "akis/"))]
check("nothing below pkcs11/ includes pkcs11.h or uses CK_RV",
      [f for f in below if re.search(r"pkcs11\.h|\bCK_RV\b", src[f])])
check("the call graph was read (some calls found)", [] if sum(map(len, calls.values())) > 50 else ["too few edges"])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
