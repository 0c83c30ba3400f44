"""Findings as text, JSON or SARIF.

The JSON form is stable (``version`` is the format's version, bumped only on incompatible change)::

    {"version": 1, "tool": {"name": "seenfix", "version": "0.1.0"}, "root": "/abs/path",
     "findings": [{"code": "SF011", "slug": "missing-resource-limits", "path": "docker-compose.yml",
                   "line": 7, "column": 1, "message": "...", "fix_title": "...",
                   "severity": "medium", "fixable": true}],
     "errors": ["path:line: CODE: message", ...]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from seenfix import __version__
from seenfix.core.model import Finding, FixerInfo, Severity

JSON_FORMAT_VERSION = 1
_SARIF_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
                Severity.LOW: "note"}


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.code, f.message))


def as_text(findings: Sequence[Finding]) -> str:
    lines = []
    for f in sort_findings(findings):
        fix = " [*]" if f.fixable else ""
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.code}{fix} {f.message}")
    return "".join(line + "\n" for line in lines)


def as_json(root: str, findings: Sequence[Finding], errors: Sequence[str],
            unused_suppressions: Sequence[str] = ()) -> str:
    doc: dict[str, Any] = {
        "version": JSON_FORMAT_VERSION,
        "tool": {"name": "seenfix", "version": __version__},
        "root": root,
        "findings": [f.to_json() for f in sort_findings(findings)],
        "errors": list(errors),
        "unused_suppressions": list(unused_suppressions),
    }
    return json.dumps(doc, indent=2) + "\n"


def as_sarif(root: str, findings: Sequence[Finding], infos: Sequence[FixerInfo]) -> str:
    rules = [
        {
            "id": i.code,
            "name": i.slug,
            "shortDescription": {"text": i.summary},
            "fullDescription": {"text": i.doc.split("\n\n")[1] if "\n\n" in i.doc else i.summary},
            "help": {"text": i.doc, "markdown": i.doc},
            "defaultConfiguration": {"level": _SARIF_LEVEL[i.severity]},
            "properties": {"seed_issue": i.seed_issue, "sets": sorted(i.sets)},
        }
        for i in infos
    ]
    index = {i.code: n for n, i in enumerate(infos)}
    results = [
        {
            "ruleId": f.code,
            **({"ruleIndex": index[f.code]} if f.code in index else {}),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": f.line, "startColumn": f.column},
                }
            }],
            "properties": {"fixable": f.fixable, "fix_title": f.fix_title},
        }
        for f in sort_findings(findings)
    ]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "seenfix", "version": __version__, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + root.rstrip("/") + "/"}},
            "results": results,
        }],
    }
    return json.dumps(sarif, indent=2) + "\n"


_GITHUB_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
                 Severity.LOW: "notice"}
_GITLAB_SEVERITY = {Severity.CRITICAL: "critical", Severity.HIGH: "major", Severity.MEDIUM: "minor",
                    Severity.LOW: "info"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(findings: Sequence[Finding], prefix: str = "") -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...::message``): each finding is an
    annotation on the pull request's diff.  ``prefix`` leads every path (the checked folder as seen
    from the workspace root)."""
    out = []
    for f in sort_findings(findings):
        props = (f"file={_gh_property(prefix + f.path)},line={f.line},col={f.column},"
                 f"title={_gh_property(f'{f.code} {f.slug}')}")
        fix = f" (fix: {f.fix_title})" if f.fixable and f.fix_title else ""
        out.append(f"::{_GITHUB_LEVEL[f.severity]} {props}::{_gh_data(f.message + fix)}\n")
    return "".join(out)


def as_gitlab(findings: Sequence[Finding], fingerprints: Sequence[str], prefix: str = "") -> str:
    """GitLab's Code Quality report (a JSON array, the CodeClimate subset GitLab reads)."""
    order = sorted(range(len(findings)), key=lambda i: (findings[i].path, findings[i].line, findings[i].code))
    issues = [
        {
            "description": f"{findings[i].code} {findings[i].message}",
            "check_name": findings[i].code,
            "fingerprint": fingerprints[i],
            "severity": _GITLAB_SEVERITY[findings[i].severity],
            "location": {"path": prefix + findings[i].path, "lines": {"begin": findings[i].line}},
        }
        for i in order
    ]
    return json.dumps(issues, indent=2) + "\n"


def statistics(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Counts per code, most frequent first (ruff's ``--statistics``)."""
    rows: dict[str, dict[str, Any]] = {}
    for f in findings:
        row = rows.setdefault(f.code, {"code": f.code, "name": f.slug, "count": 0, "fixable": 0})
        row["count"] += 1
        row["fixable"] += int(f.fixable)
    return sorted(rows.values(), key=lambda r: (-r["count"], r["code"]))


def statistics_text(findings: Sequence[Finding]) -> str:
    lines = []
    for row in statistics(findings):
        mark = "[*]" if row["fixable"] == row["count"] else "[-]" if row["fixable"] else "[ ]"
        lines.append(f"{row['count']:>5}\t{row['code']}\t{mark} {row['name']}\n")
    return "".join(lines)
