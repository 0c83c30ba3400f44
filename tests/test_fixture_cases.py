"""The fixture-case harness (STYLE.md): before/after directories compared byte for byte.

Each ``tests/fixtures/<slug>/<case>/`` holds ``before/`` and, unless the case must not change,
``after/``.  An optional ``case.toml`` sets ``select`` (default: the fixer owning ``<slug>``),
``unsafe_fixes``, ``set``, ``problems`` (expected input-problem substrings), ``unparsed``
(expected substrings of the files seenfix cannot parse, warnings unless ``--strict``), ``generated``
(files whose ``<generated>`` placeholders stand for fresh secrets) and ``suppressions`` (the case holds
suppression comments, which the engine applies: tests that run a fixer alone leave it out).  An optional ``expected.diff``
is a snapshot of the dry-run diff (``SEENFIX_UPDATE_SNAPSHOTS=1`` rewrites it).

For every case: the fix is applied through the real runner, the tree must equal ``after/`` byte for
byte, every changed file must parse, a second run must change nothing, and generated secret files
must be mode 0600 and never tracked.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from conftest import PLUGINS, init_repo
from seenfix.output import diffing
from seenfix.core.config import load_config
from seenfix.core.registry import load
from seenfix.engine.run import run
from seenfix.engine.write import write
from seenfix.engine.verify import parse_error

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = sorted(p for p in FIXTURES.glob("*/*") if (p / "before").is_dir())


def _tree(root: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".git" or rel.startswith(".git/") or not path.is_file():
            continue
        out[rel] = path.read_bytes()
    return out


def _matches_generated(expected: bytes, actual: bytes) -> bool:
    pattern = "[A-Za-z0-9_-]{32,}".join(re.escape(part) for part in expected.decode().split("<generated>"))
    return re.fullmatch(pattern, actual.decode(), flags=re.DOTALL) is not None


def _run(work: Path, meta: dict[str, Any], slug: str) -> Any:
    reg = load()
    fixer = reg.find(slug)
    select = meta.get("select") or ([fixer.code] if fixer else [])
    if meta.get("set"):
        fixers = [f for f in reg.fixers if meta["set"] in f.info().sets]
    else:
        fixers = [f for f in reg.fixers if f.code in select or f.slug in select]
    assert fixers, f"no fixer for case {slug} (select={select})"
    config = load_config(work, reg)
    return run(work, fixers, config, fix=True, unsafe=bool(meta.get("unsafe_fixes", False)))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PLUGINS))
    meta: dict[str, Any] = {}
    if (case / "case.toml").is_file():
        meta = tomllib.loads((case / "case.toml").read_text())
    work = tmp_path / "repo"
    shutil.copytree(case / "before", work, symlinks=True)
    init_repo(work)

    result = _run(work, meta, case.parent.name)
    assert not result.failures, result.failures
    expected_problems = meta.get("problems", [])
    assert len(result.problems) == len(expected_problems), result.problems
    for want, got in zip(expected_problems, result.problems):
        assert want in got
    expected_unparsed = meta.get("unparsed", [])
    assert len(result.unparsed) == len(expected_unparsed), result.unparsed
    for want, got in zip(expected_unparsed, result.unparsed):
        assert want in got

    diff = diffing.render(result)
    snapshot = case / "expected.diff"
    if os.environ.get("SEENFIX_UPDATE_SNAPSHOTS") and result.changes:
        snapshot.write_bytes(diff.encode())
    if snapshot.is_file():
        assert diff == snapshot.read_bytes().decode()

    write(result)
    expected_dir = case / "after" if (case / "after").is_dir() else case / "before"
    expected, actual = _tree(expected_dir), _tree(work)
    assert sorted(actual) == sorted(expected)
    generated = set(meta.get("generated", []))
    for rel, data in expected.items():
        if rel in generated:
            assert _matches_generated(data, actual[rel]), f"{rel} does not match its template"
            assert stat.S_IMODE((work / rel).stat().st_mode) == 0o600
        else:
            assert actual[rel] == data, f"{rel} differs from after/"

    for rel, change in result.changes.items():
        if change.content is not None:
            assert parse_error(rel, None, change.content) is None, rel
        if change.secret:
            assert change.content is not None
            for value in change.secret_values:
                # a long value nowhere; a short (moved) one never as a value: after = or :, or as a
                # URL's user or password (a path or volume name may contain it as a word)
                v = re.escape(value)
                pattern = v if len(value) >= 12 else \
                    rf"[=:][ \t]*['\"]?{v}(?=['\"]?(?:\s|$|@|[#,;}}\])]))|://{v}[:@]|:{v}@"
                assert not re.search(pattern, diff), f"secret value of {rel} shows in the diff"

    again = _run(work, meta, case.parent.name)
    assert not again.changes, f"second run changes {sorted(again.changes)}"
    assert not again.failures
