"""The environment variables compose files read: interpolation ``${VAR}``, ``${VAR:-default}``,
``${VAR-default}``, ``${VAR:?msg}``, ``${VAR?msg}``, ``$VAR`` (``$$`` is an escape), outside YAML
comments; ``environment`` entries without a value (passed through from the host); ``environment``
entries with a value are recorded as *provided* (the code reading them gets them from compose, not
from the env file).  A line scanner: it reads what a YAML loader would refuse too.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from seenfix.analysis.envvars import NAME, Read

_KEY = re.compile(r"""^(?P<dash>-\s+)?(?P<key>"[^"]*"|'[^']*'|[^\s#'"{\[][^#]*?)\s*:(?:\s+|$)""")
_BLOCK = re.compile(r"[|>][+-]?[0-9]?[+-]?\s*$")


def _strip_comment(line: str, quote: str | None) -> tuple[str, str | None]:
    """The line without its YAML comment, and the quote still open at its end (flow scalars)."""
    i = 0
    prev = ""  # last non-space character before i
    while i < len(line):
        ch = line[i]
        if quote is not None:
            if quote == '"' and ch == "\\":
                i += 2
                continue
            if ch == quote:
                if quote == "'" and line[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                quote = None
        elif ch in "'\"" and prev in ("", ":", "-", "[", "{", ",", "?"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], None
        if not ch.isspace():
            prev = ch
        i += 1
    return line, quote


def interpolations(text: str) -> Iterator[tuple[int, str, str | None, str]]:
    """``(offset, name, default-or-None, operator)`` for each compose interpolation in ``text``
    (:func:`seenfix.editors.yaml_env.scan_interpolations`, nested ones included).

    ``operator`` is ``""`` (``${VAR}`` / ``$VAR``), ``":-"``, ``"-"``, ``":?"``, ``"?"``, ``":+"`` or ``"+"``.
    """
    from seenfix.editors.yaml_env import scan_interpolations

    for ref in scan_interpolations(text):
        yield ref.start, ref.name, ref.arg if ref.op in (":-", "-") and ref.closed else None, ref.op


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def compose_reads(
    path: str, text: str, builds: dict[str, str] | None = None, env_files: dict[str, list[str]] | None = None,
) -> tuple[list[Read], dict[str, str]]:
    """Reads in one compose file, and the variables its ``environment`` entries set (name -> where).

    ``builds``, when given, receives each service's build context (service -> project-relative path);
    ``env_files`` each service's ``env_file`` paths (project-relative).
    """
    reads: list[Read] = []
    provided: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    quote: str | None = None
    block_indent: int | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        body = raw.rstrip("\r")
        stripped = body.lstrip(" ")
        indent = len(body) - len(stripped)
        if block_indent is not None:
            if not stripped.strip() or indent > block_indent:
                content = body  # literal text of a block scalar: interpolated, never a comment
                _scan(reads, path, lineno, content, stack)
                continue
            block_indent = None
        if quote is None:
            if not stripped.strip() or stripped.startswith("#"):
                continue
            content, quote = _strip_comment(body, None)
            key = _KEY.match(stripped)
            is_dash = stripped.startswith("-")
            while stack and (stack[-1][0] > indent or (stack[-1][0] == indent and not (is_dash and not key))):
                stack.pop()
            if key is not None:
                key_indent = indent + (len(key.group("dash")) if key.group("dash") else 0)
                if key.group("dash"):
                    while stack and stack[-1][0] >= key_indent:
                        stack.pop()
                name = _unquote(key.group("key"))
                rest = content[indent + key.end() :]
                _environment_entry(stack, name, rest, path, lineno, reads, provided, mapping=True)
                if builds is not None:
                    _build_context(stack, name, rest, path, builds)
                if env_files is not None:
                    _env_file_entry(stack, name, rest, path, env_files)
                stack.append((key_indent, name))
            elif is_dash:
                _environment_entry(stack, None, content[indent + 1 :], path, lineno, reads, provided, mapping=False)
                if env_files is not None:
                    _env_file_entry(stack, None, content[indent + 1 :], path, env_files)
            if _BLOCK.search(content.rstrip()) and quote is None:
                block_indent = indent
        else:
            content, quote = _strip_comment(body, quote)
        _scan(reads, path, lineno, content, stack)
    return reads, provided


def _service(stack: list[tuple[int, str]]) -> str | None:
    if len(stack) >= 2 and stack[0][1] == "services":
        return stack[1][1]
    return None


def _build_context(stack: list[tuple[int, str]], key: str, rest: str, path: str, builds: dict[str, str]) -> None:
    """``build: ./dir`` or ``build: {context: ./dir}`` of a service, relative to the project root."""
    at_service = len(stack) == 2 and key == "build"
    at_build = len(stack) == 3 and stack[2][1] == "build" and key == "context"
    value = _unquote(rest.strip())
    if not (at_service or at_build) or stack[0][1] != "services" or not value or "$" in value:
        return
    if value.startswith(("{", "[", "http:", "https:", "git@")) or "://" in value:
        return
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), value))
    builds.setdefault(stack[1][1], "" if joined == "." else joined)


def _env_file_entry(
    stack: list[tuple[int, str]], key: str | None, rest: str, path: str, env_files: dict[str, list[str]],
) -> None:
    """``env_file: a.env``, ``env_file: [a.env]``, ``- a.env`` and ``- path: a.env`` of a service."""
    if len(stack) < 2 or stack[0][1] != "services":
        return
    values: list[str] = []
    if key == "env_file" and len(stack) == 2:
        value = rest.strip()
        values = [v for v in value.strip("[]").split(",")] if value.startswith("[") else [value]
    elif len(stack) == 3 and stack[2][1] == "env_file" and key in (None, "path"):
        values = [rest.strip()]
    for value in values:
        value = _unquote(value.strip())
        if value and "$" not in value:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), value))
            env_files.setdefault(stack[1][1], []).append(joined)


def _environment_entry(
    stack: list[tuple[int, str]], key: str | None, rest: str, path: str, lineno: int,
    reads: list[Read], provided: dict[str, str], *, mapping: bool,
) -> None:
    """Record ``environment`` entries of a service: set (provided) or passed through from the host."""
    if not (len(stack) == 3 and stack[0][1] == "services" and stack[2][1] == "environment"):
        return
    service = stack[1][1]
    if mapping and key is not None:
        name, value = key, rest.strip()
        has_value = value not in ("", "~", "null")
    else:
        item = _unquote(rest.strip())
        if not item or item.startswith(("{", "[")):
            return
        name, sep, value = item.partition("=")
        has_value = bool(sep)
    name = name.strip()
    if not NAME.fullmatch(name):
        return
    if has_value:
        provided.setdefault(name, f"{path}:{lineno}")
    else:
        reads.append(Read(name, path, lineno, "compose-passthrough", service, f"service {service}"))


def _scan(reads: list[Read], path: str, lineno: int, content: str, stack: list[tuple[int, str]]) -> None:
    if "$" not in content:
        return
    service = _service(stack)
    component = service or (stack[0][1] if stack else "compose")
    context = f"service {service}" if service else (f"{stack[0][1]}" if stack else "compose")
    for _off, name, default, op in interpolations(content):
        required = op in ("", ":?", "?")
        reads.append(Read(name, path, lineno, "compose", component, context,
                          default=_unquote(default) if default is not None else None, required=required))
