"""Surgical YAML editing: ruamel.yaml finds the places, plain text insertions make the change.

ruamel.yaml's round-trip loader is used only to *parse*, to *locate* keys and values (its line/column
information: ``node.lc.key(k)``, ``node.lc.value(k)``, ``node.lc.item(i)``) and to *verify* a result.
The document is never dumped: a dump rewrites sequence indentation, quote style, long lines, ``---``
and comments inside flow collections.  Instead every change is an :class:`Edit` (a byte range and its
replacement text) written in the file's own indentation, quote style and line endings, and applied
back to front with :func:`seenfix.editors.text.apply_edits`.

Public API (stable; ``seenfix.editors.yaml_env`` and the compose fixers build on it):

- :func:`load` parses a text into a :class:`Document` (raises :class:`~seenfix.core.model.InputError`).
- :func:`services` iterates the ``services:`` entries of a compose document as :class:`Service`.
- :func:`key_position`, :func:`value_position`, :func:`item_position` give 0-based (line, col).
- :meth:`Document.offset` turns (line, col) into a text offset; :func:`scalar_span` gives the
  ``(start, end)`` offsets of a scalar value (plain, quoted or block) so it can be replaced.
- :func:`ensure_keys` plans the edits that add missing keys (recursively) to a mapping, block or
  flow style, and records the intended data change as :class:`Change` values;
  :func:`replace_scalar` replaces one scalar in its own quote style, :func:`append_items` appends to
  a block or flow sequence, :func:`insert_root_key` adds a top-level (``x-``) block above a key.
  A :class:`Plan` collects :class:`Edit` and :class:`Change` values; ``plan.apply(text)`` applies them.
- :meth:`Document.chain` says where a node is written (its defining occurrence when shared through an
  anchor), :func:`own_keys` and :func:`merge_sources` separate a mapping's own keys from ``<<:`` ones.
- :func:`to_plain` turns loaded data into plain Python (merge keys resolved, tags dropped, aliases kept
  shared), :func:`apply_changes` applies :class:`Change` values to such plain data, so that a fixer can
  compare "original plus exactly the intended keys" with the re-loaded output.
- :func:`indent_unit`, :func:`quote_char`, :func:`format_scalar` describe and follow the file's style.

Bounds of a block are taken from the *next sibling key's line* (never guessed from indentation), and
a new key goes after the last line that belongs to the block: trailing blank lines and comments that
are not indented deeper than the block's key stay with whatever follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from seenfix.core.model import deepest_line
from seenfix.editors.text import detect_newline, line_starts
from seenfix.core.model import InputError

Key = Any  # a mapping key (str in practice) or a sequence index (int)


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` by ``text``.  Several edits at one offset keep their list order."""

    start: int
    end: int
    text: str

    def as_tuple(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.text)


@dataclass(frozen=True)
class Change:
    """An intended data change: in ``container`` (a loaded node) set ``key`` to ``value``.

    ``key=None`` with a sequence container means "append ``value``"; ``value=DELETE`` removes the key.
    Used with :func:`apply_changes` to build the data a fixed file must load to.
    """

    container: Any
    key: Key
    value: Any


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


#: The value of a :class:`Change` that removes its key.
DELETE: Any = _Delete()


@dataclass
class Document:
    """A parsed YAML text: the ruamel.yaml round-trip data plus what is needed to edit the text."""

    path: str
    text: str
    data: Any
    newline: str
    starts: list[int] = field(repr=False)
    _chains: dict[int, tuple[tuple[Any, Key], ...]] | None = field(default=None, repr=False)

    # -- text geometry ---------------------------------------------------------------------------
    @property
    def line_count(self) -> int:
        return len(self.starts)

    def offset(self, line: int, col: int) -> int:
        """Text offset of a 0-based (line, col) position."""
        return self.starts[line] + col

    def line(self, line: int) -> str:
        """Line ``line`` (0-based) without its line terminator."""
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def line_end(self, line: int) -> int:
        """Offset just before line ``line``'s terminator (or the end of the text)."""
        return self.starts[line] + len(self.line(line))

    # -- where a node is written ---------------------------------------------------------------
    def chain(self, node: Any) -> tuple[tuple[Any, Key], ...] | None:
        """Where a collection node is written: ``((root, k1), (root[k1], k2), ...)`` or ``None``.

        A node shared through an anchor/alias or a ``<<:`` merge is found at its first (defining)
        occurrence.  The empty chain ``()`` is the root itself.
        """
        if self._chains is None:
            self._chains = {}
            if self.data is not None:
                self._chains[id(self.data)] = ()
                _index(self.data, (), self._chains)
        return self._chains.get(id(node))


def _index(node: Any, chain: tuple[tuple[Any, Key], ...], out: dict[int, tuple[tuple[Any, Key], ...]]) -> None:
    for key, child in _own_items(node):
        if isinstance(child, (dict, list)) and id(child) not in out:
            sub = chain + ((node, key),)
            out[id(child)] = sub
            _index(child, sub, out)


def _own_items(node: Any) -> list[tuple[Key, Any]]:
    """Items written in ``node`` itself (merged ``<<:`` keys left out)."""
    if isinstance(node, dict):
        if hasattr(node, "non_merged_items"):
            return list(node.non_merged_items())
        return list(node.items())
    if isinstance(node, list):
        return list(enumerate(node))
    return []


def merge_sources(node: Any) -> list[Any]:
    """The mappings a loaded mapping pulls in through ``<<:`` (ruamel 0.18 and 0.19 forms)."""
    out = []
    for item in getattr(node, "merge", None) or []:
        out.append(item[1] if isinstance(item, tuple) else item)
    return out


def own_keys(node: Any) -> list[Key]:
    """Keys written in a mapping itself, in order (merged keys left out)."""
    return [k for k, _ in _own_items(node)]


#: ``id(mapping) -> (mapping, its own keys, key -> index)``; the mapping is held so that its id is
#: not reused while cached.  Loaded documents are read-only, so the keys never go stale.
_KEYS: dict[int, tuple[Any, tuple[Key, ...], dict[Any, int]]] = {}
_KEYS_MAX = 200_000


def key_index(node: Any) -> tuple[tuple[Key, ...], dict[Any, int]]:
    """A mapping's own keys and each one's position, computed once per mapping: asking it for every
    service of a compose file is then linear, not quadratic, in the number of services."""
    got = _KEYS.get(id(node))
    if got is not None and got[0] is node:
        return got[1], got[2]
    keys = tuple(own_keys(node))
    index: dict[Any, int] = {}
    for i, k in enumerate(keys):
        try:
            index.setdefault(k, i)
        except TypeError:  # an unhashable complex key: found by a scan
            continue
    if len(_KEYS) >= _KEYS_MAX:
        _KEYS.clear()
    _KEYS[id(node)] = (node, keys, index)
    return keys, index


# -- loading ------------------------------------------------------------------------------------

def _add_referent(self: Any, cm: Any) -> None:
    """ruamel.yaml's ``CommentedMap.add_referent`` by identity, in constant time.

    ruamel.yaml records every mapping that merges an anchor (``<<: *env``) in the anchor's list of
    referents, after checking ``cm not in self._ref``: a dict comparison with each one recorded, so
    N services merging one anchor cost N**2 / 2 comparisons (8,000 services: minutes).  seenfix never
    changes loaded data, for which the referents exist; it keeps them, recorded once each.
    """
    ids = self.__dict__.get("_seenfix_ref_ids")
    if ids is None:
        ids = self.__dict__["_seenfix_ref_ids"] = {id(r) for r in self._ref}
    if id(cm) not in ids:
        ids.add(id(cm))
        self._ref.append(cm)


def _patch_referents() -> None:
    from ruamel.yaml.comments import CommentedMap

    if CommentedMap.add_referent is not _add_referent:
        CommentedMap.add_referent = _add_referent  # type: ignore[method-assign]


def _yaml() -> Any:
    from ruamel.yaml import YAML

    _patch_referents()
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


#: ruamel.yaml raises AttributeError on a merge of the mapping the merge key is in; Compose rejects it
RECURSIVE_MERGE = "invalid YAML: this merge (<<) includes the mapping it is in"
#: ruamel.yaml's reader recurses once per level of nesting
TOO_DEEP = "invalid YAML: nested too deeply to load"
#: what else ruamel.yaml raises on YAML it can scan but not construct
CONSTRUCT_ERRORS = (AttributeError, TypeError, KeyError, RecursionError)

#: aliases may make a document this many nodes larger than it is written (a compose file's anchors
#: repeat a few blocks; "billion laughs" nests lists of aliases ten deep: 9**10 nodes)
MAX_EXPANDED = 1_000_000
ALIAS_BOMB = "invalid YAML: its aliases expand to more than 1,000,000 nodes (an alias bomb?)"


#: the largest YAML text seenfix reads (characters): a parsed document takes 60-90 bytes of memory
#: per character, so 4 MiB is 250-400 MiB and several seconds; no hand-written compose file comes
#: near it (a file of 50,000 services does), and a 100 MiB one would take gigabytes and minutes
MAX_CHARS = 4 * 1024 * 1024


def too_large(text: str) -> str | None:
    """The error for a YAML text longer than :data:`MAX_CHARS`, else ``None``."""
    if len(text) <= MAX_CHARS:
        return None
    return (f"too large to read as YAML: {len(text) / 1024 / 1024:.1f} MiB "
            f"(seenfix reads YAML files of up to {MAX_CHARS // 1024 // 1024} MiB)")


def load(text: str, path: str) -> Document:
    """Parse ``text`` (round-trip, YAML 1.2).  Invalid YAML raises :class:`InputError` with its line.

    A single document is expected; a leading ``---`` is fine, several documents are an input error,
    and so is a text longer than :data:`MAX_CHARS`.  libyaml reads it when it can
    (:mod:`seenfix.editors.libyaml`: the same data and positions, several times faster).
    Within a run the same (text, path) gives the same :class:`Document`, parsed once and shared by
    every fixer and the verification (:mod:`seenfix.core.memo`): treat it as read-only.
    """
    from seenfix.core.memo import cached

    return cached("yaml", path, text, lambda: _load(text, path))


_VALUE_IN_PROBLEM = re.compile(r'\s+with value\s.*$', re.DOTALL)


def yaml_problem(exc: Any) -> str:
    """A ruamel.yaml error's problem, with the values it quotes left out: a duplicate key's message
    holds both values ("with value ... (original value: ...)"), and a duplicate password is a password."""
    problem = str(exc.problem or exc.context or "invalid YAML")
    return _VALUE_IN_PROBLEM.sub("", problem) if "duplicate key" in problem else problem


def _load(text: str, path: str) -> Document:
    from seenfix.editors import libyaml

    problem = too_large(text)
    if problem is not None:
        raise InputError(path, 1, problem)

    _patch_referents()
    with libyaml.collector_paused():
        data = libyaml.load(text)
        if data is libyaml.PURE:
            data = _load_round_trip(text, path)
    if expanded_size(data, lambda n: n.values() if isinstance(n, dict) else n if isinstance(n, list) else ()) \
            > MAX_EXPANDED:
        raise InputError(path, 1, ALIAS_BOMB)
    return Document(path=path, text=text, data=data, newline=detect_newline(text), starts=line_starts(text))


def _load_round_trip(text: str, path: str) -> Any:
    """``text``'s data read by ruamel.yaml's round-trip parser (pure Python: every YAML it accepts,
    the error messages seenfix reports)."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise InputError(path, line, f"invalid YAML: {yaml_problem(exc)}") from None
    except (YAMLError, ValueError) as exc:
        raise InputError(path, 1, f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    except CONSTRUCT_ERRORS as exc:
        line, message = construct_problem(text, exc)
        raise InputError(path, line, message) from None


def expanded_size(root: Any, children: Any, limit: int = MAX_EXPANDED) -> int:
    """How many nodes ``root`` holds once every alias is expanded (a node shared by aliases counts
    once per use), in time linear in the distinct nodes; stops counting past ``limit``.  A node met
    again while it is being counted (a recursive alias) counts as one."""
    sizes: dict[int, int] = {}
    todo: list[tuple[Any, bool]] = [(root, False)]
    while todo:
        node, ready = todo.pop()
        key = id(node)
        if key in sizes and not ready:
            continue
        kids = list(children(node))
        if not ready:
            sizes[key] = 1  # in progress (a cycle meets it as one node)
            todo.append((node, True))
            todo.extend((kid, False) for kid in kids if id(kid) not in sizes)
            continue
        sizes[key] = min(limit + 1, 1 + sum(sizes.get(id(kid), 1) for kid in kids))
    return sizes.get(id(root), 1)


def construct_problem(text: str, exc: BaseException) -> tuple[int, str]:
    """The line and message for YAML that ruamel.yaml scans but cannot load (``CONSTRUCT_ERRORS``)."""
    if isinstance(exc, RecursionError):
        return deepest_line(text), TOO_DEEP
    line = recursive_merge_line(text)
    if line is not None:
        return line, RECURSIVE_MERGE
    return 1, f"YAML that ruamel.yaml cannot load ({type(exc).__name__}: {exc})"


def recursive_merge_line(text: str) -> int | None:
    """The line of the first merge key (``<<``) whose value contains the mapping the key is in
    (``x: &a {n: {<<: *a}}``), or ``None``.  Other recursive aliases load (as recursive data)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        root = YAML(typ="rt").compose(text)
    except (YAMLError, RecursionError):
        return None
    return merge_cycle_line(root)


def merge_cycle_line(root: Any) -> int | None:
    """:func:`recursive_merge_line` on a composed node (``YAML.compose``)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    on_path: set[int] = set()
    done: set[int] = set()
    # iterative depth-first walk: (node, whether its children have been pushed)
    todo: list[tuple[Any, bool]] = [(root, False)] if root is not None else []
    while todo:
        node, expanded = todo.pop()
        if expanded:
            on_path.discard(id(node))
            done.add(id(node))
            continue
        if id(node) in done or id(node) in on_path or not isinstance(node, (MappingNode, SequenceNode)):
            continue
        on_path.add(id(node))
        todo.append((node, True))
        if isinstance(node, SequenceNode):
            todo.extend((child, False) for child in node.value)
            continue
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                merged = value.value if isinstance(value, SequenceNode) else [value]
                if any(id(m) in on_path for m in merged):
                    return int(key.start_mark.line) + 1
            todo.append((value, False))
    return None


# -- compose structure --------------------------------------------------------------------------

@dataclass(frozen=True)
class Service:
    """One entry of ``services:``: its name, its loaded value and where its key is written."""

    name: str
    node: Any  # CommentedMap, or None for an empty ``svc:``
    line: int  # 0-based line of the key
    col: int  # 0-based column of the key
    parent: Any  # the ``services`` mapping


def services(doc: Document) -> Iterator[Service]:
    """Each service of a compose document (nothing for a legacy v1 file without ``services:``)."""
    root = doc.data
    if not isinstance(root, dict):
        return
    svcs = root.get("services")
    if not isinstance(svcs, dict):
        return
    for name in key_index(svcs)[0]:
        line, col = key_position(svcs, name)
        yield Service(str(name), svcs[name], line, col, svcs)


def compose_version(doc: Document) -> tuple[int, int] | None:
    """The legacy top-level ``version:`` as (major, minor), ``None`` when absent or unreadable."""
    if not isinstance(doc.data, dict) or "version" not in doc.data:
        return None
    m = re.match(r"\s*(\d+)(?:\.(\d+))?", str(doc.data["version"]))
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2) or 0))


# -- positions ----------------------------------------------------------------------------------

def key_position(mapping: Any, key: Key) -> tuple[int, int]:
    """0-based (line, col) of ``key`` in a loaded mapping."""
    line, col = mapping.lc.key(key)
    return int(line), int(col)


def value_position(mapping: Any, key: Key) -> tuple[int, int]:
    """0-based (line, col) where ``mapping[key]``'s value starts (anchor/tag included).

    For an empty value (``key:`` followed by nothing) ruamel reports the next token; use
    :func:`is_empty_value` first.
    """
    line, col = mapping.lc.value(key)
    return int(line), int(col)


def item_position(seq: Any, index: int) -> tuple[int, int]:
    """0-based (line, col) where item ``index`` of a loaded sequence starts (after ``- ``)."""
    line, col = seq.lc.item(index)
    return int(line), int(col)


def is_flow(node: Any, doc: Document | None = None) -> bool:
    """Whether a loaded mapping/sequence is written in flow style (``{...}`` / ``[...]``).

    ruamel.yaml does not mark an empty ``{}``/``[]`` as flow style: pass ``doc`` to look at the text.
    """
    fa = getattr(node, "fa", None)
    if fa is not None and fa.flow_style():
        return True
    if doc is not None and isinstance(node, (dict, list)) and not node and hasattr(node, "lc"):
        i = doc.offset(*_node_start(node))
        while i < len(doc.text) and doc.text[i] in "&!":  # anchor or tag first
            while i < len(doc.text) and doc.text[i] not in " \t\r\n":
                i += 1
            while i < len(doc.text) and doc.text[i] in " \t":
                i += 1
        return doc.text[i:i + 1] in ("{", "[")
    return False


_NULL_TOKEN = re.compile(r"\s*(~|null|Null|NULL)(?=\s*(#.*)?$)")


def empty_value_span(doc: Document, mapping: Any, key: Key) -> tuple[int, int] | None:
    """For ``key:`` with an empty or null value written on the key's line, the span after the colon
    that holds the null token (``(end, end)`` when nothing is written), else ``None``."""
    if mapping.get(key) is not None:
        return None
    line, col = key_position(mapping, key)
    text = doc.line(line)
    colon = _colon_after_key(text, col)
    if colon < 0:
        return None
    rest = text[colon + 1:]
    base = doc.offset(line, colon + 1)
    m = _NULL_TOKEN.match(rest)
    if m:
        return (base, base + m.end(1))
    stripped = rest.strip()
    if stripped == "" or stripped.startswith("#"):
        return (base, base)
    return None


def _colon_after_key(line: str, col: int) -> int:
    """Index of the ``:`` ending the key that starts at ``col`` (quoted keys handled)."""
    i = col
    if i < len(line) and line[i] in "'\"":
        i = _quoted_end(line, i)
    while i < len(line):
        if line[i] == ":" and (i + 1 == len(line) or line[i + 1] in " \t\r"):
            return i
        i += 1
    return -1


def _quoted_end(text: str, start: int) -> int:
    """Offset just after the quoted scalar starting at ``text[start]`` (``'`` or ``"``)."""
    q = text[start]
    i = start + 1
    while i < len(text):
        c = text[i]
        if q == '"' and c == "\\":
            i += 2
            continue
        if c == q:
            if q == "'" and i + 1 < len(text) and text[i + 1] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)


def flow_end(text: str, start: int) -> int:
    """Offset of the bracket closing the flow collection whose opening bracket is at/after ``start``."""
    i = start
    while i < len(text) and text[i] not in "[{":
        i += 1
    depth = 0
    while i < len(text):
        c = text[i]
        if c in "'\"":
            i = _quoted_end(text, i)
            continue
        if c == "#" and (i == 0 or text[i - 1] in " \t\n"):
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced flow collection")


def scalar_span(doc: Document, container: Any, key: Key) -> tuple[int, int]:
    """``(start, end)`` offsets of the scalar ``container[key]`` (a mapping key or sequence index).

    Handles plain (single or multi-line), single- and double-quoted and block (``|``/``>``) scalars;
    a tag or anchor before the value is not part of the span.  The span excludes trailing comments.
    """
    if isinstance(container, list):
        line, col = item_position(container, key)
        in_flow = is_flow(container)
    else:
        line, col = value_position(container, key)
        in_flow = is_flow(container)
    text = doc.text
    start = doc.offset(line, col)
    # skip anchors and tags written before the scalar
    while start < len(text) and text[start] in "&!":
        while start < len(text) and text[start] not in " \t\r\n":
            start += 1
        while start < len(text) and text[start] in " \t":
            start += 1
    if start >= len(text):
        return (start, start)
    c = text[start]
    if c in "'\"":
        return (start, _quoted_end(text, start))
    if c in "|>":
        return (start, _block_scalar_end(doc, line, start))
    # plain scalar: up to " #", or a flow indicator in flow context, or end of line; continuation
    # lines (more indented, not "key:" lines) are part of it in block context.
    stops = ",]}" if in_flow else ""
    end = start
    ln = line
    while True:
        line_end = doc.line_end(ln)
        i = end
        seg_end = line_end
        while i < line_end:
            ch = text[i]
            if ch == "#" and text[i - 1] in " \t":
                seg_end = i
                break
            if ch in stops:
                seg_end = i
                break
            i += 1
        end = seg_end
        while end > start and text[end - 1] in " \t":
            end -= 1
        if seg_end != line_end or in_flow or ln + 1 >= doc.line_count:
            return (start, end)
        nxt = doc.line(ln + 1)
        ind = len(nxt) - len(nxt.lstrip(" "))
        owner_col = _owner_col(doc, container, key)
        body = nxt.strip()
        if not body or body.startswith("#") or ind <= owner_col or re.match(r"^(- |-$)", body) \
                or _colon_after_key(nxt, ind) >= 0:
            return (start, end)
        ln += 1
        end = doc.offset(ln, ind)


def _owner_col(doc: Document, container: Any, key: Key) -> int:
    if isinstance(container, list):
        line, col = item_position(container, key)
        return max(0, col - 2)
    return key_position(container, key)[1]


def _block_scalar_end(doc: Document, line: int, start: int) -> int:
    """End of a block scalar's content (its last non-blank line's end)."""
    header = doc.line(line)
    key_ind = len(header) - len(header.lstrip(" "))
    last = doc.line_end(line)
    for ln in range(line + 1, doc.line_count):
        body = doc.line(ln)
        if not body.strip():
            continue
        ind = len(body) - len(body.lstrip(" "))
        if ind <= key_ind:
            break
        last = doc.line_end(ln)
    return last


# -- block bounds ---------------------------------------------------------------------------------

def block_bound(doc: Document, chain: Sequence[tuple[Any, Key]]) -> int:
    """The 0-based line where the block of the node at ``chain`` certainly ends (exclusive).

    That is the line of the next sibling key (or item) of the innermost level that has one, or the
    end of the text.
    """
    for parent, key in reversed(chain):
        if is_flow(parent):
            continue
        if isinstance(parent, list):
            if key + 1 < len(parent):
                return item_position(parent, key + 1)[0]
            continue
        keys, index = key_index(parent)
        try:
            idx = index[key] if key in index else keys.index(key)
        except TypeError:
            idx = keys.index(key)
        if idx + 1 < len(keys):
            return key_position(parent, keys[idx + 1])[0]
    return doc.line_count


def _is_comment_or_blank(text: str) -> bool:
    s = text.strip()
    return not s or s.startswith("#")


def last_owned_line(doc: Document, chain: Sequence[tuple[Any, Key]]) -> int:
    """The last line that belongs to the block of the node at ``chain`` (0-based).

    Scanning back from :func:`block_bound`, blank lines and comments not indented deeper than the
    block's key are skipped: they separate this block from what follows and stay with it.
    """
    parent, key = chain[-1]
    if isinstance(parent, list):
        first, col = item_position(parent, key)
        key_col = max(0, col - 2)
    else:
        first, key_col = key_position(parent, key)
    bound = block_bound(doc, chain)
    for ln in range(bound - 1, first, -1):
        body = doc.line(ln)
        if not body.strip():
            continue
        ind = len(body) - len(body.lstrip(" \t"))
        if body.lstrip().startswith("#") and ind <= key_col:
            continue
        if _is_document_marker(body):
            continue
        return ln
    return first


def _is_document_marker(line: str) -> bool:
    return line.rstrip() in ("---", "...") or line.startswith("--- ") or line.startswith("... ")


def child_indent(doc: Document, chain: Sequence[tuple[Any, Key]], node: Any, unit: int) -> int:
    """Column at which keys of the block mapping ``node`` (written at ``chain``) are written."""
    keys = own_keys(node) if isinstance(node, dict) else []
    if keys:
        return key_position(node, keys[0])[1]
    parent, key = chain[-1]
    first, key_col = key_position(parent, key) if isinstance(parent, dict) else (
        item_position(parent, key)[0], item_position(parent, key)[1] - 2)
    if isinstance(node, dict):  # only merge keys: the first content line after the key
        for ln in range(first + 1, block_bound(doc, chain)):
            body = doc.line(ln)
            if not _is_comment_or_blank(body):
                return len(body) - len(body.lstrip(" "))
    return key_col + unit


@lru_cache(maxsize=8)  # asked once per inserted block: measured once per text (linear scans)
def indent_unit(text: str) -> int:
    """The file's indentation step: the smallest positive indentation increase between two
    consecutive content lines (2 when nothing can be measured)."""
    steps: dict[int, int] = {}
    prev = 0
    for raw in text.splitlines():
        if _is_comment_or_blank(raw):
            continue
        ind = len(raw) - len(raw.lstrip(" "))
        body = raw.lstrip(" ")
        if ind > prev and not body.startswith("- "):
            steps[ind - prev] = steps.get(ind - prev, 0) + 1
        prev = ind
    if not steps:
        return 2
    best = max(steps.items(), key=lambda kv: (kv[1], -kv[0]))[0]
    return best if 1 <= best <= 8 else 2


@lru_cache(maxsize=8)
def quote_char(text: str) -> str:
    """The quote the file uses most for scalars (``"`` unless single quotes dominate)."""
    single = len(re.findall(r"(?:: |- |\[|, )'", text))
    double = len(re.findall(r'(?:: |- |\[|, )"', text))
    return "'" if single > double else '"'


# -- rendering ------------------------------------------------------------------------------------

class Quoted(str):
    """A string value to be written quoted (``"1.0"``), in the file's own quote character."""


class Raw(str):
    """Text written as is (a value with a tag, for example)."""


class Alias(Raw):
    """An alias ``*name`` to an anchored node whose (plain) data is ``value``."""

    value: Any

    def __new__(cls, name: str, value: Any) -> Alias:
        obj = str.__new__(cls, "*" + name)
        obj.value = value
        return obj


def format_scalar(value: Any, quote: str = '"') -> str:
    """YAML text of a scalar value, quoting only when required (or asked for with :class:`Quoted`)."""
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    s = str(value)
    if isinstance(value, Quoted) or _needs_quotes(s):
        if quote == "'" and "\n" not in s:
            return "'" + s.replace("'", "''") + "'"
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


_PLAIN_OK = re.compile(r"^[A-Za-z0-9_./$]([A-Za-z0-9_./=@+$ -]*[A-Za-z0-9_./=@+$-])?$")
_RESOLVES = re.compile(
    r"^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?"
    r"|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$"
)


def _needs_quotes(s: str) -> bool:
    return not s or not _PLAIN_OK.match(s) or bool(_RESOLVES.match(s))


def render_block(entries: Mapping[str, Any], indent: int, unit: int, newline: str, quote: str) -> list[str]:
    """Lines (no terminators) writing ``entries`` as a block mapping at column ``indent``."""
    lines: list[str] = []
    pad = " " * indent
    for key, value in entries.items():
        if isinstance(value, Mapping) and value:
            lines.append(f"{pad}{format_scalar(key, quote)}:")
            lines.extend(render_block(value, indent + unit, unit, newline, quote))
        elif isinstance(value, Mapping):
            lines.append(f"{pad}{format_scalar(key, quote)}: {{}}")
        elif isinstance(value, list):
            items = ", ".join(format_scalar(v, quote) for v in value)
            lines.append(f"{pad}{format_scalar(key, quote)}: [{items}]")
        else:
            lines.append(f"{pad}{format_scalar(key, quote)}: {format_scalar(value, quote)}")
    return lines


def render_flow(entries: Mapping[str, Any], quote: str) -> str:
    """``entries`` as the inside of a flow mapping (``a: 1, b: {c: 2}``)."""
    parts = []
    for key, value in entries.items():
        if isinstance(value, Mapping):
            parts.append(f"{format_scalar(key, quote)}: {{{render_flow(value, quote)}}}")
        elif isinstance(value, list):
            parts.append(f"{format_scalar(key, quote)}: [{', '.join(format_scalar(v, quote) for v in value)}]")
        else:
            parts.append(f"{format_scalar(key, quote)}: {format_scalar(value, quote)}")
    return ", ".join(parts)


# -- planning edits ---------------------------------------------------------------------------------

@dataclass
class Plan:
    """Edits to a text plus the data changes they are meant to make."""

    edits: list[Edit] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def extend(self, other: Plan) -> None:
        self.edits.extend(other.edits)
        self.changes.extend(other.changes)

    def apply(self, text: str) -> str:
        """The text with every edit made.  Block insertions at one offset (the end of several nested
        blocks) go deepest first, so that each lands inside the block it belongs to."""
        from seenfix.editors.text import apply_edits

        def depth(e: Edit) -> int:
            body = e.text.lstrip("\r\n")
            if e.start != e.end or body == e.text:
                return 0
            return len(body) - len(body.lstrip(" "))

        ordered = sorted(self.edits, key=lambda e: (e.start, e.end, -depth(e)))
        return apply_edits(text, (e.as_tuple() for e in ordered))


def ensure_keys(doc: Document, parent: Any, key: Key, wanted: Mapping[str, Any], *,
                unit: int | None = None, quote: str | None = None) -> Plan:
    """Plan edits so that the mapping ``parent[key]`` has every key of ``wanted`` (recursively).

    Existing keys are kept as they are; a nested mapping that exists is completed, not replaced; a
    key whose existing value is not a mapping where ``wanted`` has one is left alone.  ``parent[key]``
    may be an empty value (``svc:``/``svc: ~``), a block mapping or a flow mapping.  Where the target
    mapping is written (through an anchor or merge key) is taken from :meth:`Document.chain`.
    """
    unit = unit or indent_unit(doc.text)
    quote = quote or quote_char(doc.text)
    plan = Plan()
    node = parent[key]
    if node is None:
        _ensure_in_empty(doc, parent, key, wanted, unit, plan)
        return plan
    if not isinstance(node, dict):
        return plan
    missing: dict[str, Any] = {}
    for k, v in wanted.items():
        if k not in node:
            missing[k] = v
        elif isinstance(v, Mapping) and (isinstance(node[k], dict) or node[k] is None):
            if k in key_index(node)[1] or node[k] is None:
                plan.extend(ensure_keys(doc, node, k, v, unit=unit, quote=quote))
            else:  # merged from elsewhere: edit it where it is written
                chain = doc.chain(node[k])
                if chain:
                    holder, hkey = chain[-1]
                    plan.extend(ensure_keys(doc, holder, hkey, v, unit=unit, quote=quote))
    if not missing:
        return plan
    chain = doc.chain(node)
    if chain is None or not chain:
        return plan
    for k, v in missing.items():
        plan.changes.append(Change(node, k, _plain_value(v)))
    if is_flow(node, doc):
        start = doc.offset(*_node_start(node))
        close = flow_end(doc.text, start)
        inside = doc.text[start:close]
        pre = doc.text[:close].rstrip(" \t\r\n")
        if "#" in pre[pre.rfind("\n") + 1:]:  # a comment ends the last line: stay before the bracket
            pre = doc.text[:close].rstrip(" \t")
        sep = ", " if len(node) and inside.strip(" {\t\r\n") else ""
        if pre.endswith(","):
            sep = " "
        ins = len(pre)
        plan.edits.append(Edit(ins, ins, sep + render_flow(missing, quote)))
        return plan
    ind = child_indent(doc, chain, node, unit)
    last = last_owned_line(doc, chain)
    at = doc.line_end(last)
    lines = render_block(missing, ind, unit, doc.newline, quote)
    plan.edits.append(Edit(at, at, "".join(doc.newline + ln for ln in lines)))
    return plan


def _node_start(node: Any) -> tuple[int, int]:
    return int(node.lc.line), int(node.lc.col)


def _ensure_in_empty(doc: Document, parent: Any, key: Key, wanted: Mapping[str, Any], unit: int,
                     plan: Plan) -> None:
    """``parent[key]`` is empty (``key:``) or null (``key: ~``): write ``wanted`` as its value."""
    if doc.chain(parent) is None:
        return
    quote = quote_char(doc.text)
    line, col = key_position(parent, key)
    if is_flow(parent, doc):
        kline = doc.line(line)
        colon = _colon_after_key(kline, col)
        if colon < 0:
            colon = kline.find(":", col)
        m = re.match(r"\s*(~|null|Null|NULL)?(?=\s*[,}\]]|\s*$|\s+#)", kline[colon + 1:]) if colon >= 0 else None
        if m is None:
            return
        start = doc.offset(line, colon + 1)
        plan.edits.append(Edit(start, start + m.end(), " {" + render_flow(wanted, quote) + "}"))
    else:
        span = empty_value_span(doc, parent, key)
        if span is None:
            return
        lines = render_block(wanted, col + unit, unit, doc.newline, quote)
        start, end = span
        if start != end:  # remove the null token, keep a trailing comment
            plan.edits.append(Edit(start, end, ""))
        at = doc.line_end(line)
        plan.edits.append(Edit(at, at, "".join(doc.newline + ln for ln in lines)))
    plan.changes.append(Change(parent, key, _plain_value(wanted)))


def _plain_value(v: Any) -> Any:
    if isinstance(v, Alias):
        return _plain_value(v.value)
    if isinstance(v, Mapping):
        return {str(k): _plain_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain_value(x) for x in v]
    if isinstance(v, (Quoted, Raw)):
        return str(v)
    return v


def replace_scalar(doc: Document, container: Any, key: Key, value: Any) -> Plan:
    """Plan replacing the scalar ``container[key]`` (mapping key or sequence index) by ``value``,
    written in the old value's quote style when it had one (plain when it can be)."""
    start, end = scalar_span(doc, container, key)
    old = doc.text[start:end]
    if old[:1] in ("|", ">"):
        raise ValueError("block scalars are not replaced")
    quote = old[0] if old[:1] in ("'", '"') else quote_char(doc.text)
    text = format_scalar(Quoted(value) if old[:1] in ("'", '"') and isinstance(value, str) else value, quote)
    plan = Plan([Edit(start, end, text)], [Change(container, key, _plain_value(value))])
    return plan


def append_items(doc: Document, parent: Any, key: Key, items: Sequence[Any]) -> Plan:
    """Plan appending ``items`` to the sequence ``parent[key]`` (block or flow, not empty)."""
    seq = parent[key]
    plan = Plan()
    if not isinstance(seq, list) or not seq or not items:
        return plan
    quote = quote_char(doc.text)
    for item in items:
        plan.changes.append(Change(seq, None, _plain_value(item)))
    if is_flow(seq, doc):
        start = doc.offset(*_node_start(seq))
        close = flow_end(doc.text, start)
        ins = len(doc.text[:close].rstrip(" \t\r\n"))
        plan.edits.append(Edit(ins, ins, "".join(", " + format_scalar(i, quote) for i in items)))
        return plan
    chain = doc.chain(seq)
    if not chain:
        return Plan()
    line, col = item_position(seq, len(seq) - 1)
    prefix = doc.line(line)[:col]
    if prefix.strip() != "-":  # the last item does not start its own line: copy the first dash's
        line, col = item_position(seq, 0)
        prefix = doc.line(line)[:col]
        if prefix.strip() != "-":
            return Plan()
    last = last_owned_line(doc, chain)
    at = doc.line_end(last)
    plan.edits.append(Edit(at, at, "".join(doc.newline + prefix + format_scalar(i, quote) for i in items)))
    return plan


def insert_root_key(doc: Document, before: Key, key: str, value: Mapping[str, Any], anchor: str | None,
                    unit: int) -> Plan:
    """Plan a new top-level block ``key: &anchor`` + ``value`` just above the top-level key ``before``
    (above the comment lines attached to it, unless they head the file), followed by a blank line."""
    root = doc.data
    key_line, col = key_position(root, before)
    line = key_line
    while line > 0 and doc.line(line - 1).strip().startswith("#"):
        line -= 1
    if line == 0 or _is_document_marker(doc.line(line - 1)):
        line = key_line  # a comment heading the file stays at its top
    quote = quote_char(doc.text)
    head = " " * col + key + ":" + (f" &{anchor}" if anchor else "")
    lines = [head] + render_block(value, col + unit, unit, doc.newline, quote)
    at = doc.starts[line]
    text = "".join(ln + doc.newline for ln in lines) + doc.newline
    if line > 0 and doc.line(line - 1).strip() and not _is_document_marker(doc.line(line - 1)):
        text = doc.newline + text  # keep top-level blocks apart, as the file does
    return Plan([Edit(at, at, text)], [Change(root, key, _plain_value(value))])


# -- plain data, for verification ---------------------------------------------------------------

_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")


def _resolve_tagged(value: str) -> Any:
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value


def to_plain(node: Any, memo: dict[int, Any] | None = None) -> Any:
    """Loaded data as plain dicts/lists/str/int/float/bool/None.

    ``<<:`` merge keys are resolved (a mapping's own keys win), custom tags such as ``!reset`` and
    ``!override`` are dropped in favour of their values, keys become strings, and a node shared
    through an alias stays one shared object (``memo`` maps ``id(node)`` to its plain value).
    """
    memo = {} if memo is None else memo
    if id(node) in memo and isinstance(node, (dict, list)):
        return memo[id(node)]
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        memo[id(node)] = out
        for k, v in node.items():
            out[str(k)] = to_plain(v, memo)
        return out
    if isinstance(node, list):
        lst: list[Any] = []
        memo[id(node)] = lst
        lst.extend(to_plain(v, memo) for v in node)
        return lst
    cls = type(node).__name__
    if cls == "TaggedScalar":
        return _resolve_tagged(str(node.value))
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return str(node)


def apply_changes(plain_root: Any, memo: Mapping[int, Any], changes: Sequence[Change]) -> None:
    """Apply intended :class:`Change` values to plain data made by :func:`to_plain` (same ``memo``)."""
    import copy

    for ch in changes:
        target = memo.get(id(ch.container))
        if target is None:
            raise KeyError("change to a node that is not part of the document")
        if isinstance(target, list) and ch.key is None:
            target.append(copy.deepcopy(ch.value))
        elif ch.value is DELETE:
            del target[ch.key]
        else:
            target[ch.key] = copy.deepcopy(ch.value)


def expected_after(doc: Document, changes: Sequence[Change]) -> Any:
    """The plain data the document must load to once ``changes`` are made."""
    memo: dict[int, Any] = {}
    plain = to_plain(doc.data, memo)
    apply_changes(plain, memo, changes)
    # merged keys copied into other mappings are plain copies: re-derive them from the edited nodes
    return plain


def compare(expected: Any, actual: Any, where: str = "") -> str | None:
    """First difference between two plain data trees as a short reason, or ``None``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in expected:
            if k not in actual:
                return f"{where}/{k} missing"
        for k in actual:
            if k not in expected:
                return f"{where}/{k} unexpected"
            r = compare(expected[k], actual[k], f"{where}/{k}")
            if r:
                return r
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{where} has {len(actual)} items, expected {len(expected)}"
        for i, (a, b) in enumerate(zip(expected, actual)):
            r = compare(a, b, f"{where}/{i}")
            if r:
                return r
        return None
    if expected != actual or type(expected) is not type(actual):
        return f"{where or '/'} is {actual!r}, expected {expected!r}"
    return None
