"""Instant answers for the commands people run most often in hooks: ``--help``, ``list`` and
``check`` of a folder that holds no file.

Importing click alone costs several times a bare interpreter's start-up, and loading every plugin
costs more.  So ``seenfix --help`` prints help text that a test keeps identical to click's, and
``seenfix list`` prints a cached answer while the installed fixers are unchanged: the cache key
holds every ``seenfix.fixers`` entry point found in the ``*.dist-info`` folders on ``sys.path`` and
the size and modification time of each fixer module.  Any change there, or ``SEENFIX_NO_CACHE=1``,
means the full path runs (and refreshes the cache).  ``seenfix check`` answers at once, without
click or a fixer class, when nothing could be found: the folder and every folder below it hold no
file (nor symlink), it is outside any git repository, only seenfix's own fixers are installed
(a plugin may report on anything), the options are ones this module knows, and stderr is not a
terminal (where the full path shows progress).  Its output is what the full path prints for no
finding (tests/test_fastpath.py compares both, byte for byte).  Only the standard library is
imported here.
"""

from __future__ import annotations

import os
import sys

from seenfix import __version__

# Kept identical to click's rendering by tests/test_fastpath.py.
HELP = """\
Usage: seenfix [OPTIONS] COMMAND [ARGS]...

  Find and fix the production-readiness problems of a SEEN-style repository.

Options:
  --version   Show the version and exit.
  -h, --help  Show this message and exit.

Commands:
  apply    Fix problems in PATH: write in place, print a diff (--dry-run)...
  check    Report problems in PATH (default: the current directory).
  env      Check env files against the variables the code reads.
  explain  Print a fixer's documentation (by code or slug).
  list     One line per fixer: code, slug, fix availability, sets, summary.
  report   Print the readiness scorecard of PATH: score per category,...
  secret   Print a fresh URL-safe random secret (for a vault or CI secret...
"""

def cache_file() -> str:
    from seenfix.core.cache import location

    return os.path.join(location(), f"list-{__version__}.txt")


def registry_key() -> str:
    parts = [__version__, sys.version]
    from seenfix.core.cache import module_stat
    from seenfix.core.entrypoints import entry_points

    for ep in sorted(entry_points(), key=lambda e: (e.name, e.value)):
        parts.append(f"{ep.name}={ep.value}@{module_stat(ep.value.split(':')[0].strip())}")
    return "\n".join(parts)


def store_list(text: str) -> None:
    """Remember ``seenfix list``'s output for the current set of installed fixers."""
    if os.environ.get("SEENFIX_NO_CACHE"):
        return
    from seenfix.engine.write import write_cache

    write_cache(cache_file(), (registry_key() + "\n\0\n" + text).encode("utf-8"))


def handled(argv: list[str]) -> bool:
    """Answer ``argv`` without click when possible; return whether it was answered."""
    if argv in (["--help"], ["-h"]):
        try:
            width = os.get_terminal_size().columns if sys.stdout.isatty() else 80
        except OSError:
            width = 80
        if width < 80:
            return False  # click would wrap differently
        sys.stdout.write(HELP)
        return True
    if argv == ["--version"]:
        sys.stdout.write(f"seenfix, version {__version__}\n")
        return True
    if argv[:1] == ["check"]:
        return _check_of_nothing(argv[1:])
    if argv == ["list"] and not os.environ.get("SEENFIX_NO_CACHE"):
        try:
            with open(cache_file(), encoding="utf-8") as fh:
                key, _, text = fh.read().partition("\n\0\n")
        except OSError:
            return False
        if key != registry_key():
            return False
        sys.stdout.write(text)
        return True
    return False


#: ``check``'s options the fast path understands: those taking a value (and the values it accepts:
#: SARIF lists the fixers, so it needs them), and flags.  Anything else goes the full path.
_CHECK_VALUES: dict[str, tuple[str, ...]] = {
    "--format": ("text", "json", "github", "gitlab"),
    "--fail-on": ("fixable", "high", "medium", "low"),
    "--set": ("quick-wins", "p0", "p1", "p2", "all"),
}
_CHECK_FLAGS = frozenset({"--exit-zero", "--strict", "--quick-wins", "--unsafe-fixes", "--statistics"})
#: Folders looked into before giving up (a deep tree of empty folders is no common case).
_MAX_DIRS = 64


def _check_of_nothing(args: list[str]) -> bool:
    """``seenfix check ARGS`` answered when the folder holds no file: no finding, exit 0."""
    opts: dict[str, str] = {}
    path: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in _CHECK_VALUES and name.startswith("--"):
            if not eq:
                i += 1
                if i == len(args):
                    return False
                value = args[i]
            if value not in _CHECK_VALUES[name] or name in opts:
                return False
            opts[name] = value
        elif arg in _CHECK_FLAGS:
            if arg in opts:
                return False
            opts[arg] = ""
        elif arg.startswith("-") or path is not None:
            return False  # another option, "--", or a second argument: click says what it means
        else:
            path = arg
        i += 1
    fmt = opts.get("--format", "text")
    if "--statistics" in opts and fmt not in ("text", "json"):
        return False
    try:
        if sys.stderr.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    folder = "." if path is None else path
    if not os.path.isdir(folder) or os.environ.get("GIT_DIR"):
        return False
    root = os.path.realpath(folder)
    if not _holds_no_file(root) or _in_git(root) or not _only_own_fixers():
        return False
    if "--statistics" in opts:
        out = "[]\n" if fmt == "json" else ""
    elif fmt == "json":  # seenfix.output.reporting.as_json of no finding
        import json

        out = json.dumps({"version": 1, "tool": {"name": "seenfix", "version": __version__}, "root": root,
                          "findings": [], "errors": [], "unused_suppressions": []}, indent=2) + "\n"
    elif fmt == "gitlab":
        out = "[]\n"
    else:
        out = ""
    sys.stdout.write(out)
    return True


def _holds_no_file(root: str) -> bool:
    """Whether ``root`` and the folders below it hold nothing but folders (symlinks count as files)."""
    todo = [root]
    seen = 0
    while todo:
        seen += 1
        if seen > _MAX_DIRS:
            return False
        try:
            with os.scandir(todo.pop()) as entries:
                for entry in entries:
                    if not entry.is_dir(follow_symlinks=False):
                        return False
                    todo.append(entry.path)
        except OSError:
            return False
    return True


def _in_git(root: str) -> bool:
    """Whether a ``.git`` is in ``root`` or above it (as :class:`seenfix.core.workspace.Workspace` asks)."""
    d = root
    while True:
        if os.path.lexists(os.path.join(d, ".git")):
            return True
        parent = os.path.dirname(d)
        if parent == d:
            return False
        d = parent


def _only_own_fixers() -> bool:
    """Whether every installed fixer is one of seenfix's own (none of which finds anything without files)."""
    from seenfix.core.entrypoints import entry_points

    eps = entry_points()
    return bool(eps) and all(ep.package.split(" ")[0] == "seenfix" and ep.value.startswith("seenfix.fixers.")
                             for ep in eps)
