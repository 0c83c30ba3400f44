"""What a fixer sees: the target's files with earlier fixers' changes laid over them.

A :class:`Project` is read-only for fixers.  The runner owns the overlay: it applies one fixer's
:class:`~seenfix.core.model.FileChange` values and hands the next fixer a project in which those changes
are visible (several fixers edit ``docker-compose.yml``).
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from seenfix.core.memo import Memo
from seenfix.core.model import FileChange, InputProblem
from seenfix.core.pathmatch import Prefiltered
from seenfix.core.workspace import Encoded, Workspace

T = TypeVar("T")

# Path patterns, each with the words one of which every path it matches holds (seenfix.core.pathmatch)
COMPOSE_NAME = Prefiltered(r"(^|/)(docker-)?compose([.-][^/]*)?\.ya?ml$", ("compose",))
NGINX_NAME = Prefiltered(r"(^|/)(nginx[^/]*\.conf[^/]*|[^/]*\.conf(\.template|\.sample|\.example)?|[^/]*\.nginx)$",
                         (".conf", ".nginx"))
NGINX_SNIFF = re.compile(r"^\s*(server|location|http|upstream)\b[^;{]*\{", re.MULTILINE)
ENV_NAME = Prefiltered(r"(^|/)(\.env(\.[^/]*)?|[^/]*\.env)$", (".env",))
TEMPLATE_ENV = Prefiltered(r"\.(example|sample|template|dist|tpl)$", (".example", ".sample", ".template", ".dist", ".tpl"))

#: Words of a compose file's path (folders and name parts) that mark the production deployment.
PRODUCTION_WORDS = frozenset({"prod", "production", "deploy", "deployment", "release", "live", "stack", "swarm"})
#: Words that mark a development, test or CI stack: ``.devcontainer/``, ``cypress/``,
#: ``docker/development/``, ``compose.dev.yml``, ``docker-compose.test.yml``...
DEV_WORDS = frozenset({
    "dev", "devel", "develop", "development", "devenv", "devcontainer", "local", "debug", "sandbox",
    "test", "tests", "testing", "e2e", "integration", "cypress", "playwright", "selenium", "ci", "spec",
    "specs", "fixtures", "testdata", "__tests__", "storybook", "mock", "mocks",
})


def compose_role(path: str) -> str:
    """``"production"`` or ``"dev"`` for a discovered compose file, by the words of its path: a
    production word anywhere (``compose.prod.yml``, ``deploy/``) makes it production; otherwise a
    development/test/CI word (``.devcontainer/``, ``cypress/``, ``docker/testing/``,
    ``compose.dev.yml``) makes it a dev stack; an unmarked file (``compose.yml``, and overlays such
    as ``docker-compose.override.yml``) is production."""
    return marked_role(path) or "production"


def marked_role(path: str) -> str | None:
    """The role the words of ``path`` give it (see :func:`compose_role`), or ``None`` when unmarked."""
    words = set(re.split(r"[/._\-]+", path.lower()))
    if is_test_path(path):
        return "dev"
    if words & PRODUCTION_WORDS:
        return "production"
    return "dev" if words & DEV_WORDS else None


def compose_roles(compose_files: list[str], uses: Mapping[str, set[str]]) -> dict[str, str]:
    """Each compose file's role, from its path words and from the commands of the project's docs and
    scripts that use it (``uses``: :func:`seenfix.core.deploy_docs.compose_uses`).  Path words decide
    when they speak (a ``compose.dev.yml`` stays a dev stack whatever a README runs with it).  An
    unmarked file is production when a deploy command (or one that says neither) uses it; a dev stack
    when only development, test or CI commands use it, or when deploy commands deploy its folder with
    other files and never with it (`docker compose -f compose.yml -f compose.deploy.yml up -d` leaves
    `compose.override.yml` out); otherwise production, as before.  The docs only ever take files out
    of the deployment: when in doubt, seenfix does not edit."""
    deployed = {posixpath.dirname(p) for p, kinds in uses.items() if "deploy" in kinds}
    roles: dict[str, str] = {}
    for path in compose_files:
        kinds = uses.get(path, set())
        role = marked_role(path)
        if role is None:
            if kinds & {"deploy", "other"}:
                role = "production"
            elif kinds or posixpath.dirname(path) in deployed:
                role = "dev"
            else:
                role = "production"
        roles[path] = role
    return roles


@dataclass(frozen=True)
class PathsConfig:
    """Where things are, when discovery is not enough (``[paths]`` in the configuration)."""

    compose: tuple[str, ...] = ()
    nginx: tuple[str, ...] = ()
    backend: tuple[str, ...] = ()
    frontend: tuple[str, ...] = ()


@dataclass
class Layout:
    """SEEN's layout, discovered from the files rather than assumed."""

    compose_files: list[str] = field(default_factory=list)
    nginx_files: list[str] = field(default_factory=list)
    python_files: list[str] = field(default_factory=list)
    ts_files: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    #: The compose files of the production deployment (every fixer edits these) and the
    #: development, test and CI stacks (no fixer edits them; secret fixers report them at low
    #: severity).  ``[paths] compose`` names the production files explicitly.
    production_compose: list[str] = field(default_factory=list)
    dev_compose: list[str] = field(default_factory=list)
    backend_roots: list[str] = field(default_factory=list)
    frontend_roots: list[str] = field(default_factory=list)

    # Set views for look-ups: a run asks "is this file one of them" once per file, and a list
    # would make that a scan of every compose file per file (quadratic in compose-heavy trees).
    # The lists above are complete when a fixer first sees the layout and never change after.
    @cached_property
    def compose_set(self) -> frozenset[str]:
        return frozenset(self.compose_files)

    @cached_property
    def production_set(self) -> frozenset[str]:
        return frozenset(self.production_compose)

    @cached_property
    def dev_set(self) -> frozenset[str]:
        return frozenset(self.dev_compose)

    @cached_property
    def env_set(self) -> frozenset[str]:
        return frozenset(self.env_files)

    @cached_property
    def production_by_folder(self) -> dict[str, list[str]]:
        """The production compose files of each folder, in order."""
        out: dict[str, list[str]] = {}
        for p in self.production_compose:
            out.setdefault(posixpath.dirname(p), []).append(p)
        return out


def root_folders(roots: Iterable[str]) -> frozenset[str]:
    """Folders ``roots`` as :func:`under_roots` looks them up (without a trailing ``/``); build it
    once, outside the loop over files."""
    return frozenset(r.rstrip("/") for r in roots)


def parent_folder(path: str) -> str:
    """``posixpath.dirname(path)``, the same answer at a fifth of its cost for the usual path (a
    name after a single ``/``): several fixers ask it of every file of a run."""
    i = path.rfind("/")
    if i > 0 and path[i - 1] != "/":
        return path[:i]
    return posixpath.dirname(path)


def under_roots(path: str, folders: frozenset[str]) -> bool:
    """Whether ``path`` is inside one of ``folders`` (:func:`root_folders`; ``""`` or ``"."``: the whole
    project): a look-up of each of its parent folders, not a scan of every root per path."""
    if "" in folders or "." in folders:
        return True
    return _folder_under(parent_folder(path), folders)


#: :func:`_folder_under`'s answers, per set of root folders (the few sets of a run; the oldest goes
#: past :data:`_UNDER_SETS`), for every folder asked about: as many as the project's folders.  An
#: ``lru_cache`` of 4,096 answers made a project with more folders than that work each one out again
#: on every pass over its files (a step in the time of a check of 8,000 TypeScript files).
_UNDER: dict[frozenset[str], dict[str, bool]] = {}
_UNDER_SETS = 16
#: Answers kept per set of roots: past this many (a long process that checked many trees: library
#: use, a test session), a set's answers start afresh.
_UNDER_ANSWERS = 1 << 18


def _folder_under(folder: str, folders: frozenset[str]) -> bool:
    """Whether ``folder`` is one of ``folders`` or inside one: worked out once per folder (the files
    of a folder ask the same question)."""
    known = _UNDER.get(folders)
    if known is None or len(known) >= _UNDER_ANSWERS:
        if known is None and len(_UNDER) >= _UNDER_SETS:
            del _UNDER[next(iter(_UNDER))]
        known = _UNDER[folders] = {}
    answer = known.get(folder)
    if answer is None:
        answer = False
        up = folder
        while up:
            if up in folders:
                answer = True
                break
            parent = parent_folder(up)
            if parent == up:  # "/": an absolute path is under no project folder
                break
            up = parent
        known[folder] = answer
    return answer


class Project:
    """The workspace plus an in-memory overlay of changes (read-only for fixers)."""

    def __init__(
        self,
        workspace: Workspace,
        paths: PathsConfig | None = None,
        overlay: Mapping[str, FileChange] | None = None,
        only: frozenset[str] | None = None,
    ) -> None:
        self.workspace = workspace
        self.root = workspace.root
        self.paths = paths or PathsConfig()
        self._overlay: dict[str, FileChange] = dict(overlay or {})
        self._only = only
        self._files: list[str] | None = None  # files(), worked out once: the overlay is fixed
        self._by_name: dict[str, list[str]] | None = None  # files_named()'s index
        #: :meth:`derived`'s answers, shared by the projects of a run with the same files
        self._derived: dict[Hashable, Any] = {}
        self.problems: list[InputProblem] = []
        self._cache: dict[str, tuple[str, Encoded] | None] = {}
        self._vendored: list[frozenset[str]] = []  # computed once, shared with derived projects
        #: the run's parses, shared by every project of the run (see :mod:`seenfix.core.memo`)
        self.memo = Memo()
        #: answers of per-file analyses for the files as on disk, by (pass name, path): shared by
        #: every project of the run (see :mod:`seenfix.core.filepass`)
        self.pass_results: dict[tuple[str, str], object] = {}
        #: files whose disk text this process has not read, known to hold no ``seenfix`` (so no
        #: suppression comment): the run's file pass read them in a worker, or knew them unchanged
        #: (:func:`seenfix.core.filepass.prefetch`); shared by every project of the run
        self.unmarked: set[str] = set()

    # -- the overlay (runner only) --------------------------------------------------------------
    def with_changes(self, changes: Iterable[FileChange]) -> Project:
        overlay = dict(self._overlay)
        for ch in changes:
            prev = overlay.get(ch.path)
            if prev is not None:  # a later change to the same file keeps what the earlier one marked
                ch = FileChange(ch.path, prev.content if ch.content is None else ch.content,
                                prev.secret or ch.secret, prev.secret_values + ch.secret_values,
                                prev.untrack or ch.untrack, ch.mode or prev.mode)
            overlay[ch.path] = ch
        new = Project(self.workspace, self.paths, overlay)
        new._cache = self._cache  # disk contents are shared
        new._vendored = self._vendored
        new.memo = self.memo
        new.pass_results = self.pass_results
        new.unmarked = self.unmarked
        changed = [p for p, ch in overlay.items() if self._overlay.get(p) is not ch]
        if self._only is None and self._same_files(overlay, changed):
            new._files, new._by_name, new._derived = self._files, self._by_name, self._derived
            layout = self.__dict__.get("layout")  # worked out already (a cached_property)
            if layout is not None:  # the same files: only the nginx files are told by their text
                new.__dict__["layout"] = new._with_nginx_of(layout) \
                    if any(NGINX_NAME.search(p) for p in changed) else layout
        return new

    def _same_files(self, overlay: Mapping[str, FileChange], changed: list[str]) -> bool:
        """Whether a project with ``overlay`` lists this one's files: none of the ``changed`` paths is
        a new file (a deleted file stays listed)."""
        if not changed:
            return True
        files = set(self._sorted_files())
        return all(overlay[p].content is None or p in files for p in changed)

    def _with_nginx_of(self, layout: Layout) -> Layout:
        """``layout`` with the nginx files found again (this project's texts): the rest of a layout
        is told by the file list alone."""
        from dataclasses import replace

        return replace(layout, nginx_files=self._nginx_files(self._sorted_files()))

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, worked out once per list of files: for what depends on :meth:`files` and the
        layout's lists alone (not on any file's text, and not on the nginx files, which are told by
        their text), shared by the projects of a run whose changes add no file (a fix and its
        re-check ask again of each project what the check asked).  ``key`` names the answer (with
        the options it depends on); several fixers may ask for the same."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._derived[key] = compute()
            return value

    def restricted(self, paths: Iterable[str]) -> Project:
        """A view whose file list holds only ``paths`` (for re-checking per-file fixers)."""
        new = Project(self.workspace, self.paths, self._overlay, frozenset(paths))
        new._cache = self._cache
        new._vendored = self._vendored
        new.memo = self.memo
        new.pass_results = self.pass_results
        new.unmarked = self.unmarked
        return new

    @property
    def overlay(self) -> Mapping[str, FileChange]:
        return self._overlay

    # -- reading ------------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Every file of the project (relative, ``/``-separated, sorted), new files included; vendored,
        minified and generated files (:mod:`seenfix.core.vendored`) are not the project's own."""
        return list(self._sorted_files())  # a copy: callers may change what they get

    def _sorted_files(self) -> list[str]:
        """:meth:`files` itself, worked out once (not to be changed)."""
        if self._files is None:
            names = set(self.workspace.files) - self.vendored() | {
                p for p, ch in self._overlay.items() if ch.content is not None}
            if self._only is not None:
                names &= self._only
            self._files = sorted(names)
        return self._files

    def files_under(self, prefix: str) -> list[str]:
        """:meth:`files` that start with ``prefix`` (a folder with its ``/``, or ``""``), in order: a
        binary search in the sorted list, not a scan of every file."""
        from bisect import bisect_left

        files = self._sorted_files()
        out = []
        for i in range(bisect_left(files, prefix), len(files)):
            if not files[i].startswith(prefix):
                break
            out.append(files[i])
        return out

    def files_named(self, name: str) -> list[str]:
        """:meth:`files` whose last part is ``name``, in order: an index made once per project (a scan
        of every file for each nginx file's includes made checking many nginx files quadratic)."""
        if self._by_name is None:
            index: dict[str, list[str]] = {}
            for f in self._sorted_files():
                index.setdefault(f.rpartition("/")[2], []).append(f)
            self._by_name = index
        return list(self._by_name.get(name, ()))

    def vendored(self) -> frozenset[str]:
        """The workspace's vendored, minified and generated files (skipped by every fixer)."""
        if not self._vendored:
            from seenfix.core.vendored import skipped

            self._vendored.append(frozenset(skipped(self.workspace.files, self.original_text)))
        return self._vendored[0]

    def exists(self, path: str) -> bool:
        ch = self._overlay.get(path)
        if ch is not None and ch.content is not None:
            return True
        return (self.root / path).is_file() and self.workspace.inside(path)

    def read_text(self, path: str) -> str | None:
        """The file's current text (line endings kept as they are), or ``None`` if unreadable."""
        ch = self._overlay.get(path)
        if ch is not None and ch.content is not None:
            return ch.content
        got = self._read_disk(path)
        return None if got is None else got[0]

    def original_text(self, path: str) -> str | None:
        got = self._read_disk(path)
        return None if got is None else got[0]

    def encoding_of(self, path: str) -> Encoded | None:
        got = self._read_disk(path)
        return None if got is None else got[1]

    def holds_no_mark(self, path: str) -> bool:
        """Whether the file's current text is known, without reading it, to hold no ``seenfix`` (it
        is as on disk, and the run's file pass knew it unchanged: see :attr:`unmarked`)."""
        return path in self.unmarked and path not in self._overlay and path not in self._cache

    def cached_text(self, path: str) -> str | None:
        """The file's current text if it is already in memory (overlay or read before), else ``None``."""
        ch = self._overlay.get(path)
        if ch is not None and ch.content is not None:
            return ch.content
        got = self._cache.get(path)
        return None if got is None else got[0]

    def as_read(self, path: str) -> tuple[str, Encoded] | None:
        """The file's text and encoding as this run read them from disk, without reading it now
        (``None``: not read, missing or unreadable then); the writer compares the disk with it."""
        return self._cache.get(path)

    def remember(self, path: str, got: tuple[str, Encoded] | None) -> None:
        """Record a disk read done elsewhere (a worker process of :mod:`seenfix.core.parallel`)."""
        self._cache.setdefault(path, got)

    def _read_disk(self, path: str) -> tuple[str, Encoded] | None:
        if path not in self._cache:
            self._cache[path] = self.workspace.read(path)
        return self._cache[path]

    def is_tracked(self, path: str) -> bool:
        return self.workspace.is_tracked(path)

    def is_ignored(self, path: str) -> bool:
        return self.workspace.is_ignored(path)

    @property
    def is_git(self) -> bool:
        return self.workspace.is_git

    def report(self, problem: InputProblem) -> None:
        """Record that an input file could not be processed (shown as one line, never a traceback)."""
        self.problems.append(problem)

    # -- discovery ----------------------------------------------------------------------------
    def glob(self, *patterns: str) -> list[str]:
        return [p for p in self.files() if any(fnmatch.fnmatch(p, pat) for pat in patterns)]

    def _configured(self, entries: tuple[str, ...]) -> list[str]:
        files = self.files()
        out: list[str] = []
        for entry in entries:
            entry = entry.strip("/")
            out.extend(p for p in files if p == entry or p.startswith(entry + "/") or fnmatch.fnmatch(p, entry))
        return sorted(set(out))

    def _nginx_files(self, files: list[str]) -> list[str]:
        """The layout's nginx files: ``[paths] nginx``, else the files whose name and text say nginx."""
        if self.paths.nginx:
            return self._configured(self.paths.nginx)
        out = []
        for p in files:
            if NGINX_NAME.search(p) and not p.endswith((".yml", ".yaml")):
                text = self.read_text(p)
                if text is not None and NGINX_SNIFF.search(text):
                    out.append(p)
        return out

    @cached_property
    def layout(self) -> Layout:
        files = self.files()
        lay = Layout()
        lay.compose_files = self._configured(self.paths.compose) if self.paths.compose else [
            p for p in files if COMPOSE_NAME.search(p)
        ]
        uses: dict[str, set[str]] = {}
        if not self.paths.compose and any(marked_role(p) is None for p in lay.compose_files):
            from seenfix.core.deploy_docs import compose_uses

            uses = compose_uses(files, self.read_text, lay.compose_files)
        roles = compose_roles(lay.compose_files, uses)
        for p in lay.compose_files:
            if self.paths.compose or roles[p] == "production":
                lay.production_compose.append(p)
            else:
                lay.dev_compose.append(p)
        lay.nginx_files = self._nginx_files(files)
        lay.python_files = [p for p in files if p.endswith(".py")]
        lay.ts_files = [p for p in files if p.endswith((".ts", ".tsx", ".mts", ".cts"))]
        lay.env_files = [p for p in files if ENV_NAME.search(p)]
        if self.paths.backend:
            lay.backend_roots = [b.strip("/") for b in self.paths.backend]
        else:
            with_python = _folders_holding(lay.python_files)
            lay.backend_roots = sorted({
                parent_folder(p) for p in files
                if p.endswith(("pyproject.toml", "requirements.txt", "setup.py"))
                and posixpath.basename(p) in ("pyproject.toml", "requirements.txt", "setup.py")
                and _folder_key(parent_folder(p)) in with_python
            })
        if self.paths.frontend:
            lay.frontend_roots = [f.strip("/") for f in self.paths.frontend]
        else:
            with_ts = _folders_holding(lay.ts_files)
            lay.frontend_roots = sorted({
                parent_folder(p) for p in files
                if p.endswith("package.json") and posixpath.basename(p) == "package.json"
                and _folder_key(parent_folder(p)) in with_ts
            })
        return lay


def _folder_key(directory: str) -> str:
    return "" if directory in ("", ".") else directory


def _folders_holding(paths: list[str]) -> set[str]:
    """Every folder that holds one of ``paths`` at any depth (``""`` for the root), in one pass over
    them: which folder holds code is then a set look-up, not a scan of every file per candidate."""
    folders: set[str] = set()
    for start in {parent_folder(path) for path in paths}:  # each folder once, not once per file
        folder = start
        while folder not in folders:
            folders.add(folder)
            if not folder:
                break
            folder = parent_folder(folder)
    return folders


def is_template_env(path: str) -> bool:
    """``.env.example`` / ``.env.sample`` / ``*.env.template``: placeholders by design."""
    return bool(TEMPLATE_ENV.search(path))


TEST_PATH = Prefiltered(
    r"(^|/)(tests?|__tests__|spec|fixtures|testdata)/"
    r"|(^|/)(conftest\.py|test_[^/]*\.py|[^/]*_test\.py|[^/]*\.(test|spec)\.[^/]*"
    r"|(vitest|jest)\.setup\.[^/]*|setupTests\.[^/]*)$",
    ("test", "spec", "fixtures", "jest", "Tests"),
)


@functools.lru_cache(maxsize=1 << 16)
def is_test_path(path: str) -> bool:
    """Test fixtures and test infrastructure (exempt from secret findings).  Remembered per path:
    several fixers ask about every file of a run."""
    return bool(TEST_PATH.search(path))
