"""SF011, SF007 then SF012 over every real compose file of ``../shared/corpus/compose``.

For each file: only insertions (every original line still there, in order; the exceptions are
Dragonfly's flags and SF012's short ``depends_on`` lists turned into the long form: ``- db`` becomes
``db:`` plus a ``condition:`` line, ``[db]`` becomes ``{db: {condition: ...}}``), no blank line or
comment displaced from its service, the data equal to the original plus the new keys only, valid
against the Compose Specification schema where the input was, files without services unchanged, and
a second run changing nothing.  Run with ``-s`` to see the counts.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from seenfix.editors.compose_schema import is_valid
from seenfix.editors import yaml as Y
from seenfix.fixers.missing_health_checks import MissingHealthChecks
from seenfix.fixers.missing_log_rotation import MissingLogRotation
from seenfix.fixers.missing_resource_limits import MissingResourceLimits

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "compose"
SERVICE_KEYS = {"deploy", "shm_size", "ulimits", "command", "logging", "mem_limit", "mem_reservation", "cpus",
                "healthcheck"}
TOP_KEYS = {"x-logging", "x-default-logging", "x-log-rotation"}


def _files() -> list[Path]:
    if not (CORPUS / "files").is_dir():
        pytest.skip(f"compose corpus not found at {CORPUS} (../shared is not checked out)")
    return sorted((CORPUS / "files").iterdir())


def _contains(before: Any, after: Any) -> bool:
    """``after`` holds everything ``before`` holds (mappings may have gained keys)."""
    if isinstance(before, dict):
        return isinstance(after, dict) and all(k in after and _contains(v, after[k]) for k, v in before.items())
    return bool(before == after and type(before) is type(after))


def _only_intended(before: Any, after: Any) -> str | None:
    if not isinstance(before, dict):
        return None if before == after else "root changed"
    extra = set(after) - set(before) - TOP_KEYS
    if extra:
        return f"new top-level keys {extra}"
    for k, v in before.items():
        if k != "services" and v != after[k]:
            return f"/{k} changed"
    for name, svc in (before.get("services") or {}).items():
        new = after["services"][name]
        svc = svc or {}
        for k in set(svc) | set(new):
            if k == "depends_on":
                if not _same_dependencies(svc.get(k), new.get(k)):
                    return f"/services/{name}/depends_on changed beyond its conditions"
            elif k in SERVICE_KEYS and k != "command":
                if k in svc and not _contains(svc[k], new[k]):
                    return f"/services/{name}/{k} lost data"
            elif svc.get(k) != new.get(k):
                return f"/services/{name}/{k} changed"
    return None


def _conditions(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list):
        return {str(v): {"condition": "service_started"} for v in value}
    return dict(value) if isinstance(value, dict) else None


def _same_dependencies(before: Any, after: Any) -> bool:
    """The same dependencies in the same order with the same options, where only a
    ``service_started`` condition (explicit, or implied by the short form) may become ``service_healthy``."""
    if before == after:
        return True
    old, new = _conditions(before), _conditions(after)
    if old is None or new is None or list(old) != list(new):
        return False
    for name, opts in old.items():
        opts, got = dict(opts or {}), dict(new[name] or {})
        was, now = opts.pop("condition", "service_started"), got.pop("condition", "service_started")
        if opts != got or (was != now and (was, now) != ("service_started", "service_healthy")):
            return False
    return True


_ITEM = re.compile(r"^(\s*)-\s+([^\s#]+)(\s*#.*)?\s*$")
_KEY = re.compile(r"^(\s*)([^\s#:]+):(\s*#.*)?\s*$")
_COND = re.compile(r"^\s*condition: service_(healthy|started)(\s*#.*)?$")
_FLOW_LIST = re.compile(r"^(\s*depends_on:\s*)\[([^\]#]*)\](\s*#.*)?$")
_FLOW_MAP = re.compile(r"^(\s*depends_on:\s*)\{(.*)\}(\s*#.*)?$")


def _canonical(line: str) -> str:
    """A line with depends_on's short and long forms written alike: ``- db`` and ``db:`` as
    ``KEY db``, ``[a, b]`` and ``{a: {condition: ...}, b: ...}`` as ``FLOW a,b``, any
    ``service_started``/``service_healthy`` condition as ``condition: SERVICE``."""
    for pattern in (_ITEM, _KEY):
        m = pattern.match(line)
        if m:
            return f"KEY {m.group(2)} {(m.group(3) or '').strip()}"
    m = _FLOW_LIST.match(line)
    if m:
        return "FLOW " + ",".join(x.strip() for x in m.group(2).split(",")) + " " + (m.group(3) or "").strip()
    m = _FLOW_MAP.match(line)
    if m:
        entries = re.findall(r"([^\s{},:]+): \{condition: service_(?:healthy|started)\}", m.group(2))
        return "FLOW " + ",".join(entries) + " " + (m.group(3) or "").strip()
    m = _COND.match(line)
    if m:
        return f"condition: SERVICE {(m.group(2) or '').strip()}"
    return line.strip()


def _depends_on_rewrite(old: list[str], new: list[str]) -> bool:
    """Replaced lines that only turn a short depends_on into the long form (names, comments and
    order kept; new lines inserted) or change a ``service_started`` condition."""
    ops = difflib.SequenceMatcher(a=[_canonical(x) for x in old], b=[_canonical(x) for x in new],
                                  autojunk=False).get_opcodes()
    return all(op[0] in ("equal", "insert") for op in ops)


def _displaced(orig: list[str], new: list[str]) -> list[str]:
    """Inserted blocks preceded by a blank line or a shallower comment that used to sit before
    the next key (the "displaced separator" artifact)."""
    bad = []
    sm = difflib.SequenceMatcher(a=orig, b=new, autojunk=False)
    for tag, i1, _i2, j1, j2 in sm.get_opcodes():
        if tag != "insert" or i1 == 0:
            continue
        first = new[j1]
        indent = len(first) - len(first.lstrip())
        if indent == 0:  # a new top-level block (x-logging) is inserted before `services:`
            continue
        prev = orig[i1 - 1]
        p_indent = len(prev) - len(prev.lstrip())
        if not prev.strip() or (prev.lstrip().startswith("#") and p_indent < indent):
            bad.append(f"{j1 + 1}: {first.strip()} after {prev!r}")
    return bad


_DFLY_FLAG = re.compile(r"\s*--(maxmemory|proactor_threads)(=|\s+)[^\s\"']+")


def _flag_rewrite(old: list[str], new: list[str]) -> bool:
    """A replaced line that only had Dragonfly's --maxmemory/--proactor_threads set (string command)."""
    def norm(line: str) -> str:
        return _DFLY_FLAG.sub("", line).replace('"', "").replace("'", "").rstrip()
    return len(old) == len(new) and all(norm(a) == norm(b) for a, b in zip(old, new))


def _fix(text: str, path: str) -> str:
    for fixer in (MissingResourceLimits(), MissingLogRotation(), MissingHealthChecks()):
        new = fixer.compose_fix(path, text, None)
        if new is not None:
            assert fixer.verify(path, text, new) is None
            text = new
    return text


def test_corpus() -> None:
    files = _files()
    manifest = {e["file"]: e for e in json.loads((CORPUS / "manifest.json").read_text())}
    counts = {"files": 0, "changed": 0, "only_insertions": 0, "displaced": 0, "data_ok": 0,
              "schema_valid_in": 0, "schema_valid_out": 0, "no_services_identical": 0, "idempotent": 0,
              "services": 0, "rewrites": 0, "healthchecks_added": 0,
              "waits_for_healthy": 0}
    failures: list[str] = []
    for f in files:
        text = f.read_bytes().decode("utf-8")
        counts["files"] += 1
        out = _fix(text, f.name)
        doc_in, doc_out = Y.load(text, f.name), Y.load(out, f.name)
        n_services = len(list(Y.services(doc_in)))
        counts["services"] += n_services
        if n_services == 0 or manifest.get(f.name, {}).get("features", {}).get("services") == 0:
            if out == text:
                counts["no_services_identical"] += 1
            else:
                failures.append(f"{f.name}: changed although it has no services")
            continue
        counts["changed"] += out != text
        orig, new = text.splitlines(), out.splitlines()
        ops = difflib.SequenceMatcher(a=orig, b=new, autojunk=False).get_opcodes()
        if all(op[0] in ("equal", "insert") for op in ops):
            counts["only_insertions"] += 1
        elif all(op[0] in ("equal", "insert") or (op[0] == "replace" and (
                _flag_rewrite(orig[op[1]:op[2]], new[op[3]:op[4]]) or _depends_on_rewrite(orig[op[1]:op[2]], new[op[3]:op[4]])))
                for op in ops):
            counts["rewrites"] += 1
        else:
            failures.append(f"{f.name}: lines deleted or replaced")
        bad = _displaced(orig, new)
        counts["displaced"] += len(bad)
        failures.extend(f"{f.name}:{b}" for b in bad)
        problem = _only_intended(Y.to_plain(doc_in.data), Y.to_plain(doc_out.data))
        if problem is None:
            counts["data_ok"] += 1
        else:
            failures.append(f"{f.name}: {problem}")
        if is_valid(Y.to_plain(doc_in.data)):
            counts["schema_valid_in"] += 1
            if is_valid(Y.to_plain(doc_out.data)):
                counts["schema_valid_out"] += 1
            else:
                failures.append(f"{f.name}: no longer schema-valid")
        had = {s.name for s in Y.services(doc_in) if isinstance(s.node, dict) and "healthcheck" in s.node}
        now = {s.name: s.node for s in Y.services(doc_out)}
        for svc in Y.services(doc_out):  # a dependant waits only for services that have a health check
            deps = (svc.node or {}).get("depends_on") if isinstance(svc.node, dict) else None
            for dep, opts in (deps.items() if isinstance(deps, dict) else []):
                if isinstance(opts, dict) and opts.get("condition") == "service_healthy" and dep in now:
                    counts["waits_for_healthy"] += 1
                    node = now[dep] or {}
                    if "healthcheck" not in node and "dragonfly" not in str(node.get("image", "")):
                        failures.append(f"{f.name}: {svc.name} waits for {dep}, which has no health check")
        for svc in Y.services(doc_out):  # every service now limited and rotated
            node = svc.node or {}
            counts["healthchecks_added"] += svc.name not in had and "healthcheck" in node
            limited = "mem_limit" in node or "memory" in (node.get("deploy") or {}).get("resources", {}).get("limits", {})
            if not limited or "logging" not in node:
                failures.append(f"{f.name}: service {svc.name} still lacks limits or logging")
        if _fix(out, f.name) == out:
            counts["idempotent"] += 1
        else:
            failures.append(f"{f.name}: a second run changes it again")
    print("\ncompose corpus:", json.dumps(counts))
    assert not failures, "\n".join(failures)
    assert counts["files"] == len(files) and counts["changed"] > 0


def test_corpus_line_ending_variants() -> None:
    """The same files with CRLF line endings and without a final newline: the fix keeps both and
    gives the same result as on the original, line for line."""
    files = _files()
    checked = 0
    for f in files:
        text = f.read_bytes().decode("utf-8")
        if "\r" in text:
            continue
        base = _fix(text, f.name)
        for variant in (text.rstrip("\n"), text.replace("\n", "\r\n").rstrip("\r\n")):
            out = _fix(variant, f.name)
            crlf = "\r\n" in variant
            assert ("\r\n" in out) == crlf or out == variant, f.name
            if crlf:
                assert out.count("\n") == out.count("\r\n"), f"{f.name}: mixed line endings"
            assert out.endswith("\n") == variant.endswith("\n"), f"{f.name}: final newline changed"
            assert out.replace("\r\n", "\n").rstrip("\n") == base.rstrip("\n"), f.name
            checked += 1
    print(f"\ncompose corpus line-ending variants checked: {checked}")
    assert checked >= 2 * (len(files) - 2)
