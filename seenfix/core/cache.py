"""seenfix's cache: answers that need not be worked out again.

Everything lives in ``$XDG_CACHE_HOME/seenfix`` (default ``~/.cache/seenfix``), never in the project:
a ``--branch`` run must not write the working tree, and nothing should appear in ``git status``.
``SEENFIX_NO_CACHE=1`` turns the cache off.  Each entry is keyed by everything its answer depends on
(seenfix's version, Python's, the options, the size and modification time of the code that computes
it), so an upgrade or an edited fixer starts afresh instead of answering from old results.  A cache
that cannot be read or written is ignored: it only ever saves time.  This module reads the cache
and says what to store; :mod:`seenfix.engine.write` writes it.

Standard library only (the fast path of ``seenfix list`` uses it).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable

from seenfix import __version__


def location() -> str:
    """Where the cache folder is (whether or not the cache is on)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "seenfix")


def folder() -> str | None:
    """The cache folder, or ``None`` when ``SEENFIX_NO_CACHE`` is set."""
    return None if os.environ.get("SEENFIX_NO_CACHE") else location()


def module_stat(module: str) -> str:
    """``path:size:mtime`` of a module's source on ``sys.path`` (part of cache keys)."""
    rel = module.replace(".", os.sep)
    for entry in sys.path:
        for candidate in (rel + ".py", os.path.join(rel, "__init__.py")):
            path = os.path.join(entry or ".", candidate)
            try:
                st = os.stat(path)
            except OSError:
                continue
            return f"{path}:{st.st_size}:{st.st_mtime_ns}"
    return f"{module}:missing"


def package_stat(package: str) -> str:
    """Size and modification time of every file of a package's folder (compiled modules included)."""
    for entry in sys.path:
        path = os.path.join(entry or ".", package)
        try:
            names = sorted(os.listdir(path))
        except OSError:
            continue
        parts = [path]
        for name in names:
            try:
                st = os.stat(os.path.join(path, name))
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode):
                parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        return ";".join(parts)
    return f"{package}:missing"


class ResultCache:
    """What a per-file analysis answered for inputs seen before, by content digest (for one fixer,
    one configuration): findings, "nothing to report" and "the grammar rejects it" alike.

    Stored as one pickle of ``{digest: answer}``; an answer is whatever the analysis's
    :class:`~seenfix.core.filepass.FilePass` keeps of a result (small and path-independent: the path
    is not part of the digest, the file's extension is).  A file that cannot be read as such a
    mapping is damaged and ignored.  New answers are collected in memory; :meth:`dump` says what the
    engine should write.
    """

    SIZE = 16
    #: More entries than this start afresh (the old entries are dropped, not the new ones).
    LIMIT = 200_000

    def __init__(self, name: str, key_parts: Iterable[str]) -> None:
        base = folder()
        import hashlib

        key = hashlib.sha256("\n".join([__version__, sys.version, *key_parts]).encode()).hexdigest()[:24]
        self.path = os.path.join(base, f"{name}-{key}.pickle") if base else None
        self.known: dict[bytes, object] = {}
        self._new: dict[bytes, object] = {}
        if self.path is not None:
            try:
                with open(self.path, "rb") as fh:
                    data = fh.read()
            except OSError:
                data = b""
            if data:
                import pickle

                try:
                    known = pickle.loads(data)
                except Exception:  # noqa: BLE001 - a damaged or outdated cache file: start afresh
                    known = None
                if isinstance(known, dict):
                    self.known = known

    @classmethod
    def digest(cls, path: str, text: str) -> bytes:
        """The key of ``text`` read from a file named like ``path`` (its extension counts: ``.ts``
        and ``.tsx`` parse differently)."""
        import hashlib

        ext = os.path.splitext(path)[1].encode("utf-8", "surrogateescape")
        return hashlib.blake2b(ext + b"\0" + text.encode("utf-8", "surrogatepass"), digest_size=cls.SIZE).digest()

    def add(self, digest: bytes, answer: object) -> None:
        if self.path is not None and digest not in self.known:
            self._new[digest] = answer

    def dump(self) -> tuple[str, bytes] | None:
        """``(path, data)`` the cache file should now hold, for the engine to write
        (:func:`seenfix.engine.write.write_cache`), or ``None`` when nothing is new or the cache is off.
        The cache never writes by itself."""
        if self.path is None or not self._new:
            return None
        import pickle

        keep = self.known if len(self.known) + len(self._new) <= self.LIMIT else {}
        self.known = {**keep, **self._new}
        self._new = {}
        return self.path, pickle.dumps(self.known, protocol=pickle.HIGHEST_PROTOCOL)


class StatIndex:
    """Which digest (:meth:`ResultCache.digest`) each file of a tree had, by its ``stat``, as git's
    index does: a file whose size, modification time, change time, inode and device are those
    recorded has the recorded digest, and the run takes its answers from the caches without reading
    it.  One index per project root, in the cache folder.

    Why a changed file is always read again: any write, truncation, rename over it or ``touch``
    (setting the modification time back included) sets the file's change time (``st_ctime_ns``) to
    the current time, which no program can choose.  An entry is recorded only from a ``stat`` taken
    after the run began (``started``) and only when both the change and modification times are at
    least :data:`RACY_NS` older than that moment (the "racy" rule): so a write after the ``stat``,
    even one within the same clock tick of a coarse file system, gives a change time that differs
    from the recorded one.  A file written in the last seconds before a run is read, not recorded,
    and recorded by the next run.  (Like git, this trusts the clock: a clock set back by more than
    that margin, or a network file system with a skewed clock, could hide a change.)
    """

    #: How much older than the run's start a file's times must be for its entry to be kept (2 s: the
    #: coarsest file system timestamps, FAT's, plus clock ticks).
    RACY_NS = 2_000_000_000
    #: More entries than this are not kept.
    LIMIT = 300_000

    def __init__(self, root: str) -> None:
        import hashlib
        import time

        self.started = time.time_ns()
        base = folder()
        key = hashlib.sha256("\n".join([__version__, str(ResultCache.SIZE), os.path.realpath(root)]).encode())
        self.path = os.path.join(base, f"files-{key.hexdigest()[:24]}.pickle") if base else None
        self.known: dict[str, tuple[int, int, int, int, int, bytes]] = {}
        self._changed = False
        if self.path is not None:
            try:
                with open(self.path, "rb") as fh:
                    data = fh.read()
            except OSError:
                data = b""
            if data:
                import pickle

                try:
                    known = pickle.loads(data)
                except Exception:  # noqa: BLE001 - a damaged or outdated index: start afresh
                    known = None
                if isinstance(known, dict):
                    self.known = known

    @staticmethod
    def key(st: os.stat_result) -> tuple[int, int, int, int, int]:
        return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev

    def digest(self, rel: str, st: os.stat_result) -> bytes | None:
        """The digest of ``rel`` when ``st`` (taken now) is the ``stat`` recorded with it."""
        entry = self.known.get(rel)
        if entry is None or entry[:5] != self.key(st):
            return None
        return entry[5]

    def record(self, rel: str, st: os.stat_result, digest: bytes | None) -> None:
        """Remember that ``rel`` with ``st`` (taken after :attr:`started`, before the file was read)
        had ``digest``, unless it changed too recently to tell (the racy rule above); ``None``: forget
        ``rel`` (a file that must always be read)."""
        if self.path is None:
            return
        if digest is None or max(st.st_mtime_ns, st.st_ctime_ns) > self.started - self.RACY_NS:
            if self.known.pop(rel, None) is not None:
                self._changed = True
            return
        entry = (*self.key(st), digest)
        if self.known.get(rel) != entry:
            self.known[rel] = entry
            self._changed = True

    def dump(self) -> tuple[str, bytes] | None:
        """``(path, data)`` for the engine to write, or ``None`` when nothing changed or the cache is off."""
        if self.path is None or not self._changed or len(self.known) > self.LIMIT:
            return None
        import pickle

        self._changed = False
        return self.path, pickle.dumps(self.known, protocol=pickle.HIGHEST_PROTOCOL)
