"""Documentation lives in the fixers: every docstring has ruff's sections, README lists every fixer."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from seenfix.core.model import Fixer
from seenfix.core.registry import load

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options", "References"]
REGISTRY = load()
FIXERS = list(REGISTRY.fixers)


def test_builtin_fixers_all_load() -> None:
    assert not REGISTRY.failures, [f.line() for f in REGISTRY.failures]
    assert FIXERS


@pytest.mark.parametrize("fixer", FIXERS, ids=[f.code for f in FIXERS])
def test_docstring_has_sections_in_order(fixer: type[Fixer]) -> None:
    info = fixer.info()
    headings = re.findall(r"^## (.+)$", info.doc, flags=re.MULTILINE)
    assert headings == SECTIONS, f"{info.code}: {headings}"
    for name in SECTIONS:
        body = info.doc.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        assert body.strip(), f"{info.code}: section {name!r} is empty"
    options_text = info.doc.split("## Options", 1)[1].split("## References", 1)[0]
    for opt in info.options:
        assert f"`{opt.name}`" in options_text, f"{info.code}: option {opt.name} is not documented"
    assert re.fullmatch(r"SF\d{3}", info.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", info.slug)
    assert not info.summary.endswith(".")
    assert info.fix_title and not info.fix_title.endswith(".")
    assert info.area


def _table() -> str:
    rows = ["| Code | Slug | Fix | Sets | Summary |", "|------|------|-----|------|---------|"]
    order = ["quick-wins", "p0", "p1", "p2"]
    for f in FIXERS:
        i = f.info()
        sets = ", ".join(s for s in order if s in i.sets) or "all"
        rows.append(f"| {i.code} | `{i.slug}` | {i.fix_availability.value} | {sets} | {i.summary} |")
    return "\n".join(rows)


def test_readme_lists_every_fixer() -> None:
    readme = (REPO / "README.md").read_text()
    start, end = "<!-- fixers:start -->\n", "\n<!-- fixers:end -->"
    current = readme.split(start, 1)[1].split(end, 1)[0]
    expected = _table()
    if current != expected and os.environ.get("SEENFIX_UPDATE_README"):
        (REPO / "README.md").write_text(readme.replace(start + current + end, start + expected + end))
        current = expected
    assert current == expected, "README's fixer table is stale: run SEENFIX_UPDATE_README=1 pytest tests/test_docs.py"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.+?)\n```", readme, flags=re.DOTALL)
    test_command = next(b for b in blocks if "pytest" in b)
    assert test_command in (REPO / ".ci" / "run").read_text()


def test_changelog_is_keep_a_changelog() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in text and "## [Unreleased]" in text


def test_every_flag_of_check_and_apply_is_documented() -> None:
    from seenfix.cli.app import apply, check

    docs = (REPO / "README.md").read_text() + (REPO / "docs" / "ci.md").read_text()
    missing = [f"{cmd.name} {opt}" for cmd in (check, apply) for param in cmd.params
               for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--") and opt not in docs]
    assert not missing, f"README.md / docs/ci.md do not mention {missing}"
