"""Which files the workspace lists, in and out of git, and how they are read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import init_repo
from seenfix.core.workspace import DEFAULT_EXCLUDED_DIRS, Workspace


def _reference_listing(root: Path) -> tuple[list[str], list[str]]:
    """What os.walk plus a stat per file gives (the listing as first written)."""
    files, warnings = [], []
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in DEFAULT_EXCLUDED_DIRS]
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                target = os.path.realpath(full)
                if not (target == real_root or target.startswith(real_root + os.sep)):
                    warnings.append(f"{rel}: skipped, a symlink pointing outside the project")
                continue
            if full.is_file():
                files.append(rel)
    return sorted(files), sorted(warnings)


def _tree(root: Path, outside: Path) -> None:
    for rel in ("a.txt", "src/b.ts", "src/deep/c.tsx", "node_modules/x/i.ts", "dist/o.js", "src/.hidden",
                "docs/é.md"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (outside / "secret.txt").write_text("no")
    (root / "inside-link.txt").symlink_to(root / "a.txt")
    (root / "outside-link.txt").symlink_to(outside / "secret.txt")
    (root / "dir-link").symlink_to(root / "src", target_is_directory=True)
    (root / "broken-link").symlink_to(outside / "missing")
    (root / "empty-dir").mkdir()


def test_walk_lists_what_os_walk_lists(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    _tree(root, outside)
    ws = Workspace(root)
    files, warnings = _reference_listing(root)
    assert ws.files == files
    assert sorted(ws.warnings) == warnings
    assert "src/deep/c.tsx" in ws.files and "node_modules/x/i.ts" not in ws.files
    assert "outside-link.txt: skipped, a symlink pointing outside the project" in ws.warnings


def test_git_listing_skips_symlinks_and_deleted_files(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    _tree(root, outside)
    init_repo(root)
    (root / "a.txt").unlink()  # deleted in the working tree, still tracked
    ws = Workspace(root)
    assert "a.txt" not in ws.files and "inside-link.txt" not in ws.files and "dir-link" not in ws.files
    assert "src/deep/c.tsx" in ws.files and "docs/é.md" in ws.files
    assert "outside-link.txt: skipped, a symlink pointing outside the project" in ws.warnings


def test_real_paths_are_the_ones_os_path_realpath_gives(tmp_path: Path) -> None:
    """``real_path`` and ``inside`` work folders out once each (from the parent's real path): the
    answers must be realpath's, through symlinked folders and files, inside and out."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.txt").write_text("x")
    os.symlink(tmp_path / "a" / "b", tmp_path / "lnk")
    os.symlink(tmp_path / "a" / "b" / "f.txt", tmp_path / "a" / "fl")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    os.symlink(outside, tmp_path / "out")
    ws = Workspace(tmp_path)
    for rel in ("a/b/f.txt", "lnk/f.txt", "a/fl", "lnk/new.txt", "new/dir/x", "out/x", "a/./b/f.txt",
                "a//b/f.txt", "lnk", "a/b/../fl"):
        assert ws.real_path(rel) == os.path.realpath(tmp_path / rel), rel
    assert ws.inside("lnk/f.txt") and ws.inside("a/fl") and ws.inside("new/dir/x")
    assert not ws.inside("out/x") and not ws.folder_inside("out")


def test_resolved_inside_answers_inside_and_real_path_at_once(tmp_path: Path) -> None:
    """``resolved_inside`` (what the runner asks of every file a fix changes) gives ``inside``'s
    verdict and ``real_path`` relative to the real root: through symlinked folders and files, for a
    root that is itself reached through a symlink, and ``None`` for a name in a folder that resolves
    outside, even when the name links back inside."""
    real = tmp_path / "real"
    (real / "a" / "b").mkdir(parents=True)
    (real / "a" / "b" / "f.txt").write_text("x")
    os.symlink(real / "a" / "b", real / "lnk")
    os.symlink(real / "a" / "b" / "f.txt", real / "a" / "fl")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, real / "out")
    os.symlink(real / "a" / "b" / "f.txt", outside / "back")
    os.symlink(outside / "x", real / "a" / "away")
    os.symlink(real, real / "a" / "up")  # links to the root itself
    os.symlink("..", real / "a" / "dotdot")
    os.symlink(".", real / "self")
    os.symlink(real, tmp_path / "root-link")
    ws = Workspace(tmp_path / "root-link")
    cases = ("a/b/f.txt", "lnk/f.txt", "a/fl", "lnk/new.txt", "new/dir/x", "out/x", "out/back", "a/away",
             "a/./b/f.txt", "a//b/f.txt", "lnk", "a/b/../fl", ".", "a/.", "a/up", "a/dotdot", "self",
             "a/up/a/b/f.txt", "a/b/")
    for rel in cases:
        expected = os.path.relpath(ws.real_path(rel), ws.real_root).replace(os.sep, "/") if ws.inside(rel) else None
        assert ws.resolved_inside(rel) == expected, rel
    assert ws.resolved_inside("lnk/f.txt") == "a/b/f.txt" and ws.resolved_inside(".") == "."
    assert ws.resolved_inside("out/back") is None and ws.resolved_inside("a/away") is None
    assert ws.resolved_inside("self") is None and ws.resolved_inside("a/up") is None


def test_a_file_is_read_whole_whatever_its_stat_says(tmp_path: Path) -> None:
    """``read_regular`` asks for the size ``fstat`` gives, plus a byte, then reads on to the end: a
    file larger than one later read, and a file whose ``fstat`` size is 0 although it holds bytes
    (the kernel's ``/proc`` files), come back whole."""
    from seenfix.core.workspace import read_regular

    big = tmp_path / "big.ts"
    data = bytes(range(256)) * 1300  # 332,800 bytes: more than five reads past the first
    big.write_bytes(data)
    assert read_regular(big)[0] == data
    empty = tmp_path / "empty.ts"
    empty.write_bytes(b"")
    assert read_regular(empty)[0] == b""
    version = Path("/proc/version")
    if version.is_file():  # Linux
        assert os.stat(version).st_size == 0
        got = read_regular(version)[0]
        assert got == version.read_bytes() and len(got) > 1


def test_under_roots_answers_for_more_folders_than_a_bounded_cache_held() -> None:
    """``under_roots`` remembers each folder's answer per set of roots, for as many folders as there
    are (an ``lru_cache`` of 4,096 answers worked every folder out again on each pass over a project
    with more): the answers are those of checking every parent folder, on 6,000 folders and two sets
    of roots asked in turn, three times over."""
    import posixpath

    from seenfix.core.project import root_folders, under_roots

    paths = [f"web/pkg{i // 100}/mod{i}/index.ts" for i in range(6000)] + ["api/app.py", "web/x.ts", "top.ts"]
    sets = [root_folders(["web/pkg7", "web/pkg33/", "api"]), root_folders(["web"])]

    def naive(path: str, folders: frozenset[str]) -> bool:
        parts = posixpath.dirname(path).split("/")
        return any("/".join(parts[:n]) in folders for n in range(1, len(parts) + 1))

    for _ in range(3):
        for folders in sets:
            assert [under_roots(p, folders) for p in paths] == [naive(p, folders) for p in paths]
    assert sum(under_roots(p, sets[0]) for p in paths) == 100 + 100 + 1
    assert under_roots("anything/at/all.ts", root_folders(["."])) and not under_roots("top.ts", sets[1])
    assert not under_roots("/abs/path.ts", sets[1])  # ends (dirname("/") is "/")


def test_under_roots_keeps_a_bounded_number_of_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long process (library use, a test session) asks about many trees: each set of roots keeps
    at most ``_UNDER_ANSWERS`` answers, then starts afresh, and the answers stay right."""
    from seenfix.core import project as project_mod
    from seenfix.core.project import root_folders, under_roots

    monkeypatch.setattr(project_mod, "_UNDER_ANSWERS", 100)
    roots = root_folders(["keep"])
    for i in range(1000):
        assert under_roots(f"keep/d{i}/f.ts", roots) and not under_roots(f"other/d{i}/f.ts", roots)
        assert len(project_mod._UNDER[roots]) <= 100


def test_parent_folder_is_posixpath_dirname() -> None:
    """``parent_folder`` answers as ``posixpath.dirname`` on every path of the bundled fixture and the
    shared corpus, and on the odd shapes (a root file, doubled and leading slashes)."""
    import posixpath

    from conftest import FIXTURE_SEEN, SHARED
    from seenfix.core.project import parent_folder

    roots = [FIXTURE_SEEN, SHARED / "corpus"]
    paths = [p.relative_to(root).as_posix() for root in roots if root.is_dir() for p in root.rglob("*")]
    odd = ["", "a", "/", "//", "/a", "//a", "a/", "a//", "a//b", "a///b", "/a/b", "a/b/", "./a", "../a", "a/./b"]
    assert len(paths) > 300
    for path in paths + odd:
        assert parent_folder(path) == posixpath.dirname(path), path
