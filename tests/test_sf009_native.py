"""SF009's compiled scan answers a check exactly as the Python analysis does, or leaves it to it.

``seenfix check`` asks the compiled scan (``seenfix/analysis/_native/unused_scan.c``) first: it parses
the file with its own copy of the tree-sitter runtime and either lists the unused import bindings,
scopes and shadowing included, or answers ``None`` (a syntax error, an unusual import...), and then
the Python analysis decides.  Fixes (``apply``) never use it.  Here its answers are held to the
Python analysis's on every file of the shared TypeScript corpus and the large real frontends
``.ci/run`` downloads, on those files with a reference taken away (so that names become unused), and
on written cases of each rule; and it must decide most files, or it would be no use.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from seenfix.analysis import unused_imports as ua
from seenfix.editors.typescript import TsParseError, import_names, parse
from test_sf009_fast_paths import CASES, _real_files

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def scan(monkeypatch: pytest.MonkeyPatch) -> object:
    """The compiled scan; the tests skip where it is not built (``.ci/run`` requires it)."""
    monkeypatch.setattr(ua, "_SCAN", None)
    monkeypatch.delenv("SEENFIX_NO_NATIVE", raising=False)
    found = ua._native_scan()
    if found is None:
        if os.environ.get("SEENFIX_REQUIRE_NATIVE") == "1":
            pytest.fail("SEENFIX_REQUIRE_NATIVE=1, but seenfix.analysis._unused_scan is not built")
        pytest.skip("seenfix.analysis._unused_scan is not built here (no C compiler at install)")
    return found


def _both(path: str, text: str, keep: tuple[str, ...] = ()) -> tuple[ua.FileResult, ua.FileResult]:
    """A check's answer with the compiled scan, and without it."""
    native = ua.analyse(path, text, keep, recheck=False, edits=False)
    saved = ua._SCAN
    ua._SCAN = False
    try:
        python = ua.analyse(path, text, keep, recheck=False, edits=False)
    finally:
        ua._SCAN = saved
    return native, python


def _native_answer(path: str, text: str) -> object:
    """The check's answer from the scan, or ``None`` where the Python analysis decides."""
    return ua.native_check(path, text.encode("utf-8"), frozenset())


def test_the_scan_is_built_where_ci_requires_it(scan: object) -> None:
    from seenfix.analysis import _unused_scan  # type: ignore[attr-defined]

    assert _unused_scan.version() >= 14  # tree-sitter-typescript 0.23's grammars are ABI 14


def test_the_runtime_inside_is_its_own(scan: object) -> None:
    """The vendored runtime's functions are not exported: another tree-sitter runtime loaded globally
    in the process (of another version) cannot take their place, nor they another's."""
    import ctypes

    from seenfix.analysis import _unused_scan  # type: ignore[attr-defined]

    lib = ctypes.CDLL(_unused_scan.__file__)
    for symbol in ("ts_parser_new", "ts_parser_parse_string", "ts_tree_cursor_new", "ts_current_malloc"):
        assert not hasattr(lib, symbol), symbol
    assert hasattr(lib, "PyInit__unused_scan")


def test_a_library_of_another_layout_is_not_used(scan: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from seenfix.analysis import _unused_scan  # type: ignore[attr-defined]

    assert _unused_scan.layout() == ua._LAYOUT
    monkeypatch.setattr(ua, "_SCAN", None)
    monkeypatch.setattr(ua, "_LAYOUT", ua._LAYOUT + 1)  # as if the Python side had moved on
    assert ua._native_scan() is None
    assert ua.analyse("a.ts", 'import { a } from "m";\n', edits=False).unused[0].local == "a"


def test_long_names_are_found_as_the_python_analysis_finds_them(scan: object) -> None:
    """A name longer than the short-name search's limit (memmem's path), in and out of a longer one."""
    name = "a" * 40
    text = f'import {{ {name}, {name}b }} from "m";\nuse({name}a, {"a" * 39}, x{name}, {name}b);\n'
    native, python = _both("a.ts", text)
    assert native == python and [b.local for b in python.unused] == [name]
    assert _native_answer("a.ts", text) is not None


#: (file name, text, whether the scan decides it, the names the check reports)
WRITTEN = [
    ("a.ts", 'import { a } from "m";\na();\n', True, []),
    ("a.ts", 'import { a, b } from "m";\na();\n', True, ["b"]),
    ("a.ts", 'import d, * as NS from "m";\nlet x: NS.T = d;\n', True, []),
    ("a.ts", 'import * as NS from "m";\nlet x: T.NS;\nfoo.NS;\n', True, ["NS"]),
    ("a.ts", 'import { A } from "m";\n/** See {@link A}. */\nexport const x = 1;\n', True, []),
    ("a.ts", 'import { A } from "m";\n// A is gone\nexport const x = "A";\n', True, ["A"]),
    ("a.ts", 'import { cfg } from "m";\ntype C = typeof cfg;\n', True, []),
    ("a.ts", 'import { a } from "m";\nexport { a };\n', True, []),
    ("a.ts", 'import { a } from "m";\nexport { a } from "n";\n', True, ["a"]),
    ("a.ts", 'import { a } from "m";\nexport { b as a };\n', True, ["a"]),
    ("a.ts", 'import { a } from "m";\nfor (a of xs) {}\n', True, []),
    ("a.ts", 'import { a } from "m";\nconst o = { a };\n', True, []),
    ("a.ts", 'import { a } from "m";\nconst o = { a: 1 };\nlabel: a;\n', True, []),
    ("a.ts", 'import { a } from "m";\nconst o = { a: 1 };\n', True, ["a"]),
    ("a.ts", 'import { "a-b" as ab } from "m";\nab();\n', True, []),
    ("a.ts", 'import { "a-b" as ab, c } from "m";\n', True, ["ab", "c"]),
    ("a.ts", 'import type { T } from "m";\nimport { type U, v } from "n";\nlet x: T;\n', True, ["U", "v"]),
    ("a.ts", 'import { a } from "m";\nimport { a as b, a } from "n";\n', True, ["a", "b", "a"]),
    ("a.ts", '// biome-ignore lint/correctness/noUnusedImports: checks the export\nimport { a } from "m";\n',
     True, []),
    ("a.ts", 'import { a, // eslint-disable-line\n  b } from "m";\n', True, ["b"]),
    ("a.ts", 'import { kept } from "keep-me";\nimport { gone } from "m";\n', True, ["gone"]),
    ("a.ts", "import 'side-effect';\nexport {};\n", True, []),
    ("a.ts", "export const x = 1;\n", True, []),
    ("a.tsx", 'import { path } from "m";\nexport const X = () => <path />;\n', True, ["path"]),
    ("a.tsx", 'import { Path } from "m";\nexport const X = () => <Path />;\n', True, []),
    ("a.tsx", 'import React from "react";\nexport const X = () => <div />;\n', True, []),
    ("a.tsx", 'import { clickOutside } from "m";\nexport const X = () => <div use:clickOutside={f} />;\n',
     True, []),
    ("a.tsx", 'import { x } from "m";\nexport const X = () => <div a:x={f}>x</div>;\n', True, ["x"]),
    # declarations with an imported name, in their scopes
    ("a.ts", 'import { a } from "m";\nfunction f() { const a = 1; return a; }\n', True, ["a"]),
    ("a.ts", 'import { a } from "m";\nfunction f(a) { return a; }\na();\n', True, []),
    ("a.ts", 'import { a } from "m";\nfunction f({ a }) { return a; }\n', True, ["a"]),
    ("a.ts", 'import { a } from "m";\ntry {} catch (a) { a; }\n', True, ["a"]),
    ("a.ts", 'import { T } from "m";\nfunction f<T>(x: T) {}\n', True, ["T"]),
    ("a.ts", 'import { T } from "m";\ntype X<U> = U extends infer T ? T : never;\n', True, ["T"]),
    ("a.ts", 'import { a } from "m";\nconst f = (a) => a;\n', True, ["a"]),
    ("a.ts", 'import { a } from "m";\nconst a = 1;\n', True, []),  # a top-level clash: kept, left to tsc
    ("a.ts", 'import { a } from "m";\nfunction g() { var a; }\nfor (var a of xs) {}\n', True, []),
    ("a.ts", 'import { a } from "m";\nfunction g() { let a; }\nfor (const a of xs) {}\n', True, ["a"]),
    ("a.ts", 'import { T } from "m";\nfunction g() { type T = 1; interface T {} class T {} let x: T; }\n', True, ["T"]),
    ("a.ts", 'import { T } from "m";\nfunction g() { class T {} }\nlet x: T;\n', True, []),
    ("a.ts", 'import { T } from "m";\ntype M = { [T in K]: T };\n', True, ["T"]),
    ("a.ts", 'import { a } from "m";\nconst f = function a() { return a; };\n', True, ["a"]),
    ("a.ts", 'import { a } from "m";\nfunction g() { enum a { X } namespace a {} return a; }\n', True, ["a"]),
    ("a.ts", 'import { a } from "m";\nfunction g({ b: [a = 1] }) { return a; }\n', True, ["a"]),
    ("a.ts", 'import { a } from "m";\nfunction g() { for (var { a } of xs) {} }\na();\n', True, []),
    ("a.ts", 'import { a } from "m";\nfunction g() { for (var { a } of xs) {} a(); }\n', True, ["a"]),
    # syntax the grammar lacks (variance annotations, `export type *`): read without it, as parse_source does
    ("a.ts", 'import { a } from "m";\ninterface Box<in out T> { a: T }\n', True, ["a"]),
    ("a.ts", 'import { a, T } from "m";\ninterface Box<in out U> { a: T }\nexport type * from "n";\n', True, ["a"]),
    # not read by the scan: other syntax errors, `import x = require()`
    ("a.ts", 'import { a } from "m";\na(;\n', False, None),
    ("a.ts", 'import { a } from "m";\ninterface Box<in out T> { a: T }\na(;\n', False, None),
    ("a.ts", 'import x = require("m");\nimport { a } from "n";\n', False, ["a"]),
]


@pytest.mark.parametrize(("name", "text", "decided", "unused"), WRITTEN)
def test_written_cases(scan: object, name: str, text: str, decided: bool, unused: list[str] | None) -> None:
    got = _native_answer(name, text)
    assert (got is not None) == decided, text
    native, python = _both(name, text, ("keep-me",))
    assert native == python, text
    if unused is None:
        assert python.error is not None
    else:
        assert [b.local for b in python.unused] == unused, text


@pytest.mark.parametrize("text", CASES)
def test_every_shape_of_import_declaration(scan: object, text: str) -> None:
    for rest in ("\nuse(a, ab, b, X, NS, d, e, ünï, $, __);\n", "\n"):
        native, python = _both("a.ts", text + rest)
        assert native == python, text + rest


def _files() -> list[tuple[str, str]]:
    out = []
    for path in _real_files():
        try:
            out.append((str(path), path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    return out


@pytest.mark.slow
def test_the_check_is_the_python_analysis_on_real_frontends(scan: object) -> None:
    files = _files()
    decided = with_unused = 0
    for path, text in files:
        native, python = _both(path, text, ("solid-js",))
        assert native == python, path
        decided += _native_answer(path, text) is not None
        with_unused += bool(python.unused)
    print(f"{len(files)} files, {decided} decided by the scan, {with_unused} with unused imports")
    assert len(files) >= 1500 and with_unused >= 50
    assert decided >= 0.9 * len(files)  # else the scan saves nothing (93% when written)


@pytest.mark.slow
def test_the_same_with_references_taken_away(scan: object) -> None:
    """Each file with an imported name's first reference renamed: names become unused, in real code."""
    rng = random.Random(9)
    files = _files()
    changed = decided = 0
    for path, text in rng.sample(files, 400):
        src = text.encode("utf-8")
        try:
            tree = parse(src, path)
        except TsParseError:
            continue
        stmts = [s for s in tree.root_node.children if s.type == "import_statement"]
        names = [n for s in stmts for n in (import_names(src, s) or [])]
        if not names:
            continue
        after = max(s.end_byte for s in stmts)
        name = rng.choice(names)
        at = src.find(name, after)
        if at < 0:
            continue
        mutated = (src[:at] + b"Q" * len(name) + src[at + len(name):]).decode("utf-8", "replace")
        native, python = _both(path, mutated)
        assert native == python, (path, name)
        changed += 1
        decided += _native_answer(path, mutated) is not None
    assert changed >= 200 and decided >= 0.8 * changed, (changed, decided)


def test_fixes_never_use_the_scan(scan: object, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: bytes, tsx: bool) -> object:
        raise AssertionError("apply used the compiled scan")

    monkeypatch.setattr(ua, "_SCAN", refuse)
    res = ua.analyse("a.ts", 'import { a, b } from "m";\na();\n')
    assert res.new_text == 'import { a } from "m";\na();\n'


def test_seenfix_no_native_turns_it_off() -> None:
    code = "from seenfix.analysis import unused_imports as ua; print(ua._native_scan() is None)"
    env = {**os.environ, "SEENFIX_NO_NATIVE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "True"
