"""The values every fixer and the runner exchange.

A fixer never touches the disk: ``check()`` returns :class:`Finding` values and ``fix()`` returns
:class:`FileChange` values.  The runner (``seenfix.engine.run``) applies them in memory, verifies them and
is the only code that writes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.filepass import FilePass
    from seenfix.core.project import Project


class Severity(str, enum.Enum):
    """How bad a finding is; mirrors the seed assessment's CRITICAL/HIGH/MEDIUM/LOW."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FixAvailability(str, enum.Enum):
    """Whether a fixer can fix what it finds (ruff's "Fix is always/sometimes/not available")."""

    ALWAYS = "always"
    SOMETIMES = "sometimes"
    NONE = "none"


class Applicability(str, enum.Enum):
    """Safe fixes run by default; unsafe fixes need ``--unsafe-fixes``; display-only never apply."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


#: A check's default weight in its readiness-score category, by severity (``Fixer.weight``).
SEVERITY_WEIGHT: dict[Severity, int] = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}


@dataclass(frozen=True)
class Finding:
    """One problem at one place.  ``path`` is relative to the project root, ``/``-separated."""

    code: str
    slug: str
    path: str
    line: int
    message: str
    fix_title: str
    severity: Severity
    fixable: bool
    column: int = 1
    #: ``--unsafe-fixes`` changes more for this finding than the run does without it: a stronger fix
    #: of a safe fixer (SF001 replaces a key-deriving secret it would move; SF003 enforces the CSP it
    #: would send report-only), or the only fix (``fixable`` is then false).  Counted in the "N more
    #: fixes with --unsafe-fixes" hint; always false when the run has unsafe fixes on.
    unsafe_fix: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "slug": self.slug,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "fix_title": self.fix_title,
            "severity": self.severity.value,
            "fixable": self.fixable,
        }


@dataclass(frozen=True)
class FileChange:
    """The new state of one file, as proposed by a fixer.

    ``content`` is the whole new text (``None`` keeps the current text, e.g. for a pure untrack).
    ``secret`` marks a file that holds generated or moved secret values (an untracked ``.env``): the
    runner masks its values in every output, never commits it, and creates it with mode 0600.
    ``secret_values`` lists literal values that must never be printed anywhere (they are masked in
    every output channel).  ``untrack`` asks for ``git rm --cached`` in the fix branch.
    """

    path: str
    content: str | None
    secret: bool = False
    secret_values: tuple[str, ...] = ()
    untrack: bool = False
    mode: int | None = None


@dataclass(frozen=True)
class InputProblem:
    """A file the fixer could not process (invalid YAML, unbalanced braces, a syntax error...)."""

    path: str
    line: int
    message: str
    #: The file may be valid in its language but seenfix's parser does not read it (tree-sitter is
    #: not tsc): a warning, not the user's error, unless ``--strict``.
    limitation: bool = False


class InputError(Exception):
    """Raised by a fixer or an editor when an input file cannot be understood.

    The runner turns it into one line ``path:line: CODE: message``; never a traceback.
    """

    def __init__(self, path: str, line: int, message: str, *, limitation: bool = False) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message
        self.limitation = limitation

    def problem(self) -> InputProblem:
        return InputProblem(self.path, self.line, self.message, self.limitation)


def deepest_line(text: str) -> int:
    """Where nesting first goes deeper than anyone writes by hand: 100 open ``[``/``{``, else the
    most indented line (a rough count: brackets inside quotes count too)."""
    lines = text.splitlines()
    depth = 0
    for number, line in enumerate(lines, 1):
        for ch in line:
            if ch in "[{":
                depth += 1
                if depth > 100:
                    return number
            elif ch in "]}":
                depth -= 1
    indents = [(len(line) - len(line.lstrip(" ")), -n) for n, line in enumerate(lines, 1) if line.strip()]
    return -max(indents)[1] if indents else 1


@dataclass(frozen=True)
class Option:
    """A per-fixer configuration option (``[fixers.SF011] name = value``)."""

    name: str
    type: type | tuple[type, ...]
    default: Any
    help: str


def doc_section(doc: str, heading: str) -> str:
    """The text under ``## <heading>`` in a fixer docstring, without the heading."""
    out: list[str] = []
    inside = False
    for line in doc.splitlines():
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip() == heading
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()


@dataclass(frozen=True)
class FixerInfo:
    """The static description of a fixer, for ``list``/``explain``/reports."""

    code: str
    slug: str
    summary: str
    seed_issue: int
    area: str
    severity: Severity
    fix_availability: FixAvailability
    applicability: Applicability
    sets: frozenset[str]
    doc: str
    options: tuple[Option, ...] = field(default_factory=tuple)
    fix_title: str = ""  # imperative remedy: the fix branch's commit subject
    commit_text: str = ""  # the fix commit's body (default: the docstring's "Why is this bad?")
    follow_up: str = ""  # what a person must still do once the fix is merged (pull-request body)
    category: str = ""  # readiness-score category (``seenfix report``); "" = not scored
    weight: int = 0  # the check's weight inside its category
    needs: tuple[str, ...] = ()  # project layout lists it looks at (``Fixer.needs``); () = always
    own_suppressions: bool = False  # the fixer honours suppression comments of its code itself

    def __post_init__(self) -> None:
        if not self.commit_text:
            object.__setattr__(self, "commit_text", doc_section(self.doc, "Why is this bad?"))


class Fixer:
    """Base class of every fixer.

    Subclasses set the class attributes and implement :meth:`check` and (unless the fix availability
    is ``NONE``) :meth:`fix`.  The class docstring is the user documentation printed by
    ``seenfix explain`` and follows ruff's sections: What it does / Why is this bad? / Example /
    Use instead / Fix safety / Options / References.
    """

    code: ClassVar[str] = ""
    slug: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # display name, no trailing period
    seed_issue: ClassVar[int] = 0
    area: ClassVar[str] = ""  # commit scope: fix(<area>): ...
    severity: ClassVar[Severity] = Severity.MEDIUM
    fix_availability: ClassVar[FixAvailability] = FixAvailability.ALWAYS
    applicability: ClassVar[Applicability] = Applicability.SAFE
    sets: ClassVar[frozenset[str]] = frozenset({"all"})
    fix_title: ClassVar[str] = ""  # imperative remedy, default for findings
    #: The body of this fixer's commit on a fix branch; empty: the docstring's "Why is this bad?".
    commit_text: ClassVar[str] = ""
    #: What a person must still do by hand once the fix is merged, listed in the pull request's body
    #: when this fixer is in it (e.g. "set the new secret in every deployment"); empty: nothing.
    follow_up: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()
    #: The assessment's readiness-score category this check counts in (``seenfix report``; see
    #: ``seenfix.output.scorecard.CATEGORIES``) and its weight there.  "" leaves the check out of the
    #: score; ``weight`` 0 takes the default for the severity (critical 4, high 3, medium 2, low 1).
    category: ClassVar[str] = ""
    weight: ClassVar[int] = 0
    #: What the check looks at, as ``Layout`` fields (``"compose_files"``, ``"nginx_files"``,
    #: ``"python_files"``, ``"ts_files"``, ``"env_files"``, ...): a project with none of them gives the
    #: check nothing to look at, and the report scores it "n/a" instead of a pass.  () = always applies.
    needs: ClassVar[tuple[str, ...]] = ()
    #: True when the fix of a file depends on that file only: the runner may then re-check only the
    #: changed files when it verifies idempotence.
    per_file: ClassVar[bool] = False
    #: Fixers run in (phase, code) order.  Phase -2: fixers that move secret values (others copy
    #: what they leave); -1: fixers that add services or blocks (per-service fixers then treat them
    #: too); 0: the rest; 1: fixers that summarise what the others produced (the env template).
    phase: ClassVar[int] = 0
    #: True when the fixer re-parses every text it returns with the parser the runner would use
    #: (and refuses output with errors): the runner then skips its own parse check of that output.
    #: Its ``verify()`` and the idempotence check still run.
    verifies_syntax: ClassVar[bool] = False
    #: Set by the runner: True when unsafe fixes are enabled for this run (``--unsafe-fixes``), so
    #: that a safe fixer can offer a stronger fix then (SF014 removes a port it would otherwise bind
    #: to 127.0.0.1; SF001 replaces a key-deriving secret instead of moving it; SF003 enforces its
    #: Content-Security-Policy instead of shipping it report-only).
    unsafe_fixes: bool = False
    #: True when the fixer itself honours the suppression comments of its code (SF009 keeps an import
    #: marked ``// seenfix-ignore SF009``, as it keeps Biome's and ESLint's): such a finding never
    #: reaches the runner, so the runner does not report those comments as unused.
    own_suppressions: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        values = {opt.name: opt.default for opt in self.options}
        values.update(options or {})
        self.config: dict[str, Any] = values
        #: Whether the engine will call :meth:`fix` after :meth:`check` in this run (``False`` for
        #: ``seenfix check``): a fixer may then leave out work that only a fix needs.
        self.fixing = True

    # -- description ---------------------------------------------------------------------------
    @classmethod
    def info(cls) -> FixerInfo:
        import inspect

        doc = inspect.cleandoc(cls.__doc__ or "")
        return FixerInfo(
            code=cls.code,
            slug=cls.slug,
            summary=cls.summary,
            seed_issue=cls.seed_issue,
            area=cls.area,
            severity=cls.severity,
            fix_availability=cls.fix_availability,
            applicability=cls.applicability,
            sets=frozenset(cls.sets) | {"all"},
            doc=doc,
            options=tuple(cls.options),
            fix_title=cls.fix_title,
            commit_text=cls.commit_text,
            follow_up=cls.follow_up,
            category=cls.category,
            weight=cls.weight or SEVERITY_WEIGHT[cls.severity],
            needs=tuple(cls.needs),
            own_suppressions=cls.own_suppressions,
        )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Return ``(key, problem)`` pairs for bad options.  Override to check nested tables."""
        problems: list[tuple[str, str]] = []
        known = {opt.name: opt for opt in cls.options}
        for key, value in options.items():
            opt = known.get(key)
            if opt is None:
                problems.append((key, "unknown option"))
            elif not isinstance(value, opt.type) or (
                isinstance(value, bool) and opt.type in (int, float, (int, float))
            ):
                problems.append((key, f"expected {_type_name(opt.type)}, got {type(value).__name__}"))
            elif isinstance(value, list) and isinstance(opt.default, list) and \
                    all(isinstance(v, str) for v in opt.default) and not all(isinstance(v, str) for v in value):
                problems.append((key, "expected a list of strings"))
        return problems

    def applies(self, project: Project) -> bool:
        """Whether ``project`` holds any file this fixer looks at.  When it does not, the engine runs
        neither :meth:`check` nor :meth:`fix`, so that a run imports the machinery of a format (its
        parser, its analysis) only when a file of that format is present.  Unlike :attr:`needs`
        (which the report uses to say "n/a"), it must never be ``False`` where :meth:`check` could
        find something.  Default: always."""
        return True

    def file_passes(self, project: Project) -> list[FilePass]:
        """The per-file analyses :meth:`check` will ask for (:mod:`seenfix.core.filepass`): the engine
        runs every fixer's passes in one parallel pass over the files before the first check, so
        that each file is read once per run.  Default: none."""
        return []

    def warm_up(self, project: Project) -> list[Callable[[], object]]:
        """What this run will load anyway, that the engine may load early: while worker processes
        analyse the files (:meth:`file_passes`), the calling process has time for an import or a
        validator it would otherwise build after them, alone.  Each is called at most once, in the
        calling process, only when the pass runs in parallel; what raises is ignored there (it raises
        again where it is needed, and is reported then).  Default: the modules the fixer's module
        imports on first use (:func:`seenfix.core.lazy.lazy_module`) that have not run yet."""
        from seenfix.core.lazy import importer, pending

        names = pending(type(self).__module__)
        return [importer(*names)] if names else []

    def cache_writes(self) -> list[tuple[str, bytes]]:
        """What this fixer wants stored in seenfix's cache folder, as ``(path, data)``: the engine
        writes them once the fixer is done (fixers never write).  Default: nothing."""
        return []

    # -- helpers for subclasses ----------------------------------------------------------------
    def finding(
        self,
        path: str,
        line: int,
        message: str,
        *,
        fix_title: str | None = None,
        severity: Severity | None = None,
        fixable: bool | None = None,
        column: int = 1,
        unsafe_fix: bool = False,
    ) -> Finding:
        return Finding(
            code=self.code,
            slug=self.slug,
            path=path,
            line=max(1, line),
            column=max(1, column),
            message=message,
            fix_title=fix_title or self.fix_title,
            severity=severity or self.severity,
            fixable=(self.fix_availability is not FixAvailability.NONE) if fixable is None else fixable,
            unsafe_fix=unsafe_fix,
        )

    def findings(self, path: str, where: Iterable[tuple[int, int, str]]) -> list[Finding]:
        """:meth:`finding` of ``path`` at each ``(line, column, message)``, the defaults worked out
        once (SF009 makes thousands in a run)."""
        code, slug, title, severity = self.code, self.slug, self.fix_title, self.severity
        fixable = self.fix_availability is not FixAvailability.NONE
        return [Finding(code, slug, path, max(1, line), message, title, severity, fixable, max(1, column))
                for line, column, message in where]

    # -- the interface -------------------------------------------------------------------------
    def check(self, project: Project) -> Iterable[Finding]:
        raise NotImplementedError

    def fix(self, project: Project) -> Iterable[FileChange]:
        return ()

    def verify(self, path: str, before: str | None, after: str) -> str | None:
        """Fixer-specific verification of one changed file (beyond "it still parses").

        Return ``None`` when the new text is acceptable, else a one-line reason; the runner then drops
        this fixer's changes and reports it (exit code 3).  ``before`` is ``None`` for a new file.
        """
        return None


class FileFixer(Fixer):
    """A fixer that looks at files one at a time (the common case).

    Implement :meth:`targets`, :meth:`check_file` and :meth:`fix_file`.  An :class:`InputError` raised
    for one file is reported and the other files still go on.
    """

    per_file: ClassVar[bool] = True

    def targets(self, project: Project) -> Iterable[str]:
        raise NotImplementedError

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        raise NotImplementedError

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        """Return the new text, or ``None`` / the same text when nothing changes."""
        return None

    def applies(self, project: Project) -> bool:
        """Whether the project has any target."""
        return next(iter(self.targets(project)), None) is not None

    def _each(self, project: Project) -> Iterator[tuple[str, str]]:
        for path in self.targets(project):
            text = project.read_text(path)
            if text is not None:
                yield path, text

    def check(self, project: Project) -> Iterable[Finding]:
        out: list[Finding] = []
        for path, text in self._each(project):
            try:
                out.extend(self.check_file(path, text, project))
            except InputError as exc:
                project.report(exc.problem())
        return out

    def fix(self, project: Project) -> Iterable[FileChange]:
        out: list[FileChange] = []
        for path, text in self._each(project):
            try:
                new = self.fix_file(path, text, project)
            except InputError as exc:
                project.report(exc.problem())
                continue
            if new is not None and new != text:
                out.append(FileChange(path, new))
        return out


@dataclass(frozen=True)
class Step:
    """One fixer's contribution to a run, in the order the runner applied it.

    ``changes`` hold whole new texts as they are right after this fixer ran (later fixers may change
    the same file again in their own step).  One step becomes one commit on a fix branch.
    """

    info: FixerInfo
    changes: tuple[FileChange, ...]
    findings: tuple[Finding, ...]


def _type_name(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return {"str": "a string", "int": "an integer", "bool": "a boolean", "list": "a list",
            "dict": "a table", "float": "a number"}.get(t.__name__, t.__name__)
