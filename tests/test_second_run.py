"""A second ``apply`` of every fixer changes nothing, on every real input of ``../shared/corpus``.

Each fixer is checked for idempotence on its own output by the runner; this checks the whole run:
a fixer must not leave work for one that ran before it (SF008's backup service once copied the
postgres image's default user name, which SF004, run first, would have moved on the next run).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import git, init_repo
from seenfix.cli.app import cli
from tests.test_mutated_inputs import CASES, CORPUS


def make_project(source: Path, dest: str, project: Path) -> Path:
    """A corpus input as a project: one file placed at ``dest``, or (``dest`` empty) a whole folder."""
    if dest:
        (project / dest).parent.mkdir(parents=True)
        shutil.copyfile(source, project / dest)
    else:
        shutil.copytree(source, project)
    return project


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
@pytest.mark.skipif(not CASES, reason=f"the shared corpus is absent ({CORPUS})")
@pytest.mark.parametrize(("name", "source", "dest"), CASES, ids=[c[0] for c in CASES])
def test_a_second_apply_changes_nothing(name: str, source: Path, dest: str, tmp_path: Path) -> None:
    project = make_project(source, dest, tmp_path / "p")
    runner = CliRunner()
    first = runner.invoke(cli, ["apply", "--unsafe-fixes", str(project)])
    assert first.exit_code in (0, 1, 3), first.output
    after_first = snapshot(project)
    second = runner.invoke(cli, ["apply", "--unsafe-fixes", str(project)])
    now = snapshot(project)
    changed = sorted(k for k in now.keys() | after_first.keys() if now.get(k) != after_first.get(k))
    assert changed == [], second.output
    assert second.exit_code in (0, 3), second.output  # 1 would mean it changed something


@pytest.mark.slow
@pytest.mark.skipif(not CASES, reason=f"the shared corpus is absent ({CORPUS})")
@pytest.mark.parametrize(("name", "source", "dest"), CASES, ids=[c[0] for c in CASES])
def test_every_fixer_on_a_fix_branch(name: str, source: Path, dest: str, tmp_path: Path) -> None:
    """The fix branch is built on the first run from every real input (its leak guard once refused
    weak passwords such as ``postgres`` that are also service names), holds no generated secret, and
    a second run finds it up to date."""
    project = make_project(source, dest, tmp_path / "p")
    init_repo(project)
    runner = CliRunner()
    first = runner.invoke(cli, ["apply", "--set", "all", "--unsafe-fixes", "--branch", str(project)])
    assert "refusing" not in first.output and "Traceback" not in first.output, first.output
    assert first.exit_code in (0, 1, 3), first.output
    if "seenfix/all: committed" not in first.output:
        assert "nothing to commit" in first.output or "nothing to change" in first.output, first.output
        return
    generated = [line.split("=", 1)[1] for env in project.rglob(".env") if env.is_file()
                 for line in env.read_text().splitlines() if "=" in line and len(line.split("=", 1)[1]) >= 40]
    history = git(project, "log", "-p", "seenfix/all", "--format=%H")
    assert not [g for g in generated if g in history]
    second = runner.invoke(cli, ["apply", "--set", "all", "--unsafe-fixes", "--branch", str(project)])
    assert "already up to date" in second.output, second.output
