"""The readiness scorecard of ``seenfix report``: a deterministic function of the checks' results.

Scoring (documented in docs/report.md; in the spirit of Mozilla's HTTP Observatory, where every test
has a fixed modifier and passes or fails as a whole):

* Every check (fixer) counts in one category of the assessment's score table (``Fixer.category``) with
  a weight (``Fixer.weight``; by default its severity's: critical 4, high 3, medium 2, low 1).
* A check **passes** when it has no finding and ran without error (a finding only
  ``--unsafe-fixes`` can fix, ``Finding.unsafe_fix`` without ``fixable``, is the next step of a
  rollout a safe fix made and does not count: SF003's note that its report-only CSP can now be
  enforced); a check that crashed or could not
  read an input counts as failed (``error``): an unknown is not a pass.  A check with nothing to look
  at (none of the files its ``needs`` names, and no finding) is ``n/a`` and counts nowhere.
* A category's score is ``100 * passed weight / total weight``, rounded half up to a whole percent.
  A category no check counts in (Performance, Documentation) is "not checked" and has no score.
* The overall score is the mean of the scored categories' exact scores, rounded half up (the
  assessment's own overall, 50%, is the mean of its eight categories).
* Status of a category: ``good`` from 70%, ``needs-work`` from 40%, else ``critical``.
* Verdict: ``not-ready`` while a critical finding is open or a category is critical;
  ``needs-improvements`` while a high finding is open or a category needs work; ``ready`` when a
  category is scored and none of that holds; ``nothing-checked`` when no category is scored.

Nothing here reads files or runs checks: the CLI hands in the findings of a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from seenfix.core.model import Finding, FixerInfo, Severity
from seenfix.engine.run import fix_enabled
from seenfix.output.assessment import CATEGORIES, CHECKLIST, ISSUES, PRIORITIES, QUICK_WINS, Item

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Layout

#: ``seenfix report --format json`` format version (bumped only on an incompatible change).
REPORT_FORMAT_VERSION = 1
GOOD, NEEDS_WORK = 70, 40
STATUS_LABELS = {"good": "Good", "needs-work": "Needs Work", "critical": "Critical", "not-checked": "Not checked"}
VERDICTS = {"not-ready": "NOT PRODUCTION READY", "needs-improvements": "NEEDS IMPROVEMENTS",
            "ready": "READY FOR WHAT SEENFIX CHECKS", "nothing-checked": "NOTHING SEENFIX CAN CHECK"}
#: Where a check with no category is listed (it is not scored).
UNSCORED = "Other"


@dataclass(frozen=True)
class Check:
    info: FixerInfo
    findings: tuple[Finding, ...]
    error: bool
    applicable: bool = True  # the project has something for it to look at

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if self.findings:
            return "fail"
        return "pass" if self.applicable else "n/a"

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass(frozen=True)
class Category:
    name: str
    checks: tuple[Check, ...]

    @property
    def weight(self) -> int:
        return sum(c.info.weight for c in self.checks if c.status != "n/a")

    @property
    def passed_weight(self) -> int:
        return sum(c.info.weight for c in self.checks if c.passed)

    @property
    def exact(self) -> Fraction | None:
        return Fraction(100 * self.passed_weight, self.weight) if self.weight else None

    @property
    def score(self) -> int | None:
        exact = self.exact
        return None if exact is None else round_half_up(exact)

    @property
    def status(self) -> str:
        return status_of(self.score)


def round_half_up(value: Fraction) -> int:
    return int((value * 2 + 1) // 2)


def status_of(score: int | None) -> str:
    if score is None:
        return "not-checked"
    return "good" if score >= GOOD else "needs-work" if score >= NEEDS_WORK else "critical"


@dataclass(frozen=True)
class Scorecard:
    """One state of the repository (before, or after a fix set), scored."""

    checks: tuple[Check, ...]
    categories: tuple[Category, ...]
    findings: tuple[Finding, ...]
    strengths: tuple[str, ...]

    @property
    def scored(self) -> list[Category]:
        return [c for c in self.categories if c.name != UNSCORED and c.score is not None]

    @property
    def overall(self) -> int | None:
        exact = [c.exact for c in self.scored if c.exact is not None]
        return round_half_up(sum(exact, Fraction(0)) / len(exact)) if exact else None

    @property
    def verdict(self) -> str:
        open_severities = {f.severity for f in self.findings}
        statuses = {c.status for c in self.scored}
        if Severity.CRITICAL in open_severities or "critical" in statuses:
            return "not-ready"
        if Severity.HIGH in open_severities or "needs-work" in statuses:
            return "needs-improvements"
        return "ready" if statuses else "nothing-checked"

    def check(self, code: str) -> Check | None:
        return next((c for c in self.checks if c.info.code == code), None)

    def state(self, codes: Sequence[str]) -> str:
        """``satisfied`` / ``open`` / ``unknown`` (a check failed to run) / ``not-applicable`` (nothing
        for its checks to look at) / ``not-checked`` (no check decides it)."""
        checks = [c for c in map(self.check, codes) if c is not None]
        if not checks:
            return "not-checked"
        checks = [c for c in checks if c.status != "n/a"]
        if not checks:
            return "not-applicable"
        if any(c.error for c in checks):
            return "unknown"
        return "satisfied" if all(c.passed for c in checks) else "open"


def build(infos: Sequence[FixerInfo], findings: Iterable[Finding], errored: Iterable[str],
          layout: Layout | None = None) -> Scorecard:
    """Score one run: ``infos`` are every check that ran, ``errored`` the codes that failed to run."""
    by_code: dict[str, list[Finding]] = {}
    for f in findings:
        if not (f.unsafe_fix and not f.fixable):  # the next step of a rollout a safe fix made
            by_code.setdefault(f.code, []).append(f)
    bad = set(errored)
    checks = tuple(Check(i, tuple(_sorted(by_code.get(i.code, []))), i.code in bad, _applies(i, layout))
                   for i in sorted(infos, key=lambda i: i.code))
    names = list(CATEGORIES) + sorted({c.info.category for c in checks if c.info.category} - set(CATEGORIES))
    categories = [Category(n, tuple(c for c in checks if c.info.category == n)) for n in names]
    unscored = tuple(c for c in checks if not c.info.category)
    if unscored:
        categories.append(Category(UNSCORED, unscored))
    all_findings = tuple(f for c in checks for f in c.findings)
    return Scorecard(checks, tuple(categories), all_findings, _strengths(checks, layout))


def _applies(info: FixerInfo, layout: Layout | None) -> bool:
    """Whether the project holds something the check looks at (its ``needs``; unknown: yes)."""
    if layout is None or not info.needs:
        return True
    return any(getattr(layout, name, True) for name in info.needs)


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.message))


def _strengths(checks: Sequence[Check], layout: Layout | None) -> tuple[str, ...]:
    out: list[str] = []
    if layout is not None:
        for label, paths in (("Docker Compose deployment", layout.production_compose),
                             ("Nginx configuration", layout.nginx_files),
                             ("Backend", layout.backend_roots), ("Frontend", layout.frontend_roots)):
            if paths:
                out.append(f"{label}: {', '.join(f'`{p}`' for p in paths)}")
    for c in checks:
        if c.passed:
            out.append(f"No finding of {c.info.code} ({c.info.summary})")
    return tuple(out)


# -- the JSON document (also the templates' context) -------------------------------------------------
def command_for(checks: Sequence[Check]) -> str | None:
    """The ``seenfix apply`` command that fixes these checks, or None when none has a fix."""
    fixable = [c for c in checks if fix_enabled(c.info, unsafe=True)]
    if not fixable:
        return None
    unsafe = any(not fix_enabled(c.info, unsafe=False) for c in fixable)
    return f"seenfix apply --select {','.join(c.info.code for c in fixable)}" + (" --unsafe-fixes" if unsafe else "")


def _item(card: Scorecard, text: str, codes: tuple[str, ...], number: int | None = None) -> dict[str, Any]:
    state = card.state(codes)
    checks = [c for c in map(card.check, codes) if c is not None]
    open_checks = [c for c in checks if c.status in ("fail", "error")]
    item: dict[str, Any] = {"text": text, "codes": [c.info.code for c in checks], "state": state,
                            "command": command_for(open_checks) if state in ("open", "unknown") else None}
    if number is not None:
        item = {"number": number, **item}
    return item


def _set_command(card: Scorecard, set_name: str, items: list[dict[str, Any]]) -> str | None:
    """``seenfix apply --set NAME`` when an open item of the list has a fix in that set."""
    open_codes = {c for item in items if item["command"] for c in item["codes"]}
    checks = [c for c in card.checks
              if c.info.code in open_codes and set_name in c.info.sets and c.status in ("fail", "error")]
    command = command_for(checks)
    if command is None:
        return None
    flag = "--quick-wins" if set_name == "quick-wins" else f"--set {set_name}"
    return f"seenfix apply {flag}" + (" --unsafe-fixes" if command.endswith(" --unsafe-fixes") else "")


def _finding(f: Finding, category: str) -> dict[str, Any]:
    return {**f.to_json(), "category": category}


def card_json(card: Scorecard) -> dict[str, Any]:
    categories = []
    for cat in card.categories:
        categories.append({
            "name": cat.name,
            "score": cat.score if cat.name != UNSCORED else None,
            "status": status_of(cat.score if cat.name != UNSCORED else None),
            "weight": cat.weight if cat.name != UNSCORED else 0,
            "passed_weight": cat.passed_weight if cat.name != UNSCORED else 0,
            "checks": [{"code": c.info.code, "slug": c.info.slug, "summary": c.info.summary,
                        "severity": c.info.severity.value, "weight": c.info.weight, "status": c.status,
                        "findings": len(c.findings)} for c in cat.checks],
        })
    issues = []
    for number, (title, severity) in ISSUES.items():
        finders = [c for c in card.checks if c.info.seed_issue == number]
        issues.append({"number": number, "title": title, "severity": severity,
                       "codes": [c.info.code for c in finders],
                       "state": "found" if any(c.findings for c in finders) else
                                "not-checked" if not finders else
                                "not-applicable" if all(c.status == "n/a" for c in finders) else
                                "unknown" if any(c.error for c in finders) else "not-found",
                       "findings": sum(len(c.findings) for c in finders)})
    number = 0
    plan = []
    for priority, title, items in PRIORITIES:
        rows = []
        for text, codes in items:
            number += 1
            rows.append(_item(card, text, codes, number))
        plan.append({"priority": priority, "title": title, "items": rows,
                     "command": _set_command(card, priority.lower(), rows)})
    quick_wins = [_item(card, t, c, n) for n, (t, c) in enumerate(QUICK_WINS, 1)]
    overall = card.overall
    return {
        "overall": {"score": overall, "verdict": card.verdict, "label": VERDICTS[card.verdict]},
        "categories": categories,
        "issues": issues,
        "checklist": [{"section": section, "items": [_item(card, t, c) for t, c in items]}
                      for section, items in CHECKLIST],
        "plan": plan,
        "quick_wins": quick_wins,
        "quick_wins_command": _set_command(card, "quick-wins", quick_wins),
        "strengths": list(card.strengths),
        "findings": [_finding(f, c.info.category or UNSCORED) for c in card.checks for f in c.findings],
    }


def report_json(root: str, before: Scorecard, after: Scorecard | None, *, after_set: str | None,
                unsafe_fixes: bool, errors: Sequence[str], tool_version: str) -> dict[str, Any]:
    """The whole report: what ``--format json`` prints and what the templates render."""
    doc: dict[str, Any] = {
        "version": REPORT_FORMAT_VERSION,
        "tool": {"name": "seenfix", "version": tool_version},
        "root": root,
        "after_set": None if after is None else {"set": after_set, "unsafe_fixes": unsafe_fixes},
        "before": card_json(before),
        "after": None if after is None else card_json(after),
        "comparison": None if after is None else comparison(before, after),
        "errors": list(errors),
    }
    return doc


def comparison(before: Scorecard, after: Scorecard) -> list[dict[str, Any]]:
    """Before -> after per category (scored ones), then ``Overall``."""
    rows = []
    after_scores = {c.name: c.score for c in after.categories}
    for cat in before.categories:
        if cat.name == UNSCORED:
            continue
        b, a = cat.score, after_scores.get(cat.name)
        rows.append({"name": cat.name, "before": b, "after": a,
                     "delta": None if a is None or b is None else a - b})
    b, a = before.overall, after.overall
    rows.append({"name": "Overall", "before": b, "after": a, "delta": None if a is None or b is None else a - b})
    return rows


def weights_table(infos: Sequence[FixerInfo]) -> list[dict[str, Any]]:
    """Every check's category and weight with its share of the category (for docs and ``explain``)."""
    totals: dict[str, int] = {}
    for i in infos:
        if i.category:
            totals[i.category] = totals.get(i.category, 0) + i.weight
    return [{"code": i.code, "category": i.category or UNSCORED, "weight": i.weight if i.category else 0,
             "category_weight": totals.get(i.category, 0),
             "share": round_half_up(Fraction(100 * i.weight, totals[i.category])) if i.category else 0}
            for i in sorted(infos, key=lambda i: i.code)]


def maximum(infos: Sequence[FixerInfo]) -> dict[str, int | None]:
    """The best score seenfix's own fixes can reach: every check that has a fix passes, the report-only
    ones (fix availability ``none`` or display-only) still fail.  Per category, plus ``Overall``."""
    fixable = {i.code for i in infos if fix_enabled(i, unsafe=True)}
    card = build(infos, [Finding(i.code, i.slug, "-", 1, "report only", "", i.severity, False)
                         for i in infos if i.code not in fixable], ())
    out: dict[str, int | None] = {c.name: c.score for c in card.scored}
    out["Overall"] = card.overall
    return out
