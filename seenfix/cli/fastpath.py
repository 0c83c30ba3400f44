"""Instant answers for the commands people run most often in hooks: ``--help`` and ``list``.

Importing click alone costs several times a bare interpreter's start-up, and loading every plugin
costs more.  So ``seenfix --help`` prints help text that a test keeps identical to click's, and
``seenfix list`` prints a cached answer while the installed fixers are unchanged: the cache key
holds every ``seenfix.fixers`` entry point found in the ``*.dist-info`` folders on ``sys.path`` and
the size and modification time of each fixer module.  Any change there, or ``SEENFIX_NO_CACHE=1``,
means the full path runs (and refreshes the cache).  Only the standard library is imported here.
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
