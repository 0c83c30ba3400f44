"""Masking secret values in everything seenfix prints or commits (diffs, messages, pull requests)."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: What a secret value is replaced with in every output.
MASK = "********"


def mask_values(text: str, values: Iterable[str]) -> str:
    """``text`` with every one of ``values`` masked where :func:`value_pattern` finds it (the longest
    first, so that a value containing a shorter one is masked whole)."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = value_pattern(value).sub(MASK, text)
    return text


def value_pattern(value: str) -> re.Pattern[str]:
    """Where a secret value shows in a text: anywhere when it is long (12 characters or more), else
    only as a whole word, so that a short moved password such as ``seen`` is not found inside
    ``seenfix``."""
    if len(value) >= 12:
        return re.compile(re.escape(value))
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(value)}(?![A-Za-z0-9_])")
