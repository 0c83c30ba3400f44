"""The GitHub Action, the pre-commit hook and the CI examples in docs/ci.md."""

from __future__ import annotations

import json
import os
import re
import shutil
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


def documented_args() -> list[str]:
    """Every ``args`` example the action and docs/ci.md give (backticked in the input's description,
    or ``args:`` in a workflow example)."""
    found = re.findall(r"`([^`]+)`", ACTION["inputs"]["args"]["description"])
    found += re.findall(r"^\s*args: (.+)$", (REPO / "docs" / "ci.md").read_text(), flags=re.MULTILINE)
    return list(dict.fromkeys(a.strip().strip('"') for a in found))


def run_real_action(tmp_path: Path, project: Path, inputs: dict[str, str]) -> tuple[int, str, str]:
    """The action's "Run seenfix" step with the real seenfix of this checkout."""
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "run")
    bindir = tmp_path / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    (bindir / "seenfix").write_text(f'#!/bin/sh\nexec {sys.executable} -m seenfix "$@"\n')
    (bindir / "seenfix").chmod(0o755)
    out = tmp_path / "out"
    out.write_text("")
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(out),
           "RUNNER_TEMP": str(tmp_path)}
    for name, value in step["env"].items():
        key = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", value)
        assert key, value
        env[name] = inputs.get(key.group(1), ACTION["inputs"][key.group(1)].get("default", ""))
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, cwd=project, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr, out.read_text()


def test_every_documented_args_example_works_in_check_mode(tmp_path: Path) -> None:
    from conftest import FIXTURE_SEEN

    examples = documented_args()
    assert "--unsafe-fixes" in examples and "--select SF011" in examples
    project = tmp_path / "ws"
    shutil.copytree(FIXTURE_SEEN, project / "app")
    for n, args in enumerate(examples):
        code, output, out = run_real_action(tmp_path, project, {"mode": "check", "set": "all", "args": args,
                                                                "path": "app"})
        assert code == 1 and out == "exit-code=1\n", (args, output)
        assert "::warning file=app/docker-compose.yml,line=6,col=3,title=SF011" in output, (args, output)


def test_action_check_mode_writes_sarif_for_upload(tmp_path: Path) -> None:
    from conftest import FIXTURE_SEEN

    project = tmp_path / "ws"
    shutil.copytree(FIXTURE_SEEN, project)
    code, output, out = run_real_action(tmp_path, project, {"mode": "check", "sarif": "true", "fail-on": "low",
                                                            "set": "p2"})
    assert code == 1, output
    sarif = tmp_path / "seenfix.sarif"
    assert out == f"sarif-file={sarif}\nexit-code=1\n"
    doc = json.loads(sarif.read_text())
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"SF010", "SF013"}
    upload = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.run.outputs.sarif-file }}"
    assert "always()" in upload["if"] and "inputs.sarif == 'true'" in upload["if"]
    quiet = run_real_action(tmp_path, project, {"mode": "check", "set": "p2"})  # fail-on fixable: report-only
    assert quiet[0] == 0 and "::notice file=backend/app/api/downloads.py" in quiet[1]


def test_action_documents_its_permissions_and_the_token_caveat() -> None:
    header = (REPO / "action.yml").read_text().split("\nname:", 1)[0]
    assert "contents: write" in header and "pull-requests: write" in header
    assert "GitHub does not start\n# workflows for events caused by GITHUB_TOKEN" in header
    assert ACTION["runs"]["using"] == "composite"
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Install seenfix")
    assert '"${PACKAGE:-$GITHUB_ACTION_PATH}"' in install["run"]


def test_pre_commit_hooks() -> None:
    hooks = load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hooks == [{
        "id": "seenfix-check", "name": "seenfix check", "entry": "seenfix check", "language": "python",
        "pass_filenames": False, "require_serial": True, "description": hooks[0]["description"],
    }, {
        "id": "seenfix-fix", "name": "seenfix fix", "entry": "seenfix apply --force", "language": "python",
        "pass_filenames": False, "require_serial": True, "description": hooks[1]["description"],
    }]


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's own cache for this module: the hook environment is built once, from this checkout."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(project: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` with this repository, as a user tries the hooks before adding them.
    pre-commit installs the checkout (and uncommitted changes) into its own virtualenv with pip."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "SKIP": ""}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--all-files",
                           "--verbose"], cwd=project, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_pre_commit_try_repo_passes_on_the_fixed_fixture(tmp_path: Path, pre_commit_home: Path) -> None:
    from conftest import FIXTURE_SEEN, init_repo, run_cli

    project = tmp_path / "seen"
    shutil.copytree(FIXTURE_SEEN, project)
    init_repo(project)
    before = _try_repo(project, "seenfix-check", pre_commit_home)
    assert before.returncode == 1, before.stdout + before.stderr  # fixable findings block the commit
    assert "docker-compose.yml:6:3: SF011 [*]" in before.stdout
    fix = _try_repo(project, "seenfix-fix", pre_commit_home)
    assert fix.returncode == 1 and "files were modified by this hook" in fix.stdout, fix.stdout + fix.stderr
    commit = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
              "commit", "-q", "-m", "fixed"]
    subprocess.run(["git", "-C", str(project), "add", "-A"], check=True)  # .env stays ignored
    subprocess.run(commit, check=True)
    assert ".env" not in subprocess.run(["git", "-C", str(project), "ls-files"], capture_output=True, text=True,
                                        check=True).stdout.split()
    fixed = run_cli("apply", "--set", "all", "--unsafe-fixes", str(project))  # what the hook left: unsafe ones
    assert fixed.returncode == 1, fixed.stderr
    subprocess.run(["git", "-C", str(project), "add", "-A"], check=True)
    subprocess.run(commit, check=True)
    left = run_cli("check", "--format", "json", "--fail-on", "low", str(project))
    codes = {f["code"] for f in json.loads(left.stdout)["findings"]}
    assert {"SF010", "SF013"} <= codes and left.returncode == 1  # report-only findings remain
    for hook in ("seenfix-check", "seenfix-fix"):
        proc = _try_repo(project, hook, pre_commit_home)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Passed" in proc.stdout
    check = _try_repo(project, "seenfix-check", pre_commit_home)
    assert "SF010 TODO comment" in check.stdout  # shown, not failing


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
