"""seenfix's own entry-point reader gives importlib.metadata's answer."""

from __future__ import annotations

from importlib.metadata import entry_points as stdlib_entry_points

import pytest

from conftest import BROKEN_PLUGINS, PLUGINS
from seenfix.core.entrypoints import GROUP, entry_points


@pytest.mark.parametrize("extra", [[], [PLUGINS], [PLUGINS, BROKEN_PLUGINS]], ids=["installed", "plugin", "broken"])
def test_same_entry_points_as_importlib_metadata(monkeypatch: pytest.MonkeyPatch, extra: list[object]) -> None:
    for path in extra:
        monkeypatch.syspath_prepend(str(path))
    ours = {(e.name, e.value) for e in entry_points()}
    theirs = {(e.name, e.value) for e in stdlib_entry_points(group=GROUP)}
    assert ours == theirs
    assert len(ours) >= 13 + len(extra)
    packages = {e.name: e.package for e in entry_points()}
    assert packages["SF010"].startswith("seenfix ")
    if extra:
        assert packages["SF901"] == "seenfix-demo 1.0"
