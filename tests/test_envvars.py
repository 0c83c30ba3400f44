"""Discovery of the environment variables a deployment reads (seenfix.analysis.envvars)."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from seenfix.analysis.env_reads_compose import compose_reads, interpolations
from seenfix.analysis.env_reads_python import python_reads
from seenfix.analysis.env_reads_ts import ts_reads
from seenfix.analysis.envvars import discover
from seenfix.core.model import InputError
from seenfix.core.project import Project, is_test_path
from seenfix.core.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus"


# -- compose interpolation ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${A}", [("A", None, "")]),
        ("${A:-x y}", [("A", "x y", ":-")]),
        ("${A-}", [("A", "", "-")]),
        ("${A:?set A in .env}", [("A", None, ":?")]),
        ("${A?m}", [("A", None, "?")]),
        ("$A/b", [("A", None, "")]),
        ("$$A $${B}", []),
        ("${A:-${B:-c}}", [("A", "${B:-c}", ":-"), ("B", "c", ":-")]),
        ("${A:-$B}", [("A", "$B", ":-"), ("B", None, "")]),
        ("${A:+yes}", [("A", None, ":+")]),
        ("${1BAD} ${}", []),
        ("x:${A}:${B:-2}", [("A", None, ""), ("B", "2", ":-")]),
    ],
)
def test_interpolations(text: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert [(n, d, op) for _, n, d, op in interpolations(text)] == expected


COMPOSE = """\
# ${IN_COMMENT} is not read
services:
  backend:
    image: "app:${TAG:-latest}"  # ${ALSO_COMMENT}
    environment:
      DATABASE_URL: postgresql://seen:${POSTGRES_PASSWORD:?set it}@db/seen
      LOG_LEVEL: info
      PASSTHROUGH:
      HASH: "a#${NOT_COMMENT}"
    command: |
      echo ${IN_BLOCK} # ${STILL_BLOCK}
      echo $$ESCAPED
  worker:
    environment:
      - MODE=worker
      - FROM_HOST
      - "QUOTED=${Q}"
x-common: &common
  labels: [ "${FLOW}" ]
"""


def test_compose_reads_skip_comments_keep_block_scalars() -> None:
    reads, provided = compose_reads("docker-compose.yml", COMPOSE)
    got = [(r.name, r.line, r.component, r.kind, r.default, r.required) for r in reads]
    assert got == [
        ("TAG", 4, "backend", "compose", "latest", False),
        ("POSTGRES_PASSWORD", 6, "backend", "compose", None, True),
        ("PASSTHROUGH", 8, "backend", "compose-passthrough", None, False),
        ("NOT_COMMENT", 9, "backend", "compose", None, True),
        ("IN_BLOCK", 11, "backend", "compose", None, True),
        ("STILL_BLOCK", 11, "backend", "compose", None, True),
        ("FROM_HOST", 16, "worker", "compose-passthrough", None, False),
        ("Q", 17, "worker", "compose", None, True),
        ("FLOW", 19, "x-common", "compose", None, True),
    ]
    assert provided == {
        "DATABASE_URL": "docker-compose.yml:6", "LOG_LEVEL": "docker-compose.yml:7",
        "HASH": "docker-compose.yml:9", "MODE": "docker-compose.yml:15", "QUOTED": "docker-compose.yml:17",
    }


def test_compose_reads_crlf_and_no_final_newline() -> None:
    text = "services:\r\n  a:\r\n    image: x:${TAG:-1}\r\n    environment:\r\n      - K=${V}"
    reads, provided = compose_reads("c.yml", text)
    assert [(r.name, r.line, r.default) for r in reads] == [("TAG", 3, "1"), ("V", 5, None)]
    assert provided == {"K": "c.yml:5"}


# -- backend ------------------------------------------------------------------------------------

SETTINGS = '''\
import os
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="seen_", env_file=".env")

    debug: bool = False
    database_url: str
    jwt_secret: str = Field(..., min_length=32)
    api_key: str = Field(default="", alias="TMDB_API_KEY")
    client: str = Field("x", validation_alias=AliasChoices("IGDB_CLIENT_ID", "IGDB_ID"))
    origins: list[str] = Field(default_factory=list)
    _private: int = 3


class Child(Settings):
    extra: int = 60 * 24


class Old(BaseSettings):
    name: str = "n"

    class Config:
        env_prefix = "OLD_"


class Imported(AppSettings):
    region: str = "eu"


class NotSettings(Base):
    ignored: str = "x"


class Exact(BaseSettings):
    model_config = {"case_sensitive": True, "env_prefix": "app_"}
    Mixed: str


TIMEOUT = os.getenv("HTTP_TIMEOUT", "30")
HOME = os.environ["APP_HOME"]
MAYBE = os.environ.get("MAYBE")
'''


def test_python_reads_settings_and_getenv() -> None:
    reads = python_reads("backend/app/config.py", SETTINGS, "backend")
    got = [(r.name, r.line, r.context, r.default, r.required) for r in reads]
    assert got == [
        ("SEEN_DEBUG", 9, "Settings.debug", "false", False),
        ("SEEN_DATABASE_URL", 10, "Settings.database_url", None, True),
        ("SEEN_JWT_SECRET", 11, "Settings.jwt_secret", None, True),
        ("TMDB_API_KEY", 12, "Settings.api_key", "", False),
        ("IGDB_CLIENT_ID", 13, "Settings.client", "x", False),
        ("IGDB_ID", 13, "Settings.client", "x", False),
        ("SEEN_ORIGINS", 14, "Settings.origins", "(computed)", False),
        ("SEEN_EXTRA", 19, "Child.extra", "(computed)", False),
        ("OLD_NAME", 23, "Old.name", "n", False),
        ("REGION", 30, "Imported.region", "eu", False),
        ("app_Mixed", 39, "Exact.Mixed", None, True),
        ("HTTP_TIMEOUT", 42, "", "30", False),
        ("APP_HOME", 43, "", None, True),
        ("MAYBE", 44, "", None, False),
    ]


def test_python_reads_syntax_error_is_an_input_error() -> None:
    with pytest.raises(InputError) as exc:
        python_reads("backend/bad.py", "def f(:\n", "backend")
    assert exc.value.path == "backend/bad.py"


def test_python_reads_django_environ_and_decouple() -> None:
    text = 'SECRET_KEY = env("SECRET_KEY", default="changeme")\nDEBUG = config("DEBUG")\nx = env("lower")\n'
    reads = python_reads("settings.py", text, "backend")
    assert [(r.name, r.default, r.required) for r in reads] == [("SECRET_KEY", "changeme", False),
                                                                 ("DEBUG", None, True)]


# -- frontend -----------------------------------------------------------------------------------

def test_ts_reads() -> None:
    text = (
        'const a = import.meta.env.VITE_API_URL ?? "/api";\n'
        "// const b = import.meta.env.VITE_COMMENTED;\n"
        "const c = import.meta.env['VITE_KEY'] || 'k';\n"
        "const d = import.meta.env.MODE; const e = import.meta.env.VITE_PLAIN;\n"
        'const u = "http://x"; // import.meta.env.VITE_TRAILING\n'
    )
    reads = ts_reads("frontend/src/api.ts", text, "frontend")
    assert [(r.name, r.line, r.default, r.required) for r in reads] == [
        ("VITE_API_URL", 1, "/api", False), ("VITE_KEY", 3, "k", False), ("VITE_PLAIN", 4, None, True)]


def test_ts_reads_destructuring() -> None:
    text = 'const {\n  VITE_A,\n  VITE_B: b = "x",\n  MODE,\n} = import.meta.env;\n'
    reads = ts_reads("frontend/src/env.ts", text, "frontend")
    assert [(r.name, r.line, r.default, r.required) for r in reads] == [
        ("VITE_A", 2, None, True), ("VITE_B", 3, "x", False)]


def test_vite_config_reads_any_vite_name() -> None:
    text = 'const env = loadEnv(mode, process.cwd(), "VITE_");\nproxy: env.VITE_TARGET ?? "http://b:8000",\n'
    reads = ts_reads("frontend/vite.config.ts", text, "frontend")
    assert [(r.name, r.line, r.default) for r in reads] == [("VITE_TARGET", 2, "http://b:8000")]


# -- a whole project ----------------------------------------------------------------------------

def _project(tmp_path: Path, files: dict[str, str]) -> Project:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return Project(Workspace(tmp_path))


def test_discover_groups_and_requirements(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "docker-compose.yml": "services:\n  backend:\n    environment:\n"
                              "      JWT_SECRET: ${JWT_SECRET:?set it}\n      DATABASE_URL: postgres://db\n"
                              "      LOG_LEVEL: ${LOG_LEVEL:-info}\n",
        "backend/pyproject.toml": "[project]\nname='b'\n",
        "backend/app/config.py": "from pydantic_settings import BaseSettings\n"
                                 "class S(BaseSettings):\n    jwt_secret: str = 'x'\n    database_url: str\n"
                                 "    log_level: str\n",
        "backend/tests/test_x.py": "import os\nos.environ['ONLY_IN_TESTS']\n",
        "docker-compose.dev.yml": "services:\n  backend:\n    image: x:${DEV_ONLY}\n",
        "frontend/package.json": "{}",
        "frontend/src/a.ts": "export const u = import.meta.env.VITE_URL;\n",
    })
    found = discover(project)
    assert list(found.vars) == ["JWT_SECRET", "LOG_LEVEL", "DATABASE_URL", "VITE_URL"]
    v = found.vars
    assert v["JWT_SECRET"].required and v["JWT_SECRET"].sensitive
    assert not v["LOG_LEVEL"].required and v["LOG_LEVEL"].default == "info"
    assert not v["DATABASE_URL"].required and v["DATABASE_URL"].provided_by == "docker-compose.yml:5"
    assert v["VITE_URL"].required and v["VITE_URL"].group == "frontend"
    assert [r.where for r in v["JWT_SECRET"].reads] == ["docker-compose.yml:4", "backend/app/config.py:3"]


def test_discover_seen_fixture() -> None:
    seen = ROOT / "fixtures" / "seen"
    if not seen.is_dir():
        pytest.skip("fixtures/seen is not there")
    found = discover(Project(Workspace(seen)))
    for name in ("TMDB_API_KEY", "IGDB_CLIENT_ID", "IGDB_CLIENT_SECRET", "JWT_SECRET", "DATABASE_URL",
                 "VITE_API_URL"):
        assert name in found.vars, name
    assert found.vars["TMDB_API_KEY"].required
    assert found.problems == []


# -- real inputs --------------------------------------------------------------------------------

def _value_scalars(text: str) -> Counter[str]:
    """Oracle: names interpolated in every YAML *value* scalar, from ruamel's event stream."""
    from ruamel.yaml import YAML
    from ruamel.yaml.events import (AliasEvent, CollectionEndEvent, MappingStartEvent, ScalarEvent,
                                    SequenceStartEvent)

    names: Counter[str] = Counter()
    stack: list[list[object]] = []
    for ev in YAML(typ="rt").parse(text):
        if isinstance(ev, (MappingStartEvent, SequenceStartEvent)):
            if stack and stack[-1][0] == "m":
                stack[-1][1] += 1  # type: ignore[operator]
            stack.append(["m" if isinstance(ev, MappingStartEvent) else "s", 0])
        elif isinstance(ev, CollectionEndEvent):
            stack.pop()
        elif isinstance(ev, (ScalarEvent, AliasEvent)):
            is_key = bool(stack) and stack[-1][0] == "m" and stack[-1][1] % 2 == 0  # type: ignore[operator]
            if stack and stack[-1][0] == "m":
                stack[-1][1] += 1  # type: ignore[operator]
            if isinstance(ev, ScalarEvent) and not is_key:
                value = ev.value.replace("$$", "\0")
                names.update(m.group(1) for m in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", value))
    return names


def test_compose_corpus_every_interpolation_is_discovered() -> None:
    files = CORPUS / "compose" / "files"
    if not files.is_dir():
        pytest.skip(f"compose corpus not found at {files}")
    checked = with_vars = occurrences = 0
    for path in sorted(files.iterdir()):
        text = path.read_text(encoding="utf-8")
        reads, _ = compose_reads(path.name, text)
        mine = Counter(r.name for r in reads if r.kind == "compose")
        assert mine == _value_scalars(text), path.name
        lines = text.splitlines()
        for r in reads:
            assert r.name in lines[r.line - 1], (path.name, r)
        checked += 1
        with_vars += bool(mine)
        occurrences += sum(mine.values())
    print(f"compose corpus: {checked} files, {with_vars} with interpolation, {occurrences} occurrences, "
          "all matching a YAML-parser oracle")
    assert checked >= 50 and occurrences > 100


def test_secrets_corpus_python_reads() -> None:
    root = CORPUS / "secrets"
    if not (root / "cases.json").is_file():
        pytest.skip(f"secrets corpus not found at {root}")
    cases = json.loads((root / "cases.json").read_text())["cases"]
    expected = found_n = files = 0
    for case in cases:
        for f in case["files"]:
            if not f["target_path"].endswith(".py"):
                continue
            files += 1
            text = (root / f["corpus_file"]).read_text(encoding="utf-8")
            reads = python_reads(f["target_path"], text, "backend")
            names = {r.name for r in reads}
            lines = text.splitlines()
            for r in reads:
                assert r.name in lines[r.line - 1] or r.kind == "pydantic", (case["id"], r)
            for finding in case["findings"]:
                if finding["file"] != f["target_path"] or not finding["required"] or is_test_path(finding["file"]):
                    continue
                expected += 1
                assert finding["env_var"] in names, (case["id"], finding["env_var"], sorted(names))
                found_n += 1
    print(f"secrets corpus: {files} Python files read, {found_n}/{expected} secret variables discovered")
    assert files >= 10 and expected >= 5


def test_envvars_is_not_imported_at_startup() -> None:
    code = "import sys, seenfix.cli.env; print('libcst' in sys.modules, 'seenfix.analysis.envvars' in sys.modules)"
    out = subprocess.run([__import__("sys").executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_env_file_keys_are_provided(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "deploy/docker-compose.yml": "services:\n  api:\n    build: ../backend\n    env_file:\n"
                                     "      - ./api.env\n      - path: ../.env.production\n"
                                     "  worker:\n    env_file: [./api.env, ./missing.env]\n",
        "deploy/api.env": "# committed defaults\nexport PAGE_SIZE=20\n",
        ".env.production": "SECRET_KEY=x\n",
        "backend/pyproject.toml": "[project]\nname='b'\n",
        "backend/app/config.py": "from pydantic_settings import BaseSettings\n"
                                 "class S(BaseSettings):\n    page_size: int\n    secret_key: str\n",
    })
    envs: dict[str, list[str]] = {}
    builds: dict[str, str] = {}
    text = (tmp_path / "deploy/docker-compose.yml").read_text()
    compose_reads("deploy/docker-compose.yml", text, builds, envs)
    assert builds == {"api": "backend"}
    assert envs == {"api": ["deploy/api.env", ".env.production"], "worker": ["deploy/api.env", "deploy/missing.env"]}
    found = discover(project)
    assert found.vars["PAGE_SIZE"].provided_by == "deploy/api.env:2"
    assert not found.vars["PAGE_SIZE"].required
    assert found.vars["SECRET_KEY"].required and found.vars["SECRET_KEY"].provided_by is None
    assert found.vars["SECRET_KEY"].group == "api"
