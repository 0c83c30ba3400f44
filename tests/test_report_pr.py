"""The fix pull request's body shows the readiness score before -> after, as ``seenfix report`` computes it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from conftest import FIXTURE_SEEN, git, init_repo, run_cli
from test_gitops_forge import State, github_env, server  # noqa: F401  (fixtures)


def test_pr_body_has_the_before_after_table(tmp_path: Path, github_env: State) -> None:  # noqa: F811
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    work = tmp_path / "seen"
    shutil.copytree(FIXTURE_SEEN, work)
    init_repo(work)
    git(work, "remote", "add", "origin", remote.as_uri())
    git(work, "push", "-q", "origin", "main")

    expected = json.loads(run_cli("report", str(work), "--after", "quick-wins", "--format", "json").stdout)
    proc = run_cli("apply", "--quick-wins", "--pr", "--author", "Bot <bot@example.com>", str(work))
    assert proc.returncode == 1, proc.stderr  # changes made
    body = github_env.pulls[0]["body"]
    table = body.split("before → after this pull request:", 1)[1].split("\n\n", 2)[1]
    rows = re.findall(r"^\| (\*\*Overall\*\*|[A-Z][\w ]+?) \| (\d+)% \| (\d+)% \| ([+-]\d+) \|$", table,
                      flags=re.MULTILINE)
    want = [(r["name"] if r["name"] != "Overall" else "**Overall**", str(r["before"]), str(r["after"]),
             f"{r['delta']:+d}") for r in expected["comparison"] if r["before"] is not None]
    assert rows == want and len(rows) == 7  # six scored categories and the overall score
    assert ("Configuration", "0", "100", "+100") in rows and ("Backup", "0", "0", "+0") in rows
