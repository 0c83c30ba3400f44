"""Where committed secrets sit in a project, and how they move into an untracked ``.env``.

Shared by SF001 (signing secrets) and SF004 (database credentials).  A :class:`Site` is one committed
literal with the edit that removes it; :func:`env_changes` turns the variables the fixed files now
require into one untracked, git-ignored ``.env`` per directory (mode 0600, existing values kept) and
the ``.gitignore`` lines that keep it out of git.  No value is ever put in a message: use
:func:`seenfix.analysis.secrets_policy.mask`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seenfix.editors.text import apply_edits, ensure_lines
from seenfix.core.lazy import lazy_module
from seenfix.core.model import FileChange, InputError
from seenfix.core.project import Project
from seenfix.analysis.secrets_policy import (
    generate_like,
    generate_secret,
    is_app_secret_name,
    is_exempt_path,
    is_key_deriving_name,
    is_literal_value,
    is_signing_secret_name,
    name_tokens,
)

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.editors import dotenv
else:  # loaded when first used (seenfix.core.lazy)
    dotenv = lazy_module("seenfix.editors.dotenv")

JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")
SPRING_CONFIG = re.compile(r"(^|/)application(-[^/]*)?\.(ya?ml|properties)$")
#: ``key = value`` of a .properties line; the value runs to its last non-blank character (greedy, so
#: that a long run of blanks inside a value costs no backtracking).
_PROPERTY = re.compile(r"[ \t]*(?P<key>[A-Za-z0-9_.\-\[\]]+)[ \t]*[=:][ \t]*(?P<value>(?:[^\r\n]*[^ \t\r\n])?)[ \t]*$")


@dataclass(frozen=True)
class Site:
    """One committed literal: where it is, what replaces it, which variable then becomes required."""

    path: str
    line: int
    name: str  # the secret's name as written
    env_var: str  # the variable the fixed file requires
    value: str  # the committed literal (never printed)
    kind: str  # compose | compose-default | dotenv | python | js | app-yaml | url
    edit: tuple[int, int, str] | None  # (start, end, replacement) in the file; None: not fixable
    env_dir: str | None  # directory of the .env that must define env_var (None: none)
    keep_value: bool = False  # move the literal into .env instead of generating a new value
    untrack: bool = False  # the file itself is a tracked env file: untrack and ignore it

    @property
    def fixable(self) -> bool:
        return self.edit is not None or self.untrack


def _is_user(var: str) -> bool:
    """User names are moved with passwords but are not secret values (not masked)."""
    return name_tokens(var)[-1:] in (("user",), ("username",))


def is_tracked(project: Project, path: str) -> bool:
    """Tracked in git and not already untracked by a change in the overlay."""
    change = project.overlay.get(path)
    return project.is_tracked(path) and not (change is not None and change.untrack)


def in_dev_stack(project: Project, path: str) -> bool:
    """``path`` is a development, test or CI compose file (not the production deployment): secret
    fixers report what it commits at low severity and never edit it, since a required ``${VAR:?}``
    there makes ``docker compose up`` fail in a fresh clone."""
    return path in project.layout.dev_set


#: What the secret fixers say about a value committed in a dev, test or CI stack.
DEV_STACK_NOTE = ("a development/test stack, left unchanged (a fresh clone must still start it); "
                  "make sure production does not use this value")


def env_dir_for(project: Project, path: str) -> str:
    """The directory whose ``.env`` serves ``path``: the nearest one holding a compose file, else the root."""
    compose_dirs = project.layout.production_by_folder
    d = posixpath.dirname(path)
    while True:
        if d in compose_dirs:
            return d
        if not d:
            return ""
        d = posixpath.dirname(d)


def env_path(directory: str) -> str:
    return posixpath.join(directory, ".env") if directory else ".env"


def candidate_files(project: Project, kinds: Iterable[str]) -> list[str]:
    """Project files of the given kinds that may hold findings (templates and tests excluded).  The
    listing is worked out once per list of files; whether an env file is still tracked (a fix may
    untrack it) is asked of each project."""
    wanted = frozenset(kinds)
    listed = project.derived(("secret candidates", wanted), lambda: _candidates(project, wanted))
    return [p for p, env, other in listed if other or env and is_tracked(project, p)]


def _candidates(project: Project, wanted: frozenset[str]) -> tuple[tuple[str, bool, bool], ...]:
    """``(path, an env file of the layout, of another kind wanted)`` for the files of the kinds
    ``wanted`` (env files before the question of whether they are tracked)."""
    out = []
    for p in project.files():
        if is_exempt_path(p) or "/node_modules/" in f"/{p}" or p.endswith((".min.js", ".d.ts")):
            continue
        env = "env" in wanted and p in project.layout.env_set
        other = "compose" in wanted and p in project.layout.compose_set \
            or "python" in wanted and p.endswith(".py") \
            or "js" in wanted and p.endswith(JS_SUFFIXES) \
            or "yaml" in wanted and p.endswith((".yml", ".yaml")) and p not in project.layout.compose_set \
            or "properties" in wanted and p.endswith(".properties") \
            or "java" in wanted and p.endswith((".java", ".kt"))
        if env or other:
            out.append((p, env, other))
    return tuple(out)


def dotenv_sites(path: str, text: str) -> list[Site]:
    """Signing secrets in a tracked env file: untrack it and regenerate them there (P4); key-deriving
    ones are marked by the fixer to be kept (:func:`env_changes` leaves a kept value as it is)."""
    env = dotenv.parse(text)
    out = []
    for e in env.entries:
        if is_app_secret_name(e.key) and is_literal_value(e.value):
            out.append(Site(path, e.line, e.key, e.key, e.value, "dotenv", None, None, untrack=True))
    return out


def app_yaml_sites(path: str, text: str) -> list[Site]:
    """Signing-secret literals in application YAML (``jwt: secret: ...``); fixable for Spring only."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    from seenfix.editors.yaml_env import compose_nodes, scalar

    root = compose_nodes(text, path)
    out: list[Site] = []
    stack: list[tuple[tuple[str, ...], object]] = [((), root)]
    spring = bool(SPRING_CONFIG.search(path))
    helm = bool(_HELM.search(path))
    seen: set[int] = set()
    while stack:
        keys, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            pairs = {str(k.value): v for k, v in node.value}
            named = scalar(pairs.get("name"))
            if named is not None and "value" in pairs:  # Kubernetes: - name: JWT_SECRET / value: ...
                sc = scalar(pairs["value"])
                if sc is not None and is_signing_secret_name(named.value) and is_literal_value(sc.value) \
                        and "${" not in sc.value:
                    out.append(Site(path, sc.line, named.value, named.value, sc.value, "app-yaml", None, None))
                continue
            for k, v in node.value:
                if str(k.value) not in _COMMANDS:  # health checks, probes and commands are shell, not config
                    stack.append((keys + (str(k.value),), v))
        elif isinstance(node, SequenceNode):
            stack.extend((keys, v) for v in node.value)
        else:
            sc = scalar(node)
            if sc is None or not keys or not is_literal_value(sc.value) or "${" in sc.value:
                continue
            name, value = ".".join(keys[-2:]), sc.value
            item = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.+)", sc.value)
            if item:  # a list entry: - JWT_SECRET=...
                name, value = item.group(1), item.group(2)
            if not is_signing_secret_name(name) or not is_literal_value(value) or "${" in value \
                    or _names_a_secret_object(name, helm):
                continue
            var = _app_var(name)
            edit = (sc.start, sc.end, "${" + var + "}") if spring and sc.editable and not item else None
            out.append(Site(path, sc.line, name if item else ".".join(keys), var, value, "app-yaml", edit,
                            "" if edit else None))
    return sorted(out, key=lambda s: s.line)


#: Health checks and probes: shell commands that test the service, not its configuration.
_COMMANDS = frozenset({"healthcheck", "livenessProbe", "readinessProbe", "startupProbe"})
#: Helm charts: their values name Secret objects and the keys inside them.
_HELM = re.compile(r"(^|/)(charts?|helm)/|(^|/)values(\.[^/]*)?\.ya?ml$")


def _names_a_secret_object(name: str, helm: bool) -> bool:
    """``existingSecret: app-auth``, and in a Helm chart ``secretKey: jwt-secret`` (the key inside a
    Kubernetes Secret): references to secret objects, not secret values."""
    tokens = name_tokens(name.rsplit(".", 1)[-1])
    if tokens[:1] == ("existing",):
        return True
    return helm and tokens[-2:] == ("secret", "key")


def _app_var(name: str) -> str:
    return "_".join(t for t in re.split(r"[^A-Za-z0-9]+", name) if t).upper()


def properties_sites(path: str, text: str) -> list[Site]:
    """``jwt.secret=...`` in Java properties files; fixable (``${JWT_SECRET}``) for Spring's."""
    out: list[Site] = []
    spring = bool(SPRING_CONFIG.search(path))
    offset = 0
    continued = False
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        start, offset = offset, offset + len(line)
        body = line.rstrip("\r\n")
        was_continued, continued = continued, body.endswith("\\")
        if was_continued or body.lstrip().startswith(("#", "!")):
            continue
        m = _PROPERTY.fullmatch(body)
        if m is None or continued:
            continue
        name, value = m["key"], m["value"]
        short = ".".join(name.split(".")[-2:])
        if not is_literal_value(value) or "${" in value or not is_signing_secret_name(short):
            continue
        var = _app_var(short)
        edit = (start + m.start("value"), start + m.end("value"), "${" + var + "}") if spring else None
        out.append(Site(path, number, name, var, value, "properties", edit, "" if edit else None))
    return out


_SPRING_DEFAULT = re.compile(r"\\?\$\{(?P<name>[A-Za-z0-9_.\-]+):(?P<default>[^}\r\n\"']*)\}")


def spring_default_sites(path: str, text: str) -> list[Site]:
    """Spring placeholders with a literal default, ``@Value("${jwt.secret:dev}")`` or
    ``secret: ${JWT_SECRET:dev}``: the default is dropped, so Spring refuses to start without it."""
    out: list[Site] = []
    offset = 0
    comment = ("//", "*", "/*") if path.endswith((".java", ".kt")) else ("#", "!")
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        start, offset = offset, offset + len(line)
        if line.lstrip().startswith(comment):
            continue
        for m in _SPRING_DEFAULT.finditer(line):
            name, default = m["name"], m["default"]
            short = ".".join(name.split(".")[-2:])
            if not is_signing_secret_name(short) or not is_literal_value(default) or "$" in default:
                continue
            a = start + m.start("default") - 1  # the ":" before the default
            out.append(Site(path, number, name, _app_var(short), default, "spring-default",
                            (a, start + m.end("default"), ""), ""))
    return out


def file_changes(project: Project, sites: list[Site],
                 extra: dict[str, list[tuple[int, int, str]]] | None = None) -> list[FileChange]:
    """The edited files (one change each), without the ``.env`` side; ``extra`` adds edits by path."""
    by_path: dict[str, list[tuple[int, int, str]]] = {p: list(e) for p, e in (extra or {}).items()}
    for s in sites:
        if s.edit is not None and not s.untrack:
            by_path.setdefault(s.path, []).append(s.edit)
    out = []
    for path, group in sorted(by_path.items()):
        text = project.read_text(path)
        if text is None:
            continue
        edits = list(dict.fromkeys(group))
        try:
            new = apply_edits(text, edits)
        except ValueError as exc:
            raise InputError(path, 1, f"overlapping secret edits: {exc}") from None
        if new != text:
            out.append(FileChange(path, new))
    return out


def _generate(site: Site, nbytes: int) -> str:
    """A new value for ``site``'s variable: in the old value's format when it derives keys."""
    if is_key_deriving_name(site.env_var) or is_key_deriving_name(site.name):
        return generate_like(site.value, nbytes)
    return generate_secret(nbytes)


def env_changes(project: Project, sites: list[Site], nbytes: int,
                secret_files: dict[str, str] | None = None) -> list[FileChange]:
    """Untracked ``.env`` files defining every newly required variable, plus the ignore rules.

    Every generated or moved value is listed in ``secret_values`` (masked in every output), however
    short: a moved password such as ``seen`` must not appear in a dry-run diff either.  User names
    move too but are not secrets.

    A value already in the ``.env`` is kept (a re-run never rotates it), unless the ``.env`` is itself
    tracked: its signing secrets are then committed, so they are regenerated and the file untracked.
    ``secret_files`` (path -> value) are Docker secret files: written once (0600) and ignored.
    """
    wanted: dict[str, dict[str, Site]] = {}
    untrack: dict[str, list[Site]] = {}
    for s in sites:
        if s.untrack:
            untrack.setdefault(s.path, []).append(s)
        elif s.fixable and s.env_dir is not None:
            wanted.setdefault(env_path(s.env_dir), {}).setdefault(s.env_var, s)
    out: list[FileChange] = []
    ignore: list[str] = []
    for path in sorted(set(wanted) | set(untrack)):
        text = project.read_text(path) or ""
        tracked = is_tracked(project, path)
        env = dotenv.parse(text)
        new_values: dict[str, str] = {}
        kept = {s.env_var for s in untrack.get(path, []) if s.keep_value}
        for s in untrack.get(path, []):
            if not s.keep_value:
                new_values[s.env_var] = _generate(s, nbytes)
        for var, site in wanted.get(path, {}).items():
            current = env.get(var)
            if var in new_values or var in kept:
                continue
            if current is not None and current.value and not (tracked and is_signing_secret_name(var)
                                                              and not site.keep_value):
                continue
            new_values[var] = site.value if site.keep_value else _generate(site, nbytes)
        new = dotenv.set_values(text, new_values)
        shown = [v for k, v in new_values.items() if v and not _is_user(k)]
        if new != text or tracked:
            out.append(FileChange(path, new, secret=True, secret_values=tuple(shown), untrack=tracked,
                                  mode=0o600))
        if not project.is_ignored(path):
            ignore.append(".env" if posixpath.basename(path) == ".env" else "/" + path)
    for path, value in sorted((secret_files or {}).items()):
        if project.read_text(path) is None:
            out.append(FileChange(path, value, secret=True, mode=0o600,
                                  secret_values=(value,) if value else ()))
        if not project.is_ignored(path):
            ignore.append("/" + path)
    if ignore:
        gi = project.read_text(".gitignore")
        new_gi = ensure_lines(gi, ignore, header="# Local secrets (seenfix)")
        if new_gi != (gi or ""):
            out.append(FileChange(".gitignore", new_gi))
    return out
