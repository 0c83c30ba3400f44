"""The ``seenfix`` command line.

Exit codes (documented in README.md, tested in tests/test_cli.py):

* 0 — nothing found / nothing to change
* 1 — findings (``check``) or changes (``apply --dry-run``, or applied)
* 2 — usage or configuration error (bad option, unknown fixer, bad config key, dirty files)
* 3 — a fixer failed: it crashed, an input file could not be processed, its output failed
  verification, a plugin failed to load, or writing / publishing failed

Heavy modules are imported inside the commands so that ``seenfix --help`` stays instant.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from seenfix import __version__

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence
    from pathlib import Path

    from seenfix.core.config import Config
    from seenfix.core.model import Finding, Fixer, FixerInfo
    from seenfix.core.registry import Registry
    from seenfix.engine.run import RunResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3
SETS = ("quick-wins", "p0", "p1", "p2", "all")


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"seenfix: error: {message}", err=True)
    sys.exit(code)


def _interrupted(signum: int, what: str) -> NoReturn:
    import signal

    click.echo(f"seenfix: interrupted ({signal.Signals(signum).name}); {what}", err=True)
    sys.exit(128 + signum)


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


def _use_color(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _registry() -> Registry:
    from seenfix.core.registry import load

    return load()


def _print_load_failures(reg: Registry) -> None:
    """Report the plugins that failed to load (only those this command needed to load)."""
    for failure in reg.failures:
        click.echo(f"seenfix: error: {failure.line()}", err=True)


def _select(
    reg: Registry, config: Config, set_name: str | None, select: list[str], ignore: list[str]
) -> list[type[Fixer]]:
    def resolve(keys: list[str], origin: str) -> set[str]:
        codes: set[str] = set()
        for key in keys:
            if key.upper() == "ALL":
                codes |= set(reg.codes())
                continue
            fx = reg.find(key)
            if fx is None:
                _print_load_failures(reg)  # it may be a plugin that failed to load
                _fail(f"{origin}: unknown fixer {key!r} (see `seenfix list`)")
            codes.add(fx.code)
        return codes

    in_set = {f.code for f in reg.fixers if set_name in f.info().sets} if set_name else set()
    if select and set_name:  # --select inside a set narrows it
        chosen = resolve(select, "--select")
        outside = sorted(chosen - in_set)
        if outside:
            _fail(f"--select {', '.join(outside)}: not in the {set_name} set (--select narrows a set; "
                  f"drop --set/--quick-wins to choose freely)")
    elif select:
        chosen = resolve(select, "--select")
    elif set_name:
        chosen = in_set
    elif config.select:
        chosen = resolve(list(config.select), f"{config.source}: select")
    else:
        chosen = set(reg.codes())
    if not select:
        chosen |= resolve(list(config.extend_select), f"{config.source}: extend-select")
    chosen -= resolve(ignore, "--ignore") | resolve(list(config.ignore), f"{config.source}: ignore")
    chosen -= resolve(list(config.extend_ignore), f"{config.source}: extend-ignore")
    fixers = sorted((fx for fx in map(reg.find, chosen) if fx is not None), key=lambda f: f.code)
    _print_load_failures(reg)
    return fixers


def fix_branch_name(set_name: str | None, narrowed: bool, fixers: list[type[Fixer]]) -> str:
    """The fix branch of a selection: ``seenfix/<set>`` for a whole set (``all`` without one); a set
    narrowed by ``--select``/``--ignore``, or a ``--select`` alone, gets a branch of its own named
    after the fixers it runs (``seenfix/quick-wins-sf005``, ``seenfix/sf011-sf012``), so that it never
    rewrites the whole set's branch and request."""
    if not narrowed:
        return f"seenfix/{set_name or 'all'}"
    codes = "-".join(sorted(f.code.lower() for f in fixers)) or "none"
    return f"seenfix/{set_name}-{codes}" if set_name else f"seenfix/{codes}"


def _load(path: str, config_file: str | None) -> tuple[Registry, Config, Path]:
    from pathlib import Path

    from seenfix.core.config import ConfigError, load_config

    root = Path(path).resolve()
    reg = _registry()
    try:
        config = load_config(root, reg, Path(config_file) if config_file else None)
    except ConfigError as exc:
        _fail(str(exc))
    return reg, config, root


def _progress() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(index: int, total: int, label: str) -> None:
        click.echo(f"\r\x1b[2K[{index}/{total}] {label}", err=True, nl=index == total)

    return show


def _report_problems(result: RunResult, reg: Registry, strict: bool = False) -> int:
    for warning in result.warnings:
        click.echo(f"seenfix: warning: {result.redact(warning)}", err=True)
    for line in _grouped(result.unparsed):  # valid in its language perhaps: seenfix's limit, not the user's error
        click.echo(f"{'error' if strict else 'seenfix: warning'}: {result.redact(line)} "
                   "(seenfix cannot parse this file; it was skipped)", err=True)
    for problem in _grouped(result.problems):
        click.echo(f"error: {result.redact(problem)}", err=True)
    for failure in result.failures:
        click.echo(f"error: {result.redact(failure)}", err=True)
    files = len({line.split(":", 1)[0] for line in result.unparsed})
    if files:
        click.echo(f"seenfix: {files} file{'s' if files != 1 else ''} seenfix could not parse "
                   f"{'were' if files != 1 else 'was'} skipped{'' if strict else ' (--strict fails on them)'}.",
                   err=True)
    failed = result.problems or result.failures or reg.failures or (strict and result.unparsed)
    return EXIT_FAILURE if failed else EXIT_OK


def _grouped(problems: list[str]) -> list[str]:
    """One line per input problem: the same file, line and message met by several fixers is
    printed once, naming them all (``file:line: SF007, SF011: invalid YAML: ...``)."""
    import re

    groups: dict[tuple[str, str], list[str]] = {}
    for problem in problems:
        m = re.match(r"^(.*?:\d+): ([A-Z]+\d+): (.*)$", problem, flags=re.DOTALL)
        where, code, message = m.groups() if m else (problem, "", "")
        groups.setdefault((where, message), []).append(code)
    return [f"{where}: {', '.join(codes)}: {message}" if message else where
            for (where, message), codes in groups.items()]


_common = [
    click.argument("path", default=".", type=click.Path(exists=True, file_okay=False)),
    click.option("--select", multiple=True, metavar="CODE,...", help="Only these fixers (codes or slugs)."),
    click.option("--ignore", multiple=True, metavar="CODE,...", help="Skip these fixers."),
    click.option("--set", "set_name", type=click.Choice(SETS), help="A fix set from the seed's priorities."),
    click.option("--quick-wins", is_flag=True, help="Same as --set quick-wins (the seed's quick wins)."),
    click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
                 help="Configuration file (default: .seenfix.toml or [tool.seenfix] in PATH)."),
    click.option("--strict", is_flag=True,
                 help="Exit 3 on files seenfix cannot parse (by default a warning: their language may accept them)."),
]


def common_options(func: Any) -> Any:
    for deco in reversed(_common):
        func = deco(func)
    return func


class _Group(click.Group):
    """The command group; sub-commands that live in their own modules (``seenfix env``) are imported
    only when they run or when help lists them (:mod:`seenfix.cli.subcommands`), not for ``check``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from seenfix.cli.subcommands import SUBCOMMANDS

        return sorted(set(super().list_commands(ctx)) | set(SUBCOMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None:
            from seenfix.cli.subcommands import subcommand

            found = subcommand(cmd_name)
            if found is not None:
                self.add_command(found, cmd_name)
        return found


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seenfix")
def cli() -> None:
    """Find and fix the production-readiness problems of a SEEN-style repository."""


_FAIL_SEVERITIES = {"fixable": (), "high": ("critical", "high"), "medium": ("critical", "high", "medium"),
                    "low": ("critical", "high", "medium", "low")}


def failing(findings: Any, fail_on: str, applied: set[str]) -> list[Any]:
    """The findings that fail the check under ``--fail-on``: a ladder, each level adding to the one
    before it: ``fixable`` (findings `seenfix apply` would fix: fixable by a fixer whose code is in
    ``applied``), ``high`` (also the other critical and high ones), ``medium``, ``low`` (every finding)."""
    levels = _FAIL_SEVERITIES[fail_on]
    return [f for f in findings if (f.fixable and f.code in applied) or f.severity.value in levels]


def _display_prefix(root: Path) -> str:
    """``root`` as seen from the current directory, for annotations that want workspace paths."""
    from pathlib import Path

    try:
        rel = root.relative_to(Path.cwd().resolve())
    except ValueError:
        return ""
    return "" if str(rel) == "." else rel.as_posix() + "/"


@cli.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github", "gitlab"]), default="text",
              show_default=True, help="Output format (github: workflow annotations; gitlab: Code Quality JSON).")
@click.option("--fail-on", type=click.Choice(["fixable", "high", "medium", "low"]),
              help="Which findings make the exit code 1: fixable ones (the default, or `fail-on` in the "
                   "configuration), or also report-only ones of this severity or worse (low: every finding).")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when findings fail the check.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per code instead of each one.")
@click.option("--baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report only findings that are not in this baseline (see --write-baseline).")
@click.option("--write-baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the current findings to FILE as a baseline, and exit 0.")
@click.option("--add-ignore", is_flag=True,
              help="Add a suppression comment for every finding reported (in each file's comment syntax).")
@click.option("--unsafe-fixes", is_flag=True, default=None,
              help="Count findings with an unsafe fix as fixable (as `apply --unsafe-fixes` would fix them).")
def check(path: str, select: tuple[str, ...], ignore: tuple[str, ...], set_name: str | None,
          quick_wins: bool, config_file: str | None, strict: bool, fmt: str, fail_on: str | None, exit_zero: bool,
          statistics: bool, baseline: str | None, write_baseline: str | None, add_ignore: bool,
          unsafe_fixes: bool | None) -> None:
    """Report problems in PATH (default: the current directory)."""
    import json
    from pathlib import Path

    from seenfix.engine.run import run
    from seenfix.output import baseline as baselines
    from seenfix.output import reporting

    reg, config, root = _load(path, config_file)
    fixers = _select(reg, config, "quick-wins" if quick_wins else set_name, _split(select), _split(ignore))
    accepted = None
    if baseline is not None:
        try:
            accepted = baselines.load(Path(baseline))
        except baselines.BaselineError as exc:
            _fail(str(exc))
    unsafe = config.unsafe_fixes if unsafe_fixes is None else unsafe_fixes
    result = run(root, fixers, config, fix=False, unsafe=unsafe, progress=_progress())
    status = _report_problems(result, reg, strict)
    assert result.final is not None
    read = result.final.read_text
    findings = result.findings
    if write_baseline is not None:
        Path(write_baseline).write_text(baselines.dump(findings, read, result.redact), encoding="utf-8")
        click.echo(f"seenfix: wrote {len(findings)} finding{'s' if len(findings) != 1 else ''} to the baseline "
                   f"{write_baseline}.", err=True)
        sys.exit(status)
    if accepted is not None:
        known = len(findings)
        findings = baselines.new_findings(findings, read, accepted)
        if known != len(findings):
            click.echo(f"seenfix: {known - len(findings)} finding{'s' if known - len(findings) != 1 else ''} "
                       f"in the baseline not shown.", err=True)
    if add_ignore:
        sys.exit(max(status, _add_ignores(result, findings)))
    ran = {i.code for i in result.fixers}
    own = {i.code for i in result.fixers if i.own_suppressions}
    unused = result.suppressor.unused(result.final, ran - own, every_code=reg.loaded_everything and ran >= set(reg.codes()) and not own)
    for u in unused:
        click.echo(f"seenfix: warning: {u.text()}", err=True)
    if statistics:
        if fmt == "json":
            click.echo(json.dumps(reporting.statistics(findings), indent=2))
        elif fmt == "text":
            click.echo(reporting.statistics_text(findings), nl=False)
        else:
            _fail(f"--statistics prints text or json, not {fmt}")
    elif fmt == "json":
        errors = result.problems + result.failures + (result.unparsed if strict else [])
        click.echo(result.redact(reporting.as_json(str(root), findings, errors, [u.text() for u in unused])),
                   nl=False)
    elif fmt == "sarif":
        click.echo(result.redact(reporting.as_sarif(str(root), findings, result.fixers)), nl=False)
    elif fmt == "github":
        click.echo(result.redact(reporting.as_github(findings, _display_prefix(root))), nl=False)
    elif fmt == "gitlab":
        prints = baselines.fingerprints(findings, read)
        click.echo(result.redact(reporting.as_gitlab(findings, prints, _display_prefix(root))), nl=False)
    else:
        click.echo(result.redact(reporting.as_text(findings)), nl=False)
    from seenfix.engine.run import fix_enabled

    fail_on = fail_on or config.fail_on
    applied = {i.code for i in result.fixers if fix_enabled(i, unsafe)}
    fails = failing(findings, fail_on, applied)
    if findings and fmt == "text":
        n = len(findings)
        fixable = sum(f.fixable and f.code in applied for f in findings)
        hidden = _hidden_unsafe(findings, result.fixers, unsafe)
        more = f", {hidden} more with --unsafe-fixes" if hidden else ""
        gate = "" if len(fails) == n else f"; {len(fails)} fail{'s' if len(fails) == 1 else ''} --fail-on {fail_on}"
        click.echo(f"Found {n} problem{'s' if n != 1 else ''} ({fixable} fixable with `seenfix apply`{more}{gate}).",
                   err=True)
    sys.exit(status or (EXIT_FINDINGS if fails and not exit_zero else EXIT_OK))


def _add_ignores(result: RunResult, findings: Any) -> int:
    """Write a suppression comment for each of ``findings`` (through the engine's writer)."""
    from seenfix.engine.run import RunResult as Result
    from seenfix.engine.suppress import plan_ignores
    from seenfix.engine.write import Interrupted, WriteError, write

    assert result.final is not None
    changes, skipped = plan_ignores(result.final, findings)
    done = Result(result.root, result.fixers, final=result.final.with_changes(changes))
    try:
        written = write(done, force=True)
    except WriteError as exc:
        _fail(str(exc), EXIT_FAILURE)
    except Interrupted as exc:
        _interrupted(exc.signum, "every file was written" if exc.written else "no file was changed")
    silenced = len(findings) - len(skipped)
    click.echo(f"seenfix: added suppressions for {silenced} finding{'s' if silenced != 1 else ''} "
               f"in {len(written)} file{'s' if len(written) != 1 else ''}.", err=True)
    for f in skipped:
        click.echo(f"seenfix: warning: {f.path}:{f.line}: {f.code}: no suppression comment can go here "
                   "(use per-file-ignores in the configuration)", err=True)
    return EXIT_OK


@cli.command()
@common_options
@click.option("--dry-run", "--diff", "dry_run", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--patch", "patch_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the fixes as a patch for `git apply` to FILE (secret values not masked where the "
                   "repository already holds them; secret files left out); change nothing else.")
@click.option("--color/--no-color", default=None, help="Colour the diff (default: on a terminal, unless NO_COLOR).")
@click.option("--unsafe-fixes", is_flag=True, default=None, help="Also apply fixes marked unsafe.")
@click.option("--force", is_flag=True, help="Overwrite files that have uncommitted changes.")
@click.option("--branch", "to_branch", is_flag=True, help="Commit the fixes to a fix branch (seenfix/<set>).")
@click.option("--pr", is_flag=True, help="Push the fix branch and open or update a pull request (implies --branch).")
@click.option("--base", help="Base commit/branch of the fix branch (default: the remote default branch, else HEAD).")
@click.option("--branch-name", help="Override the fix branch name.")
@click.option("--author", help="Commit author, 'Name <email>' (default: git config or CI variables).")
@click.option("--token-env", help="Environment variable holding the API token.")
@click.option("--label", "labels", multiple=True, help="Pull request label (repeatable; default: seenfix, security).")
@click.option("--remote", default="origin", show_default=True, help="Remote to push the fix branch to.")
def apply(path: str, select: tuple[str, ...], ignore: tuple[str, ...], set_name: str | None, quick_wins: bool,
          config_file: str | None, strict: bool, dry_run: bool, patch_file: str | None, color: bool | None,
          unsafe_fixes: bool | None, force: bool,
          to_branch: bool, pr: bool, base: str | None, branch_name: str | None, author: str | None,
          token_env: str | None, labels: tuple[str, ...], remote: str) -> None:
    """Fix problems in PATH: write in place, print a diff (--dry-run) or commit a branch (--branch/--pr)."""
    from seenfix.output import diffing
    from seenfix.engine.run import run
    from seenfix.engine.write import DirtyError, Interrupted, WriteError, remove_leftovers, write

    chosen_set = "quick-wins" if quick_wins else set_name
    reg, config, root = _load(path, config_file)
    fixers = _select(reg, config, chosen_set, _split(select), _split(ignore))
    unsafe = config.unsafe_fixes if unsafe_fixes is None else unsafe_fixes
    result = run(root, fixers, config, fix=True, unsafe=unsafe, progress=_progress())
    status = _report_problems(result, reg, strict)
    changed = result.changes
    if not dry_run and result.final is not None:
        for leftover in remove_leftovers(result.final):
            click.echo(f"seenfix: removed {leftover}, a temporary file an interrupted run left", err=True)
    branch = branch_name or fix_branch_name(chosen_set, bool(select or ignore), fixers)
    if patch_file is not None:
        patch, left_out = diffing.render_patch(result)
        fd = os.open(patch_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(patch)
        click.echo(f"seenfix: wrote the patch to {patch_file} (apply it with `git apply {patch_file}`).", err=True)
        for line in left_out:
            click.echo(f"seenfix: not in the patch: {line}", err=True)
        if not dry_run:
            sys.exit(status or (EXIT_FINDINGS if changed else EXIT_OK))
    if dry_run:
        diff = diffing.render(result)
        if _use_color(color):
            click.echo(diffing.colorize(diff), nl=False, color=True)
        else:
            click.echo(diff, nl=False, color=False)
        if to_branch or pr:
            from seenfix.gitops.publish import describe

            status = max(status, describe(result.steps, root, set_name=chosen_set or "all", pr=pr, base=base,
                                          branch=branch, remote=remote, labels=labels, token_env=token_env,
                                          echo=lambda line: click.echo(result.redact(line), err=True)))
    elif to_branch or pr:
        from seenfix.gitops.publish import publish

        code = publish(
            result.steps, root, set_name=chosen_set or "all", pr=pr, base=base,
            branch=branch,
            author=author, token_env=token_env, labels=labels, remote=remote,
            echo=lambda line: click.echo(result.redact(line), err=True), redact=result.redact,
            secrets_of=result, scores=_pr_scores(root, reg, config, result) if pr else (),
            close_when_fixed=status == EXIT_OK, unsafe=unsafe,
        )
        status = max(status, code)
    elif changed:
        try:
            written = write(result, force=force)
        except DirtyError as exc:
            _fail("refusing to overwrite files with uncommitted changes: " + ", ".join(exc.paths)
                  + " (commit or stash them, or pass --force)")
        except WriteError as exc:
            _fail(str(exc), EXIT_FAILURE)
        except Interrupted as exc:
            _interrupted(exc.signum, "every file was written" if exc.written else "no file was changed")
        for step in result.steps:
            click.echo(f"fixed {step.info.code} {step.info.slug}: {_file_list(c.path for c in step.changes)}",
                       err=True)
        click.echo(f"seenfix: {len(written)} file{'s' if len(written) != 1 else ''} written.", err=True)
        untracked = sorted(p for p, c in changed.items() if c.untrack)
        if untracked and result.final is not None and result.final.is_git:
            click.echo(f"seenfix: {diffing.index_summary(untracked)}.", err=True)
    if not changed and not dry_run:
        click.echo("seenfix: nothing to change.", err=True)
    hidden = _hidden_unsafe(result.findings, result.fixers, unsafe)
    if hidden:
        click.echo(f"seenfix: {hidden} more fix{'es' if hidden != 1 else ''} available with --unsafe-fixes "
                   "(see `seenfix explain CODE`, section Fix safety).", err=True)
    sys.exit(status or (EXIT_FINDINGS if changed else EXIT_OK))


def _pr_scores(root: Path, reg: Registry, config: Config, result: RunResult) -> list[dict[str, Any]]:
    """The readiness score before -> after the run's fixes, for the pull request's body."""
    from seenfix.cli.report import before_after_scores

    return before_after_scores(root, reg, config, result)


#: Files named per fixer after `apply`; the rest are counted (`--dry-run` shows them all).
LISTED_FILES = 10


def _file_list(paths: Any) -> str:
    names = sorted(paths)
    if len(names) <= LISTED_FILES:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED_FILES])} and {len(names) - LISTED_FILES} more"


def _hidden_unsafe(findings: Sequence[Finding], fixers: Sequence[FixerInfo], unsafe: bool) -> int:
    """How many more fixes ``--unsafe-fixes`` would make: the findings of fixers whose fix is unsafe,
    and those a safe fixer fixes more strongly, or only, with the flag (``Finding.unsafe_fix``: SF001
    replaces a key-deriving secret it would move, SF003 enforces the CSP it would send report-only)."""
    from seenfix.engine.run import fix_enabled

    if unsafe:
        return 0
    unsafe_codes = {i.code for i in fixers if fix_enabled(i, True) and not fix_enabled(i, False)}
    return sum(1 for f in findings if f.unsafe_fix or f.fixable and f.code in unsafe_codes)


@cli.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_(fmt: str) -> None:
    """One line per fixer: code, slug, fix availability, sets, summary."""
    import json

    reg = _registry()
    infos = [f.info() for f in reg.fixers]
    _print_load_failures(reg)
    if fmt == "json":
        click.echo(json.dumps([_info_json(i) for i in infos], indent=2))
    else:
        lines = []
        for i in infos:
            sets = ",".join(s for s in SETS if s in i.sets and s != "all")
            lines.append(f"{i.code}  {i.slug:<34} fix:{i.fix_availability.value:<9} {sets:<15} {i.summary}\n")
        text = "".join(lines)
        click.echo(text, nl=False)
        if not reg.failures:
            from seenfix.cli.fastpath import store_list

            store_list(text)
    sys.exit(EXIT_FAILURE if reg.failures else EXIT_OK)


def _info_json(i: Any) -> dict[str, Any]:
    return {
        "code": i.code, "slug": i.slug, "summary": i.summary, "seed_issue": i.seed_issue,
        "severity": i.severity.value, "fix_availability": i.fix_availability.value,
        "applicability": i.applicability.value, "sets": sorted(i.sets),
        "category": i.category, "weight": i.weight,
        "options": [{"name": o.name, "default": o.default, "help": o.help} for o in i.options],
        "doc": i.doc,
    }


@cli.command()
@click.argument("rule")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def explain(rule: str, fmt: str) -> None:
    """Print a fixer's documentation (by code or slug)."""
    import json

    reg = _registry()
    fx = reg.find(rule)
    _print_load_failures(reg)
    if fx is None:
        _fail(f"unknown fixer {rule!r} (see `seenfix list`)")
    i = fx.info()
    if fmt == "json":
        click.echo(json.dumps(_info_json(i), indent=2))
        return
    sets = ", ".join(s for s in SETS if s in i.sets)
    click.echo(f"# {i.summary} ({i.code})\n")
    click.echo(f"Slug: {i.slug} · seed issue {i.seed_issue} · severity {i.severity.value} · "
               f"fix {i.fix_availability.value} ({i.applicability.value}) · sets: {sets}\n")
    click.echo(_score_line(i) + "\n")
    click.echo(i.doc)


def _score_line(i: Any) -> str:
    """How the fixer counts in `seenfix report` (docs/report.md has the whole table)."""
    if not i.category:
        return "Readiness score: not scored (the fixer declares no category); see docs/report.md."
    from seenfix.core.model import SEVERITY_WEIGHT

    why = (f"the weight of {i.severity.value} severity" if i.weight == SEVERITY_WEIGHT[i.severity]
           else f"set by the fixer; {i.severity.value} severity would weigh {SEVERITY_WEIGHT[i.severity]}")
    return (f"Readiness score (`seenfix report`): counts in {i.category} with weight {i.weight} ({why}); "
            "a category scores the weight share of its checks that find nothing. See docs/report.md.")


@cli.command()
@click.option("--bytes", "nbytes", default=48, show_default=True, type=click.IntRange(min=32),
              help="Random bytes (at least 32).")
def secret(nbytes: int) -> None:
    """Print a fresh URL-safe random secret (for a vault or CI secret store)."""
    import secrets

    click.echo(secrets.token_urlsafe(nbytes))


def main() -> None:
    from seenfix.core.git import GitError
    from seenfix.engine.write import Interrupted

    try:
        cli(prog_name="seenfix")
    except Interrupted as exc:  # while --branch/--pr wrote the secret files
        _interrupted(exc.signum, "the secret files were written" if exc.written else "no file was changed")
    except GitError as exc:  # git status / ls-files failing: a broken index, a full disk, ulimit -f
        _fail(str(exc), EXIT_FAILURE)
    except OSError as exc:  # the environment failing under seenfix: one line naming the file
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}", EXIT_FAILURE)
