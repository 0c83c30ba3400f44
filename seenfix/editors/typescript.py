"""TypeScript/TSX import analysis and minimal import removal, on tree-sitter.

The model: :func:`parse_imports` lists the top-level ``import`` declarations of a file with the byte
offsets of every part (:class:`ImportDecl`, :class:`ImportBinding`); :func:`unused_bindings` decides
which bindings nothing refers to; :func:`removal_edits` turns a set of bindings into minimal byte
edits.  :func:`analyse` does all three for one file and :func:`analyse_many` for many files, in
parallel processes when there are many.

Deciding "unused" is done per imported name, not by walking the whole tree (which is slow in Python):
every occurrence of the name's bytes outside import declarations is looked up in the tree
(``descendant_for_byte_range``, in C) and classified as a reference (value, type or namespace
meaning), a declaration that shadows it in some scope, or neither (a property name, a string, a
comment, a lowercase JSX tag...).  A binding is used when one reference is not shadowed by a
declaration whose scope contains it.  Anything not understood counts as a reference: a wrongly kept
import costs nothing, a wrongly removed one breaks the build.  A Solid ``use:name`` directive refers
to ``name``.

tree-sitter is imported lazily (on the first parse), so importing this module is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

#: Value, type and namespace meanings of a name (TypeScript keeps them apart).
VALUE, TYPE, NAMESPACE = 1, 2, 4
ALL = VALUE | TYPE | NAMESPACE

_IDENT_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_HSPACE = b" \t"

#: Nodes whose parameters / type parameters / ``var`` declarations scope to them.
_FUNCTION_SCOPES = frozenset({
    "function_declaration", "function_expression", "generator_function_declaration",
    "generator_function", "arrow_function", "method_definition", "function_signature",
    "method_signature", "abstract_method_signature", "call_signature", "construct_signature",
    "function_type", "constructor_type", "class_static_block", "internal_module", "program",
})
#: Nodes that scope ``let``/``const``/``class``/``function``/``type``/``interface`` declarations.
_BLOCK_SCOPES = _FUNCTION_SCOPES | frozenset({
    "statement_block", "switch_body", "for_statement", "for_in_statement", "class_body",
})
_PATTERNS = frozenset({"object_pattern", "array_pattern", "rest_pattern"})
_JSX_ELEMENTS = frozenset({"jsx_opening_element", "jsx_closing_element", "jsx_self_closing_element"})
_PARAMS = frozenset({"required_parameter", "optional_parameter"})
_BLOCK_DECL_VALUE = frozenset({"function_declaration", "generator_function_declaration",
                               "function_signature"})
_BLOCK_DECL_TYPE = frozenset({"type_alias_declaration", "interface_declaration"})
_CLASS_DECLS = frozenset({"class_declaration", "abstract_class_declaration"})
#: Named leaves that are never a reference to a binding, whatever their text.
_NOT_REFERENCES = frozenset({
    "property_identifier", "statement_identifier", "private_property_identifier", "string_fragment",
    "jsx_text", "regex_pattern", "regex_flags", "escape_sequence", "html_character_reference",
    "predefined_type", "number", "string", "template_string", "hash_bang_line", "jsx_identifier",
})
#: Names the classic JSX runtime uses without a visible reference (kept in .tsx files).
_CLASSIC_JSX = frozenset({"React"})
#: Comment pragmas after which a name counts as used (``{@link X}``, ``@jsx h``).
_COMMENT_USES = (b"@link", b"@linkcode", b"@linkplain", b"@see", b"@jsx", b"@jsxFrag", b"@jsxImportSource")


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


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file: its import bindings to remove and the new text (or an error)."""

    path: str
    unused: tuple[ImportBinding, ...] = ()
    new_text: str | None = None
    error: tuple[int, str] | None = None
    #: the analysis of ``new_text`` (see :func:`analyse`)
    recheck: FileResult | None = None


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
        raise TsParseError(*_first_error(root))
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
    (:func:`_with_signature_separators`).  Returns the tree and the bytes it is a tree of: ``src``
    itself, or a copy of the same length.
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
    separated = _with_signature_separators(blanked if blanked is not None else src, path)
    if separated is None:
        raise error
    return separated


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


def _first_error(node: Any) -> tuple[int, str]:
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


def _unquote(node: Any) -> str:
    raw: str = node.text.decode("utf-8", "replace")
    return raw[1:-1] if len(raw) >= 2 and raw[0] in "\"'`" else raw


def parse_imports(tree: Any) -> list[ImportDecl]:
    """Every top-level ``import ... from`` declaration (``import x = require()`` is left out)."""
    out: list[ImportDecl] = []
    for stmt in tree.root_node.children:
        if stmt.type == "import_statement":
            decl = _import_decl(stmt)
            if decl is not None:
                out.append(decl)
    return out


def _import_decl(stmt: Any) -> ImportDecl | None:
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


def _binding(node: Any, local: str, imported: str, kind: str, source: str, type_only: bool,
             comma_end: int = -1) -> ImportBinding:
    row, col = node.start_point
    return ImportBinding(local, imported, kind, source, node.start_byte, node.end_byte, row + 1, col + 1,
                         type_only, comma_end)


# -- references and scopes -------------------------------------------------------------------------
@dataclass
class _Occurrences:
    refs: list[tuple[int, int]]  # (offset, meanings)
    decls: list[tuple[int, int, int]]  # (scope start, scope end, meanings)
    uncertain: bool = False


def unused_bindings(src: bytes, tree: Any, decls: Sequence[ImportDecl]) -> list[ImportBinding]:
    """The bindings of ``decls`` that nothing outside import declarations refers to."""
    root = tree.root_node
    # the stretches between top-level import statements (even those parse_imports leaves out)
    gaps: list[tuple[int, int]] = []
    pos = 0
    for stmt in root.children:
        if stmt.type == "import_statement":
            start = stmt.start_byte
            if start - pos > 2 or src[pos:start].strip():  # a line break between imports holds no name
                gaps.append((pos, start))
            pos = stmt.end_byte
    gaps.append((pos, len(src)))
    verdict: dict[str, bool] = {}
    out: list[ImportBinding] = []
    for decl in decls:
        for b in decl.bindings:
            used = verdict.get(b.local)
            if used is None:
                used = verdict[b.local] = _is_used(src, root, b.local.encode("utf-8"), gaps)
            if not used:
                out.append(b)
    return out


def _is_used(src: bytes, root: Any, name: bytes, gaps: list[tuple[int, int]]) -> bool:
    occ = _Occurrences([], [])
    n = len(name)
    size = len(src)
    find = src.find
    for lo, hi in gaps:
        pos = find(name, lo, hi)
        while pos != -1:
            end = pos + n
            if (pos == 0 or src[pos - 1] not in _IDENT_BYTES) and (end >= size or src[end] not in _IDENT_BYTES):
                _classify(src, root, pos, end, occ)
                if occ.uncertain:
                    return True
            pos = find(name, end, hi)
    if not occ.decls:
        return bool(occ.refs)
    for at, meaning in occ.refs:
        if not any(s <= at < e and meaning & dm == meaning for s, e, dm in occ.decls):
            return True
    return False


def _field_is(parent: Any, field: str, node: Any) -> bool:
    other = parent.child_by_field_name(field)
    return other is not None and other.start_byte == node.start_byte and other.end_byte == node.end_byte


def _classify(src: bytes, root: Any, start: int, end: int, occ: _Occurrences) -> None:
    node = root.descendant_for_byte_range(start, end)
    if node is None:
        occ.uncertain = True
        return
    kind = node.type
    if node.start_byte != start or node.end_byte != end:
        if kind == "comment":
            before = src[node.start_byte:start]
            if before.rstrip(_HSPACE).endswith(_COMMENT_USES):
                occ.refs.append((start, ALL))
        return
    if not node.is_named or kind in _NOT_REFERENCES or kind == "comment":
        return
    if kind == "identifier":
        _classify_identifier(node, start, occ)
    elif kind == "type_identifier":
        _classify_type_identifier(node, start, occ)
    elif kind == "shorthand_property_identifier":
        occ.refs.append((start, VALUE))
    elif kind == "shorthand_property_identifier_pattern":
        _classify_pattern(node, start, occ)
    else:
        occ.refs.append((start, ALL))  # not understood: count it as a use


def _classify_identifier(node: Any, start: int, occ: _Occurrences) -> None:
    parent = node.parent
    pt = parent.type
    if pt == "jsx_namespace_name":
        first = parent.child(0)
        if first is not None and first.start_byte != start and first.text == b"use":
            occ.refs.append((start, VALUE))  # Solid: use:name={...} calls name
        return
    if pt in _JSX_ELEMENTS:
        first = node.text[:1]
        if b"a" <= first <= b"z":
            return  # <path />: an intrinsic element, not a reference
        occ.refs.append((start, VALUE))
        return
    if pt == "export_specifier":
        if _field_is(parent, "alias", node):
            return
        stmt = parent.parent.parent if parent.parent is not None else None
        if stmt is not None and stmt.child_by_field_name("source") is not None:
            return  # export { x } from "y": another module's x
        occ.refs.append((start, ALL))
        return
    if pt == "nested_type_identifier":
        occ.refs.append((start, NAMESPACE))
        return
    if pt == "index_signature":
        if _field_is(parent, "name", node):
            return
    elif pt in ("function_expression", "generator_function"):
        if _field_is(parent, "name", node):
            occ.decls.append((parent.start_byte, parent.end_byte, VALUE))
            return
    elif pt in _BLOCK_DECL_VALUE:
        if _field_is(parent, "name", node):
            _declare(parent, VALUE, _BLOCK_SCOPES, occ)
            return
    elif pt == "enum_declaration":
        if _field_is(parent, "name", node):
            _declare(parent, VALUE | TYPE, _BLOCK_SCOPES, occ)
            return
    elif pt in ("internal_module", "module"):
        if _field_is(parent, "name", node):
            _declare(parent, ALL, _BLOCK_SCOPES, occ)
            return
    elif pt == "import_alias":
        if parent.named_child(0) is not None and parent.named_child(0).start_byte == start:
            _declare(parent, ALL, _BLOCK_SCOPES, occ)
            return
    elif pt == "arrow_function":
        if _field_is(parent, "parameter", node):
            occ.decls.append((parent.start_byte, parent.end_byte, VALUE))
            return
    elif pt == "type_query":
        occ.refs.append((start, VALUE))
        return
    _classify_pattern(node, start, occ)


def _classify_pattern(node: Any, start: int, occ: _Occurrences) -> None:
    """An identifier that may sit in a destructuring pattern: find what the pattern declares."""
    cur = node
    while True:
        parent = cur.parent
        if parent is None:
            occ.refs.append((start, VALUE))
            return
        pt = parent.type
        if pt in _PATTERNS:
            cur = parent
        elif pt == "pair_pattern" and _field_is(parent, "value", cur):
            cur = parent
        elif pt in ("assignment_pattern", "object_assignment_pattern") and _field_is(parent, "left", cur):
            cur = parent
        else:
            break
    if pt == "variable_declarator" and _field_is(parent, "name", cur):
        declaration = parent.parent
        if declaration is not None and declaration.type == "variable_declaration":
            _declare(declaration, VALUE, _FUNCTION_SCOPES, occ)
        else:
            _declare(declaration or parent, VALUE, _BLOCK_SCOPES, occ)
    elif pt in _PARAMS and _field_is(parent, "pattern", cur):
        params = parent.parent
        owner = params.parent if params is not None else None
        if owner is None:
            occ.uncertain = True
        else:
            occ.decls.append((owner.start_byte, owner.end_byte, VALUE))
    elif pt == "catch_clause" and _field_is(parent, "parameter", cur):
        occ.decls.append((parent.start_byte, parent.end_byte, VALUE))
    elif pt == "for_in_statement" and _field_is(parent, "left", cur):
        kind = parent.child_by_field_name("kind")
        if kind is None:
            occ.refs.append((start, VALUE))  # for (x of xs): assigns the outer x
        elif kind.type == "var":
            _declare(parent, VALUE, _FUNCTION_SCOPES, occ)
        else:
            occ.decls.append((parent.start_byte, parent.end_byte, VALUE))
    else:
        occ.refs.append((start, VALUE))


def _classify_type_identifier(node: Any, start: int, occ: _Occurrences) -> None:
    parent = node.parent
    pt = parent.type
    if pt == "nested_type_identifier":
        return  # NS.Name: a member of NS
    if pt == "type_parameter" and _field_is(parent, "name", node):
        owner = parent.parent.parent if parent.parent is not None else None
        if owner is None:
            occ.uncertain = True
        else:
            occ.decls.append((owner.start_byte, owner.end_byte, TYPE))
        return
    if pt in _BLOCK_DECL_TYPE and _field_is(parent, "name", node):
        _declare(parent, TYPE, _BLOCK_SCOPES, occ)
        return
    if pt in _CLASS_DECLS and _field_is(parent, "name", node):
        _declare(parent, VALUE | TYPE, _BLOCK_SCOPES, occ)
        return
    if pt == "class" and _field_is(parent, "name", node):
        occ.decls.append((parent.start_byte, parent.end_byte, VALUE | TYPE))
        return
    if pt == "infer_type":
        scope = parent.parent
        while scope is not None and scope.type != "conditional_type":
            scope = scope.parent
        if scope is None:
            occ.uncertain = True
        else:
            occ.decls.append((scope.start_byte, scope.end_byte, TYPE))
        return
    if pt == "mapped_type_clause" and _field_is(parent, "name", node):
        scope = parent.parent or parent
        occ.decls.append((scope.start_byte, scope.end_byte, TYPE))
        return
    occ.refs.append((start, TYPE))


def _declare(declaration: Any, meaning: int, scopes: frozenset[str], occ: _Occurrences) -> None:
    """Record a declaration scoped to the nearest enclosing node of one of ``scopes``' types."""
    scope = declaration.parent
    while scope is not None and scope.type not in scopes:
        scope = scope.parent
    if scope is None or scope.type == "program":
        occ.uncertain = True  # a top-level declaration with the import's name: leave it to tsc
        return
    occ.decls.append((scope.start_byte, scope.end_byte, meaning))


# -- suppression comments ---------------------------------------------------------------------------
#: Rules of ESLint and its plugins that report unused imports.
_ESLINT_RULES = frozenset({b"no-unused-vars", b"@typescript-eslint/no-unused-vars",
                           b"unused-imports/no-unused-imports", b"unused-imports/no-unused-vars"})
#: Biome categories that cover its noUnusedImports rule.
_BIOME_CATEGORIES = frozenset({b"lint", b"lint/correctness", b"lint/correctness/noUnusedImports"})
_SEENFIX_IGNORE = re.compile(rb"seenfix-ignore(?![\w-])([^\n]*)")
_CODES = re.compile(rb"\bSF\d{3}\b")
_BIOME_IGNORE = re.compile(rb"biome-ignore\s+([\w/]+)")
_ESLINT_NEXT = re.compile(rb"eslint-disable-next-line(?![\w-])([^\n]*)")
_ESLINT_LINE = re.compile(rb"eslint-disable-line(?![\w-])([^\n]*)")


def _eslint_covers(rest: bytes) -> bool:
    """Whether an ``eslint-disable-*`` comment's rule list (all rules when empty) covers unused imports."""
    rules = rest.split(b"--", 1)[0].replace(b"*/", b"")
    names = {r.strip() for r in rules.split(b",") if r.strip()}
    return not names or bool(names & _ESLINT_RULES)


def _keeps(comment: bytes, same_line: bool) -> bool:
    m = _SEENFIX_IGNORE.search(comment)
    if m is not None:
        codes = _CODES.findall(m.group(1))
        return not codes or b"SF009" in codes
    if same_line:
        m = _ESLINT_LINE.search(comment)
        return m is not None and _eslint_covers(m.group(1))
    m = _BIOME_IGNORE.search(comment)
    if m is not None:
        return m.group(1) in _BIOME_CATEGORIES
    m = _ESLINT_NEXT.search(comment)
    return m is not None and _eslint_covers(m.group(1))


def _comment_of(line: bytes) -> bytes | None:
    at = min((i for i in (line.find(b"//"), line.find(b"/*")) if i >= 0), default=-1)
    return None if at < 0 else line[at:]


def suppressed(src: bytes, decl_start: int, binding: ImportBinding) -> bool:
    """Whether a comment keeps this import binding although it is unused.

    The line above the declaration (or above the binding, in a multi-line import) may say
    ``// seenfix-ignore`` (``seenfix-ignore SF009``), Biome's ``biome-ignore
    lint/correctness/noUnusedImports`` or ESLint's ``eslint-disable-next-line`` (for all rules or
    one that reports unused imports); the binding's own line may end with ``// seenfix-ignore`` or
    ``// eslint-disable-line``.  Such an import was kept on purpose (to check that a type is
    exported, say), as those tools keep it.
    """
    own = _line_start(src, binding.start)
    comment = _comment_of(src[own:_line_end(src, binding.start)])
    if comment is not None and _keeps(comment, True):
        return True
    for start in {_line_start(src, decl_start), own}:
        if start == 0:
            continue
        above = src[_line_start(src, start - 1):start - 1].strip()
        if above.startswith((b"//", b"/*", b"*")) or above.endswith(b"*/"):
            comment = _comment_of(above)
            if comment is not None and _keeps(comment, False):
                return True
    return False


# -- removal ---------------------------------------------------------------------------------------
def _line_start(src: bytes, i: int) -> int:
    return src.rfind(b"\n", 0, i) + 1


def _line_end(src: bytes, i: int) -> int:
    j = src.find(b"\n", i)
    return len(src) if j < 0 else j


def _blank(src: bytes, a: int, b: int) -> bool:
    return not src[a:b].strip()


def _skip_hspace(src: bytes, i: int) -> int:
    while i < len(src) and src[i] in _HSPACE:
        i += 1
    return i


def _own_line(src: bytes, start: int, end: int) -> tuple[int, int] | None:
    """The whole line(s) of ``start..end`` with their line break, when nothing else is on them."""
    ls, le = _line_start(src, start), _line_end(src, end)
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
            if _blank(src, _line_start(src, first.start), first.start) or not nothing_after:
                edits.append((first.start, after))
            else:  # "x, a,\n  b": drop ", a" after x's comma... keep x's comma, drop "a,"
                prev = specs[i - 1].comma_end if i > 0 else decl.braces[0] + 1
                edits.append((prev, end_of(last)))
        i = j + 1
    # the removed specifiers after the last kept one
    tail = specs[last_kept + 1:]
    if tail:
        firsts = [_blank(src, _line_start(src, b.start), b.start) for b in tail]
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


# -- one file, many files --------------------------------------------------------------------------
def analyse(path: str, text: str, keep: Sequence[str] = (), recheck: bool = True) -> FileResult:
    """Find the unused imports of one file and the text without them.

    With ``recheck``, a changed text is analysed again (``FileResult.recheck``) after an
    incremental re-parse, which costs a fraction of a parse: it shows that the output parses and
    that a second run would change nothing, and lets the caller answer that second run at once.
    """
    src = text.encode("utf-8")
    try:
        tree, parsed = parse_source(src, path)
    except TsParseError as exc:
        return FileResult(path, error=(exc.line, exc.message))
    original = None if parsed is src else src
    src = parsed
    kept = frozenset(keep) | (_CLASSIC_JSX if is_tsx(path) else frozenset())
    return _result(path, src, tree, kept, recheck, original)


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


def _result(path: str, src: bytes, tree: Any, keep: frozenset[str], recheck: bool,
            original: bytes | None = None) -> FileResult:
    """The analysis of ``src``; with ``original`` (the same length), the edits apply to it instead:
    ``src`` is then ``original`` with its variance annotations blanked out."""
    decls = parse_imports(tree)
    if not any(d.bindings for d in decls):
        return FileResult(path)
    unused = [b for b in unused_bindings(src, tree, decls) if b.local not in keep and b.source not in keep]
    if unused:
        starts = {b: d.start for d in decls for b in d.bindings}
        unused = [b for b in unused if not suppressed(src, starts[b], b)]
    if not unused:
        return FileResult(path)
    spans: list[tuple[int, int]] = []
    for decl in decls:
        mine = [b for b in unused if decl.start <= b.start < decl.end]
        if mine:
            spans.extend(removal_edits(src, decl, mine))
    new_src = apply_deletions(src, spans)
    new_original = apply_deletions(original, spans) if original is not None else None
    again = None
    if recheck:
        new_tree = _reparse(path, src, tree, spans, new_src)
        if new_tree.root_node.has_error:  # a bug in removal_edits: never hand out such a text
            line, message = _first_error(new_tree.root_node)
            return FileResult(path, error=(line, f"removing unused imports would break the syntax ({message})"))
        again = _recheck(path, new_src, new_tree, tree, decls, unused, spans, keep, new_original)
    return FileResult(path, tuple(unused), (new_original or new_src).decode("utf-8"), recheck=again)


def _recheck(path: str, src: bytes, tree: Any, old_tree: Any, old: list[ImportDecl],
             removed: list[ImportBinding], spans: list[tuple[int, int]], keep: frozenset[str],
             original: bytes | None = None) -> FileResult:
    """Analyse a fixed text: when exactly the removed bindings are gone, the others are still used.

    Whether a binding is used depends only on the bytes outside import declarations, which the fix
    leaves as they were; so when every import declaration of the fixed file is the old one less
    the removed bindings (the edited ones are read again, the others must sit where they moved to),
    nothing is left to remove.  Anything else gets a full analysis.
    """
    def keys(decl: ImportDecl, gone: set[tuple[int, int]]) -> list[tuple[str, str, str, bool]]:
        return sorted((b.local, b.imported, b.kind, b.type_only) for b in decl.bindings
                      if (b.start, b.end) not in gone) + [("", decl.source, "", decl.type_only)]

    cuts = sorted(spans)

    def moved(offset: int) -> int:
        return offset - sum(e - s for s, e in cuts if e <= offset)

    gone = {(b.start, b.end) for b in removed}
    now = {st.start_byte: st for st in tree.root_node.children if st.type == "import_statement"}
    before = sum(1 for st in old_tree.root_node.children if st.type == "import_statement")
    kept = 0
    for decl in old:
        mine = sum(1 for b in decl.bindings if (b.start, b.end) in gone)
        if mine and mine == len(decl.bindings):
            continue  # the whole declaration went
        kept += 1
        stmt = now.get(moved(decl.start))
        if stmt is None:
            break
        if not mine:
            if stmt.end_byte != moved(decl.end):
                break
            continue
        new = _import_decl(stmt)
        if new is None or keys(new, set()) != keys(decl, gone):
            break
    else:
        if len(now) == before - len(old) + kept:
            return FileResult(path)
    return _result(path, src, tree, keep, False, original)


def _point(src: bytes, offset: int) -> tuple[int, int]:
    return src.count(b"\n", 0, offset), offset - (src.rfind(b"\n", 0, offset) + 1)


def _reparse(path: str, src: bytes, tree: Any, spans: list[tuple[int, int]], new_src: bytes) -> Any:
    """Parse ``new_src`` (``src`` less ``spans``) reusing ``tree`` (tree-sitter's incremental parse)."""
    old = tree.copy()
    for start, end in sorted(spans, reverse=True):  # back to front: earlier offsets stay valid
        at = _point(src, start)
        old.edit(start_byte=start, old_end_byte=end, new_end_byte=start,
                 start_point=at, old_end_point=_point(src, end), new_end_point=at)
    return _parser(is_tsx(path)).parse(new_src, old)


def analyse_item(path: str, text: str, keep: Sequence[str] = ()) -> tuple[FileResult, bool]:
    """:func:`analyse` for :mod:`seenfix.core.parallel`: the result, and whether the text changes."""
    res = analyse(path, text, keep)
    return res, res.new_text is not None


def load_parsers() -> None:
    """Load both grammars (before forking, so that every worker inherits them)."""
    _parser(True), _parser(False)


def analyse_many(items: Sequence[tuple[str, str]], keep: Sequence[str] = (),
                 jobs: int | None = None) -> list[FileResult]:
    """:func:`analyse` every ``(path, text)``, in ``jobs`` processes when there are many files.

    Results come back in the order of ``items`` (see :func:`seenfix.core.parallel.run_parallel`).
    """
    from seenfix.core.parallel import run_parallel

    outcomes = run_parallel(items, analyse_item, (tuple(keep),), jobs=jobs, prepare=load_parsers)
    return [outcome[0] for outcome in outcomes]
