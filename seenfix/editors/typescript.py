"""TypeScript/TSX through tree-sitter: parse (working around what tree-sitter-typescript 0.23 lacks),
list the top-level ``import`` declarations with the byte offsets of every part (:class:`ImportDecl`,
:class:`ImportBinding`), turn a set of bindings into minimal byte edits (:func:`removal_edits`) and
re-parse incrementally after edits.

Which imports are unused is decided in :mod:`seenfix.analysis.unused_imports`.  tree-sitter is
imported lazily (on the first parse), so importing this module is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

#: Value, type and namespace meanings of a name (TypeScript keeps them apart).
VALUE, TYPE, NAMESPACE = 1, 2, 4
ALL = VALUE | TYPE | NAMESPACE

IDENT_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
HSPACE = b" \t"

#: Nodes whose parameters / type parameters / ``var`` declarations scope to them.


class ImportBinding(NamedTuple):
    """One name an import declaration binds.  ``start``/``end``: the binding's bytes.

    ``kind`` is ``default``, ``namespace`` or ``named``; ``imported`` is ``default``, ``*`` or the
    exported name; for a named binding the span covers the whole specifier (``type a as b``).
    """

    local: str
    imported: str
    kind: str
    source: str
    start: int
    end: int
    line: int
    column: int
    type_only: bool
    #: end of the ``,`` right after a named specifier, or -1
    comma_end: int = -1


class ImportDecl(NamedTuple):
    """A top-level ``import`` declaration; spans are byte offsets into the UTF-8 source."""

    start: int
    end: int
    source: str
    type_only: bool
    bindings: tuple[ImportBinding, ...]
    default: ImportBinding | None = None
    namespace: ImportBinding | None = None
    #: ``{`` .. ``}`` of the named imports, or (-1, -1)
    braces: tuple[int, int] = (-1, -1)
    named: tuple[ImportBinding, ...] = ()

    @property
    def side_effect(self) -> bool:
        return not self.bindings and self.braces == (-1, -1)


class TsParseError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


# -- parsing ---------------------------------------------------------------------------------------
_PARSERS: dict[bool, Any] = {}


def _parser(tsx: bool) -> Any:
    parser = _PARSERS.get(tsx)
    if parser is None:
        import tree_sitter_typescript as tst
        from tree_sitter import Language, Parser

        lang = Language(tst.language_tsx() if tsx else tst.language_typescript())
        parser = _PARSERS[tsx] = Parser(lang)
    return parser


def is_tsx(path: str) -> bool:
    return path.endswith((".tsx", ".jsx"))


def parse(src: bytes, path: str) -> Any:
    """Parse ``src``; raise :class:`TsParseError` (with a 1-based line) when it has syntax errors."""
    tree = _parser(is_tsx(path)).parse(src)
    root = tree.root_node
    if root.has_error:
        raise TsParseError(*first_error(root))
    return tree


_UNPARSABLE = "syntax error, or syntax tree-sitter-typescript cannot parse (the file is skipped)"


def parse_source(src: bytes, path: str) -> tuple[Any, bytes]:
    """Parse ``src``, as :func:`parse`; also a file that fails only for syntax the grammar lacks.

    tree-sitter-typescript's grammar has no ``in``/``out`` variance annotations (TypeScript 4.7,
    tree-sitter-typescript issue #370), which libraries such as effect and zod use throughout, nor
    ``export type * from`` (TypeScript 5.0).  Their letters are blanked out (turned into spaces:
    every offset, line and column still holds) and the file parsed again (:func:`without_unsupported`);
    a keyword before a type parameter's name, or the ``type`` of a re-export, cannot change which names
    a file uses.  If that still fails, member separators go before generic call signatures
    (:func:`_with_signature_separators`).  Before that, text the grammar trips on is blanked
    (:func:`_without_text_gaps`) and tagged templates with type arguments become calls
    (:func:`_with_template_calls`).  Returns the tree and the bytes it is a tree of: ``src`` itself,
    or a copy of the same length.
    """
    try:
        return parse(src, path), src
    except TsParseError as exc:
        error = exc
    blanked = without_unsupported(src)
    if blanked is not None:
        try:
            return parse(blanked, path), blanked
        except TsParseError as exc:
            error = exc  # its line is past the blanked syntax, where the error is
    stages = [blanked if blanked is not None else src]
    for rewrite in (lambda b: _without_text_gaps(b, is_tsx(path)), _with_template_calls):
        changed = rewrite(stages[-1])
        if changed is not None:  # each rewrite keeps the ones before it
            stages.append(changed)
            try:
                return parse(changed, path), changed
            except TsParseError:
                pass
    for stage in dict.fromkeys((stages[-1], stages[0])):  # with the rewrites, then without them
        separated = _with_signature_separators(stage, path)
        if separated is not None:
            return separated
    raise error


#: A bare ``&`` in JSX text (``<p>Terms & conditions</p>``) or in a JSX attribute string
#: (``title="Q&A"``): valid TSX that the grammar rejects (it reads ``&`` as an entity's start).
_JSX_TEXT = re.compile(rb">[^<>{}\n]*&[^<>{}\n]*<|=\"[^\"\n]*&[^\"\n]*\"")
_BARE_AMP = re.compile(rb"&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)")
#: ``String.raw`...``` without substitutions: its backslashes are not escapes, but the grammar
#: rejects an invalid one (``\u{zz}``, ``C:\Users``).
_RAW = re.compile(rb"String\.raw`[^`$]*`")


def _without_text_gaps(src: bytes, tsx: bool) -> bytes | None:
    """``src`` with the characters the grammar trips on inside text blanked (a space each, so offsets
    hold): bare ``&`` of JSX text and attribute strings (``.tsx``), backslashes of ``String.raw``
    templates, escaped backticks in a template's text (a template literal *type* with ``\\```, as
    effect's ``type MissingSelfGeneric``).  None is a name, so the names a file uses stay as they are.
    ``None``: nothing to do."""
    out = src
    if tsx:
        out = _JSX_TEXT.sub(lambda m: _BARE_AMP.sub(b" ", m.group(0)), out)
    out = _RAW.sub(lambda m: m.group(0)[:11] + m.group(0)[11:].replace(b"\\", b" "), out)
    if b"\\`" in out:
        text = _non_code(out)
        buf = bytearray(out)
        for m in re.finditer(rb"\\`", out):
            if text[m.start()] and text[m.start() + 1]:
                buf[m.start():m.end()] = b"  "
        out = bytes(buf)
    return out if out != src else None


#: Words after which ``<`` starts a type assertion (``return <T>x``) or JSX, not type arguments.
_NOT_TAGS = frozenset({b"return", b"typeof", b"yield", b"await", b"case", b"in", b"of", b"new", b"void",
                       b"delete", b"throw", b"else", b"do", b"instanceof", b"keyof", b"extends"})
_PAIRS = {0x29: 0x28, 0x5D: 0x5B, 0x7D: 0x7B, 0x3E: 0x3C}  # closer -> opener: ) ] } >
#: How far type arguments may reach (bytes) before the search gives up.
_TYPE_ARGS_SPAN = 4000


def _skip_string(src: bytes, i: int) -> int:
    """The offset just past the string literal (``'`` or ``"``) starting at ``i``."""
    quote, n = src[i], len(src)
    i += 1
    while i < n and src[i] != quote and src[i] != 0x0A:
        i += 2 if src[i] == 0x5C else 1
    return i + 1


def _template(src: bytes, i: int) -> tuple[int, list[tuple[int, int]]] | None:
    """The template literal whose backtick is at ``i``: the offset of its closing backtick and its
    substitutions as (offset of ``$``, offset of the closing ``}``); ``None`` when it does not end."""
    n, subs = len(src), list[tuple[int, int]]()
    i += 1
    while i < n:
        c = src[i]
        if c == 0x5C:  # an escape
            i += 2
        elif c == 0x60:
            return i, subs
        elif c == 0x24 and i + 1 < n and src[i + 1] == 0x7B:  # "${"
            end = _expression_end(src, i + 2)
            if end is None:
                return None
            subs.append((i, end))
            i = end + 1
        else:
            i += 1
    return None


def _expression_end(src: bytes, i: int) -> int | None:
    """The offset of the ``}`` that closes a substitution whose code starts at ``i``."""
    n, depth = len(src), 0
    while i < n:
        c = src[i]
        if c in b"'\"":
            i = _skip_string(src, i)
            continue
        if c == 0x60:
            inner = _template(src, i)
            if inner is None:
                return None
            i = inner[0] + 1
            continue
        if c == 0x2F and src[i + 1:i + 2] == b"/":
            i = src.find(b"\n", i)
            if i < 0:
                return None
            continue
        if c == 0x2F and src[i + 1:i + 2] == b"*":
            i = src.find(b"*/", i + 2)
            if i < 0:
                return None
            i += 2
            continue
        if c == 0x7B:
            depth += 1
        elif c == 0x7D:
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return None


def _type_args_end(src: bytes, i: int) -> int | None:
    """The offset of the ``>`` closing the type arguments whose ``<`` is at ``i``, or ``None`` when
    what follows is not a balanced type (a ``;`` outside braces, a stray closer, too long)."""
    stack = [0x3C]
    limit = min(len(src), i + _TYPE_ARGS_SPAN)
    j = i + 1
    while j < limit:
        c = src[j]
        if c in b"'\"":
            j = _skip_string(src, j)
            continue
        if c in b"<{([":
            stack.append(c)
        elif c == 0x3E and src[j - 1] == 0x3D:  # "=>" of a function type
            pass
        elif c in _PAIRS:
            if stack[-1] != _PAIRS[c]:
                return None
            stack.pop()
            if not stack:
                return j
        elif c == 0x3B and stack[-1] != 0x7B:  # ";" ends a statement unless in an object type
            return None
        j += 1
    return None


def _non_code(src: bytes) -> bytearray:
    """1 for each byte of a comment, a string or a template's text, 0 for code (a template's
    substitutions are code).  A linear scan; a regular expression literal is read as code."""
    mask = bytearray(len(src))
    todo = [(0, len(src))]
    while todo:
        i, stop = todo.pop()
        while i < stop:
            c = src[i]
            end = i
            if c == 0x2F and src[i + 1:i + 2] == b"/":
                end = src.find(b"\n", i)
                end = stop if end < 0 else end
            elif c == 0x2F and src[i + 1:i + 2] == b"*":
                end = src.find(b"*/", i + 2)
                end = stop if end < 0 else end + 2
            elif c in b"'\"":
                end = min(_skip_string(src, i), stop)
            elif c == 0x60:
                template = _template(src, i)
                end = stop if template is None else template[0] + 1
                if template is not None:
                    todo.extend((a + 2, b) for a, b in template[1])  # substitutions: code, scanned too
            if end > i:
                mask[i:end] = b"\x01" * (end - i)
                for a, b in (template[1] if c == 0x60 and template is not None else ()):
                    mask[a + 2:b] = bytes(b - a - 2)
                i = end
            else:
                i += 1
    return mask


def _with_template_calls(src: bytes) -> bytes | None:
    """``src`` with each tagged template that has type arguments turned into a call with them:
    ``styled.div<{ active: boolean }>`color: ${c};``` becomes ``styled.div<{ active: boolean }>(
    c,)``, the same length (backticks become the parentheses, the text between substitutions spaces
    and line breaks, each ``${`` spaces and its ``}`` a comma).  TypeScript accepts type arguments
    on a tagged template (since 2.9; styled-components, Emotion, kysely's ``sql<T>``), the grammar
    does not (tree-sitter-typescript issue #341, open, no release fixes it).  A call keeps every
    name where it was, the type arguments' names as types and the substitutions' as values.
    ``None``: nothing to rewrite."""
    if b">`" not in src and not re.search(rb">\s+`", src):
        return None
    buf = bytearray(src)
    found = False
    text = _non_code(src)
    for m in re.finditer(rb"[\w$)\]][ \t]*<", src):
        start = m.start()
        if text[start]:  # in a comment, a string or a template's text
            continue
        if src[start] in _WORD:  # the word before "<": not a keyword that starts a type or JSX
            w = start
            while w > 0 and src[w - 1] in _WORD:
                w -= 1
            if src[w:start + 1] in _NOT_TAGS:
                continue
        close = _type_args_end(src, m.end() - 1)
        if close is None:
            continue
        tick = close + 1
        while tick < len(src) and src[tick] in b" \t\r\n":
            tick += 1
        if tick >= len(src) or src[tick] != 0x60:
            continue
        template = _template(src, tick)
        if template is None:
            continue
        end, subs = template
        keep = [(a + 2, b) for a, b in subs]  # the substitutions' code stays
        for k in range(tick + 1, end):
            if src[k] not in b"\r\n" and not any(a <= k < b for a, b in keep):
                buf[k] = 0x20
        for _a, b in subs:
            buf[b] = 0x2C  # ","
        buf[tick], buf[end] = 0x28, 0x29  # "(", ")"
        found = True
    return bytes(buf) if found else None


#: A line of a ``.ts`` file that starts, after its indentation, with a call signature, generic
#: (``<A>(a: A): B``) or not (``(a: A): B``); the last character of the indentation is where a ``;``
#: can go.
_SIGNATURE_LINE = re.compile(rb"(?m)^[ \t]*([ \t])(?=<\s*[A-Za-z_$]|\()")
_TYPE_BODIES = frozenset({"object_type", "interface_body"})


#: What a member cannot end with: an opening ``<`` or ``(`` of a list, a ``,``, an operator.
_OPEN = frozenset(b"<(,=|&:?[{")
#: Words after which a line break does not end a type member: type operators and the words that
#: take a type after them (``keyof\n(A | B)`` is one type).
_TYPE_WORDS = frozenset({b"keyof", b"typeof", b"readonly", b"unique", b"infer", b"is", b"asserts",
                         b"extends", b"new", b"abstract", b"in", b"out", b"const", b"as", b"satisfies",
                         b"import"})
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def _code_before(src: bytes, at: int) -> int:
    """The offset of the last byte of code before ``at`` (whitespace, block comments and comment
    lines skipped), or -1 at the start."""
    i = at
    while i > 0:
        i -= 1
        c = src[i]
        if c in b" \t\r\n":
            continue
        if c == 0x2F and i > 0 and src[i - 1] == 0x2A:  # "*/": go to its "/*"
            i = max(src.rfind(b"/*", 0, i - 1), 0)
            continue
        start = src.rfind(b"\n", 0, i) + 1
        if src[start:i + 1].lstrip().startswith(b"//"):  # a comment line
            i = start
            continue
        return i
    return -1


def _can_end_member(src: bytes, at: int) -> bool:
    """Whether the code before ``at`` can be the end of a type member (so a line break there can
    separate it from the next)."""
    i = _code_before(src, at)
    if i < 0 or src[i] in _OPEN:
        return False
    if src[i] == 0x3E:  # ">": not the arrow of a function type, whose return type follows
        return i == 0 or src[i - 1] != 0x3D
    if src[i] in _WORD:
        start = i
        while start > 0 and src[start - 1] in _WORD:
            start -= 1
        return src[start:i + 1] not in _TYPE_WORDS
    return True


def _with_signature_separators(src: bytes, path: str) -> tuple[Any, bytes] | None:
    """Parse ``src`` with a ``;`` before each call signature that starts a line where that ``;`` then
    separates two members of an interface or object type, if nothing else fails.

    tree-sitter-typescript does not end a type member at a line break before a call signature
    (``(n: number): <A>(a: A) => A`` then ``<A>(a: A, n: number): A`` or ``(a: A): A`` on the next
    line), which effect writes for every overloaded function.  A ``;`` there means what the line
    break means.  Candidates are the lines that start with ``<`` or ``(`` after what can end a
    member; a ``;`` that lands anywhere but between two type members (value code, where it could
    end a statement) is taken out again and the file parsed again, a few times at most.  ``.tsx``
    files are left as they are (a line starting with ``<`` is JSX there).  The ``;`` takes the place
    of an indentation character: offsets still hold.
    """
    if is_tsx(path):
        return None
    spots = [m.start(1) for m in _SIGNATURE_LINE.finditer(src) if _can_end_member(src, m.start(1))]
    for _ in range(4):
        if not spots:
            return None
        buf = bytearray(src)
        for at in spots:
            buf[at] = 0x3B  # ";"
        separated = bytes(buf)
        tree = _parser(False).parse(separated)
        root = tree.root_node
        kept = []
        for at in spots:
            node = root.descendant_for_byte_range(at, at + 1)
            if node is not None and node.type == ";" and node.parent is not None \
                    and node.parent.type in _TYPE_BODIES:
                kept.append(at)
        if len(kept) == len(spots):
            return None if root.has_error else (tree, separated)
        spots = kept
    return None


def first_error(node: Any) -> tuple[int, str]:
    while True:
        if node.type == "ERROR":
            return node.start_point[0] + 1, _UNPARSABLE
        if node.is_missing:
            return node.start_point[0] + 1, f"syntax error: missing {node.type!r}"
        for child in node.children:
            if child.has_error:
                node = child
                break
        else:
            return node.start_point[0] + 1, _UNPARSABLE


def unquote(raw: bytes) -> str:
    """A string literal's bytes without their quotes (the text itself when it is not quoted)."""
    text = raw.decode("utf-8", "replace")
    return text[1:-1] if len(text) >= 2 and text[0] in "\"'`" else text


def _unquote(node: Any) -> str:
    return unquote(node.text)


def parse_imports(tree: Any) -> list[ImportDecl]:
    """Every top-level ``import ... from`` declaration (``import x = require()`` is left out)."""
    out: list[ImportDecl] = []
    for stmt in tree.root_node.children:
        if stmt.type == "import_statement":
            decl = import_decl(stmt)
            if decl is not None:
                out.append(decl)
    return out


def import_decl(stmt: Any) -> ImportDecl | None:
    source = ""
    type_only = False
    clause = None
    for child in stmt.children:
        kind = child.type
        if kind == "import_clause":
            clause = child
        elif kind == "string":
            source = _unquote(child)
        elif kind == "type":
            type_only = True
        elif kind == "import_require_clause":
            return None  # import x = require("y"): not handled
    if clause is None:
        return ImportDecl(stmt.start_byte, stmt.end_byte, source, False, ())
    default = namespace = None
    named: list[ImportBinding] = []
    braces = (-1, -1)
    for part in clause.children:
        kind = part.type
        if kind == "identifier":
            default = _binding(part, part.text.decode(), "default", "default", source, type_only)
        elif kind == "namespace_import":
            ident = part.named_children[-1] if part.named_child_count else None
            if ident is None or ident.type != "identifier":
                return None
            namespace = _binding(part, ident.text.decode(), "*", "namespace", source, type_only)
        elif kind == "named_imports":
            braces = (part.start_byte, part.end_byte)
            kids = part.children
            types = [k.type for k in kids]
            last = len(kids) - 1
            for i, spec in enumerate(kids):
                if types[i] != "import_specifier":
                    continue
                inline_type = False
                first = alias = None
                for c in spec.children:
                    ck = c.type
                    if ck == "identifier" or ck == "string":
                        if first is None:
                            first = c
                        else:
                            alias = c
                    elif ck == "type":
                        inline_type = True
                if first is None:
                    return None
                j = i + 1
                while j <= last and types[j] == "comment":
                    j += 1
                comma_end = kids[j].end_byte if j <= last and types[j] == "," else -1
                imported = first.text.decode() if first.type == "identifier" else _unquote(first)
                local = alias.text.decode() if alias is not None else imported
                named.append(_binding(spec, local, imported, "named", source, type_only or inline_type, comma_end))
    bindings = tuple(b for b in (default, namespace) if b is not None) + tuple(named)
    return ImportDecl(stmt.start_byte, stmt.end_byte, source, type_only, bindings, default, namespace,
                      braces, tuple(named))


#: An import declaration of the usual shapes, whole (``import type? Default?, (* as NS | {...})?
#: from "m";``): no comment, no attribute clause, ASCII names.  Anything else is read off the tree.
_PLAIN_IMPORT = re.compile(
    rb"import(?:\s+type(?=[\s{*]))?\s*(?:([A-Za-z_$][\w$]*)\s*(?:,\s*)?)?"
    rb"(?:\*\s*as\s+([A-Za-z_$][\w$]*)\s*|\{([^{}/'\"`]*)\}\s*)?from\s*([\"'])[^\"'\\\n]*\4\s*;?\Z")
#: One specifier between the braces: ``type? name (as alias)?``.
_PLAIN_SPECIFIER = re.compile(rb"\s*(?:type\s+)?([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*\Z")
#: Words the grammar may read either as a keyword or as a name here: a declaration naming one of them
#: is read off the tree.
_CONTEXTUAL = frozenset({b"type", b"as", b"from"})


def import_names(src: bytes, stmt: Any) -> list[bytes] | None:
    """The local names a top-level ``import_statement`` node binds, in the order of
    :func:`import_decl`'s bindings (UTF-8), or ``None`` where :func:`import_decl` gives ``None``.

    The usual declarations are read off their bytes with one regular expression, which costs a
    fraction of walking their nodes; any other (a comment inside, an attribute clause, a non-ASCII or
    contextual-keyword name, ``import x = require()``) is read by :func:`import_decl`.  Only the names:
    the bindings of the few declarations a fix touches are read whole, from the tree.
    """
    m = _PLAIN_IMPORT.match(src, stmt.start_byte, stmt.end_byte)
    if m is not None and (m[1] is not None or m[2] is not None or m[3] is not None):  # not `import type from`
        names: list[bytes] = [n for n in (m[1], m[2]) if n is not None]
        plain = True
        if m[3] is not None:
            for part in m[3].split(b","):
                if not part or part.isspace():
                    continue
                spec = _PLAIN_SPECIFIER.match(part)
                if spec is None or spec[1] in _CONTEXTUAL or spec[2] in _CONTEXTUAL:
                    plain = False
                    break
                names.append(spec[2] or spec[1])
        if plain and not any(n in _CONTEXTUAL for n in names):
            return names
    decl = import_decl(stmt)
    return None if decl is None else [b.local.encode("utf-8") for b in decl.bindings]


def _binding(node: Any, local: str, imported: str, kind: str, source: str, type_only: bool,
             comma_end: int = -1) -> ImportBinding:
    row, col = node.start_point
    return ImportBinding(local, imported, kind, source, node.start_byte, node.end_byte, row + 1, col + 1,
                         type_only, comma_end)


# -- removal ---------------------------------------------------------------------------------------
def line_start(src: bytes, i: int) -> int:
    return src.rfind(b"\n", 0, i) + 1


def line_end(src: bytes, i: int) -> int:
    j = src.find(b"\n", i)
    return len(src) if j < 0 else j


def _blank(src: bytes, a: int, b: int) -> bool:
    return not src[a:b].strip()


def _skip_hspace(src: bytes, i: int) -> int:
    while i < len(src) and src[i] in HSPACE:
        i += 1
    return i


def _own_line(src: bytes, start: int, end: int) -> tuple[int, int] | None:
    """The whole line(s) of ``start..end`` with their line break, when nothing else is on them."""
    ls, le = line_start(src, start), line_end(src, end)
    if _blank(src, ls, start) and _blank(src, end, le):
        return ls, min(le + 1, len(src))
    return None


def removal_edits(src: bytes, decl: ImportDecl, remove: Iterable[ImportBinding]) -> list[tuple[int, int]]:
    """Byte ranges to delete so that ``decl`` loses exactly the bindings in ``remove``.

    The whole declaration goes (with its line, when it is alone on it) when nothing is left;
    ``import D, { x }`` loses ``, { x }`` or ``D, ``; a named specifier goes with its comma, a
    specifier alone on its line in a multi-line import goes with its line.  Never leaves
    ``import {} from`` nor a new ``{ a, }``; comments on other lines stay.
    """
    gone = {(b.start, b.end) for b in remove}
    gone &= {(b.start, b.end) for b in decl.bindings}
    if not gone:
        return []
    if len(gone) == len(decl.bindings):
        whole = _own_line(src, decl.start, decl.end)
        return [whole] if whole else [(decl.start, _skip_hspace(src, decl.end))]
    edits: list[tuple[int, int]] = []
    named_kept = [b for b in decl.named if (b.start, b.end) not in gone]
    default, namespace = decl.default, decl.namespace
    second_start, second_end = (namespace.start, namespace.end) if namespace else decl.braces
    default_gone = default is not None and (default.start, default.end) in gone
    namespace_gone = namespace is not None and (namespace.start, namespace.end) in gone
    if default is not None and not default_gone and (namespace_gone or (decl.named and not named_kept)):
        return [(default.end, second_end)]  # "D, { x }" -> "D"
    if default is not None and default_gone:
        edits.append((default.start, second_start))  # "D, { x }" -> "{ x }"
    if decl.named and len(named_kept) < len(decl.named):
        edits.extend(_named_edits(src, decl, gone))
    return edits


def _named_edits(src: bytes, decl: ImportDecl, gone: set[tuple[int, int]]) -> list[tuple[int, int]]:
    specs = decl.named
    multiline = b"\n" in src[decl.braces[0]:decl.braces[1]]
    removed = [(b.start, b.end) in gone for b in specs]
    last_kept = max(i for i, r in enumerate(removed) if not r)
    edits: list[tuple[int, int]] = []

    def end_of(b: ImportBinding) -> int:
        return b.comma_end if b.comma_end != -1 else b.end

    # runs of removed specifiers followed by a kept one
    i = 0
    while i < last_kept:
        if not removed[i]:
            i += 1
            continue
        j = i
        while removed[j + 1]:
            j += 1
        run = specs[i:j + 1]
        lines = [_own_line(src, b.start, end_of(b)) for b in run] if multiline else [None]
        if all(lines):
            edits.extend(x for x in lines if x)
        else:
            first, last = run[0], run[-1]
            after = _skip_hspace(src, end_of(last))
            nothing_after = after >= len(src) or src[after] in b"\r\n"
            if _blank(src, line_start(src, first.start), first.start) or not nothing_after:
                edits.append((first.start, after))
            else:  # "x, a,\n  b": drop ", a" after x's comma... keep x's comma, drop "a,"
                prev = specs[i - 1].comma_end if i > 0 else decl.braces[0] + 1
                edits.append((prev, end_of(last)))
        i = j + 1
    # the removed specifiers after the last kept one
    tail = specs[last_kept + 1:]
    if tail:
        firsts = [_blank(src, line_start(src, b.start), b.start) for b in tail]
        if multiline and all(firsts):  # each on its own line, maybe with a comment after it
            for b in tail:
                line = _own_line(src, b.start, end_of(b))
                edits.append(line if line else (b.start, _skip_hspace(src, end_of(b))))
        else:
            edits.append((specs[last_kept].end, end_of(tail[-1])))
    return edits


def apply_deletions(src: bytes, spans: Iterable[tuple[int, int]]) -> bytes:
    out = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            raise ValueError(f"overlapping edits at byte {start}")
        out.append(src[pos:start])
        pos = end
    out.append(src[pos:])
    return b"".join(out)


#: ``in``/``out`` variance annotations of type parameters: after ``<`` or ``,`` (and comments, and
#: ``const``), before a type parameter's name and its ``,``, ``>``, ``=`` or ``extends``.
_VARIANCE = re.compile(
    rb"([<,](?:\s|/\*(?:[^*]|\*(?!/))*\*/|//[^\n]*\n)*(?:const\s+)?)"
    rb"((?:in\s+out|in|out)\s)(?=\s*[A-Za-z_$][\w$]*\s*(?:[,>=]|extends\b))")
_LETTERS = re.compile(rb"[a-z]")


def without_variance(src: bytes) -> bytes | None:
    """``src`` with the letters of its variance annotations turned into spaces, or ``None``."""
    out, n = _VARIANCE.subn(lambda m: m.group(1) + _LETTERS.sub(b" ", m.group(2)), src)
    return out if n else None


#: ``export type * from "m"`` and ``export type * as ns from "m"`` (TypeScript 5.0).
_TYPE_STAR = re.compile(rb"\bexport(\s+)type(?=\s*\*)")


def without_unsupported(src: bytes) -> bytes | None:
    """``src`` with the TypeScript that tree-sitter-typescript 0.23 cannot parse blanked out (its
    letters turned into spaces), or ``None`` when there is none: variance annotations, and the
    ``type`` of ``export type *`` (an ``export *`` then: neither refers to a name of the file)."""
    out = without_variance(src)
    star, n = _TYPE_STAR.subn(lambda m: b"export" + m.group(1) + b"    ", out if out is not None else src)
    return star if n else out


def _point(src: bytes, offset: int) -> tuple[int, int]:
    return src.count(b"\n", 0, offset), offset - (src.rfind(b"\n", 0, offset) + 1)


def reparse(path: str, src: bytes, tree: Any, spans: list[tuple[int, int]], new_src: bytes) -> Any:
    """Parse ``new_src`` (``src`` less ``spans``) reusing ``tree`` (tree-sitter's incremental parse)."""
    old = tree.copy()
    for start, end in sorted(spans, reverse=True):  # back to front: earlier offsets stay valid
        at = _point(src, start)
        old.edit(start_byte=start, old_end_byte=end, new_end_byte=start,
                 start_point=at, old_end_point=_point(src, end), new_end_point=at)
    return _parser(is_tsx(path)).parse(new_src, old)


def load_parsers() -> None:
    """Load both grammars (before forking, so that every worker inherits them)."""
    _parser(True), _parser(False)


def syntax_problem(text: str, path: str) -> str | None:
    """Why ``text`` does not parse as TypeScript (``.tsx`` or ``.ts`` grammar by ``path``), or None."""
    try:
        parse_source(text.encode("utf-8"), path)
    except TsParseError as exc:
        return f"line {exc.line}: invalid TypeScript: {exc.message}"
    return None
