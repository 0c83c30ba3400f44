"""SF013 reports single-instance stateful services, and stays quiet where replication is set up."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURE_SEEN
from seenfix.fixers.single_point_of_failure import SinglePointOfFailure
from seenfix.core.model import InputError
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "compose"


def _messages(root: Path) -> list[str]:
    return [f"{f.path}:{f.line}: {f.message}" for f in SinglePointOfFailure().check(Project(Workspace(root)))]


def test_seen_has_one_postgres_and_one_dragonfly() -> None:
    assert _messages(FIXTURE_SEEN) == [
        "docker-compose.yml:6: `postgres` is the only PostgreSQL instance: if its host or volume fails, "
        "the application is down",
        "docker-compose.yml:19: `dragonfly` is the only Dragonfly instance: if its host or volume fails, "
        "the application is down",
    ]


@pytest.mark.parametrize(
    "compose",
    [
        "services:\n  a:\n    image: postgres:16\n  b:\n    image: postgres:16\n",
        "services:\n  c:\n    image: docker.dragonflydb.io/dragonflydb/dragonfly\n    command: --replicaof primary:6379\n",
        "services:\n  p:\n    image: bitnami/postgresql-repmgr:16\n",
        "services:\n  r:\n    image: redis:7\n    deploy:\n      replicas: 3\n",
        "services:\n  web:\n    image: nginx\n",
    ],
)
def test_replicated_or_stateless_is_quiet(tmp_path: Path, compose: str) -> None:
    (tmp_path / "docker-compose.yml").write_text(compose)
    assert _messages(tmp_path) == []


@pytest.mark.skipif(not (CORPUS / "files").is_dir(), reason=f"compose corpus not found at {CORPUS}")
def test_corpus_is_read_without_errors(tmp_path: Path) -> None:
    fixer = SinglePointOfFailure()
    project = Project(Workspace(tmp_path))
    reported = 0
    for f in sorted((CORPUS / "files").iterdir()):
        try:
            reported += len(list(fixer.check_file(f.name, f.read_text(), project)))
        except InputError as exc:  # pragma: no cover - would be a parser regression
            pytest.fail(f"{f.name}: {exc}")
    print(f"\nSF013 corpus: {reported} single-instance stateful services")
    assert reported >= 10
