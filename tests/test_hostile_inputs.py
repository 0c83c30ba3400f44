"""Odd files and bad input never cost the user data or leak a secret (issue 15).

Each test runs the real ``seenfix`` command on a copy of the SEEN fixture (a git repository with one
commit) in which one file was made hostile: undecodable, a FIFO, invalid, unreadable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, init_repo, run_cli

#: Bytes no UTF-8 decoder accepts (a Latin-1 "é"), and a NUL.
LATIN1 = b"caf\xe9"


def _status(root: Path) -> str:
    return git(root, "status", "--porcelain", "--untracked-files=all", "--ignored")


@pytest.mark.parametrize("junk", [b"MY_KEY=keep-" + LATIN1 + b"\n", b"MY_KEY=keep\0\nOTHER=1\n"],
                         ids=["not-utf8", "nul"])
def test_an_env_file_seenfix_cannot_read_is_never_replaced(seen_repo: Path, junk: bytes) -> None:
    env = seen_repo / ".env"
    env.write_bytes(junk + b"MORE_KEYS=the user's\n")
    before = env.read_bytes()
    proc = run_cli("apply", "--set", "p0", "--unsafe-fixes", str(seen_repo))
    assert env.read_bytes() == before  # the user's keys are all there, byte for byte
    assert proc.returncode == 3, proc.stderr
    assert ".env:1: SF001, SF004: left unchanged: seenfix cannot read it" in proc.stderr
    assert "Traceback" not in proc.stderr
    # the passwords stay where they were: moved to a .env that is not written, they would be lost
    compose = (seen_repo / "docker-compose.yml").read_text()
    assert "POSTGRES_PASSWORD: seen\n" in compose and "JWT_SECRET: replace-in-production\n" in compose


def test_a_gitignore_that_is_not_utf8_keeps_every_byte(seen_repo: Path) -> None:
    gitignore = seen_repo / ".gitignore"
    gitignore.write_bytes(gitignore.read_bytes() + b"# " + LATIN1 + b"\nsecrets.json\n")
    git(seen_repo, "commit", "-qam", "latin-1 comment")
    (seen_repo / "secrets.json").write_text('{"token": "t"}\n')
    before = gitignore.read_bytes()
    proc = run_cli("apply", "--set", "all", "--unsafe-fixes", str(seen_repo))
    assert gitignore.read_bytes() == before
    assert proc.returncode == 3, proc.stderr
    assert ".gitignore:1:" in proc.stderr and "left unchanged" in proc.stderr
    status = _status(seen_repo)
    assert "?? secrets.json" not in status  # still ignored
    assert "?? .env\n" not in status  # no un-ignored secret file was written instead
    # fixers that do not touch .gitignore still ran
    assert "fixed SF003 missing-security-headers" in proc.stderr


def test_a_gitignore_that_is_not_utf8_is_not_replaced_on_a_fix_branch(seen_repo: Path) -> None:
    gitignore = seen_repo / ".gitignore"
    gitignore.write_bytes(gitignore.read_bytes() + b"# " + LATIN1 + b"\nsecrets.json\n")
    git(seen_repo, "commit", "-qam", "latin-1 comment")
    run_cli("apply", "--set", "all", "--unsafe-fixes", "--branch", "--base", "HEAD", str(seen_repo))
    branches = git(seen_repo, "branch", "--list", "seenfix/*").split()
    for branch in (b for b in branches if b != "*"):
        shown = subprocess.run(["git", "-C", str(seen_repo), "show", f"{branch}:.gitignore"],
                               capture_output=True, check=True).stdout
        assert shown == gitignore.read_bytes()


@pytest.mark.parametrize("target", [".git/config", ".git/hooks/post-checkout", ".GIT/config", "sub/.hg/hgrc",
                                    "link/config"])
def test_no_fixer_writes_into_a_vcs_folder(seen_repo: Path, target: str) -> None:
    (seen_repo / "link").symlink_to(".git")
    (seen_repo / ".seenfix.toml").write_text(f'[fixers.SF006]\npath = "{target}"\n')
    config = (seen_repo / ".git" / "config").read_bytes()
    proc = run_cli("apply", "--select", "SF006", str(seen_repo))
    assert (seen_repo / ".git" / "config").read_bytes() == config
    assert not (seen_repo / ".git" / "hooks" / "post-checkout").exists()
    assert not (seen_repo / "sub").exists()
    assert proc.returncode == 3, proc.stderr
    assert "inside a version-control folder" in proc.stderr or "outside the project" in proc.stderr
    git(seen_repo, "status")  # the repository still works


@pytest.mark.parametrize("command", [["check"], ["apply", "--set", "p0", "--unsafe-fixes"], ["env-check"]])
def test_a_fifo_is_never_opened_for_reading(seen_repo: Path, command: list[str]) -> None:
    fifo = seen_repo / ".env"
    os.mkfifo(fifo)
    if command == ["env-check"]:
        args = ["env", "check", str(fifo), "--project", str(seen_repo)]
    else:
        args = [*command, str(seen_repo)]
    try:
        proc = subprocess.run([sys.executable, "-m", "seenfix", *args], capture_output=True, text=True,
                              timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - the bug this test is about
        pytest.fail(f"seenfix {' '.join(args)} hangs on a FIFO")
    assert "Traceback" not in proc.stderr
    assert fifo.is_fifo()  # never replaced either
    if command[0] == "apply":
        assert proc.returncode == 3 and ".env:1:" in proc.stderr and "FIFO" in proc.stderr
    if command == ["env-check"]:
        assert proc.returncode == 2 and "FIFO" in proc.stderr


def test_an_explicit_config_that_is_a_fifo_is_an_error(seen_repo: Path) -> None:
    fifo = seen_repo / "config.toml"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "seenfix", "check", "--config", str(fifo), str(seen_repo)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "FIFO" in proc.stderr and "Traceback" not in proc.stderr


def _duplicate_password(root: Path) -> Path:
    compose = root / "docker-compose.yml"
    text = compose.read_text()
    assert "      POSTGRES_PASSWORD: seen\n" in text
    compose.write_text(text.replace("      POSTGRES_PASSWORD: seen\n",
                                    "      POSTGRES_PASSWORD: seen\n      POSTGRES_PASSWORD: Hunter2-committed\n"))
    git(root, "commit", "-qam", "a duplicate key")
    return compose


def test_a_file_any_fixer_reports_invalid_is_changed_by_none(seen_repo: Path) -> None:
    compose = _duplicate_password(seen_repo)
    before = compose.read_bytes()
    proc = run_cli("apply", "--set", "all", "--unsafe-fixes", str(seen_repo))
    assert proc.returncode == 3, proc.stderr
    assert "invalid YAML" in proc.stderr
    assert compose.read_bytes() == before
    changed = git(seen_repo, "status", "--porcelain", "--untracked-files=all")
    assert "docker-compose.yml" not in changed
    assert ".env\n" not in changed  # SF001/SF004 moved nothing out of the compose file
    assert "frontend/nginx.conf" in changed  # the others still ran


def test_a_duplicate_password_key_is_not_printed(seen_repo: Path) -> None:
    _duplicate_password(seen_repo)
    for args in (["check"], ["check", "--format", "json"], ["check", "--format", "sarif"],
                 ["apply", "--set", "all", "--unsafe-fixes", "--dry-run"]):
        proc = run_cli(*args, str(seen_repo))
        assert "Hunter2-committed" not in proc.stdout + proc.stderr, args
        assert "original value" not in proc.stdout + proc.stderr, args
    proc = run_cli("check", "--format", "json", str(seen_repo))
    errors = json.loads(proc.stdout)["errors"]
    assert any('duplicate key "POSTGRES_PASSWORD"' in e for e in errors)


@pytest.mark.parametrize("in_git", [False, True], ids=["plain", "git"])
def test_an_unreadable_folder_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_git: bool) -> None:
    """``chmod 000`` on a folder: a warning naming it, as for an unreadable file.  Root reads every
    folder whatever its mode, so as root the listing fails the way it does for other users: the
    walk's ``scandir`` raises, or git says it could not open the folder."""
    import seenfix.core.workspace as ws
    from seenfix.core.config import Config
    from seenfix.engine.run import run
    from seenfix.fixers.missing_log_rotation import MissingLogRotation

    root = tmp_path / "p"
    (root / "deploy").mkdir(parents=True)
    (root / "README.md").write_text("x\n")
    if in_git:
        init_repo(root)
    (root / "deploy" / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx\n")
    if os.geteuid() == 0 and not in_git:
        real_scandir = os.scandir

        def scandir(path: str) -> object:
            if os.path.basename(str(path).rstrip("/")) == "deploy":
                raise PermissionError(13, "Permission denied", path)
            return real_scandir(path)

        monkeypatch.setattr(ws.os, "scandir", scandir)
    elif os.geteuid() == 0:
        real_git = ws.git

        def git_as_a_user(where: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
            proc = real_git(where, *args, check=check)
            if "--others" in args:  # what git prints for a folder it may not open (dir.c)
                listed = b"\0".join(p for p in proc.stdout.split(b"\0") if p and not p.startswith(b"deploy/"))
                return subprocess.CompletedProcess(proc.args, 0, listed + b"\0",
                                                   b"warning: could not open directory 'deploy/': Permission denied\n")
            return proc

        monkeypatch.setattr(ws, "git", git_as_a_user)
    else:
        os.chmod(root / "deploy", 0)
    try:
        result = run(root, [MissingLogRotation], Config(), fix=False)
    finally:
        os.chmod(root / "deploy", 0o755)
    assert "deploy: skipped, Permission denied" in result.warnings
    assert result.findings == []  # the compose file in it was not read


@pytest.mark.parametrize(("toml", "key"), [
    ('[fixers.SF003]\nheaders = "abc"\n', "fixers.SF003.headers"),
    ("[fixers.SF003]\nheaders = [1, 2]\n", "fixers.SF003.headers"),
    ('[fixers.SF003]\ncsp_sources = "x"\n', "fixers.SF003.csp_sources"),
    ("[fixers.SF010]\ntags = [1, 2]\n", "fixers.SF010.tags"),
    ("[fixers.SF002]\nignore_servers = [1]\n", "fixers.SF002.ignore_servers"),
])
def test_a_config_value_of_the_wrong_type_is_exit_2_naming_the_key(seen_repo: Path, toml: str, key: str) -> None:
    (seen_repo / ".seenfix.toml").write_text(toml)
    for command in ("check", "apply"):
        proc = run_cli(command, str(seen_repo))
        assert proc.returncode == 2, proc.stderr
        assert f".seenfix.toml: {key}: expected" in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_git_failing_is_one_line_exit_3(seen_repo: Path) -> None:
    (seen_repo / ".git" / "index").write_bytes(b"garbage")
    proc = run_cli("check", str(seen_repo))
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith("seenfix: error: git ls-files failed in ") and "index" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_a_file_size_limit_is_one_line_exit_3(seen_repo: Path) -> None:
    """``ulimit -f 0``: git status dies of SIGXFSZ, or seenfix's own writes fail with EFBIG."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    (seen_repo / "README.md").touch()  # so that git status wants to refresh the index
    before = {p: p.read_bytes() for p in seen_repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    proc = subprocess.run([sys.executable, "-m", "seenfix", "apply", "--set", "quick-wins", str(seen_repo)],
                          capture_output=True, text=True, preexec_fn=limit)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    error = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(error) == 1 and ("SIGXFSZ" in error[0] or "File too large" in error[0]), proc.stderr
    assert not error[0].startswith("seenfix: error: :"), "the message names no file"
    after = {p: p.read_bytes() for p in seen_repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before


def _alias_bomb(levels: int = 10) -> str:
    lines = ["x-bomb:", '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    prev = "a"
    for name in "bcdefghijklmnop"[:levels - 1]:
        lines.append(f"  {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
        prev = name
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("args", [["check"], ["apply", "--dry-run"], ["apply"], ["apply", "--set", "all"]])
def test_a_yaml_alias_bomb_is_one_line(seen_repo: Path, args: list[str]) -> None:
    compose = seen_repo / "docker-compose.yml"
    compose.write_text(_alias_bomb() + compose.read_text())
    git(seen_repo, "commit", "-qam", "billion laughs")
    before = compose.read_bytes()
    try:
        proc = subprocess.run([sys.executable, "-m", "seenfix", *args, str(seen_repo)], capture_output=True,
                              text=True, timeout=120)
    except subprocess.TimeoutExpired:  # pragma: no cover - the bug this test is about
        pytest.fail(f"seenfix {' '.join(args)} hangs on an alias bomb")
    assert proc.returncode == 3, proc.stderr
    assert "docker-compose.yml:1:" in proc.stderr and "alias bomb" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert compose.read_bytes() == before


@pytest.mark.parametrize("args", [["check"], ["apply", "--set", "all", "--unsafe-fixes"]])
def test_a_compose_file_over_the_size_limit_is_one_line_and_untouched(seen_repo: Path, args: list[str]) -> None:
    """A generated 100 MB compose file would take gigabytes to parse: refused, the rest still fixed."""
    from seenfix.editors.yaml import MAX_CHARS

    compose = seen_repo / "docker-compose.yml"
    text = compose.read_text()
    compose.write_text(text + "# generated\n" * (MAX_CHARS // 12 + 1))
    git(seen_repo, "commit", "-qam", "a huge compose file")
    before = compose.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "seenfix", *args, str(seen_repo)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "too large" in line]
    assert len(errors) == 1, proc.stderr
    assert "docker-compose.yml:1: " in errors[0]
    assert errors[0].endswith(": too large to read as YAML: 4.0 MiB (seenfix reads YAML files of up to 4 MiB)")
    assert "Traceback" not in proc.stderr
    assert compose.read_bytes() == before
    if args[0] == "apply":
        assert "frontend/nginx.conf" in git(seen_repo, "status", "--porcelain")  # the others still ran


def test_aliases_that_expand_a_little_are_fine() -> None:
    from seenfix.editors.yaml import load

    doc = load(_alias_bomb(5), "docker-compose.yml")  # 9**5 = 59,049 nodes once expanded
    assert len(doc.data["x-bomb"]["e"]) == 9
