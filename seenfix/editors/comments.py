"""Suppression comments in each format's own comment syntax, and where they reach.

Two comment families, chosen by file name:

* ``#`` files (compose and other YAML, nginx, Python, ``.env``, shell, TOML...)::

      # seenfix: ignore[SF011]          on the line, or alone on the line above it
      # seenfix: ignore[SF011, SF012]   several codes
      # seenfix: ignore                 every code
      # seenfix: ignore-file[SF010]     the whole file (anywhere in it)

* ``//`` files (TypeScript, JavaScript)::

      // seenfix-ignore SF010            (also /* seenfix-ignore SF010 */)
      // seenfix-ignore SF010, SF001
      // seenfix-ignore
      // seenfix-ignore-file SF010

A trailing comment covers its own line; a comment alone on its line covers the next line that is
not blank or a comment.  When the covered line opens a block (a YAML key or Python statement with
more-indented lines under it, an nginx or TS/JS ``{``), the whole block is covered: a comment above
a compose service or an nginx ``server``/``location`` covers every finding inside it.

This module only reads and renders comments; the engine (``seenfix.engine.suppress``) decides what
they suppress, and only the engine writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seenfix.core.project import ENV_NAME, NGINX_NAME

#: Suffixes of the ``//`` family.
SLASH_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
#: Files whose blocks are made by indentation.
_INDENT_SUFFIXES = (".yml", ".yaml", ".py", ".pyi")

_CODE = re.compile(r"\b[A-Z]{1,4}\d{3,4}\b")
_HASH = re.compile(r"(?:^|(?<=\s))#\s*seenfix:\s*(?P<kind>ignore-file|ignore)(?![\w-])(?:\[(?P<codes>[^\]]*)\])?")
_SLASH = re.compile(r"(?://|/\*)\s*seenfix-(?P<kind>ignore-file|ignore)(?![\w-])(?P<codes>[^\n]*)")


@dataclass(frozen=True)
class Syntax:
    """How one file writes comments: ``leader`` (``#`` or ``//``) and how blocks are delimited
    (``indent``, ``brace`` or ``line``)."""

    leader: str
    blocks: str

    def render(self, codes: list[str], file_level: bool = False) -> str:
        """The suppression comment for ``codes``."""
        if self.leader == "//":
            return f"// seenfix-ignore{'-file' if file_level else ''} {', '.join(codes)}"
        return f"# seenfix: ignore{'-file' if file_level else ''}[{', '.join(codes)}]"


def syntax_for(path: str) -> Syntax:
    """The comment syntax of ``path`` (by name; ``#`` with line scope when nothing more is known)."""
    lower = path.lower()
    if lower.endswith(SLASH_SUFFIXES):
        return Syntax("//", "brace")
    if lower.endswith(_INDENT_SUFFIXES):
        return Syntax("#", "indent")
    if ENV_NAME.search(path):
        return Syntax("#", "line")
    if NGINX_NAME.search(path):
        return Syntax("#", "brace")
    return Syntax("#", "line")


@dataclass(frozen=True)
class Directive:
    """One suppression comment: at ``line`` (1-based), for ``codes`` (empty: every code), covering
    the lines ``first..last`` (the whole file for ``file_level``)."""

    path: str
    line: int
    column: int
    codes: tuple[str, ...]
    first: int
    last: int
    file_level: bool

    def covers(self, code: str, line: int) -> bool:
        if self.codes and code not in self.codes:
            return False
        return self.file_level or self.first <= line <= self.last


def directives(path: str, text: str) -> list[Directive]:
    """Every suppression comment of ``text`` with the lines it covers."""
    if "seenfix" not in text:
        return []
    syntax = syntax_for(path)
    pattern = _SLASH if syntax.leader == "//" else _HASH
    lines = text.splitlines()
    out: list[Directive] = []
    for index, line in enumerate(lines):
        if "seenfix" not in line:
            continue
        m = pattern.search(line)
        if m is None:
            continue
        codes = tuple(dict.fromkeys(_CODE.findall((m.group("codes") or "").split("--", 1)[0])))
        number = index + 1
        if m.group("kind") == "ignore-file":
            out.append(Directive(path, number, m.start() + 1, codes, 1, len(lines), True))
            continue
        alone = not line[:m.start()].strip()
        target: int | None = number
        if alone:  # the next line that is not blank or a comment
            target = _next_code_line(lines, index + 1, syntax.leader)
        if target is None:
            continue
        last = _block_end(lines, target - 1, syntax) + 1
        out.append(Directive(path, number, m.start() + 1, codes, number, last, False))
    return out


def _is_comment(line: str, leader: str) -> bool:
    s = line.lstrip()
    return s.startswith(leader) or (leader == "//" and s.startswith(("/*", "*")))


def _next_code_line(lines: list[str], start: int, leader: str) -> int | None:
    for i in range(start, len(lines)):
        if lines[i].strip() and not _is_comment(lines[i], leader):
            return i + 1
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _block_end(lines: list[str], index: int, syntax: Syntax) -> int:
    """The index of the last line of the block that line ``index`` opens (itself if none)."""
    if syntax.blocks == "indent":
        own = _indent(lines[index])
        end = index
        for i in range(index + 1, len(lines)):
            line = lines[i]
            if not line.strip() or _is_comment(line, syntax.leader):
                continue
            if _indent(line) <= own:
                break
            end = i
        return end
    if syntax.blocks == "brace":
        depth = 0
        opened = False
        for i in range(index, len(lines)):
            for ch in _code_part(lines[i], syntax.leader):
                if ch == "{":
                    depth += 1
                    opened = True
                elif ch == "}":
                    depth -= 1
            if not opened or depth <= 0:
                return i if opened or i == index else index
        return len(lines) - 1
    return index


def _code_part(line: str, leader: str) -> str:
    """``line`` without its comment and quoted strings (enough to count braces)."""
    out = []
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif line.startswith(leader, i) and (leader != "#" or i == 0 or line[i - 1].isspace()):
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out)


# -- adding suppressions ----------------------------------------------------------------------------
def add_codes(path: str, text: str, line: int, codes: list[str]) -> str:
    """``text`` with a suppression of ``codes`` for ``line``: merged into a suppression comment that
    already ends the line, else appended to the line (a ``.env`` file gets its own line above, since
    some env readers keep a trailing comment in the value)."""
    syntax = syntax_for(path)
    lines = text.splitlines(keepends=True)
    index = line - 1
    if not 0 <= index < len(lines):
        return text
    body = lines[index].rstrip("\r\n")
    ending = lines[index][len(body):]
    pattern = _SLASH if syntax.leader == "//" else _HASH
    m = pattern.search(body)
    if m is not None and m.group("kind") == "ignore" and body[:m.start()].strip():
        have = _CODE.findall(m.group("codes") or "")
        if not have and m.group("codes") is None:
            return text  # a bare suppression already covers every code
        merged = sorted(set(have) | set(codes))
        lines[index] = body[:m.start()] + syntax.render(merged) + ending
        return "".join(lines)
    if ENV_NAME.search(path) and not _is_comment(body, "#"):
        return add_codes_above(path, text, line, codes)
    lines[index] = body + ("  " if body.strip() else "") + syntax.render(sorted(codes)) + ending
    return "".join(lines)


def add_codes_above(path: str, text: str, line: int, codes: list[str]) -> str:
    """``text`` with a suppression comment of ``codes`` alone on a new line above ``line``, indented
    as that line."""
    from seenfix.editors.text import detect_newline

    syntax = syntax_for(path)
    lines = text.splitlines(keepends=True)
    index = line - 1
    if not 0 <= index < len(lines):
        return text
    target = lines[index]
    indent = target[:_indent(target)]
    lines.insert(index, indent + syntax.render(sorted(codes)) + detect_newline(text))
    return "".join(lines)


def same_meaning(path: str, before: str, after: str) -> bool:
    """Whether ``after`` means what ``before`` means, comments aside (for added suppressions: a
    comment must never land inside a string, a YAML block scalar or a heredoc).  Only formats this
    can tell are accepted; for others, ``after`` must differ from ``before`` only in comment lines or
    in what follows a comment leader on a comment line."""
    lower = path.lower()
    try:
        if lower.endswith((".yml", ".yaml")):
            from ruamel.yaml import YAML

            yaml = YAML(typ="safe", pure=True)
            return list(yaml.load_all(before)) == list(yaml.load_all(after))
        if lower.endswith((".py", ".pyi")):
            import ast

            return ast.dump(ast.parse(before)) == ast.dump(ast.parse(after))
        if lower.endswith(SLASH_SUFFIXES):
            return _ts_tokens(path, before) == _ts_tokens(path, after)
        if ENV_NAME.search(path):
            from seenfix.editors.dotenv import parse

            a, b = parse(before), parse(after)
            return [(e.key, e.value) for e in a.entries] == [(e.key, e.value) for e in b.entries] \
                and not b.malformed
        if NGINX_NAME.search(path):
            return _nginx_tokens(before) == _nginx_tokens(after)
    except Exception:  # noqa: BLE001 - a text that no longer parses does not mean the same
        return False
    return _comment_stripped(before) == _comment_stripped(after)


def _ts_tokens(path: str, text: str) -> list[bytes]:
    from seenfix.editors.typescript import parse_source

    tree, src = parse_source(text.encode("utf-8"), path if path.lower().endswith((".ts", ".tsx")) else path + ".ts")
    out: list[bytes] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            continue
        if node.child_count == 0:
            out.append(src[node.start_byte:node.end_byte])
        stack.extend(reversed(node.children))
    return out


def _nginx_tokens(text: str) -> list[tuple[str, bool]]:
    import io

    from crossplane.lexer import _lex_file_object

    return [(tok, quoted) for tok, _line, quoted in _lex_file_object(io.StringIO(text))
            if quoted or not tok.startswith("#")]


def _comment_stripped(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        out.append(line)
    return out
