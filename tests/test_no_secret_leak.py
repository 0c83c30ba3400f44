"""A generated or moved secret never leaves the untracked .env.

The generator is replaced by one that returns a known value (in the CLI process itself), then every
output channel is grepped for it: stdout and stderr of ``check`` (text, JSON, SARIF), ``apply
--dry-run``, ``apply --branch`` and ``apply``, and every git object the fix branch added.  A moved
database password (kept, not regenerated) is held to the same rule.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from conftest import git, init_repo

KNOWN = "INJECTEDsecretVALUE0123456789abcdefghijKLMNOPQRSTUVWX"  # what the patched generator returns
MOVED = "Moved-Db-Password-8d1e"  # a committed database password that SF004 moves into .env

COMPOSE = f"""services:
  postgres:
    image: postgres:16-alpine
    environment:
      POSTGRES_USER: seen
      POSTGRES_PASSWORD: {MOVED}
  backend:
    image: backend
    environment:
      DATABASE_URL: postgresql://seen:{MOVED}@postgres:5432/seen
      JWT_SECRET: replace-in-production
"""

PATCHED = (
    "import secrets, sys\n"
    f"secrets.token_urlsafe = lambda nbytes=None: {KNOWN!r}\n"
    "from seenfix.cli.app import main\n"
    "sys.argv = ['seenfix', *sys.argv[1:]]\n"
    "main()\n"
)


def _seenfix(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEENFIX")}
    env.update(GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.invalid",
               GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.invalid", NO_COLOR="1")
    return subprocess.run([sys.executable, "-c", PATCHED, *args], cwd=cwd, capture_output=True, text=True,
                          env=env)


def _assert_clean(proc: subprocess.CompletedProcess[str], what: str) -> None:
    for value in (KNOWN, MOVED):
        assert value not in proc.stdout, f"{what}: stdout leaks a secret"
        assert value not in proc.stderr, f"{what}: stderr leaks a secret"


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "backend").mkdir(parents=True)
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / "backend" / "config.py").write_text(
        'from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n'
        '    jwt_secret: str = "replace-in-production"\n')
    return init_repo(root)


def test_generator_patch_is_effective(tmp_path: Path) -> None:
    """The injection works: a plain apply writes the known value into the untracked .env (0600)."""
    root = _repo(tmp_path)
    proc = _seenfix(root, "apply", "--select", "SF001,SF004", ".")
    assert proc.returncode in (0, 1), proc.stderr
    _assert_clean(proc, "apply")
    env = (root / ".env").read_text()
    assert f"JWT_SECRET={KNOWN}" in env and f"POSTGRES_PASSWORD={MOVED}" in env
    assert stat.S_IMODE((root / ".env").stat().st_mode) == 0o600
    assert ".env" not in git(root, "ls-files").split()
    assert subprocess.run(["git", "-C", str(root), "check-ignore", "-q", ".env"]).returncode == 0
    for path in ("docker-compose.yml", "backend/config.py"):
        text = (root / path).read_text()
        assert KNOWN not in text and MOVED not in text and "replace-in-production" not in text


def test_no_output_channel_leaks(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    for fmt in ("text", "json", "sarif"):
        proc = _seenfix(root, "check", "--select", "SF001,SF004", "--format", fmt, ".")
        assert proc.returncode == 1, proc.stderr  # findings
        _assert_clean(proc, f"check --format {fmt}")
        assert "SF001" in proc.stdout and "SF004" in proc.stdout
    proc = _seenfix(root, "apply", "--select", "SF001,SF004", "--dry-run", ".")
    _assert_clean(proc, "apply --dry-run")
    assert "JWT_SECRET: ${JWT_SECRET:?" in proc.stdout  # the diff is there, only the values are masked

    before = set(git(root, "rev-list", "--all", "--objects").split())
    proc = _seenfix(root, "apply", "--select", "SF001,SF004", "--branch", ".")
    _assert_clean(proc, "apply --branch")
    if "not available" in proc.stderr:
        # no fix-branch support in this installation: apply in place and commit everything a user
        # would (`git add -A`); the ignore rule must keep the .env out of the commit
        print("apply --branch unavailable; checking `apply` + `git add -A` + commit instead")
        proc = _seenfix(root, "apply", "--select", "SF001,SF004", ".")
        _assert_clean(proc, "apply")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "fix")
    assert proc.returncode in (0, 1), proc.stderr
    added = [line.split()[0] for line in git(root, "rev-list", "--all", "--objects").splitlines()
             if line.split()[0] not in before]
    assert added, "the fix branch added no object"
    for sha in added:
        body = subprocess.run(["git", "-C", str(root), "cat-file", "-p", sha], capture_output=True).stdout
        assert KNOWN.encode() not in body, f"git object {sha} holds the generated secret"
    # The moved password was committed before the fix (it stays in history until rotated); an
    # intermediate commit of another fixer may still hold it, but no branch tip and no .env does.
    for ref in git(root, "for-each-ref", "--format=%(refname)", "refs/heads").split():
        assert subprocess.run(["git", "-C", str(root), "grep", "-q", MOVED, ref]).returncode == 1 or \
            ref.endswith(("/main", "/master")), f"{ref} still holds the moved password"
    assert git(root, "log", "--all", "--format=%H", "--", ".env") == "", "a commit holds the .env"
    # the secret file exists beside the branch, untracked and ignored
    assert (root / ".env").is_file() and KNOWN in (root / ".env").read_text()
    assert ".env" not in git(root, "ls-files", "--with-tree", "HEAD").split()
