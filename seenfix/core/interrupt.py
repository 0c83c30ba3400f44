"""A SIGINT/SIGTERM that was received, remembered past code that swallows the exit it raised.

``seenfix.__main__`` stops a run on SIGINT/SIGTERM by raising ``SystemExit``.  Python does not always
let that exit through: raised inside a class body's ``__set_name__`` (a library being imported at that
moment) it comes back as a ``RuntimeError``, which the runner takes for one fixer's crash, and the run
would go on to write the other fixers' changes.  So the handler also records the signal here, and the
runner and the write phase ask before going on.
"""

from __future__ import annotations

_received: list[int] = []


def note(signum: int) -> None:
    """Record that ``signum`` arrived (called by the signal handler)."""
    _received.append(signum)


def received() -> bool:
    """Whether a SIGINT/SIGTERM arrived during this run."""
    return bool(_received)


def stop_if_received() -> None:
    """Raise ``SystemExit(128 + signal)`` when a signal that stops the run was received.

    The handler has already printed its one line, so nothing is printed here.
    """
    if _received:
        raise SystemExit(128 + _received[0])
