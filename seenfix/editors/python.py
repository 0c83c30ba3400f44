"""Python sources: read with CPython's :mod:`ast`, edited through libcst.

The analyses that only read (SF001's secrets, the environment variables the code reads; in
:mod:`seenfix.analysis`) walk CPython's tree (:func:`parse_ast`, :func:`ast_dotted`,
:func:`ast_string`): its parser is C and ships with the interpreter, while importing libcst alone
costs a third of a whole ``seenfix check`` of the SEEN repository.  An edit goes through libcst
(:func:`parse_module`, :func:`visit`, :func:`dotted_name`, :func:`string_value`, :func:`quote_of`),
which keeps every byte outside the edited expressions; it is imported lazily, so a check does not
load it.  A file CPython cannot parse for a reason other than nesting (Python newer than the
interpreter running seenfix) is read with libcst, which knows newer syntax, as before.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
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


def ast_dotted(node: ast.AST | None) -> str:
    """``os.environ`` for a ``Name``/``Attribute`` chain, else ``""`` (:func:`dotted_name` on CPython's tree)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def ast_string(node: ast.AST | None) -> str | None:
    """The value of a plain (non-f, non-bytes) string literal, implicit concatenation included, else
    ``None`` (:func:`string_value` on CPython's tree)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


#: libcst's ``Arg``: ``(keyword, value)``; ``*x`` and ``**x`` have no keyword and ``x`` as value.
AstArg = tuple[str | None, ast.expr]


def ast_call_args(call: ast.Call) -> list[AstArg]:
    """libcst's ``Call.args`` on CPython's tree: the positional and keyword arguments in one list, in
    source order (CPython keeps them apart)."""
    if not call.keywords:
        return [(None, a.value if isinstance(a, ast.Starred) else a) for a in call.args]
    nodes: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    if any(isinstance(a, ast.Starred) for a in call.args):  # ``f(a=1, *b)``: only ``*b`` can follow keywords
        nodes.sort(key=lambda n: (n.lineno, n.col_offset))
    return [(n.arg, n.value) if isinstance(n, ast.keyword)
            else (None, n.value if isinstance(n, ast.Starred) else n) for n in nodes]


def _params(args: ast.arguments) -> list[ast.AST]:
    """A signature's annotations and defaults in source order (libcst's ``Param``: annotation, default)."""
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults.extend(args.defaults)
    pairs: list[tuple[ast.arg, ast.expr | None]] = list(zip(positional, defaults))
    if args.vararg is not None:
        pairs.append((args.vararg, None))
    pairs.extend(zip(args.kwonlyargs, args.kw_defaults))
    if args.kwarg is not None:
        pairs.append((args.kwarg, None))
    out: list[ast.AST] = []
    for param, default in pairs:
        if param.annotation is not None:
            out.append(param.annotation)
        if default is not None:
            out.append(default)
    return out


def _function_children(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    returns: list[ast.AST] = [node.returns] if node.returns is not None else []
    return [*node.decorator_list, *getattr(node, "type_params", ()), *_params(node.args), *returns, *node.body]


def _class_children(node: ast.ClassDef) -> list[ast.AST]:
    return [*node.decorator_list, *getattr(node, "type_params", ()), *node.bases, *node.keywords, *node.body]


def _lambda_children(node: ast.Lambda) -> list[ast.AST]:
    return [*_params(node.args), node.body]


def _call_children(node: ast.Call) -> list[ast.AST]:
    """The function, then the arguments (``keyword`` nodes among them) in libcst's order (see
    :func:`ast_call_args`)."""
    args: list[ast.AST] = [*node.args, *node.keywords]
    if node.keywords and any(isinstance(a, ast.Starred) for a in node.args):
        args.sort(key=lambda n: (getattr(n, "lineno"), getattr(n, "col_offset")))
    return [node.func, *args]


def _dict_children(node: ast.Dict) -> list[ast.AST]:
    out: list[ast.AST] = []
    for key, value in zip(node.keys, node.values):
        if key is not None:
            out.append(key)
        out.append(value)
    return out


def _ifexp_children(node: ast.IfExp) -> list[ast.AST]:
    return [node.body, node.test, node.orelse]


#: The nodes whose ast fields are not in source order, with their children in source order.
_ORDERED: dict[type[ast.AST], Callable[[Any], list[ast.AST]]] = {
    ast.FunctionDef: _function_children, ast.AsyncFunctionDef: _function_children,
    ast.ClassDef: _class_children, ast.Lambda: _lambda_children, ast.Call: _call_children,
    ast.Dict: _dict_children, ast.IfExp: _ifexp_children,
}


def ast_children(node: ast.AST) -> list[ast.AST]:
    """The children of ``node`` in source order, as libcst visits them: CPython keeps some apart (a
    call's keyword arguments, a function's decorators, defaults and return annotation, a dict's keys
    and values, ``b if a else c``).  A signature gives its annotations and defaults (not its ``arg``
    nodes); a call and a class their ``keyword`` nodes."""
    order = _ORDERED.get(type(node))
    return order(node) if order is not None else list(ast.iter_child_nodes(node))


class AstPositionError(Exception):
    """A position of CPython's tree does not match the source: read the file with libcst instead."""


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # CPython's line breaks (not ``str.splitlines``'s)


class AstSource:
    """The source text around CPython's tree, where libcst would read it (ast's columns count UTF-8
    bytes); a position that does not fit raises :class:`AstPositionError`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = _LINE_BREAK.split(self.text)
        return self._lines

    def line(self, lineno: int) -> bytes:
        """Line ``lineno`` (1-based) in UTF-8, without its line break."""
        if not 0 < lineno <= len(self.lines):
            raise AstPositionError
        return self.lines[lineno - 1].encode("utf-8", "surrogatepass")

    def between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        """The text from ``(line, column)`` to ``(line, column)``, line breaks as ``\\n``."""
        (l1, c1), (l2, c2) = start, end
        if l1 == l2:
            return self.line(l1)[c1:c2].decode("utf-8", "replace")
        parts = [self.line(l1)[c1:], *(self.line(n) for n in range(l1 + 1, l2)), self.line(l2)[:c2]]
        return b"\n".join(parts).decode("utf-8", "replace")

    def number(self, node: ast.Constant) -> str:
        """The source text of a number literal (``0x10``, ``1_000``), as libcst's ``Integer.value``."""
        if node.end_lineno != node.lineno or node.end_col_offset is None:
            raise AstPositionError
        text = self.line(node.lineno)[node.col_offset:node.end_col_offset].decode("utf-8", "replace")
        try:
            same = (float(text) if isinstance(node.value, float) else int(text, 0)) == node.value
        except ValueError:
            same = False
        if not same:
            raise AstPositionError
        return text

    def index(self, node: ast.Subscript) -> ast.expr | None:
        """The expression of a subscript's one libcst ``Index``: ``x["A"]``, ``x["A",]`` and ``x[*"A"]``
        -> ``"A"``; ``x[("A",)]`` -> the tuple (told from ``x["A",]`` by its own parentheses);
        ``x[a, b]`` (two elements) and slices -> ``None``."""
        sl = node.slice
        if isinstance(sl, ast.Tuple):
            if len(sl.elts) != 1:
                return None
            if self._parenthesized(sl):
                return sl
            sl = sl.elts[0]
            if isinstance(sl, ast.Starred):
                sl = sl.value
        return None if isinstance(sl, ast.Slice) else sl

    def _parenthesized(self, node: ast.Tuple) -> bool:
        if node.end_lineno is None or node.end_col_offset is None:
            raise AstPositionError
        first = self.line(node.lineno)[node.col_offset:node.col_offset + 1]
        last = self.line(node.end_lineno)[node.end_col_offset - 1:node.end_col_offset]
        return first == b"(" and last == b")"


def parse_ast(text: str, path: str) -> ast.Module | None:
    """CPython's tree of ``text``, shared by the run's analyses (:mod:`seenfix.core.memo`); ``None``
    when CPython cannot parse it for a reason other than nesting (the caller reads it with libcst,
    whose errors, or success on syntax newer than this interpreter, decide); nesting CPython cannot
    compile is an :class:`InputError` with its line."""
    from seenfix.core.memo import cached

    return cached("python-ast", path, text, lambda: _parse_ast(text, path))


def _parse_ast(text: str, path: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (RecursionError, MemoryError):
        raise InputError(path, deepest_line(text), _NESTED) from None
    except SyntaxError as exc:
        if any(words in str(exc.msg) for words in _TOO_DEEP):
            raise InputError(path, exc.lineno or 1, f"cannot parse Python: {exc.msg}") from None
        return None
    except ValueError:  # a NUL byte: libcst reports it
        return None


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
    import libcst as cst

    parse_ast(text, path)  # raises for nesting libcst's native parser would overflow on
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
