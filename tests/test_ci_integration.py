"""The GitHub Action, the pre-commit hook and the CI examples in docs/ci.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


ACTION = load((REPO / "action.yml").read_text())


def run_action_script(tmp_path: Path, inputs: dict[str, str], exit_code: int) -> tuple[int, list[str], str]:
    """Run the action's "Run seenfix" step with a stand-in ``seenfix`` that records its arguments."""
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "run")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "seenfix"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > {tmp_path}/args\nexit {exit_code}\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(tmp_path / "out")}
    for name, value in step["env"].items():
        key = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", value)
        assert key, value
        given = inputs.get(key.group(1), ACTION["inputs"][key.group(1)].get("default", ""))
        env[name] = given
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], env=env)
    return proc.returncode, (tmp_path / "args").read_text().splitlines(), (tmp_path / "out").read_text()


def test_action_opens_the_pull_request_and_treats_fixes_as_success(tmp_path: Path) -> None:
    code, args, out = run_action_script(tmp_path, {"token": "t", "labels": "seenfix,deps", "base": "develop"}, 1)
    assert code == 0 and out == "exit-code=1\n"
    assert args == ["apply", "--set", "quick-wins", "--pr", "--author",
                    "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>",
                    "--base", "develop", "--label", "seenfix", "--label", "deps", "."]


@pytest.mark.parametrize(("mode", "seenfix_exit", "step_exit"), [
    ("pr", 0, 0), ("pr", 2, 2), ("pr", 3, 3), ("check", 0, 0), ("check", 1, 1),
])
def test_action_exit_codes(tmp_path: Path, mode: str, seenfix_exit: int, step_exit: int) -> None:
    code, args, _ = run_action_script(tmp_path, {"mode": mode, "set": "p0", "args": "--select SF011"},
                                      seenfix_exit)
    assert code == step_exit
    assert args[:3] == (["check", "--set", "p0"] if mode == "check" else ["apply", "--set", "p0"])
    assert args[-3:] == ["--select", "SF011", "."]


def test_action_documents_its_permissions_and_the_token_caveat() -> None:
    header = (REPO / "action.yml").read_text().split("\nname:", 1)[0]
    assert "contents: write" in header and "pull-requests: write" in header
    assert "GitHub does not start\n# workflows for events caused by GITHUB_TOKEN" in header
    assert ACTION["runs"]["using"] == "composite"
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Install seenfix")
    assert '"${PACKAGE:-$GITHUB_ACTION_PATH}"' in install["run"]


def test_pre_commit_hook() -> None:
    hooks = load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hooks == [{
        "id": "seenfix-check", "name": "seenfix check", "entry": "seenfix check", "language": "python",
        "pass_filenames": False, "require_serial": True, "description": hooks[0]["description"],
    }]


def test_ci_examples_are_valid_yaml_with_the_permissions() -> None:
    text = (REPO / "docs" / "ci.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    workflow = load(blocks[0])
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert [s.get("uses", "").split("@")[0] for s in workflow["jobs"]["fix"]["steps"]] == [
        "actions/checkout", "OWNER/seenfix"]
    gitlab = next(load(b) for b in blocks if "seenfix:" in b and "script" in b)
    assert "seenfix apply --quick-wins --pr" in gitlab["seenfix"]["script"][0]
    for block in blocks:
        load(block)


def test_a_skipped_test_fails_the_run_under_ci(tmp_path: Path) -> None:
    """.ci/run sets SEENFIX_FORBID_SKIPS=1: there a skip (a missing package, a missing corpus) fails
    the run instead of shrinking the suite; elsewhere it stays a skip."""
    tests = Path(__file__).resolve().parent
    (tmp_path / "conftest.py").write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('seenfix_tests_conftest', {str(tests / 'conftest.py')!r})\n"
        "module = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(module)\n"
        "pytest_sessionfinish = module.pytest_sessionfinish\n")
    (tmp_path / "test_one.py").write_text("import pytest\n\ndef test_x() -> None:\n    pytest.skip('gone')\n")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "SEENFIX_FORBID_SKIPS"}
    assert subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True).returncode == 0
    strict = subprocess.run(cmd, cwd=tmp_path, env={**env, "SEENFIX_FORBID_SKIPS": "1"}, capture_output=True,
                            text=True)
    assert strict.returncode == 1 and "1 test(s) skipped, failing the run" in strict.stderr
