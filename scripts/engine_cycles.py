#!/usr/bin/env python3
"""Import cycles between the engine's top-level modules (src/engine/<name>[.rs|/]).

Reads every `crate::engine::X` and `super::...` path in non-test engine code, builds the
graph "module A uses module B", and prints each strongly connected component with more than
one module. Exit status 1 when there is a cycle, so this is the check (tests/engine_layers.rs
runs it). `--edges` also prints the graph; `--root DIR` reads another tree (the test's
self-check). `mod.rs` (the `Gateway` handle and its public types) is the node `engine`: it composes
every module through relative paths, which this script does not read, so it is never part
of a cycle; edges *into* it (services reaching `Gateway` or its constants) are listed by
`--edges`, not counted.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "engine")
PATH = re.compile(r"\b(crate::engine::|(?:super::)+)(\w+)?")


def module_of(rel):
    parts = rel.split(os.sep)
    if len(parts) == 1:
        name = parts[0][:-3]
        return "engine" if name == "mod" else name
    return parts[0]


def strip_tests(text):
    cut = re.search(r"#\[cfg\(test\)\]\s*mod \w+\s*\{", text)
    text = text[: cut.start()] if cut else text
    text = re.sub(r"//[^\n]*", "", text)
    return text


def resolve(rel, prefix, name):
    """Top-level engine module a path names, or None when it leaves the engine."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    if prefix == "crate::engine::":
        return name if name else "engine"
    ups = prefix.count("super::")
    base = parts[:-1] if parts else []
    # `super` from engine/x.rs is engine; from engine/x/y.rs is engine::x; from mod.rs files one more level.
    module_path = parts  # path of the current module inside engine
    target = module_path[: len(module_path) - ups]
    if len(module_path) - ups < 0:
        return None
    if not target:
        if name is None:
            return "engine"
        return name
    return target[0]


def graph():
    edges = {}
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if not f.endswith(".rs") or "tests" in f:
                continue
            full = os.path.join(dirpath, f)
            rel = os.path.relpath(full, ROOT)
            if "tests" in rel.split(os.sep)[:-1]:
                continue
            src = module_of(rel)
            with open(full, encoding="utf-8") as fh:
                text = strip_tests(fh.read())
            for m in PATH.finditer(text):
                dst = resolve(rel, m.group(1), m.group(2))
                if dst is None or dst == src:
                    continue
                if dst != "engine" and not (
                    os.path.exists(os.path.join(ROOT, dst + ".rs"))
                    or os.path.isdir(os.path.join(ROOT, dst))
                ):
                    # `super::Item` naming an item of mod.rs
                    dst = "engine"
                    if dst == src:
                        continue
                edges.setdefault(src, set()).add(dst)
    return edges


def sccs(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    nodes = set(edges) | {d for ds in edges.values() for d in ds}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    global ROOT
    if "--root" in sys.argv:
        ROOT = sys.argv[sys.argv.index("--root") + 1]
    edges = graph()
    if "--edges" in sys.argv:
        for s in sorted(edges):
            print(f"{s} -> {', '.join(sorted(edges[s]))}")
    cycles = [c for c in sccs(edges) if len(c) > 1]
    for c in cycles:
        inner = {s: sorted(d for d in edges.get(s, ()) if d in c) for s in c}
        print("cycle: " + ", ".join(c))
        for s in c:
            print(f"  {s} -> {', '.join(inner[s])}")
    if cycles:
        sys.exit(1)
    print("engine modules: no import cycles")


if __name__ == "__main__":
    main()
