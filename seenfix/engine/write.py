"""Writing a run's result: atomically per file, all-or-nothing per run (the only code that writes
the user's files)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seenfix.core.git import untrack_paths
from seenfix.core.model import FileChange
from seenfix.core.workspace import Encoded, encode

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project
    from seenfix.engine.run import RunResult


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
    files changes nothing; a failure while renaming restores the files already replaced.  Refuses
    (``DirtyError``) to overwrite files with uncommitted changes unless ``force``.  With
    ``only_secret`` only the secret files (untracked ``.env``) are written (fix-branch mode: the rest
    goes to the branch).  Returns the written paths.
    """
    assert result.final is not None
    project = result.final
    root = project.root
    changes = [c for c in result.changes.values() if c.content is not None and (c.secret or not only_secret)]
    if not force and not only_secret:
        dirty = sorted(project.workspace.dirty_files() & {c.path for c in changes if not c.secret})
        if dirty:
            raise DirtyError(dirty)
    planned: list[_Planned] = []
    created_dirs: list[Path] = []
    temps: list[Path] = []
    done: list[_Planned] = []
    try:
        planned = _plan(project, changes, created_dirs)
        for p in planned:
            temps.append(_write_temp(p.target, p.data, p.mode))
        _rename_all(list(zip(planned, temps)), done)
    except OSError as exc:
        _roll_back(planned, temps, done, created_dirs)
        raise WriteError(f"{exc.filename or ''}: {exc.strerror or exc}; no file was changed") from exc
    written = [p.target.relative_to(root).as_posix() for p in planned]
    if not only_secret and project.is_git:
        untrack_paths(root, sorted(c.path for c in result.changes.values() if c.untrack))
    return written


def _plan(project: Project, changes: list[FileChange], created_dirs: list[Path]) -> list[_Planned]:
    """What to write where, with which mode, and what each target held before (for a roll-back);
    creates missing folders (recorded in ``created_dirs``)."""
    root = project.root
    planned: list[_Planned] = []
    present: set[Path] = set()  # folders known to exist
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
    return planned


def _rename_all(pending: list[tuple[_Planned, Path]], done: list[_Planned]) -> None:
    """Rename every temporary file over its target (in threads from ``PARALLEL_RENAMES_MIN`` files
    on), recording each replaced target in ``done``; raises the first failure."""
    from concurrent.futures import ThreadPoolExecutor

    if len(pending) < PARALLEL_RENAMES_MIN:
        for p, tmp in pending:
            _commit(tmp, p.target)
            done.append(p)
        return
    with ThreadPoolExecutor(max_workers=RENAME_THREADS) as pool:
        futures = [(p, pool.submit(_commit, tmp, p.target)) for p, tmp in pending]
    errors = [exc for p, fut in futures if (exc := fut.exception()) is not None]
    done.extend(p for p, fut in futures if fut.exception() is None)
    if errors:
        raise errors[0]


def _roll_back(planned: list[_Planned], temps: list[Path], done: list[_Planned], created_dirs: list[Path]) -> None:
    """Undo a write that failed: remove the temporary files not renamed yet, put back what the
    replaced targets held, and remove the folders the write created."""
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


def _default_mode() -> int:
    return 0o666 & ~_UMASK


def write_cache(path: str, data: bytes) -> None:
    """Replace the cache file ``path`` (outside the project) with ``data``: a temporary file and a
    rename; errors are ignored (a cache only ever saves time)."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        pass
