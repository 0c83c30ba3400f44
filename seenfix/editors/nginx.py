"""Round-trip editing of nginx configuration files.

nginx files are edited as text: a small tokenizer that follows nginx's own lexer
(``ngx_conf_read_token``) finds every directive and block with its byte offsets, and edits are
insertions at those offsets, in the file's own indentation and line endings.  Nothing is ever
re-serialised, so comments, blank lines, one-line blocks and envsubst templates (``${VAR}``) stay
exactly as they were.  (crossplane parses nginx well but reports start lines only and its ``build``
rewrites a large share of lines, so it is only used by tests, as a cross-check of this parser.)

Unbalanced braces, an unterminated quoted string or a directive without its ``;`` raise
:class:`seenfix.core.model.InputError`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from seenfix.editors.text import detect_newline, line_starts, offset_to_line
from seenfix.core.model import InputError

Edit = tuple[int, int, str]


@dataclass(frozen=True)
class Token:
    """One word or quoted string.  ``raw`` is the text as written (quotes kept)."""

    raw: str
    start: int
    end: int

    @property
    def value(self) -> str:
        """The word with its quotes removed (escapes are kept as written)."""
        if len(self.raw) >= 2 and self.raw[0] == self.raw[-1] and self.raw[0] in "\"'":
            return self.raw[1:-1]
        return self.raw


@dataclass
class Node:
    """A directive (``name args;``) or a block (``name args { ... }``).

    ``start`` is the offset of the name, ``end`` the offset just past ``;`` or the closing ``}``.
    For a block, ``open``/``close`` are the offsets of its braces and ``children`` its directives.
    """

    name: str
    args: list[Token]
    start: int
    end: int
    line: int
    open: int = -1
    close: int = -1
    children: list[Node] | None = None
    parent: Node | None = field(default=None, repr=False)

    @property
    def is_block(self) -> bool:
        return self.children is not None

    def arg_values(self) -> list[str]:
        return [a.value for a in self.args]

    def find(self, name: str) -> list[Node]:
        """Direct children called ``name``."""
        return [c for c in self.children or () if c.name == name]

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


@dataclass
class Config:
    """A parsed file: its text, the top-level pseudo block and the comments' offsets."""

    path: str
    text: str
    root: Node
    comments: list[tuple[int, int]]
    _starts: list[int] = field(default_factory=list, repr=False)

    @property
    def newline(self) -> str:
        return detect_newline(self.text)

    def line_of(self, offset: int) -> int:
        if not self._starts:
            self._starts = line_starts(self.text)
        return offset_to_line(self._starts, offset)

    def walk(self, node: Node | None = None) -> Iterator[Node]:
        """Every node below ``node`` (default: the root), depth first, in file order; without
        recursion, so that blocks nested thousands deep are walked too."""
        todo = list(reversed((node or self.root).children or ()))
        while todo:
            child = todo.pop()
            yield child
            if child.children:
                todo.extend(reversed(child.children))

    # -- layout ---------------------------------------------------------------------------------
    def line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def line_end(self, offset: int) -> int:
        """Offset of the line's ``\\n`` (or ``\\r\\n``), or the end of the text."""
        i = self.text.find("\n", offset)
        if i == -1:
            return len(self.text)
        return i - 1 if i > 0 and self.text[i - 1] == "\r" else i

    def indent_at(self, offset: int) -> str:
        start = self.line_start(offset)
        i = start
        while i < len(self.text) and self.text[i] in " \t":
            i += 1
        return self.text[start:i]

    def starts_line(self, offset: int) -> bool:
        return not self.text[self.line_start(offset):offset].strip()

    def indent_unit(self) -> str:
        """The file's indentation step: the smallest indentation of a nested directive."""
        best: str | None = None
        for node in self.walk():
            if node.parent is not self.root and node.parent is not None and self.starts_line(node.start):
                ind = self.indent_at(node.start)
                outer = self.indent_at(node.parent.start)
                if ind.startswith(outer) and len(ind) > len(outer):
                    step = ind[len(outer):]
                    if best is None or len(step) < len(best):
                        best = step
        return best or "    "

    def child_indent(self, block: Node) -> str:
        """The indentation a new directive inside ``block`` should get."""
        for child in block.children or ():
            if self.starts_line(child.start):
                return self.indent_at(child.start)
        if block is self.root:
            return ""
        return self.indent_at(block.start) + self.indent_unit()

    def is_one_line(self, block: Node) -> bool:
        return block is not self.root and self.line_of(block.open) == self.line_of(block.close)

    def rest_of_line_is_blank(self, offset: int) -> bool:
        """True when only whitespace or a comment follows ``offset`` on its line."""
        rest = self.text[offset:self.line_end(offset)]
        stripped = rest.lstrip(" \t")
        return not stripped or stripped.startswith("#")

    # -- edits ----------------------------------------------------------------------------------
    def insert_lines(self, block: Node, after: Node | None, lines: list[str]) -> Edit:
        """An edit adding ``lines`` (directives without indentation) to ``block``.

        They go after ``after`` (a child of ``block``), or first in the block when ``after`` is
        ``None``.  In a multi-line block each gets its own line, indented like its siblings, after
        the anchor's line (so a comment on that line stays put); in a one-line block, or when
        another directive follows on the anchor's line, they are inserted inline.
        """
        nl = self.newline
        if block is self.root and after is None:
            return (0, 0, "".join(line + nl for line in lines))
        anchor = after.end if after is not None else block.open + 1
        if not self.is_one_line(block) and self.rest_of_line_is_blank(anchor):
            eol, ind = self.line_end(anchor), self.child_indent(block)
            if eol == len(self.text):  # last line of the file, no final newline
                return (eol, eol, "".join(nl + ind + line for line in lines))
            pos = eol + (2 if self.text.startswith("\r\n", eol) else 1)
            return (pos, pos, "".join(ind + line + nl for line in lines))
        return (anchor, anchor, "".join(" " + line for line in lines))

    def append_arg(self, node: Node, word: str) -> Edit:
        """An in-place edit adding ``word`` as the last argument of ``node`` (before its ``;``)."""
        last = node.args[-1].end if node.args else node.start + len(node.name)
        return (last, last, " " + word)


def parse(text: str, path: str = "<nginx>") -> Config:
    """Parse ``text``; raise :class:`InputError` on unbalanced braces or unterminated input."""
    starts = line_starts(text)
    root = Node("", [], 0, len(text), 1, children=[])
    comments: list[tuple[int, int]] = []
    stack: list[Node] = [root]
    words: list[Token] = []
    n = len(text)
    i = 0

    def line(offset: int) -> int:
        return offset_to_line(starts, offset)

    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == "#":
            j = text.find("\n", i)
            j = n if j == -1 else j
            if j > i and text[j - 1] == "\r":
                j -= 1
            comments.append((i, j))
            i = j
            continue
        if ch == ";":
            if not words:
                raise InputError(path, line(i), "unexpected \";\"")
            node = Node(words[0].raw, words[1:], words[0].start, i + 1, line(words[0].start),
                        parent=stack[-1])
            assert stack[-1].children is not None
            stack[-1].children.append(node)
            words = []
            i += 1
            continue
        if ch == "{":
            if not words:
                raise InputError(path, line(i), "unexpected \"{\"")
            node = Node(words[0].raw, words[1:], words[0].start, -1, line(words[0].start),
                        open=i, children=[], parent=stack[-1])
            assert stack[-1].children is not None
            stack[-1].children.append(node)
            stack.append(node)
            words = []
            i += 1
            continue
        if ch == "}":
            if words:
                raise InputError(path, line(words[0].start),
                                 f"directive \"{words[0].raw}\" is not terminated by \";\"")
            if len(stack) == 1:
                raise InputError(path, line(i), "unexpected \"}\" (unbalanced braces)")
            block = stack.pop()
            block.close = i
            block.end = i + 1
            i += 1
            continue
        if ch in "\"'":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise InputError(path, line(i), "unterminated quoted string")
            words.append(Token(text[i:j + 1], i, j + 1))
            i = j + 1
            continue
        # a word: ends at whitespace, ";" or "{" (but "${" belongs to the word, as in nginx)
        j = i
        while j < n:
            c = text[j]
            if c == "\\" and j + 1 < n:
                j += 2
                continue
            if c in " \t\r\n;":
                break
            if c == "{" and not (j > i and text[j - 1] == "$"):
                break
            j += 1
        words.append(Token(text[i:j], i, j))
        i = j
    if words:
        raise InputError(path, line(words[0].start), f"directive \"{words[0].raw}\" is not terminated by \";\"")
    if len(stack) > 1:
        raise InputError(path, stack[-1].line, f"\"{stack[-1].name}\" block is never closed (unbalanced braces)")
    return Config(path, text, root, comments, starts)


def tokens(cfg: Config, node: Node | None = None) -> Iterator[str]:
    """The file as a flat stream of words, braces and semicolons, comments included, in order
    (a stack, not recursion, as :meth:`Config.walk`)."""
    todo: list[Node | str] = list(reversed((node or cfg.root).children or ()))
    while todo:
        child = todo.pop()
        if isinstance(child, str):  # a block's closing brace
            yield child
            continue
        yield child.name
        yield from (a.raw for a in child.args)
        if child.children is None:
            yield ";"
        else:
            yield "{"
            todo.append("}")
            todo.extend(reversed(child.children))


def only_insertions(before: str, after: str, path: str = "<nginx>",
                    renames: Mapping[str, str] | None = None) -> str | None:
    """``None`` when ``after`` keeps every directive and comment of ``before`` in order (it may add
    whole directives, and words to a directive's end; a word of ``renames`` may become its value),
    else a one-line reason."""
    renamed = renames or {}
    old_cfg, new_cfg = parse(before, path), parse(after, path)
    for what, old, new in (
        ("directive", list(tokens(old_cfg)), list(tokens(new_cfg))),
        ("comment", [before[a:b] for a, b in old_cfg.comments], [after[a:b] for a, b in new_cfg.comments]),
    ):
        rest = iter(new)
        for item in old:
            if not any(item == candidate or renamed.get(item) == candidate for candidate in rest):
                return f"the {what} text {item!r} is gone or out of order"
    return None


# -- nginx semantics shared by the nginx fixers -------------------------------------------------

def file_context(cfg: Config) -> str:
    """The context the file's top level belongs to: ``main``, ``http`` or ``server``."""
    names = {c.name for c in cfg.root.children or ()}
    if names & {"http", "events", "stream", "mail", "worker_processes", "user", "pid", "load_module"}:
        return "main"
    if names & {"server", "upstream", "map", "geo", "split_clients", "limit_req_zone",
                "proxy_cache_path", "log_format", "types", "include"} and not names & {
                "location", "listen", "server_name", "root"}:
        return "http"
    return "server"


def http_servers(cfg: Config) -> list[Node]:
    """``server`` blocks that serve HTTP (not those of ``stream``/``mail``, nor ``upstream`` lines)."""
    ctx = file_context(cfg)
    out: list[Node] = []
    for node in cfg.walk():
        if node.name != "server" or not node.is_block:
            continue
        parent = node.parent
        if parent is cfg.root and ctx == "http" or parent is not None and parent.name == "http":
            out.append(node)
    return out


def listens_tls(server: Node) -> bool:
    """A server that accepts TLS: ``listen ... ssl`` (or ``quic``), or the old ``ssl on``."""
    for d in server.find("listen"):
        if {"ssl", "quic"} & set(d.arg_values()):
            return True
    return any(d.arg_values()[:1] == ["on"] for d in server.find("ssl"))


Resolver = Callable[[str], "Config | None"]


def directives(block: Node, name: str, resolve: Resolver | None = None, _depth: int = 0) -> list[Node]:
    """The ``name`` directives that belong to ``block`` itself, also through resolvable includes."""
    out: list[Node] = []
    for child in block.children or ():
        if child.name == name and child.args:
            out.append(child)
        elif child.name == "include" and child.args and resolve is not None and _depth < 4:
            inc = resolve(child.args[0].value)
            if inc is not None:
                out.extend(directives(inc.root, name, resolve, _depth + 1))
    return out


def header_directives(block: Node, resolve: Resolver | None = None) -> list[Node]:
    """The ``add_header`` directives of ``block`` itself (the ones its children may inherit)."""
    return directives(block, "add_header", resolve)


def include_resolver(named: Callable[[str], Sequence[str]], read: Callable[[str], str | None],
                     path: str) -> Resolver:
    """Resolve an ``include`` argument of ``path`` to a parsed project file, or ``None``.

    Absolute paths under the usual nginx prefixes (``/etc/nginx/``...) and paths relative to the
    including file are matched against the project's files (``/``-separated, relative), the first in
    order that matches; ``named(name)`` gives the project's files whose last part is ``name``, in
    order (:meth:`~seenfix.core.project.Project.files_named`: every file that can match has the
    target's last part).  Globs and variables are not resolved, and a snippet that does not parse
    counts as unresolved.
    """
    def resolve(target: str) -> Config | None:
        if any(c in target for c in "*?[$"):
            return None
        rel = re.sub(r"^/(etc/nginx|usr/local/nginx/conf|usr/local/openresty/nginx/conf)/", "", target).lstrip("/")
        here = posixpath.normpath(posixpath.join(posixpath.dirname(path), rel))
        candidates = sorted({*named(posixpath.basename(here)), *named(posixpath.basename(rel))})
        match = next((f for f in candidates if f in (here, rel) or "/" in rel and f.endswith("/" + rel)), None)
        text = read(match) if match is not None and match != path else None
        if match is None or text is None:
            return None
        try:
            return parse(text, match)
        except InputError:
            return None

    return resolve


def header_name(node: Node) -> str:
    return node.args[0].value.lower() if node.args else ""


def has_always(node: Node) -> bool:
    return len(node.args) >= 3 and node.args[-1].value == "always"


def last_before_blocks(block: Node) -> Node | None:
    """The last plain directive of ``block`` before its first nested block (an insertion anchor)."""
    anchor: Node | None = None
    for child in block.children or ():
        if child.is_block:
            break
        anchor = child
    return anchor


def quote(value: str, force: bool = False) -> str:
    """``value`` as one nginx word: quoted with ``"`` when asked or when it holds specials."""
    if value and not force and not any(c in value for c in " \t;{}#\"'\\"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
