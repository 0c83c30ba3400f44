"""``seenfix report --after`` on every real input of ``../shared/corpus``: the in-memory "after" is what
``apply`` then writes, and the report never crashes.

Each corpus input is placed as a project; the report's ``after`` (fix set applied in memory) must
equal the ``before`` of a report on a copy where ``apply`` really wrote the same fix set.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from seenfix.cli.app import cli
from seenfix.core.redaction import MASK
from tests.test_mutated_inputs import CASES, CORPUS
from tests.test_second_run import make_project


def _report(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["report", str(root), "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 3), result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, doc


def _state(card: dict[str, Any], masked: set[tuple[str, str, int]] = set()) -> Any:
    """Scores, statuses and findings; a message the report masked (a moved password that is also a
    service's name, say) is compared by place only: the disk run never knew that value."""
    return ([(c["name"], c["score"], [(k["code"], k["status"], k["findings"]) for k in c["checks"]])
             for c in card["categories"]], card["overall"],
            sorted((f["code"], f["path"], f["line"],
                    "" if (f["code"], f["path"], f["line"]) in masked else f["message"]) for f in card["findings"]))


@pytest.mark.slow
@pytest.mark.skipif(not CASES, reason=f"the shared corpus is absent ({CORPUS})")
@pytest.mark.parametrize(("name", "source", "dest"), CASES, ids=[c[0] for c in CASES])
def test_in_memory_after_is_what_apply_writes(name: str, source: Path, dest: str, tmp_path: Path) -> None:
    project = make_project(source, dest, tmp_path / "p")
    code, doc = _report(project, "--after", "all", "--unsafe-fixes")
    for card in (doc["before"], doc["after"]):
        for cat in card["categories"]:
            assert cat["score"] is None or 0 <= cat["score"] <= 100
    applied = tmp_path / "applied"
    shutil.copytree(project, applied)
    result = CliRunner().invoke(cli, ["apply", str(applied), "--set", "all", "--unsafe-fixes", "--force"])
    assert result.exit_code in (0, 1, 3), result.output
    _, again = _report(applied)
    masked = {(f["code"], f["path"], f["line"]) for f in doc["after"]["findings"] if MASK in f["message"]}
    assert _state(again["before"], masked) == _state(doc["after"], masked)
