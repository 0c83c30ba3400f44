"""``seenfix env check ENV_FILE``: one line per problem, exit codes as ``check``."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner

from seenfix.cli.env import env

STRONG = secrets.token_urlsafe(48)
TMDB = "3f9a1c07b2d84e6f9a0c1b2d3e4f5a6b"

COMPOSE = """\
services:
  backend:
    build: ./backend
    environment:
      JWT_SECRET: ${JWT_SECRET:?set JWT_SECRET}
      TMDB_API_KEY: ${TMDB_API_KEY}
      LOG_LEVEL: ${LOG_LEVEL:-info}
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}
"""
CONFIG = """\
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    jwt_secret: str
    page_size: int = 50
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "backend" / "app").mkdir(parents=True)
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / "backend" / "pyproject.toml").write_text("[project]\nname = 'b'\n")
    (root / "backend" / "app" / "config.py").write_text(CONFIG)
    return root


def _check(project: Path, content: bytes | str, *args: str) -> tuple[int, list[str], str]:
    path = project.parent / "prod.env"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    result = CliRunner().invoke(env, ["check", str(path), "--project", str(project), *args])
    prefix = f"{path}:"
    lines = [ln[len(prefix):] if ln.startswith(prefix) else "!" + ln for ln in result.stdout.splitlines()]
    return result.exit_code, lines, result.output


GOOD = f"""\
# production values
JWT_SECRET={STRONG}
TMDB_API_KEY={TMDB}
export POSTGRES_PASSWORD='{STRONG[:40]}'
LOG_LEVEL="debug"  # noisy on purpose
PAGE_SIZE=20
"""


def test_good_file_exits_0(project: Path) -> None:
    code, lines, output = _check(project, GOOD)
    assert (code, lines) == (0, []), output


def test_good_file_with_crlf_and_no_final_newline(project: Path) -> None:
    code, lines, output = _check(project, GOOD.replace("\n", "\r\n").rstrip("\r\n"))
    assert (code, lines) == (0, []), output


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        (f"JWT_SECRET={STRONG}\n", "", ["1: JWT_SECRET is required but not set (read at docker-compose.yml:5)"]),
        (f"JWT_SECRET={STRONG}", "JWT_SECRET=", ["2: JWT_SECRET is required but empty (read at docker-compose.yml:5)"]),
        (f"JWT_SECRET={STRONG}", "JWT_SECRET=replace-in-production",
         ["2: JWT_SECRET holds a placeholder value (read at docker-compose.yml:5)"]),
        (f"JWT_SECRET={STRONG}", "JWT_SECRET=hunter2hunter2",
         ["2: JWT_SECRET holds a weak secret (14 characters, guessable); `seenfix secret` prints a strong one"]),
        (f"TMDB_API_KEY={TMDB}", "TMDB_API_KEY=<your tmdb key>",
         ["3: TMDB_API_KEY holds a placeholder value (read at docker-compose.yml:6)"]),
        ("PAGE_SIZE=20", "PAGE_SIZ=20", ["6: PAGE_SIZ is not read by the code; did you mean PAGE_SIZE?"]),
        ("PAGE_SIZE=20", "UNRELATED=1", ["6: UNRELATED is not read by the code"]),
        ("PAGE_SIZE=20", "PAGE_SIZE=20\nPAGE_SIZE=30",
         ["7: PAGE_SIZE is set again (first on line 6); the last value wins"]),
        ("PAGE_SIZE=20", "PAGE_SIZE=", ["6: PAGE_SIZE is set but empty (read at backend/app/config.py:6)"]),
        ("PAGE_SIZE=20", "this is not an assignment", ["6: malformed line: expected KEY=VALUE"]),
        ("PAGE_SIZE=20", "PAGE SIZE=20", ["6: malformed line: invalid variable name 'PAGE SIZE', expected KEY=VALUE"]),
        ("PAGE_SIZE=20", "PAGE_SIZE='20", ["6: malformed line: unterminated ' quote in the value of PAGE_SIZE"]),
        ("PAGE_SIZE=20", "COMPOSE_PROJECT_NAME=seen", []),
        (f"JWT_SECRET={STRONG}", "JWT_SECRET=${VAULT_JWT}", []),
        ("# production values", "#JWT_SECRET=commented-out-is-fine", []),
    ],
)
def test_problems(project: Path, replace: str, by: str, expected: list[str]) -> None:
    assert replace in GOOD
    code, lines, output = _check(project, GOOD.replace(replace, by))
    assert lines == expected, output
    assert code == (1 if expected else 0)


def test_problems_with_crlf_keep_line_numbers(project: Path) -> None:
    text = GOOD.replace("PAGE_SIZE=20", "PAGE_SIZ=20\nbad line").replace("\n", "\r\n")
    code, lines, _ = _check(project, text)
    assert code == 1
    assert lines == ["6: PAGE_SIZ is not read by the code; did you mean PAGE_SIZE?",
                     "7: malformed line: expected KEY=VALUE"]


def test_several_problems_sorted_by_line(project: Path) -> None:
    code, lines, _ = _check(project, "LOG_LEVL=debug\nJWT_SECRET=changeme\n")
    assert code == 1
    assert lines == [
        "1: LOG_LEVL is not read by the code; did you mean LOG_LEVEL?",
        "1: POSTGRES_PASSWORD is required but not set (read at docker-compose.yml:8)",
        "1: TMDB_API_KEY is required but not set (read at docker-compose.yml:6)",
        "2: JWT_SECRET holds a placeholder value (read at docker-compose.yml:5)",
    ]


def test_allow_unknown(project: Path) -> None:
    code, lines, _ = _check(project, GOOD + "EXTRA=1\n", "--allow-unknown")
    assert (code, lines) == (0, [])


def test_values_are_never_printed(project: Path) -> None:
    weak = "Tr0ub4dor-and-3"
    text = GOOD.replace(f"JWT_SECRET={STRONG}", f"JWT_SECRET={weak}").replace("PAGE_SIZE=20", f"oops {weak}")
    code, lines, output = _check(project, text)
    assert code == 1 and len(lines) == 2
    assert weak not in output and STRONG not in output and TMDB not in output


def test_missing_env_file_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(env, ["check", str(project / "nope.env"), "--project", str(project)])
    assert result.exit_code == 2


def test_project_without_variables_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("A=1\n")
    result = CliRunner().invoke(env, ["check", str(tmp_path / "a.env"), "--project", str(tmp_path)])
    assert result.exit_code == 2
    assert "is --project right?" in result.output


def test_project_defaults_to_cwd(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project.parent / "prod.env").write_text(GOOD)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(env, ["check", str(project.parent / "prod.env")])
    assert result.exit_code == 0, result.output


def test_seen_template_copy_lists_what_to_fill(tmp_path: Path) -> None:
    """The generated template, copied as is, fails the gate on exactly the required variables."""
    case = Path(__file__).resolve().parent / "fixtures" / "missing-production-env-template" / "seen"
    template = case / "after" / ".env.production.example"
    result = CliRunner().invoke(env, ["check", str(template), "--project", str(case / "before")])
    assert result.exit_code == 1
    names = sorted(line.split(": ", 1)[1].split()[0] for line in result.stdout.splitlines())
    assert names == ["IGDB_CLIENT_ID", "IGDB_CLIENT_SECRET", "JWT_SECRET", "TMDB_API_KEY"]
