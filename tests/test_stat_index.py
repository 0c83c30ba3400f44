"""A warm run does not read the files whose ``stat`` says they are unchanged (seenfix.core.cache.StatIndex),
and reads every changed one: a write keeping the size and the modification time included."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import run_cli
from seenfix.core.cache import StatIndex
from seenfix.core.config import Config
from seenfix.core.workspace import Workspace
from seenfix.engine.run import run
from seenfix.fixers.single_point_of_failure import SinglePointOfFailure
from seenfix.fixers.todo_comments import TodoComments
from seenfix.fixers.unused_typescript_import import UnusedTypescriptImport

REPO = Path(__file__).resolve().parents[1]
CLEAN = 'import { a } from "x";\nexport const y = a;\n'
DIRTY = 'import { a, b } from "x";\nexport const y = a;\n'  # the same size as DIRTY2
DIRTY2 = 'import { a, c } from "x";\nexport const y = a;\n'
FIXERS = [UnusedTypescriptImport, TodoComments]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Every file read from disk (one process: ``SEENFIX_JOBS=1``), cache in ``tmp_path``."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("SEENFIX_JOBS", "1")
    monkeypatch.delenv("SEENFIX_NO_CACHE", raising=False)
    log: list[str] = []
    real = Workspace.read_or_why

    def spy(self: Workspace, rel: str) -> object:
        log.append(rel)
        return real(self, rel)

    monkeypatch.setattr(Workspace, "read_or_why", spy)
    return log


def _tree(root: Path) -> Path:
    root.mkdir()
    for i in range(20):
        (root / f"c{i:02d}.ts").write_text(CLEAN)
    (root / "dirty.ts").write_text(DIRTY)
    (root / "todo.py").write_text("x = 1  # TODO: finish\n")
    return root


def _check(root: Path) -> list[str]:
    result = run(root, FIXERS, Config(), fix=False)
    return sorted(f"{f.path}:{f.line}: {f.code} {f.message}" for f in result.findings)


def _keep_size_and_mtime(path: Path, text: str) -> None:
    """Rewrite ``path`` with ``text`` (the same length) and set its modification time back."""
    st = path.stat()
    assert len(text.encode()) == st.st_size
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns and path.stat().st_size == st.st_size


def test_unchanged_files_are_not_read_again_and_a_changed_one_is(tmp_path: Path, reads: list[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """As if every file had been written long before the runs (the racy rule is the next test's)."""
    monkeypatch.setattr(StatIndex, "RACY_NS", 0)
    root = _tree(tmp_path / "app")
    first = _check(root)
    assert any("`b` is imported" in f for f in first) and any("TODO comment: finish" in f for f in first)
    assert set(reads) == {p.name for p in root.iterdir()}
    reads.clear()
    assert _check(root) == first
    assert reads == []  # every answer from the cache, no file read
    time.sleep(0.05)  # past the clock tick of the first run's writes
    _keep_size_and_mtime(root / "dirty.ts", DIRTY2)  # only the change time tells
    third = _check(root)
    assert set(reads) == {"dirty.ts"}
    assert any("`c` is imported" in f for f in third) and not any("`b` is imported" in f for f in third)


def test_a_file_written_just_before_a_run_is_read_by_the_next_run_too(tmp_path: Path, reads: list[str]) -> None:
    """The racy rule: a file whose change time is within ``RACY_NS`` of the run's start is not
    recorded, so that a write in the same clock tick as the recorded ``stat`` cannot go unseen."""
    root = _tree(tmp_path / "app")
    _check(root)  # the files are a few milliseconds old
    index = StatIndex(str(root))
    assert index.known == {}
    reads.clear()
    _keep_size_and_mtime(root / "dirty.ts", DIRTY2)  # at once: the same second, maybe the same tick
    assert any("`c` is imported" in f for f in _check(root))
    assert set(reads) == {p.name for p in root.iterdir()}  # nothing trusted yet


def test_files_with_suppression_comments_are_always_read(tmp_path: Path, reads: list[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A suppression comment must be seen by the engine (and an unused one reported): files that
    hold ``seenfix`` are never answered from the index."""
    monkeypatch.setattr(StatIndex, "RACY_NS", 0)
    root = _tree(tmp_path / "app")
    (root / "kept.py").write_text("# seenfix: ignore[SF010]\nx = 1  # TODO: later\n")
    (root / "idle.ts").write_text('// seenfix-ignore SF010\nexport const y = 1;\n')
    fixers = [*FIXERS, SinglePointOfFailure]  # a fixer without file passes: the texts read come back
    first = run(root, fixers, Config(), fix=False)
    reads.clear()
    second = run(root, fixers, Config(), fix=False)
    assert set(reads) == {"idle.ts", "kept.py"}
    for result in (first, second):
        assert [f.path for f in result.suppressed] == ["kept.py"]
        assert not any(f.path == "kept.py" for f in result.findings)
        assert result.final is not None
        unused = result.suppressor.unused(result.final, {"SF010"}, every_code=False)
        assert [u.path for u in unused] == ["idle.ts"]


def test_index_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SEENFIX_NO_CACHE", raising=False)
    f = tmp_path / "a.ts"
    f.write_text(CLEAN)
    st = f.stat()
    index = StatIndex(str(tmp_path))
    index.record("a.ts", st, b"D")
    assert index.digest("a.ts", st) is None  # too recent: not recorded
    monkeypatch.setattr(StatIndex, "RACY_NS", 0)
    index.record("a.ts", st, b"D")
    assert index.digest("a.ts", st) == b"D"
    entry = index.dump()
    assert entry is not None
    time.sleep(0.05)
    os.chmod(f, 0o600)  # the change time moves: the entry no longer matches
    assert index.digest("a.ts", f.stat()) is None
    index.record("a.ts", st, None)  # a file that must always be read
    assert "a.ts" not in index.known
    monkeypatch.setenv("SEENFIX_NO_CACHE", "1")
    off = StatIndex(str(tmp_path))
    off.record("a.ts", st, b"D")
    assert off.dump() is None and off.known == {}


def test_warm_cli_check_prints_what_the_cold_one_prints(tmp_path: Path) -> None:
    """The bundled SEEN layout, checked with the cache twice (files older than the racy window, so
    the first run records them and the second trusts the index) and once without it: the same output."""
    root = tmp_path / "seen"
    shutil.copytree(REPO / "fixtures" / "seen", root)
    (root / "frontend" / "src" / "late.ts").write_text('import { z } from "x";\n// TODO: later\n')
    time.sleep(StatIndex.RACY_NS / 1e9 + 0.1)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    cold = run_cli("check", "--format", "json", str(root), env={"SEENFIX_NO_CACHE": "1"})
    first = run_cli("check", "--format", "json", str(root), env=env)
    index_files = list((tmp_path / "cache" / "seenfix").glob("files-*.pickle"))
    assert len(index_files) == 1, index_files
    second = run_cli("check", "--format", "json", str(root), env=env)
    for out in (first, second):
        assert (out.stdout, out.stderr, out.returncode) == (cold.stdout, cold.stderr, cold.returncode)
    assert "late.ts" in cold.stdout
