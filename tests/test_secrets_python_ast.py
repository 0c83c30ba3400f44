"""SF001's Python secrets are found on CPython's tree (a check does not import libcst) and fixed
through libcst: both must find the same secrets, in the same order, with the same lines.

The libcst scan (``secrets_python._scan``) is the reference: its rules were tested first
(``test_secret_editors.py``), and the fix still runs on it.  These tests hold the CPython walk to
its answers on real files (the fixtures, the real-shaped projects, the shared corpus's secret
cases, installed packages that mention a secret) and on the places where the two trees differ.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seenfix.analysis import secrets_python as sp
from seenfix.core.model import InputError

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


def _both(text: str, path: str = "x.py") -> tuple[object, object]:
    def run(f: object) -> object:
        try:
            return f()  # type: ignore[operator]
        except InputError as exc:
            return ("error", exc.line, exc.message)

    return run(lambda: sp.find_secrets(text, path)), run(lambda: sp._scan(text, path, fix=False)[0])


def _python_files(root: Path, limit: int | None = None) -> list[Path]:
    files = sorted(p for p in root.rglob("*.py") if p.is_file() and p.stat().st_size < 200_000)
    return files if limit is None else files[:limit]


def _compare(files: list[Path]) -> tuple[int, int]:
    """(files compared, files with a secret); fails naming every file the two scans disagree on."""
    compared = with_secrets = 0
    wrong = []
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        mine, reference = _both(text, str(p))
        compared += 1
        with_secrets += bool(reference) and not isinstance(reference, tuple)
        if mine != reference:
            wrong.append(f"{p}: CPython walk {mine!r} != libcst {reference!r}")
    assert not wrong, "\n".join(wrong)
    return compared, with_secrets


def test_same_secrets_as_libcst_on_the_fixtures_and_real_shapes() -> None:
    compared, with_secrets = _compare(_python_files(REPO / "fixtures") + _python_files(REPO / "tests"))
    assert compared > 40 and with_secrets >= 5


def test_same_secrets_as_libcst_on_the_shared_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    compared, with_secrets = _compare(_python_files(CORPUS))
    assert compared >= 10 and with_secrets >= 8


def test_same_secrets_as_libcst_on_installed_packages() -> None:
    """Third-party code that mentions secrets (settings modules, auth libraries): real shapes nobody
    wrote for seenfix."""
    site = Path(pytest.__file__).resolve().parents[1]
    files = [p for p in _python_files(site) if p.stat().st_size < 40_000
             and "secret" in p.read_text(encoding="utf-8", errors="replace").lower()][:60]
    compared, _ = _compare(files)
    assert compared >= 15


# Where CPython's tree and libcst's differ; each case: the source, the (env var, line, kind) found.
CASES = {
    # a or b or c: libcst nests it to the left, CPython flattens it
    "or-chain": ('import os\nA = os.getenv("JWT_SECRET") or "dev-secret-1" or "x"\n'
                 'B = os.getenv("A") or os.getenv("SESSION_SECRET") or "dev-secret-2"\n',
                 [("JWT_SECRET", 2, "or-fallback")]),
    # a keyword argument before a starred one: libcst keeps source order
    "keyword-before-star": ('import os\nf(jwt_secret_key="hunter2-hunter2", *rest)\n'
                            'os.getenv("JWT_SECRET", *["x"])\n',
                            [("JWT_SECRET_KEY", 2, "keyword")]),
    "nested-fallback": ('import os\nK = os.environ.get("APP_SECRET", os.environ.get("JWT_SECRET", "dev-key-123"))\n',
                        [("APP_SECRET", 2, "getenv")]),
    "settings-prefix": ('from pydantic_settings import BaseSettings, SettingsConfigDict\n'
                        'class S(BaseSettings):  # the app\'s settings\n'
                        '    model_config = SettingsConfigDict(env_prefix="APP_")\n'
                        '    jwt_secret: str = "change-me-please"\n'
                        '    session_secret: str = Field(default="abcdefghij", alias="cookie_secret")\n'
                        '    signing_key: SecretStr = SecretStr("0123456789abcdef")\n',
                        [("APP_JWT_SECRET", 4, "field"), ("COOKIE_SECRET", 5, "field"),
                         ("APP_SIGNING_KEY", 6, "field")]),
    # a prefix in the class's keywords is not in its body (pydantic reads it, libcst's body does not)
    "prefix-in-header": ('class S(BaseSettings, env_prefix="X_"):\n    jwt_secret: str = "change-me-please"\n',
                         [("JWT_SECRET", 2, "field")]),
    "prefix-comment-on-header": ('class S(BaseSettings):  # env_prefix = "C_"\n    jwt_secret: str = "change-me-please"\n',
                                 [("C_JWT_SECRET", 2, "field")]),
    "no-bases": ('class Config:\n    env_prefix = "Z_"\n    SECRET_KEY = "django-insecure-xyz"\n',
                 [("SECRET_KEY", 3, "assign")]),
    "decorator-and-returns": ('import os\n@app(session_secret="s3cr3t-value-1")\nasync def f(x=os.getenv("JWT_SECRET", "d3v-value")) '
                              '-> T(cookie_secret="s3cr3t-value-2"):\n    return {"SECRET_KEY": "k3y-value-123", **x}\n',
                              [("SESSION_SECRET", 2, "keyword"), ("JWT_SECRET", 3, "getenv"),
                               ("COOKIE_SECRET", 3, "keyword"), ("SECRET_KEY", 4, "dict")]),
    "targets": ('import os\napp.config["SECRET_KEY"] = "abc-def-ghi"\nos.environ["JWT_SECRET"] = "abc-def-ghi"\n'
                'a = b = "abc-def-ghi"\nSECRET_KEY = JWT_SECRET = "abc-def-ghi"\nx[1:2] = "abc-def-ghi"\n'
                'app.secret_key = ("abc"\n  "def-ghi")\n',
                [("SECRET_KEY", 2, "assign"), ("JWT_SECRET", 3, "assign"), ("SECRET_KEY", 7, "assign")]),
    "not-literals": ('import os\nSECRET_KEY = f"{x}-abc-def"\nJWT_SECRET = b"abc-def-ghi"\n'
                     'SESSION_SECRET = os.getenv("SESSION_SECRET", secrets.token_urlsafe())\n',
                     []),
    "env-helpers": ('SECRET_KEY = env("SECRET_KEY", default="django-insecure-123")\n'
                    'JWT = config("JWT_SECRET", cast=str, default="dev-jwt-secret")\n',
                    [("SECRET_KEY", 1, "env-default"), ("JWT_SECRET", 2, "env-default")]),
    # non-ASCII before the bases and CRLF lines: offsets are bytes, lines end in \r\n
    "utf8-crlf": ('# café\r\nclass Réglages(BaseSettings):\r\n    model_config = dict(env_prefix="É_")\r\n'
                  '    jwt_secret: str = "change-me-please"\r\n',
                  [("É_JWT_SECRET", 4, "field")]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_where_the_trees_differ(name: str) -> None:
    text, expected = CASES[name]
    mine, reference = _both(text)
    assert mine == reference
    assert [(s.env_var, s.line, s.kind) for s in mine] == expected  # type: ignore[attr-defined]


def test_syntax_cpython_cannot_parse_goes_to_libcst() -> None:
    """A file CPython rejects (here: a syntax error) is read by libcst, which reports it."""
    text = 'SECRET_KEY = "abc-def-ghi"\ndef (:\n'
    mine, reference = _both(text)
    assert mine == reference and isinstance(mine, tuple) and mine[0] == "error"


def test_check_of_the_fixture_does_not_import_libcst(tmp_path: Path) -> None:
    """Reading every Python file of the SEEN fixture (SF001's secrets, SF006's environment reads) no
    longer loads libcst: its import alone cost a third of the whole check."""
    env = {**os.environ, "SEENFIX_NO_CACHE": "1", "SEENFIX_JOBS": "1"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "seenfix", "check", str(REPO / "fixtures" / "seen")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "SF001" in proc.stdout and "SF006" in proc.stdout
    assert "libcst" not in proc.stderr
    # the fix still goes through libcst
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "seenfix", "apply", "--dry-run", "--select", "SF001",
                           str(REPO / "fixtures" / "seen")], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert "libcst" in proc.stderr and "+++ b/backend/app/config.py" in proc.stdout
