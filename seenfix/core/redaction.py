"""Masking secret values in everything seenfix prints or commits (diffs, messages, pull requests)."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: What a secret value is replaced with in every output.
MASK = "********"


def mask_values(text: str, values: Iterable[str]) -> str:
    """``text`` with every one of ``values`` masked where it stands as a value (the longest first, so
    that a value containing a shorter one is masked whole).

    A long value (12 characters or more: every generated secret) is masked wherever it occurs.  A
    short one (a moved password such as ``seen``) only where it is a value: after ``=`` or ``:``
    (quoted or not) up to the end of the value, or as the user or password of a URL
    (``://seen:seen@``), so that a path, a URL or a volume name that contains it as a word
    (``/group/seen/-/merge_requests/3``, ``seen-db-data``) is printed as it is."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        if len(value) >= 12:
            text = value_pattern(value).sub(MASK, text)
        else:
            text = _short_value(value).sub(lambda m: (m.group("url") or m.group("pre")) + MASK, text)
    return text


def _short_value(value: str) -> re.Pattern[str]:
    esc = re.escape(value)
    return re.compile(rf"(?P<url>://){esc}(?=[:@])|(?P<pre>[=:][ \t]*['\"]?){esc}(?=['\"]?(?:[\s#,;}}\])]|$)|@)",
                      re.MULTILINE)


def value_pattern(value: str) -> re.Pattern[str]:
    """Where a secret value shows in a text: anywhere when it is long (12 characters or more), else
    only as a whole word, so that a short moved password such as ``seen`` is not found inside
    ``seenfix`` (the fix branch's leak guard: every occurrence counts there, not only values)."""
    if len(value) >= 12:
        return re.compile(re.escape(value))
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(value)}(?![A-Za-z0-9_])")
