"""SF009 remembers each file's verdict (by its bytes): clean, its unused imports, or its syntax error;
an unchanged file is not parsed again, whatever the verdict was."""

from __future__ import annotations

from pathlib import Path

import pytest

from seenfix.analysis import unused_imports as ua
from seenfix.engine.run import store_cache
from seenfix.fixers.unused_typescript_import import UnusedTypescriptImport
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

CLEAN = 'import { a } from "x";\nexport const y = a;\n'
DIRTY = 'import { a, b } from "x";\nexport const y = a;\n'


class Calls:
    """The files ``analyse`` was called for, in this process and in forked workers (a log file)."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def paths(self) -> list[str]:
        return sorted(self.log.read_text().split()) if self.log.exists() else []

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Calls:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SEENFIX_NO_CACHE", raising=False)
    calls = Calls(tmp_path / "calls.log")
    real = ua.analyse

    def spy(path: str, text: str, *args: object, **kwargs: object) -> ua.FileResult:
        with open(calls.log, "a") as fh:
            fh.write(path + "\n")
        return real(path, text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ua, "analyse", spy)
    return calls


def _tree(root: Path, n: int = 60) -> Path:
    root.mkdir()
    for i in range(n):
        (root / f"c{i:02d}.ts").write_text(CLEAN)
    (root / "dirty.ts").write_text(DIRTY)
    (root / "broken.tsx").write_text("export const x = <div>;\n")
    return root


def _messages(root: Path, **options: object) -> list[str]:
    """One check as a run does it: the fixer checks, then the engine stores what it asked to cache."""
    project = Project(Workspace(root))
    fixer = UnusedTypescriptImport(options)
    found = [f"{f.path}:{f.line}: {f.message}" for f in fixer.check(project)]
    store_cache(fixer)
    return found + [f"{p.path}:{p.line}: {p.message}" for p in project.problems]


def test_second_run_parses_nothing_unchanged(tmp_path: Path, counted: Calls) -> None:
    root = _tree(tmp_path / "web")
    first = _messages(root)
    assert len(counted.paths()) == 62  # in worker processes too (forked with the spy)
    counted.clear()
    assert _messages(root) == first  # the same findings and the same syntax error, from the cache
    assert counted.paths() == []
    assert any("`b` is imported" in m for m in first) and any(m.startswith("broken.tsx:1") for m in first)


def test_a_fix_after_a_cached_check_analyses_only_the_files_it_changes(tmp_path: Path, counted: Calls) -> None:
    root = _tree(tmp_path / "web")
    _messages(root)
    counted.clear()
    project = Project(Workspace(root))
    fixer = UnusedTypescriptImport()
    assert [f.path for f in fixer.check(project)] == ["dirty.ts"]
    assert counted.paths() == []
    (change,) = fixer.fix(project)  # the cache keeps verdicts, not texts: the file is analysed again
    assert (change.path, change.content) == ("dirty.ts", CLEAN.replace("{ a }", "{ a }"))
    assert counted.paths() == ["dirty.ts"]


def test_a_changed_file_is_analysed_again(tmp_path: Path, counted: Calls) -> None:
    root = _tree(tmp_path / "web")
    _messages(root)
    (root / "c07.ts").write_text(DIRTY.replace("b", "c"))
    (root / "c08.ts").write_text(DIRTY)  # the bytes of dirty.ts: known already, at another path
    counted.clear()
    found = _messages(root)
    assert counted.paths() == ["c07.ts"]
    assert 'c07.ts:1: `c` is imported from "x" but never used' in found
    assert 'c08.ts:1: `b` is imported from "x" but never used' in found


def test_same_bytes_in_a_tsx_file_or_with_other_options_are_not_taken_from_the_cache(
        tmp_path: Path, counted: Calls) -> None:
    root = _tree(tmp_path / "web", n=3)
    (root / "react.tsx").write_text('import React from "react";\nexport const x = 1;\n')
    _messages(root)
    (root / "react.ts").write_text('import React from "react";\nexport const x = 1;\n')
    counted.clear()
    found = _messages(root)
    assert "react.ts" in counted.paths()  # React is kept in .tsx only: the kind is part of the digest
    assert 'react.ts:1: `React` is imported from "react" but never used' in found
    counted.clear()
    _messages(root, keep=["x"])
    assert len(counted.paths()) == 7  # other options: nothing is known


def test_no_cache_and_a_damaged_cache_file(tmp_path: Path, counted: Calls,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "web", n=3)
    monkeypatch.setenv("SEENFIX_NO_CACHE", "1")
    from seenfix.core.cache import ResultCache

    digests: list[str] = []
    real_digest = ResultCache.digest
    monkeypatch.setattr(ResultCache, "digest", classmethod(lambda cls, path, text: digests.append(path)
                                                           or real_digest(path, text)))
    _messages(root)
    assert not (tmp_path / "cache").exists()
    assert digests == []  # with the cache off no file's digest is worked out
    monkeypatch.setattr(ResultCache, "digest", real_digest)
    monkeypatch.delenv("SEENFIX_NO_CACHE")
    first = _messages(root)
    (cached,) = (tmp_path / "cache" / "seenfix").glob("SF009-results-*.pickle")
    cached.write_bytes(cached.read_bytes()[:-1])  # damaged
    counted.clear()
    assert _messages(root) == first
    assert len(counted.paths()) == 5


def test_the_fixer_never_writes_the_cache_itself(tmp_path: Path, counted: Calls) -> None:
    """Only the engine writes: a fixer's check leaves the cache folder untouched and hands over
    what to store (``cache_writes``)."""
    root = _tree(tmp_path / "web")
    fixer = UnusedTypescriptImport()
    fixer.check(Project(Workspace(root)))
    cache = tmp_path / "cache"
    assert not cache.exists() or not any(cache.rglob("*"))
    writes = fixer.cache_writes()
    assert len(writes) == 1 and writes[0][0].startswith(str(cache))
    import pickle

    # the 60 clean files hold one text: one entry; the dirty and the broken file one each
    assert len(pickle.loads(writes[0][1])) == 3
