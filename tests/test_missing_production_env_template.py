"""SF006 beyond the fixture cases: the overlay of earlier fixers, findings, never a value, the merge."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from seenfix.analysis.env_template import assigned_names, merge, parse_groups
from seenfix.fixers.missing_production_env_template import MissingProductionEnvTemplate
from seenfix.core.model import FileChange
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

COMPOSE = """\
services:
  backend:
    build: ./backend
    environment:
      JWT_SECRET: replace-in-production
      DATABASE_URL: postgresql://seen:seen@db/seen
"""
CONFIG = """\
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    jwt_secret: str = "replace-in-production"
    metrics_url: str = "https://user:hunter2@metrics.example/push"
"""


def _project(tmp_path: Path, extra: dict[str, str] | None = None) -> Project:
    files = {"docker-compose.yml": COMPOSE, "backend/pyproject.toml": "[project]\nname='b'\n",
             "backend/app/config.py": CONFIG, **(extra or {})}
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return Project(Workspace(tmp_path))


def _template(project: Project, fixer: MissingProductionEnvTemplate | None = None) -> str:
    fixer = fixer or MissingProductionEnvTemplate()
    changes = {c.path: c for c in fixer.fix(project)}
    content = changes[fixer.template_path].content
    assert content is not None
    return content


def _line_of(text: str, name: str) -> tuple[str, str]:
    lines = text.splitlines()
    i = assigned_names(text)[name]
    return lines[i - 1], lines[i]


def test_sees_what_earlier_fixers_changed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    comment, line = _line_of(_template(project), "JWT_SECRET")
    assert comment.startswith("# JWT_SECRET (optional, secret: generate one with `seenfix secret`")
    # SF001 ran before in the same run: its compose edit is in the overlay, not on disk
    fixed = COMPOSE.replace("replace-in-production", "${JWT_SECRET:?set JWT_SECRET in .env}")
    after_sf001 = project.with_changes([FileChange("docker-compose.yml", fixed)])
    comment, line = _line_of(_template(after_sf001), "JWT_SECRET")
    assert comment.startswith("# JWT_SECRET (required, secret: generate one with `seenfix secret`)")
    assert comment.endswith("read in docker-compose.yml (service backend), backend/app/config.py (Settings.jwt_secret)")
    assert line == "JWT_SECRET="


def test_never_writes_a_secret_or_a_password(tmp_path: Path) -> None:
    text = _template(_project(tmp_path))
    assert "replace-in-production" not in text
    assert "hunter2" not in text and "seen:seen" not in text
    assert _line_of(text, "METRICS_URL")[1] == "# METRICS_URL='https://user:****@metrics.example/push'"


def test_findings(tmp_path: Path) -> None:
    project = _project(tmp_path)
    fixer = MissingProductionEnvTemplate()
    assert [(f.path, f.line, f.message) for f in fixer.check(project)] == [
        (".env.production.example", 1, ".env.production.example does not exist: the deployment reads 2 "
                                       "environment variables (0 required) that no template lists"),
        (".gitignore", 1, ".env.production is not git-ignored"),
    ]
    template = _template(project).replace("# METRICS_URL (optional", "# METRICS_URL (edited by hand")
    template = template.replace("# === backend ===\n", "# === backend ===\n# OLD_VAR (optional): read in x.py\nOLD_VAR=1\n")
    (tmp_path / ".env.production.example").write_text(template)
    (tmp_path / ".gitignore").write_text(".env.production\n")
    (tmp_path / "backend/app/config.py").write_text(CONFIG + "    page_size: int = 50\n")
    project = Project(Workspace(tmp_path))
    assert [(f.path, f.line, f.message) for f in fixer.check(project)] == [
        ("backend/app/config.py", 7, "PAGE_SIZE is read here but missing from .env.production.example"),
        (".env.production.example", 10, "OLD_VAR is listed in .env.production.example but no longer read by the code"),
    ]


def test_no_variables_no_findings(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx\n")
    project = Project(Workspace(tmp_path))
    assert list(MissingProductionEnvTemplate().check(project)) == []
    assert list(MissingProductionEnvTemplate().fix(project)) == []


def test_path_option(tmp_path: Path) -> None:
    fixer = MissingProductionEnvTemplate({"path": "deploy/prod.env.example"})
    assert fixer.target == "deploy/prod.env"
    changes = {c.path for c in fixer.fix(_project(tmp_path))}
    assert changes == {"deploy/prod.env.example", ".gitignore"}


# -- the merge (editor) ------------------------------------------------------------------------

RENDERED = """\
# header

# === api ===
# A (required): read in c.yml
A=
# B (optional, default '1'): read in c.yml
# B=1

# === web ===
# VITE_X (optional): read in a.ts
# VITE_X=
"""


def _rendered(read: list[str]) -> str:
    """RENDERED as the fixer would render it when only ``read`` are read (empty groups dropped)."""
    out = ["# header\n"]
    for group in parse_groups(RENDERED):
        entries = [lines for name, lines in group.entries if name in read]
        if entries:
            out += ["\n", f"# === {group.title} ===\n", *(ln + "\n" for lines in entries for ln in lines)]
    return "".join(out)


def test_rendered_helper() -> None:
    assert _rendered(["A", "B", "VITE_X"]) == RENDERED


def test_parse_groups() -> None:
    groups = parse_groups(RENDERED)
    assert [(g.title, [n for n, _ in g.entries]) for g in groups] == [("api", ["A", "B"]), ("web", ["VITE_X"])]


@pytest.mark.parametrize("nl", ["\n", "\r\n"])
@pytest.mark.parametrize("final", [True, False])
def test_merge_of_an_up_to_date_file_is_the_identity(nl: str, final: bool) -> None:
    text = RENDERED.replace("\n", nl)
    if not final:
        text = text.rstrip(nl)
    assert merge(text, RENDERED, ["A", "B", "VITE_X"]) == text


def test_merge_only_inserts_lines() -> None:
    existing = RENDERED.replace("A=\n", "A=set-by-me  # mine\n").replace("# === web ===\n", "# === web ===\n# notes\n")
    rendered = RENDERED.replace("# B=1\n", "# B=1\n# C (required): read in c.yml\nC=\n") + "\n# === worker ===\n# W (required): read in w.yml\nW=\n"
    out = merge(existing, rendered, ["A", "B", "C", "VITE_X", "W"])
    diff = [d for d in difflib.ndiff(existing.splitlines(), out.splitlines()) if d[:1] in "+-"]
    assert diff == ["+ # C (required): read in c.yml", "+ C=", "+ ", "+ # === worker ===",
                    "+ # W (required): read in w.yml", "+ W="]
    assert merge(out, rendered, ["A", "B", "C", "VITE_X", "W"]) == out


def test_merge_marks_then_unmarks() -> None:
    marked = merge(RENDERED, RENDERED, ["A", "VITE_X"])
    assert "# seenfix: B is no longer read by the code\n# B (optional" in marked
    assert merge(marked, RENDERED, ["A", "VITE_X"]) == marked
    assert merge(marked, RENDERED, ["A", "B", "VITE_X"]) == RENDERED


def test_merge_leaves_hand_written_variables_alone() -> None:
    existing = RENDERED + "MINE=1\n"
    assert merge(existing, RENDERED, ["A", "B", "VITE_X"]) == existing


def test_merge_into_a_missing_or_empty_file() -> None:
    assert merge(None, RENDERED, ["A"]) == RENDERED
    assert merge("", RENDERED, ["A"]) == RENDERED


def test_seen_with_the_secret_fixers_in_the_same_run(seen_repo: Path) -> None:
    """SF001 and SF004 run first: the variables they make required are required in the template."""
    from seenfix.core.config import load_config
    from seenfix.core.registry import load
    from seenfix.engine.run import run

    reg = load()
    fixers = [reg.find(code) for code in ("SF001", "SF004", "SF006")]
    if None in fixers:
        pytest.skip("SF001/SF004 are not installed in this checkout")
    result = run(seen_repo, [f for f in fixers if f is not None], load_config(seen_repo, reg), fix=True)
    assert not result.failures and not result.problems
    content = result.changes[".env.production.example"].content
    assert content is not None
    for name in ("JWT_SECRET", "POSTGRES_PASSWORD", "TMDB_API_KEY"):
        comment, line = _line_of(content, name)
        assert comment.startswith(f"# {name} (required, secret:"), comment
        assert line == f"{name}="
    assert "replace-in-production" not in content


def test_merge_keeps_every_existing_line_in_order() -> None:
    """Seeded random edits of a rendered template: the merge only inserts, and is idempotent."""
    import random

    rng = random.Random(6)
    base = RENDERED.splitlines(keepends=True)
    names = ["A", "B", "VITE_X"]
    for _ in range(300):
        lines = [ln for ln in base if rng.random() > 0.3]
        if rng.random() < 0.5:
            lines.insert(rng.randrange(len(lines) + 1), "USER_LINE=1\n")
        existing = "".join(lines)
        if rng.random() < 0.3:
            existing = existing.rstrip("\n")
        crlf = rng.random() < 0.3 and "\n" in existing
        if crlf:
            existing = existing.replace("\n", "\r\n")
        read = [n for n in names if rng.random() > 0.3]
        rendered = _rendered(read)
        out = merge(existing, rendered, read)
        kept = iter(out.splitlines())
        assert all(any(ln == o for o in kept) for ln in existing.splitlines()
                   if not ln.startswith("# seenfix: ")), (existing, out)
        assert merge(out, rendered, read) == out, (existing, read)
        assert out.endswith("\n") == existing.endswith("\n") or not existing
        if crlf:
            assert out.count("\n") == out.count("\r\n"), out
