"""Running one function over many files in worker processes, each file read by the worker that uses it.

A fixer that parses thousands of files (SF009) spends most of its time in work that parallelises
across cores.  :func:`map_files` hands the files, in chunks, to forked worker processes and to the
calling process alike, and the files are read where they are processed: reading and decoding is part
of the per-file cost, and sending texts to workers would leave it serial.  A worker sends a file's text
back only when the function says the caller needs it (the file is going to change), and the
caller's :class:`~seenfix.core.project.Project` remembers it, so the runner does not read it again.

Files the overlay has changed are sent to the workers as text (a worker cannot see the overlay).
Without ``fork`` (or with threads running, where forking is unsafe), or when processes cannot be
started, or with few files, everything runs in the calling process.
"""

from __future__ import annotations

import gc
import os
import pickle
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project
    from seenfix.core.workspace import Encoded

#: ``func(path, text, *args) -> (result, keep_text)``; the workers inherit it (fork), and send back
#: its results, which must be picklable.
FileFunc = Callable[..., tuple[Any, bool]]
#: ``reader(path)``: (text, encoding), or a warning (a string), or ``None`` (the file is gone)
Reader = Callable[[str], "tuple[str, Encoded] | str | None"]

#: Below this many files one process is faster than starting others.
PARALLEL_MIN_FILES = 48


def worker_count() -> int:
    """Processes to use: ``SEENFIX_JOBS``, else the CPUs this process may run on."""
    env = os.environ.get("SEENFIX_JOBS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _share(items: Sequence[tuple[str, str | None]], func: FileFunc, args: tuple[Any, ...],
           reader: Reader | None) -> tuple[list[Any], list[str]]:
    """Run ``func`` over one share of the items (in a worker, or in the calling process)."""
    out: list[Any] = []
    warnings: list[str] = []
    for path, text in items:
        got = None
        if text is None:
            got = reader(path) if reader is not None else None
            if not isinstance(got, tuple):
                if got is not None:
                    warnings.append(got)
                out.append(None)
                continue
            text = got[0]
        result, keep_text = func(path, text, *args)
        out.append((result, got if keep_text else None))
    return out, warnings


def run_parallel(items: Sequence[tuple[str, str | None]], func: FileFunc, args: tuple[Any, ...] = (), *,
                 reader: Reader | None = None, warnings: list[str] | None = None, jobs: int | None = None,
                 prepare: Callable[[], object] | None = None,
                 meanwhile: Callable[[], object] | None = None) -> list[Any]:
    """``func(path, text, *args)`` for every ``(path, text)``; a ``None`` text is read with ``reader``.

    Returns one outcome per item, in order: ``None`` when the file could not be read, else
    ``(result, (text, encoding) or None)`` (the text read from disk when ``func`` asked to keep it).
    The warnings ``reader`` returns are appended to ``warnings``.  ``prepare`` runs once before
    the workers are forked (to load what they all need).  ``meanwhile`` runs once in the calling
    process once the workers are at work, before it takes its share (what the caller will need
    after the pass, loaded while the workers parse), and only when they run.
    """
    sink: list[str] = warnings if warnings is not None else []

    def alone(chosen: Sequence[tuple[str, str | None]]) -> list[Any]:
        out, said = _share(chosen, func, args, reader)
        sink.extend(said)
        return out

    jobs = worker_count() if jobs is None else max(1, jobs)
    jobs = min(jobs, max(1, len(items) // (PARALLEL_MIN_FILES // 2)))
    if jobs == 1 or len(items) < PARALLEL_MIN_FILES or not hasattr(os, "fork"):
        return alone(items)
    if prepare is not None:
        prepare()  # inherited by the forked workers
    if threading.active_count() != 1:  # forking with other threads running is unsafe
        return alone(items)
    # The items are cut into chunks that every process, the calling one included, takes in turn until
    # none is left: the work ends balanced whatever the files cost (one large generated file does not
    # leave a process idle).  The chunks' numbers wait in a pipe, four bytes each, written before any
    # process reads: each read of four bytes takes one chunk (a pipe's reads do not interleave).
    # What the workers need is inherited through fork, not pickled; each sends its results back once,
    # through its own pipe.  Plain os.fork and pipes: multiprocessing's pool and shared values cost
    # more to import and start (about 20 ms) than a 2,000-file pass gains from them.
    chunks = guided_chunks(len(items), jobs)
    if len(chunks) * 4 > _PIPE_BUFFER:  # the numbers must fit in the pipe before anyone reads
        return alone(items)
    results: list[Any] = [None] * len(items)
    done = [False] * len(chunks)
    take_r, take_w = os.pipe()
    children: list[tuple[int, int]] = []  # (pid, read end of its results' pipe)
    global _CONTEXT
    _CONTEXT = (func, args, reader, items, chunks, take_r)
    # What exists now is kept for the whole pass: out of the cyclic collector's sight, its collections
    # walk only what the pass makes, and never write to the pages the workers share with this
    # process (each such write would copy a page into the worker).  About 4% of a check here.
    gc.freeze()
    finished = False
    try:
        os.write(take_w, b"".join(k.to_bytes(4, "little") for k in range(len(chunks))))
        os.close(take_w)
        take_w = -1
        for _ in range(jobs - 1):
            try:
                children.append(_fork_worker())
            except OSError:  # no more processes here (a sandbox, a limit): fewer workers
                break
        if children and meanwhile is not None:
            meanwhile()
        while (k := _take(take_r)) is not None:
            for i, res in zip(chunks[k], alone([items[i] for i in chunks[k]])):
                results[i] = res
            done[k] = True
        while children:
            pid, fd = children.pop()
            got = _collect_worker(pid, fd)
            if got is None:
                continue  # the worker died (a crash, an OOM kill): its chunks are done below
            for k, theirs, said in got:
                for i, res in zip(chunks[k], theirs):
                    results[i] = res
                done[k] = True
                sink.extend(said)
        finished = True
    finally:
        _CONTEXT = None
        gc.unfreeze()
        for fd in (take_r, take_w):
            if fd >= 0:
                os.close(fd)
        for pid, fd in children:  # interrupted, or a worker's error raised: stop the others
            os.close(fd)
            _stop_worker(pid)
    if finished:
        for k, chunk in enumerate(chunks):
            if not done[k]:
                for i, res in zip(chunk, alone([items[i] for i in chunk])):
                    results[i] = res
    return results


#: What the forked workers work on (set by :func:`run_parallel` before it forks them):
#: ``(func, args, reader, items, chunks, read end of the chunks' pipe)``.
_CONTEXT: tuple[Any, ...] | None = None
#: What a pipe holds before its writer blocks, on Linux (and at least as much elsewhere).
_PIPE_BUFFER = 65536
#: The smallest chunk: each one taken costs a read of the chunks' pipe.
MIN_CHUNK = 8


def guided_chunks(total: int, jobs: int) -> list[range]:
    """``range(total)`` cut into chunks that shrink as the work goes (guided scheduling): each is a
    ``2 * jobs``-th of what is left, at least :data:`MIN_CHUNK`.  Few claims while much is left, and
    small last chunks, so that the processes finish close together (with equal chunks of a 32nd of
    the work, the calling process waited 25-55 ms at the end of a 2,000-file pass for a worker's last
    chunk)."""
    chunks = []
    start = 0
    while start < total:
        size = max(MIN_CHUNK, -(-(total - start) // (2 * jobs)))
        chunks.append(range(start, min(start + size, total)))
        start += size
    return chunks


def _take(fd: int) -> int | None:
    """The next chunk nobody has taken yet, or ``None``."""
    data = os.read(fd, 4)
    return int.from_bytes(data, "little") if len(data) == 4 else None


def _fork_worker() -> tuple[int, int]:
    """Fork a worker that takes chunks until none is left and writes what it found, pickled, to a
    pipe; returns its pid and the pipe's read end."""
    result_r, result_w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(result_r)
        os.close(result_w)
        raise
    if pid == 0:  # pragma: no cover - the worker (coverage does not follow forks)
        code = 1
        try:
            os.close(result_r)
            try:
                outcome: tuple[str, Any] = ("ok", _worker_loop())
            except Exception as exc:  # noqa: BLE001 - raised again in the calling process
                outcome = ("error", exc)
            try:
                data = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
                data = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__} in a worker: {outcome[1]!r}")))
            view = memoryview(data)
            while view:
                view = view[os.write(result_w, view):]
            code = 0
        finally:
            os._exit(code)  # never the parent's clean-up (atexit, buffered output, finally blocks)
    os.close(result_w)
    return pid, result_r


def _collect_worker(pid: int, fd: int) -> list[tuple[int, list[Any], list[str]]] | None:
    """What the worker ``pid`` found, read from its pipe ``fd`` (closed here); ``None`` when it died
    before it said (its chunks are left undone).  An exception it raised is raised here."""
    parts = []
    try:
        while part := os.read(fd, _PIPE_BUFFER):
            parts.append(part)
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    try:
        kind, value = pickle.loads(b"".join(parts))
    except Exception:  # noqa: BLE001 - cut short: the worker died while it wrote
        return None
    if kind == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _stop_worker(pid: int) -> None:
    """Stop a worker whose results are no longer wanted, and reap it."""
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass


def _worker_loop() -> list[tuple[int, list[Any], list[str]]]:
    """In a worker: take chunks and work on them until none is left; return what each gave."""
    assert _CONTEXT is not None, "run_parallel's workers are forked after it sets _CONTEXT"
    func, args, reader, items, chunks, take_r = _CONTEXT
    out = []
    while (k := _take(take_r)) is not None:
        theirs, said = _share([items[i] for i in chunks[k]], func, args, reader)
        out.append((k, theirs, said))
    return out


def map_files(project: Project, paths: Sequence[str], func: FileFunc, args: tuple[Any, ...] = (), *,
              jobs: int | None = None, prepare: Callable[[], object] | None = None,
              meanwhile: Callable[[], object] | None = None) -> list[tuple[str, Any]]:
    """``func(path, text, *args)`` over the project's current text of every readable file of ``paths``.

    ``func`` returns ``(result, keep_text)``; with ``keep_text`` the file's disk text goes back to
    ``project`` (as if the calling process had read it).  Returns ``(path, result)`` in the order of
    ``paths``, unreadable files left out (with the workspace's usual warning).
    """
    items = [(p, project.cached_text(p)) for p in paths]
    outcomes = run_parallel(items, func, args, reader=project.workspace.read_or_why, warnings=project.workspace.warnings,
                            jobs=jobs, prepare=prepare, meanwhile=meanwhile)
    out: list[tuple[str, Any]] = []
    for (path, _), outcome in zip(items, outcomes):
        if outcome is None:
            project.remember(path, None)
            continue
        result, got = outcome
        if got is not None:
            project.remember(path, got)
        out.append((path, result))
    return out
