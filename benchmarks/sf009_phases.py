#!/usr/bin/env python3
"""Where SF009's time goes, phase by phase, in one process, against a plain parse.

usage: python benchmarks/sf009_phases.py [--files N] [--dir DIR] [--repeat R]

The same corpus as ``benchmarks/unused_imports.py`` (N files replicated from the shared TypeScript
corpus's ``mutated/`` files, default 2000, or the ``.ts``/``.tsx`` files of DIR) is read into memory
once; then each phase runs over every file (best of ``--repeat``), and its time is printed with its
ratio to the baseline measured in the same run, ``parse``: tree-sitter parsing every file, which is
the per-file work of ``unused_imports.py``'s parse floor.

- ``parse``: ``Parser.parse`` of every file (the baseline);
- ``parse_source``: seenfix's parse (the same, plus the pre-pass that blanks out the syntax
  tree-sitter-typescript 0.23 cannot parse);
- ``imports``: reading the names the import declarations bind off the parsed trees (``import_names``:
  a regular expression over each declaration's bytes, the tree for unusual ones; the few declarations
  that bind an unused name are read whole later, in ``analyse``);
- ``usage``: deciding which imported names nothing refers to (``unused_bindings``: the name's
  occurrences, each classified by its node and the scopes that declare it);
- ``analyse``: the whole per-file work of ``seenfix apply``: parse, imports, usage, the removal
  edits, and the incremental re-parse and second look that verify the output;
- ``check``: the per-file work of ``seenfix check`` (no fixed text): in C where the extension
  ``seenfix.analysis._unused_scan`` is built (its own parse included), and ``check_python``: the
  same in Python (``SEENFIX_NO_NATIVE=1``);
- ``verify: parse`` and ``verify: incr.``: checking that the changed files' outputs parse, by parsing
  each whole, and as seenfix does, by tree-sitter's incremental re-parse of the old tree with the
  deletions applied (only the edited ranges are parsed again).

``analyse / parse`` (``check / parse`` for a check) is the floor for a whole ``seenfix`` process on
this analysis: however well its processes share the work, it cannot come closer to the parse floor
than this ratio (startup and writing the changed files come on top).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from unused_imports import corpus_files, make_master  # noqa: E402


def best(repeat: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--files", type=int, default=2000, help="number of files to replicate (default 2000)")
    ap.add_argument("--dir", type=Path, help="measure this directory's .ts/.tsx files instead")
    ap.add_argument("--repeat", type=int, default=3, help="runs per phase; the best is kept (default 3)")
    args = ap.parse_args(argv)

    import tree_sitter_typescript as tst
    from tree_sitter import Language, Parser

    from seenfix.editors import typescript as ts
    from seenfix.analysis import unused_imports as ua

    directory, files = corpus_files(args.dir)
    with tempfile.TemporaryDirectory(prefix="sf009-phases-") as tmp:
        n = make_master(directory, files, None if args.dir else args.files, Path(tmp))
        paths = sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*") if p.is_file())
        sources = [(p, (Path(tmp) / p).read_bytes()) for p in paths]
    texts = [(p, src.decode("utf-8")) for p, src in sources]
    parsers = {True: Parser(Language(tst.language_tsx())), False: Parser(Language(tst.language_typescript()))}
    trees = [(src, ts.parse_source(src, p)[0]) for p, src in sources]
    decls = [(src, tree, ts.parse_imports(tree)) for src, tree in trees]
    changed = sum(ua.analyse(p, text).new_text is not None for p, text in texts)
    # the outputs of the changed files, with the deletions that make them (as ua._result works them out)
    edits = []
    for (p, src), (_, tree) in zip(sources, trees):
        d = ts.parse_imports(tree)
        unused = set(ua.unused_bindings(src, tree, d)) if any(x.bindings for x in d) else set()
        spans = [span for decl in d for span in ts.removal_edits(src, decl, [b for b in decl.bindings if b in unused])
                 if any(b in unused for b in decl.bindings)]
        if spans:
            edits.append((p, src, tree, spans, ts.apply_deletions(src, spans)))

    native = ua._native_scan()

    def python_check() -> object:
        ua._SCAN = False
        try:
            return [ua.analyse(p, text, recheck=False, edits=False) for p, text in texts]
        finally:
            ua._SCAN = native

    phases: dict[str, Callable[[], object]] = {
        "parse": lambda: [parsers[p.endswith(".tsx")].parse(src) for p, src in sources],
        "parse_source": lambda: [ts.parse_source(src, p) for p, src in sources],
        "imports": lambda: [[ts.import_names(src, st) for st in tree.root_node.children if st.type == "import_statement"]
                            for src, tree in trees],
        "usage": lambda: [ua.unused_bindings(src, tree, d) for src, tree, d in decls],
        "analyse": lambda: [ua.analyse(p, text) for p, text in texts],
        # what `seenfix check` does per file: without a fixed text, in C where the extension is built
        "check": lambda: [ua.analyse(p, text, recheck=False, edits=False) for p, text in texts],
        "check_python": python_check,
        # verifying the changed files' outputs: a whole parse of each, and the incremental re-parse
        # seenfix does (the old tree with the deletions applied: only the edited ranges are parsed again)
        "verify: parse": lambda: [ts.parse_source(new, p) for p, _, _, _, new in edits],
        "verify: incr.": lambda: [ts.reparse(p, src, tree, spans, new) for p, src, tree, spans, new in edits],
    }
    print(f"{n} files ({sum(len(s) for _, s in sources) // 1024} KiB) from {directory}, {changed} of them "
          f"with unused imports; one process, best of {args.repeat}; SF009's C check "
          f"{'built' if native is not None else 'not built (check = check_python)'}")
    print(f"{'phase':<14}{'s':>7}{'x parse':>9}{'us/file':>9}  (verify: per changed file, {len(edits)} files)")
    base = None
    for name, func in phases.items():
        took = best(args.repeat, func)
        base = base or took
        per = len(edits) if name.startswith("verify") else n
        print(f"{name:<14}{took:7.3f}{took / base:9.2f}{took / max(per, 1) * 1e6:9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
