"""Path patterns with a cheap first look: the words one of which every path they match holds.

Most of seenfix's path patterns start with ``(^|/)`` (a folder or file name anywhere in the path), so
a regular expression search tries them at every position of every path: a few microseconds each, for
every file of the project and several patterns.  Most paths hold none of the words such a pattern
needs (``compose``, ``.env``, ``test``...), and a substring test says so in a fraction of that.
"""

from __future__ import annotations

import re


class Prefiltered:
    """A compiled pattern and ``needles``: every string the pattern matches holds one of them (the
    caller's promise, read off the pattern's alternatives; ``tests/test_pathmatch.py`` checks it
    against real paths and one written example of each alternative).  ``search`` answers as the
    pattern's own ``search`` does."""

    __slots__ = ("regex", "needles")

    def __init__(self, pattern: str, needles: tuple[str, ...]) -> None:
        self.regex = re.compile(pattern)
        self.needles = needles

    def search(self, path: str) -> re.Match[str] | None:
        for needle in self.needles:
            if needle in path:
                return self.regex.search(path)
        return None
