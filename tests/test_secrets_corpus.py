"""SF001 on ../shared/corpus/secrets, following the corpus README's harness and scoring exactly.

Per case: ``git init`` a temp dir, copy every ``corpus_file`` to its ``target_path`` (``dot.X`` path
components mean ``.X``), ``git add -f`` the tracked ones (no commit), detect; then fix a fresh copy
through the real runner and check F1 (parses), F2 (weak literal gone), F4 (no collateral, strict and
lenient), F5 (a strong secret in an untracked, ignored ``.env``; ``.gitignore`` only gains lines; a
second run changes nothing).  Prints precision / recall overall, for core cases and per kind group,
and the fix pass rates.  ``ts-syntax`` is checked with tree-sitter-typescript (a TypeScript parser)
instead of the ``typescript`` npm package, which is not a dependency.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import posixpath
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from seenfix.core.config import Config
from seenfix.fixers.weak_jwt_secret import WeakJwtSecret
from seenfix.engine.run import run
from seenfix.engine.write import write

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "secrets"


def _cases() -> list[dict[str, Any]]:
    if not (CORPUS / "cases.json").is_file():
        return []
    data = json.loads((CORPUS / "cases.json").read_text())
    return list(data["cases"] if isinstance(data, dict) else data)


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=check)


def _materialise(case: dict[str, Any], root: Path) -> None:
    _git(root.parent, "init", "-q", str(root))
    _git(root, "config", "core.autocrlf", "false")
    for f in case["files"]:
        src = CORPUS / f["corpus_file"]
        dest = root / f["target_path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    tracked = [f["target_path"] for f in case["files"] if f["git"] == "tracked"]
    if tracked:
        _git(root, "add", "-f", "--", *tracked)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _ls_files(root: Path) -> set[str]:
    return set(_git(root, "ls-files").stdout.split())


def _detect(root: Path) -> list[tuple[str, int]]:
    result = run(root, [WeakJwtSecret], Config(), fix=False)
    assert not result.failures, result.failures
    return sorted({(f.path, f.line) for f in result.findings})


def _fix(root: Path) -> Any:
    result = run(root, [WeakJwtSecret], Config(), fix=True)
    assert not result.failures, result.failures
    write(result, force=True)
    # The runner untracks with `git rm --cached`, which git refuses when the index differs from both
    # HEAD and the file -- always the case in this harness, which stages without committing.
    untrack = [c.path for c in result.changes.values() if c.untrack]
    if untrack:
        _git(root, "rm", "--cached", "-q", "-f", "--", *untrack, check=False)
    return result


# -- F1 ---------------------------------------------------------------------------------------------

def _parses(kind: str, path: Path) -> bool:
    text = path.read_text()
    if kind == "yaml":
        try:
            import yaml

            list(yaml.safe_load_all(text))
        except ImportError:  # pragma: no cover
            from ruamel.yaml import YAML

            list(YAML(typ="safe").load_all(text))
        except Exception:
            return False
        return True
    if kind == "python-ast":
        try:
            ast.parse(text)
        except SyntaxError:
            return False
        return True
    if kind == "node-check":
        if shutil.which("node") is None:
            pytest.skip("node is not installed (needed for the node-check parse test)")
        if re.search(r"^\s*(import|export)\b", text, re.MULTILINE):
            proc = subprocess.run(["node", "--input-type=module", "--check"], input=text, capture_output=True,
                                  text=True)
        else:
            proc = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
        return proc.returncode == 0
    if kind == "ts-syntax":
        import tree_sitter
        import tree_sitter_typescript

        lang = tree_sitter.Language(tree_sitter_typescript.language_tsx() if path.suffix == ".tsx"
                                    else tree_sitter_typescript.language_typescript())
        tree = tree_sitter.Parser(lang).parse(text.encode())
        return not tree.root_node.has_error
    if kind == "dotenv":
        return all(re.match(r"^[A-Za-z_][A-Za-z0-9_.]*=", ln) for ln in text.splitlines()
                   if ln.strip() and not ln.lstrip().startswith("#"))
    if kind == "properties":
        return all(re.match(r"^[^=:]+[=:]", ln) for ln in text.splitlines()
                   if ln.strip() and not ln.lstrip().startswith(("#", "!")))
    return True  # none / none(...)


# -- F5 helpers -------------------------------------------------------------------------------------

def _entropy(v: str) -> float:
    c = Counter(v)
    return -sum(n / len(v) * math.log2(n / len(v)) for n in c.values())


def _strong(v: str, removed: str) -> bool:
    hexy = bool(re.fullmatch(r"[0-9a-fA-F]+", v))
    return len(v) >= 32 and _entropy(v) >= (3.5 if hexy else 4.0) and v != removed


def _env_value(path: Path, var: str) -> str | None:
    from seenfix.editors import dotenv

    if not path.is_file():
        return None
    got = dotenv.parse(path.read_text()).get(var)
    return got.value if got else None


def _env_keys(path: Path) -> list[str]:
    from seenfix.editors import dotenv

    return dotenv.parse(path.read_text()).keys() if path.is_file() else []


def _env_value_bytes(data: bytes, var: str) -> str | None:
    from seenfix.editors import dotenv

    got = dotenv.parse(data.decode()).get(var)
    return got.value if got else None


def _untracked_ignored(root: Path, rel: str) -> bool:
    tracked = _git(root, "ls-files", "--error-unmatch", rel, check=False).returncode == 0
    ignored = _git(root, "check-ignore", "-q", rel, check=False).returncode == 0
    return not tracked and ignored


# -- F3 (fix shape, reported only) -------------------------------------------------------------------

def _shape_ok(case: dict[str, Any], f: dict[str, Any], root: Path) -> bool:
    path = root / f["file"]
    text = path.read_text() if path.is_file() else ""
    var, env = re.escape(f["var"]), re.escape(f["env_var"])
    group = case["kind_group"]
    if group.startswith("compose"):
        return bool(re.search(rf"\$\{{{env}:?\?", text))
    if group == "pydantic":
        return bool(re.search(rf"^\s*{var}\s*:[^=\n]*$|^\s*{var}\s*:.*Field\(\s*(\.\.\.|default=\.\.\.)",
                              text, re.MULTILINE))
    if group == "os-getenv":
        return bool(re.search(r"os\.environ\[", text))
    if group == "node":
        return not re.search(rf"process\.env(\.{env}|\[['\"]{env}['\"]\])\s*(\|\||\?\?)\s*['\"`]", text) \
            and not re.search(rf"['\"`]{re.escape(f['value'])}['\"`]", text)
    if group == "dotenv":
        return _untracked_ignored(root, f["file"])
    return f["value"] not in text


# -- one case ---------------------------------------------------------------------------------------

def _changed_lines(before: str, after: str) -> tuple[set[int], list[str]]:
    """1-based changed/deleted line numbers of ``before`` and the inserted lines."""
    a, b = before.splitlines(), after.splitlines()
    changed: set[int] = set()
    inserted: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            changed.update(range(i1 + 1, i2 + 1))
            if op == "replace" and (j2 - j1) > (i2 - i1):
                inserted.extend(b[j1 + (i2 - i1):j2])
        elif op == "insert":
            inserted.extend(b[j1:j2])
    return changed, inserted


def _score_fix(case: dict[str, Any], tmp: Path) -> dict[str, Any]:
    root = tmp / "fix"
    _materialise(case, root)
    before, tracked_before = _tree(root), _ls_files(root)
    result = _fix(root)
    after, tracked_after = _tree(root), _ls_files(root)
    findings = case["findings"]
    required = required_all = [f for f in findings if f["required"]]
    spans: dict[str, list[tuple[int, int]]] = {}
    for f in findings:
        spans.setdefault(f["file"], []).append((f["span"][0], f["span"][1]))
    out: dict[str, Any] = {"F1": True, "F2": True, "F4strict": True, "F4lenient": True, "F5": True, "F3": True}
    # F1
    for f in case["files"]:
        p = root / f["target_path"]
        if p.is_file() and not _parses(f["parse_check"], p):
            out["F1"] = False
    # F2
    lines_needed: Counter[tuple[str, str]] = Counter(
        (f["file"], f["line_text"]) for f in required if f["post_fix_check"] == "line-changed")
    for f in required:
        text = (root / f["file"]).read_text() if (root / f["file"]).is_file() else ""
        gone_by_untrack = case["kind_group"] == "dotenv" and _untracked_ignored(root, f["file"])
        check = f["post_fix_check"]
        if check == "literal-absent":
            ok = not re.search(rf"(?<![A-Za-z0-9_]){re.escape(f['value'])}(?![A-Za-z0-9_])", text)
        elif check == "line-changed":
            orig = before[f["file"]].decode().splitlines().count(f["line_text"])
            ok = orig - text.splitlines().count(f["line_text"]) >= lines_needed[(f["file"], f["line_text"])]
        elif check == "regex-absent":
            ok = not re.search(case["post_absent_regex"][f["file"]], text)
        else:
            ok = True
        out["F2"] = out["F2"] and (ok or gone_by_untrack)
    # F4
    for rel, old in before.items():
        new = after.get(rel)
        if new == old:
            continue
        if rel == ".gitignore":
            continue  # checked by F5: only gains lines
        if new is None or case["verdict"] == "no-flag" or rel not in spans:
            out["F4strict"] = out["F4lenient"] = False
            continue
        changed, inserted = _changed_lines(old.decode(), new.decode())
        inside = all(any(a <= n <= b for a, b in spans[rel]) for n in changed)
        traps = {t["line"] for t in case["traps"] if t["file"] == rel}
        if not inside or changed & traps:
            out["F4strict"] = out["F4lenient"] = False
        if inserted:
            out["F4strict"] = False
        values = [f["value"] for f in findings if f["file"] == rel and f.get("value")]
        if len(inserted) > 3 or any(v in ln for ln in inserted for v in values):
            out["F4lenient"] = False
    if tracked_after - tracked_before:
        out["F4strict"] = out["F4lenient"] = False
    # F5
    gi_old, gi_new = before.get(".gitignore", b"").decode(), after.get(".gitignore", b"").decode()
    if not gi_new.startswith(gi_old.rstrip("\r\n")) or not set(gi_old.splitlines()) <= set(gi_new.splitlines()):
        out["F5"] = False
    compose_dirs = {posixpath.dirname(f["target_path"]) for f in case["files"]
                    if re.search(r"(^|/)(docker-)?compose[^/]*\.ya?ml$", f["target_path"])}
    env_places = [".env"] + [f"{d}/.env" for d in compose_dirs if d]
    if case["verdict"] == "flag" and case["tier"] == "extended":
        # the tool picks the variable name: some new strong entry must appear
        new_entries = [(p, k) for p in env_places + [f["file"] for f in required]
                       if _untracked_ignored(root, p) for k in _env_keys(root / p)
                       if (v := _env_value(root / p, k)) and _strong(v, "") and
                       (before.get(p) is None or _env_value_bytes(before[p], k) != v)]
        out["F5"] = bool(new_entries)
        required = []
    for f in required:
        if case["verdict"] != "flag":
            continue
        places = env_places + ([f["file"]] if case["kind_group"] == "dotenv" else [])
        good = any(_untracked_ignored(root, p) and (v := _env_value(root / p, f["env_var"])) is not None
                   and _strong(v, f["value"]) for p in places)
        out["F5"] = out["F5"] and good
    if case["verdict"] == "no-flag" and set(after) - set(before):
        out["F5"] = False
    # idempotence
    again = run(root, [WeakJwtSecret], Config(), fix=True)
    out["idempotent"] = not again.changes
    out["F5"] = out["F5"] and out["idempotent"]
    out["leaked"] = any(v in str(result.findings) for v in result.secret_values)
    out["F3"] = case["verdict"] != "flag" or all(_shape_ok(case, f, root) for f in required_all)
    return out


@pytest.mark.slow
def test_secrets_corpus(tmp_path: Path) -> None:
    cases = _cases()
    if not cases:
        pytest.skip(f"secrets corpus not found at {CORPUS.resolve()}")
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    case_ok: Counter[str] = Counter()
    case_n: Counter[str] = Counter()
    fix_rows: list[tuple[dict[str, Any], bool, dict[str, Any]]] = []
    missed: list[str] = []
    false_pos: list[str] = []
    for case in cases:
        work = tmp_path / case["id"]
        work.mkdir()
        det_root = work / "detect"
        _materialise(case, det_root)
        reports = _detect(det_root)
        groups = ["all", case["tier"], f"group:{case['kind_group']}"]
        req = [f for f in case["findings"] if f["required"]]
        opt = [f for f in case["findings"] if not f["required"]]

        def matches(r: tuple[str, int], f: dict[str, Any]) -> bool:
            return r[0] == f["file"] and f["span"][0] <= r[1] <= f["span"][1]

        hit = [any(matches(r, f) for r in reports) for f in req]
        for g in groups:
            tp[g] += sum(hit)
            fn[g] += len(hit) - sum(hit)
        for f, h in zip(req, hit):
            if not h:
                missed.append(f"{case['id']} {f['file']}:{f['line']} {f['var']}")
        for r in reports:
            if any(matches(r, f) for f in req) or any(matches(r, f) for f in opt):
                continue
            false_pos.append(f"{case['id']} {r[0]}:{r[1]}")
            for g in groups:
                fp[g] += 1
        detected = all(hit) if case["verdict"] == "flag" else not reports
        if case["verdict"] != "optional":
            for g in groups:
                case_n[g] += 1
                case_ok[g] += int(detected)
        fix_rows.append((case, detected, _score_fix(case, work)))

    def prf(g: str) -> tuple[float, float, float]:
        p = tp[g] / (tp[g] + fp[g]) if tp[g] + fp[g] else 1.0
        r = tp[g] / (tp[g] + fn[g]) if tp[g] + fn[g] else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    print("\nSF001 on the secrets corpus")
    for g in sorted(tp.keys() | fp.keys() | fn.keys(), key=lambda g: (g.startswith("group:"), g)):
        p, r, f1 = prf(g)
        print(f"  {g:28} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  (TP {tp[g]} FP {fp[g]} FN {fn[g]})"
              f"  cases {case_ok[g]}/{case_n[g]}")
    print("  missed:", missed or "none")
    print("  false positives:", false_pos or "none")
    positives = [(c, d, o) for c, d, o in fix_rows if c["verdict"] == "flag"]
    negatives = [(c, d, o) for c, d, o in fix_rows if c["verdict"] == "no-flag"]
    optional = [(c, d, o) for c, d, o in fix_rows if c["verdict"] == "optional"]

    def passed(o: dict[str, Any], strict: bool) -> bool:
        return bool(o["F1"] and o["F2"] and o["F4strict" if strict else "F4lenient"] and o["F5"])

    for strict in (True, False):
        label = "strict" if strict else "lenient"
        all_pass = sum(passed(o, strict) for _, _, o in positives)
        det = [(c, o) for c, d, o in positives if d]
        print(f"  fix pass ({label}): {all_pass}/{len(positives)} positive cases, "
              f"{sum(passed(o, strict) for _, o in det)}/{len(det)} detected ones")
    print(f"  F3 fix shape: {sum(o['F3'] for _, _, o in positives)}/{len(positives)} positive cases")
    untouched = sum(o["F4strict"] and o["F5"] for _, _, o in negatives)
    print(f"  negatives untouched: {untouched}/{len(negatives)}")
    print(f"  optional cases F1+F4: {sum(o['F1'] and o['F4lenient'] for _, _, o in optional)}/{len(optional)}")
    for c, _, o in fix_rows:
        bad = [k for k in ("F1", "F2", "F3", "F4strict", "F4lenient", "F5", "idempotent") if not o[k]]
        if bad and not (c["verdict"] == "optional" and set(bad) <= {"F2", "F3", "F5", "F4strict"}):
            print(f"  {c['id']} ({c['tier']}): fails {', '.join(bad)}")

    p_core, r_core, _ = prf("core")
    assert p_core == 1.0, false_pos
    assert r_core >= 0.95, missed
    for c, _, o in fix_rows:
        assert not o["leaked"], c["id"]
        assert o["F1"] and o["idempotent"], (c["id"], o)
        if c["verdict"] == "no-flag":
            assert o["F4strict"] and o["F5"], (c["id"], o)
        if c["verdict"] == "optional":
            assert o["F4lenient"], (c["id"], o)
        if c["verdict"] == "flag" and c["tier"] == "core":
            assert passed(o, strict=False), (c["id"], o)
