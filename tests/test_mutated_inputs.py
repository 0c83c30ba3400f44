"""Broken real inputs: every fixer on mutated copies of the real compose files, nginx configs and
secret-bearing projects of ``../shared/corpus``.

Each input gets a few deterministic mutations (a line cut short, dropped, repeated, re-indented, or
given a stray character such as ``{``, ``&a`` or ``\\xff``; a section header such as ``services:``
dropped: what a half-finished edit leaves).
Whatever the result, ``check`` and ``apply --dry-run --unsafe-fixes`` must end with a documented exit
code, print no traceback, report no crashed fixer, and name the file and line of every input error on
one line.  (Dropping ``services:`` below an anchored extension field made one a recursive merge,
on which ruamel.yaml crashed: that case is kept in test_yaml_editor.py and test_cli.py.)
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import SHARED
from seenfix.cli.app import cli

CORPUS = SHARED / "corpus"
STRAYS = [b"{", b"}", b";", b":", b"'", b'"', b"\t", b"- ", b"&a", b"*a", b"#", b"\\", b"\xff", b"${", b"$",
          b"(", b")", b"=", b"`", b"<<: *a"]
HEADER = re.compile(rb"^[A-Za-z_][\w.-]*:[ \t]*\r?$")
ERROR_LINE = re.compile(r"^error: [^:\n]+:\d+: (SF\d{3})(, SF\d{3})*: \S")


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    kind = rng.randrange(7)
    headers = [k for k, line in enumerate(lines) if HEADER.match(line)]
    if kind == 6 and headers:
        del lines[rng.choice(headers)]
    elif kind == 0:
        del lines[i:]
    elif kind == 1:
        del lines[i]
    elif kind == 2:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif kind == 3:
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rng.choice(STRAYS) + lines[i][at:]
    elif kind == 4:
        lines[i] = b" " * rng.randrange(1, 5) + lines[i]
    else:
        lines[i] = lines[i][:rng.randrange(len(lines[i]) + 1)]
    return b"\n".join(lines)


def _cases() -> list[tuple[str, Path, str]]:
    """(id, source, where it goes in the project: a relative path, or "" for a whole project)."""
    out = []
    for sub, dest in (("compose", "docker-compose.yml"), ("nginx", "frontend/nginx.conf")):
        folder = CORPUS / sub / "files"
        if folder.is_dir():
            out += [(f"{sub}/{p.name}", p, dest) for p in sorted(folder.iterdir()) if p.is_file()]
    folder = CORPUS / "secrets"
    if folder.is_dir():
        out += [(f"secrets/{p.name}", p, "") for p in sorted(folder.glob("*/*")) if p.is_dir()]
    return out


CASES = _cases()
MUTATIONS = 3


def assert_clean_outcome(args: list[str], result: Result) -> None:
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, output[-2000:])
    assert result.exit_code in (0, 1, 3), (args, result.exit_code, output[-2000:])
    assert "Traceback" not in output and "crashed" not in output, (args, output[-2000:])
    for line in output.splitlines():
        if line.startswith("error: ") and not line.startswith("error: seenfix"):
            assert ERROR_LINE.match(line), (args, line)


@pytest.mark.slow
@pytest.mark.skipif(not CASES, reason=f"the shared corpus is absent ({CORPUS})")
@pytest.mark.parametrize(("name", "source", "dest"), CASES, ids=[c[0] for c in CASES])
def test_every_fixer_survives_a_broken_real_input(name: str, source: Path, dest: str, tmp_path: Path) -> None:
    runner = CliRunner()
    for k in range(MUTATIONS):
        rng = random.Random(f"{name}:{k}")
        project = tmp_path / f"m{k}"
        if dest:
            target = project / dest
            target.parent.mkdir(parents=True)
            target.write_bytes(mutate(source.read_bytes(), rng))
        else:
            shutil.copytree(source, project)
            files = sorted(p for p in project.rglob("*") if p.is_file())
            victim = rng.choice(files)
            victim.write_bytes(mutate(victim.read_bytes(), rng))
        for args in (["check", str(project)], ["apply", "--dry-run", "--unsafe-fixes", str(project)]):
            assert_clean_outcome(args, runner.invoke(cli, args))


def _readme_config() -> bytes:
    """The example `.seenfix.toml` of README.md (its first ```toml block after the heading)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    at = readme.index("`.seenfix.toml` in the target")
    block = re.search(r"```toml\n(.*?)```", readme[at:], re.DOTALL)
    assert block is not None
    return block.group(1).encode("utf-8")


def test_a_broken_configuration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = _readme_config()
    runner = CliRunner()
    seen = Path(__file__).resolve().parents[1] / "fixtures" / "seen"
    outcomes = set()
    for k in range(20):
        rng = random.Random(f"config:{k}")
        project = tmp_path / f"c{k}"
        shutil.copytree(seen, project)
        (project / ".seenfix.toml").write_bytes(mutate(mutate(config, rng), rng))
        args = ["check", str(project)]
        result = runner.invoke(cli, args)
        outcomes.add(result.exit_code)
        if result.exit_code == 2:
            assert result.exception is None or isinstance(result.exception, SystemExit), result.output
            assert "Traceback" not in result.output
            lines = result.output.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"seenfix: error: {project / '.seenfix.toml'}: "), lines
        else:
            assert_clean_outcome(args, result)
    assert 2 in outcomes  # some mutations do break it
