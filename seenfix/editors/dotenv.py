"""Env files (``.env``, ``backend.env``): parse keeping every byte, set or append one key.

Understands what docker compose and python-dotenv accept: ``KEY=value``, ``export KEY=value``,
single- and double-quoted values (double quotes may span lines), ``#`` comments (whole-line, and
after an unquoted value when preceded by whitespace), blank lines, CRLF line endings, a missing final
newline, duplicate keys (the last one wins) and malformed lines, which are reported with their line
number and never touched.

Edits change only the value's characters (:func:`set_value`) or append one line (:func:`set_value`
on a new key); everything else stays byte-identical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from seenfix.editors.text import detect_newline

_ASSIGN = re.compile(r"[ \t]*(?P<export>export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=[ \t]*")

#: Characters that never need quoting in a value.
_BARE = re.compile(r"[A-Za-z0-9_./:@+,=%\-]*")


@dataclass(frozen=True)
class Entry:
    """One ``KEY=value`` assignment.  Offsets index the file text; ``line`` is 1-based."""

    key: str
    value: str  # unquoted, escapes of double quotes resolved
    line: int
    start: int  # offset of the raw value (quotes included)
    end: int  # offset just after the raw value (quotes included)
    quote: str  # "", "'" or '"'
    export: bool


@dataclass(frozen=True)
class Malformed:
    line: int
    text: str


@dataclass
class DotEnv:
    """The parse of one env file."""

    text: str
    entries: list[Entry] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)

    def get(self, key: str) -> Entry | None:
        """The effective (last) assignment of ``key``."""
        found = None
        for e in self.entries:
            if e.key == key:
                found = e
        return found

    def keys(self) -> list[str]:
        return list(dict.fromkeys(e.key for e in self.entries))


def why_malformed(line: str) -> str:
    """Why a line :func:`parse` lists as malformed is not ``KEY=value``."""
    body = line.strip()
    m = _ASSIGN.match(body)
    if m is not None and body[m.end():m.end() + 1] in ("'", '"'):
        return f"unterminated {body[m.end()]} quote in the value of {m.group('key')}"
    if "=" not in body:
        return "expected KEY=VALUE"
    key = body.split("=", 1)[0].strip()
    return f"invalid variable name {key!r}, expected KEY=VALUE" if key else "missing variable name before '='"


def _unescape_double(raw: str) -> str:
    return re.sub(r'\\([\\"nrt$])', lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1), m.group(1)), raw)


def parse(text: str) -> DotEnv:
    """Parse ``text``; never raises (bad lines are listed in ``malformed``)."""
    env = DotEnv(text)
    pos = 0
    line = 1
    n = len(text)
    while pos < n:
        eol = text.find("\n", pos)
        eol = n if eol == -1 else eol
        raw_line = text[pos:eol].rstrip("\r")
        stripped = raw_line.strip()
        if not stripped or stripped.startswith("#"):
            pos, line = eol + 1, line + 1
            continue
        m = _ASSIGN.match(text, pos, pos + len(raw_line))
        if m is None:
            env.malformed.append(Malformed(line, raw_line))
            pos, line = eol + 1, line + 1
            continue
        vstart = m.end()
        first = text[vstart:vstart + 1]
        if first in ("'", '"') and first:
            close = _find_close(text, vstart + 1, first)
            if close == -1:
                env.malformed.append(Malformed(line, raw_line))
                pos, line = eol + 1, line + 1
                continue
            inner = text[vstart + 1:close]
            value = _unescape_double(inner) if first == '"' else inner
            env.entries.append(Entry(m.group("key"), value, line, vstart, close + 1, first,
                                     bool(m.group("export"))))
            line += text.count("\n", pos, close)
            eol = text.find("\n", close)
            eol = n if eol == -1 else eol
        else:
            rest = text[vstart:pos + len(raw_line)]
            cut = re.search(r"[ \t]#", rest)
            body = rest[:cut.start()] if cut else rest
            body = body.rstrip(" \t")
            env.entries.append(Entry(m.group("key"), body, line, vstart, vstart + len(body), "",
                                     bool(m.group("export"))))
        pos, line = eol + 1, line + 1
    return env


def _find_close(text: str, start: int, quote: str) -> int:
    i = start
    while i < len(text):
        c = text[i]
        if quote == '"' and c == "\\":
            i += 2
            continue
        if c == quote:
            return i
        if quote == "'" and c == "\n":
            return -1
        i += 1
    return -1


def render_value(value: str) -> str:
    """``value`` as it must be written: bare when safe, else single- (or double-) quoted.

    Compose interpolates ``$`` in unquoted and double-quoted values, so anything unusual is
    single-quoted; a value holding a single quote is double-quoted with escapes.
    """
    if _BARE.fullmatch(value):
        return value
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("\n", "\\n")
    return f'"{escaped}"'


def set_value(text: str, key: str, value: str) -> str:
    """Set ``key`` to ``value``: replace the last assignment's value in place, or append a line.

    The newline style is kept; a missing final newline is added before an appended line.
    """
    env = parse(text)
    entry = env.get(key)
    rendered = render_value(value)
    if entry is not None:
        if entry.value == value:
            return text
        return text[:entry.start] + rendered + text[entry.end:]
    nl = detect_newline(text)
    out = text
    if out and not out.endswith("\n"):
        out += nl
    return out + f"{key}={rendered}{nl}"


def set_values(text: str, values: dict[str, str]) -> str:
    """:func:`set_value` for several keys, in order."""
    for key, value in values.items():
        text = set_value(text, key, value)
    return text
