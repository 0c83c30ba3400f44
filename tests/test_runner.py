"""The runner: overlay order, atomic all-or-nothing writes, secret files, untracking."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

import seenfix.engine.run as runner_mod
import seenfix.engine.write as writer_mod
from conftest import git, init_repo, temp_files
from seenfix.core.config import Config
from seenfix.core.model import FileChange, Finding, Fixer
from seenfix.core.project import Project
from seenfix.engine.run import run
from seenfix.engine.write import WriteError, write


class _Appender(Fixer):
    """Appends a line to every .txt file (test double)."""

    code, slug, summary, area = "SF950", "append-line", "Append a line", "test"
    line = "one\n"

    def check(self, project: Project) -> Iterable[Finding]:
        return [self.finding(p, 1, "needs a line") for p in project.files()
                if p.endswith(".txt") and not (project.read_text(p) or "").endswith(self.line)]

    def fix(self, project: Project) -> Iterable[FileChange]:
        out = []
        for p in project.files():
            text = project.read_text(p) or ""
            if p.endswith(".txt") and not text.endswith(self.line):
                out.append(FileChange(p, text + self.line))
        return out


class _Second(_Appender):
    code, slug, line = "SF951", "append-two", "two\n"


class _SecretWriter(Fixer):
    code, slug, summary, area = "SF952", "write-secret", "Write a secret", "test"
    value = "s3cr3t-value-that-must-not-leak-0123456789"

    def check(self, project: Project) -> Iterable[Finding]:
        return [] if project.exists(".env") else [self.finding(".env", 1, "no .env")]

    def fix(self, project: Project) -> Iterable[FileChange]:
        return [FileChange(".env", f"JWT_SECRET={self.value}\n", secret=True, secret_values=(self.value,)),
                FileChange("tracked.env", None, untrack=True)]


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    root.mkdir()
    (root / "a.txt").write_text("a\n")
    (root / "b.txt").write_text("b\n")
    (root / "tracked.env").write_text("X=1\n")
    return init_repo(root)


def test_later_fixer_sees_earlier_output(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    result = run(root, [_Appender, _Second], Config(), fix=True)
    assert result.changes["a.txt"].content == "a\none\ntwo\n"
    assert [s.info.code for s in result.steps] == ["SF950", "SF951"]
    assert result.steps[0].changes[0].content == "a\none\n"  # the state right after that fixer


def test_failed_rename_restores_files_already_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    result = run(root, [_Appender], Config(), fix=True)
    real = writer_mod._commit
    calls = []

    def flaky(tmp: Path, target: Path) -> None:
        calls.append(target.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(target))
        real(tmp, target)

    monkeypatch.setattr(writer_mod, "_commit", flaky)
    with pytest.raises(WriteError, match="no file was changed"):
        write(result)
    assert calls[:2] == ["a.txt", "b.txt"]  # then a.txt again: its restore
    assert (root / "a.txt").read_text() == "a\n"  # replaced first, then restored
    assert (root / "b.txt").read_text() == "b\n"
    assert not [p for p in root.iterdir() if p.name.endswith(".seenfix-tmp")]


def test_failed_rename_among_many_parallel_renames_restores_every_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "r"
    (root / "sub").mkdir(parents=True)
    names = [f"sub/f{i:03d}.txt" for i in range(writer_mod.PARALLEL_RENAMES_MIN * 2)]
    for name in names:
        (root / name).write_text(f"{name}\n")
    init_repo(root)
    result = run(root, [_Appender], Config(), fix=True)
    assert len(result.changes) == len(names)
    real = writer_mod._commit

    def flaky(tmp: Path, target: Path) -> None:
        if target.name == "f077.txt":
            raise OSError(28, "No space left on device", str(target))
        real(tmp, target)

    monkeypatch.setattr(writer_mod, "_commit", flaky)
    with pytest.raises(WriteError, match="f077.txt: No space left on device; no file was changed"):
        write(result)
    assert all((root / name).read_text() == f"{name}\n" for name in names)
    assert not [p for p in (root / "sub").iterdir() if p.name.endswith(".seenfix-tmp")]
    monkeypatch.setattr(writer_mod, "_commit", real)
    assert sorted(write(result)) == names
    assert all((root / name).read_text() == f"{name}\none\n" for name in names)


def _many(tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository of files in several folders, enough for the threaded writes."""
    root = tmp_path / "r"
    names = [f"d{i % 7}/f{i:03d}.txt" for i in range(writer_mod.PARALLEL_RENAMES_MIN * 2)]
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{name}\n")
    init_repo(root)
    return root, names


def _when_writing(monkeypatch: pytest.MonkeyPatch, name: str, action: Callable[[Path], object]) -> None:
    """``action(target)`` as the write phase starts the temporary file of the file named ``name``,
    which it then writes (unless ``action`` raised)."""
    real = writer_mod._write_temp

    def wrapped(target: Path, data: bytes, mode: int) -> Path:
        if target.name == name:
            action(target)
        return real(target, data, mode)

    monkeypatch.setattr(writer_mod, "_write_temp", wrapped)


def _raise(error: OSError) -> Callable[[Path], object]:
    def action(target: Path) -> None:
        raise error
    return action


def test_threaded_temporary_writes_write_every_file(tmp_path: Path) -> None:
    root, names = _many(tmp_path)
    result = run(root, [_Appender], Config(), fix=True)
    assert sorted(write(result)) == sorted(names)
    assert all((root / name).read_text() == f"{name}\none\n" for name in names)
    assert not temp_files(root)


def test_a_failed_write_among_threaded_writes_names_its_file_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, names = _many(tmp_path)
    result = run(root, [_Appender], Config(), fix=True)
    # no file name in the error, as os.write raises it
    _when_writing(monkeypatch, "f100.txt", _raise(OSError(28, "No space left on device")))
    with pytest.raises(WriteError, match=r"^d2/f100.txt: No space left on device; no file was changed$"):
        write(result)
    assert all((root / name).read_text() == f"{name}\n" for name in names)
    assert not temp_files(root)


def test_a_signal_during_threaded_writes_removes_every_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal

    from seenfix.engine.write import Interrupted

    root, names = _many(tmp_path)
    result = run(root, [_Appender], Config(), fix=True)
    # deferred by write(): recorded, handled after the writes
    _when_writing(monkeypatch, "f050.txt", lambda target: os.kill(os.getpid(), signal.SIGTERM))
    with pytest.raises(Interrupted) as info:
        write(result)
    assert info.value.signum == signal.SIGTERM and not info.value.written
    assert all((root / name).read_text() == f"{name}\n" for name in names)
    assert not temp_files(root)


def test_failed_temporary_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    result = run(root, [_Appender], Config(), fix=True)
    _when_writing(monkeypatch, "b.txt", _raise(OSError(13, "Permission denied", str(root / "b.txt"))))
    with pytest.raises(WriteError, match="b.txt: Permission denied; no file was changed"):
        write(result)
    assert (root / "a.txt").read_text() == "a\n" and (root / "b.txt").read_text() == "b\n"
    assert not [p for p in root.iterdir() if p.name.endswith(".seenfix-tmp")]


def test_secret_file_is_0600_masked_and_untrack_runs(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / ".gitignore").write_text(".env\n")
    git(root, "add", ".gitignore")
    git(root, "commit", "-qm", "ignore")
    result = run(root, [_SecretWriter], Config(), fix=True)
    assert _SecretWriter.value in result.secret_values
    assert result.redact(f"x {_SecretWriter.value} y") == "x ******** y"
    from seenfix.output.diffing import render

    diff = render(result)
    assert _SecretWriter.value not in diff and "JWT_SECRET=********" in diff
    write(result)
    assert stat.S_IMODE((root / ".env").stat().st_mode) == 0o600
    assert "tracked.env" not in git(root, "ls-files")
    assert (root / "tracked.env").read_text() == "X=1\n"  # untracked, not deleted


def test_redact_masks_short_values_as_words_only(tmp_path: Path) -> None:
    from seenfix.engine.run import RunResult

    result = RunResult(tmp_path, [], secret_values={"seen", "a-very-long-generated-secret"})
    assert result.redact("# Local secrets (seenfix)") == "# Local secrets (seenfix)"
    assert result.redact("POSTGRES_PASSWORD: seen") == "POSTGRES_PASSWORD: ********"
    assert result.redact("x=a-very-long-generated-secretZ") == "x=********Z"


def test_secret_file_diff_masks_raw_lines() -> None:
    from seenfix.output.diffing import file_diff

    diff = file_diff("secrets/db_password.txt", None, "hunter2-raw\n# note\nKEY=v\n", secret=True)
    assert "hunter2" not in diff and "+********\n" in diff and "+# note\n" in diff and "+KEY=********\n" in diff


def test_a_crash_while_checking_that_the_output_parses_drops_that_fixer_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)

    def broken(path: str, before: str | None, after: str) -> str | None:
        if "two" in after:
            raise AttributeError("'NoneType' object has no attribute 'add_referent'")
        return None

    monkeypatch.setattr(runner_mod, "parse_error", broken)
    result = run(root, [_Appender, _Second], Config(), fix=True)
    assert result.failures == ["a.txt: checking that the output parses crashed: AttributeError: 'NoneType' "
                               "object has no attribute 'add_referent' (SF951 append-two; its changes were dropped)"]
    assert [s.info.code for s in result.steps] == ["SF950"]  # the fixer before it still applies
    assert result.changes["a.txt"].content == "a\none\n"
