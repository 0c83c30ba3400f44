"""Python sources through libcst: parse (deep nesting turned away before libcst's native parser
sees it), visit with position metadata, and read names, string literals and quotes.

libcst is imported lazily; the analyses built on it (SF001's secrets, the environment variables the
code reads) live in :mod:`seenfix.analysis`.
"""

from __future__ import annotations

from typing import Any

from seenfix.core.model import InputError
from seenfix.core.model import deepest_line


def dotted_name(node: Any) -> str:
    """``os.environ`` for a ``Name``/``Attribute`` chain, else ``""``."""
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        left = dotted_name(node.value)
        return f"{left}.{node.attr.value}" if left else ""
    return ""


def string_value(node: Any) -> str | None:
    """The value of a plain (non-f, non-bytes) string literal, else ``None``."""
    import libcst as cst

    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def quote_of(node: Any) -> str:
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        q = node.quote
        return q if q in ("'", '"') else '"'
    return '"'


_TOO_DEEP = ("too many nested parentheses", "too many levels of indentation", "too complex")
_NESTED = "cannot parse Python: nested too deeply"


def parse_module(text: str, path: str) -> Any:
    """``libcst.parse_module(text)``; a file it cannot parse is an :class:`InputError` with its line.

    Within a run each (path, text) is parsed once and the module shared by every analysis (SF001's
    secrets, SF006's environment reads; :mod:`seenfix.core.memo`): libcst's trees are immutable.

    CPython's own parser reads the file first, to turn away what it cannot compile for nesting
    (brackets or operators thousands deep), on which libcst's native parser overflows its stack
    and takes the process down.  Its other syntax errors are left to libcst, which knows Python
    newer than the interpreter running seenfix.
    """
    from seenfix.core.memo import cached

    return cached("python", path, text, lambda: _parse_module(text, path))


def _parse_module(text: str, path: str) -> Any:
    import ast

    import libcst as cst

    try:
        ast.parse(text)
    except (RecursionError, MemoryError):
        raise InputError(path, deepest_line(text), _NESTED) from None
    except SyntaxError as exc:
        if any(words in str(exc.msg) for words in _TOO_DEEP):
            raise InputError(path, exc.lineno or 1, f"cannot parse Python: {exc.msg}") from None
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise InputError(path, exc.raw_line, f"cannot parse Python: {exc.message}") from None
    except RecursionError:
        raise InputError(path, deepest_line(text), _NESTED) from None


def visit(module: Any, visitor: Any, path: str, text: str) -> Any:
    """``visitor`` over ``module`` with position metadata; a tree too deep for libcst's recursive
    visitors (yet not for CPython) is an :class:`InputError`, not a crash.

    The position metadata of a module parsed by :func:`parse_module` is worked out once per run."""
    from libcst.metadata import MetadataWrapper

    from seenfix.core.memo import cached

    wrapper = cached("python-metadata", path, text, lambda: MetadataWrapper(module, unsafe_skip_copy=True))
    if wrapper.module is not module:  # another tree for the same text (a transformed one)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    try:
        return wrapper.visit(visitor)
    except RecursionError:
        raise InputError(path, deepest_line(text), "cannot analyse Python: nested too deeply") from None
