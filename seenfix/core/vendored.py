"""Vendored, minified and generated files: not the project's own code, never read by a fixer.

As GitHub's linguist decides it: ``.gitattributes`` ``linguist-vendored`` / ``linguist-generated``
(set, or unset with ``-linguist-vendored`` / ``linguist-vendored=false`` to read a file after all),
common vendor folders (``node_modules/``, ``vendor/``, ``bower_components/``, ``third_party/``...),
``*.min.js`` / ``*.min.css`` bundles, and JavaScript or CSS whose lines are minified (a line of
1,000 characters or more among its first ones).  ``exclude`` in the configuration skips more.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable, Iterable

from seenfix.core.pathmatch import Prefiltered

VENDOR_DIRS = Prefiltered(
    r"(^|/)(node_modules|bower_components|jspm_packages|vendor|vendors|third[_-]party|\.yarn|Pods|"
    r"web_modules)/",
    ("node_modules", "bower_components", "jspm_packages", "vendor", "third", ".yarn", "Pods", "web_modules"))
GENERATED_NAMES = Prefiltered(
    r"\.(min|bundle|chunk)\.(js|mjs|cjs|css)$|(^|/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml)$",
    (".min.", ".bundle.", ".chunk.", "package-lock.json", "yarn.lock", "pnpm-lock.yaml"))
#: Files whose first lines are read to recognise minified output.
MINIFIABLE = (".js", ".mjs", ".cjs", ".css")
MINIFIED_LINE = 1000


def _attributes(gitattributes: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(folder, pattern, vendored-or-generated) for every linguist rule, in file order."""
    rules = []
    for path, text in sorted(gitattributes.items()):
        folder = posixpath.dirname(path)
        for line in text.splitlines():
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            for attr in words[1:]:
                name, _, value = attr.lstrip("-!").partition("=")
                if name in ("linguist-vendored", "linguist-generated"):
                    on = not attr.startswith(("-", "!")) and value.lower() not in ("false", "0")
                    rules.append((folder, words[0], on))
    return rules


def _matches(folder: str, pattern: str, path: str) -> bool:
    if folder and not path.startswith(folder + "/"):
        return False
    rel = path[len(folder) + 1:] if folder else path
    pattern = pattern.rstrip("/")
    if "/" not in pattern:  # a name, at any depth (a folder name covers what is inside)
        parts = rel.split("/")
        return any(fnmatch.fnmatchcase(p, pattern) for p in parts)
    pattern = pattern.lstrip("/")
    return fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern + "/*") \
        or (pattern.endswith("/**") and rel.startswith(pattern[:-3] + "/"))


def _minified(text: str) -> bool:
    return any(len(line) >= MINIFIED_LINE for line in text[:20_000].splitlines()[:5])


def skipped(files: Iterable[str], read: Callable[[str], str | None]) -> set[str]:
    """The vendored, minified and generated files among ``files``."""
    names = list(files)
    rules = _attributes({p: read(p) or "" for p in names if posixpath.basename(p) == ".gitattributes"})
    out: set[str] = set()
    for path in names:
        vendored = bool(VENDOR_DIRS.search(path) or GENERATED_NAMES.search(path))
        said = False
        for folder, pattern, on in rules:  # the last matching rule wins, as in git
            if _matches(folder, pattern, path):
                vendored, said = on, True
        if not vendored and not said and path.endswith(MINIFIABLE):
            text = read(path)
            vendored = text is not None and len(text) >= MINIFIED_LINE and _minified(text)
        if vendored:
            out.add(path)
    return out
