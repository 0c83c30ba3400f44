"""The environment variables backend Python reads: pydantic-settings ``BaseSettings`` fields
(``env_prefix``, ``alias`` / ``validation_alias`` / ``AliasChoices``, defaults, ``Field(...)``),
``os.getenv`` / ``os.environ.get`` / ``os.environ[...]`` and the django-environ / decouple helpers,
read with libcst (imported lazily).
"""

from __future__ import annotations

import re
from typing import Any

from seenfix.analysis.envvars import COMPUTED, NAME, Read

def python_reads(path: str, text: str, component: str) -> list[Read]:
    """Reads in one Python file: pydantic-settings fields and ``os.getenv`` / ``os.environ``."""
    from seenfix.editors.python import parse_module, visit

    module = parse_module(text, path)
    visitor = _visitor(path, component)
    visit(module, visitor, path, text)
    reads: list[Read] = visitor.reads
    return reads


#: Reader helpers of django-environ (``env = environ.Env()``) and python-decouple (``config``).
_HELPER_READERS = frozenset({"env", "config", *(f"env.{t}" for t in (
    "str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "db", "db_url", "cache", "cache_url",
    "email", "email_url", "path"))})
_UPPER_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def _literal(node: Any) -> str | None:
    """The value of a simple literal (string, number, bool, None), else ``None``."""
    import libcst as cst

    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        val: object = node.evaluated_value
        return val if isinstance(val, str) else None
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.value
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value.lower()
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _literal(node.expression)
        return None if inner is None else "-" + inner
    return None


def _dotted(node: Any) -> str:
    from seenfix.editors.python import dotted_name

    return dotted_name(node)


def _py_visitor_class() -> type:
    import libcst as cst
    from libcst.metadata import PositionProvider

    class Visitor(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self, path: str, component: str) -> None:
            super().__init__()
            self.path = path
            self.component = component
            self.reads: list[Read] = []
            self.settings_classes: dict[str, dict[str, Any]] = {"BaseSettings": {}}
            self.class_stack: list[tuple[str, bool, dict[str, Any]]] = []

        def _line(self, node: cst.CSTNode) -> int:
            return int(self.get_metadata(PositionProvider, node).start.line)

        # settings classes ---------------------------------------------------------------------
        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            bases = [_dotted(b.value).rsplit(".", 1)[-1] for b in node.bases]
            # a base defined elsewhere (``class Settings(CommonSettings)``) counts when named like one
            parents = [b for b in bases if b in self.settings_classes or b.endswith("Settings")]
            conf: dict[str, Any] = {"env_prefix": "", "case_sensitive": False}
            if parents:  # a subclass inherits its parent's model_config, then overrides it
                conf.update(self.settings_classes.get(parents[0], {}))
                conf.update(_settings_config(node))
                self.settings_classes[node.name.value] = conf
            self.class_stack.append((node.name.value, bool(parents), conf))

        def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
            self.class_stack.pop()

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if not self.class_stack or not self.class_stack[-1][1]:
                return
            cls, _, conf = self.class_stack[-1]
            if not isinstance(node.target, cst.Name):
                return
            fname = node.target.value
            ann = _dotted(node.annotation.annotation) if not isinstance(
                node.annotation.annotation, cst.Subscript) else _dotted(node.annotation.annotation.value)
            if fname.startswith("_") or fname == "model_config" or ann.endswith("ClassVar"):
                return
            names: list[str] = []
            has_default = node.value is not None
            default = _literal(node.value) if node.value is not None else None
            if isinstance(node.value, cst.Name) and node.value.value == "None":
                default = ""
            value = node.value
            if isinstance(value, cst.Call) and _dotted(value.func).rsplit(".", 1)[-1] == "Field":
                has_default, default, names = _field_call(value)
            if has_default and default is None:
                default = COMPUTED
            if not names:
                env_name = str(conf.get("env_prefix") or "") + fname
                names = [env_name if conf.get("case_sensitive") else env_name.upper()]
            line = self._line(node)
            for n in names:
                self.reads.append(Read(n, self.path, line, "pydantic", self.component, f"{cls}.{fname}",
                                       default=default if has_default else None, required=not has_default))

        # os.getenv / os.environ ---------------------------------------------------------------
        def visit_Call(self, node: cst.Call) -> None:
            func = _dotted(node.func)
            if func in _HELPER_READERS:
                self._helper_read(node)
                return
            if func not in ("os.getenv", "getenv", "os.environ.get", "environ.get"):
                return
            if not node.args:
                return
            name = _literal(node.args[0].value)
            if name is None or not NAME.fullmatch(name):
                return
            default: str | None = None
            if len(node.args) > 1:
                arg = node.args[1]
                default = _literal(arg.value)
                if default is None:
                    default = "" if isinstance(arg.value, cst.Name) and arg.value.value == "None" else COMPUTED
            else:
                for a in node.args[1:]:
                    if a.keyword is not None and a.keyword.value == "default":
                        default = _literal(a.value)
            self.reads.append(Read(name, self.path, self._line(node.args[0].value), "getenv", self.component,
                                   self._where(), default=default, required=False))

        def _helper_read(self, node: cst.Call) -> None:
            """django-environ ``env("X", default=...)`` / python-decouple ``config("X", default=...)``."""
            if not node.args or node.args[0].keyword is not None:
                return
            name = _literal(node.args[0].value)
            if name is None or not _UPPER_NAME.fullmatch(name):
                return
            default: str | None = None
            has_default = False
            for a in node.args[1:]:
                if a.keyword is not None and a.keyword.value == "default":
                    has_default = True
                    default = _literal(a.value)
                    if default is None:
                        default = "" if isinstance(a.value, cst.Name) and a.value.value == "None" else COMPUTED
            self.reads.append(Read(name, self.path, self._line(node.args[0].value), "getenv", self.component,
                                   self._where(), default=default, required=not has_default))

        def visit_Subscript(self, node: cst.Subscript) -> None:
            if _dotted(node.value) not in ("os.environ", "environ") or len(node.slice) != 1:
                return
            sl = node.slice[0].slice
            if not isinstance(sl, cst.Index):
                return
            name = _literal(sl.value)
            if name is None or not NAME.fullmatch(name):
                return
            self.reads.append(Read(name, self.path, self._line(sl.value), "environ", self.component,
                                   self._where(), required=True))

        def _where(self) -> str:
            return self.class_stack[-1][0] if self.class_stack else ""

    return Visitor


_SETTINGS_KEYS = frozenset({"env_prefix", "case_sensitive"})


def _settings_config(node: Any) -> dict[str, Any]:
    """``env_prefix`` of a settings class: ``model_config = SettingsConfigDict(...)`` or ``class Config``."""
    import libcst as cst

    out: dict[str, Any] = {}
    for stmt in node.body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                target: Any = None
                value: Any = None
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign):
                    target, value = small.target, small.value
                if isinstance(target, cst.Name) and target.value == "model_config":
                    if isinstance(value, cst.Call):
                        for a in value.args:
                            if a.keyword is not None and a.keyword.value in _SETTINGS_KEYS:
                                out[a.keyword.value] = _literal(a.value) or ""
                    elif isinstance(value, cst.Dict):
                        for el in value.elements:
                            if isinstance(el, cst.DictElement) and _literal(el.key) in _SETTINGS_KEYS:
                                out[str(_literal(el.key))] = _literal(el.value) or ""
        elif isinstance(stmt, cst.ClassDef) and stmt.name.value == "Config":
            for inner in stmt.body.body:
                if isinstance(inner, cst.SimpleStatementLine):
                    for small in inner.body:
                        if (isinstance(small, cst.Assign) and len(small.targets) == 1
                                and isinstance(small.targets[0].target, cst.Name)
                                and small.targets[0].target.value in _SETTINGS_KEYS):
                            out[small.targets[0].target.value] = _literal(small.value) or ""
    out["case_sensitive"] = out.get("case_sensitive") == "true" if "case_sensitive" in out else None
    return {k: v for k, v in out.items() if v is not None}


def _field_call(call: Any) -> tuple[bool, str | None, list[str]]:
    """``(has_default, default, alias names)`` of ``Field(...)``."""
    import libcst as cst

    has_default = False
    default: str | None = None
    names: list[str] = []
    for i, a in enumerate(call.args):
        kw = a.keyword.value if a.keyword is not None else None
        if (kw is None and i == 0) or kw == "default":
            if isinstance(a.value, cst.Ellipsis):
                continue
            has_default = True
            default = _literal(a.value)
            if isinstance(a.value, cst.Name) and a.value.value == "None":
                default = ""
        elif kw == "default_factory":
            has_default = True
        elif kw in ("alias", "validation_alias", "env"):
            lit = _literal(a.value)
            if lit is not None:
                names.append(lit)
            elif isinstance(a.value, cst.Call) and _dotted(a.value.func).endswith("AliasChoices"):
                names.extend(x for x in (_literal(b.value) for b in a.value.args) if x is not None)
            elif isinstance(a.value, (cst.List, cst.Tuple, cst.Set)):
                names.extend(x for x in (_literal(e.value) for e in a.value.elements) if x is not None)
    names = [n for n in dict.fromkeys(names) if NAME.fullmatch(n)]
    return has_default, default, names


_VISITOR: list[type] = []


def _visitor(path: str, component: str) -> Any:
    """The libcst visitor (its class is built on first use: libcst is imported lazily)."""
    if not _VISITOR:
        _VISITOR.append(_py_visitor_class())
    return _VISITOR[0](path, component)
