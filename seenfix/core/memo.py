"""What one run has parsed already: each file's parse, shared between the fixers of the run.

Several fixers read the same compose file (SF001, SF004, SF007, SF008, SF011, SF012, SF013...) and
the engine re-parses their output; parsing is the slow part.  A :class:`Memo` belongs to one run (the
engine makes it with the run's :class:`~seenfix.core.project.Project` and drops it at the end), keys
each parse by what it depends on (the kind of parse, the path, the text), and bounds the memory it
holds: past :data:`LIMIT` characters of parsed text the least recently used entries go first (a parsed
YAML document costs about 30-40 bytes per character of its text), except the newest entry of each
kind, so that one file larger than the limit is still parsed once per run and not once per fixer
(the formats' own size limits, such as YAML's 4 MiB, bound what that keeps).

Editors whose functions take a text and a path, not a project, find the running run's memo with
:func:`current`; outside a run (a unit test, a library call) there is none and they parse every time.
Standard library only.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

T = TypeVar("T")

#: Characters of parsed text a memo keeps (about 50 MiB of parsed YAML).
LIMIT = 1_500_000


class Memo:
    """Parse results of one run, keyed by ``(kind, path, text)``, least recently used dropped first."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.size = 0  # characters of the texts held
        self._entries: OrderedDict[tuple[str, str, str], tuple[Any, int]] = OrderedDict()
        self._newest: dict[str, tuple[str, str, str]] = {}  # each kind's newest entry, never dropped
        #: how many times each kind was computed (not answered from the memo), for tests and benchmarks
        self.computed: dict[str, int] = {}

    def get(self, kind: str, path: str, text: str, compute: Callable[[], T]) -> T:
        """The value ``compute()`` gave for the same ``(kind, path, text)`` in this run, else compute
        it now.  An :class:`Exception` from ``compute`` (a parse error) is remembered too, and raised
        again on every later call: a text the grammar rejects is parsed once per run as well."""
        key = (kind, path, text)
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            self._newest[kind] = key
            return cast(T, _answer(hit[0]))
        self.computed[kind] = self.computed.get(kind, 0) + 1
        value: Any
        try:
            value = compute()
        except Exception as exc:  # noqa: BLE001 - remembered and raised again below
            value = _Raised(exc)
        cost = len(text) + 1
        self._entries[key] = (value, cost)
        self._newest[kind] = key
        self.size += cost
        if self.size > self.limit:
            self._shrink()
        return cast(T, _answer(value))

    def _shrink(self) -> None:
        """Drop the least recently used entries until the memo is within its limit, but each kind's
        newest; from the oldest end only (a list of every entry at each call made a run past the
        limit quadratic: 0.3 s of a check of 800 copies of the fixture)."""
        kept = set(self._newest.values())
        skipped: list[tuple[tuple[str, str, str], tuple[Any, int]]] = []
        while self.size > self.limit and self._entries:
            key, entry = self._entries.popitem(last=False)  # the oldest
            if key in kept:
                skipped.append((key, entry))
            else:
                self.size -= entry[1]
        for key, entry in reversed(skipped):  # back where they were, the oldest end
            self._entries[key] = entry
            self._entries.move_to_end(key, last=False)

    def clear(self) -> None:
        """Drop every entry (the run is over: its parses are not needed any more)."""
        self._entries.clear()
        self._newest.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._entries)


class _Raised:
    """An exception a computation raised, kept in place of its value."""

    __slots__ = ("exc",)

    def __init__(self, exc: Exception) -> None:
        self.exc = exc


def _answer(value: Any) -> Any:
    if isinstance(value, _Raised):
        raise value.exc.with_traceback(None)
    return value


_CURRENT: list[Memo] = []


def current() -> Memo | None:
    """The memo of the run in progress (in this process or the one it was forked from), else ``None``."""
    return _CURRENT[-1] if _CURRENT else None


@contextmanager
def active(memo: Memo) -> Iterator[Memo]:
    """Make ``memo`` the :func:`current` one while the block runs (the engine, around a run)."""
    _CURRENT.append(memo)
    try:
        yield memo
    finally:
        _CURRENT.remove(memo)


#: The oldest generation's threshold while full collections wait (:func:`young_collections_only`): no
#: run reaches it.
_NEVER = 1 << 30


def full_collections_wait() -> tuple[int, int, int]:
    """Leave Python's cycle collector only its young generations; returns the thresholds it had.

    What a run parses stays alive until the run ends (the memo, the passes' answers, the overlay),
    and a full collection walks all of it.  CPython starts one whenever the objects that outlived the
    young generations come to a quarter of the old ones, so a run over twice the files made two where
    the smaller one made one: on the fixture copied 50 and 100 times, 12 ms and 61 ms of full
    collections, the one part of a compose-heavy check that grew faster than its input.  Young
    collections go on as before: cycles dropped soon after they are made are still freed; those that
    became garbage once old wait (about 1 MiB at 100 copies).  ``seenfix`` calls it for the whole
    process, which ends with its run."""
    old = gc.get_threshold()
    gc.set_threshold(old[0], old[1], _NEVER)
    return old


#: Blocks of :func:`young_collections_only` running now (runs may nest, or run in threads)...
_running = 0
#: ... and the oldest generation's threshold before the first of them.
_oldest_before = 0
_running_lock = threading.Lock()


@contextmanager
def young_collections_only() -> Iterator[None]:
    """:func:`full_collections_wait` while the block runs (the engine, around a run).  Once the last
    of such blocks running at the same time ends, the oldest generation's threshold is what it was
    before the first, unless other code changed it meanwhile (then it is theirs)."""
    global _running, _oldest_before
    with _running_lock:
        if _running == 0:
            _oldest_before = full_collections_wait()[2]
        _running += 1
    try:
        yield
    finally:
        with _running_lock:
            _running -= 1
            young, middle, oldest = gc.get_threshold()
            if _running == 0 and oldest == _NEVER:
                gc.set_threshold(young, middle, _oldest_before)


def cached(kind: str, path: str, text: str, compute: Callable[[], T]) -> T:
    """``compute()`` through the current run's memo, or plainly when no run is in progress."""
    memo = current()
    return compute() if memo is None else memo.get(kind, path, text, compute)
