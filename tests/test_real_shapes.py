"""Real-shaped projects (``tests/real_shapes/<case>/``) run through ``seenfix apply`` as a user would.

Each case reproduces one way a fix broke a real repository (issue 14's classes) in a small project
written for the tests.  ``before/`` is the project (committed into a fresh git repository);
``case.toml`` says which class it shows and what a run must do:

```toml
class = 4
summary = "..."
set = "all"                          # the fix set (`--set`; "quick-wins" is `--quick-wins`)
untracked = [".env"]                 # files left out of the commit (default: none)

[safe]                               # `apply` without --unsafe-fixes
exit = 1
expect = "after-safe"                # the folder of files whose whole expected text is given
env.".env".SECRET_KEY_BASE = "moved" # "moved": the committed value; "generated": a new strong one
changed = ["compose.yml"]            # files other fixers may change too (checked by contains/absent)
contains = {"compose.yml" = ["${SECRET_KEY_BASE:?"]}   # strings a file must hold afterwards
absent = {"compose.yml" = ["logging:"]}                # strings it must not hold
output = ["SF001"]                   # strings the run must print (stdout or stderr)
not_output = ["SF008"]               # strings it must not print
untracked_after = [".env"]           # files no longer in git's index
tsc = ["tsconfig.json"]              # tsc -p each of these on the fixed project (needs tsc)
[unsafe]                             # `apply --unsafe-fixes` on a fresh copy (optional)
...
[check]                              # `check` on the project, before any fix (optional)
set = "all"                          # its fix set (default: the case's)
output = ["compose.yml:12:"]         # strings its findings must hold
not_output = [".devcontainer/"]
low = ["cypress/"]                   # findings under these paths are low severity and not fixable
```

The expected tree is ``before/`` with the ``expect`` folder laid over it: every other file must be
byte-for-byte unchanged except those named in ``changed`` (checked by ``contains``/``absent``, so
that a case does not pin the other fixers' output), no other file may appear (``.env`` files named
under ``env`` are checked by their rules), and a second run must change nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from conftest import git, init_repo, run_cli
from seenfix.analysis.secrets_policy import is_strong
from seenfix.editors import dotenv

CASES = Path(__file__).resolve().parent / "real_shapes"


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.toml").is_file())


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _project(case: Path, tmp: Path, untracked: list[str]) -> Path:
    root = tmp / "project"
    shutil.copytree(case / "before", root)
    init_repo(root)
    if untracked:
        git(root, "rm", "-q", "--cached", "--", *untracked)
        git(root, "commit", "-q", "-m", "untrack")
    return root


def _committed_values(tree: dict[str, bytes]) -> set[str]:
    """Every token of every committed file: a generated secret must be none of them."""
    import re

    out: set[str] = set()
    for data in tree.values():
        out.update(re.findall(r"[A-Za-z0-9_+/=:.\-]{8,}", data.decode("utf-8", "replace")))
    return out


def _moved_value(var: str, tree: dict[str, bytes]) -> set[str]:
    """The literal(s) ``var`` had in the committed files (``VAR: x``, ``VAR=x``, ``${VAR:-x}``)."""
    import re

    out: set[str] = set()
    for data in tree.values():
        text = data.decode("utf-8", "replace")
        out.update(re.findall(rf"\$\{{{re.escape(var)}:?-([^}}]*)\}}", text))
        out.update(m.strip("'\"") for m in re.findall(rf"(?m)^[ \t-]*{re.escape(var)}[ \t]*[:=][ \t]*([^$\s#][^\s#]*)",
                                                      text))
    return out


def _check_run(case: Path, spec: dict[str, Any], mode: dict[str, Any], unsafe: bool, tmp: Path) -> None:
    before = _tree(case / "before")
    root = _project(case, tmp, list(spec.get("untracked", [])))
    fix_set = spec.get("set", "all")
    args = ["apply", "--quick-wins"] if fix_set == "quick-wins" else ["apply", "--set", fix_set]
    if unsafe:
        args.append("--unsafe-fixes")
    proc = run_cli(*args, str(root))
    shown = proc.stdout + proc.stderr
    assert "Traceback" not in shown, shown
    assert proc.returncode == mode.get("exit", 1), shown
    for s in mode.get("output", []):
        assert s in shown, f"{case.name}: {s!r} not in the output:\n{shown}"
    for s in mode.get("not_output", []):
        assert s not in shown, f"{case.name}: {s!r} in the output:\n{shown}"

    expected = dict(before)
    if "expect" in mode:
        expected.update(_tree(case / mode["expect"]))
    got = _tree(root)
    env_rules: dict[str, dict[str, str]] = mode.get("env", {})
    for path, rules in env_rules.items():
        assert path in got, f"{case.name}: {path} was not written"
        values = {e.key: e.value for e in dotenv.parse(got[path].decode()).entries}
        for var, rule in rules.items():
            assert var in values, f"{case.name}: {var} not in {path}"
            if rule == "moved":
                assert values[var] in _moved_value(var, before), f"{case.name}: {var} in {path} is not the committed value"
            elif rule == "generated":
                assert values[var] not in _committed_values(before), f"{case.name}: {var} kept a committed value"
                assert is_strong(values[var].removeprefix("base64:")), f"{case.name}: {var} is not strong"
            else:
                raise AssertionError(f"{case.name}: unknown env rule {rule!r}")
        expected[path] = got[path]  # checked by its rules (generated values differ per run)
    for path in mode.get("changed", []):
        if path in got:
            expected[path] = got[path]
    for path, strings in mode.get("contains", {}).items():
        text = got.get(path, b"").decode()
        for s in strings:
            assert s in text, f"{case.name}: {s!r} not in {path}:\n{text}"
    for path, strings in mode.get("absent", {}).items():
        text = got.get(path, b"").decode()
        for s in strings:
            assert s not in text, f"{case.name}: {s!r} in {path}:\n{text}"
    problems = [f"{p}: changed" for p in sorted(set(got) & set(expected)) if got[p] != expected[p]]
    problems += [f"{p}: missing" for p in sorted(set(expected) - set(got))]
    problems += [f"{p}: new file" for p in sorted(set(got) - set(expected))]
    assert not problems, f"{case.name} ({'unsafe' if unsafe else 'safe'}):\n" + "\n".join(problems) + "\n" + shown
    for path in mode.get("untracked_after", []):
        assert git(root, "ls-files", "--", path) == "", f"{case.name}: {path} is still tracked"
    again = run_cli(*args, str(root))
    assert _tree(root) == got, f"{case.name}: a second run changed the project\n{again.stdout}{again.stderr}"
    for hook in mode.get("tsc", []):
        _tsc(root, hook)


def _tsc(root: Path, tsconfig: str) -> None:
    """The fixed project still compiles (``tsc -p``; the case's tsconfig holds what it needs)."""
    from test_tsc import find_tsc

    cmd, _modules = find_tsc()
    proc = subprocess.run([*cmd, "-p", str(root / tsconfig), "--noEmit", "--pretty", "false"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", [n for n in _cases() if "check" in tomllib.loads((CASES / n / "case.toml").read_text())])
def test_check(name: str, tmp_path: Path) -> None:
    case = CASES / name
    spec = tomllib.loads((case / "case.toml").read_text())
    root = _project(case, tmp_path, list(spec.get("untracked", [])))
    fix_set = spec["check"].get("set", spec.get("set", "all"))
    # --fail-on low: exit 1 for any finding (the default fails on fixable ones only)
    proc = run_cli("check", "--fail-on", "low", *(["--quick-wins"] if fix_set == "quick-wins" else ["--set", fix_set]),
                   str(root))
    shown = proc.stdout + proc.stderr
    assert "Traceback" not in shown, shown
    assert proc.returncode == spec["check"].get("exit", 1), shown
    for s in spec["check"].get("output", []):
        assert s in shown, f"{name}: {s!r} not in the findings:\n{shown}"
    for s in spec["check"].get("not_output", []):
        assert s not in shown, f"{name}: {s!r} in the findings:\n{shown}"
    low = spec["check"].get("low", [])
    if low:
        import json

        doc = json.loads(run_cli("check", "--format", "json", "--set", fix_set, str(root)).stdout)
        for f in doc["findings"]:
            if any(f["path"].startswith(prefix) for prefix in low):
                assert f["severity"] == "low" and not f["fixable"], f"{name}: {f}"


@pytest.mark.parametrize("name", _cases())
def test_safe(name: str, tmp_path: Path) -> None:
    spec = tomllib.loads((CASES / name / "case.toml").read_text())
    _check_run(CASES / name, spec, spec.get("safe", {}), False, tmp_path)


@pytest.mark.parametrize("name", [n for n in _cases() if "unsafe" in tomllib.loads((CASES / n / "case.toml").read_text())])
def test_unsafe(name: str, tmp_path: Path) -> None:
    spec = tomllib.loads((CASES / name / "case.toml").read_text())
    _check_run(CASES / name, spec, spec["unsafe"], True, tmp_path)


def test_every_class_has_a_case() -> None:
    """Issue 14's classes each have a regression case."""
    classes = {tomllib.loads((CASES / n / "case.toml").read_text())["class"] for n in _cases()}
    assert classes >= {1, 3, 4, 5, 6, 7, 10, 11}, classes
