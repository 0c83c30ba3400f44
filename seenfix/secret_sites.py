"""Where committed secrets sit in a project, and how they move into an untracked ``.env``.

Shared by SF001 (signing secrets) and SF004 (database credentials).  A :class:`Site` is one committed
literal with the edit that removes it; :func:`env_changes` turns the variables the fixed files now
require into one untracked, git-ignored ``.env`` per directory (mode 0600, existing values kept) and
the ``.gitignore`` lines that keep it out of git.  No value is ever put in a message: use
:func:`seenfix.secrets_policy.mask`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from seenfix.editors import dotenv
from seenfix.editors.text import apply_edits, ensure_lines
from seenfix.model import FileChange, InputError
from seenfix.project import Project
from seenfix.secrets_policy import generate_secret, is_exempt_path, is_literal_value, is_signing_secret_name

#: Moved values shorter than this are not added to ``secret_values`` (masking a 4-letter word such
#: as ``seen`` everywhere would garble every message); generated values are always masked.
MIN_MASKED_LEN = 6

JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")
SPRING_CONFIG = re.compile(r"(^|/)application(-[^/]*)?\.ya?ml$")


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


def is_tracked(project: Project, path: str) -> bool:
    """Tracked in git and not already untracked by a change in the overlay."""
    change = project.overlay.get(path)
    return project.is_tracked(path) and not (change is not None and change.untrack)


def env_dir_for(project: Project, path: str) -> str:
    """The directory whose ``.env`` serves ``path``: the nearest one holding a compose file, else the root."""
    compose_dirs = {posixpath.dirname(c) for c in project.layout.compose_files if not is_exempt_path(c)}
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
    """Project files of the given kinds that may hold findings (templates and tests excluded)."""
    wanted = set(kinds)
    out = []
    for p in project.files():
        if is_exempt_path(p) or "/node_modules/" in f"/{p}" or p.endswith((".min.js", ".d.ts")):
            continue
        if "compose" in wanted and p in project.layout.compose_files \
                or "env" in wanted and p in project.layout.env_files and is_tracked(project, p) \
                or "python" in wanted and p.endswith(".py") \
                or "js" in wanted and p.endswith(JS_SUFFIXES) \
                or "yaml" in wanted and p.endswith((".yml", ".yaml")) and p not in project.layout.compose_files:
            out.append(p)
    return out


def dotenv_sites(project: Project, path: str, text: str, wanted: str = "signing") -> list[Site]:
    """Signing secrets in a tracked env file: untrack it and regenerate them there (P4)."""
    env = dotenv.parse(text)
    out = []
    for e in env.entries:
        if is_signing_secret_name(e.key) and is_literal_value(e.value):
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
    while stack:
        keys, node = stack.pop()
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack.append((keys + (str(k.value),), v))
        elif isinstance(node, SequenceNode):
            stack.extend((keys, v) for v in node.value)
        else:
            sc = scalar(node)
            if sc is None or not keys or not is_literal_value(sc.value) or "${" in sc.value:
                continue
            name = ".".join(keys[-2:])
            if not is_signing_secret_name(name):
                continue
            var = "_".join(re.split(r"[^A-Za-z0-9]+", name)).upper()
            edit = (sc.start, sc.end, "${" + var + "}") if spring and sc.editable else None
            out.append(Site(path, sc.line, ".".join(keys), var, sc.value, "app-yaml", edit, "" if edit else None))
    return sorted(out, key=lambda s: s.line)


def file_changes(project: Project, sites: list[Site]) -> list[FileChange]:
    """The edited files (one change each), without the ``.env`` side."""
    by_path: dict[str, list[Site]] = {}
    for s in sites:
        if s.edit is not None and not s.untrack:
            by_path.setdefault(s.path, []).append(s)
    out = []
    for path, group in sorted(by_path.items()):
        text = project.read_text(path)
        if text is None:
            continue
        edits = list(dict.fromkeys(s.edit for s in group if s.edit is not None))
        try:
            new = apply_edits(text, edits)
        except ValueError as exc:
            raise InputError(path, group[0].line, f"overlapping secret edits: {exc}") from None
        if new != text:
            out.append(FileChange(path, new))
    return out


def env_changes(project: Project, sites: list[Site], nbytes: int) -> list[FileChange]:
    """Untracked ``.env`` files defining every newly required variable, plus the ignore rules.

    A value already in the ``.env`` is kept (a re-run never rotates it), unless the ``.env`` is itself
    tracked: its signing secrets are then committed, so they are regenerated and the file untracked.
    """
    wanted: dict[str, dict[str, str | None]] = {}
    untrack: dict[str, list[Site]] = {}
    for s in sites:
        if s.untrack:
            untrack.setdefault(s.path, []).append(s)
        elif s.fixable and s.env_dir is not None:
            wanted.setdefault(env_path(s.env_dir), {}).setdefault(s.env_var, s.value if s.keep_value else None)
    out: list[FileChange] = []
    ignore: list[str] = []
    for path in sorted(set(wanted) | set(untrack)):
        text = project.read_text(path) or ""
        tracked = is_tracked(project, path)
        env = dotenv.parse(text)
        new_values: dict[str, str] = {}
        shown: list[str] = []
        for s in untrack.get(path, []):
            new_values[s.env_var] = generate_secret(nbytes)
        for var, moved in wanted.get(path, {}).items():
            current = env.get(var)
            if var in new_values:
                continue
            if current is not None and current.value and not (tracked and is_signing_secret_name(var)):
                continue
            new_values[var] = moved if moved is not None else generate_secret(nbytes)
        new = dotenv.set_values(text, new_values)
        shown = [v for v in new_values.values() if len(v) >= MIN_MASKED_LEN]
        if new != text or tracked:
            out.append(FileChange(path, new, secret=True, secret_values=tuple(shown), untrack=tracked,
                                  mode=0o600))
        if not project.is_ignored(path):
            ignore.append(".env" if posixpath.basename(path) == ".env" else "/" + path)
    if ignore:
        gi = project.read_text(".gitignore")
        new_gi = ensure_lines(gi, ignore, header="# Local secrets (seenfix)")
        if new_gi != (gi or ""):
            out.append(FileChange(".gitignore", new_gi))
    return out
