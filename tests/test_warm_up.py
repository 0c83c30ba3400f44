"""While worker processes analyse the files, the calling process loads what the fixers will need
after the pass (``Fixer.warm_up``): the Compose schema's validator and the env template when
fixing, the YAML parsers always.  Loaded then, not after the pass, alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seenfix.core import parallel
from seenfix.core.config import load_config
from seenfix.core.registry import load
from seenfix.editors import compose_schema
from seenfix.engine.run import RunResult, run
from tests.conftest import FIXTURE_SEEN


def _run(root: Path, *, fix: bool) -> RunResult:
    reg = load()
    return run(root, [reg.find(code) for code in reg.codes()], load_config(root, reg, None), fix=fix)  # type: ignore[misc]


def _seen_with_a_frontend(root: Path) -> Path:
    """The SEEN fixture with enough TypeScript files for the parallel pass."""
    shutil.copytree(FIXTURE_SEEN, root)
    for i in range(80):
        (root / "frontend" / "src" / f"m{i:02d}.ts").write_text(
            f'import {{ a, b{i} }} from "./x";\nexport const y{i} = a;\n')
    return root


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bool]]:
    """For each warm-up, whether each call came while the parallel pass ran (``parallel._CONTEXT``
    is set from the fork of the workers to their end)."""
    from seenfix.core import templating

    seen: dict[str, list[bool]] = {"validator": [], "template": []}
    real_validator, real_load = compose_schema.validator, templating.load

    def validator() -> object:
        seen["validator"].append(parallel._CONTEXT is not None)
        return real_validator()

    def template(name: str) -> None:
        seen["template"].append(parallel._CONTEXT is not None)
        real_load(name)

    monkeypatch.setattr(compose_schema, "validator", validator)
    monkeypatch.setattr(templating, "load", template)
    monkeypatch.setenv("SEENFIX_JOBS", "2")
    monkeypatch.setenv("SEENFIX_NO_CACHE", "1")
    return seen


def test_a_fix_loads_the_schema_validator_and_the_template_during_the_pass(tmp_path: Path,
                                                                           loads: dict[str, list[bool]]) -> None:
    result = _run(_seen_with_a_frontend(tmp_path / "seen"), fix=True)
    assert {"docker-compose.yml", ".env.production.example"} <= set(result.changes)
    assert loads["validator"][:1] == [True]  # first built while the workers worked...
    assert len(loads["validator"]) > 1  # ... and asked again by the compose fixers' output check
    assert loads["template"] == [True]


def test_a_check_loads_neither(tmp_path: Path, loads: dict[str, list[bool]]) -> None:
    result = _run(_seen_with_a_frontend(tmp_path / "seen"), fix=False)
    assert {f.code for f in result.findings} >= {"SF006", "SF007", "SF009"}
    assert loads == {"validator": [], "template": []}


def test_a_warm_up_that_fails_is_ignored_and_fails_again_where_needed(tmp_path: Path, loads: dict[str, list[bool]],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken jsonschema install: the warm-up's error is dropped; the compose fixers' output check
    meets it again, and the run reports it as it did before (their fixes are not made)."""
    def broken() -> object:
        raise ImportError("no module named jsonschema")

    monkeypatch.setattr(compose_schema, "validator", broken)
    result = _run(_seen_with_a_frontend(tmp_path / "seen"), fix=True)
    assert "SF007 missing-log-rotation: fix crashed: ImportError: no module named jsonschema" in result.failures
    assert not [s for s in result.steps if s.info.code in ("SF007", "SF011")]  # their fixes are dropped
    assert any(path.endswith(".ts") for path in result.changes)  # the other fixers went on


#: What the fixers' checks import on first use, warmed up during the pass (``seenfix.core.lazy.importer``)
WARMED = ("seenfix.analysis.secrets_python", "seenfix.editors.python", "seenfix.editors.yaml_env",
          "seenfix.analysis.env_template", "seenfix.analysis.env_reads_compose", "seenfix.analysis.env_reads_ts",
          "seenfix.analysis.compose_overlays", "seenfix.core.redaction")

_AFTER_THE_PASS = """\
import sys
from seenfix.core import parallel
real = parallel.run_parallel
seen = {}
def lazy():  # modules seenfix.core.lazy.lazy_module made whose code has not run yet
    return {name for name, module in list(sys.modules.items()) if type(module).__name__ == "_LazyModule"}
def recorded(*args, **kwargs):
    out = real(*args, **kwargs)
    seen.setdefault("end of the pass", set(sys.modules))
    seen.setdefault("lazy then", lazy())
    return out
parallel.run_parallel = recorded
from seenfix.cli.app import main
where = sys.argv[2]
sys.argv = ["seenfix", "check", sys.argv[1]]
try:
    main()
except SystemExit:
    pass
with open(where, "w") as out:
    out.write("\\n".join(sorted(set(sys.modules) - seen["end of the pass"] | seen["lazy then"] - lazy())))
"""


def test_a_check_imports_what_the_fixers_checks_need_during_the_pass(tmp_path: Path) -> None:
    """The modules SF001, SF004, SF006 and the compose fixers import in their checks, those the
    fixers' modules import on first use (``lazy_module``), and the redaction the report uses, are
    imported while the workers parse (in a fresh process: this one imported them long ago), not
    after the pass, alone."""
    import os
    import subprocess
    import sys

    root = _seen_with_a_frontend(tmp_path / "seen")
    env = {**os.environ, "SEENFIX_JOBS": "2", "SEENFIX_NO_CACHE": "1"}
    listed = tmp_path / "imported after the pass"
    subprocess.run([sys.executable, "-c", _AFTER_THE_PASS, str(root), str(listed)], capture_output=True, env=env,
                   check=True)
    after = set(listed.read_text().split())
    assert not after & set(WARMED), after & set(WARMED)
    assert not {name for name in after if name.startswith("seenfix.")}, after  # nor a lazy one
    # without a parallel pass (a few files: the pass runs in this process) nothing is warmed: each
    # is imported where it is used
    small = tmp_path / "small"
    shutil.copytree(FIXTURE_SEEN, small)
    shutil.rmtree(small / "frontend" / "src")  # 51 files are a parallel pass already
    subprocess.run([sys.executable, "-c", _AFTER_THE_PASS, str(small), str(listed)], capture_output=True, env=env,
                   check=True)
    assert {"seenfix.editors.yaml_env", "seenfix.analysis.env_template", "seenfix.editors.compose",
            "seenfix.editors.nginx"} <= set(listed.read_text().split())
