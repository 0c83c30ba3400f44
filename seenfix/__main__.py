"""``seenfix`` and ``python -m seenfix``: answer from the fast path when possible, else run click."""

from __future__ import annotations

import os
import sys

# Neither ``typing`` nor ``signal`` (whose enums import ``enum``) is imported before the fast path:
# together they cost about half a bare interpreter's start-up, and ``seenfix --help`` needs neither.
TYPE_CHECKING = False  # mypy takes any ``TYPE_CHECKING`` for true
if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.runcache import Recorder

_MAIN_PID = os.getpid()


def _stop(signum: int, _frame: object) -> None:
    """SIGINT/SIGTERM outside the write phase (which defers them, see seenfix.engine.write): nothing is
    half-written, so stop with one line and 128 + the signal's number, as a shell reports it."""
    if os.getpid() != _MAIN_PID:  # a forked worker of seenfix.core.parallel: its parent reports
        os._exit(128 + signum)
    import signal

    from seenfix.core import interrupt

    interrupt.note(signum)  # in case the SystemExit below is swallowed (see seenfix.core.interrupt)
    signal.signal(signum, signal.SIG_DFL)  # a second one stops at once
    sys.stderr.write(f"seenfix: interrupted ({signal.Signals(signum).name}); no file was changed\n")
    sys.exit(128 + signum)


def main() -> None:
    import _signal  # what ``signal.signal`` calls, without the enums around it

    for sig in (_signal.SIGINT, _signal.SIGTERM):
        _signal.signal(sig, _stop)
    from seenfix.cli import fastpath

    argv = sys.argv[1:]
    if fastpath.handled(argv):
        sys.exit(0)
    from seenfix.core import runcache

    recorder = None
    if runcache.applies(argv):  # check: answered from the run cache when nothing it read changed
        code = runcache.answer(argv)
        if code is not None:
            sys.exit(code)
        recorder = runcache.start(argv)
    from seenfix.core.memo import full_collections_wait

    full_collections_wait()  # for the whole process: it ends with its run, which keeps what it parsed
    from seenfix.cli.app import main as cli_main

    try:
        cli_main()
    except SystemExit as exc:
        if recorder is not None:
            _record(recorder, exc.code)
        raise
    if recorder is not None:
        _record(recorder, 0)


def _record(recorder: Recorder, code: object) -> None:
    from seenfix.core.runcache import LIMIT
    from seenfix.engine.write import write_cache

    data = recorder.entry(code)
    if data is not None:
        write_cache(recorder.where(), data, private=True, keep=LIMIT)


if __name__ == "__main__":
    main()
