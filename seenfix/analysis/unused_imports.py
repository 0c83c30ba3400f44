"""SF009's analysis: which TypeScript/TSX imports are unused, and the text without them (on
:mod:`seenfix.editors.typescript`).

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

A check (no fix to write) asks the compiled scan first where it is built
(``seenfix/analysis/_native/unused_scan.c``, module ``seenfix.analysis._unused_scan``): the same
rules in C, scopes included, on its own copy of the tree-sitter runtime (asked again without what
the grammar lacks after a syntax error, as :func:`seenfix.editors.typescript.parse_source` does).  It
answers ``None`` for an unusual import (``import x = require()``) or more than 512 imported names, and
this module decides those and the files with syntax errors.  Fixes never use it.
``SEENFIX_NO_NATIVE=1`` turns it off.

tree-sitter is imported lazily (on the first parse), so importing this module is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from seenfix.editors.typescript import (
    ALL,
    HSPACE,
    IDENT_BYTES,
    NAMESPACE,
    TYPE,
    VALUE,
    ImportBinding,
    ImportDecl,
    TsParseError,
    apply_deletions,
    first_error,
    import_decl,
    import_names,
    is_tsx,
    line_end,
    line_start,
    load_parsers,
    parse_source,
    removal_edits,
    reparse,
    unquote,
    without_unsupported,
)

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
#: The parents under which :func:`_classify_identifier` looks further at an ``identifier`` (under any
#: other it is a plain reference to a value, found without a call).
_IDENTIFIER_PARENTS = _PATTERNS | _JSX_ELEMENTS | _PARAMS | _BLOCK_DECL_VALUE | frozenset({
    "jsx_namespace_name", "export_specifier", "nested_type_identifier", "index_signature", "function_expression",
    "generator_function", "enum_declaration", "internal_module", "module", "import_alias", "arrow_function",
    "type_query", "pair_pattern", "assignment_pattern", "object_assignment_pattern", "variable_declarator",
    "catch_clause", "for_in_statement",
})
#: The parents under which :func:`_classify_type_identifier` looks further at a ``type_identifier``
#: (under any other it is a plain reference to a type).
_TYPE_IDENTIFIER_PARENTS = _BLOCK_DECL_TYPE | _CLASS_DECLS | frozenset({
    "nested_type_identifier", "type_parameter", "class", "infer_type", "mapped_type_clause",
})
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


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file: its import bindings to remove and the new text (or an error)."""

    path: str
    unused: tuple[ImportBinding, ...] = ()
    new_text: str | None = None
    error: tuple[int, str] | None = None
    #: the analysis of ``new_text`` (see :func:`analyse`)
    recheck: FileResult | None = None


# -- references and scopes -------------------------------------------------------------------------
@dataclass
class _Occurrences:
    refs: list[tuple[int, int]]  # (offset, meanings)
    decls: list[tuple[int, int, int]]  # (scope start, scope end, meanings)
    uncertain: bool = False


def unused_bindings(src: bytes, tree: Any, decls: Sequence[ImportDecl]) -> list[ImportBinding]:
    """The bindings of ``decls`` that nothing outside import declarations refers to."""
    gaps = _gaps(src, [stmt for stmt in tree.root_node.children if stmt.type == "import_statement"])
    unused = _unused_names(src, tree.root_node, [b.local.encode("utf-8") for d in decls for b in d.bindings], gaps)
    return [b for d in decls for b in d.bindings if b.local.encode("utf-8") in unused]


def _gaps(src: bytes, stmts: Sequence[Any]) -> list[tuple[int, int]]:
    """The stretches of ``src`` between the top-level import statements ``stmts`` (even those
    :func:`parse_imports` leaves out), where a reference to an imported name may be."""
    gaps: list[tuple[int, int]] = []
    pos = 0
    for stmt in stmts:
        start = stmt.start_byte
        if start - pos > 2 or src[pos:start].strip():  # a line break between imports holds no name
            gaps.append((pos, start))
        pos = stmt.end_byte
    gaps.append((pos, len(src)))
    return gaps


def _unused_names(src: bytes, root: Any, names: Sequence[bytes], gaps: list[tuple[int, int]]) -> set[bytes]:
    """The names of ``names`` (UTF-8) that nothing in ``gaps`` refers to."""
    return {name for name in dict.fromkeys(names) if not _is_used(src, root, name, gaps)}


def _is_used(src: bytes, root: Any, name: bytes, gaps: list[tuple[int, int]]) -> bool:
    occ = _Occurrences([], [])
    refs = occ.refs
    n = len(name)
    size = len(src)
    find = src.find
    node_at = root.descendant_for_byte_range
    for lo, hi in gaps:
        pos = find(name, lo, hi)
        while pos != -1:
            end = pos + n
            if (pos == 0 or src[pos - 1] not in IDENT_BYTES) and (end >= size or src[end] not in IDENT_BYTES):
                node = node_at(pos, end)
                if node is None:
                    return True  # not understood: count it as a use
                # the most common cases first: a name whose parent makes it a plain reference
                kind = node.type
                if kind == "identifier" and node.start_byte == pos and node.end_byte == end \
                        and node.parent.type not in _IDENTIFIER_PARENTS:
                    refs.append((pos, VALUE))
                elif kind == "type_identifier" and node.start_byte == pos and node.end_byte == end \
                        and node.parent.type not in _TYPE_IDENTIFIER_PARENTS:
                    refs.append((pos, TYPE))
                else:
                    _classify(src, node, pos, end, occ)
                    if occ.uncertain:
                        return True
            pos = find(name, end, hi)
    if not occ.decls:
        return bool(refs)
    for at, meaning in refs:
        if not any(s <= at < e and meaning & dm == meaning for s, e, dm in occ.decls):
            return True
    return False


def _field_is(parent: Any, field: str, node: Any) -> bool:
    other = parent.child_by_field_name(field)
    return other is not None and other.start_byte == node.start_byte and other.end_byte == node.end_byte


def _classify(src: bytes, node: Any, start: int, end: int, occ: _Occurrences) -> None:
    """Classify the occurrence ``start``..``end`` of a name, ``node`` the smallest node holding it."""
    kind = node.type
    if node.start_byte != start or node.end_byte != end:
        if kind == "comment":
            before = src[node.start_byte:start]
            if before.rstrip(HSPACE).endswith(_COMMENT_USES):
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


#: What every comment :func:`suppressed` honours holds: a file without any of them keeps no import.
_SUPPRESSION_MARKERS = (b"seenfix-ignore", b"biome-ignore", b"eslint-disable")


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
    own = line_start(src, binding.start)
    comment = _comment_of(src[own:line_end(src, binding.start)])
    if comment is not None and _keeps(comment, True):
        return True
    for start in {line_start(src, decl_start), own}:
        if start == 0:
            continue
        above = src[line_start(src, start - 1):start - 1].strip()
        if above.startswith((b"//", b"/*", b"*")) or above.endswith(b"*/"):
            comment = _comment_of(above)
            if comment is not None and _keeps(comment, False):
                return True
    return False


# -- one file, many files --------------------------------------------------------------------------
def analyse(path: str, text: str, keep: Sequence[str] = (), recheck: bool = True, edits: bool = True) -> FileResult:
    """Find the unused imports of one file and the text without them.

    With ``recheck``, a changed text is analysed again (``FileResult.recheck``) after an
    incremental re-parse, which costs a fraction of a parse: it shows that the output parses and
    that a second run would change nothing, and lets the caller answer that second run at once.
    Without ``edits`` (a check: nobody will write the fixed text) only the unused bindings are
    found: no new text, and so no recheck.
    """
    src = text.encode("utf-8")
    kept = frozenset(keep) | (_CLASSIC_JSX if is_tsx(path) else frozenset())
    if not edits:
        checked = native_check(path, src, kept)
        if checked is not None:
            return checked
    try:
        tree, parsed = parse_source(src, path)
    except TsParseError as exc:
        return FileResult(path, error=(exc.line, exc.message))
    original = None if parsed is src else src
    src = parsed
    return _result(path, src, tree, kept, recheck, original, edits)


# -- the native scan --------------------------------------------------------------------------------
#: ``seenfix.analysis._unused_scan.scan`` once loaded, ``False`` where it is not built (or turned off)
_SCAN: Any = None
#: ``scan``'s binding kinds, by number
_KINDS = (("default", "default"), ("namespace", "*"), ("named", None))
#: The shape of ``scan``'s answer this module reads (``_unused_scan.layout()``): a library built
#: from other sources (a stale build in a checkout) is not used.
_LAYOUT = 2


def _native_scan() -> Any:
    """The compiled scan (``seenfix/analysis/_native/unused_scan.c``), or ``None`` where it is not
    built or ``SEENFIX_NO_NATIVE=1`` turns it off: the Python analysis then does all the work."""
    global _SCAN
    if _SCAN is None:
        _SCAN = False
        import os

        if os.environ.get("SEENFIX_NO_NATIVE") != "1":
            try:
                import tree_sitter_typescript as tst

                from seenfix.analysis import _unused_scan  # type: ignore[attr-defined]

                if getattr(_unused_scan, "layout", lambda: 0)() == _LAYOUT:
                    _unused_scan.init(tst.language_typescript(), tst.language_tsx())
                    _SCAN = _unused_scan.scan
            except (ImportError, ValueError):  # not built here, or a grammar its runtime cannot read
                _SCAN = False
    return _SCAN or None


def load() -> None:
    """Load the parsers and the compiled scan (before forking, so that every worker inherits them)."""
    load_parsers()
    _native_scan()


def native_check(path: str, src: bytes, keep: frozenset[str]) -> FileResult | None:
    """A check's :class:`FileResult` for ``src`` from the compiled scan, or ``None`` where the Python
    analysis must decide (the scan is not built, or does not read the file whole).  After a syntax
    error the scan is asked again without what the grammar lacks, as :func:`parse_source` does."""
    scan = _native_scan()
    if scan is None:
        return None
    found = scan(src, is_tsx(path))
    if found is False:  # a syntax error
        blanked = without_unsupported(src)
        if blanked is not None:
            found, src = scan(blanked, is_tsx(path)), blanked
    # None, or False again: left to the Python analysis (which reports a syntax error)
    return _native_result(path, src, found, keep) if isinstance(found, tuple) else None


def _native_result(path: str, src: bytes, found: Sequence[tuple[int, ...]], keep: frozenset[str]) -> FileResult:
    """The check's :class:`FileResult` from the compiled scan's unused bindings: what :func:`_result`
    gives without ``edits`` (the same bindings, filtered by ``keep`` and suppression comments)."""
    unused: list[ImportBinding] = []
    starts: dict[ImportBinding, int] = {}
    for (kind, local_start, local_end, imported_start, imported_end, imported_string, start, end, row, column,
         type_only, comma_end, source_start, source_end, decl_start) in found:
        name, imported = _KINDS[kind]
        local = src[local_start:local_end].decode("utf-8")
        if imported is None:
            raw = src[imported_start:imported_end]
            imported = unquote(raw) if imported_string else raw.decode("utf-8")
        source = unquote(src[source_start:source_end]) if source_start >= 0 else ""
        if local in keep or source in keep:
            continue
        binding = ImportBinding(local, imported, name, source, start, end, row + 1, column + 1, bool(type_only),
                                comma_end)
        unused.append(binding)
        starts[binding] = decl_start
    return FileResult(path, tuple(_unsuppressed(src, unused, starts)))


def _unsuppressed(src: bytes, unused: list[ImportBinding], starts: dict[ImportBinding, int]) -> list[ImportBinding]:
    """``unused`` less the bindings a comment keeps (:func:`suppressed`); ``starts``: each one's
    declaration's start."""
    if unused and any(marker in src for marker in _SUPPRESSION_MARKERS):
        return [b for b in unused if not suppressed(src, starts[b], b)]
    return unused



class _Span(NamedTuple):
    """An import declaration that binds no unused name: only where it is (its bindings are not read)."""

    start: int
    end: int


def _result(path: str, src: bytes, tree: Any, keep: frozenset[str], recheck: bool,
            original: bytes | None = None, edits: bool = True) -> FileResult:
    """The analysis of ``src``; with ``original`` (the same length), the edits apply to it instead:
    ``src`` is then ``original`` with its variance annotations blanked out.

    Only the names of the import declarations are read first (:func:`import_names`); the
    declarations that bind an unused name are then read whole (:func:`import_decl`), the others
    are kept as a :class:`_Span`."""
    stmts = [stmt for stmt in tree.root_node.children if stmt.type == "import_statement"]
    names = [import_names(src, stmt) for stmt in stmts]
    if not any(names):
        return FileResult(path)
    gone = _unused_names(src, tree.root_node, [n for ns in names if ns for n in ns], _gaps(src, stmts))
    decls: list[ImportDecl | _Span] = []
    unused: list[ImportBinding] = []
    for stmt, ns in zip(stmts, names):
        if ns is None:
            continue  # left out, as parse_imports leaves it out
        whole = import_decl(stmt) if gone and not gone.isdisjoint(ns) else None
        if whole is None:
            decls.append(_Span(stmt.start_byte, stmt.end_byte))
            continue
        decls.append(whole)
        unused.extend(b for b in whole.bindings if b.local.encode("utf-8") in gone
                      and b.local not in keep and b.source not in keep)
    if unused:
        unused = _unsuppressed(src, unused, {b: d.start for d in decls if isinstance(d, ImportDecl) for b in d.bindings})
    if not unused:
        return FileResult(path)
    if not edits:
        return FileResult(path, tuple(unused))
    spans: list[tuple[int, int]] = []
    for decl in decls:
        mine = [b for b in unused if decl.start <= b.start < decl.end]
        if mine:
            assert isinstance(decl, ImportDecl)
            spans.extend(removal_edits(src, decl, mine))
    new_src = apply_deletions(src, spans)
    new_original = apply_deletions(original, spans) if original is not None else None
    again = None
    if recheck:
        new_tree = reparse(path, src, tree, spans, new_src)
        if new_tree.root_node.has_error:  # a bug in removal_edits: never hand out such a text
            line, message = first_error(new_tree.root_node)
            return FileResult(path, error=(line, f"removing unused imports would break the syntax ({message})"))
        again = _recheck(path, new_src, new_tree, len(stmts), decls, unused, spans, keep, new_original)
    return FileResult(path, tuple(unused), (new_original or new_src).decode("utf-8"), recheck=again)


def _recheck(path: str, src: bytes, tree: Any, before: int, old: list[ImportDecl | _Span],
             removed: list[ImportBinding], spans: list[tuple[int, int]], keep: frozenset[str],
             original: bytes | None = None) -> FileResult:
    """Analyse a fixed text: when exactly the removed bindings are gone, the others are still used.

    Whether a binding is used depends only on the bytes outside import declarations, which the fix
    leaves as they were; so when every import declaration of the fixed file is the old one less
    the removed bindings (the edited ones are read again, the others must sit where they moved to),
    nothing is left to remove.  Anything else gets a full analysis.  ``before``: the old text's
    top-level import statements, ``old`` its declarations.
    """
    def keys(decl: ImportDecl, gone: set[tuple[int, int]]) -> list[tuple[str, str, str, bool]]:
        return sorted((b.local, b.imported, b.kind, b.type_only) for b in decl.bindings
                      if (b.start, b.end) not in gone) + [("", decl.source, "", decl.type_only)]

    cuts = sorted(spans)

    def moved(offset: int) -> int:
        return offset - sum(e - s for s, e in cuts if e <= offset)

    gone = {(b.start, b.end) for b in removed}
    now = {st.start_byte: st for st in tree.root_node.children if st.type == "import_statement"}
    kept = 0
    for decl in old:
        mine = 0 if isinstance(decl, _Span) else sum(1 for b in decl.bindings if (b.start, b.end) in gone)
        if mine and isinstance(decl, ImportDecl) and mine == len(decl.bindings):
            continue  # the whole declaration went
        kept += 1
        stmt = now.get(moved(decl.start))
        if stmt is None:
            break
        if not mine:
            if stmt.end_byte != moved(decl.end):
                break
            continue
        assert isinstance(decl, ImportDecl)
        new = import_decl(stmt)
        if new is None or keys(new, set()) != keys(decl, gone):
            break
    else:
        if len(now) == before - len(old) + kept:
            return FileResult(path)
    return _result(path, src, tree, keep, False, original)


def analyse_item(path: str, text: str, keep: Sequence[str] = ()) -> tuple[FileResult, bool]:
    """:func:`analyse` for :mod:`seenfix.core.parallel`: the result, and whether the text changes."""
    res = analyse(path, text, keep)
    return res, res.new_text is not None


def analyse_many(items: Sequence[tuple[str, str]], keep: Sequence[str] = (),
                 jobs: int | None = None) -> list[FileResult]:
    """:func:`analyse` every ``(path, text)``, in ``jobs`` processes when there are many files.

    Results come back in the order of ``items`` (see :func:`seenfix.core.parallel.run_parallel`).
    """
    from seenfix.core.parallel import run_parallel

    outcomes = run_parallel(items, analyse_item, (tuple(keep),), jobs=jobs, prepare=load)
    return [outcome[0] for outcome in outcomes]
