"""The run cache (seenfix.core.runcache): a ``check`` whose inputs are as they were is answered from
its last run, byte for byte; any change to an input is a full run whose output is a fresh one's.

Every tree here is made once, then left alone for longer than the racy window (2 s) before its first
check, as a re-run's files usually are; a test that changes a tree compares the cached run's output
with a ``SEENFIX_NO_CACHE=1`` run of the same tree.
"""

from __future__ import annotations

import marshal
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEN, init_repo, run_cli
from conftest import git as git_cmd
from seenfix.core import runcache

VARIANTS = [
    ["check"],
    ["check", "--format", "json"],
    ["check", "--format", "sarif"],
    ["check", "--format", "github"],
    ["check", "--format=gitlab"],
    ["check", "--statistics"],
    ["check", "--exit-zero", "--fail-on", "low"],
    ["check", "--select", "SF009,SF007"],
    ["check", "--unsafe-fixes"],
]
#: tree name -> git repository or not
TREES = {"plain": False, "repo": True, **{f"plain-{m}": False for m in range(6)},
         **{f"repo-{m}": True for m in range(5)}, "baseline": False, "above": False}


def _make(dest: Path, repo: bool) -> Path:
    shutil.copytree(FIXTURE_SEEN, dest)
    (dest / "backend" / "legacy.py").write_bytes(b"# caf\xe9\nX = 1\n")  # a warning on stderr
    (dest / "frontend" / "src" / "empty" / "deeper").mkdir(parents=True)  # a folder with no file
    if repo:
        init_repo(dest)
    return dest


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runcache")
    made = {}
    for name, repo in TREES.items():
        holder = base / name
        holder.mkdir()
        made[name] = _make(holder / "seen", repo)
    time.sleep(runcache.RACY_NS / 1e9 + 0.2)  # older than the racy window
    return made


def _run(args: list[str], cwd: Path, tmp_path: Path, **env: str):
    log = tmp_path / "cache.log"
    log.unlink(missing_ok=True)
    proc = run_cli(*args, cwd=cwd, env={"SEENFIX_CACHE_LOG": str(log), **env})
    lines = log.read_text().splitlines() if log.exists() else []
    return proc, lines


def _fresh(args: list[str], cwd: Path):
    return run_cli(*args, cwd=cwd, env={"SEENFIX_NO_CACHE": "1"})


def _same(a, b) -> None:
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)


@pytest.mark.parametrize("tree", ["plain", "repo"])
def test_a_rerun_is_answered_with_what_the_full_run_printed(trees: dict[str, Path], tree: str,
                                                           tmp_path: Path) -> None:
    root = trees[tree]
    for args in VARIANTS:
        first, log1 = _run(args, root, tmp_path)
        second, log2 = _run(args, root, tmp_path)
        assert log1[-1] == "recorded", (args, log1)
        assert log2 == ["hit"], (args, log2)
        _same(first, second)
        _same(first, _fresh(args, root))
        assert first.returncode in (0, 1)
    assert "legacy.py" in first.stderr  # the warning is replayed too


def _recorded_then(root: Path, tmp_path: Path, args: list[str] | None = None, **env: str):
    args = args or ["check", "--format", "json"]
    _, log = _run(args, root, tmp_path, **env)
    if log[-1] != "recorded":
        _, log = _run(args, root, tmp_path, **env)
    assert log[-1] in ("recorded", "hit"), log
    _, log = _run(args, root, tmp_path, **env)
    assert log == ["hit"]
    return args


def _changed_then_fresh(root: Path, tmp_path: Path, args: list[str], why: str, **env: str) -> None:
    after, log = _run(args, root, tmp_path, **env)
    assert log and log[0].startswith("miss:"), log
    assert why in log[0], log
    _same(after, _fresh(args, root) if not env else run_cli(*args, cwd=root, env={"SEENFIX_NO_CACHE": "1", **env}))


def _same_size_rewrite(path: Path, text: bytes) -> None:
    """New bytes of the same size, with the old modification time put back (only ctime tells)."""
    st = path.stat()
    old = path.read_bytes()
    assert len(text) == len(old)
    path.write_bytes(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_file_rewritten_with_the_same_size_and_time_is_read_again(trees: dict[str, Path],
                                                                   tmp_path: Path) -> None:
    root = trees["plain-0"]
    args = _recorded_then(root, tmp_path)
    compose = root / "docker-compose.yml"
    text = compose.read_bytes()
    assert b"restart: unless-stopped" in text or b"image:" in text
    _same_size_rewrite(compose, text.replace(b"JWT_SECRET: replace-in-production",
                                             b"JWT_SECRET: replace-in-productioN"))
    _changed_then_fresh(root, tmp_path, args, "docker-compose.yml changed")


def test_a_file_added_in_an_empty_folder_is_seen(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["plain-1"]
    args = _recorded_then(root, tmp_path)
    (root / "frontend" / "src" / "empty" / "deeper" / "x.ts").write_text(
        "import { a } from './a';\nexport const b = 1;\n")
    _changed_then_fresh(root, tmp_path, args, "deeper changed")
    assert "x.ts" in _fresh(args, root).stdout


def test_a_file_removed_is_seen(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["plain-2"]
    args = _recorded_then(root, tmp_path)
    (root / "frontend" / "nginx.conf").unlink()
    _changed_then_fresh(root, tmp_path, args, "changed")


def test_a_new_configuration_file_is_seen(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["plain-3"]
    args = _recorded_then(root, tmp_path, ["check"])
    (root / ".seenfix.toml").write_text('ignore = ["SF009"]\n')
    _changed_then_fresh(root, tmp_path, args, "changed")


def test_another_environment_or_command_line_is_another_entry(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["plain-4"]
    args = _recorded_then(root, tmp_path, ["check"])
    _, log = _run(args, root, tmp_path, SEENFIX_JOBS="1")
    assert log[0] == "miss: no entry"
    _, log = _run(["check", "."], root, tmp_path)
    assert log[0] == "miss: no entry"
    _, log = _run(["check", str(root)], root.parent, tmp_path)  # another working directory
    assert log[0] == "miss: no entry"


def test_a_baseline_file_read_is_part_of_the_trace(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["baseline"]
    baseline = root.parent / "baseline.json"
    written = run_cli("check", "--write-baseline", str(baseline), cwd=root,
                      env={"SEENFIX_CACHE_LOG": str(tmp_path / "w.log")})
    assert written.returncode in (0, 1) and baseline.exists()
    assert not (tmp_path / "w.log").exists()  # a run that writes is neither answered nor recorded
    time.sleep(runcache.RACY_NS / 1e9 + 0.2)
    args = _recorded_then(root, tmp_path, ["check", "--baseline", str(baseline)])
    baseline.write_text('{"version": 1, "findings": []}\n')
    _changed_then_fresh(root, tmp_path, args, "baseline.json changed")


def test_a_repository_made_around_the_folder_is_seen(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["above"]
    args = _recorded_then(root, tmp_path)
    git_cmd(root.parent, "init", "-q")  # the folder is now inside a repository: git lists its files
    _changed_then_fresh(root, tmp_path, args, ".git changed")


def test_git_untracking_a_file_is_seen(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["repo-0"]
    args = _recorded_then(root, tmp_path)
    git_cmd(root, "rm", "-q", "--cached", "docker-compose.yml")
    after, log = _run(args, root, tmp_path)
    assert log[0].startswith("miss:"), log
    _same(after, _fresh(args, root))


def test_a_new_ignore_rule_is_seen(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["repo-1"]
    (root / "backend" / "app" / "local.py").write_text('JWT_SECRET = "changeme"\n')
    time.sleep(runcache.RACY_NS / 1e9 + 0.2)
    args = _recorded_then(root, tmp_path)
    with open(root / ".git" / "info" / "exclude", "a", encoding="utf-8") as fh:
        fh.write("backend/app/local.py\n")
    after, log = _run(args, root, tmp_path)
    assert log[0] == "miss: git ls-files -z --others --exclude-standard answers otherwise", log
    _same(after, _fresh(args, root))


def test_an_untracked_file_in_a_new_folder_is_seen(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["repo-2"]
    args = _recorded_then(root, tmp_path)
    (root / "deploy" / "prod").mkdir(parents=True)
    (root / "deploy" / "prod" / "compose.prod.yml").write_text(
        "services:\n  api:\n    image: example/api:1.2.3\n")
    _changed_then_fresh(root, tmp_path, args, "miss:")
    assert "compose.prod.yml" in _fresh(args, root).stdout


def test_files_changed_just_before_a_run_are_not_recorded(tmp_path: Path) -> None:
    root = _make(tmp_path / "seen", False)
    first, log = _run(["check"], root, tmp_path)
    assert log[0] == "miss: no entry" and log[1].startswith("not recorded: ") and "in the last 2 s" in log[1]
    second, log = _run(["check"], root, tmp_path)
    assert log[0] == "miss: no entry"  # a full run again
    _same(first, second)


def test_runs_that_write_or_fail_are_not_recorded(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["plain-5"]
    _run(["check", "--add-ignore", "--select", "SF010"], root, tmp_path)
    assert not (tmp_path / "cache.log").exists()  # neither answered nor recorded
    bad, log = _run(["check", "--select", "SF999"], root, tmp_path)
    assert bad.returncode == 2 and log[-1] == "not recorded: exit 2"
    _, log = _run(["check"], root, tmp_path, SEENFIX_NO_CACHE="1")
    assert log == []
    proc = run_cli("check", cwd=root, plugins=True, env={"SEENFIX_CACHE_LOG": str(tmp_path / "p.log")})
    assert proc.returncode in (0, 1)
    assert (tmp_path / "p.log").read_text().splitlines()[-1].startswith("not recorded: a plugin fixer is installed")


def test_the_entry_is_private_and_holds_the_trace(trees: dict[str, Path], tmp_path: Path) -> None:
    root = trees["repo-3"]
    args = _recorded_then(root, tmp_path, ["check"])
    entries = list(Path(os.environ["XDG_CACHE_HOME"], "seenfix", "runs").iterdir())
    mine = []
    for entry in entries:
        data = marshal.loads(entry.read_bytes())
        if f"\n{root}\n" in data[0] and repr(args) in data[0]:
            mine.append((entry, data))
    assert len(mine) == 1
    entry, (key, sigs, gits, out, err, code) = mine[0]
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    paths = {p for p, _ in sigs}
    assert str(root / "docker-compose.yml") in paths and str(root / "frontend" / "src") in paths
    assert str(root.parent / ".git") in paths  # no repository above: its absence is recorded
    assert any(p.endswith(os.path.join("seenfix", "fixers", "unused_typescript_import.py")) for p in paths)
    assert [g[0][3:5] for g in gits][:2] == [["rev-parse", "--show-toplevel"], ["ls-files", "-z"]]
    assert out == _fresh(args, root).stdout.encode()


def test_only_the_newest_entries_are_kept(trees: dict[str, Path], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = trees["repo-4"]
    cache = tmp_path / "xdg"
    for k in range(runcache.LIMIT + 3):
        _run(["check", "--select", "SF010"], root, tmp_path, XDG_CACHE_HOME=str(cache), SEENFIX_K=str(k))
    assert len(list((cache / "seenfix" / "runs").iterdir())) == runcache.LIMIT
