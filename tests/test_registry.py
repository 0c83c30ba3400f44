"""Plugins are imported when needed: ``--select CODE`` imports that fixer's module only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BROKEN_PLUGINS, PLUGINS, REPO, run_cli
from seenfix.core.entrypoints import EntryPoint
from seenfix.core.registry import Registry, load

PROBE = """\
import sys
from seenfix.cli.app import main
sys.argv = ["seenfix", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.startswith("seenfix.fixers.")), file=sys.stderr)
"""


def _loaded_fixer_modules(*args: str, extra: Path | None = None) -> tuple[list[str], str]:
    env_path = [str(REPO)] + ([str(extra)] if extra else [])
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          env={"PYTHONPATH": ":".join(env_path), "PATH": "/usr/bin:/bin"})
    last = proc.stderr.strip().splitlines()[-1]
    return eval(last), proc.stderr  # noqa: S307 - our own probe's repr of a list of str


def test_select_by_code_imports_only_that_plugin(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text('import { x } from "y";\n')
    modules, _ = _loaded_fixer_modules("check", "--select", "SF009", str(tmp_path))
    assert modules == ["seenfix.fixers.unused_typescript_import"]


@pytest.mark.parametrize("args", [["check"], ["check", "--select", "todo-comments"], ["check", "--quick-wins"]],
                         ids=["all", "slug", "set"])
def test_slugs_sets_and_all_import_every_plugin(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a.py").write_text("# TODO: x\n")
    modules, _ = _loaded_fixer_modules(*args, str(tmp_path))
    from seenfix.core.entrypoints import entry_points

    builtin = {ep.value.split(":")[0] for ep in entry_points() if ep.value.startswith("seenfix.fixers.")}
    assert len(builtin) >= 14
    assert set(modules) - {"seenfix.fixers.compose_base"} == builtin


def test_broken_plugin_is_reported_when_loaded_and_not_when_another_is_selected(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("# TODO: x\n")
    everything = run_cli("check", str(tmp_path), broken=True)
    assert everything.returncode == 3 and "plugin 'SF999'" in everything.stderr
    selected = run_cli("check", "--select", "SF010", "--fail-on", "low", str(tmp_path), broken=True)
    assert selected.returncode == 1, selected.stderr
    assert "SF999" not in selected.stderr and "a.py:1:1: SF010" in selected.stdout
    named = run_cli("check", "--select", "SF999", str(tmp_path), broken=True)
    assert named.returncode == 2 and "plugin 'SF999'" in named.stderr and "unknown fixer 'SF999'" in named.stderr


def _ep(name: str, target: str) -> EntryPoint:
    return EntryPoint(name, target, "test 1.0")


def test_lazy_lookup_gives_the_same_fixers_as_loading_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.syspath_prepend(str(BROKEN_PLUGINS))
    lazy, full = load(), load()
    everything = {f.code: f for f in full.fixers}
    for code in everything:
        assert lazy.find(code) is everything[code]
        assert lazy.find(code.lower()) is everything[code]
    assert lazy.find("SF999") is None
    assert [f.line() for f in lazy.failures] == [f.line() for f in full.failures]
    assert lazy.find("todo-comments") is everything["SF010"]


def test_entry_point_named_differently_from_its_code_is_found_by_code() -> None:
    reg = Registry([_ep("todo", "seenfix.fixers.todo_comments:TodoComments"),
                    _ep("SF009", "seenfix.fixers.unused_typescript_import:UnusedTypescriptImport")])
    assert reg.find("SF010") is not None and reg.find("SF010").slug == "todo-comments"
    assert reg.find("SF009").code == "SF009"


def test_duplicate_code_keeps_the_first_entry_point_whatever_the_loading_order() -> None:
    eps = [_ep("AAA", "seenfix.fixers.todo_comments:TodoComments"),
           _ep("SF010", "seenfix.fixers.todo_comments:TodoComments")]
    for first in ("SF010", "AAA"):
        reg = Registry(list(eps))
        reg.find(first)
        assert [f.code for f in reg.fixers] == ["SF010"]
        assert [f.name for f in reg.failures] == ["SF010"]
        assert "already registered" in reg.failures[0].error


def test_findings_is_finding_at_each_place_for_every_fixer() -> None:
    """``Fixer.findings`` (many places of one file, the defaults worked out once) gives what
    ``Fixer.finding`` gives at each place, lines and columns below 1 included."""
    reg = load()
    places = [(0, 0, "at the start"), (3, 2, "somewhere"), (-4, 9, "before the start")]
    for code in reg.codes():
        fixer = reg.find(code)(None)  # type: ignore[misc]
        assert fixer.findings("a/b.ts", places) == [fixer.finding("a/b.ts", line, message, column=column)
                                                    for line, column, message in places], code
