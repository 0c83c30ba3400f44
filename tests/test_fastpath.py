"""The fast path answers exactly what click would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PLUGINS, run_cli
from seenfix.cli import fastpath
from seenfix.cli.app import cli


def test_static_help_is_clicks_help() -> None:
    result = CliRunner().invoke(cli, ["--help"], prog_name="seenfix", terminal_width=80)
    assert result.output == fastpath.HELP, "update seenfix/cli/fastpath.py HELP to:\n" + result.output


def test_help_and_version_processes() -> None:
    assert run_cli("--help").stdout == fastpath.HELP
    assert run_cli("--version").stdout.startswith("seenfix, version ")


def test_list_cache_is_used_and_invalidated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    first = run_cli("list", env=env)
    cache = tmp_path / "seenfix"
    assert first.returncode == 0 and list(cache.iterdir())
    cached = run_cli("list", env=env)
    assert cached.stdout == first.stdout
    # A planted cache with the right key is what the fast path prints...
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = Path(fastpath.cache_file())
    key = path.read_text().partition("\n\0\n")[0]
    path.write_text(key + "\n\0\n" + "PLANTED\n")
    assert run_cli("list", env=env).stdout == "PLANTED\n"
    # ...and a different set of installed fixers invalidates it.
    with_plugin = run_cli("list", env=env, plugins=True)
    assert "SF901" in with_plugin.stdout and "PLANTED" not in with_plugin.stdout
    assert run_cli("list", env={**env, "SEENFIX_NO_CACHE": "1"}).stdout == first.stdout


# -- `check` of a folder that holds no file ------------------------------------------------------
def _full_path(*args: str, cwd: Path | None = None, plugins: bool = False) -> subprocess.CompletedProcess[str]:
    """``seenfix ARGS`` through click alone (the fast path skipped), as a separate process."""
    code = "import sys; from seenfix.cli.app import main; sys.argv[0] = 'seenfix'; main()"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if plugins:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGINS), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, env=env)


CHECK_VARIANTS: list[list[str]] = [
    [], ["--format", "json"], ["--format=json"], ["--format", "github"], ["--format", "gitlab"],
    ["--format", "sarif"], ["--format", "text"], ["--statistics"], ["--statistics", "--format", "json"],
    ["--statistics", "--format", "github"], ["--strict", "--exit-zero", "--fail-on", "low"], ["--quick-wins"],
    ["--set", "p0", "--unsafe-fixes"], ["--select", "SF001"], ["--select", "SF999"], ["--format", "xml"],
    ["--format", "json", "--format", "text"], ["--bogus"], ["--fail-on"],
]


def _trees(tmp_path: Path) -> dict[str, Path]:
    """Folders the fast path answers (empty ones) and folders it must leave to click."""
    empty = tmp_path / "empty"
    empty.mkdir()
    nested = tmp_path / "nested"
    (nested / "a" / "b").mkdir(parents=True)
    (nested / "c").mkdir()
    readme = tmp_path / "readme"  # a file no fixer looks at
    readme.mkdir()
    (readme / "README.md").write_text("# hello\n")
    deep = tmp_path / "deep"  # a file below empty folders
    (deep / "x" / "y").mkdir(parents=True)
    (deep / "x" / "y" / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16\n"
                                                          "    ports: ['5432:5432']\n")
    link = tmp_path / "link"  # a symlink is a file to the fast path
    link.mkdir()
    (link / "to-readme").symlink_to(readme / "README.md")
    git = tmp_path / "git"
    (git / ".git").mkdir(parents=True)
    return {"empty": empty, "nested": nested, "readme": readme, "deep": deep, "link": link, "git": git}


def test_check_fast_path_prints_what_click_prints(tmp_path: Path) -> None:
    trees = _trees(tmp_path)
    for name, tree in trees.items():
        for variant in CHECK_VARIANTS if name in ("empty", "readme") else [[], ["--format", "json"]]:
            for args in ([*variant, str(tree)], [str(tree) + "/", *variant]):
                fast, full = run_cli("check", *args), _full_path("check", *args)
                assert (fast.stdout, fast.stderr, fast.returncode) == (full.stdout, full.stderr, full.returncode), \
                    (name, args)
    # the default PATH (the current directory), and a relative one
    for cwd, args in ((trees["empty"], []), (tmp_path, ["empty"]), (trees["nested"] / "a", ["../c", "--format", "json"])):
        fast, full = run_cli("check", *args, cwd=cwd), _full_path("check", *args, cwd=cwd)
        assert (fast.stdout, fast.stderr, fast.returncode) == (full.stdout, full.stderr, full.returncode), args
    # a missing folder, and a file where a folder is expected: click's errors
    for bad in (tmp_path / "missing", trees["readme"] / "README.md"):
        fast, full = run_cli("check", str(bad)), _full_path("check", str(bad))
        assert fast.returncode == full.returncode == 2 and fast.stderr == full.stderr


def test_check_fast_path_answers_only_folders_without_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    trees = _trees(tmp_path)
    assert fastpath.handled(["check", str(trees["empty"])])
    assert fastpath.handled(["check", "--format", "json", str(trees["nested"])])
    out = capsys.readouterr().out
    assert '"root": ' + json.dumps(str(trees["nested"].resolve())) in out
    for name in ("readme", "deep", "link", "git"):
        assert not fastpath.handled(["check", str(trees[name])]), name
    for args in (["--select", "SF001"], ["--format", "sarif"], ["--config", "x.toml"], ["--statistics", "--format",
                                                                                          "gitlab"]):
        assert not fastpath.handled(["check", *args, str(trees["empty"])]), args
    assert not fastpath.handled(["check", str(trees["empty"]), str(trees["empty"])])
    monkeypatch.setattr(fastpath, "_MAX_DIRS", 2)  # too many folders to look into: the full path decides
    assert not fastpath.handled(["check", str(trees["nested"])])
    assert capsys.readouterr().out == ""


def test_check_fast_path_leaves_plugins_to_click(tmp_path: Path, demo_plugin: None) -> None:
    """A plugin may report on an empty folder (or fail to load): only seenfix's own fixers are known."""
    empty = _trees(tmp_path)["empty"]
    assert not fastpath._only_own_fixers()
    assert not fastpath.handled(["check", str(empty)])
    fast, full = run_cli("check", str(empty), plugins=True), _full_path("check", str(empty), plugins=True)
    assert (fast.stdout, fast.stderr, fast.returncode) == (full.stdout, full.stderr, full.returncode)


def test_check_of_an_empty_folder_imports_neither_click_nor_a_fixer(tmp_path: Path) -> None:
    code = ("import sys; from seenfix.__main__ import main; sys.argv = ['seenfix', 'check', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit as e:\n"
            "    mods = [m for m in sys.modules if m == 'click' or m.startswith('seenfix.fixers')]\n"
            "    print(e.code, mods)")
    out = subprocess.run([sys.executable, "-c", code, str(_trees(tmp_path)["empty"])], capture_output=True, text=True)
    assert out.stdout == "0 []\n", out.stderr
