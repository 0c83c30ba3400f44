"""Variance annotations (``in``/``out``, TypeScript 4.7), which tree-sitter-typescript cannot parse.

SF009 parses such a file with the annotations' letters blanked out (same length: every offset still
holds), and edits the original bytes.  Shown on hand-written cases and on the sources of ``effect``
(installed from npm by .ci/run), where a third of the files use them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO
from seenfix.editors.typescript import TsParseError, _can_end_member, parse, parse_source, without_unsupported, without_variance
from seenfix.analysis.unused_imports import analyse

EFFECT = REPO / ".cache" / "npm" / "node_modules" / "effect" / "src"


@pytest.mark.parametrize(("src", "want"), [
    (b"interface I<in T> {}", b"interface I<   T> {}"),
    (b"interface I<out T> { v: T }", b"interface I<    T> { v: T }"),
    (b"interface I<in out T, out E = never> {}", b"interface I<       T,     E = never> {}"),
    (b"class C<const in T> {}", b"class C<const    T> {}"),
    (b"type F<out T extends X> = T", b"type F<    T extends X> = T"),
    (b"type F<\n  in out T,\n  out E\n> = T", b"type F<\n         T,\n      E\n> = T"),
    (b"const f = <out A,>(a: A) => a", b"const f = <    A,>(a: A) => a"),
    (b"interface Z<\n  /** @ts-ignore Cast variance */\n  out S extends X = Y,\n  // c\n  out C,\n> {}",
     b"interface Z<\n  /** @ts-ignore Cast variance */\n      S extends X = Y,\n  // c\n      C,\n> {}"),
])
def test_variance_letters_become_spaces(src: bytes, want: bytes) -> None:
    assert without_variance(src) == want
    with pytest.raises(TsParseError):
        parse(src, "a.ts")
    tree, parsed = parse_source(src, "a.ts")
    assert parsed == want and not tree.root_node.has_error


@pytest.mark.parametrize("src", [
    b"type N<out> = out", b"type B<out extends string> = out", b"type D<out = 1> = out",
    b"for (const k in obj) {}", b"const t = a < b && x in y", b"f(a, in_b, out_c)", b"[a, out, b]",
])
def test_type_parameters_named_out_and_other_ins_stay(src: bytes) -> None:
    assert without_variance(src) is None


def test_comment_lines_after_a_comma_do_not_make_the_search_explode() -> None:
    """Found on zod's sources: with ``//[^\\n]*`` free to end anywhere, each line comment holding
    ``//`` doubled the ways to match, and 36 such lines took minutes.  An alarm turns a hang into a
    failure (this is no timing test: the search takes microseconds, the bug took hours)."""
    import signal

    def hang(*_: object) -> None:
        raise TimeoutError("without_variance did not finish")

    src = b"f(a,\n" + b"\n".join([b"//   // a comment that quotes // another"] * 60) + b"\nb)\n"
    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(30)
    try:
        assert without_variance(src) is None
        assert without_variance(b"type T<\n" + src[5:-3] + b"\nout A> = A") is not None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(("src", "want"), [
    (b"export type * from './serializer'\n", b"export      * from './serializer'\n"),
    (b"export type * as ns from './a';\nexport type { A } from './a';\n",
     b"export      * as ns from './a';\nexport type { A } from './a';\n"),
    (b"export type *\n  from './a'\ninterface I<out T> {}\n", b"export      *\n  from './a'\ninterface I<    T> {}\n"),
])
def test_export_type_star_is_read_as_export_star(src: bytes, want: bytes) -> None:
    assert without_unsupported(src) == want
    tree, parsed = parse_source(src, "index.ts")
    assert parsed == want and not tree.root_node.has_error
    text = 'import { used, unused } from "./m";\n' + src.decode() + "export { used };\n"
    res = analyse("index.ts", text)
    assert [b.local for b in res.unused] == ["unused"]
    assert res.new_text == text.replace("used, unused", "used")


SIGNATURES = b"""\
export interface Replicate {
  /** curried */
  (n: number): <A>(a: A) => Iterable<A>
  /** data first */
  <A>(a: A, n: number): Iterable<A>
}
export declare const pair: {
  <B>(that: B): <A>(self: A) => [A, B]
  // data first
  <A, B>(self: A, that: B): [A, B]
}
export const dual: Dual<
  <B>(that: B) => <A>(self: A) => [A, B],
  <A, B>(self: A, that: B) => [A, B]
> = pairOf
"""


def test_generic_call_signatures_on_their_own_lines_get_a_separator() -> None:
    with pytest.raises(TsParseError):
        parse(SIGNATURES, "a.ts")
    tree, parsed = parse_source(SIGNATURES, "a.ts")
    assert not tree.root_node.has_error
    # after a member only: not after "{" (the first member), nor inside a type argument list
    assert parsed == SIGNATURES.replace(b"\n  <A>(a: A, n", b"\n ;<A>(a: A, n").replace(b"\n  <A, B>", b"\n ;<A, B>", 1)
    text = 'import { Unused, Used } from "./m";\n' + SIGNATURES.decode() + "export type U = Used;\n"
    res = analyse("a.ts", text)
    assert [b.local for b in res.unused] == ["Unused"]
    assert res.new_text == text.replace("Unused, ", "")


def test_no_separator_is_left_in_value_code() -> None:
    # a ';' before "<string>y" would end the statement: it is taken out again, the rest kept
    src = SIGNATURES + b"const n = f(x)\n  <string>y\n"
    tree, parsed = parse_source(src, "a.ts")
    assert not tree.root_node.has_error
    assert parsed.endswith(b"const n = f(x)\n  <string>y\n") and parsed.count(b";") == 2


def test_no_separator_in_tsx() -> None:
    with pytest.raises(TsParseError):
        parse_source(SIGNATURES, "a.tsx")  # a line starting with '<' is JSX in .tsx


CALLS = b"""\
export declare const get: {
  <I, S>(tag: Reference<I, S>): <Services>(self: Context<Services>) => S
  (self: Context<never>, tag: Tag): S
}
export declare const map: {
  <A, B>(f: (a: A) => B): <E>(self: Effect<A, E>) => Effect<B, E>
  /** data first */
  <
    A,
    E,
    B
  >(self: Effect<A, E>, f: (a: A) => B): Effect<B, E>
}
"""


def test_plain_and_multi_line_call_signatures_get_a_separator() -> None:
    with pytest.raises(TsParseError):
        parse(CALLS, "a.ts")
    tree, parsed = parse_source(CALLS, "a.ts")
    assert not tree.root_node.has_error
    assert parsed == CALLS.replace(b"\n  (self", b"\n ;(self").replace(b"\n  <\n", b"\n ;<\n")
    text = 'import type { Reference, Tag, Unused } from "./m";\n' + CALLS.decode()
    res = analyse("a.ts", text)
    assert [b.local for b in res.unused] == ["Unused"]
    assert res.new_text == text.replace(", Unused", "")


@pytest.mark.parametrize("before", [b"keyof", b"readonly", b"() =>", b"A |", b"a is", b"T extends", b"x satisfies"])
def test_no_separator_where_the_line_break_continues_a_type(before: bytes) -> None:
    # "keyof\n(A)" is one type; a ';' would make "(A)" a call signature declaring a parameter A
    src = CALLS + b"export declare const k: {\n  (a: A): " + before + b"\n  (A)\n}\n"
    try:
        tree, parsed = parse_source(src, "a.ts")
    except TsParseError:
        return  # left unparsed: fine
    assert not parsed.endswith(b";(A)\n}\n"), parsed


def test_a_real_syntax_error_is_still_reported_with_its_line() -> None:
    res = analyse("a.ts", 'import { a } from "x";\ninterface I<out T> { v: T }\nconst = 1;\n')
    assert res.error is not None and res.error[0] == 3


def _effect_files() -> list[Path]:
    if not EFFECT.is_dir():
        pytest.skip(f"effect's sources are not installed ({EFFECT}); .ci/run installs them with npm")
    return sorted(EFFECT.rglob("*.ts"))


def test_effect_files_tree_sitter_cannot_parse_are_analysed_and_fixed_exactly() -> None:
    recovered = []
    for path in _effect_files():
        src = path.read_bytes()
        if _has_error(src, path.name):
            try:
                parse_source(src, path.name)
            except TsParseError:
                continue
            recovered.append(path)
    assert len(recovered) >= 185, len(recovered)  # 193 of the 363 files fail to parse unaided: 191 recovered
    for path in recovered:
        text = path.read_text(encoding="utf-8")
        assert analyse(path.name, text).error is None, path
        # an unused import put in front of the file is found and removed, and nothing else changes
        injected = 'import { seenfixUnused } from "./seenfix-unused"\n' + text
        res = analyse(path.name, injected)
        assert [b.local for b in res.unused] == ["seenfixUnused"], path
        assert res.new_text == text, path
        assert res.recheck is not None and res.recheck.unused == () and res.recheck.error is None
        # and within a kept import, only the specifier goes
        named = re.search(r"^import (type )?\{", text, re.MULTILINE)
        if named is not None:
            at = named.end()
            res = analyse(path.name, text[:at] + " seenfixUnused," + text[at:])
            assert [b.local for b in res.unused] == ["seenfixUnused"], path
            assert res.new_text == text, path


def _has_error(src: bytes, name: str) -> bool:
    try:
        parse(src, name)
    except TsParseError:
        return True
    return False


@pytest.mark.parametrize(("before", "ends"), [
    (b"(a: A): B", True), (b"(a: A): B[]", True), (b"(a: A): Map<K, V>", True), (b"(a: A): { b: B }", True),
    (b"(a: A): keyof", False), (b"(a: A): a is", False), (b"(a: A): T extends", False),
    (b"(a: A): () =>", False), (b"(a: A): B |", False), (b"(a: A):", False), (b"{", False),
    (b"(a: A): Is", True), (b"(a: A): B /* c */ // d\n", True), (b"(a: A): keyof /* c */", False),
])
def test_where_a_type_member_can_end(before: bytes, ends: bool) -> None:
    src = b"type T = {\n  " + before + b"\n  (x: X): Y\n}\n"
    assert _can_end_member(src, src.index(b"\n  (x") + 2) is ends
