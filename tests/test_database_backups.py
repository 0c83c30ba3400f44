"""SF008: a backup service where it can be added safely, a clear reason where it cannot."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from conftest import run_cli
from seenfix.editors.compose_schema import is_valid
from seenfix.editors import yaml as Y
from seenfix.fixers.missing_database_backups import MissingDatabaseBackups
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

CASES = Path(__file__).resolve().parent / "fixtures" / "missing-database-backups"
CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "compose"


def _findings(case: str, tmp_path: Path) -> list[tuple[int, bool, str]]:
    shutil.copytree(CASES / case / "before", tmp_path / "r")
    return [(f.line, f.fixable, f.message) for f in MissingDatabaseBackups().check(Project(Workspace(tmp_path / "r")))]


def test_literal_credentials_withhold_the_fix(tmp_path: Path) -> None:
    [(line, fixable, message)] = _findings("literal-credentials-withheld", tmp_path)
    assert (line, fixable) == (6, False)
    assert "POSTGRES_USER, POSTGRES_PASSWORD are literals here: run SF004 first" in message


def test_docker_secrets_withhold_the_fix(tmp_path: Path) -> None:
    [(_line, fixable, message)] = _findings("docker-secrets-withheld", tmp_path)
    assert not fixable and "credentials come from files" in message


def test_existing_backup_service_is_enough(tmp_path: Path) -> None:
    assert _findings("already-backed-up", tmp_path) == []


def test_p0_moves_credentials_then_adds_backups(seen_repo: Path) -> None:
    proc = run_cli("apply", "--set", "p0", "--unsafe-fixes", "--dry-run", str(seen_repo))
    assert proc.returncode == 1, proc.stderr
    assert '+      POSTGRES_PASSWORD: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"' in proc.stdout
    assert "+  postgres-backup:" in proc.stdout and "+/backups/" in proc.stdout


@pytest.mark.skipif(not (CORPUS / "files").is_dir(), reason=f"compose corpus not found at {CORPUS}")
def test_corpus() -> None:
    fixer = MissingDatabaseBackups()
    reported = fixed = 0
    for f in sorted((CORPUS / "files").iterdir()):
        text = f.read_text()
        planned = fixer._plan(f.name, text)
        if planned is None:
            continue
        reported += 1
        doc, _db, plan, _msg = planned
        if plan is None:
            continue
        new = plan.apply(text)
        assert fixer.verify(f.name, text, new) is None, f.name
        ops = difflib.SequenceMatcher(a=text.splitlines(), b=new.splitlines(), autojunk=False).get_opcodes()
        assert all(op[0] in ("equal", "insert") for op in ops), f.name
        if is_valid(Y.to_plain(doc.data)):
            assert is_valid(Y.to_plain(Y.load(new, f.name).data)), f.name
        assert fixer._plan(f.name, new) is None, f"{f.name}: a second run would add another service"
        fixed += 1
    print(f"\nSF008 corpus: {reported} files with an unprotected PostgreSQL, {fixed} fixable")
    assert reported >= 3
