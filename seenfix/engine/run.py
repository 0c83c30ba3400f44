"""The one place that runs fixers, verifies their output and writes files.

Fixers run one after another on an in-memory overlay, so a later fixer sees an earlier one's output.
Each fixer's change is verified before it is kept: every changed file must still parse in its format,
the fixer's own ``verify()`` must accept it, and running the same fixer again on the result must change
nothing.  A fixer that raises or fails verification has its change dropped and reported; the others go
on.  Writing is atomic per file and all-or-nothing per run.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seenfix.core.config import Config
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
from seenfix.engine.verify import parse_error
from seenfix.core.workspace import Encoded, Workspace, encode

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
    secret_values: set[str] = field(default_factory=set)

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
        from seenfix.analysis.secrets_policy import mask_values

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


def _take_problems(project: Project, code: str, sink: list[str]) -> None:
    for p in project.problems:
        sink.append(f"{p.path}:{p.line}: {code}: {p.message}")
    project.problems.clear()


def run(
    root: Path,
    fixers: Sequence[type[Fixer]],
    config: Config,
    *,
    fix: bool,
    unsafe: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    workspace = Workspace(root, config.exclude)
    project = Project(workspace, config.paths)
    fixers = sorted(fixers, key=lambda f: (f.phase, f.code))
    result = RunResult(workspace.root, [f.info() for f in fixers])
    for index, cls in enumerate(fixers, 1):
        info = cls.info()
        if progress is not None:
            progress(index, len(fixers), f"{info.code} {info.slug}")
        try:
            fixer = cls(config.fixer_options.get(cls.code))
            findings = list(fixer.check(project))
        except InputError as exc:
            result.problems.append(f"{exc.path}:{exc.line}: {info.code}: {exc.message}")
            _take_problems(project, info.code, result.problems)
            continue
        except Exception as exc:  # noqa: BLE001 - one broken fixer must not stop the others
            result.failures.append(f"{info.code} {info.slug}: check crashed: {type(exc).__name__}: {exc}")
            project.problems.clear()
            continue
        _take_problems(project, info.code, result.problems)
        result.findings.extend(findings)
        if not fix or not fix_enabled(info, unsafe) or not any(f.fixable for f in findings):
            continue
        try:
            changes = _real_changes(project, fixer.fix(project))
        except InputError as exc:
            result.problems.append(f"{exc.path}:{exc.line}: {info.code}: {exc.message}")
            _take_problems(project, info.code, result.problems)
            continue
        except Exception as exc:  # noqa: BLE001
            result.failures.append(f"{info.code} {info.slug}: fix crashed: {type(exc).__name__}: {exc}")
            project.problems.clear()
            continue
        _take_problems(project, info.code, result.problems)
        if not changes:
            continue
        failure = _verify(project, fixer, changes)
        if failure is not None:
            result.failures.append(f"{failure} ({info.code} {info.slug}; its changes were dropped)")
            continue
        project = project.with_changes(changes)
        for ch in changes:
            result.secret_values.update(ch.secret_values)
        result.steps.append(Step(info, tuple(changes), tuple(findings)))
    result.final = project
    result.warnings.extend(dict.fromkeys(workspace.warnings))
    result.problems[:] = dict.fromkeys(result.problems)  # check() and fix() may report the same one
    return result


def _verify(project: Project, fixer: Fixer, changes: list[FileChange]) -> str | None:
    seen: set[str] = set()
    for ch in changes:
        if ch.path in seen:
            return f"{ch.path}: changed twice in one fix"
        seen.add(ch.path)
        if ch.path.startswith("/") or ".." in ch.path.split("/") or not _inside(project, ch.path):
            return f"{ch.path}: outside the project"
        if ch.content is None:
            continue
        before = project.read_text(ch.path)
        try:
            problem = None if fixer.verifies_syntax else parse_error(ch.path, before, ch.content)
        except Exception as exc:  # noqa: BLE001  (a parser's bug must not cost the run)
            return f"{ch.path}: checking that the output parses crashed: {type(exc).__name__}: {exc}"
        if problem is not None:
            return f"{ch.path}: output no longer parses: {problem}"
        try:
            problem = fixer.verify(ch.path, before, ch.content)
        except Exception as exc:  # noqa: BLE001
            problem = f"verification crashed: {type(exc).__name__}: {exc}"
        if problem is not None:
            return f"{ch.path}: output failed verification: {problem}"
    # Idempotence: the same fixer on its own output must change nothing.
    after = project.with_changes(changes)
    view = after.restricted({c.path for c in changes}) if fixer.per_file else after
    try:
        again = _real_changes(after, fixer.fix(view))
    except Exception as exc:  # noqa: BLE001
        return f"second run crashed: {type(exc).__name__}: {exc}"
    finally:
        after.problems.clear()
        view.problems.clear()
    again = [c for c in again if not (c.untrack and c.content is None and after.overlay.get(c.path, c).untrack)]
    if again:
        return f"{again[0].path}: not idempotent, a second run changes it again"
    return None


def _inside(project: Project, rel: str) -> bool:
    return project.workspace.inside(rel)


# -- writing ----------------------------------------------------------------------------------
class WriteError(Exception):
    pass


class DirtyError(Exception):
    def __init__(self, paths: list[str]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


def _write_temp(target: Path, data: bytes, mode: int) -> Path:
    """Write ``data`` to a new temporary file beside ``target`` (same filesystem, so the rename that
    follows is atomic) with ``mode``; return its path."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.seenfix-tmp")
    # created with its final mode when the umask keeps it (no chmod); else private, then chmod
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode if mode & _UMASK == 0 else 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if FSYNC:
                os.fsync(fd)
            if mode & _UMASK:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


#: read once: ``os.umask`` can only be read by setting it, which is not safe once threads write
_UMASK = _current_umask()


def _commit(tmp: Path, target: Path) -> None:
    os.replace(tmp, target)


def _atomic_write(target: Path, data: bytes, mode: int) -> None:
    _commit(_write_temp(target, data, mode), target)


#: From this many files on, the renames run in ``RENAME_THREADS`` threads.
PARALLEL_RENAMES_MIN = 64
RENAME_THREADS = 4

#: ``SEENFIX_FSYNC=1`` also fsyncs every temporary file before it replaces its target.  Off by
#: default, as in ruff and Biome: the rename is atomic either way (a reader sees the old or the new
#: file, never a mix), and ext4/XFS flush a file replaced by rename; fsync only adds durability
#: across a power cut, at about 0.25 ms per file.
FSYNC = bool(os.environ.get("SEENFIX_FSYNC"))


@dataclass(frozen=True)
class _Planned:
    target: Path
    data: bytes
    mode: int
    old: bytes | None
    old_mode: int


def write(result: RunResult, *, force: bool = False, only_secret: bool = False) -> list[str]:
    """Write the final contents to disk, atomically per file and all-or-nothing per run.

    Every new content is first written to a temporary file beside its target; only when all of them
    exist are they renamed over their targets (many renames in a few threads: on ext4 renaming over a
    file starts writing the new one out, which overlaps well).  A failure while writing the temporary
    files changes nothing; a failure while renaming restores the files already replaced.  Refuses (``DirtyError``) to overwrite files with
    uncommitted changes unless ``force``.  With ``only_secret`` only the secret files (untracked
    ``.env``) are written (fix-branch mode: the rest goes to the branch).  Returns the written paths.
    """
    from concurrent.futures import ThreadPoolExecutor

    assert result.final is not None
    project = result.final
    root = project.root
    changes = [c for c in result.changes.values() if c.content is not None and (c.secret or not only_secret)]
    if not force and not only_secret:
        dirty = sorted(project.workspace.dirty_files() & {c.path for c in changes if not c.secret})
        if dirty:
            raise DirtyError(dirty)
    planned: list[_Planned] = []
    present: set[Path] = set()  # folders known to exist
    created_dirs: list[Path] = []
    temps: list[Path] = []
    done: list[_Planned] = []
    try:
        for ch in sorted(changes, key=lambda c: c.path):
            assert ch.content is not None
            target = root / ch.path
            how = project.encoding_of(ch.path)
            original = project.original_text(ch.path)
            if how is not None and original is not None:  # as read at the start of the run
                old: bytes | None = encode(original, how)
                old_mode = how.mode
            elif target.exists():
                old, old_mode = target.read_bytes(), stat.S_IMODE(target.stat().st_mode)
            else:
                old, old_mode = None, 0
            if how is None:
                how = Encoded("utf-8", b"", 0o600 if ch.secret else _default_mode())
            mode = ch.mode if ch.mode is not None else (old_mode if old is not None else how.mode)
            if ch.secret:
                mode &= 0o600
            missing = []
            parent = target.parent
            while parent not in present and not parent.exists():
                missing.append(parent)
                parent = parent.parent
            for d in reversed(missing):
                d.mkdir()
                created_dirs.append(d)
            present.add(target.parent)
            planned.append(_Planned(target, encode(ch.content, how), mode, old, old_mode))
        for p in planned:
            temps.append(_write_temp(p.target, p.data, p.mode))
        pending = list(zip(planned, temps))
        if len(pending) < PARALLEL_RENAMES_MIN:
            for p, tmp in pending:
                _commit(tmp, p.target)
                done.append(p)
        else:
            with ThreadPoolExecutor(max_workers=RENAME_THREADS) as pool:
                futures = [(p, pool.submit(_commit, tmp, p.target)) for p, tmp in pending]
            errors = [exc for p, fut in futures if (exc := fut.exception()) is not None]
            done.extend(p for p, fut in futures if fut.exception() is None)
            if errors:
                raise errors[0]
    except OSError as exc:
        replaced = {id(p) for p in done}
        for p, tmp in zip(planned, temps):
            if id(p) not in replaced:
                tmp.unlink(missing_ok=True)
        for p in reversed(done):
            try:
                if p.old is None:
                    p.target.unlink(missing_ok=True)
                else:
                    _atomic_write(p.target, p.old, p.old_mode)
            except OSError:
                pass
        for d in reversed(created_dirs):
            try:
                d.rmdir()
            except OSError:
                pass
        raise WriteError(f"{exc.filename or ''}: {exc.strerror or exc}; no file was changed") from exc
    written = [p.target.relative_to(root).as_posix() for p in planned]
    if not only_secret:
        untrack = sorted(c.path for c in result.changes.values() if c.untrack)
        if untrack and project.is_git:
            subprocess.run(["git", "-C", str(root), "rm", "--cached", "-f", "-q", "--", *untrack], check=False)
    return written


def _default_mode() -> int:
    return 0o666 & ~_UMASK
