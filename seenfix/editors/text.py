"""Plain-text helpers shared by every editor: line endings, line offsets, ignore files."""

from __future__ import annotations

from collections.abc import Iterable


def detect_newline(text: str) -> str:
    """The file's line ending: the first one found, ``\\n`` for a file without any."""
    i = text.find("\n")
    if i > 0 and text[i - 1] == "\r":
        return "\r\n"
    return "\n"


def line_starts(text: str) -> list[int]:
    """Offsets at which each line starts (index 0 is line 1)."""
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def offset_to_line(starts: list[int], offset: int) -> int:
    """1-based line number of ``offset``."""
    from bisect import bisect_right

    return bisect_right(starts, offset)


def apply_edits(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """Apply ``(start, end, replacement)`` edits, back to front, so only touched bytes change.

    Overlapping edits are a programming error and raise ``ValueError``.
    """
    ordered = sorted(edits, key=lambda e: (e[0], e[1]))
    for (a0, a1, _), (b0, _b1, _) in zip(ordered, ordered[1:]):
        if b0 < a1:
            raise ValueError(f"overlapping edits at {a0}-{a1} and {b0}")
    out = text
    for start, end, repl in reversed(ordered):
        out = out[:start] + repl + out[end:]
    return out


def ensure_lines(text: str | None, lines: Iterable[str], header: str | None = None) -> str:
    """Append each of ``lines`` missing from a line-based file (``.gitignore``), keeping every byte.

    The file only gains lines: its newline style is kept, a missing final newline is added before the
    new lines, and ``header`` (a comment) precedes them when something is added.
    """
    text = text or ""
    nl = detect_newline(text)
    present = {ln.strip() for ln in text.splitlines()}
    missing = [ln for ln in dict.fromkeys(lines) if ln.strip() not in present]
    if not missing:
        return text
    out = text
    if out and not out.endswith("\n"):
        out += nl
    if header and header.strip() not in present:
        out += header + nl
    return out + nl.join(missing) + nl
