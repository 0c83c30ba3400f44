"""Reading the target's files: which files there are, their encoding, BOM and mode.

In a git repository the files are the tracked ones plus the untracked ones that are not ignored
(``git ls-files --cached --others --exclude-standard``); elsewhere every file below the root except
well-known tool folders.  Symlinks are never followed out of the root.  Binary or undecodable files
are skipped with a warning when a fixer asks for them.

Git is asked through the ``git`` command directly (one ``ls-files`` call), not GitPython, so that
``seenfix check`` starts instantly; GitPython is used where commits are built (``seenfix.gitops``).
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from seenfix.core.git import git

#: Folders never read outside git (inside git, .gitignore decides).
DEFAULT_EXCLUDED_DIRS = frozenset(
    {".git", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache",
     ".ruff_cache", ".tox", "dist", "build", ".next", ".svelte-kit", "coverage"}
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


_TEMP_NAME = re.compile(r"(^|/)\.[^/]+\.\d+\.seenfix-tmp$")


@dataclass(frozen=True)
class Encoded:
    """How a file is stored, so that it can be written back the same way."""

    encoding: str
    bom: bytes
    mode: int
    mtime_ns: int = 0  # when it was read (0: unknown), to tell that it changed before it is replaced


class Undecodable(Exception):
    pass


def decode(data: bytes) -> tuple[str, Encoded]:
    """Decode file bytes, keeping the BOM and encoding.  Raises :class:`Undecodable`."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), Encoded(enc, bom, 0o644)
            except UnicodeDecodeError as exc:
                raise Undecodable(f"not valid {enc}") from exc
    if b"\0" in data[:8192]:
        raise Undecodable("binary file")
    try:
        return data.decode("utf-8"), Encoded("utf-8", b"", 0o644)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Undecodable(f"not valid UTF-8 (line {line})") from exc


def encode(text: str, how: Encoded) -> bytes:
    return how.bom + text.encode(how.encoding)


class Workspace:
    """The files of the target directory as they are on disk (read-only)."""

    def __init__(self, root: Path, exclude: tuple[str, ...] = ()) -> None:
        self.root = root.resolve()
        self._root_str = str(self.root)
        self._real_root = os.path.realpath(self.root)
        self.exclude = exclude
        self.warnings: list[str] = []
        self._ignored_cache: dict[str, bool] = {}
        self._real_dirs: dict[str, str] = {}
        self.git_top: Path | None = self._find_git_top()
        self._tracked: frozenset[str] = frozenset()
        #: temporary files of interrupted writes (``.NAME.PID.seenfix-tmp``): never read, removed by
        #: the next write (:func:`seenfix.engine.write.remove_leftovers`)
        self.leftovers: list[str] = []
        self.files: list[str] = self._list_files()

    # -- git ----------------------------------------------------------------------------------
    def _find_git_top(self) -> Path | None:
        if not os.environ.get("GIT_DIR") and not any(
                os.path.lexists(os.path.join(d, ".git")) for d in (self.root, *self.root.parents)):
            return None  # no repository around it: no need to ask git (a process, and its import)
        try:
            proc = git(self.root, "rev-parse", "--show-toplevel", check=False)
        except OSError:
            return None
        if proc.returncode != 0:
            return None
        return Path(proc.stdout.decode().strip()).resolve()

    @property
    def is_git(self) -> bool:
        return self.git_top is not None

    def _list_files(self) -> list[str]:
        if self.git_top is not None:
            tracked = git(self.root, "ls-files", "-z", "--cached").stdout.decode("utf-8", "surrogateescape")
            listed = git(self.root, "ls-files", "-z", "--others", "--exclude-standard")
            others = listed.stdout.decode("utf-8", "surrogateescape")
            for line in listed.stderr.decode("utf-8", "replace").splitlines():
                # "warning: could not open directory 'deploy/': Permission denied"
                m = re.match(r"warning: could not open directory '(.*?)/?': (.*)$", line)
                if m:
                    self.warnings.append(f"{m.group(1)}: skipped, {m.group(2)}")
            self._tracked = frozenset(p for p in tracked.split("\0") if p)
            names = set(self._tracked) | {p for p in others.split("\0") if p}
            candidates: list[tuple[str, bool | None]] = [(rel, None) for rel in sorted(names)]
        else:
            candidates = [(rel, link) for rel, link in sorted(self._walk())]
        from seenfix.core import runcache

        runcache.note_listing(self._root_str, (rel for rel, _ in candidates))  # listed only when recording
        out = []
        for rel, link in candidates:
            if self.exclude and self._excluded(rel):
                continue
            if rel.endswith(".seenfix-tmp") and _TEMP_NAME.search(rel):
                self.leftovers.append(rel)
                continue
            full = os.path.join(self._root_str, rel)
            if link is None:  # listed by git: look at what is there now
                try:
                    mode = os.lstat(full).st_mode
                except OSError:
                    continue  # deleted in the working tree
                link = stat.S_ISLNK(mode)
                if not link and not stat.S_ISREG(mode):
                    continue  # a submodule
            if link:
                target = os.path.realpath(full)
                if not (target == self._real_root or target.startswith(self._real_root + os.sep)):
                    self.warnings.append(f"{rel}: skipped, a symlink pointing outside the project")
                # a symlink inside the root is read through its target, which is listed itself
                continue
            out.append(rel)
        return out

    def _walk(self) -> list[tuple[str, bool]]:
        """``(relative path, is a symlink)`` of every file below the root, outside excluded folders;
        the directory entries' types say what each is, without a ``stat`` per file."""
        found: list[tuple[str, bool]] = []
        todo = [""]
        while todo:
            prefix = todo.pop()
            try:
                entries = list(os.scandir(os.path.join(self._root_str, prefix) if prefix else self._root_str))
            except OSError as exc:  # a folder seenfix cannot list is said, as a file it cannot read is
                self.warnings.append(f"{prefix.rstrip('/') or '.'}: skipped, {exc.strerror or exc}")
                continue
            for entry in entries:
                rel = prefix + entry.name
                try:
                    if entry.is_symlink():
                        if not entry.is_dir():  # a symlinked folder is not followed (as os.walk)
                            found.append((rel, True))
                    elif entry.is_dir(follow_symlinks=False):
                        if entry.name not in DEFAULT_EXCLUDED_DIRS:
                            todo.append(rel + "/")
                    elif entry.is_file(follow_symlinks=False):
                        found.append((rel, False))
                except OSError:
                    continue
        return found

    def _excluded(self, rel: str) -> bool:
        from fnmatch import fnmatch

        return any(fnmatch(rel, pat) or rel.startswith(pat.rstrip("/") + "/") for pat in self.exclude)

    def is_tracked(self, rel: str) -> bool:
        return rel in self._tracked

    def is_ignored(self, rel: str) -> bool:
        """Whether the repository's rules ignore ``rel``.  The rule seenfix itself adds to
        ``.git/info/exclude`` for a secret it writes (``/.env``) does not count: it holds in this working
        tree only, and the ``.gitignore`` that a fix branch carries must still gain its line."""
        if self.git_top is None:
            return False
        if rel not in self._ignored_cache:
            proc = git(self.root, "check-ignore", "-v", "--no-index", "--", rel, check=False)
            rule = proc.stdout.decode("utf-8", "surrogateescape").split("\t", 1)[0]
            source, pattern = rule.partition(":")[0], rule.split(":", 2)[-1]
            own = source.endswith("info/exclude") and pattern.lstrip("/") == rel
            # -v also shows a negation (``!.env``) that matched, with exit status 0
            self._ignored_cache[rel] = bool(source) and not pattern.startswith("!") and not own
        return self._ignored_cache[rel]

    def dirty_files(self) -> set[str]:
        """Files (relative to the root) with uncommitted changes, or untracked and not ignored."""
        if self.git_top is None:
            return set()
        proc = git(self.root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
        out: set[str] = set()
        entries = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
        i = 0
        while i < len(entries):
            entry = entries[i]
            i += 1
            if len(entry) < 4:
                continue
            status, path = entry[:2], entry[3:]
            if status[0] in "RC":
                i += 1  # the source path of a rename follows
            full = (self.git_top / path).resolve()
            try:
                out.add(full.relative_to(self.root).as_posix())
            except ValueError:
                continue
        return out

    # -- reading ------------------------------------------------------------------------------
    @property
    def real_root(self) -> str:
        """``os.path.realpath`` of the root."""
        return self._real_root

    def real_path(self, rel: str) -> str:
        """``os.path.realpath`` of ``rel`` below the root, from its folder's (worked out once per folder)."""
        directory, name = os.path.split(rel)
        if name in ("", ".", ".."):
            return os.path.realpath(os.path.join(self._root_str, rel))
        full = os.path.join(self._real_dir(directory), name)
        return os.path.realpath(full) if os.path.islink(full) else full

    def folder_inside(self, directory: str) -> bool:
        """Whether the folder ``directory`` resolves inside the root."""
        real_dir = self._real_dir(directory)
        return real_dir == self._real_root or real_dir.startswith(self._real_root + os.sep)

    def inside(self, rel: str) -> bool:
        """Whether ``rel`` resolves inside the root (through no symlink that leaves it)."""
        return self._inside_path(rel) is not None

    def resolved_inside(self, rel: str) -> str | None:
        """``rel`` with symlinks resolved, relative to the real root (``/``-separated; ``.`` for the
        root itself), or ``None`` when :meth:`inside` says it is not inside: both answers at once,
        with one ``lstat`` and no ``os.path.relpath`` (the runner asks it of every file a fix changes;
        asked as two questions, it cost 15 µs per file)."""
        full = self._inside_path(rel)
        if full is None:
            return None
        if os.path.basename(rel) in ("", ".", ".."):
            full = os.path.realpath(os.path.join(self._root_str, rel))
        root = self._real_root
        if full == root:
            return "."
        if not full.startswith(root + os.sep):
            return None
        return full[len(root) + 1:].replace(os.sep, "/")

    def _inside_path(self, rel: str) -> str | None:
        """:meth:`inside`'s rule, with the path it found: ``None`` when ``rel``'s folder resolves
        outside the root (even when the name links back inside: writing it would write out there) or
        ``rel`` is a link out of it or to the root itself; else its folder's real path joined with its
        name, resolved when the name is a link."""
        directory, name = os.path.split(rel)
        if not self.folder_inside(directory):
            return None
        full = os.path.join(self._real_dir(directory), name)
        if os.path.islink(full):
            full = os.path.realpath(full)
            if not full.startswith(self._real_root + os.sep):
                return None
        return full

    def _real_dir(self, directory: str) -> str:
        """``os.path.realpath`` of the folder ``directory`` (relative to the root), worked out from
        its parent's (one ``lstat`` per folder, not one per folder and ancestor)."""
        real = self._real_dirs.get(directory)
        if real is None:
            parent, name = os.path.split(directory)
            if not directory:
                real = self._real_root
            elif name in ("", ".", "..") or parent == directory:
                real = os.path.realpath(os.path.join(self._root_str, directory))
            else:
                full = os.path.join(self._real_dir(parent), name)
                real = os.path.realpath(full) if os.path.islink(full) else full
            self._real_dirs[directory] = real
        return real

    def read(self, rel: str) -> tuple[str, Encoded] | None:
        """Text and encoding of a file, or ``None`` (with a warning) when it cannot be read as text."""
        got = self.read_or_why(rel)
        if isinstance(got, str):
            self.warnings.append(got)
            return None
        return got

    def read_or_why(self, rel: str) -> tuple[str, Encoded] | str | None:
        """Like :meth:`read`, but return the warning instead of recording it (for worker processes).

        ``None``: the file does not exist (any more).
        """
        if not self.inside(rel):
            return f"{rel}: skipped, resolves outside the project"
        try:
            data, st = read_regular(os.path.join(self._root_str, rel))
        except FileNotFoundError:
            return None
        except NotRegular as exc:
            return f"{rel}: skipped, {exc}"
        except OSError as exc:
            return f"{rel}: skipped, {exc.strerror}"
        try:
            text, how = decode(data)
        except Undecodable as exc:
            return f"{rel}: skipped, {exc}"
        return text, Encoded(how.encoding, how.bom, stat.S_IMODE(st.st_mode), st.st_mtime_ns)


class NotRegular(OSError):
    """A FIFO, socket or device where a file was expected (never read: reading may block forever)."""


def read_regular(path: str | os.PathLike[str]) -> tuple[bytes, os.stat_result]:
    """The bytes and ``fstat`` of the regular file at ``path`` (symlinks followed).

    Opened without blocking and checked with ``fstat`` before a byte is read, so that a FIFO (whose
    ``open`` and ``read`` wait for a writer) or a device raises :class:`NotRegular` instead of hanging.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a directory" if stat.S_ISDIR(st.st_mode) \
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device" \
                if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file"
            raise NotRegular(f"not a regular file ({kind})" if kind != "not a regular file" else kind)
        # One read of the size fstat gave, plus one byte: a file that does not grow meanwhile is read
        # in one call (an empty read then says it ended).  Not a fixed large buffer: each such read
        # allocates (and, past malloc's mmap threshold, maps and unmaps) the whole buffer, which cost
        # four times the rest of reading a small file.
        chunks = []
        want = st.st_size + 1
        while True:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            want = 1 << 16
        return b"".join(chunks), st
    finally:
        os.close(fd)
