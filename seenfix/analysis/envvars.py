"""Which environment variables the deployment reads, where, and with which default.

Three sources are read, all through :meth:`Project.read_text` so that earlier fixers' changes are seen,
each by its own reader (:mod:`~seenfix.analysis.env_reads_compose`,
:mod:`~seenfix.analysis.env_reads_python`, :mod:`~seenfix.analysis.env_reads_ts`):

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from seenfix.analysis.secrets_policy import is_sensitive
from seenfix.core.model import InputError, InputProblem

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.filepass import FilePass
    from seenfix.core.project import Project

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: The default of a read whose default is computed by code (not a literal).
COMPUTED = "(computed)"

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


# -- the whole project --------------------------------------------------------------------------


def _component(path: str, roots: frozenset[str], fallback: str, contexts: dict[str, str]) -> str:
    """The group of a code file: the compose service built from its folder (the deepest build
    context holding it; ``contexts``: context -> service, see :func:`_contexts`), else the name of the
    deepest root holding it (``roots`` without a trailing ``/``).  Each parent folder of the file is
    looked up once, deepest first, instead of scanning every service and root per file."""
    folders = []
    d = posixpath.dirname(path)
    while d:
        folders.append(d)
        d = posixpath.dirname(d)
    for folder in folders:
        if folder in contexts:
            return contexts[folder]
    for folder in folders:
        if folder in roots:
            return posixpath.basename(folder)
    return fallback


def _contexts(builds: dict[str, str]) -> dict[str, str]:
    """Build context -> the first service built from it."""
    out: dict[str, str] = {}
    for name, ctx in builds.items():
        if ctx:
            out.setdefault(ctx, name)
    return out


def _roots(roots: list[str]) -> frozenset[str]:
    from seenfix.core.project import root_folders

    return root_folders(roots) - {"", "."}


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


#: Words without which a Python file reads no variable (it is not parsed).
_PY_HINTS = ("environ", "getenv", "Settings", "env(", "env.", "config(")


def backend_sources(project: Project) -> tuple[str, ...]:
    """The Python files :func:`discover` looks into (the backend's, not its tests), once per list of
    files."""
    from seenfix.core.project import is_test_path, root_folders, under_roots

    def listed() -> tuple[str, ...]:
        backend = root_folders(project.layout.backend_roots)
        return tuple(p for p in project.layout.python_files
                     if not is_test_path(p) and (not backend or under_roots(p, backend)))

    return project.derived("backend sources", listed)


#: What :func:`python_reads_of` answers: ``None`` (no read), ``("reads", ((name, line, kind, context,
#: default, required), ...))`` or ``("error", line, message, limitation)`` (libcst cannot read it).
PyAnswer = tuple[object, ...] | None


def python_reads_of(path: str, text: str) -> tuple[PyAnswer, bool]:
    """The variables one backend Python file reads, as a :class:`FilePass` function: the answer
    depends on the text alone (the path and component are added by :func:`discover`), so it is
    cached by digest, and a re-run parses no Python."""
    from seenfix.analysis.env_reads_python import python_reads

    if not any(s in text for s in _PY_HINTS):
        return None, False
    try:
        reads = python_reads(path, text, "")
    except InputError as exc:
        return ("error", exc.line, exc.message, exc.limitation), False
    return ("reads", tuple((r.name, r.line, r.kind, r.context, r.default, r.required) for r in reads)), False


def frontend_sources(project: Project) -> tuple[str, ...]:
    """The TypeScript files and Vite configurations :func:`discover` looks into for ``VITE_*`` reads,
    once per list of files."""
    from seenfix.core.project import is_test_path, root_folders, under_roots

    def listed() -> tuple[str, ...]:
        frontend = root_folders(project.layout.frontend_roots)
        vite_configs = [p for p in project.files() if re.search(r"(^|/)vite\.config\.[cm]?[jt]s$", p)]
        ts_files = [p for p in project.layout.ts_files if not p.endswith(".d.ts") and not is_test_path(p)
                    and (not frontend or under_roots(p, frontend))]
        return tuple(sorted(set(ts_files) | set(vite_configs)))

    return project.derived("frontend sources", listed)


def mentions_vite(path: str, text: str) -> tuple[bool, bool]:
    """Whether a frontend source names a ``VITE_*`` variable, as a :class:`FilePass` function: the
    pass answers this for every file (cached by digest), and :func:`discover` reads only those."""
    return "VITE_" in text, False


def discover(project: Project, python_pass: FilePass | None = None, vite_pass: FilePass | None = None) -> Discovery:
    """Every variable the project's compose files, backend and frontend read.  With a fixer's file
    passes (:mod:`seenfix.core.filepass`, run in parallel and cached by digest): ``python_pass`` of
    :func:`python_reads_of` over the project's :func:`backend_sources`, ``vite_pass`` of
    :func:`mentions_vite` over its :func:`frontend_sources`."""
    from seenfix.analysis.env_reads_compose import compose_reads
    from seenfix.analysis.env_reads_ts import ts_reads

    found = Discovery()
    lay = project.layout
    builds: dict[str, str] = {}
    env_files: dict[str, list[str]] = {}
    for path in lay.production_compose:  # dev, test and CI stacks are not the deployment
        text = project.read_text(path)
        if text is None:
            continue
        reads, provided = compose_reads(path, text, builds, env_files)
        found.add(reads)
        for name, where in provided.items():
            found.provided.setdefault(name, where)
    _env_file_keys(project, env_files, found)
    backend = _roots(lay.backend_roots)
    contexts = _contexts(builds)
    py_files = list(python_pass.paths) if python_pass is not None else backend_sources(project)
    if python_pass is not None:
        from seenfix.core.filepass import run_pass

        answers = dict(run_pass(project, python_pass, py_files))
    else:
        answers = {}
        for path in py_files:
            text = project.read_text(path)
            if text is not None:
                answers[path] = python_reads_of(path, text)[0]
    for path in py_files:
        answer = answers.get(path)
        if answer is None:
            continue
        if answer[0] == "error":
            _, line, message, limitation = answer
            found.problems.append(InputProblem(path, int(str(line)), str(message), limitation is True))
            continue
        component = _component(path, backend, "backend", contexts)
        found.add(Read(str(n), path, int(str(ln)), str(kind), component, str(ctx), d if d is None else str(d),
                       req is True)
                  for n, ln, kind, ctx, d, req in cast("tuple[tuple[object, ...], ...]", answer[1]))
    frontend = _roots(lay.frontend_roots)
    paths = list(vite_pass.paths) if vite_pass is not None else frontend_sources(project)
    mentions: set[str] | None = None
    if vite_pass is not None:
        from seenfix.core.filepass import run_pass

        mentions = {p for p, yes in run_pass(project, vite_pass, paths) if yes}
    for path in paths:
        if mentions is not None and path not in mentions:
            continue
        text = project.read_text(path)
        if text is None or "VITE_" not in text:
            continue
        found.add(ts_reads(path, text, _component(path, frontend, "frontend", contexts)))
    for name, var in found.vars.items():
        if name in found.provided:
            var.provided_by = found.provided[name]
    return found
