"""Which environment variables the deployment reads, where, and with which default.

Three sources are read, all through :meth:`Project.read_text` so that earlier fixers' changes are seen:

- compose files: interpolation ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?msg}``,
  ``${VAR?msg}``, ``$VAR`` (``$$`` is an escape), outside YAML comments; ``environment`` entries without
  a value (passed through from the host); ``environment`` entries with a value are recorded as
  *provided* (the code reading them gets them from compose, not from the env file);
- backend Python: pydantic-settings ``BaseSettings`` fields (``env_prefix``, ``alias`` /
  ``validation_alias`` / ``AliasChoices``, defaults, ``Field(...)``) and ``os.getenv`` /
  ``os.environ.get`` / ``os.environ[...]``, read with libcst (imported lazily);
- frontend TypeScript: ``import.meta.env.VITE_*`` (with ``||`` / ``??`` fallbacks) and ``VITE_*`` names
  in ``vite.config.*``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seenfix.core.model import InputError, InputProblem

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Compose files for development, tests or CI: what they read is not the production deployment's.
NOT_PRODUCTION_COMPOSE = re.compile(
    r"[.-](dev|devel|development|local|test|tests|testing|ci|debug|override)\.ya?ml$", re.IGNORECASE)
#: The default of a read whose default is computed by code (not a literal).
COMPUTED = "(computed)"

#: Third-party credentials (API keys, OAuth client secrets, access tokens): sensitive, not generatable.
CREDENTIAL = re.compile(
    r"(API_?KEY|CLIENT_SECRET|ACCESS_KEY|PRIVATE_KEY|ACCESS_TOKEN|AUTH_TOKEN|API_TOKEN|"
    r"BOT_TOKEN|_TOKEN$|^TOKEN$|_SECRET$|PASSPHRASE|CREDENTIALS?$)",
    re.IGNORECASE,
)
#: Endings that name *about* a secret rather than the secret itself (P9 of the secrets policy).
NOT_A_VALUE = re.compile(r"_(FILE|PATH|NAME|ARN|ID|URL|ALGORITHM|ALG|TTL|TYPE|HEADER|LENGTH|EXPIRE_MINUTES)$",
                         re.IGNORECASE)


def is_generatable(name: str) -> bool:
    """A secret we generate (signing keys, passwords), as opposed to a provider's API key."""
    from seenfix.analysis.secrets_policy import is_password_name, is_signing_secret_name

    return is_signing_secret_name(name) or is_password_name(name)


def is_sensitive(name: str) -> bool:
    """A name whose value is a secret: a signing key, a password, an API key or token."""
    return is_generatable(name) or (bool(CREDENTIAL.search(name)) and not NOT_A_VALUE.search(name))


@dataclass(frozen=True)
class Read:
    """One place where a variable is read."""

    name: str
    path: str
    line: int
    kind: str  # compose | compose-passthrough | pydantic | getenv | environ | vite
    component: str  # the group: a compose service name, or the backend/frontend root's name
    context: str  # "service backend", "Settings.jwt_secret", ...
    default: str | None = None  # None: no default; "" an explicitly empty one
    required: bool = False

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class EnvVar:
    """A variable with every place it is read."""

    name: str
    reads: list[Read] = field(default_factory=list)
    #: ``path:line`` of a compose ``environment`` entry that sets it for the containers.
    provided_by: str | None = None

    @property
    def group(self) -> str:
        return self.reads[0].component

    @property
    def default(self) -> str | None:
        """The default that applies: compose's when compose interpolates the variable, else the code's."""
        compose = [r for r in self.reads if r.kind.startswith("compose")]
        for r in compose or self.reads:
            if r.default is not None:
                return r.default
        return None

    @property
    def in_compose(self) -> bool:
        return any(r.kind.startswith("compose") for r in self.reads)

    @property
    def required(self) -> bool:
        """Must be set in the env file: compose decides when it interpolates the variable, else the code."""
        compose = [r for r in self.reads if r.kind.startswith("compose")]
        if compose:
            return any(r.required and r.default is None for r in compose)
        return self.provided_by is None and any(r.required for r in self.reads)

    @property
    def sensitive(self) -> bool:
        return is_sensitive(self.name)

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(r.path for r in self.reads))


@dataclass
class Discovery:
    """Everything discovery found, in a stable order (first read first)."""

    vars: dict[str, EnvVar] = field(default_factory=dict)
    provided: dict[str, str] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)

    def add(self, reads: Iterable[Read]) -> None:
        for r in reads:
            self.vars.setdefault(r.name, EnvVar(r.name)).reads.append(r)

    def groups(self) -> dict[str, list[EnvVar]]:
        out: dict[str, list[EnvVar]] = {}
        for var in self.vars.values():
            out.setdefault(var.group, []).append(var)
        return out


# -- compose ------------------------------------------------------------------------------------

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


# -- backend (Python) ---------------------------------------------------------------------------


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


# -- frontend (TypeScript) ----------------------------------------------------------------------

_META_ENV = re.compile(
    r"import\.meta\.env(?:\.(?P<a>[A-Za-z_][A-Za-z0-9_]*)|\[\s*(?P<q>['\"])(?P<b>[A-Za-z_][A-Za-z0-9_]*)(?P=q)\s*\])"
    r"(?P<fb>\s*(?:\|\||\?\?)\s*(?P<fq>['\"`])(?P<fv>(?:(?!(?P=fq)).)*)(?P=fq))?"
)
_FALLBACK = re.compile(r"\s*(?:\|\||\?\?)\s*(?P<fq>['\"`])(?P<fv>(?:(?!(?P=fq)).)*)(?P=fq)")
_DESTRUCTURE = re.compile(r"\{(?P<names>[^{}]*)\}\s*=\s*import\.meta\.env\b(?!\s*\.)")
_DESTRUCTURED_NAME = re.compile(
    r"(?<![A-Za-z0-9_$])(?P<name>VITE_[A-Za-z0-9_]+)\s*(?::\s*[A-Za-z_$][A-Za-z0-9_$]*\s*)?"
    r"(?:=\s*(?P<q>['\"`])(?P<dv>(?:(?!(?P=q)).)*)(?P=q))?"
)
_VITE_NAME = re.compile(r"(?<![A-Za-z0-9_])VITE_[A-Za-z0-9_]+")


def _blank_comments(text: str) -> str:
    """Comments replaced by spaces (newlines kept), so that offsets and line numbers stay right."""
    def repl(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    # keep "//" inside strings such as 'http://x' intact: only blank // preceded by start or space/;
    return re.sub(r"(?:(?<=^)|(?<=[\s;{}(),]))//[^\n]*|/\*.*?\*/", repl, text, flags=re.DOTALL | re.MULTILINE)


def ts_reads(path: str, text: str, component: str) -> list[Read]:
    """Reads in one TS/TSX file: ``import.meta.env.VITE_*`` (and, in ``vite.config.*``, any ``VITE_*``)."""
    from seenfix.editors.text import line_starts, offset_to_line

    clean = _blank_comments(text)
    starts = line_starts(clean)
    reads: list[Read] = []
    seen: set[int] = set()
    for m in _META_ENV.finditer(clean):
        name = m.group("a") or m.group("b")
        if not name.startswith("VITE_"):
            continue  # MODE, DEV, PROD, BASE_URL, SSR are Vite's own
        seen.add(m.start("a") if m.group("a") else m.start("b"))
        default = m.group("fv") if m.group("fb") else None
        reads.append(Read(name, path, offset_to_line(starts, m.start()), "vite", component,
                          "", default=default, required=default is None))
    for m in _DESTRUCTURE.finditer(clean):  # const { VITE_A, VITE_B: b = "x" } = import.meta.env
        for part in _DESTRUCTURED_NAME.finditer(m.group("names")):
            name = part.group("name")
            seen.add(m.start("names") + part.start("name"))
            default = part.group("dv")
            reads.append(Read(name, path, offset_to_line(starts, m.start("names") + part.start("name")), "vite",
                              component, "", default=default, required=default is None))
    if re.search(r"(^|/)vite\.config\.[cm]?[jt]s$", path):
        for m in _VITE_NAME.finditer(clean):
            if m.start() in seen:
                continue
            fb = _FALLBACK.match(clean, m.end())
            default = fb.group("fv") if fb else None
            reads.append(Read(m.group(), path, offset_to_line(starts, m.start()), "vite", component,
                              "", default=default, required=default is None))
    return reads


# -- the whole project --------------------------------------------------------------------------


def _component(path: str, roots: list[str], fallback: str, builds: dict[str, str]) -> str:
    """The group of a code file: the compose service built from its folder, else its root's name."""
    service, context = "", ""
    for name, ctx in builds.items():
        if ctx and path.startswith(ctx + "/") and len(ctx) > len(context):
            service, context = name, ctx
    if service:
        return service
    best = ""
    for root in roots:
        if (root in ("", ".") or path.startswith(root.rstrip("/") + "/")) and len(root) >= len(best):
            best = root
    return posixpath.basename(best.rstrip("/")) if best not in ("", ".") else fallback


def _under(path: str, roots: list[str]) -> bool:
    return any(r in ("", ".") or path.startswith(r.rstrip("/") + "/") for r in roots)


def _env_file_keys(project: Project, env_files: dict[str, list[str]], found: Discovery) -> None:
    """Keys of committed env files that compose loads (``backend.env``): they are provided, not read.

    ``.env`` / ``.env.*`` files are what the deployment's operator writes (the template describes them),
    so their keys are never taken as provided.
    """
    from seenfix.editors.dotenv import parse
    from seenfix.core.project import is_template_env

    for paths in env_files.values():
        for path in paths:
            if posixpath.basename(path).startswith(".env") or is_template_env(path):
                continue
            text = project.read_text(path)
            if text is None:
                continue
            for entry in parse(text).entries:
                found.provided.setdefault(entry.key, f"{path}:{entry.line}")


def discover(project: Project) -> Discovery:
    """Every variable the project's compose files, backend and frontend read."""
    from seenfix.core.project import is_test_path

    found = Discovery()
    lay = project.layout
    builds: dict[str, str] = {}
    env_files: dict[str, list[str]] = {}
    for path in lay.compose_files:
        if is_test_path(path) or NOT_PRODUCTION_COMPOSE.search(path):
            continue
        text = project.read_text(path)
        if text is None:
            continue
        reads, provided = compose_reads(path, text, builds, env_files)
        found.add(reads)
        for name, where in provided.items():
            found.provided.setdefault(name, where)
    _env_file_keys(project, env_files, found)
    backend = lay.backend_roots
    py_files = [p for p in lay.python_files if not is_test_path(p) and (not backend or _under(p, backend))]
    for path in py_files:
        text = project.read_text(path)
        if text is None or not any(s in text for s in ("environ", "getenv", "Settings", "env(", "env.", "config(")):
            continue
        try:
            found.add(python_reads(path, text, _component(path, backend, "backend", builds)))
        except InputError as exc:
            found.problems.append(exc.problem())
    frontend = lay.frontend_roots
    vite_configs = [p for p in project.files() if re.search(r"(^|/)vite\.config\.[cm]?[jt]s$", p)]
    ts_files = [p for p in lay.ts_files if not p.endswith(".d.ts") and not is_test_path(p)
                and (not frontend or _under(p, frontend))]
    for path in sorted(set(ts_files) | set(vite_configs)):
        text = project.read_text(path)
        if text is None or "VITE_" not in text:
            continue
        found.add(ts_reads(path, text, _component(path, frontend, "frontend", builds)))
    for name, var in found.vars.items():
        if name in found.provided:
            var.provided_by = found.provided[name]
    return found
