"""Baselines: the findings a team has accepted for now, so that a check reports only new ones.

As gitleaks and detect-secrets do, a finding is matched by its code, its path and a fingerprint of
its content (a digest of the finding's source line, whitespace-trimmed, and of how many identical
lines with the same code come before it in the file), never by its line number: moving code up or
down keeps it matched, editing the line makes it new.  The file stores digests and messages only
(masked like every output), never the source lines.

```json
{"version": 1, "tool": "seenfix",
 "findings": [{"code": "SF010", "path": "backend/app/api/downloads.py", "line": 11,
               "fingerprint": "3f1c...", "message": "TODO comment: ..."}]}
```
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from seenfix.core.model import Finding

BASELINE_VERSION = 1

Reader = Callable[[str], "str | None"]


class BaselineError(Exception):
    pass


def fingerprints(findings: Sequence[Finding], read: Reader) -> list[str]:
    """One fingerprint per finding, in the order given."""
    texts: dict[str, list[str]] = {}
    seen: Counter[tuple[str, str, str]] = Counter()
    order = sorted(range(len(findings)), key=lambda i: (findings[i].path, findings[i].line,
                                                         findings[i].column, findings[i].code))
    out = [""] * len(findings)
    for i in order:
        f = findings[i]
        if f.path not in texts:
            text = read(f.path)
            texts[f.path] = text.splitlines() if text is not None else []
        lines = texts[f.path]
        content = lines[f.line - 1].strip() if 0 < f.line <= len(lines) else ""
        key = (f.code, f.path, content)
        n = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join([f.code, f.path, content, str(n)]).encode("utf-8")).hexdigest()
        out[i] = digest[:32]
    return out


def dump(findings: Sequence[Finding], read: Reader, redact: Callable[[str], str]) -> str:
    prints = fingerprints(findings, read)
    rows = sorted(
        ({"code": f.code, "path": f.path, "line": f.line, "fingerprint": p, "message": redact(f.message)}
         for f, p in zip(findings, prints)),
        key=lambda r: (r["path"], r["line"], r["code"], r["fingerprint"]))
    return json.dumps({"version": BASELINE_VERSION, "tool": "seenfix", "findings": rows}, indent=2) + "\n"


def load(path: Path) -> Counter[tuple[str, str, str]]:
    """The baseline's ``(code, path, fingerprint)`` entries, counted."""
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a seenfix baseline (invalid JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != BASELINE_VERSION or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{path}: not a seenfix baseline (version {BASELINE_VERSION} with a findings list)")
    entries: Counter[tuple[str, str, str]] = Counter()
    for n, row in enumerate(doc["findings"]):
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("code", "path", "fingerprint")):
            raise BaselineError(f"{path}: findings[{n}]: expected code, path and fingerprint strings")
        entries[(row["code"], row["path"], row["fingerprint"])] += 1
    return entries


def new_findings(findings: Sequence[Finding], read: Reader,
                 baseline: Counter[tuple[str, str, str]]) -> list[Finding]:
    """The findings the baseline does not hold (each baseline entry absorbs one finding)."""
    left = Counter(baseline)
    out = []
    for f, p in zip(findings, fingerprints(findings, read)):
        key = (f.code, f.path, p)
        if left[key] > 0:
            left[key] -= 1
        else:
            out.append(f)
    return out
