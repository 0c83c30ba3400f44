"""Writing a run's result: atomically per file, all-or-nothing per run (the only code that writes
the user's files).

What it promises (README, "Promises"):

* every file is wholly old or wholly new: new contents go to a temporary file beside the target,
  renamed over it (``.NAME.PID.seenfix-tmp``, git-ignored through ``.git/info/exclude``);
* nothing is replaced that changed since seenfix read it (size, modification time, bytes): the write
  stops before the first rename (:class:`ChangedError`);
* a secret file is renamed into place only once ``git check-ignore`` says git ignores it there;
  ``.gitignore`` files are renamed first, then the secret files, then the rest, so that a run killed
  between two renames never leaves a file requiring a secret without the secret file;
* SIGINT/SIGTERM while writing: before the renames, the temporary files are removed and nothing
  changes; during the renames, they are finished (they take milliseconds), then the run stops;
* after ``kill -9`` temporary files may remain: each write records its temporary files first (in
  the git folder) and the next ``seenfix apply`` removes what an earlier, dead run left.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from seenfix.core import interrupt
from seenfix.core.git import git, untrack_paths
from seenfix.core.model import FileChange
from seenfix.core.workspace import Encoded, encode, read_regular

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project
    from seenfix.engine.run import RunResult


class WriteError(Exception):
    pass


class ChangedError(WriteError):
    """Files changed on disk since seenfix read them: nothing was written."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(f"{', '.join(paths)}: changed since seenfix read "
                         f"{'it' if len(paths) == 1 else 'them'}; no file was changed (run seenfix again)")
        self.paths = paths


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived while writing; ``written`` says whether the renames were finished."""

    def __init__(self, signum: int, written: bool) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.written = written


#: A temporary file of a write: ``.NAME.PID.seenfix-tmp`` beside its target.
TEMP_SUFFIX = ".seenfix-tmp"
TEMP_NAME = re.compile(r"(^|/)\.[^/]+\.(\d+)\.seenfix-tmp$")
#: what ``.git/info/exclude`` gains, so that ``git add -A`` never takes a temporary file
TEMP_PATTERN = "*" + TEMP_SUFFIX

#: what :func:`_in_threads` takes and hands back
Item = TypeVar("Item")
T = TypeVar("T")


class DirtyError(Exception):
    def __init__(self, paths: list[str]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


def _write_temp(target: Path, data: bytes, mode: int) -> Path:
    """Write ``data`` to a new temporary file beside ``target`` (same filesystem, so the rename that
    follows is atomic) with ``mode``; return its path."""
    tmp = temp_path(target)
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


def temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")


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
    old_mtime_ns: int = 0  # 0: not known (the file was not read by this run)
    secret: bool = False


def write(result: RunResult, *, force: bool = False, only_secret: bool = False) -> list[str]:
    """Write the final contents to disk, atomically per file and all-or-nothing per run.

    Every new content is first written to a temporary file beside its target; only when all of them
    exist, and every target is still what the run read (else :class:`ChangedError`), are they renamed
    over their targets (many files are written, and renamed, in a few threads: creating a file costs
    the kernel more than its bytes, and on ext4 renaming over a file starts writing the new one out;
    both overlap well).  Secret files come last, each once git ignores it where it
    is written (``.git/info/exclude`` gains it when no rule covers it; a ``.gitignore`` that un-ignores
    it stops the write).  A failure while writing the temporary files changes nothing; a failure while
    renaming restores the files already replaced.  SIGINT/SIGTERM: see :class:`Interrupted`.  Refuses
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
    journal = _Journal(project)
    current: Path | None = None  # the file being written, for an error that names none (ENOSPC)
    interrupt.stop_if_received()  # a stop the run swallowed (seenfix.core.interrupt) writes nothing
    with _signals_deferred() as caught:
        try:
            if project.is_git and changes:
                _exclude(project, [TEMP_PATTERN])
            planned = _plan(project, changes, created_dirs)
            journal.record([temp_path(p.target) for p in planned])
            if len(planned) < PARALLEL_RENAMES_MIN:
                for p in planned:
                    if caught:
                        raise Interrupted(caught[0], written=False)
                    current = p.target
                    temps.append(_write_temp(p.target, p.data, p.mode))
            else:
                try:
                    temps = _write_temps(planned, caught)
                except _FailedWrite as failed:
                    current = failed.target
                    raise failed.error from None
            current = None
            changed = _changed_since_read(planned, root)
            if changed:
                raise ChangedError(changed)
            if caught:
                raise Interrupted(caught[0], written=False)
            pending = list(zip(planned, temps))
            # Ignore rules first, then the secrets, then the rest: a run killed between two renames
            # never leaves a file that requires a secret without the secret file beside it.
            _rename_all([(p, t) for p, t in pending if not p.secret and p.target.name == ".gitignore"], done)
            secret = [(p, t) for p, t in pending if p.secret]
            if secret:
                if project.is_git:
                    _ensure_ignored(project, [p.target.relative_to(root).as_posix() for p, _ in secret])
                _rename_all(secret, done)
            _rename_all([(p, t) for p, t in pending if not p.secret and p.target.name != ".gitignore"], done)
        except (OSError, WriteError, Interrupted) as exc:
            _roll_back(planned, temps, done, created_dirs)
            journal.close()
            if isinstance(exc, (Interrupted, WriteError)):
                raise
            where = _named(exc, current, root)
            raise WriteError(f"{where}: {exc.strerror or exc}; no file was changed") from exc
        journal.close()
    written = [p.target.relative_to(root).as_posix() for p in planned]
    if not only_secret and project.is_git:
        untrack_paths(root, sorted(c.path for c in result.changes.values() if c.untrack))
    if caught:  # arrived during the renames, which were finished
        raise Interrupted(caught[0], written=True)
    return written


def _named(exc: OSError, current: Path | None, root: Path) -> str:
    """The file an ``OSError`` of the write is about, relative to the root: the target whose temporary
    file was being written (``os.write`` names none), or the target of a failed rename."""
    name = exc.filename2 or exc.filename or current
    if name is None:
        return str(root)
    path = Path(os.fsdecode(name))
    m = TEMP_NAME.search(path.as_posix())
    if m is not None:  # .NAME.PID.seenfix-tmp -> NAME
        path = path.with_name(path.name[1:-len(f".{m.group(2)}{TEMP_SUFFIX}")])
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


@contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """SIGINT and SIGTERM are recorded (in the yielded list) instead of stopping the process, so
    that the write decides where to stop: between temporary files, or after the renames."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def note(signum: int, _frame: object) -> None:
        caught.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _changed_since_read(planned: list[_Planned], root: Path) -> list[str]:
    """The targets that are no longer what the run read (or that appeared since): size, then
    modification time, then the bytes themselves."""
    out = []
    for p in planned:
        try:
            st = os.lstat(p.target)
        except FileNotFoundError:
            if p.old is not None:
                out.append(p.target.relative_to(root).as_posix())
            continue
        if p.old is None or not stat.S_ISREG(st.st_mode) and not stat.S_ISLNK(st.st_mode):
            out.append(p.target.relative_to(root).as_posix())
            continue
        current, mtime = None, 0
        if st.st_size == len(p.old):
            try:  # the bytes and the modification time of what is there now (one open, one fstat)
                current, now = read_regular(p.target)  # never blocks on a FIFO a link leads to
                mtime = now.st_mtime_ns
            except OSError:
                current = None
        if current != p.old or (p.old_mtime_ns and mtime != p.old_mtime_ns):
            out.append(p.target.relative_to(root).as_posix())
    return out


def _git_path(project: Project, name: str) -> Path:
    proc = git(project.root, "rev-parse", "--path-format=absolute", "--git-path", name)
    return Path(proc.stdout.decode("utf-8", "surrogateescape").strip())


def _exclude(project: Project, patterns: list[str]) -> None:
    """Add ``patterns`` missing from ``.git/info/exclude`` (the working repository's own ignore
    rules, never committed) at its end, keeping every byte already there."""
    path = _git_path(project, "info/exclude")
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = b""
    have = {line.strip() for line in old.decode("utf-8", "surrogateescape").splitlines()}
    missing = [p for p in patterns if p not in have]
    if not missing:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    add = "".join(f"{p}\n" for p in missing).encode("utf-8", "surrogateescape")
    if b"# seenfix" not in old:
        add = b"# seenfix: temporary files and generated secrets, never to be committed\n" + add
    if old and not old.endswith(b"\n"):
        add = b"\n" + add
    try:
        with open(path, "ab") as fh:
            fh.write(add)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def _ensure_ignored(project: Project, paths: list[str]) -> None:
    """Make sure git ignores every path of ``paths`` in the working tree before a secret is written
    there; raises :class:`WriteError` naming the rule that un-ignores one."""
    def verdicts() -> dict[str, str]:
        import subprocess

        proc = subprocess.run(["git", "-C", str(project.root), "check-ignore", "-v", "-n", "-z", "--no-index",
                               "--stdin"], input=b"".join(os.fsencode(p) + b"\0" for p in paths),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
        # -z -v -n: source, line, pattern, path (source empty when no rule matches)
        return {fields[i + 3]: (f"{fields[i]}:{fields[i + 1]}:{fields[i + 2]}" if fields[i] else "")
                for i in range(0, len(fields) - 3, 4)}

    found = verdicts()
    unmatched = [p for p in paths if not found.get(p)]
    if unmatched:
        _exclude(project, ["/" + _escape_pattern(p) for p in unmatched])
        found = verdicts()
    for p in paths:
        rule = found.get(p, "")
        pattern = rule.split(":", 2)[2] if rule.count(":") >= 2 else ""
        if not rule or pattern.startswith("!"):
            why = f"{rule.rsplit(':', 1)[0]} un-ignores it ({pattern})" if rule else "no rule ignores it"
            raise WriteError(f"{p}: not written: git would not ignore it, {why}; a file holding "
                             "secrets must be git-ignored (remove that rule, or ignore the file after it); "
                             "no file was changed")


def _escape_pattern(path: str) -> str:
    return re.sub(r"([\\*?\[\]!# ])", r"\\\1", path)


class _Journal:
    """The temporary files a write is about to create, recorded in the git folder before any is
    created, so that a run killed with ``kill -9`` can be cleaned up by the next one."""

    def __init__(self, project: Project) -> None:
        self.path = _git_path(project, f"seenfix-pending.{os.getpid()}") if project.is_git else None

    def record(self, temps: list[Path]) -> None:
        if self.path is None or not temps:
            return
        try:
            self.path.write_bytes(b"".join(os.fsencode(t) + b"\0" for t in temps))
        except OSError as exc:
            self.path.unlink(missing_ok=True)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None

    def close(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def remove_leftovers(project: Project) -> list[str]:
    """Remove the temporary files earlier runs left (killed before they could): those their journal
    lists and those the listing met, whose process is gone.  Returns them, relative to the root."""
    root = project.root
    found: set[Path] = {root / rel for rel in project.workspace.leftovers}
    journals: list[Path] = []
    if project.is_git:
        folder = _git_path(project, "seenfix-pending.0").parent
        for journal in folder.glob("seenfix-pending.*"):
            pid = journal.name.rsplit(".", 1)[-1]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            try:
                found.update(Path(os.fsdecode(t)) for t in journal.read_bytes().split(b"\0") if t)
            except OSError:
                continue
            journals.append(journal)
    removed = []
    for tmp in sorted(found):
        m = TEMP_NAME.search(tmp.as_posix())
        if m is None or _alive(int(m.group(2))):
            continue
        try:
            if stat.S_ISREG(os.lstat(tmp).st_mode):
                tmp.unlink()
                removed.append(os.path.relpath(tmp, root).replace(os.sep, "/"))
        except OSError:
            continue
    for journal in journals:
        journal.unlink(missing_ok=True)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _plan(project: Project, changes: list[FileChange], created_dirs: list[Path]) -> list[_Planned]:
    """What to write where, with which mode, and what each target held before (for a roll-back);
    creates missing folders (recorded in ``created_dirs``)."""
    root = project.root
    planned: list[_Planned] = []
    present: set[Path] = set()  # folders known to exist
    for ch in sorted(changes, key=lambda c: c.path):
        assert ch.content is not None
        target = root / ch.path
        got = project.as_read(ch.path)  # never read again here: what is on disk now may be newer
        how = got[1] if got is not None else None
        old_mtime = 0
        if got is not None:
            old: bytes | None = encode(got[0], got[1])
            old_mode, old_mtime = got[1].mode, got[1].mtime_ns
        else:  # missing when the run looked (the runner refuses to replace a file it could not read)
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
        planned.append(_Planned(target, encode(ch.content, how), mode, old, old_mode, old_mtime, ch.secret))
    return planned


def _in_threads(func: Callable[[Item], T], items: list[Item],
                stop: list[int] | None = None) -> list[T | Exception | None]:
    """``func`` of every item in ``RENAME_THREADS`` threads, each taking a run of items in turn;
    one outcome per item, in order: the result, the exception it raised, or ``None`` when a signal
    arrived (``stop``) before its turn.  Creating and renaming files costs the kernel more than the
    few kilobytes they hold, and such calls in different folders overlap; runs of items, not one
    task per item, keep the threads' own cost small."""
    from concurrent.futures import ThreadPoolExecutor

    def run(part: list[Item]) -> list[T | Exception | None]:
        out: list[T | Exception | None] = []
        for item in part:
            if stop:
                out.append(None)
                continue
            try:
                out.append(func(item))
            except Exception as exc:  # noqa: BLE001 - handed back, raised by the caller
                out.append(exc)
        return out

    size = max(1, -(-len(items) // (RENAME_THREADS * 4)))
    with ThreadPoolExecutor(max_workers=RENAME_THREADS) as pool:
        parts = list(pool.map(run, [items[i:i + size] for i in range(0, len(items), size)]))
    return [outcome for part in parts for outcome in part]


def _write_temps(planned: list[_Planned], caught: list[int]) -> list[Path]:
    """Every planned content in its temporary file, in threads (:func:`_in_threads`); returns the
    temporary files, in the order of ``planned``.  When one write fails, or a signal arrives
    (``caught``), the files written are removed and the failure is raised (an ``OSError`` as
    :class:`_FailedWrite`, which names the target being written), or :class:`Interrupted`."""
    outcomes = _in_threads(lambda p: _write_temp(p.target, p.data, p.mode), planned, caught)
    made = [t for t in outcomes if isinstance(t, Path)]
    if len(made) < len(planned) or caught:
        for tmp in made:
            tmp.unlink(missing_ok=True)
        for p, outcome in zip(planned, outcomes):
            if isinstance(outcome, OSError):
                raise _FailedWrite(p.target, outcome)
            if isinstance(outcome, Exception):
                raise outcome
        raise Interrupted(caught[0], written=False)
    return made


class _FailedWrite(Exception):
    """A temporary file that could not be written (by :func:`_write_temps`), with its target."""

    def __init__(self, target: Path, error: OSError) -> None:
        super().__init__(str(error))
        self.target = target
        self.error = error


def _rename_all(pending: list[tuple[_Planned, Path]], done: list[_Planned]) -> None:
    """Rename every temporary file over its target (in threads from ``PARALLEL_RENAMES_MIN`` files
    on), recording each replaced target in ``done``; raises the first failure."""
    if len(pending) < PARALLEL_RENAMES_MIN:
        for p, tmp in pending:
            _commit(tmp, p.target)
            done.append(p)
        return
    outcomes = _in_threads(lambda pt: _commit(pt[1], pt[0].target), pending)
    done.extend(p for (p, _), outcome in zip(pending, outcomes) if not isinstance(outcome, Exception))
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
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
                if p.old_mtime_ns:  # as it was: a later run must find it unchanged since it read it
                    os.utime(p.target, ns=(p.old_mtime_ns, p.old_mtime_ns))
        except OSError:
            pass
    for d in reversed(created_dirs):
        try:
            d.rmdir()
        except OSError:
            pass


def _default_mode() -> int:
    return 0o666 & ~_UMASK


def write_cache(path: str, data: bytes, *, private: bool = False, keep: int = 0) -> None:
    """Replace the cache file ``path`` (outside the project) with ``data``: a temporary file and a
    rename; errors are ignored (a cache only ever saves time).  ``private``: readable by the user only
    (mode 0600).  ``keep``: then remove all but the ``keep`` newest files of that folder."""
    try:
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
        with open(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        if keep:
            entries = []
            for entry in os.scandir(folder):
                try:
                    entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
                except OSError:
                    continue
            for _, old in sorted(entries, reverse=True)[keep:]:
                os.unlink(old)
    except OSError:
        pass
