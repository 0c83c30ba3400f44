"""The TypeScript import editor: the import model, the unused-name analysis and minimal removals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seenfix.editors.typescript import parse, parse_imports, removal_edits
from seenfix.analysis.unused_imports import analyse, analyse_many, unused_bindings


def unused_names(source: str, path: str = "a.tsx") -> list[str]:
    src = source.encode()
    tree = parse(src, path)
    return [b.local for b in unused_bindings(src, tree, parse_imports(tree))]


def fixed(source: str, path: str = "a.tsx") -> str:
    res = analyse(path, source)
    assert res.error is None, res.error
    return source if res.new_text is None else res.new_text


# -- the model -------------------------------------------------------------------------------------
def test_import_model_offsets() -> None:
    src = 'import D, { type A, b as c, } from "x";\nimport * as NS from \'y\';\nimport "./z.css";\n'
    decls = parse_imports(parse(src.encode(), "a.ts"))
    assert [d.source for d in decls] == ["x", "y", "./z.css"]
    first = decls[0]
    assert src[first.start:first.end] == 'import D, { type A, b as c, } from "x";'
    assert [(b.kind, b.imported, b.local, b.type_only) for b in first.bindings] == [
        ("default", "default", "D", False), ("named", "A", "A", True), ("named", "b", "c", False)]
    assert [src[b.start:b.end] for b in first.bindings] == ["D", "type A", "b as c"]
    assert [src[b.start:b.comma_end] for b in first.named] == ["type A,", "b as c,"]
    assert src[first.braces[0]:first.braces[1]] == "{ type A, b as c, }"
    assert decls[1].namespace is not None and src[decls[1].namespace.start:decls[1].namespace.end] == "* as NS"
    assert decls[2].side_effect and not decls[2].bindings
    assert (first.bindings[2].line, first.bindings[2].column) == (1, 21)


def test_import_type_declaration_is_type_only() -> None:
    decl = parse_imports(parse(b'import type { T } from "t";', "a.ts"))[0]
    assert decl.type_only and decl.bindings[0].type_only


# -- what counts as a use ----------------------------------------------------------------------------
USED = [
    ("value", "import { a } from 'm';\nconsole.log(a);\n"),
    ("type", "import { T } from 'm';\nlet x: T;\n"),
    ("generic argument", "import { T } from 'm';\nconst x = f<T>();\n"),
    ("jsx", "import { Button } from 'm';\nconst v = <Button />;\n"),
    ("jsx closing", "import { Box } from 'm';\nconst v = <Box>hi</Box>;\n"),
    ("jsx member", "import { Menu } from 'm';\nconst v = <Menu.Item />;\n"),
    ("jsx lowercase member", "import { ui } from 'm';\nconst v = <ui.Box />;\n"),
    ("jsx attribute value", "import { h } from 'm';\nconst v = <div onClick={h} />;\n"),
    ("solid directive", "import { clickOutside } from 'm';\nconst v = <div use:clickOutside={() => 1} />;\n"),
    ("solid directive, no value", "import { autofocus } from 'm';\nconst v = <input use:autofocus />;\n"),
    ("typeof", "import { cfg } from 'm';\ntype C = typeof cfg;\n"),
    ("typeof member", "import { cfg } from 'm';\ntype C = typeof cfg.a;\n"),
    ("decorator", "import { Dec } from 'm';\n@Dec class K {}\n"),
    ("decorator call", "import { Dec } from 'm';\nclass K { @Dec() f = 1; }\n"),
    ("export list", "import { a } from 'm';\nexport { a };\n"),
    ("export list alias", "import { a } from 'm';\nexport { a as b };\n"),
    ("export default", "import { a } from 'm';\nexport default a;\n"),
    ("template literal", "import { a } from 'm';\nconst s = `x${a}y`;\n"),
    ("shorthand property", "import { a } from 'm';\nconst o = { a };\n"),
    ("namespace in type", "import * as NS from 'm';\nlet x: NS.T;\n"),
    ("namespace in value", "import * as NS from 'm';\nNS.f();\n"),
    ("extends", "import { Base } from 'm';\nclass K extends Base {}\n"),
    ("implements", "import { I } from 'm';\nclass K implements I {}\n"),
    ("satisfies", "import { S } from 'm';\nconst k = {} satisfies S;\n"),
    ("default value of a parameter", "import { d } from 'm';\nfunction f(x = d) { return x; }\n"),
    ("destructuring default", "import { d } from 'm';\nconst { x = d } = {} as { x?: number };\n"),
    ("assignment", "import { a } from 'm';\nfor (a of []) {}\n"),
    ("a local that is only a value", "import { T } from 'm';\nfunction f() { const T = 1; let y: T; return [T, y]; }\n"),
    ("type param does not shadow a value", "import { a } from 'm';\nfunction f<a>() { return a; }\n"),
    ("used outside the shadowing scope", "import { a } from 'm';\nfunction f(a: number) { return a; }\nf(a);\n"),
    ("jsdoc link", "import { Thing } from 'm';\n/** See {@link Thing}. */\nexport const x = 1;\n"),
    ("jsx pragma", "/** @jsx h */\nimport { h } from 'm';\nexport const x = 1;\n"),
    ("computed key", "import { k } from 'm';\nconst o = { [k]: 1 };\n"),
    ("shadowed in a sibling function only", "import { a } from 'm';\nfunction f() { return a; }\nfunction g() { const a = 1; return a; }\n"),
    ("block-scoped local, used after the block", "import { a } from 'm';\nfunction f() { { let a = 1; a; } return a; }\n"),
    ("class type parameter, used outside the class", "import { T } from 'm';\nclass K<T> { x?: T }\nlet y: T;\n"),
    ("namespace member, used at top level", "import { a } from 'm';\nnamespace N { export const a = 1; }\nexport const b = a;\n"),
    ("default of a destructured parameter", "import { a } from 'm';\nexport const f = ({ x = a }: { x?: number }) => x;\n"),
    ("export as default", "import a from 'm';\nexport { a as default };\n"),
    ("parameter decorator", "import { Inject } from 'm';\nclass K { constructor(@Inject() x: number) {} }\n"),
    ("top-level redeclaration is left alone", "import { a } from 'm';\nfunction g() { return 1; }\nvar a = 1;\n"),
]


@pytest.mark.parametrize("source", [s for _, s in USED], ids=[n for n, _ in USED])
def test_used(source: str) -> None:
    assert unused_names(source) == []


UNUSED = [
    ("nowhere", "import { a } from 'm';\n", ["a"]),
    ("property", "import { a } from 'm';\nconst o = { a: 1 }; o.a;\n", ["a"]),
    ("interface member", "import { a } from 'm';\ninterface I { a: string }\n", ["a"]),
    ("string and comment", "import { a } from 'm';\n// a\nconst s = 'a' + \"a\" + `a`;\n", ["a"]),
    ("intrinsic tag", "import { path } from 'm';\nconst v = <svg><path /></svg>;\n", ["path"]),
    ("other directive namespaces", "import { click } from 'm';\nconst v = <div on:click={1} />;\n", ["click"]),
    ("directive name itself", "import { use } from 'm';\nconst v = <div use:x={1} />;\n", ["use"]),
    ("parameter", "import { a } from 'm';\nfunction f(a: number) { return a; }\n", ["a"]),
    ("destructured parameter", "import { a } from 'm';\nfunction f({ a }: { a: 1 }) { return a; }\n", ["a"]),
    ("renamed destructuring", "import { a } from 'm';\nfunction f({ x: a }: { x: 1 }) { return a; }\n", ["a"]),
    ("arrow parameter", "import { a } from 'm';\nconst f = (a: number) => a;\n", ["a"]),
    ("bare arrow parameter", "import { a } from 'm';\nconst f = [1].map(a => a);\n", ["a"]),
    ("local", "import { a } from 'm';\nfunction f() { const a = 1; return a; }\n", ["a"]),
    ("var hoisted", "import { a } from 'm';\nfunction f() { if (1) { var a = 1; } return a; }\n", ["a"]),
    ("catch", "import { e } from 'm';\ntry {} catch (e) { console.log(e); }\n", ["e"]),
    ("for of", "import { x } from 'm';\nfor (const x of []) { console.log(x); }\n", ["x"]),
    ("type parameter", "import { T } from 'm';\nfunction f<T>(x: T): T { return x; }\n", ["T"]),
    ("type alias parameter", "import { T } from 'm';\ntype L<T> = T[];\n", ["T"]),
    ("infer", "import { U } from 'm';\ntype E<T> = T extends Array<infer U> ? U : never;\n", ["U"]),
    ("mapped type key", "import { K } from 'm';\ntype R<T> = { [K in keyof T]: K };\n", ["K"]),
    ("local type", "import { T } from 'm';\nfunction f() { type T = number; let y: T = 1; return y; }\n", ["T"]),
    ("local class", "import { C } from 'm';\nfunction f() { class C {} return new C(); }\n", ["C"]),
    ("named function expression", "import { g } from 'm';\nconst h = function g() { return g; };\n", ["g"]),
    ("index signature key", "import { key } from 'm';\ninterface I { [key: string]: number }\n", ["key"]),
    ("re-export from elsewhere", "import { a } from 'm';\nexport { a } from 'n';\n", ["a"]),
    ("namespace member of another", "import { T } from 'm';\nimport * as NS from 'n';\nlet x: NS.T;\n", ["T"]),
    ("longer identifier", "import { a } from 'm';\nconst ab = 1; const b$a = ab;\n", ["a"]),
    ("label", "import { loop } from 'm';\nloop: for (;;) { break loop; }\n", ["loop"]),
    ("destructured local", "import { a } from 'm';\nfunction f(o: { a: 1 }) { const { a } = o; return a; }\n", ["a"]),
    ("hoisted var in a nested block", "import { a } from 'm';\nfunction f() { a(); { var a = () => 1; } }\n", ["a"]),
    ("enum member", "import { a } from 'm';\nenum E { a = 1 }\nexport const e = E.a;\n", ["a"]),
    ("method name", "import { a } from 'm';\nclass K { a() { return 1; } get b() { return 2; } }\n", ["a"]),
]


@pytest.mark.parametrize(("source", "names"), [(s, n) for _, s, n in UNUSED], ids=[n for n, _, _ in UNUSED])
def test_unused(source: str, names: list[str]) -> None:
    assert unused_names(source) == names


# -- minimal edits -----------------------------------------------------------------------------------
EDITS = [
    ("first of three", "import { a, b, c } from 'm';\nb; c;\n", "import { b, c } from 'm';\nb; c;\n"),
    ("middle", "import { a, b, c } from 'm';\na; c;\n", "import { a, c } from 'm';\na; c;\n"),
    ("last", "import { a, b, c } from 'm';\na; b;\n", "import { a, b } from 'm';\na; b;\n"),
    ("last two", "import { a, b, c } from 'm';\na;\n", "import { a } from 'm';\na;\n"),
    ("one-line trailing comma", "import { a, b, } from 'm';\na;\n", "import { a } from 'm';\na;\n"),
    ("no spaces", "import {a,b} from 'm';\nb;\n", "import {b} from 'm';\nb;\n"),
    ("whole line", "import x from 'x';\nimport { a } from 'm';\nx;\n", "import x from 'x';\nx;\n"),
    ("whole with trailing comment", "import { a } from 'm'; // note\nx;\n", "// note\nx;\n"),
    ("default kept", "import D, { x } from 'm';\nD;\n", "import D from 'm';\nD;\n"),
    ("default removed", "import D, { x } from 'm';\nx;\n", "import { x } from 'm';\nx;\n"),
    ("default and namespace", "import D, * as NS from 'm';\nNS;\n", "import * as NS from 'm';\nNS;\n"),
    ("namespace removed", "import D, * as NS from 'm';\nD;\n", "import D from 'm';\nD;\n"),
    ("import type", "import type { A, B } from 'm';\nlet a: A;\n", "import type { A } from 'm';\nlet a: A;\n"),
    ("inline type", "import { type A, b } from 'm';\nb;\n", "import { b } from 'm';\nb;\n"),
    ("multi-line middle", "import {\n  a,\n  b,\n  c,\n} from 'm';\na; c;\n", "import {\n  a,\n  c,\n} from 'm';\na; c;\n"),
    ("multi-line last, no trailing comma", "import {\n  a,\n  b\n} from 'm';\na;\n", "import {\n  a,\n} from 'm';\na;\n"),
    ("multi-line comment lines stay", "import {\n  // a's\n  a,\n  /* b */ b,\n  c, // c!\n} from 'm';\nb;\n",
     "import {\n  // a's\n  /* b */ b,\n  // c!\n} from 'm';\nb;\n"),
    ("multi-line, several per line", "import {\n  a, b,\n  c,\n} from 'm';\na; c;\n", "import {\n  a,\n  c,\n} from 'm';\na; c;\n"),
    ("multi-line all", "import {\n  a,\n  b,\n} from 'm';\nimport z from 'z';\nz;\n", "import z from 'z';\nz;\n"),
    ("crlf", "import { a, b } from 'm';\r\nimport c from 'c';\r\nb;", "import { b } from 'm';\r\nb;"),
    ("crlf multi-line", "import {\r\n  a,\r\n  b,\r\n} from 'm';\r\nb;\r\n", "import {\r\n  b,\r\n} from 'm';\r\nb;\r\n"),
    ("unicode before", "const s = 'é';\nimport { a, b } from 'm';\nb;\n", "const s = 'é';\nimport { b } from 'm';\nb;\n"),
    ("last line, no newline", "x;\nimport { a } from 'm';", "x;\n"),
]


@pytest.mark.parametrize(("before", "after"), [(b, a) for _, b, a in EDITS], ids=[n for n, _, _ in EDITS])
def test_edit(before: str, after: str) -> None:
    assert fixed(before, "a.ts") == after
    assert fixed(after, "a.ts") == after  # idempotent


def test_never_empty_braces_nor_new_trailing_comma() -> None:
    out = fixed("import D, { a, b } from 'm';\nimport { c, d, } from 'n';\nD; c;\n", "a.ts")
    assert "{}" not in out and "{ }" not in out and ", }" not in out
    assert out == "import D from 'm';\nimport { c } from 'n';\nD; c;\n"


def test_nothing_unused_is_unchanged() -> None:
    src = "import { a } from 'm'; // keep\nimport './side.css';\n\nexport const b = a;\n"
    assert analyse("a.ts", src).new_text is None


def test_edits_only_touch_the_declaration() -> None:
    src = 'const before = 1;\nimport { a, b } from "m";\nconst after = b;\n'
    decl = parse_imports(parse(src.encode(), "a.ts"))[0]
    spans = removal_edits(src.encode(), decl, [decl.bindings[0]])
    assert all(decl.start <= s and e <= decl.end for s, e in spans)
    assert spans == [(src.index("a, "), src.index("b }"))]


def test_keep_by_module_or_name() -> None:
    src = "import { a } from 'm';\nimport React from 'react';\n"
    assert analyse("a.ts", src, keep=("m", "React")).new_text is None
    assert analyse("a.ts", src, keep=("React",)).new_text == "import React from 'react';\n"
    assert analyse("a.ts", src, keep=("m",)).new_text == "import { a } from 'm';\n"


def test_react_is_kept_in_tsx() -> None:
    src = "import React from 'react';\nexport const v = <div />;\n"
    assert analyse("a.tsx", src).new_text is None


def test_parse_error_is_reported_with_its_line() -> None:
    res = analyse("a.ts", "import { a } from 'm';\n\nconst b = (;\n")
    assert res.error is not None and res.error[0] == 3 and res.new_text is None


def test_ts_and_tsx_grammars() -> None:
    # `<T>x` is a type assertion in .ts and JSX in .tsx
    assert analyse("a.ts", "import { T } from 'm';\nconst y = <T>x;\n").new_text is None
    assert analyse("a.tsx", "import { T } from 'm';\nconst y = <T>x</T>;\n").new_text is None


def test_parallel_matches_serial() -> None:
    items = [(f"f{i}.tsx", f"import {{ a{i}, b }} from 'm';\nexport const x = b + {i};\n") for i in range(120)]
    items.append(("bad.ts", "const = ;\n"))
    serial = analyse_many(items, jobs=1)
    parallel = analyse_many(items, jobs=2)
    assert serial == parallel
    assert [r.path for r in parallel] == [p for p, _ in items]
    assert parallel[0].new_text == "import { b } from 'm';\nexport const x = b + 0;\n"
    assert parallel[-1].error is not None


@pytest.mark.parametrize(("before", "after"), [(b, a) for _, b, a in EDITS], ids=[n for n, _, _ in EDITS])
def test_recheck_after_incremental_reparse(before: str, after: str) -> None:
    res = analyse("a.ts", before)
    assert res.new_text == after
    assert res.recheck is not None and res.recheck.unused == () and res.recheck.new_text is None


def test_incremental_reparse_equals_a_fresh_parse() -> None:
    from seenfix.editors.typescript import reparse, apply_deletions

    src = b"import {\n  a, // x\n  b,\n} from 'm';\nimport c from 'c';\nconst v = <div>{b}</div>;\n"
    tree = parse(src, "a.tsx")
    decls = parse_imports(tree)
    spans = removal_edits(src, decls[0], [decls[0].bindings[0]]) + removal_edits(src, decls[1], decls[1].bindings)
    new = apply_deletions(src, spans)
    assert str(reparse("a.tsx", src, tree, spans, new).root_node) == str(parse(new, "a.tsx").root_node)


def test_recheck_falls_back_to_a_full_analysis_when_imports_differ() -> None:
    from seenfix.analysis.unused_imports import _recheck

    src = b"import { a, b } from 'm';\nb;\n"
    tree = parse(src, "a.ts")
    decls = parse_imports(tree)
    # claims `a` was removed, but nothing was cut: the re-check must notice and analyse fully
    res = _recheck("a.ts", src, tree, tree, decls, [decls[0].bindings[0]], [], frozenset())
    assert [b.local for b in res.unused] == ["a"]
    # a faithful fix re-checks clean
    fixed = analyse("a.ts", src.decode())
    assert fixed.recheck is not None and fixed.recheck.unused == ()


def test_parallel_falls_back_to_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(os, "fork", broken)
    items = [(f"f{i}.ts", f"import {{ a{i} }} from 'm';\n") for i in range(100)]
    results = analyse_many(items, jobs=2)
    assert [r.new_text for r in results] == [""] * 100


def test_sf009_instance_reused_on_another_workspace_reads_that_workspace(tmp_path: Path) -> None:
    from seenfix.fixers.unused_typescript_import import UnusedTypescriptImport
    from seenfix.core.project import Project
    from seenfix.core.workspace import Workspace

    fixer = UnusedTypescriptImport()
    found = []
    for name, body in (("one", 'import { a } from "x";\n'), ("two", 'import { a } from "x";\nexport { a };\n')):
        root = tmp_path / name
        root.mkdir()
        (root / "m.ts").write_text(body)
        found.append([f.message for f in fixer.check(Project(Workspace(root)))])
    assert found == [['`a` is imported from "x" but never used'], []]


@pytest.mark.parametrize(("above", "kept"), [
    ("/* eslint-disable-next-line no-console, no-unused-vars */", True),
    ("// eslint-disable-next-line no-console", False),
    ("// eslint-disable-next-line -- no rules named: all of them", True),
    ("// biome-ignore lint: everything", True),
    ("// biome-ignore lint/correctness/noUnusedVariables: another rule", False),
    ("// seenfix-ignore SF001, SF009", True),
    ("// seenfix-ignore SF001", False),
    ("// seenfix-ignored is not the keyword", False),
    ("const x = 1; // eslint-disable-next-line", False),  # code on the line: not a comment line
])
def test_comments_that_keep_an_unused_import(above: str, kept: bool) -> None:
    text = f'{above}\nimport {{ unused }} from "x";\nexport const y = 2;\n'
    res = analyse("a.ts", text)
    assert [b.local for b in res.unused] == ([] if kept else ["unused"])


def test_valid_tsx_text_the_grammar_trips_on() -> None:
    """A bare `&` in JSX text or an attribute string, and a `String.raw` template with a backslash
    that is not an escape, are valid: parsed (the characters blanked, offsets kept), imports seen."""
    from seenfix.analysis.unused_imports import analyse

    text = ('import { Link } from "router";\nimport { unused } from "x";\n'
            'export const A = () => <p title="Q&A">Terms & <Link href="/a?b=1&c=2">conditions</Link></p>;\n'
            'export const r = String.raw`C:\\Users\\u{zz}`;\n')
    res = analyse("src/a.tsx", text)
    assert res.error is None
    assert [b.local for b in res.unused] == ["unused"]
    assert res.new_text is not None and 'Terms & <Link href="/a?b=1&c=2">' in res.new_text
    assert "import { Link }" in res.new_text and "C:\\Users\\u{zz}" in res.new_text


def test_escaped_backtick_in_a_template_literal_type() -> None:
    """A template literal type with an escaped backtick (effect's ``MissingSelfGeneric``) is valid;
    the grammar rejects it: the escape is blanked in the parsed copy, the names are seen."""
    from seenfix.analysis.unused_imports import analyse

    text = ('import type { Service } from "./s";\nimport { unused } from "x";\n'
            'type Missing = `Missing \\`Self\\` generic - use \\`class Self extends Service<Self>()\\``;\n'
            'export const m: Missing | Service = null!;\n')
    res = analyse("src/a.ts", text)
    assert res.error is None, res.error
    assert [b.local for b in res.unused] == ["unused"]
    assert res.new_text is not None and "\\`Self\\`" in res.new_text


TAGGED = [
    ("type only in the type arguments", "import type { Props } from './x';\nexport const A = styled.div<Props>`\n  color: red;\n`;\n"),
    ("object type", "import { Theme } from './t';\nexport const A = styled.div<{ theme: Theme; on: boolean }>`a`;\n"),
    ("styled call", "import { B, P } from './b';\nexport const A = styled(B)<P>`a: ${(p) => p.x};`;\n"),
    ("in a substitution", "import { tone } from './t';\nexport const A = styled.div<{ a: 1 }>`color: ${tone};`;\n"),
    ("nested", "import { T } from './t';\nexport const A = styled.div<{ a: 1 }>`${(p) => css<{ b: T }>`x: ${p.a}`}`;\n"),
    ("escaped backtick and braces", "import { T } from './t';\nexport const A = css<T>`content: \"\\`\"; a { b: c }`;\n"),
    ("generic function type", "import { T } from './t';\nexport const q = sql<{ f: (x: T) => void }>`select 1`;\n"),
]


@pytest.mark.parametrize("source", [s for _, s in TAGGED], ids=[n for n, _ in TAGGED])
@pytest.mark.parametrize("path", ["a.ts", "a.tsx"])
def test_tagged_template_with_type_arguments(source: str, path: str) -> None:
    """`tag<T>`...`` is valid TypeScript (2.9) the grammar rejects: parsed as a call with the same type
    arguments, every name at its offset, so an import used only in them is kept (removing it would
    break the build)."""
    from seenfix.editors.typescript import _with_template_calls, parse_source

    tree, parsed = parse_source(source.encode(), path)
    assert not tree.root_node.has_error and len(parsed) == len(source.encode())
    for name in re.findall(r"import (?:type )?\{ ([^}]*) \}", source)[0].split(", "):
        at = source.index(name, source.index("export"))
        assert parsed[at:at + len(name)] == name.encode()  # the name where it was
    rewritten = _with_template_calls(source.encode())
    if rewritten is not None:
        assert rewritten.count(b"\n") == source.count("\n")  # lines hold
    res = analyse(path, source + "import { gone } from './g';\n")
    assert res.error is None, res.error
    assert [b.local for b in res.unused] == ["gone"]


@pytest.mark.parametrize("source", [
    "export const A = styled.div<{ a: 1 }>`x`;\nexport const B = ;\n",  # a real error after it
    "export const A = styled.div<{ a: 1 }>`x ${ `;\n",  # an unterminated substitution
    "const x = a < b;\nconst y = c > `d`;\n",  # comparisons, not type arguments: left alone
])
def test_tagged_template_rewrite_does_not_hide_errors(source: str) -> None:
    from seenfix.editors.typescript import TsParseError, parse_source

    if "const x" in source:
        tree, parsed = parse_source(source.encode(), "a.ts")
        assert parsed == source.encode()
        return
    with pytest.raises(TsParseError):
        parse_source(source.encode(), "a.tsx")


@pytest.mark.parametrize("source", [
    "/** A `Metric<Type, In>` is ... `x` */\nexport const a = 1;\n",  # JSDoc code spans (effect writes them)
    "// f<T>`x`\nexport const a = 1;\n",
    "export const s = 'f<T>`x`' + \"g<T>`y`\";\n",
    "export const t = `h<T>` + `i`;\n",
])
def test_tagged_template_rewrite_skips_comments_and_strings(source: str) -> None:
    from seenfix.editors.typescript import _with_template_calls

    assert _with_template_calls(source.encode()) is None
