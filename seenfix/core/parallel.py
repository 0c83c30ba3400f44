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
    if jobs == 1 or len(items) < PARALLEL_MIN_FILES:
        return alone(items)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if prepare is not None:
        prepare()  # inherited by the forked workers
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1 \
        else None
    if method is None:
        return alone(items)
    # The items are cut into chunks that every process, the calling one included, claims in turn
    # from a shared counter until none is left: the work ends balanced whatever the files cost (one
    # large generated file does not leave a process idle).  What the workers need is inherited
    # through fork, not pickled; each sends its results back once.
    chunks = guided_chunks(len(items), jobs)
    ctx = multiprocessing.get_context(method)
    counter = ctx.Value("i", 0)
    results: list[Any] = [None] * len(items)
    done = [False] * len(chunks)
    global _CONTEXT
    _CONTEXT = (func, args, reader, items, chunks, counter)
    # What exists now is kept for the whole pass: out of the cyclic collector's sight, its collections
    # walk only what the pass makes, and never write to the pages the workers share with this
    # process (each such write would copy a page into the worker).  About 4% of a check here.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=ctx) as pool:
            futures = [pool.submit(_worker_loop) for _ in range(jobs - 1)]
            if meanwhile is not None:
                meanwhile()
            while (k := _claim(counter, len(chunks))) is not None:
                for i, res in zip(chunks[k], alone([items[i] for i in chunks[k]])):
                    results[i] = res
                done[k] = True
            for fut in futures:
                for k, theirs, said in fut.result():
                    for i, res in zip(chunks[k], theirs):
                        results[i] = res
                    done[k] = True
                    sink.extend(said)
    except (OSError, BrokenProcessPool):  # no processes here (a sandbox, a killed worker): go on alone
        for k, chunk in enumerate(chunks):
            if not done[k]:
                for i, res in zip(chunk, alone([items[i] for i in chunk])):
                    results[i] = res
    finally:
        _CONTEXT = None
        gc.unfreeze()
    return results


#: What the forked workers work on (set by :func:`run_parallel` before it forks them):
#: ``(func, args, reader, items, chunks, counter)``.
_CONTEXT: tuple[Any, ...] | None = None
#: The smallest chunk: a claim costs a lock and a shared counter's update.
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


def _claim(counter: Any, total: int) -> int | None:
    """The next chunk nobody has claimed yet, or ``None``."""
    with counter.get_lock():
        k: int = counter.value
        if k >= total:
            return None
        counter.value = k + 1
        return k


def _worker_loop() -> list[tuple[int, list[Any], list[str]]]:
    """In a worker: claim chunks and work on them until none is left; return what each gave."""
    assert _CONTEXT is not None, "run_parallel's workers are forked after it sets _CONTEXT"
    func, args, reader, items, chunks, counter = _CONTEXT
    out = []
    while (k := _claim(counter, len(chunks))) is not None:
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
