"""The fast path answers exactly what click would."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import run_cli
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
