"""list, check, apply --dry-run and apply, end to end on fixtures/seen, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git, run_cli
from seenfix.core.registry import load
from seenfix.engine.verify import parse_error

QUICK_WINS = {"SF003", "SF006", "SF007", "SF009", "SF011"}


def _installed() -> set[str]:
    return set(load().codes())


def test_check_finds_every_installed_fixers_problem(seen_repo: Path) -> None:
    proc = run_cli("check", "--format", "json", str(seen_repo))
    assert proc.returncode == 1, proc.stderr
    assert "error:" not in proc.stderr, proc.stderr
    found = {f["code"] for f in json.loads(proc.stdout)["findings"]}
    expected = _installed() & (QUICK_WINS | {"SF001", "SF004", "SF010"})
    assert expected <= found, f"no finding for {sorted(expected - found)}"


def test_quick_wins_dry_run_then_apply_then_nothing_left(seen_repo: Path) -> None:
    dry = run_cli("apply", "--quick-wins", "--dry-run", str(seen_repo))
    assert dry.returncode == 1, dry.stderr
    assert "error:" not in dry.stderr, dry.stderr
    assert git(seen_repo, "status", "--porcelain") == ""  # a dry run writes nothing
    touched = {line[6:] for line in dry.stdout.splitlines() if line.startswith("+++ b/")}
    assert touched

    applied = run_cli("apply", "--quick-wins", str(seen_repo))
    assert applied.returncode == 1, applied.stderr
    status = git(seen_repo, "status", "--porcelain", "--untracked-files=all")
    changed = {line[3:] for line in status.splitlines()}
    assert changed == touched
    for rel in changed:
        assert parse_error(rel, None, (seen_repo / rel).read_text()) is None, rel

    git(seen_repo, "add", "-A")
    git(seen_repo, "commit", "-qm", "quick wins")
    again = run_cli("apply", "--quick-wins", "--dry-run", str(seen_repo))
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout == ""
    remaining = json.loads(run_cli("check", "--quick-wins", "--format", "json", str(seen_repo)).stdout)
    assert [f for f in remaining["findings"] if f["fixable"]] == []


def test_list_names_every_installed_fixer() -> None:
    proc = run_cli("list", env={"SEENFIX_NO_CACHE": "1"})
    assert proc.returncode == 0
    codes = {line.split()[0] for line in proc.stdout.splitlines()}
    assert codes == _installed()


def test_every_fixer_together_converges_in_one_run(seen_repo: Path) -> None:
    """Fixers run in (phase, code) order: secrets move first, services are added before the
    per-service fixers, the env template comes last; so one run leaves nothing for a second."""
    applied = run_cli("apply", "--set", "all", "--unsafe-fixes", str(seen_repo))
    assert applied.returncode == 1, applied.stderr
    assert "error:" not in applied.stderr, applied.stderr
    order = [line.split()[1] for line in applied.stderr.splitlines() if line.startswith("fixed ")]
    assert order[:2] == ["SF001", "SF004"] and order[2:4] == ["SF002", "SF008"] and order[-1] == "SF006", order
    again = run_cli("apply", "--set", "all", "--unsafe-fixes", "--dry-run", str(seen_repo))
    assert again.returncode == 0, again.stdout + again.stderr
    compose = (seen_repo / "docker-compose.yml").read_text()
    backup = compose.split("  postgres-backup:", 1)[1]
    assert "logging: *default-logging" in backup and "memory: 256M" in backup
    assert "pg_isready" not in backup  # its image has its own HEALTHCHECK; it runs no server
    certbot = compose.split("  certbot:", 1)[1].split("\n  postgres-backup:", 1)[0]
    assert "logging: *default-logging" in certbot and "memory:" in certbot  # added by SF002, then treated
    conf = (seen_repo / "frontend" / "nginx.conf").read_text()
    assert "listen 443 ssl http2;" in conf and "Strict-Transport-Security" in conf  # SF002, then SF003


def test_every_fixer_on_a_fix_branch_in_one_run(seen_repo: Path) -> None:
    """SEEN's database password is ``seen``, also its database's name, which SF004 leaves and SF008
    copies: the branch is built on the first run (the leak guard once refused it), holds no
    generated secret, and the working tree is untouched but for the untracked .env, which git ignores
    there (through .git/info/exclude: the .gitignore rule is only on the branch)."""
    head = git(seen_repo, "rev-parse", "HEAD")
    proc = run_cli("apply", "--set", "all", "--unsafe-fixes", "--branch", str(seen_repo))
    assert proc.returncode == 1, proc.stderr
    assert "error:" not in proc.stderr and "seenfix/all: committed" in proc.stderr, proc.stderr
    assert git(seen_repo, "status", "--porcelain", "--ignored").strip() == "!! .env"
    git(seen_repo, "check-ignore", "-q", ".env")
    assert git(seen_repo, "rev-parse", "HEAD") == head
    jwt = next(line.split("=", 1)[1] for line in (seen_repo / ".env").read_text().splitlines()
               if line.startswith("JWT_SECRET="))
    assert len(jwt) >= 32
    assert git(seen_repo, "log", "-p", "seenfix/all", "-G", jwt, "--format=%H") == ""
    compose = git(seen_repo, "show", "seenfix/all:docker-compose.yml")
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in compose and "postgres-backup:" in compose
    again = run_cli("apply", "--set", "all", "--unsafe-fixes", "--branch", str(seen_repo))
    assert "already up to date" in again.stderr, again.stderr


def test_a_fix_branch_never_carries_uncommitted_work(seen_repo: Path) -> None:
    compose = seen_repo / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("services:", "services:\n  # WIP, not committed", 1))
    proc = run_cli("apply", "--set", "all", "--unsafe-fixes", "--branch", str(seen_repo))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: docker-compose.yml: not as in the base (main): uncommitted"), proc.stderr
    assert git(seen_repo, "branch", "--list", "seenfix/*") == ""
    assert not (seen_repo / ".env").exists()  # nothing written either: the secrets wait for the branch
    assert git(seen_repo, "status", "--porcelain").strip() == "M docker-compose.yml"
