"""The fast path for reading YAML: libyaml's parser (``ruamel.yaml.clib``), when it reads a text
exactly as ruamel.yaml's own round-trip parser would.

ruamel.yaml's round-trip parser is pure Python and keeps comments; seenfix reads comments from the
text itself (suppressions, insertion points) and takes only positions from the parser, so the node
tree (every node's line, column and offset) is all it needs.  libyaml composes that tree in C,
6-8 times faster; ruamel.yaml's round-trip constructor then builds the same data from it (the same
``CommentedMap`` and ``CommentedSeq`` classes, positions, flow styles and merge keys).

The two parsers differ at the edges, so the fast path answers only when the result is certainly
the same, and :func:`load` / :func:`compose_node` return :data:`PURE` ("use the round-trip
parser") for:

- any error, whatever it is (libyaml 0.1.7 rejects some YAML 1.2 that ruamel.yaml accepts, and the
  round-trip parser's own message, with its line, is the one seenfix reports);
- a ``%`` directive (``%YAML 1.1`` changes how ruamel.yaml resolves scalars; libyaml ignores it),
  a line break other than LF and CRLF, a tab, a byte order mark or a complex key (``? key``):
  libyaml accepts tabs where ruamel.yaml does not, counts a BOM's column differently and starts a
  complex key's mapping elsewhere;
- an explicit tag (``!!str 5``, ``!reset``): ruamel.yaml keeps them as ``Tag`` objects and tagged
  scalars, libyaml as plain strings;
- nesting deeper than :data:`MAX_DEPTH` (libyaml's composer would crash on very deep nesting);
- an empty value followed by a comment, an empty key, sequence item or flow value (the two parsers
  place them at different tokens; an empty block value is moved to where ruamel.yaml puts it);
- ``ruamel.yaml.clib`` not installed (or ``SEENFIX_PURE_YAML=1``): everything still works, slower.

Offsets and columns are in characters in both (a test compares both paths on every YAML file of the
fixtures and the shared corpus, node by node, and the findings of every fixer).
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

#: a directive line (``%YAML``, ``%TAG``) starts at column 0; libyaml 0.1.7 and ruamel.yaml do not
#: agree on the line breaks of YAML 1.1 (NEL, LS, PS), a lone CR, a byte order mark inside the
#: text (its width), where a tab may stand nor where a complex key (``? key``) starts
_OTHER_READING = re.compile(r"^%|[\t\x85\u2028\u2029\ufeff]|\r(?!\n)|\?(?:[ \r\n]|\Z)", re.MULTILINE)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a parser builds a tree: it would walk the growing tree
    again and again (a third of the time of loading a large file); what the parse leaves for it is
    collected afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@lru_cache(maxsize=1)
def loader_class() -> Any:
    """The C loader class (libyaml's parser and composer, ruamel.yaml's round-trip constructor and
    YAML 1.2 resolver), or ``None`` when ``ruamel.yaml.clib`` is not installed or is turned off."""
    if os.environ.get("SEENFIX_PURE_YAML"):
        return None
    try:
        from _ruamel_yaml import CParser
    except ImportError:
        return None
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.resolver import VersionedResolver

    class CRoundTripLoader(CParser, RoundTripConstructor, VersionedResolver):  # type: ignore[misc]
        comment_handling = None  # read by the constructor: comments as ruamel.yaml < 0.19 kept them
        processing_version = (1, 2)  # no directive (see compose): the round-trip parser's default

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            RoundTripConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = False
            VersionedResolver.__init__(self, version=None, loadumper=self)

    return CRoundTripLoader


def available() -> bool:
    """Whether the fast path is installed and on."""
    return loader_class() is not None


def compose(text: str) -> tuple[Any, Any] | None:
    """``(loader, root node)`` composed by libyaml, or ``None`` when the round-trip parser must read
    ``text`` (see the module's docstring).  The caller disposes of the loader."""
    cls = loader_class()
    if cls is None or _OTHER_READING.search(text) or not _shallow(text):
        return None
    try:
        loader = cls(text)
    except Exception:  # noqa: BLE001
        return None
    try:
        root = loader.get_single_node()
        if root is None or _same_as_round_trip(root, text):
            return loader, root
    except Exception:  # noqa: BLE001 - any doubt: the round-trip parser decides, and words its error
        pass
    loader.dispose()
    return None


#: libyaml's composer recurses in C once per level of nesting, unchecked (100,000 levels crash the
#: process), and the round-trip parser refuses deep nesting (``RecursionError``) at a depth that
#: depends on the caller's stack: deeper than this, the round-trip parser decides.  Nobody writes
#: 100 levels by hand (:func:`seenfix.core.model.deepest_line` uses the same bound).
MAX_DEPTH = 100


def _shallow(text: str) -> bool:
    """The text nests at most :data:`MAX_DEPTH` collections deep.  A cheap bound first: a block
    collection nested in another starts further right (a mapping's sequence may share its column),
    so blocks nest at most twice per column, and flow collections at most once per bracket;
    past that bound, libyaml's parser (iterative, no recursion) counts the open collections."""
    from _ruamel_yaml import CParser
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    longest = max(map(len, text.split("\n")), default=0)
    if 2 * (longest + 1) + text.count("[") + text.count("{") <= MAX_DEPTH:
        return True
    depth = 0
    try:
        parser = CParser(text)
    except Exception:  # noqa: BLE001 - not even readable by libyaml (a lone surrogate)
        return False
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return False
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except Exception:  # noqa: BLE001 - libyaml cannot parse it: the round-trip parser will say why
        return False
    finally:
        parser.dispose()
    return True


def compose_node(text: str) -> Any:
    """The root node (``None`` for an empty document), or :data:`PURE` when the round-trip parser
    must compose ``text``."""
    got = compose(text)
    if got is None:
        return PURE
    loader, root = got
    loader.dispose()
    return root


def load(text: str) -> Any:
    """The round-trip data of ``text`` built from libyaml's nodes, or :data:`PURE` when the
    round-trip parser must load it (an error included: its message is the one reported)."""
    got = compose(text)
    if got is None:
        return PURE
    loader, root = got
    try:
        return None if root is None else loader.construct_document(root)
    except Exception:  # noqa: BLE001 - a duplicate key and the like: reported by the round-trip parser
        return PURE
    finally:
        loader.dispose()


class _Pure:
    def __repr__(self) -> str:
        return "PURE"


#: "the round-trip parser must do it" (``None`` is an empty document)
PURE: Any = _Pure()


#: what a node is to its parent, for :func:`_same_as_round_trip`
_ROOT, _KEY, _BLOCK_VALUE, _OTHER = range(4)


def _same_as_round_trip(root: Any, text: str) -> bool:
    """Make libyaml's tree what the round-trip parser would have built, or say it cannot (False).

    - An explicit tag (a node starting with ``!``, or ``&anchor !tag``): False.
    - An anchored node gets its anchor's name (libyaml's composer drops it; ruamel.yaml keeps it on
      the data: an anchored scalar loads as a ``PlainScalarString``) and a mark that holds the
      text, as the round-trip parser's marks do, so that readers can step over the anchor
      (``KEY: &pw value``).
    - An empty value (``key:`` with nothing after it): libyaml places it just after the colon, the
      round-trip parser at the next token (the next key, the end of the block or of the text),
      except when a comment follows the colon, where it depends on which token ruamel.yaml hangs the
      comment on: such a value, and an empty key or an empty value in a flow collection, is False.

    Collections' end marks may still differ (libyaml ends a block where the next token starts,
    ruamel.yaml after the comments that follow it); seenfix reads none.
    """
    from ruamel.yaml.error import StringMark
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    seen: set[int] = set()
    todo: list[tuple[Any, int]] = [(root, _ROOT)]
    n = len(text)
    while todo:
        node, role = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        mark = node.start_mark
        i = mark.index
        if isinstance(node, MappingNode):
            value_role = _OTHER if node.flow_style else _BLOCK_VALUE
            for key, value in node.value:
                todo.append((key, _KEY))
                todo.append((value, value_role))
        elif isinstance(node, SequenceNode):
            todo.extend((item, _OTHER) for item in node.value)
        elif node.value == "" and not node.style and (i >= n or text[i] != "&"):  # an empty value
            if role == _BLOCK_VALUE:
                line, col = mark.line, mark.column
                while i < n and text[i] in " \r\n":  # no tab nor lone CR (_OTHER_READING)
                    line, col = (line + 1, 0) if text[i] == "\n" else (line, col + 1)
                    i += 1
                if i < n and text[i] == "#":
                    return False
                if i != mark.index:
                    node.start_mark = node.end_mark = StringMark(None, i, line, col, text, i)
                continue
            if role != _ROOT:  # an empty key, sequence item or flow value: not worth reading
                return False
        if i < n and text[i] in "!&":
            if text[i] == "!":
                return False
            while i < n and text[i] not in " \t\r\n,[]{}":
                i += 1
            node.anchor = text[mark.index + 1:i]
            while i < n and text[i] in " \t\r\n":
                i += 1
            if i < n and text[i] in "!#":  # a tag, or a comment before it: not worth reading
                return False
            node.start_mark = StringMark(None, mark.index, mark.line, mark.column, text, mark.index)
    return True
