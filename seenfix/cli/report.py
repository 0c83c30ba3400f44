"""``seenfix report``: the assessment's readiness scorecard, computed from the repository.

Every installed check runs (report-only ones included; ``select``/``ignore`` in the configuration do
not apply: a score must not rise because a check was switched off).  With ``--after SET`` the fix set
is applied in memory, exactly as ``seenfix apply --dry-run`` would, every check runs again on that
result, and the report shows both states.  Nothing is written.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from seenfix.core.config import Config
    from seenfix.core.model import Fixer
    from seenfix.core.project import Project
    from seenfix.core.registry import Registry
    from seenfix.engine.run import RunResult
    from seenfix.output.scorecard import Scorecard

FORMATS = {"md": "report.md.j2", "html": "report.html.j2"}


def errored_codes(result: RunResult) -> set[str]:
    """The checks of ``result`` that could not run or read an input (their score is unknown)."""
    codes = {i.code for i in result.fixers}
    bad = {c for c in codes for p in result.problems if f": {c}: " in p}
    bad |= {c for c in codes for p in result.failures if p.startswith(f"{c} ") and ": check crashed:" in p}
    return bad


def score_run(result: RunResult) -> Scorecard:
    from seenfix.output import scorecard

    layout = result.final.layout if result.final is not None else None
    return scorecard.build(result.fixers, result.findings, errored_codes(result), layout)


def check_all(root: Path, reg: Registry, config: Config, project: Project | None = None,
              progress: Any = None) -> RunResult:
    """Every installed check on ``root``, or on ``project`` (another run's in-memory result)."""
    from seenfix.engine.run import run

    return run(root, list(reg.fixers), config, fix=False, progress=progress, project=project)


def before_after_scores(root: Path, reg: Registry, config: Config, fixed: RunResult) -> list[dict[str, Any]]:
    """The readiness score before -> after ``fixed``'s in-memory result, one row per category
    (``seenfix apply --pr`` puts them in the request body)."""
    from seenfix.output import scorecard

    before, after = check_all(root, reg, config), check_all(root, reg, config, fixed.final)
    return scorecard.comparison(score_run(before), score_run(after))


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--after", "after_set", type=click.Choice(["quick-wins", "p0", "p1", "p2", "all"]),
              help="Also score the result of this fix set, applied in memory (nothing is written).")
@click.option("--unsafe-fixes", is_flag=True, default=None, help="With --after: include unsafe fixes.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="Configuration file (default: .seenfix.toml or [tool.seenfix] in PATH).")
def report(path: str, fmt: str, after_set: str | None, unsafe_fixes: bool | None, config_file: str | None) -> None:
    """Print the readiness scorecard of PATH: score per category, checklist, plan (md, html or json)."""
    import json

    from seenfix import __version__
    from seenfix.cli.app import EXIT_OK, _load, _progress, _report_problems, _select
    from seenfix.core.templating import render
    from seenfix.engine.run import run
    from seenfix.output import scorecard

    reg, config, root = _load(path, config_file)
    fix_set = _select(reg, config, after_set, [], []) if after_set else None
    unsafe = config.unsafe_fixes if unsafe_fixes is None else unsafe_fixes
    before = check_all(root, reg, config, progress=_progress())
    status = _report_problems(before, reg)
    redact = before.redact
    errors = before.problems + before.failures
    after = None
    if fix_set is not None:
        fixed = run(root, fix_set, config, fix=True, unsafe=unsafe, progress=_progress())
        after = check_all(root, reg, config, fixed.final, progress=_progress())
        fixed.warnings.clear()  # the same files: already printed
        status = max(status, _report_problems(fixed, reg))
        after.problems[:] = [p for p in after.problems if p not in before.problems]
        after.warnings.clear()
        status = max(status, _report_problems(after, reg))
        errors = list(dict.fromkeys(errors + fixed.problems + fixed.failures + after.problems + after.failures))
        redact = fixed.redact
    doc = scorecard.report_json(
        str(root), score_run(before), score_run(after) if after is not None else None, after_set=after_set,
        unsafe_fixes=unsafe, errors=errors, tool_version=__version__)
    if fmt == "json":
        text = json.dumps(doc, indent=2) + "\n"
    else:
        text = render(FORMATS[fmt], report=doc, statuses=scorecard.STATUS_LABELS)
    click.echo(redact(text), nl=False)
    sys.exit(status or EXIT_OK)
