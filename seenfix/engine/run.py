"""The one place that runs fixers, verifies their output and writes files.

Fixers run one after another on an in-memory overlay, so a later fixer sees an earlier one's output.
Each fixer's change is verified before it is kept: every changed file must still parse in its format,
the fixer's own ``verify()`` must accept it, and running the same fixer again on the result must change
nothing.  A fixer that raises or fails verification has its change dropped and reported; the others go
on.  :mod:`seenfix.engine.write` writes the result, atomically per file and all-or-nothing per run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seenfix.core import interrupt
from seenfix.core.config import Config
from seenfix.core.memo import active, young_collections_only
from seenfix.core.model import (
    Applicability,
    FileChange,
    Finding,
    FixAvailability,
    Fixer,
    FixerInfo,
    InputError,
    Step,
)
from seenfix.core.project import Project
from seenfix.engine.suppress import Suppressor
from seenfix.engine.verify import parse_error
from seenfix.core.workspace import Encoded, Workspace

Progress = Callable[[int, int, str], None]


@dataclass
class RunResult:
    root: Path
    fixers: list[FixerInfo]
    findings: list[Finding] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    final: Project | None = None
    failures: list[str] = field(default_factory=list)  # fixer crashed / output failed verification
    problems: list[str] = field(default_factory=list)  # input files a fixer could not process
    warnings: list[str] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)  # files a fixer reported it could not process
    #: Files a fixer could not parse although their language may accept them (seenfix's parser is
    #: not the compiler): warnings counted in the summary; ``--strict`` makes them errors.
    unparsed: list[str] = field(default_factory=list)
    secret_values: set[str] = field(default_factory=set)
    suppressed: list[Finding] = field(default_factory=list)  # by a comment or per-file-ignores
    suppressor: Suppressor = field(default_factory=Suppressor)

    @property
    def changes(self) -> dict[str, FileChange]:
        """The final state of every changed file."""
        return dict(self.final.overlay) if self.final is not None else {}

    def original(self, path: str) -> str | None:
        assert self.final is not None
        return self.final.original_text(path)

    def encoding(self, path: str) -> Encoded | None:
        assert self.final is not None
        return self.final.encoding_of(path)

    def redact(self, text: str) -> str:
        """Mask every generated or moved secret value in ``text``.

        Long values are masked wherever they occur; short ones (a moved password such as ``seen``)
        only as a whole word, so that ``seenfix`` in a comment stays readable.
        """
        from seenfix.core.redaction import mask_values

        return mask_values(text, self.secret_values)


def fix_enabled(info: FixerInfo, unsafe: bool) -> bool:
    if info.fix_availability is FixAvailability.NONE:
        return False
    if info.applicability is Applicability.DISPLAY_ONLY:
        return False
    return info.applicability is Applicability.SAFE or unsafe


def _real_changes(project: Project, changes: Iterable[FileChange]) -> list[FileChange]:
    out = []
    for ch in changes:
        if ch.content is None and not ch.untrack:
            continue
        if not ch.untrack and ch.content == project.read_text(ch.path):
            continue
        out.append(ch)
    return out


def _take_problems(project: Project, code: str, result: RunResult) -> None:
    for p in project.problems:
        _problem(result, p.path, p.line, code, p.message, p.limitation)
    project.problems.clear()


def _problem(result: RunResult, path: str, line: int, code: str, message: str, limitation: bool = False) -> None:
    # a file valid in its language but beyond seenfix's parser is a warning (--strict: an error); no
    # fixer changes it either way
    (result.unparsed if limitation else result.problems).append(f"{path}:{line}: {code}: {message}")
    result.invalid.add(path)


#: Folders of version-control systems: nothing below them is ever written, whatever a fixer's options say.
VCS_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", "cvs", ".jj", ".pijul", ".sl", ".fslckout"})


def in_vcs_folder(rel: str) -> bool:
    """Whether ``rel`` names a version-control folder or something below one (case-insensitively:
    ``.GIT/config`` is ``.git/config`` on a case-insensitive file system)."""
    return any(part.lower() in VCS_DIRS for part in rel.split("/"))


def run(
    root: Path,
    fixers: Sequence[type[Fixer]],
    config: Config,
    *,
    fix: bool,
    unsafe: bool = False,
    progress: Progress | None = None,
    project: Project | None = None,
) -> RunResult:
    """Run ``fixers`` on ``root``, or on ``project`` when given (e.g. another run's in-memory result,
    ``RunResult.final``: ``seenfix report --after`` checks it without writing anything).

    With ``fix``, one verdict per file: a file that a fixer reports it cannot process (invalid YAML,
    say) or that seenfix cannot read is changed by no fixer; a fixer that would change it has all its
    changes dropped (they belong together: a moved password and the ``.env`` that receives it).  When
    a file is found invalid only after earlier fixers changed it, the run starts again with that file
    left alone (at most once per such file)."""
    if project is None:
        workspace = Workspace(root, config.exclude)
        project = Project(workspace, config.paths)
    else:
        workspace = project.workspace
    fixers = sorted(fixers, key=lambda f: (f.phase, f.code))
    frozen: set[str] = set()
    # each file parsed once per run, shared by the fixers; the collector's full collections, which
    # would walk it all again and again, wait for the end of the run
    with active(project.memo), young_collections_only():
        while True:
            result = _run_once(workspace, project, fixers, config, fix=fix, unsafe=unsafe, progress=progress,
                               frozen=frozen)
            touched = {ch.path for step in result.steps for ch in step.changes}
            again = (result.invalid & touched) - frozen
            if not fix or not again:
                break
            frozen |= again
            progress = None
    project.memo.clear()
    return result


def _run_once(
    workspace: Workspace,
    start: Project,
    fixers: Sequence[type[Fixer]],
    config: Config,
    *,
    fix: bool,
    unsafe: bool,
    progress: Progress | None,
    frozen: set[str],
) -> RunResult:
    project = start
    infos = [f.info() for f in fixers]
    result = RunResult(workspace.root, infos, suppressor=Suppressor(config.per_file_ignores))
    made: list[tuple[FixerInfo, Fixer | None]] = []
    for cls, info in zip(fixers, infos):
        try:
            fixer: Fixer | None = cls(config.fixer_options.get(cls.code))
        except Exception as exc:  # noqa: BLE001 - one broken fixer must not stop the others
            interrupt.stop_if_received()
            result.failures.append(f"{info.code} {info.slug}: check crashed: {type(exc).__name__}: {exc}")
            fixer = None
        if fixer is not None:
            fixer.unsafe_fixes = unsafe
            fixer.fixing = fix and fix_enabled(info, unsafe)
        made.append((info, fixer))
    _prefetch(project, [f for _, f in made if f is not None])
    for index, (info, maybe) in enumerate(made, 1):
        if progress is not None:
            progress(index, len(fixers), f"{info.code} {info.slug}")
        if maybe is None:
            continue
        try:
            project = _run_one(project, maybe, info, result, fix=fix, unsafe=unsafe, frozen=frozen)
        finally:
            store_cache(maybe)
    result.final = project
    result.warnings.extend(dict.fromkeys(workspace.warnings))
    result.problems[:] = dict.fromkeys(result.problems)  # check() and fix() may report the same one
    result.unparsed[:] = dict.fromkeys(result.unparsed)
    return result


def _prefetch(project: Project, fixers: Sequence[Fixer]) -> None:
    """Every fixer's per-file analyses of the files as on disk, in one parallel pass that reads
    each file once (:func:`seenfix.core.filepass.prefetch`), and not at all when its ``stat`` says it
    is unchanged since a run that cached its answers (:class:`seenfix.core.cache.StatIndex`).  The
    texts stay in the workers, but for the files a pass will change: sending every text back cost
    more (about 25 ms for 2,000 files, at the end of the pass) than reading again the few a fixer
    without a pass reads; and a file known to hold no ``seenfix`` is not read for suppression comments
    (``Project.unmarked``).  While worker processes analyse the files,
    this process loads what the fixers will need after the pass (``Fixer.warm_up``: a parser, the
    Compose schema's validator, a template), which it would otherwise do alone.  A fixer whose passes
    cannot be listed, or a pass that fails, is left to work them out itself (and report what goes
    wrong)."""
    from seenfix.core.cache import StatIndex, folder
    from seenfix.core.filepass import FilePass, prefetch
    from seenfix.core.lazy import importer

    passes: list[FilePass] = []
    warm: list[Callable[[], object]] = [importer("seenfix.core.redaction")]  # the report masks secrets
    for fixer in fixers:
        try:
            applies = fixer.applies(project)
            mine = fixer.file_passes(project) if applies else []
            warm.extend(fixer.warm_up(project) if applies else [])
        except Exception:  # noqa: BLE001 - its check() meets the same problem and reports it
            interrupt.stop_if_received()
            mine = []
        passes.extend(mine)

    def meanwhile() -> None:  # while the workers analyse the files
        for load in dict.fromkeys(warm):
            try:
                load()
            except Exception:  # noqa: BLE001 - raised again, and reported, where it is needed
                interrupt.stop_if_received()

    if passes:
        index = StatIndex(str(project.root)) if folder() is not None else None
        try:
            prefetch(project, passes, index=index, meanwhile=meanwhile if warm else None)
        except Exception:  # noqa: BLE001 - each fixer works its files out itself
            interrupt.stop_if_received()
            project.pass_results.clear()
            return
        entry = index.dump() if index is not None else None
        if entry is not None:
            from seenfix.engine.write import write_cache

            write_cache(*entry)


def _run_one(project: Project, fixer: Fixer, info: FixerInfo, result: RunResult, *, fix: bool,
             unsafe: bool, frozen: set[str]) -> Project:
    """Check with one fixer and, when asked, fix and verify; returns the project with its kept
    changes (the same project when there are none).  Findings, problems and failures go to
    ``result``.  A fixer with nothing to look at in the project (``Fixer.applies``) is skipped."""
    try:
        if not fixer.applies(project):
            return project
        findings = list(fixer.check(project))
    except InputError as exc:
        _problem(result, exc.path, exc.line, info.code, exc.message, exc.limitation)
        _take_problems(project, info.code, result)
        return project
    except Exception as exc:  # noqa: BLE001 - one broken fixer must not stop the others
        interrupt.stop_if_received()
        result.failures.append(f"{info.code} {info.slug}: check crashed: {type(exc).__name__}: {exc}")
        project.problems.clear()
        return project
    _take_problems(project, info.code, result)
    suppressor = result.suppressor
    findings, dropped = suppressor.split(findings, project)
    result.findings.extend(findings)
    result.suppressed.extend(dropped)
    if not fix or not fix_enabled(info, unsafe) or not any(f.fixable for f in findings):
        return project
    try:
        changes = _real_changes(project, fixer.fix(project))
    except InputError as exc:
        _problem(result, exc.path, exc.line, info.code, exc.message, exc.limitation)
        _take_problems(project, info.code, result)
        return project
    except Exception as exc:  # noqa: BLE001
        interrupt.stop_if_received()
        result.failures.append(f"{info.code} {info.slug}: fix crashed: {type(exc).__name__}: {exc}")
        project.problems.clear()
        return project
    _take_problems(project, info.code, result)
    if dropped:
        changes = suppressor.filter_changes(project, findings, dropped, changes)
    if not changes:
        return project
    refused = _refused(project, changes, frozen | result.invalid)
    if refused is not None:
        path, why = refused
        result.problems.append(f"{path}:1: {info.code}: left unchanged: {why} (the fixer's changes "
                               "were all dropped)")
        return project
    failure = _verify(project, fixer, changes, suppressor if dropped else None)
    if failure is not None:
        result.failures.append(f"{failure} ({info.code} {info.slug}; its changes were dropped)")
        return project
    for ch in changes:
        result.secret_values.update(ch.secret_values)
    result.steps.append(Step(info, tuple(changes), tuple(findings)))
    return project.with_changes(changes)


def store_cache(fixer: Fixer) -> None:
    """Write what a fixer asked to cache (seenfix's cache folder, never the project)."""
    writes = fixer.cache_writes()
    if writes:
        from seenfix.engine.write import write_cache

        for path, data in writes:
            write_cache(path, data)


def _refused(project: Project, changes: list[FileChange], invalid: set[str]) -> tuple[str, str] | None:
    """The first change the engine never makes, with the reason: to a file reported invalid, or to
    a file that exists but that seenfix could not read (undecodable, binary, a FIFO, unreadable):
    replacing it would lose what it holds."""
    for ch in changes:
        if ch.path in invalid:
            return ch.path, "a fixer found it invalid, so no fixer changes it"
        if ch.content is None or project.original_text(ch.path) is not None:
            continue
        if os.path.lexists(project.root / ch.path):
            prefix = f"{ch.path}: skipped, "
            why = next((w[len(prefix):] for w in project.workspace.warnings if w.startswith(prefix)), "unreadable")
            return ch.path, f"seenfix cannot read it ({why}), so it is never replaced"
    return None


def _verify(project: Project, fixer: Fixer, changes: list[FileChange],
            suppressor: Suppressor | None = None) -> str | None:
    seen: set[str] = set()
    for ch in changes:
        if ch.path in seen:
            return f"{ch.path}: changed twice in one fix"
        seen.add(ch.path)
        real = None if ch.path.startswith("/") or ".." in ch.path.split("/") else \
            project.workspace.resolved_inside(ch.path)
        if real is None:
            return f"{ch.path}: outside the project"
        if in_vcs_folder(ch.path) or real != ch.path and in_vcs_folder(real):
            return f"{ch.path}: inside a version-control folder, which seenfix never writes"
        if ch.content is None:
            continue
        before = project.read_text(ch.path)
        try:
            problem = None if fixer.verifies_syntax else parse_error(ch.path, before, ch.content)
        except Exception as exc:  # noqa: BLE001  (a parser's bug must not cost the run)
            interrupt.stop_if_received()
            return f"{ch.path}: checking that the output parses crashed: {type(exc).__name__}: {exc}"
        if problem is not None:
            return f"{ch.path}: output no longer parses: {problem}"
        try:
            problem = fixer.verify(ch.path, before, ch.content)
        except Exception as exc:  # noqa: BLE001
            interrupt.stop_if_received()
            problem = f"verification crashed: {type(exc).__name__}: {exc}"
        if problem is not None:
            return f"{ch.path}: output failed verification: {problem}"
    # Idempotence: the same fixer on its own output must change nothing.
    after = project.with_changes(changes)
    view = after.restricted({c.path for c in changes}) if fixer.per_file else after
    try:
        again = _real_changes(after, fixer.fix(view))
        if suppressor is not None:  # what it would change again must be what the suppressions keep
            kept, dropped = suppressor.split(fixer.check(view), view)
            again = _real_changes(after, suppressor.filter_changes(after, kept, dropped, again))
    except Exception as exc:  # noqa: BLE001
        interrupt.stop_if_received()
        return f"second run crashed: {type(exc).__name__}: {exc}"
    finally:
        after.problems.clear()
        view.problems.clear()
    again = [c for c in again if not (c.untrack and c.content is None and after.overlay.get(c.path, c).untrack)]
    if again:
        return f"{again[0].path}: not idempotent, a second run changes it again"
    return None
