"""``seenfix report``: the assessment's scorecard computed from the checks, before and after a fix set.

The expectations come from elsewhere than the report: the issues the fixture holds from ``seenfix
check``, the categories a fix set touches from the fixers' declarations (``seenfix list``), the
assessment's structure from the seed document itself, the maximum from docs/report.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURE_SEEN, REPO, SHARED, run_cli
from seenfix.core.model import Applicability, FixAvailability, Finding, FixerInfo, Severity
from seenfix.core.registry import load
from seenfix.output import assessment, scorecard

SEED = SHARED / "seed" / "SEEN-production-readiness.md"
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "report_seen_quick_wins.json"
INFOS = [f.info() for f in load().fixers]


def _report(*args: str, cwd: Path | None = None, plugins: bool = False) -> dict[str, Any]:
    proc = run_cli("report", *args, "--format", "json", cwd=cwd, plugins=plugins)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def _scores(card: dict[str, Any]) -> dict[str, int | None]:
    out: dict[str, int | None] = {c["name"]: c["score"] for c in card["categories"]}
    out["Overall"] = card["overall"]["score"]
    return out


@pytest.fixture(scope="module")
def quick_wins() -> dict[str, Any]:
    return _report(str(FIXTURE_SEEN), "--after", "quick-wins")


# -- the fixture's issues ---------------------------------------------------------------------------
def test_report_lists_every_assessment_issue_the_fixture_holds() -> None:
    check = run_cli("check", str(FIXTURE_SEEN), "--format", "json")
    found = json.loads(check.stdout)["findings"]
    issue_of = {i.code: i.seed_issue for i in INFOS}
    expected = {issue_of[f["code"]] for f in found}
    assert expected == set(range(1, 14)), "fixtures/seen is meant to hold all 13 issues of the assessment"

    doc = _report(str(FIXTURE_SEEN))
    issues = {i["number"]: i for i in doc["before"]["issues"]}
    assert {n for n, i in issues.items() if i["state"] == "found"} == expected
    for number in expected:
        count = sum(1 for f in found if issue_of[f["code"]] == number)
        assert issues[number]["findings"] == count
    assert sorted((f["code"], f["path"], f["line"]) for f in doc["before"]["findings"]) == \
        sorted((f["code"], f["path"], f["line"]) for f in found)

    md = run_cli("report", str(FIXTURE_SEEN)).stdout
    section = md.split("## ⚠️ Critical Issues", 1)[1].split("\n## ", 1)[0]
    for number in sorted(expected):
        title, severity = assessment.ISSUES[number]
        assert f"{number}. **{title}** ({severity.upper()})" in section
    for f in found:
        assert f"`{f['path']}:{f['line']}`" in section


def test_report_on_the_fixture_scores_it_not_ready() -> None:
    doc = _report(str(FIXTURE_SEEN))
    card = doc["before"]
    # every check has findings on the fixture, so every scored category is 0% and the verdict follows
    assert all(c["status"] == "fail" for cat in card["categories"] for c in cat["checks"])
    assert {c["name"]: c["score"] for c in card["categories"]} == {
        "Security": 0, "Configuration": 0, "Monitoring": 0, "Backup": 0, "Performance": None,
        "Code Quality": 0, "Documentation": None, "Infrastructure": 0}
    assert card["overall"] == {"score": 0, "verdict": "not-ready", "label": "NOT PRODUCTION READY"}
    assert doc["after"] is None and doc["comparison"] is None and doc["version"] == 1


# -- before -> after --------------------------------------------------------------------------------
def test_quick_wins_raise_the_score_exactly_in_the_categories_their_fixers_touch(
        quick_wins: dict[str, Any]) -> None:
    touched = {i.category for i in INFOS if "quick-wins" in i.sets}
    assert touched == {"Security", "Configuration", "Monitoring", "Code Quality", "Infrastructure"}
    before, after = _scores(quick_wins["before"]), _scores(quick_wins["after"])
    risen = {name for name in before if name != "Overall" and (after[name] or 0) > (before[name] or 0)}
    assert risen == touched
    assert all(after[n] == before[n] for n in before if n not in touched and n != "Overall")
    assert after["Overall"] is not None and before["Overall"] is not None and after["Overall"] > before["Overall"]
    # the quick-wins checks pass afterwards, the others are as before
    status = {c["code"]: c["status"] for cat in quick_wins["after"]["categories"] for c in cat["checks"]}
    for i in INFOS:
        if "quick-wins" in i.sets:
            assert status[i.code] == "pass", i.code
    rows = {r["name"]: r for r in quick_wins["comparison"]}
    for name in before:
        assert rows[name]["before"] == before[name] and rows[name]["after"] == after[name]
    assert quick_wins["after_set"] == {"set": "quick-wins", "unsafe_fixes": False}


def test_after_writes_nothing(seen_repo: Path) -> None:
    before = _tree(seen_repo)
    for fmt in ("md", "html", "json"):
        proc = run_cli("report", str(seen_repo), "--after", "all", "--unsafe-fixes", "--format", fmt)
        assert proc.returncode == 0, proc.stderr
    assert _tree(seen_repo) == before


def test_all_unsafe_reaches_the_documented_maximum() -> None:
    doc = _report(str(FIXTURE_SEEN), "--after", "all", "--unsafe-fixes")
    after = {k: v for k, v in _scores(doc["after"]).items() if v is not None}
    assert after == scorecard.maximum(INFOS)
    # ...which is what docs/report.md promises
    text = (REPO / "docs" / "report.md").read_text()
    block = text.split("<!-- maximum:start -->", 1)[1].split("<!-- maximum:end -->", 1)[0]
    documented = {m.group(1).strip("* "): int(m.group(2))
                  for m in re.finditer(r"^\| ([^|]+?) \| (\d+)% \|", block, flags=re.MULTILINE)}
    assert documented == after
    # only report-only checks still fail
    failing = {c["code"] for cat in doc["after"]["categories"] for c in cat["checks"] if c["status"] != "pass"}
    assert failing == {i.code for i in INFOS if i.fix_availability is FixAvailability.NONE}


# -- JSON -------------------------------------------------------------------------------------------
def _normalised(doc: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    doc["root"] = "<root>"
    doc["tool"]["version"] = "<version>"
    return doc


def test_json_snapshot(quick_wins: dict[str, Any]) -> None:
    got = json.dumps(_normalised(quick_wins), indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("SEENFIX_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(got, encoding="utf-8")
    assert got == SNAPSHOT.read_text(encoding="utf-8"), "SEENFIX_UPDATE_SNAPSHOTS=1 rewrites the snapshot"


def test_json_is_deterministic_and_sorted() -> None:
    one = run_cli("report", str(FIXTURE_SEEN), "--format", "json").stdout
    two = run_cli("report", str(FIXTURE_SEEN), "--format", "json").stdout
    assert one == two
    doc = json.loads(one)
    assert [c["name"] for c in doc["before"]["categories"]] == list(assessment.CATEGORIES)


# -- the assessment's structure comes from the seed document ----------------------------------------
def _seed_sections() -> dict[str, str]:
    text = SEED.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {p.split("\n", 1)[0]: p for p in parts[1:]}


def test_checklist_plan_and_issues_are_the_seeds() -> None:
    sections = _seed_sections()
    checklist = next(v for k, v in sections.items() if "Checklist" in k)
    seed_items: list[tuple[str, list[str]]] = []
    for block in re.split(r"^### ", checklist, flags=re.MULTILINE)[1:]:
        head, _, body = block.partition("\n")
        seed_items.append((head.strip(), re.findall(r"^- \[ \] (.+)$", body, flags=re.MULTILINE)))
    assert [(s, [t for t, _ in items]) for s, items in assessment.CHECKLIST] == seed_items

    plan = next(v for k, v in sections.items() if "Priority Fixes" in k)
    seed_plan = [(m.group(1), m.group(2)) for m in re.finditer(r"^### (P\d) - (.+)$", plan, flags=re.MULTILINE)]
    assert [(p, t) for p, t, _ in assessment.PRIORITIES] == seed_plan
    numbered = re.findall(r"^\d+\. (.+)$", plan, flags=re.MULTILINE)
    assert [t for _, _, items in assessment.PRIORITIES for t, _ in items] == numbered

    wins = next(v for k, v in sections.items() if "Quick Wins" in k)
    assert [t for t, _ in assessment.QUICK_WINS] == re.findall(r"^\d+\. (.+)$", wins, flags=re.MULTILINE)

    issues = next(v for k, v in sections.items() if "Critical Issues" in k)
    seed_issues = {int(n): (t, s.lower()) for n, t, s in
                   re.findall(r"^(\d+)\. \*\*(.+?)\*\* \((\w+)\)", issues, flags=re.MULTILINE)}
    assert seed_issues == assessment.ISSUES

    score = next(v for k, v in sections.items() if "Readiness Score" in k)
    rows = re.findall(r"^\| ([A-Z][\w ]+?) \| \d+% \|", score, flags=re.MULTILINE)
    assert tuple(rows) == assessment.CATEGORIES


def test_overall_is_the_mean_the_assessment_uses() -> None:
    # the seed's table: its overall (50%) is the mean of its eight category scores
    score = next(v for k, v in _seed_sections().items() if "Readiness Score" in k)
    values = [int(v) for v in re.findall(r"^\| [A-Z][\w ]+? \| (\d+)% \|", score, flags=re.MULTILINE)]
    overall = int(re.search(r"Overall: (\d+)%", score).group(1))  # type: ignore[union-attr]
    assert scorecard.round_half_up(Fraction(sum(values), len(values))) == overall


def test_every_check_of_the_checklist_and_plan_exists() -> None:
    codes = {i.code for i in INFOS}
    mapped = {c for _, items in assessment.CHECKLIST for _, cs in items for c in cs}
    mapped |= {c for _, _, items in assessment.PRIORITIES for _, cs in items for c in cs}
    mapped |= {c for _, cs in assessment.QUICK_WINS for c in cs}
    assert mapped <= codes
    # every built-in check decides at least one checklist item and counts in a category
    assert {c for _, items in assessment.CHECKLIST for _, cs in items for c in cs} == codes
    assert all(i.category in assessment.CATEGORIES and i.weight > 0 for i in INFOS)


# -- the scoring function ---------------------------------------------------------------------------
def _info(code: str, category: str, weight: int, severity: Severity = Severity.MEDIUM,
          fix: FixAvailability = FixAvailability.ALWAYS) -> FixerInfo:
    return FixerInfo(code=code, slug=code.lower(), summary=f"{code} summary", seed_issue=0, area="x",
                     severity=severity, fix_availability=fix,
                     applicability=Applicability.SAFE if fix is not FixAvailability.NONE else Applicability.DISPLAY_ONLY,
                     sets=frozenset({"all"}), doc="", category=category, weight=weight)


def _finding(code: str, severity: Severity = Severity.MEDIUM) -> Finding:
    return Finding(code, code.lower(), "a.yml", 1, "problem", "fix", severity, True)


@pytest.mark.parametrize(("failing", "errored", "security", "overall"), [
    ((), (), 100, 100),
    (("X1",), (), 50, 75),          # 2 of 4 in Security; Backup 100 -> mean 75
    (("X2",), (), 83, 92),          # 1 of 6 missing: 83.33 -> 83; (83.33 + 100) / 2 = 91.67 -> 92
    ((), ("X2",), 83, 92),          # an error counts as a failure
    (("X1", "X2"), (), 33, 67),     # 2 of 6: 33.33; (33.33 + 100) / 2 = 66.67 -> 67
    (("X1", "X2", "X3"), (), 0, 50),
])
def test_category_and_overall_scores(failing: tuple[str, ...], errored: tuple[str, ...], security: int,
                                     overall: int) -> None:
    infos = [_info("X1", "Security", 3), _info("X2", "Security", 1), _info("X3", "Security", 2),
             _info("X4", "Backup", 5)]
    card = scorecard.build(infos, [_finding(c) for c in failing], errored)
    scores = {c.name: c.score for c in card.categories}
    assert scores["Security"] == security and scores["Backup"] == 100 and scores["Performance"] is None
    assert card.overall == overall


def test_round_half_up() -> None:
    assert [scorecard.round_half_up(Fraction(n, 2)) for n in (1, 3, 5, 7)] == [1, 2, 3, 4]
    assert scorecard.round_half_up(Fraction(125, 2)) == 63  # Python's round() gives 62


def test_plugin_categories_are_scored_and_uncategorised_checks_are_listed_only() -> None:
    infos = [_info("P1", "Compliance", 2), _info("P2", "", 3), _info("X1", "Security", 1)]
    card = scorecard.build(infos, [_finding("P1"), _finding("P2")], ())
    names = [c.name for c in card.categories]
    assert names[:len(assessment.CATEGORIES)] == list(assessment.CATEGORIES)
    assert names[len(assessment.CATEGORIES):] == ["Compliance", scorecard.UNSCORED]
    assert {c.name: c.score for c in card.scored} == {"Security": 100, "Compliance": 0}
    assert card.overall == 50
    doc = scorecard.card_json(card)
    assert [f["category"] for f in doc["findings"]] == ["Compliance", scorecard.UNSCORED]


@pytest.mark.parametrize(("findings", "verdict"), [
    ([("A", Severity.CRITICAL)], "not-ready"),
    ([("C", Severity.HIGH)], "needs-improvements"),          # 67%: needs work
    ([("C", Severity.LOW)], "needs-improvements"),
    ([], "ready"),
    ([("A", Severity.MEDIUM), ("B", Severity.MEDIUM)], "not-ready"),  # Security 33%: critical
])
def test_verdict(findings: list[tuple[str, Severity]], verdict: str) -> None:
    infos = [_info("A", "Security", 1), _info("B", "Security", 1), _info("C", "Security", 1)]
    card = scorecard.build(infos, [_finding(c, s) for c, s in findings], ())
    assert card.verdict == verdict


def test_weights_are_documented_and_shown_by_explain() -> None:
    text = (REPO / "docs" / "report.md").read_text()
    block = text.split("<!-- weights:start -->", 1)[1].split("<!-- weights:end -->", 1)[0]
    rows = re.findall(r"^\| (SF\d+) \| ([^|]+) \| (\w+) \| (\d+) \| (\d+)% \|", block, flags=re.MULTILINE)
    table = scorecard.weights_table(INFOS)
    severity = {i.code: i.severity.value for i in INFOS}
    assert [(r["code"], r["category"], severity[r["code"]], str(r["weight"]), str(r["share"])) for r in table] == \
        [(c, cat.strip(), s, w, share) for c, cat, s, w, share in rows]
    out = run_cli("explain", "SF007").stdout
    assert "counts in Monitoring with weight 2" in out
    listed = json.loads(run_cli("explain", "SF008", "--format", "json").stdout)
    assert (listed["category"], listed["weight"]) == ("Backup", 3)


# -- output ------------------------------------------------------------------------------------------
def test_markdown_has_the_assessments_structure(quick_wins: dict[str, Any]) -> None:
    md = run_cli("report", str(FIXTURE_SEEN), "--after", "quick-wins").stdout
    headings = re.findall(r"^## (.+)$", md, flags=re.MULTILINE)
    assert headings == ["✅ Strengths", "⚠️ Critical Issues", "📋 Production Readiness Checklist",
                        "🎯 Priority Fixes", "📊 Readiness Score"]
    # every checklist item of the seed, ticked only when satisfied, else "not checked" or open
    for section in quick_wins["before"]["checklist"]:
        for item in section["items"]:
            line = next(l for l in md.splitlines() if l.startswith("- [") and f"] {item['text']}:" in l)
            assert line.startswith("- [x]") == (item["state"] == "satisfied")
            assert ("not checked" in line) == (item["state"] == "not-checked")
    # a before -> after row per category, with the JSON's numbers
    for row in quick_wins["comparison"]:
        pct = lambda v: "n/a" if v is None else f"{v}%"  # noqa: E731
        name = "**Overall**" if row["name"] == "Overall" else row["name"]
        assert re.search(rf"^\| {re.escape(name)} \| {pct(row['before'])} \| {pct(row['after'])} \|", md,
                         flags=re.MULTILINE), row
    # each open automatable plan item carries its command; report-only ones point to explain
    assert "Add HTTPS/TLS support: open (SF002): `seenfix apply --select SF002 --unsafe-fixes`" in md
    assert "Database replication: open (SF013): report only, see `seenfix explain SF013`" in md
    assert "Set up database backups: open (SF008): `seenfix apply --select SF008 --unsafe-fixes`" in md
    assert "All at once: `seenfix apply --quick-wins`" in md


def test_plugin_findings_are_listed_unscored(tmp_path: Path) -> None:
    (tmp_path / "NOTES.md").write_text("trailing   \n")
    doc = _report(str(tmp_path), plugins=True)
    other = next(c for c in doc["before"]["categories"] if c["name"] == scorecard.UNSCORED)
    assert [c["code"] for c in other["checks"]] == ["SF901"] and other["score"] is None
    assert any(f["code"] == "SF901" and f["category"] == scorecard.UNSCORED for f in doc["before"]["findings"])
    assert "Other findings" in run_cli("report", str(tmp_path), plugins=True).stdout


def test_an_input_error_is_one_line_and_leaves_the_check_undecided(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16\n   bad: [\n")
    proc = run_cli("report", str(tmp_path), "--format", "json")
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert re.search(r"^error: docker-compose\.yml:\d+: ", proc.stderr, flags=re.MULTILINE), proc.stderr
    doc = json.loads(proc.stdout)
    status = {c["code"]: c["status"] for cat in doc["before"]["categories"] for c in cat["checks"]}
    assert status["SF011"] == "error"
    assert doc["errors"]
    resources = next(i for s in doc["before"]["checklist"] for i in s["items"] if i["codes"] == ["SF011"])
    assert resources["state"] == "unknown"


def test_no_secret_in_any_report_format(tmp_path: Path) -> None:
    from test_no_secret_leak import KNOWN, MOVED, _repo, _seenfix

    root = _repo(tmp_path)
    for fmt in ("md", "html", "json"):
        proc = _seenfix(root, "report", "--after", "all", "--unsafe-fixes", "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        for value in (KNOWN, MOVED):
            assert value not in proc.stdout and value not in proc.stderr, fmt


def test_a_check_with_nothing_to_look_at_counts_nowhere(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    card = _report(str(empty))["before"]
    assert {c["status"] for cat in card["categories"] for c in cat["checks"]} == {"n/a"}
    assert all(c["score"] is None for c in card["categories"])
    assert card["overall"] == {"score": None, "verdict": "nothing-checked", "label": "NOTHING SEENFIX CAN CHECK"}
    assert card["strengths"] == []

    # a compose file only: the compose checks count, the nginx and code checks do not
    compose = tmp_path / "compose"
    compose.mkdir()
    (compose / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n    logging:\n      driver: local\n"
        "    deploy:\n      resources:\n        limits:\n          memory: 256M\n          cpus: '0.5'\n")
    card = _report(str(compose))["before"]
    status = {c["code"]: c["status"] for cat in card["categories"] for c in cat["checks"]}
    assert {k for k, v in status.items() if v == "n/a"} == {"SF002", "SF003", "SF005", "SF009", "SF010"}
    assert status["SF007"] == "pass" and status["SF011"] == "pass"
    security = next(c for c in card["categories"] if c["name"] == "Security")
    assert security["weight"] == 10  # SF001, SF004 and SF014 only
    headers = next(i for s in card["checklist"] for i in s["items"] if i["codes"] == ["SF003"])
    assert headers["state"] == "not-applicable" and headers["command"] is None
    assert not any("SF003" in s for s in card["strengths"])


def test_a_check_with_a_finding_is_never_n_a() -> None:
    from seenfix.core.project import Layout

    info = _info("X1", "Security", 1)
    info = type(info)(**{**info.__dict__, "needs": ("nginx_files",)})
    empty = Layout()
    assert scorecard.build([info], [], (), empty).checks[0].status == "n/a"
    card = scorecard.build([info], [_finding("X1")], (), empty)
    assert card.checks[0].status == "fail" and card.overall == 0
