"""SF001 + SF004 on the 50 real compose files of ../shared/corpus/compose.

Each file is fixed alone, in its own git repository, through the real runner: no fix may fail
verification (the runner re-parses every changed file), only lines holding a finding may change,
the fixed file must load to the same data except literals now read through ``${VAR:?...}``, and a second run must change
nothing.  Prints how many files had findings and how many values moved.
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import init_repo
from seenfix.core.config import Config
from seenfix.fixers.exposed_database_credentials import ExposedDatabaseCredentials
from seenfix.fixers.weak_jwt_secret import WeakJwtSecret
from seenfix.core.project import PathsConfig
from seenfix.engine.run import run
from seenfix.engine.write import write

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "compose" / "files"


def _load(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def _differences(old: Any, new: Any, where: str = "") -> list[str]:
    """Places where ``new`` differs from ``old`` other than a literal replaced by a ``${VAR...}`` reference."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = [f"{where}/{k}: key changed" for k in set(old) ^ set(new) if not (where == "" and k == "secrets")]
        for k in set(old) & set(new):
            out += _differences(old[k], new[k], f"{where}/{k}")
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in _differences(a, b, f"{where}[{i}]")]
    if old == new or isinstance(new, str) and "${" in new:
        return []
    return [f"{where}: {old!r} -> {new!r}"]


@pytest.mark.slow
def test_secret_fixers_on_compose_corpus(tmp_path: Path) -> None:
    files = sorted(CORPUS.glob("*.y*ml")) if CORPUS.is_dir() else []
    if not files:
        pytest.skip(f"compose corpus not found at {CORPUS.resolve()}")
    config = Config(paths=PathsConfig(compose=("*.yml", "*.yaml")))
    with_findings = changed_files = 0
    for src in files:
        root = tmp_path / src.stem
        root.mkdir()
        shutil.copyfile(src, root / src.name)
        init_repo(root)
        result = run(root, [WeakJwtSecret, ExposedDatabaseCredentials], config, fix=True)
        assert not result.failures, (src.name, result.failures)
        with_findings += bool(result.findings)
        before = src.read_text()
        change = result.changes.get(src.name)
        if change is None or change.content is None:
            continue
        changed_files += 1
        after = change.content
        lines = {f.line for f in result.findings if f.path == src.name}
        for op, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(),
                                                            autojunk=False).get_opcodes():
            assert op in ("equal", "replace") and (op == "equal" or set(range(i1 + 1, i2 + 1)) <= lines), \
                (src.name, op, i1, i2)
        # the only new text is `${VAR:?...}` references
        for line in after.splitlines():
            if line not in before:
                assert "${" in line, (src.name, line)
        assert _differences(_load(before), _load(after)) == [], src.name
        write(result, force=True)
        again = run(root, [WeakJwtSecret, ExposedDatabaseCredentials], config, fix=True)
        assert not again.changes, (src.name, sorted(again.changes))
        assert re.search(r"^\.env$", (root / ".gitignore").read_text(), re.MULTILINE)
    print(f"\ncompose corpus: {len(files)} files, {with_findings} with findings, {changed_files} fixed, "
          "all re-parsed, only finding lines changed, second run clean")
    assert with_findings > 0
