"""The write phase under races: nothing changed meanwhile is overwritten, and a secret file is only
written where git ignores it (issue 15, items 3, 4 and 7)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner

import seenfix.engine.write as writer_mod
from conftest import git, init_repo, run_cli, temp_files
from seenfix.cli.app import cli
from seenfix.core.config import Config
from seenfix.core.model import FileChange, Finding, Fixer
from seenfix.core.project import Project
from seenfix.engine.run import run
from seenfix.engine.write import ChangedError, WriteError, write


class _Appender(Fixer):
    """Appends a line to every .txt file, and a key to .env (test double)."""

    code, slug, summary, area = "SF960", "append-line", "Append a line", "test"

    def check(self, project: Project) -> Iterable[Finding]:
        return [self.finding(p, 1, "needs a line") for p in project.files()
                if p.endswith(".txt") and not (project.read_text(p) or "").endswith("one\n")]

    def fix(self, project: Project) -> Iterable[FileChange]:
        out = []
        for p in project.files():
            text = project.read_text(p) or ""
            if p.endswith(".txt") and not text.endswith("one\n"):
                out.append(FileChange(p, text + "one\n"))
        env = project.read_text(".env") or ""
        if "JWT_SECRET=" not in env:
                out.append(FileChange(".env", env + "JWT_SECRET=generated-0123456789abcdef0123456789\n", secret=True,
                                  secret_values=("generated-0123456789abcdef0123456789",)))
        return out


def _project(tmp_path: Path, *, in_git: bool) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.txt").write_text("a\n")
    (root / "b.txt").write_text("b\n")
    (root / ".gitignore").write_text(".env\n")
    (root / ".env").write_text("USER_KEY=mine\n")
    return init_repo(root) if in_git else root


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "plain"])
@pytest.mark.parametrize("edit", ["content", "same-size", "same-size-times-kept", "env-key", "touch", "created",
                                  "deleted"])
def test_a_file_changed_after_it_was_read_is_not_overwritten(tmp_path: Path, in_git: bool, edit: str) -> None:
    root = _project(tmp_path, in_git=in_git)
    result = run(root, [_Appender], Config(), fix=True)
    assert {"a.txt", "b.txt", ".env"} <= set(result.changes)
    target = {"content": "b.txt", "same-size": "b.txt", "same-size-times-kept": "b.txt", "env-key": ".env",
              "touch": "a.txt", "created": "d.txt", "deleted": "a.txt"}[edit]
    path = root / target
    if edit == "content":
        path.write_text("b, edited by the user meanwhile\n")
    elif edit == "same-size":
        path.write_text("B\n")
    elif edit == "same-size-times-kept":  # as rsync -t or cp -p leave it: size and times as read
        st = path.stat()
        path.write_text("B\n")
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif edit == "env-key":
        path.write_text(path.read_text() + "ADDED_MEANWHILE=1\n")
    elif edit == "touch":
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    elif edit == "created":  # a file seenfix creates appears meanwhile
        result = run(root, [_NewFile], Config(), fix=True)
        path = root / _NewFile.name
        path.write_text("created by the user meanwhile\n")
    elif edit == "deleted":
        path.unlink()
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    with pytest.raises(ChangedError) as info:
        write(result, force=True)
    name = path.relative_to(root).as_posix()
    assert name in info.value.paths and name in str(info.value)
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before  # nothing was written, the user's edit is kept
    assert not temp_files(root)


def test_a_target_turned_into_a_link_to_a_fifo_is_reported_not_waited_on(tmp_path: Path) -> None:
    """A file replaced, after seenfix read it, by a link to a FIFO (the link as long as the file was,
    so the size check passes): the re-read before the renames does not wait for a writer that never
    comes; the file is named as changed and nothing is written."""
    import threading

    root = _project(tmp_path, in_git=True)
    result = run(root, [_Appender], Config(), fix=True)
    os.mkfifo(root / "ff")
    (root / "b.txt").unlink()
    (root / "b.txt").symlink_to("ff")  # two bytes, as "b\n" was
    raised: list[BaseException] = []

    def write_it() -> None:
        try:
            write(result, force=True)
        except BaseException as exc:  # noqa: BLE001 - looked at below
            raised.append(exc)

    worker = threading.Thread(target=write_it, daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # let the blocked open go, so the suite can go on
        with open(os.open(root / "ff", os.O_RDWR | os.O_NONBLOCK), "wb"):
            pass
        worker.join(5)
        pytest.fail("the write waited on the FIFO")
    assert len(raised) == 1 and isinstance(raised[0], ChangedError), raised
    assert raised[0].paths == ["b.txt"]
    assert (root / "a.txt").read_text() == "a\n" and os.path.islink(root / "b.txt")
    assert not temp_files(root)


class _NewFile(Fixer):
    code, slug, summary, area = "SF961", "new-file", "Write a new file", "test"
    name = "d.txt"

    def check(self, project: Project) -> Iterable[Finding]:
        return [] if project.exists(self.name) else [self.finding(self.name, 1, "missing")]

    def fix(self, project: Project) -> Iterable[FileChange]:
        return [FileChange(self.name, "made by seenfix\n")]


def test_a_file_edited_during_apply_is_named_with_exit_3(seen_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real command: the user saves docker-compose.yml while seenfix writes its temporary files."""
    compose = seen_repo / "docker-compose.yml"
    real = writer_mod._write_temp

    def slow_write(target: Path, data: bytes, mode: int) -> Path:
        if target.name == "docker-compose.yml":
            compose.write_text(compose.read_text() + "# saved by the user\n")
        return real(target, data, mode)

    monkeypatch.setattr(writer_mod, "_write_temp", slow_write)
    proc = CliRunner().invoke(cli, ["apply", "--set", "p1", "--force", str(seen_repo)])
    assert proc.exit_code == 3, proc.output
    assert "docker-compose.yml: changed since seenfix read it; no file was changed" in proc.output
    assert compose.read_text().endswith("# saved by the user\n")
    assert git(seen_repo, "status", "--porcelain") == " M docker-compose.yml\n"
    assert not temp_files(seen_repo)


def test_the_generated_env_is_ignored_in_the_working_tree_with_branch(seen_repo: Path) -> None:
    proc = run_cli("apply", "--set", "p0", "--unsafe-fixes", "--branch", str(seen_repo))
    assert proc.returncode == 1, proc.stderr
    assert (seen_repo / ".env").exists()
    git(seen_repo, "check-ignore", "-q", ".env")  # raises when git would not ignore it
    git(seen_repo, "add", "-A")
    assert ".env" not in git(seen_repo, "diff", "--cached", "--name-only").split()
    # the ignore rule of the working tree is the repository's own (never committed) ...
    assert "/.env" in (seen_repo / ".git" / "info" / "exclude").read_text().splitlines()
    # ... and the branch still carries its .gitignore line for everyone else
    assert ".env" in git(seen_repo, "show", "seenfix/p0:.gitignore").splitlines()


def test_a_gitignore_that_ends_negating_env_gains_the_rule_after_it(seen_repo: Path) -> None:
    (seen_repo / ".gitignore").write_text((seen_repo / ".gitignore").read_text() + "!.env\n")
    git(seen_repo, "commit", "-qam", "un-ignore .env")
    proc = run_cli("apply", "--set", "p0", "--unsafe-fixes", str(seen_repo))
    assert proc.returncode == 1, proc.stderr
    assert "!.env\n# Local secrets (seenfix)\n.env\n" in (seen_repo / ".gitignore").read_text()
    git(seen_repo, "check-ignore", "-q", ".env")


@pytest.mark.parametrize("where", ["same-file-earlier", "sub"])
def test_a_gitignore_that_negates_env_stops_the_secret(seen_repo: Path, where: str) -> None:
    if where == "same-file-earlier":  # `.env` is there already, then negated: appending adds nothing
        (seen_repo / ".gitignore").write_text((seen_repo / ".gitignore").read_text() + ".env\n!.env\n")
        env = seen_repo / ".env"
    else:  # backend/.gitignore un-ignores backend/.env, which the root's `.env` rule would ignore
        (seen_repo / ".gitignore").write_text((seen_repo / ".gitignore").read_text() + ".env\n")
        (seen_repo / "backend" / ".gitignore").write_text("!.env\n")
        env = seen_repo / "backend" / ".env"
        compose = seen_repo / "docker-compose.yml"
        (seen_repo / "backend" / "docker-compose.yml").write_text(compose.read_text())
        compose.unlink()
    git(seen_repo, "add", "-A")
    git(seen_repo, "commit", "-qm", "un-ignore .env")
    proc = run_cli("apply", "--set", "p0", "--unsafe-fixes", str(seen_repo))
    leaked = env.exists() and subprocess.run(["git", "-C", str(seen_repo), "check-ignore", "-q",
                                              str(env.relative_to(seen_repo))]).returncode != 0
    assert not leaked, "a secret file was written where git does not ignore it"
    assert proc.returncode == 3, proc.stderr
    assert "un-ignores it (!.env)" in proc.stderr
    assert git(seen_repo, "status", "--porcelain") == ""  # nothing else was written either
    assert not temp_files(seen_repo)


def test_the_disk_full_message_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, in_git=True)
    result = run(root, [_Appender], Config(), fix=True)
    real = os.write

    def full(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_mod.os, "write", full)
    try:
        with pytest.raises(WriteError) as info:
            write(result)
    finally:
        monkeypatch.setattr(writer_mod.os, "write", real)
    assert str(info.value).startswith(".env: No space left on device")
    assert not temp_files(root)
