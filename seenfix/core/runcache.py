"""The run cache: a ``seenfix check`` whose inputs are all as they were is answered from its last run.

A check's output is a function of its inputs, so, as ``make`` does for a build, a check that ends
normally (exit 0 or 1) records what it printed (stdout and stderr, byte for byte) and its exit code
together with a trace of every input it used:

- the command line, the working directory, the environment (all of it but the shell's own
  bookkeeping: ``_``, ``OLDPWD``, ``PWD``, ``SHLVL``), whether stdout and stderr are terminals and the
  terminal's width, Python's version and executable, seenfix's version;
- the ``stat`` (type, size, modification and change times, inode, device) of every file the run
  opened and every folder it listed (seen by an audit hook, :func:`sys.addaudithook`), of every file
  the workspace listed and the folders holding them, of a ``.git`` in the root or above it (or its
  absence), and of the source of every module imported (an edited fixer, an installed plugin);
- the output and exit status of every git command it ran (which files git lists, tracks and ignores).

The next ``check`` with the same command line, directory and environment looks each of these up
again (one ``lstat`` per path, and git's commands run again in a repository) and, when every one is
as recorded, prints what was recorded and exits with its code, without importing click or a fixer.
Any difference, or an entry that cannot be read, runs the check in full, which records it afresh.

The racy rule of :class:`seenfix.core.cache.StatIndex` holds: a run is not recorded when any path it
depends on changed less than :data:`RACY_NS` before the run began (a write in the same clock tick
could leave the ``stat`` unchanged), so the run after it is a full one.  Never recorded: runs that
write (``--add-ignore``, ``--write-baseline``), runs that were interrupted or failed (exit 2 and 3:
a full disk, a git error), runs with a plugin's fixers installed (a plugin may read its inputs in
ways the trace does not see: a network call, a C library opening files), and any run with
``SEENFIX_NO_CACHE`` set.  What was printed had its secrets masked already; entries are written
with mode 0600 beside the other caches, and the newest :data:`LIMIT` are kept.

``SEENFIX_CACHE_LOG=FILE`` (not part of the key) appends one line per run to ``FILE`` saying whether
it was answered from the cache and, if not, why: ``hit``, ``miss: <path> changed``, ``recorded``,
``not recorded: <why>``.

Standard library only: the answering side runs before click is imported.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Iterable
from typing import Any

from seenfix import __version__

#: Seconds (in ns) a recorded path must be older than the run's start (StatIndex's racy rule).
RACY_NS = 2_000_000_000
#: Entries kept (the newest; one per command line, directory and environment).
LIMIT = 16
#: Options that make ``check`` write: such runs are neither recorded nor answered.
WRITING = ("--add-ignore", "--write-baseline")
#: Environment variables that say nothing about the run (the shell's bookkeeping, this module's log).
VOLATILE_ENV = frozenset({"_", "OLDPWD", "PWD", "SHLVL", "SEENFIX_CACHE_LOG"})
#: Paths never part of a trace: pseudo file systems (compiled modules are left out too: their source is).
_IGNORED_PREFIXES = ("/proc/", "/dev/", "/sys/")
_FORMAT = 1
_GIT = os.sep + ".git"

Sig = tuple[int, int, int, int, int, int] | None


def _sig(path: str) -> Sig:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if path.endswith(_GIT):  # whether a repository is there, not what git last wrote in it
        return (stat.S_IFMT(st.st_mode), 0, 0, 0, 0, 0)
    return (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _log(line: str) -> None:
    where = os.environ.get("SEENFIX_CACHE_LOG")
    if where:
        try:
            with open(where, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError:
            pass


def applies(argv: list[str]) -> bool:
    """Whether ``argv`` is a run this cache records and answers: ``check`` that writes nothing."""
    if argv[:1] != ["check"] or os.environ.get("SEENFIX_NO_CACHE"):
        return False
    return not any(a == w or a.startswith(w + "=") for a in argv for w in WRITING)


def key(argv: list[str]) -> str:
    """Everything outside the files that the output of ``seenfix ARGV`` depends on, as one text."""
    def tty(stream: Any) -> bool:
        try:
            return bool(stream.isatty())
        except (AttributeError, ValueError):
            return False

    try:
        width = os.get_terminal_size(sys.stdout.fileno()).columns if tty(sys.stdout) else 0
    except (OSError, AttributeError, ValueError):
        width = 0
    env = sorted((k, v) for k, v in os.environ.items() if k not in VOLATILE_ENV)
    parts = [f"seenfix {__version__} run cache {_FORMAT}", sys.version, sys.executable, os.getcwd(),
             repr(argv), repr(env), f"tty {tty(sys.stdout)} {tty(sys.stderr)} {width}",
             f"encoding {getattr(sys.stdout, 'encoding', '')} {getattr(sys.stderr, 'encoding', '')}"]
    return "\n".join(parts)


def _entry_path(text: str) -> str:
    from _blake2 import blake2b  # hashlib's OpenSSL import costs more than the rest of this answer

    from seenfix.core.cache import location

    return os.path.join(location(), "runs", blake2b(text.encode("utf-8", "surrogateescape"),
                                                     digest_size=16).hexdigest())


# -- answering ------------------------------------------------------------------------------------
def answer(argv: list[str]) -> int | None:
    """Print the recorded output of ``seenfix ARGV`` and return its exit code when every input is as
    recorded; ``None`` (nothing printed) otherwise."""
    if not applies(argv):
        return None
    try:
        text = key(argv)
    except OSError:  # the working directory is gone: the full path says so
        return None
    try:
        with open(_entry_path(text), "rb") as fh:
            import marshal

            entry = marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        _log("miss: no entry")
        return None
    try:
        recorded_key, sigs, gits, out, err, code = entry
    except (TypeError, ValueError):
        _log("miss: unreadable entry")
        return None
    if recorded_key != text:
        _log("miss: another run's entry")
        return None
    for path, sig in sigs:
        if _sig(path) != sig:
            _log(f"miss: {path} changed")
            return None
    if gits:
        import subprocess

        for cmd, rc, stdout, stderr in gits:
            try:
                proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
            except OSError:
                _log("miss: git did not run")
                return None
            if (proc.returncode, proc.stdout, proc.stderr) != (rc, stdout, stderr):
                _log(f"miss: git {' '.join(cmd[3:])} answers otherwise")
                return None
    _log("hit")
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(out)
        sys.stdout.buffer.flush()
        sys.stderr.flush()
        sys.stderr.buffer.write(err)
        sys.stderr.buffer.flush()
    except BrokenPipeError:  # ``seenfix check | head``: the reader left, as for the full path
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return int(code)


# -- recording ------------------------------------------------------------------------------------
class _Tee:
    """A binary stream writing to ``dest`` and keeping a copy of what went through."""

    def __init__(self, dest: Any, copy: bytearray) -> None:
        self._dest = dest
        self._copy = copy

    def write(self, data: Any) -> int:
        n = self._dest.write(data)
        self._copy.extend(data)
        return len(data) if n is None else n

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, closed, writable...
        return getattr(self._dest, name)


class Recorder:
    """The trace of one ``check`` run (see the module's documentation)."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.key = key(argv)
        self.started = time.time_ns()
        self.paths: set[str] = set()
        self.listings: list[tuple[str, list[str]]] = []
        self.gits: list[tuple[list[str], int, bytes, bytes]] = []
        self.out = bytearray()
        self.err = bytearray()
        self.active = True

    def capture(self) -> None:
        """Route stdout and stderr through copies (text and bytes written alike)."""
        import io

        for name, copy in (("stdout", self.out), ("stderr", self.err)):
            stream = getattr(sys, name)
            stream.flush()
            wrapped = io.TextIOWrapper(_Tee(stream.buffer, copy), encoding=stream.encoding,
                                       errors=stream.errors, line_buffering=stream.line_buffering,
                                       write_through=True)
            setattr(sys, name, wrapped)

    def entry(self, code: object) -> bytes | None:
        """The entry to store for a run that ended with ``code``; ``None`` when it must not be."""
        self.active = False
        if code is None:
            code = 0
        if code not in (0, 1):
            return self._not(f"exit {code}")
        from seenfix.core import interrupt

        if interrupt.received():
            return self._not("interrupted")
        from seenfix.core.entrypoints import entry_points

        if not all(ep.value.startswith("seenfix.fixers.") for ep in entry_points()):
            return self._not("a plugin fixer is installed (it may read what the trace does not see)")
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            return self._not("output failed")
        from seenfix.core.cache import location

        caches = {os.path.abspath(location()), os.path.realpath(location())}  # the run writes there
        paths = {p for p in self.paths
                 if not any(p == c or p.startswith(c + os.sep) for c in caches)
                 and "__pycache__" not in p and not p.startswith(_IGNORED_PREFIXES)}
        for root, rels in self.listings:
            folders = {""}
            for rel in rels:
                paths.add(os.path.join(root, rel))
                head = rel.rpartition("/")[0]
                while head not in folders:  # a file added to a folder changes the folder's stat
                    folders.add(head)
                    head = head.rpartition("/")[0]
            paths.update(os.path.join(root, f) if f else root for f in folders)
            d = root
            while True:  # a repository made around the root later changes what is listed
                paths.add(os.path.join(d, ".git"))
                parent = os.path.dirname(d)
                if parent == d:
                    break
                d = parent
        for module in list(sys.modules.values()):
            source = getattr(module, "__file__", None)
            if isinstance(source, str):
                paths.add(os.path.abspath(source))
        sigs = []
        newest = self.started - RACY_NS
        for path in sorted(paths):
            sig = _sig(path)
            if sig is not None and max(sig[2], sig[3]) > newest:
                return self._not(f"{path} changed in the last {RACY_NS // 10**9} s")
            sigs.append((path, sig))
        import marshal

        _log("recorded")
        return marshal.dumps((self.key, sigs, self.gits, bytes(self.out), bytes(self.err), int(code)))

    def where(self) -> str:
        return _entry_path(self.key)

    @staticmethod
    def _not(why: str) -> None:
        _log(f"not recorded: {why}")
        return None


_recorder: Recorder | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    recorder = _recorder
    if recorder is None or not recorder.active:
        return
    if event == "open" or event in ("os.listdir", "os.scandir"):
        path = args[0] if args else None
        if path is None and event != "open":
            path = "."
        if isinstance(path, (str, bytes)):
            try:
                recorder.paths.add(os.path.abspath(os.fsdecode(path)))
            except (TypeError, ValueError, OSError):
                pass


def start(argv: list[str]) -> Recorder | None:
    """Begin recording this run (stdout and stderr captured, file accesses traced)."""
    global _recorder
    try:
        _recorder = Recorder(argv)
    except OSError:  # no working directory
        return None
    sys.addaudithook(_audit)
    _recorder.capture()
    return _recorder


def recording() -> bool:
    return _recorder is not None and _recorder.active


def note_git(cmd: list[str], returncode: int, stdout: bytes, stderr: bytes) -> None:
    """A git command the run ran and what it answered (run again by the next run's look-up)."""
    if _recorder is not None and _recorder.active:
        _recorder.gits.append((list(cmd), returncode, stdout, stderr))


def note_listing(root: str, rels: Iterable[str]) -> None:
    """The files a workspace listed under ``root`` (each is looked up by the next run)."""
    if _recorder is not None and _recorder.active:
        _recorder.listings.append((root, list(rels)))
