"""SF001 in Python sources: find committed signing-secret literals and turn them into required reads.

They are found on CPython's tree (:func:`find_secrets`, without libcst: a check does not load it) and
fixed through libcst (:func:`fix_secrets`, :mod:`seenfix.editors.python`), which also finds them in a
file CPython cannot parse (syntax newer than this interpreter).  Both keep to one set of rules, and
``tests/test_secrets_python_ast.py`` holds them to the same answers on real files.

Forms understood (P2, P5, P6 of the secrets policy):

* settings fields: ``jwt_secret: str = "..."``, ``SecretStr("...")``, ``Field("...")`` and
  ``Field(default="...")`` -> the field has no default (or ``Field(...)``), so pydantic refuses to
  start without the variable;
* ``os.getenv("X", "...")`` / ``os.environ.get("X", "...")`` -> ``os.environ["X"]``; a nested
  fallback ``os.environ.get("A", os.environ.get("B", "..."))`` -> ``os.environ.get("A") or
  os.environ["B"]``;
* ``os.getenv("X") or "..."`` -> ``os.environ["X"]``;
* ``env("X", default="...")`` / ``config("X", default="...")`` (django-environ, decouple) -> the
  default is dropped, so those libraries raise their own "not set" error;
* ``SECRET_KEY = "..."`` at module or class level (Django settings) -> ``os.environ["SECRET_KEY"]``
  when ``os`` is imported.

Runtime-random defaults (``secrets.token_urlsafe()``), ``None`` and empty defaults are not literals.
libcst is imported lazily; formatting and comments outside the edited expressions are kept.
"""


from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seenfix.analysis.secrets_policy import is_literal_value, is_signing_secret_name, name_tokens
from seenfix.core.model import InputError, deepest_line
from seenfix.editors.python import (AstPositionError, AstSource, ast_call_args, ast_children, ast_dotted, ast_string,
                                    dotted_name, parse_ast, parse_module, quote_of, string_value, visit)

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

_ENV_GET = {"os.getenv", "getenv", "os.environ.get", "environ.get", "os.environ.setdefault",
            "environ.setdefault"}
_ENV_PREFIX = re.compile(r"""env_prefix\s*[=:]\s*(['"])([^'"]*)\1""")
#: Base classes whose fields are read from the environment (pydantic settings and models).
_MODEL_BASES = ("Settings", "BaseModel", "BaseConfig")
_ENV_DEFAULT_KW = {"env", "env.str", "config", "environ.Env.str"}


@dataclass(frozen=True)
class PySecret:
    """One committed literal on a signing secret."""

    name: str  # the name that makes it a secret (env var or field)
    env_var: str  # the environment variable the fixed code requires
    value: str
    line: int
    kind: str  # field | getenv | or-fallback | env-default | assign
    fixable: bool


def _config_name(name: str) -> bool:
    """A signing-secret name as configuration spells it (``SECRET_KEY``, ``secret_key``), not the
    one-word data key of an ordinary dict or call (``{"secret": ...}``)."""
    return is_signing_secret_name(name) and len(name_tokens(name)) > 1


def env_name(name: str) -> str:
    """``jwtSecret`` / ``jwt_secret`` -> ``JWT_SECRET``."""
    return "_".join(name_tokens(name)).upper()


def _literal(node: Any) -> str | None:
    value = string_value(node)
    return value if value is not None and is_literal_value(value) else None


def _env_call(node: Any) -> tuple[str, Any | None] | None:
    """``(variable, default node or None)`` for an ``os.getenv``-like call, else ``None``."""
    import libcst as cst

    if not isinstance(node, cst.Call) or dotted_name(node.func) not in _ENV_GET or not node.args:
        return None
    name = string_value(node.args[0].value)
    if name is None or node.args[0].keyword is not None:
        return None
    default = None
    for i, arg in enumerate(node.args[1:], 1):
        if (arg.keyword is None and i == 1) or (arg.keyword is not None and arg.keyword.value == "default"):
            default = arg.value
    return name, default


def _required(var: str, quote: str = '"') -> Any:
    import libcst as cst

    return cst.parse_expression(f"os.environ[{quote}{var}{quote}]")


def _scan(text: str, path: str, fix: bool) -> tuple[list[PySecret], str]:
    import libcst as cst
    from libcst.metadata import PositionProvider

    module = parse_module(text, path)
    has_os = any(
        isinstance(stmt, cst.SimpleStatementLine)
        and any(isinstance(s, cst.Import) and any(dotted_name(a.name) == "os" and a.asname is None for a in s.names)
                for s in stmt.body)
        for stmt in module.body
    )
    found: list[PySecret] = []

    class Visitor(cst.CSTTransformer):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self) -> None:
            super().__init__()
            self.classes: list[bool] = []  # for each enclosing class: is it a settings model?
            self.prefixes: list[str] = []  # its pydantic ``env_prefix``

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            bases = [dotted_name(b.value) for b in node.bases]
            self.classes.append(any(b.rsplit(".", 1)[-1].endswith(_MODEL_BASES) for b in bases))
            m = _ENV_PREFIX.search(module.code_for_node(node.body))
            self.prefixes.append(m.group(2) if m and self.classes[-1] else "")

        def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> Any:
            self.classes.pop()
            self.prefixes.pop()
            return updated

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            self.classes.append(False)
            self.prefixes.append("")

        def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> Any:
            self.classes.pop()
            self.prefixes.pop()
            return updated

        def _field_env(self, name: str, field: Any = None) -> str:
            """The variable a settings field reads: its alias, else ``env_prefix`` + its name."""
            if field is not None:
                for arg in field.args:
                    if arg.keyword is not None and arg.keyword.value in ("alias", "validation_alias", "env"):
                        alias = string_value(arg.value)
                        if alias:
                            return alias.upper()
            prefix = self.prefixes[-1] if self.prefixes else ""
            return (prefix + env_name(name)).upper()

        def _line(self, node: Any) -> int:
            return int(self.get_metadata(PositionProvider, node).start.line)

        def _add(self, name: str, env: str, value: str, node: Any, kind: str, fixable: bool) -> None:
            found.append(PySecret(name, env, value, self._line(node), kind, fixable))

        def _named_literal(self, updated: Any, name: str, lit: str, value: Any, kind: str, fixable: bool) -> Any:
            """Record ``name = "lit"`` (or its dict/keyword form); with ``fix``, read it from the
            environment instead."""
            var = env_name(name)
            self._add(name, var, lit, value, kind, fixable)
            if fix and fixable:
                return updated.with_changes(value=_required(var, quote_of(value)))
            return updated

        # settings fields ---------------------------------------------------------------------
        def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> Any:
            if not isinstance(original.target, cst.Name) or original.value is None:
                return updated
            name = original.target.value
            if not is_signing_secret_name(name):
                return updated
            value = original.value
            lit = _literal(value)
            if lit is None and isinstance(value, cst.Call) and dotted_name(value.func) in ("SecretStr", "pydantic.SecretStr") \
                    and len(value.args) == 1:
                lit = _literal(value.args[0].value)
            if lit is not None:
                settings = bool(self.classes) and self.classes[-1]
                # a settings field loses its default; elsewhere the annotation keeps a required read
                self._add(name, self._field_env(name), lit, value, "field", settings or has_os)
                if fix and settings:
                    return updated.with_changes(value=None, equal=cst.MaybeSentinel.DEFAULT)
                if fix and has_os:
                    return updated.with_changes(value=_required(env_name(name), quote_of(value)))
                return updated
            if isinstance(value, cst.Call) and dotted_name(value.func) in ("Field", "pydantic.Field"):
                for i, arg in enumerate(value.args):
                    positional = arg.keyword is None and i == 0
                    if positional or (arg.keyword is not None and arg.keyword.value == "default"):
                        lit = _literal(arg.value)
                        if lit is None:
                            return updated
                        self._add(name, self._field_env(name, value), lit, arg.value, "field", True)
                        if not fix or not isinstance(updated.value, cst.Call):
                            return updated
                        args = list(updated.value.args)
                        args[i] = args[i].with_changes(value=cst.Ellipsis())
                        return updated.with_changes(value=updated.value.with_changes(args=args))
            return updated

        # NAME = "literal" -----------------------------------------------------------------------
        def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> Any:
            if len(original.targets) != 1:
                return updated
            target = original.targets[0].target
            fixable = has_os
            if isinstance(target, cst.Name):
                name = target.value
            elif isinstance(target, cst.Attribute):  # app.secret_key = "..."
                name = target.attr.value
            elif isinstance(target, cst.Subscript) and len(target.slice) == 1 \
                    and isinstance(target.slice[0].slice, cst.Index):  # app.config["SECRET_KEY"] = "..."
                key = string_value(target.slice[0].slice.value)
                if key is None:
                    return updated
                name = key
                fixable = has_os and dotted_name(target.value) not in ("os.environ", "environ")
            else:
                return updated
            lit = _literal(original.value)
            if lit is None or not is_signing_secret_name(name) or lit == name:
                return updated
            return self._named_literal(updated, name, lit, original.value, "assign", fixable)

        # {"SECRET_KEY": "..."} and f(SECRET_KEY="...") ------------------------------------------
        def leave_DictElement(self, original: cst.DictElement, updated: cst.DictElement) -> Any:
            name = string_value(original.key)
            lit = _literal(original.value)
            if name is None or lit is None or not _config_name(name) or lit == name:
                return updated
            return self._named_literal(updated, name, lit, original.value, "dict", has_os)

        def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> Any:
            if original.keyword is None or original.keyword.value in ("default",):
                return updated
            name = original.keyword.value
            lit = _literal(original.value)
            if lit is None or not _config_name(name) or lit == name:
                return updated
            return self._named_literal(updated, name, lit, original.value, "keyword", has_os)

        # X or "literal" -------------------------------------------------------------------------
        def leave_BooleanOperation(self, original: cst.BooleanOperation, updated: cst.BooleanOperation) -> Any:
            if not isinstance(original.operator, cst.Or):
                return updated
            lit = _literal(original.right)
            got = _env_call(original.left)
            if lit is None or got is None or got[1] is not None:
                return updated
            var = got[0]
            if not is_signing_secret_name(var):
                return updated
            self._add(var, var, lit, original.right, "or-fallback", has_os)
            if fix and has_os:
                return _required(var, quote_of(original.left.args[0].value)).with_changes(  # type: ignore[attr-defined]
                    lpar=updated.lpar, rpar=updated.rpar)
            return updated

        def _either(self, original: cst.Call, outer: str, inner: str, default: Any) -> Any:
            """``os.environ.get("A", os.environ.get("B", "lit"))`` -> ``(get("A") or environ["B"])``.

            A multi-line call keeps its line count and its comments, so only its own lines change.
            """
            import re as _re

            code = module.code_for_node(original)
            func = module.code_for_node(original.func)
            qa = quote_of(original.args[0].value)
            qb = quote_of(default.args[0].value)
            first = f"{func}({qa}{outer}{qa})"
            second = f"or os.environ[{qb}{inner}{qb}]"
            if "\n" not in code:
                return cst.parse_expression(f"({first} {second})")
            pos = self.get_metadata(PositionProvider, original)
            base = text.splitlines()[pos.start.line - 1]
            base = base[: len(base) - len(base.lstrip())]
            comments = _re.findall(r"#[^\r\n]*", code)
            nl = "\r\n" if "\r\n" in code else "\n"
            body = [first, second, *comments]
            lines = [f"{base}    {b}" for b in body]
            return cst.parse_expression("(" + nl + nl.join(lines) + nl + base + ")")

        # os.getenv("X", "lit"), env("X", default="lit") ------------------------------------------
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> Any:
            got = _env_call(original)
            if got is not None:
                var, default = got
                if default is None:
                    return updated
                lit = _literal(default)
                inner = _env_call(default)
                if lit is not None and is_signing_secret_name(var):
                    self._add(var, var, lit, default, "getenv", has_os)
                    if fix and has_os:
                        return _required(var, quote_of(original.args[0].value)).with_changes(
                            lpar=updated.lpar, rpar=updated.rpar)
                    return updated
                if inner is not None and inner[1] is not None and _literal(inner[1]) is not None \
                        and (is_signing_secret_name(inner[0]) or is_signing_secret_name(var)):
                    # the inner call reported itself; the outer variable is the one to set
                    if found and found[-1].env_var == inner[0]:
                        last = found[-1]
                        found[-1] = PySecret(last.name, var, last.value, last.line, last.kind, has_os)
                    if fix and has_os:
                        return self._either(original, var, inner[0], default)
                return updated
            func = dotted_name(original.func)
            if func not in _ENV_DEFAULT_KW or not original.args:
                return updated
            kw_var = string_value(original.args[0].value)
            if kw_var is None or not is_signing_secret_name(kw_var):
                return updated
            for i, arg in enumerate(original.args):
                if arg.keyword is not None and arg.keyword.value == "default":
                    lit = _literal(arg.value)
                    if lit is None:
                        return updated
                    self._add(kw_var, kw_var, lit, arg.value, "env-default", True)
                    if not fix:
                        return updated
                    args = [a for j, a in enumerate(updated.args) if j != i]
                    if args:
                        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    return updated.with_changes(args=args)
            return updated

    new = visit(module, Visitor(), path, text)
    out = new.code if fix else text
    return found, out


def find_secrets(text: str, path: str) -> list[PySecret]:
    """Every committed literal on a signing secret in ``text`` (raises :class:`InputError`), in the
    order :func:`_scan` finds them."""
    tree = parse_ast(text, path)
    if tree is None:  # CPython cannot parse it: libcst reports why, or reads the newer syntax
        return _scan(text, path, fix=False)[0]
    try:
        return _AstScan(text, tree).found
    except AstPositionError:
        return _scan(text, path, fix=False)[0]
    except RecursionError:
        raise InputError(path, deepest_line(text), "cannot analyse Python: nested too deeply") from None


# -- the same rules on CPython's tree ---------------------------------------------------------------
# _scan's transformer acts when it leaves a node (post-order, children in source order); _AstScan
# walks CPython's tree in that order (``ast_children``).  Where the trees differ beyond the order of
# children: CPython splits a call's arguments into positional and keyword lists (``ast_call_args``
# rebuilds libcst's ``args``) and flattens ``a or b or c`` (libcst nests it to the left).


def _ast_literal(node: ast.AST | None) -> str | None:
    value = ast_string(node)
    return value if value is not None and is_literal_value(value) else None


def _ast_env_call(node: ast.AST | None) -> tuple[str, ast.expr | None] | None:
    """:func:`_env_call` on CPython's tree."""
    if not isinstance(node, ast.Call) or ast_dotted(node.func) not in _ENV_GET:
        return None
    args = ast_call_args(node)
    if not args:
        return None
    name = ast_string(args[0][1])
    if name is None or args[0][0] is not None:
        return None
    default = None
    for i, (kw, value) in enumerate(args[1:], 1):
        if (kw is None and i == 1) or kw == "default":
            default = value
    return name, default


class _AstScan:
    """The secrets :func:`_scan` finds, found on CPython's tree (``found``)."""

    def __init__(self, text: str, tree: ast.Module) -> None:
        self.source = AstSource(text)
        self.has_os = any(isinstance(stmt, ast.Import) and any(a.name == "os" and a.asname is None for a in stmt.names)
                          for stmt in tree.body)
        self.classes: list[bool] = []  # for each enclosing class: is it a settings model?
        self.prefixes: list[str] = []  # its pydantic ``env_prefix``
        self.found: list[PySecret] = []
        self._walk(tree)

    # walking, in libcst's order ------------------------------------------------------------------
    def _walk(self, node: ast.AST) -> None:
        if isinstance(node, ast.ClassDef):
            self._enter_class(node)
            for child in ast_children(node):
                self._walk(child)
            self.classes.pop()
            self.prefixes.pop()
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.classes.append(False)
            self.prefixes.append("")
            for child in ast_children(node):
                self._walk(child)
            self.classes.pop()
            self.prefixes.pop()
            return
        if isinstance(node, ast.BoolOp):
            for i, value in enumerate(node.values):
                self._walk(value)
                if i == 1 and isinstance(node.op, ast.Or):
                    self._or(node.values[0], value)
            return
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if key is not None:
                    self._walk(key)
                self._walk(value)
                if key is not None:
                    self._dict_element(key, value)
            return
        for child in ast_children(node):
            self._walk(child)
        if isinstance(node, ast.keyword):
            self._keyword(node)
        elif isinstance(node, ast.AnnAssign):
            self._ann_assign(node)
        elif isinstance(node, ast.Assign):
            self._assign(node)
        elif isinstance(node, ast.Call):
            self._call(node)

    def _enter_class(self, node: ast.ClassDef) -> None:
        bases = [ast_dotted(b) for b in node.bases]
        self.classes.append(any(b.rsplit(".", 1)[-1].endswith(_MODEL_BASES) for b in bases))
        m = _ENV_PREFIX.search(self._body_code(node)) if self.classes[-1] else None
        self.prefixes.append(m.group(2) if m else "")

    def _body_code(self, node: ast.ClassDef) -> str:
        """The class's code after its bases and keywords (libcst's ``code_for_node(node.body)``: the
        rest of the header line, comment included, and the body)."""
        heads: list[ast.expr | ast.keyword] = [*node.bases, *node.keywords]
        if heads:
            start = max((h.end_lineno or h.lineno, h.end_col_offset or 0) for h in heads)
        else:  # after ``class Name``
            line = self.source.line(node.lineno)
            m = re.compile(rb"class\s+" + re.escape(node.name.encode())).match(line, node.col_offset)
            if m is None:  # ``class \`` and the name on the next line
                raise AstPositionError
            start = (node.lineno, m.end())
        return self.source.between(start, (node.end_lineno or node.lineno, node.end_col_offset or 0))

    def _add(self, name: str, env: str, value: str, node: ast.expr, kind: str, fixable: bool) -> None:
        self.found.append(PySecret(name, env, value, node.lineno, kind, fixable))

    def _named_literal(self, name: str, lit: str, value: ast.expr, kind: str, fixable: bool) -> None:
        self._add(name, env_name(name), lit, value, kind, fixable)

    def _field_env(self, name: str, field: ast.Call | None = None) -> str:
        if field is not None:
            for kw, value in ast_call_args(field):
                if kw in ("alias", "validation_alias", "env"):
                    alias = ast_string(value)
                    if alias:
                        return alias.upper()
        prefix = self.prefixes[-1] if self.prefixes else ""
        return (prefix + env_name(name)).upper()

    # the rules (_scan's leave_* methods) ---------------------------------------------------------------
    def _ann_assign(self, node: ast.AnnAssign) -> None:
        if not isinstance(node.target, ast.Name) or node.value is None:
            return
        name = node.target.id
        if not is_signing_secret_name(name):
            return
        value = node.value
        lit = _ast_literal(value)
        if lit is None and isinstance(value, ast.Call) \
                and ast_dotted(value.func) in ("SecretStr", "pydantic.SecretStr"):
            args = ast_call_args(value)
            if len(args) == 1:
                lit = _ast_literal(args[0][1])
        if lit is not None:
            settings = bool(self.classes) and self.classes[-1]
            self._add(name, self._field_env(name), lit, value, "field", settings or self.has_os)
            return
        if isinstance(value, ast.Call) and ast_dotted(value.func) in ("Field", "pydantic.Field"):
            for i, (kw, arg) in enumerate(ast_call_args(value)):
                if (kw is None and i == 0) or kw == "default":
                    lit = _ast_literal(arg)
                    if lit is not None:
                        self._add(name, self._field_env(name, value), lit, arg, "field", True)
                    return

    def _assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = node.targets[0]
        fixable = self.has_os
        if isinstance(target, ast.Name):
            name = target.id
        elif isinstance(target, ast.Attribute):  # app.secret_key = "..."
            name = target.attr
        elif isinstance(target, ast.Subscript):
            key = ast_string(self.source.index(target))  # app.config["SECRET_KEY"] = "..."
            if key is None:
                return
            name = key
            fixable = self.has_os and ast_dotted(target.value) not in ("os.environ", "environ")
        else:
            return
        lit = _ast_literal(node.value)
        if lit is None or not is_signing_secret_name(name) or lit == name:
            return
        self._named_literal(name, lit, node.value, "assign", fixable)

    def _dict_element(self, key: ast.expr, value: ast.expr) -> None:
        name = ast_string(key)
        lit = _ast_literal(value)
        if name is None or lit is None or not _config_name(name) or lit == name:
            return
        self._named_literal(name, lit, value, "dict", self.has_os)

    def _keyword(self, node: ast.keyword) -> None:
        if node.arg is None or node.arg == "default":
            return
        lit = _ast_literal(node.value)
        if lit is None or not _config_name(node.arg) or lit == node.arg:
            return
        self._named_literal(node.arg, lit, node.value, "keyword", self.has_os)

    def _or(self, left: ast.expr, right: ast.expr) -> None:
        lit = _ast_literal(right)
        got = _ast_env_call(left)
        if lit is None or got is None or got[1] is not None:
            return
        var = got[0]
        if is_signing_secret_name(var):
            self._add(var, var, lit, right, "or-fallback", self.has_os)

    def _call(self, node: ast.Call) -> None:
        got = _ast_env_call(node)
        if got is not None:
            var, default = got
            if default is None:
                return
            lit = _ast_literal(default)
            inner = _ast_env_call(default)
            if lit is not None and is_signing_secret_name(var):
                self._add(var, var, lit, default, "getenv", self.has_os)
                return
            if inner is not None and inner[1] is not None and _ast_literal(inner[1]) is not None \
                    and (is_signing_secret_name(inner[0]) or is_signing_secret_name(var)):
                found = self.found
                if found and found[-1].env_var == inner[0]:  # the inner call reported itself
                    last = found[-1]
                    found[-1] = PySecret(last.name, var, last.value, last.line, last.kind, self.has_os)
            return
        if ast_dotted(node.func) not in _ENV_DEFAULT_KW:
            return
        args = ast_call_args(node)
        if not args:
            return
        kw_var = ast_string(args[0][1])
        if kw_var is None or not is_signing_secret_name(kw_var):
            return
        for kw, value in args:
            if kw == "default":
                lit = _ast_literal(value)
                if lit is not None:
                    self._add(kw_var, kw_var, lit, value, "env-default", True)
                return


def fix_secrets(text: str, path: str) -> str:
    """``text`` with every fixable literal turned into a required read."""
    found, out = _scan(text, path, fix=True)
    return out if any(f.fixable for f in found) else text
