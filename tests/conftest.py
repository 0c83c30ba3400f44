from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE_SEEN = REPO / "fixtures" / "seen"
SHARED = REPO.parent / "shared"
PLUGINS = Path(__file__).resolve().parent / "plugins"
BROKEN_PLUGINS = Path(__file__).resolve().parent / "plugins_broken"


def free_port() -> int:
    """A TCP port of 127.0.0.1 free at the moment (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def temp_files(root: Path) -> list[Path]:
    """The temporary files of seenfix's writes (``.NAME.PID.seenfix-tmp``) anywhere under ``root``."""
    return [p for p in root.rglob("*") if p.name.endswith(".seenfix-tmp")]


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid"}
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, env=env, check=True)
    return proc.stdout


def init_repo(path: Path) -> Path:
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test")
    git(path, "config", "user.email", "test@example.invalid")
    git(path, "config", "core.autocrlf", "false")
    git(path, "add", "-A")
    git(path, "commit", "-q", "--allow-empty", "-m", "initial")
    return path


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> object:
    """seenfix's cache (XDG_CACHE_HOME) goes to a folder of this test session, not the user's."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield None
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture
def seen_repo(tmp_path: Path) -> Path:
    """A fresh copy of fixtures/seen as a git repository with one commit."""
    dest = tmp_path / "seen"
    shutil.copytree(FIXTURE_SEEN, dest)
    return init_repo(dest)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            plugins: bool = False, broken: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``python -m seenfix`` as a user would (a separate process, real exit code)."""
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    paths = []
    if plugins:
        paths.append(str(PLUGINS))
    if broken:
        paths.append(str(BROKEN_PLUGINS))
    if paths:
        full_env["PYTHONPATH"] = os.pathsep.join(paths + [full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "seenfix", *args], cwd=cwd, capture_output=True, text=True,
                          env=full_env)


@pytest.fixture
def demo_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test-only plugin visible to entry-point discovery in this process."""
    monkeypatch.syspath_prepend(str(PLUGINS))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ``SEENFIX_FORBID_SKIPS=1`` (set by ``.ci/run``, which installs everything the tests
    need and always has ``../shared/corpus``), a skipped test fails the run: the suite must not
    shrink silently because a package or the corpus went missing."""
    if os.environ.get("SEENFIX_FORBID_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and session.exitstatus == 0:
        names = sorted({getattr(r, "nodeid", "?") for r in skipped})
        sys.stderr.write(f"\nSEENFIX_FORBID_SKIPS: {len(skipped)} test(s) skipped, failing the run: "
                         + ", ".join(names[:20]) + "\n")
        session.exitstatus = 1
