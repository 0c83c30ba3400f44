"""The pull request's lifecycle as a user drives it from the command line, against a real bare remote
and the fake GitHub/GitLab of test_gitops_forge: what the body says is still open, how --select narrows
a set, what --dry-run says it would push, and the action's pr mode with its documented arguments."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEN, run_cli
from test_gitops_forge import TOKEN, State, github_env, gitlab_env, server  # noqa: F401  (fixtures)

BOT = "seenfix bot <seenfix-bot@example.com>"


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "U", "GIT_AUTHOR_EMAIL": "u@example.com", "GIT_COMMITTER_NAME": "U",
           "GIT_COMMITTER_EMAIL": "u@example.com", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@pytest.fixture()
def seen(tmp_path: Path) -> Path:
    """The SEEN fixture as a clone of a bare remote whose default branch is main."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    work = tmp_path / "seen"
    shutil.copytree(FIXTURE_SEEN, work)
    _git(work, "init", "-q", "-b", "main")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "initial")
    _git(work, "remote", "add", "origin", remote.as_uri())
    _git(work, "push", "-q", "origin", "main")
    _git(work, "remote", "set-head", "origin", "main")
    return work


def _heads(project: Path) -> list[str]:
    out = _git(project, "ls-remote", "--heads", "origin")
    return sorted(line.split("refs/heads/")[1] for line in out.splitlines())


def _still_open_rows(body: str) -> list[str]:
    still = body.split("## Still open in this set", 1)[1].split("\n---\n", 1)[0]
    return [line for line in still.splitlines() if line.startswith("| `SF")]


def test_the_body_lists_what_is_still_open_with_the_command_for_each(seen: Path, github_env: State) -> None:
    proc = run_cli("apply", "--set", "all", "--pr", "--author", BOT, str(seen))
    assert proc.returncode == 1, proc.stderr
    rows = _still_open_rows(github_env.pulls[0]["body"])
    by_code = {r.split("`")[1]: r for r in rows}
    assert sorted(by_code) == ["SF002", "SF005", "SF008", "SF010", "SF013"]
    for code in ("SF002", "SF005", "SF008"):  # unsafe fixes, not applied without --unsafe-fixes
        assert by_code[code].endswith(f"| unsafe fix, not applied (review it first) | "
                                      f"`seenfix apply --select {code} --unsafe-fixes --pr` |"), by_code[code]
    # lines as in the fixed file the request holds (SF013 runs after the fixers that add lines)
    assert re.match(r"\| `SF013` A stateful service runs as a single instance \| `docker-compose.yml:\d+`, "
                    r"`docker-compose.yml:\d+` \| report only: no automatic fix \| `seenfix explain SF013` \|$",
                    by_code["SF013"]), by_code["SF013"]
    assert by_code["SF010"].endswith("| report only: no automatic fix | `seenfix explain SF010` |")
    assert "and 3 more" in by_code["SF010"]  # 8 TODO comments: five named, the rest counted
    assert "`SF011`" not in "".join(rows)  # fixed by this request's commits


def test_with_unsafe_fixes_only_report_only_findings_are_left_open(seen: Path, github_env: State) -> None:
    proc = run_cli("apply", "--set", "all", "--unsafe-fixes", "--pr", "--author", BOT, str(seen))
    assert proc.returncode == 1, proc.stderr
    rows = _still_open_rows(github_env.pulls[0]["body"])
    assert [r.split("`")[1] for r in rows] == ["SF010", "SF013"]


def test_select_inside_a_set_narrows_it_on_a_branch_of_its_own(seen: Path, github_env: State) -> None:
    whole = run_cli("apply", "--quick-wins", "--pr", "--author", BOT, str(seen))
    assert whole.returncode == 1, whole.stderr
    before = _git(seen, "ls-remote", "origin", "refs/heads/seenfix/quick-wins")
    narrow = run_cli("apply", "--quick-wins", "--select", "SF011,SF007", "--pr", "--author", BOT, str(seen))
    assert narrow.returncode == 1, narrow.stderr
    # the whole set's branch and request are left as they were
    assert _git(seen, "ls-remote", "origin", "refs/heads/seenfix/quick-wins") == before
    assert _heads(seen) == ["main", "seenfix/quick-wins", "seenfix/quick-wins-sf007-sf011"]
    assert len(github_env.pulls) == 2
    assert github_env.pulls[0]["title"] == "fix: apply seenfix quick-wins fixes (SF003, SF006, SF007, SF009, SF011)"
    assert github_env.pulls[1]["head"]["ref"] == "seenfix/quick-wins-sf007-sf011"
    assert github_env.pulls[1]["title"] == "fix: apply seenfix quick-wins fixes (SF007, SF011)"
    log = _git(seen, "log", "--format=%s", "origin/seenfix/quick-wins-sf007-sf011", "^origin/main")
    assert [line.rsplit("(", 1)[1] for line in log.splitlines()] == ["SF011)", "SF007)"]


def test_select_outside_the_set_is_a_usage_error(seen: Path) -> None:
    proc = run_cli("apply", "--quick-wins", "--select", "SF005", "--branch", str(seen))
    assert proc.returncode == 2
    assert "--select SF005: not in the quick-wins set (--select narrows a set" in proc.stderr
    assert run_cli("check", "--set", "p2", "--select", "SF010,SF011", str(seen)).returncode == 2


@pytest.mark.parametrize(("args", "branch"), [
    (["--set", "p1"], "seenfix/p1"),
    (["--set", "p1", "--ignore", "SF005,SF006,SF007"], "seenfix/p1-sf011-sf012"),
    (["--select", "SF012,SF011"], "seenfix/sf011-sf012"),
    ([], "seenfix/all"),
])
def test_branch_names_per_selection(seen: Path, args: list[str], branch: str) -> None:
    proc = run_cli("apply", *args, "--branch", str(seen))
    assert proc.returncode == 1, proc.stderr
    assert f"{branch}: committed" in proc.stderr


def test_dry_run_with_pr_says_what_it_would_push_and_open(seen: Path, github_env: State) -> None:
    proc = run_cli("apply", "--quick-wins", "--dry-run", "--pr", "--author", BOT, str(seen))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("--- /dev/null\n+++ b/.env.production.example\n")  # the diff, as without --pr
    lines = proc.stderr.splitlines()
    head = _git(seen, "rev-parse", "origin/main")[:12]
    assert "dry run: nothing is committed, pushed or opened" in lines
    assert f"would commit 5 commits to seenfix/quick-wins on main ({head}) (one less for each fix the base " \
           "already holds):" in lines
    assert "  fix(compose): add memory and CPU limits (SF011): docker-compose.yml" in lines
    assert "would push seenfix/quick-wins to origin (--force-with-lease; nothing if it already holds this " \
           "result)" in lines
    assert any(line.startswith('would open or update the pull request "fix: apply seenfix quick-wins fixes '
                               '(SF003, SF006, SF007, SF009, SF011)" from seenfix/quick-wins on GitHub') for line in lines)
    assert _heads(seen) == ["main"] and github_env.requests == []  # nothing pushed, no API call
    assert _git(seen, "branch", "--list", "seenfix/*") == ""
    assert not (seen / ".env").exists()


def test_dry_run_with_branch_stops_as_the_real_run_would(seen: Path) -> None:
    (seen / "docker-compose.yml").write_text((seen / "docker-compose.yml").read_text() + "# local edit\n")
    proc = run_cli("apply", "--quick-wins", "--dry-run", "--branch", str(seen))
    assert proc.returncode == 2
    assert "docker-compose.yml: not as in the base" in proc.stderr


# -- masking that keeps output usable --------------------------------------------------------------
COMPOSE = """services:
  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: seen
    volumes:
      - seen-db-data:/var/lib/postgresql/data
  api:
    image: ghcr.io/example/api:1.0
    environment:
      DATABASE_URL: postgresql://app:seen@db:5432/app
      JWT_SECRET: replace-in-production
volumes:
  seen-db-data:
"""


@pytest.fixture()
def moved(tmp_path: Path) -> Path:
    work = tmp_path / "moved"
    work.mkdir()
    (work / "docker-compose.yml").write_text(COMPOSE)
    _git(work, "init", "-q", "-b", "main")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "initial")
    return work


def test_masking_keeps_paths_and_volume_names_that_contain_a_moved_password(moved: Path) -> None:
    from seenfix.engine.run import RunResult

    proc = run_cli("apply", "--select", "SF004", "--dry-run", str(moved))
    assert proc.returncode == 1, proc.stderr
    diff = proc.stdout
    assert "seen-db-data" in diff  # a volume name is not a secret value
    assert "-      POSTGRES_PASSWORD: ********\n" in diff and "postgresql://app:********@db" in diff
    assert "+POSTGRES_PASSWORD=********\n" in diff  # the secret file's value
    result = RunResult(moved, [], secret_values={"seen"})
    url = "merge request !3 created: https://gitlab.example/group/seen/-/merge_requests/3"
    assert result.redact(url) == url


def test_dry_run_without_secrets_is_a_patch_git_apply_accepts(seen: Path) -> None:
    proc = run_cli("apply", "--quick-wins", "--dry-run", "--no-color", str(seen))
    assert proc.returncode == 1, proc.stderr
    check = subprocess.run(["git", "-C", str(seen), "apply", "--check", "-"], input=proc.stdout, text=True,
                           capture_output=True)
    assert check.returncode == 0, check.stderr


def test_patch_file_applies_with_git_apply_and_holds_no_generated_secret(moved: Path, tmp_path: Path) -> None:
    patch = tmp_path / "fix.patch"
    proc = run_cli("apply", "--set", "p0", "--unsafe-fixes", "--patch", str(patch), str(moved))
    assert proc.returncode == 1, proc.stderr
    assert f"wrote the patch to {patch}" in proc.stderr
    assert "not in the patch: .env: holds secret values; `seenfix apply` writes it" in proc.stderr
    assert not (moved / ".env").exists() and _git(moved, "status", "--porcelain") == ""  # nothing written
    assert oct(patch.stat().st_mode & 0o777) == "0o600"
    text = patch.read_text()
    assert "-      POSTGRES_PASSWORD: seen\n" in text  # as the repository holds it: the patch applies
    # The real apply, in a copy, is what the patch must reproduce (bar the untracked .env).
    twin = tmp_path / "twin"
    shutil.copytree(moved, twin)
    assert run_cli("apply", "--set", "p0", "--unsafe-fixes", str(twin)).returncode == 1
    env = (twin / ".env").read_text()
    generated = [line.split("=", 1)[1] for line in env.splitlines() if "=" in line and len(line.split("=", 1)[1]) >= 32]
    assert generated and not any(value in text for value in generated)
    applied = subprocess.run(["git", "-C", str(moved), "apply", str(patch)], capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    for path in ("docker-compose.yml",):
        assert (moved / path).read_text() == (twin / path).read_text()


# -- the action's pr mode with every documented `args` example ----------------------------------------
def test_every_documented_args_example_works_in_pr_mode(seen: Path, github_env: State, tmp_path: Path) -> None:
    from test_ci_integration import documented_args, run_real_action

    for n, args in enumerate(documented_args()):
        code, output, out = run_real_action(tmp_path / f"run{n}", seen, {"mode": "pr", "args": args,
                                                                         "token": TOKEN})
        assert code == 0 and out == "exit-code=1\n", (args, output)  # fixes made: the step succeeds
        assert "pull request #" in output, (args, output)
    heads = _heads(seen)
    assert "seenfix/quick-wins" in heads and "seenfix/quick-wins-sf011" in heads
    assert all(p["state"] == "open" for p in github_env.pulls) and len(github_env.pulls) == 2
