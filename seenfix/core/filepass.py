"""Per-file analyses shared by a run: each file read once, in parallel, answers cached by digest.

A fixer that analyses files one by one (SF009's unused imports, SF001's scan of JS/TS code) describes
that analysis as a :class:`FilePass`: the files, a function of one file's path and text, and how to
keep its answer in seenfix's cache.  :func:`run_pass` gives the fixer every file's answer, working out
only those not known yet.  Before the first fixer runs, the engine hands every fixer's passes to
:func:`prefetch`, which reads each file once, in the worker processes of :mod:`seenfix.core.parallel`,
and runs every pass that wants that file on the one text: a TypeScript file is read once per run, not
once per fixer.

Answers for a file's text as it is on disk are remembered for the run (``Project.pass_results``,
shared by the run's projects); a text an earlier fixer changed is analysed when asked for.  With a
:class:`~seenfix.core.cache.ResultCache`, an answer is also looked up by the digest of the file's
extension and bytes before the function runs, and new answers are added to it (the fixer hands the
cache to the engine to write through ``Fixer.cache_writes()``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seenfix.core.cache import ResultCache, StatIndex

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project


def _no_storing(path: str, result: Any) -> Any:
    return None


def _as_stored(path: str, stored: Any) -> Any:
    return stored


@dataclass(eq=False)
class FilePass:
    """One per-file analysis: ``func(path, text, *args) -> (result, keep_text)`` over ``paths``.

    ``name`` identifies the analysis and everything its answer depends on besides the file (the
    fixer's code and options): two passes with the same name must give the same answers.  With
    ``cache``, ``store(path, result)`` gives what to keep of a result (``None``: keep nothing) and
    ``restore(path, stored)`` turns it back into a result; what is kept must not depend on the path
    beyond its extension, and must be picklable.  ``prepare`` runs once before workers are forked.
    ``keep_text``: the caller needs the file's text (it will change); the text goes back to the
    project, as if the calling process had read it.
    """

    name: str
    paths: Sequence[str]
    func: Callable[..., tuple[Any, bool]]
    args: tuple[Any, ...] = ()
    prepare: Callable[[], object] | None = None
    cache: ResultCache | None = None
    store: Callable[[str, Any], Any] = _no_storing
    restore: Callable[[str, Any], Any] = _as_stored
    #: The function costs less than handing a text to a worker and looking its digest up: texts the
    #: overlay changed are answered in the calling process, without the cache.
    light: bool = False
    #: how many files this pass worked out (not answered from the run or the cache), for tests
    computed: list[str] = field(default_factory=list)


def _caching(spec: FilePass) -> bool:
    """Whether answers of ``spec`` are looked up and kept by digest (not with the cache off: then no
    digest is worked out)."""
    return spec.cache is not None and spec.cache.path is not None


def _one(spec: FilePass, path: str, text: str, digest: bytes | None) -> tuple[Any, bool, tuple[bytes, Any] | None, bool]:
    """``spec`` on one file whose :meth:`ResultCache.digest` is ``digest`` (computed when ``spec`` has a
    cache): (result, keep_text, (digest, stored answer) for the cache or ``None``, whether the function ran)."""
    if _caching(spec):
        assert spec.cache is not None
        if digest is None:
            digest = ResultCache.digest(path, text)
        if digest in spec.cache.known:
            return spec.restore(path, spec.cache.known[digest]), False, None, False
    else:
        digest = None
    result, keep = spec.func(path, text, *spec.args)
    stored = spec.store(path, result) if digest is not None else None
    return result, keep, (None if stored is None or digest is None else (digest, stored)), True


def _all(path: str, text: str, specs: Sequence[FilePass],
         wanted: dict[str, tuple[int, ...]]) -> tuple[tuple[list[tuple[Any, ...]], bytes | None, bool], bool]:
    """Every pass of ``specs`` that wants ``path``, on its one text (run by :mod:`seenfix.core.parallel`);
    with the file's digest, computed once for all the passes with a cache (``None`` when none has),
    and whether the text holds ``seenfix`` (a suppression comment, maybe).  The text goes back to the
    calling process when a pass asks, or it holds ``seenfix`` (the engine reads its suppression
    comments, and reports those that suppress nothing)."""
    out: list[tuple[Any, ...]] = []
    marked = MARK in text
    keep_any = marked
    ks = wanted[path]
    digest = ResultCache.digest(path, text) if any(_caching(specs[k]) for k in ks) else None
    for k in ks:
        result, keep, new, ran = _one(specs[k], path, text, digest)
        keep_any |= keep
        out.append((k, result, new, ran))
    return (out, digest, marked), keep_any


#: What every suppression comment holds (:mod:`seenfix.editors.comments`): a file without it holds none.
MARK = "seenfix"

#: The answer of a file that could not be read (the workspace warned).
_UNREADABLE = object()


def _collect(project: Project, specs: Sequence[FilePass], paths: Sequence[str],
             wanted: dict[str, tuple[int, ...]], disk: bool,
             digests: dict[str, tuple[bytes, bool]] | None = None,
             meanwhile: Callable[[], object] | None = None) -> dict[tuple[int, str], Any]:
    """Every wanted answer for ``paths``; each file's digest, and whether it holds :data:`MARK`, go
    to ``digests`` when given."""
    from seenfix.core.parallel import map_files

    prepares = [s.prepare for s in specs if s.prepare is not None]

    def prepare() -> None:
        for p in dict.fromkeys(prepares):
            p()

    got: dict[tuple[int, str], Any] = {}
    for path, (answers, digest, marked) in map_files(project, paths, _all, (specs, wanted),
                                                     prepare=prepare if prepares else None,
                                                     meanwhile=meanwhile):
        if digests is not None and digest is not None:
            digests[path] = (digest, marked)
        if disk and not marked:  # no suppression comment: the engine need not read it for those
            project.unmarked.add(path)
        for k, result, new, ran in answers:
            spec = specs[k]
            if new is not None and spec.cache is not None:
                spec.cache.add(*new)
            if ran:
                spec.computed.append(path)
            got[(k, path)] = result
    if disk:
        for path in paths:
            for k in wanted[path]:
                project.pass_results[(specs[k].name, path)] = got.get((k, path), _UNREADABLE)
    return got


def prefetch(project: Project, specs: Sequence[FilePass], index: StatIndex | None = None,
             meanwhile: Callable[[], object] | None = None) -> None:
    """Work out every pass's answers for the files as they are on disk, reading each file once.

    The texts read stay in the worker processes but for those a pass asks to keep (files it will
    change) and those that hold :data:`MARK` (see :func:`_all`).  A file read without :data:`MARK`
    in it goes to ``project.unmarked``: it holds no suppression comment, and the engine need not read
    it for those.  With ``index``, a file whose ``stat`` is the one recorded there, and whose every
    pass has its digest's answer cached, is not read at all (``project.unmarked`` lists it too); the
    digests of the files read are recorded, except for files that hold :data:`MARK` (always read,
    for their comments), and :class:`~seenfix.core.cache.StatIndex` says when a file is trusted.  ``meanwhile``: see
    :func:`seenfix.core.parallel.run_parallel`."""
    wanted: dict[str, tuple[int, ...]] = {}
    for k, spec in enumerate(specs):
        for path in spec.paths:
            if path not in project.overlay and (spec.name, path) not in project.pass_results:
                wanted[path] = (*wanted.get(path, ()), k)
    if not wanted:
        return
    stats: dict[str, os.stat_result] = {}
    todo = sorted(wanted)
    if index is not None:
        todo = [p for p in todo if not _known(project, specs, p, wanted[p], index, stats)]
    digests: dict[str, tuple[bytes, bool]] = {}
    if todo:
        _collect(project, specs, todo, wanted, disk=True, digests=digests, meanwhile=meanwhile)
    if index is not None:
        for path, (digest, marked) in digests.items():
            if path in stats:
                index.record(path, stats[path], None if marked else digest)


def _known(project: Project, specs: Sequence[FilePass], path: str, ks: tuple[int, ...], index: StatIndex,
           stats: dict[str, os.stat_result]) -> bool:
    """Answer every pass ``ks`` for ``path`` from the caches when ``index`` knows the file's digest by
    its ``stat`` (then it is not read); else remember the ``stat`` (taken before the file is read)."""
    if any(specs[k].cache is None for k in ks):
        return False
    try:
        st = os.lstat(os.path.join(project.workspace.root, path))
    except (OSError, ValueError):
        return False
    # a regular file (not a symlink) in a folder inside the root: what reading it would read
    if not stat.S_ISREG(st.st_mode) or not project.workspace.folder_inside(os.path.dirname(path)):
        return False
    stats[path] = st
    digest = index.digest(path, st)
    if digest is None:
        return False
    answers = []
    for k in ks:
        cache = specs[k].cache
        if cache is None or digest not in cache.known:
            return False
        answers.append((k, cache.known[digest]))
    for k, stored in answers:
        project.pass_results[(specs[k].name, path)] = specs[k].restore(path, stored)
    project.unmarked.add(path)
    return True


def run_pass(project: Project, spec: FilePass, paths: Sequence[str] | None = None) -> list[tuple[str, Any]]:
    """``(path, answer)`` for every readable file of ``paths`` (default: ``spec.paths``), in order:
    from the run's earlier answers, else worked out now (in parallel when there are many)."""
    paths = spec.paths if paths is None else paths
    todo_disk = [p for p in paths if p not in project.overlay and (spec.name, p) not in project.pass_results]
    todo_overlay = [p for p in paths if p in project.overlay and project.overlay[p].content is not None]
    got: dict[tuple[int, str], Any] = {}
    if todo_disk:
        _collect(project, [spec], todo_disk, {p: (0,) for p in todo_disk}, disk=True)
    if todo_overlay and spec.light:
        for p in todo_overlay:
            text = project.overlay[p].content
            assert text is not None
            got[(0, p)] = spec.func(p, text, *spec.args)[0]
            spec.computed.append(p)
    elif todo_overlay:
        got = _collect(project, [spec], todo_overlay, {p: (0,) for p in todo_overlay}, disk=False)
    out = []
    for p in paths:
        if p in project.overlay:
            if (0, p) in got:
                out.append((p, got[(0, p)]))
        elif project.pass_results.get((spec.name, p), _UNREADABLE) is not _UNREADABLE:
            out.append((p, project.pass_results[(spec.name, p)]))
    return out
