"""SF009's shortcuts give the answers of the full reading, on real TypeScript.

Two shortcuts keep SF009's per-file Python small: the names an import declaration binds are read off
its bytes with a regular expression (:func:`seenfix.editors.typescript.import_names`; the whole
declaration is read from the tree only when one of its names is unused), and an occurrence of a name
whose parent node makes it a plain reference is counted without the classification's calls
(``_IDENTIFIER_PARENTS``, ``_TYPE_IDENTIFIER_PARENTS`` in :mod:`seenfix.analysis.unused_imports`).
Each is held here to the long way on every file of the shared TypeScript corpus, of the large real
frontends ``.ci/run`` downloads (blueprintjs, tldraw, TanStack Router and Query, effect) and on
written cases of the shapes the regular expression leaves to the tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seenfix.analysis import unused_imports as ua
from seenfix.editors.typescript import _PLAIN_IMPORT, TsParseError, import_decl, import_names, parse, parse_imports
from test_ts_corpus import built_corpus
from test_ts_parse_share import _packages, _sources

#: Declarations the regular expression must leave to the tree, or read as the tree does.
CASES = [
    'import a from "m";',
    'import type A from "m"',
    'import type from "m";',  # a default import named `type`
    'import type, { a } from "m";',
    'import from from "m";',
    'import as from "m";',
    'import { type } from "m";',
    'import { type as } from "m";',  # the name `as`, type-only
    'import { type as as } from "m";',
    'import { type as as as } from "m";',
    'import { as as from } from "m";',
    'import { a as b, type c, type d as e, } from "m";',
    'import X, * as NS from "m";',
    'import * as NS from "m"',
    'import X, { y } from "m";',
    'import {} from "m";',
    'import "side-effect";',
    'import { "a-b" as ab } from "m";',
    'import { default as d } from "m";',
    'import { a /* why */, b } from "m";',
    'import { a, // why\n  b } from "m";',
    'import data from "./d.json" with { type: "json" };',
    'import data from "./d.json" assert { type: "json" };',
    'import x = require("m");',
    'import type x = require("m");',
    'import { ünï } from "m";',
    'import\n  type\n  {\n    A,\n    B as C,\n  }\n  from\n  "m"\n;',
    "import{a}from'm'",
    'import $, { _ as __ } from "m";',
]

#: Of :data:`CASES`, those tree-sitter-typescript 0.23 does not parse.
UNPARSED = {'import { type as } from "m";', 'import { type as as as } from "m";'}


def _statements(src: bytes, path: str) -> list:
    tree = parse(src, path)
    return [stmt for stmt in tree.root_node.children if stmt.type == "import_statement"]


def _long_way(stmt) -> list[bytes] | None:
    decl = import_decl(stmt)
    return None if decl is None else [b.local.encode("utf-8") for b in decl.bindings]


def _real_files() -> list[Path]:
    out = built_corpus()
    files = sorted((out / "mutated").rglob("*.ts*")) + sorted((out / "original").rglob("*.ts*"))
    for root in _packages().values():
        files += _sources(root)
    return files


@pytest.mark.parametrize("text", CASES)
def test_import_names_read_as_the_tree_reads_written_cases(text: str) -> None:
    src = (text + "\nuse(a);\n").encode("utf-8")
    try:
        stmts = _statements(src, "a.ts")
    except TsParseError:  # tree-sitter-typescript 0.23 rejects it: SF009 reads none of the file's imports
        assert text in UNPARSED, text
        assert ua.analyse("a.ts", src.decode("utf-8")).error is not None
        return
    assert text not in UNPARSED and stmts, text
    for stmt in stmts:
        assert import_names(src, stmt) == _long_way(stmt), text


class _Everything:
    """A set that holds every node type: each occurrence takes the full classification."""

    def __contains__(self, item: object) -> bool:
        return True


@pytest.mark.slow
def test_shortcuts_agree_with_the_long_way_on_real_frontends(monkeypatch: pytest.MonkeyPatch) -> None:
    files = _real_files()
    statements = fast_read = files_read = 0
    quick: list[tuple[str, object]] = []
    for path in files:
        src = path.read_bytes()
        try:
            tree = parse(src, path.name)
        except TsParseError:
            continue
        files_read += 1
        for stmt in (s for s in tree.root_node.children if s.type == "import_statement"):
            names = import_names(src, stmt)
            assert names == _long_way(stmt), (path, stmt.text)
            statements += 1
            fast_read += _PLAIN_IMPORT.match(src, stmt.start_byte, stmt.end_byte) is not None
        # the lazy reading of declarations finds what reading every declaration finds
        decls = parse_imports(tree)
        text = src.decode("utf-8")
        result = ua.analyse(path.name, text)
        expected = ua.unused_bindings(src, tree, decls)
        if path.suffix == ".tsx":
            expected = [b for b in expected if b.local not in ua._CLASSIC_JSX]
        if not any(m in src for m in ua._SUPPRESSION_MARKERS) and result.error is None:
            assert list(result.unused) == expected, path
        quick.append((str(path), (result.unused, result.new_text, result.error)))
    # the same files with every occurrence classified the long way
    monkeypatch.setattr(ua, "_IDENTIFIER_PARENTS", _Everything())
    monkeypatch.setattr(ua, "_TYPE_IDENTIFIER_PARENTS", _Everything())
    slow = []
    for path in files:
        src = path.read_bytes()
        try:
            parse(src, path.name)
        except TsParseError:
            continue
        result = ua.analyse(path.name, src.decode("utf-8"))
        slow.append((str(path), (result.unused, result.new_text, result.error)))
    assert quick == slow
    print(f"{files_read} files, {statements} import declarations ({fast_read} read by the regular expression), "
          f"{sum(bool(r[1][0]) for r in quick)} files with unused imports")
    assert files_read >= 1500 and statements >= 7000 and fast_read >= 0.8 * statements
    assert sum(bool(r[1][0]) for r in quick) >= 50
