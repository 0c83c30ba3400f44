"""Pure tests of the secret policy and the secret-aware editors (in-memory text in, text out)."""

from __future__ import annotations

import ast
import re

import pytest

from seenfix.analysis import secrets_js, secrets_python
from seenfix.editors import yaml_env
from seenfix.analysis.secrets_policy import (
    committed_severity,
    generate_secret,
    is_signing_secret_name,
    is_strong,
    mask,
    weakness,
)


@pytest.mark.parametrize("name", [
    "JWT_SECRET", "SECRET_KEY", "APP_SECRET", "SESSION_SECRET", "NEXTAUTH_SECRET", "SIGNING_KEY",
    "SECRET_KEY_BASE", "jwtSecret", "sessionSecret", "token.secret", "jwt.secret", "authjwt_secret_key",
    "WEBUI_JWT_SECRET_KEY", "SECRET",
])
def test_signing_names(name: str) -> None:
    assert is_signing_secret_name(name)


@pytest.mark.parametrize("name", [
    "SECRET_NAME", "secret_arn", "JWT_SECRET_FILE", "JWT_ALGORITHM", "JWT_ISSUER", "jwt.expired-seconds",
    "S3_SECRET_KEY", "MINIO_SECRET_KEY", "DISCORD_CLIENT_SECRET", "accessKeySecret", "secretField",
    "encryption_key", "POSTGRES_PASSWORD",
])
def test_not_signing_names(name: str) -> None:
    assert not is_signing_secret_name(name)


def test_values() -> None:
    assert weakness("") is None
    assert weakness("changeme") is not None
    assert committed_severity("sk-9f73s3ljTXVcMT3Blb3ljTqtsKiGHXVcMT3BlbkFJLK7U").value == "high"
    for _ in range(200):
        value = generate_secret()
        assert is_strong(value) and weakness(value) is None and len(value) >= 43
        assert value not in mask(value) and value[2:6] not in mask(value)


PY_FIXES = [
    ('class S(BaseSettings):\n    jwt_secret: str = "x-y"  # note\n',
     'class S(BaseSettings):\n    jwt_secret: str  # note\n'),
    ('class S(BaseSettings):\r\n    SECRET: SecretStr = SecretStr("d")\r\n    n: int = 1',
     'class S(BaseSettings):\r\n    SECRET: SecretStr\r\n    n: int = 1'),
    ('class S(BaseSettings):\n    session_secret: str = Field("dev", min_length=32)\n',
     'class S(BaseSettings):\n    session_secret: str = Field(..., min_length=32)\n'),
    ('import os\nJWT_SECRET = os.getenv("JWT_SECRET", "nothing")\n',
     'import os\nJWT_SECRET = os.environ["JWT_SECRET"]\n'),
    ("import os\nK = os.environ.get('SECRET_KEY', 'django-insecure-x')\n",
     "import os\nK = os.environ['SECRET_KEY']\n"),
    ("import os\nK = os.getenv('SECRET_KEY') or 'dev'\n", "import os\nK = os.environ['SECRET_KEY']\n"),
    ('SECRET_KEY = env("SECRET_KEY", default="changeme")\n', 'SECRET_KEY = env("SECRET_KEY")\n'),
    ('import os\napp.config["SECRET_KEY"] = "dev"\n', 'import os\napp.config["SECRET_KEY"] = os.environ["SECRET_KEY"]\n'),
    ('import os\nJWT_SECRET: str = "x"\nclass C:\n    secret_key: str = "y"\n',
     'import os\nJWT_SECRET: str = os.environ["JWT_SECRET"]\nclass C:\n    secret_key: str = os.environ["SECRET_KEY"]\n'),
    ('import os\nA = os.environ.get("A", os.environ.get("B_SECRET", "x"))\n',
     'import os\nA = (os.environ.get("A") or os.environ["B_SECRET"])\n'),
]


@pytest.mark.parametrize("before, after", PY_FIXES)
def test_python_fix(before: str, after: str) -> None:
    assert secrets_python.find_secrets(before, "x.py")
    assert secrets_python.fix_secrets(before, "x.py") == after
    ast.parse(after)
    assert secrets_python.fix_secrets(after, "x.py") == after


@pytest.mark.parametrize("text", [
    'import secrets\nclass S(BaseSettings):\n    SECRET_KEY: str = secrets.token_urlsafe(32)\n',
    'class S(BaseSettings):\n    jwt_secret: str | None = Field(default=None)\n    jwt_algorithm: str = "HS256"\n',
    'import os\nJWT_SECRET = os.getenv("JWT_SECRET")\nAPI_KEY = os.getenv("API_KEY", "")\n',
    'if value == "changethis":\n    pass\nWORKER_SECRET = JWT_SECRET + "worker"\n',
    '# JWT_SECRET = "commented"\nSECRET_NAME = "prod/jwt"\nSECRET_KEY = "SECRET_KEY"\n',
    'S = os.getenv("SECRET_KEY", "")\n',
    'EMOJI = {"secret": "\u3299", "smile": ":)"}\nshow(secret="hidden")\n',
])
def test_python_not_findings(text: str) -> None:
    assert secrets_python.find_secrets(text, "x.py") == []
    assert secrets_python.fix_secrets(text, "x.py") == text


def test_python_syntax_error_is_input_error() -> None:
    from seenfix.core.model import InputError

    with pytest.raises(InputError):
        secrets_python.find_secrets("def (:\n", "bad.py")


JS_FIXES = [
    ("const s = process.env.JWT_SECRET || 'key';\n",
     "const s = process.env.JWT_SECRET || (() => { throw new Error('JWT_SECRET is not set') })();\n"),
    ('x = { secret: process.env["SESSION_SECRET"] ?? "dev", // c\n}',
     'x = { secret: process.env.SESSION_SECRET || (() => { throw new Error("SESSION_SECRET is not set") })(), // c\n}'),
    ("const { JWT_SECRET = 'dev' } = process.env;\n",
     "const { JWT_SECRET = process.env.JWT_SECRET || (() => { throw new Error('JWT_SECRET is not set') })() }"
     " = process.env;\n"),
    ("exports.sessionSecret = 'kc';\n",
     "exports.sessionSecret = process.env.SESSION_SECRET || (() => { throw new Error('SESSION_SECRET is not set') })();\n"),
    ('return s && s.length >= 12 ? s : "dev";\nconst s = process.env.JWT_SECRET;\n',
     'return s && s.length >= 12 ? s : (() => { throw new Error("JWT_SECRET is not set") })();\n'
     'const s = process.env.JWT_SECRET;\n'),
    ("const re = /'[/]\"/g; const d = a / b; const k = process.env.JWT_SECRET || 'x';\n",
     "const re = /'[/]\"/g; const d = a / b; const k = process.env.JWT_SECRET || "
     "(() => { throw new Error('JWT_SECRET is not set') })();\n"),
    ("const sessionSecret = 'dev';\r\n",
     "const sessionSecret = process.env.SESSION_SECRET || (() => { throw new Error('SESSION_SECRET is not set') })();\r\n"),
]


@pytest.mark.parametrize("before, after", JS_FIXES)
def test_js_fix(before: str, after: str) -> None:
    assert secrets_js.fix_secrets(before) == after
    assert secrets_js.fix_secrets(after) == after


@pytest.mark.parametrize("text", [
    "if (!process.env.PAYLOAD_SECRET) { throw new Error('PAYLOAD_SECRET is required') }\n",
    "// const s = process.env.JWT_SECRET || 'commented'\n",
    "const s = `process.env.JWT_SECRET || 'in a template'`;\n",
    "const port = process.env.PORT || 5050, url = process.env.MONGO_URL || 'mongodb://x';\n",
    "const o = { secret: process.env.NEXTAUTH_SECRET, secretField: 'password', jwt: 'dummy' };\n",
    "const s = process.env.JWT_SECRET || '';\n",
    "type T = { secret: 'a' | 'b' };\nconst d = { secret: 'pre' + suffix };\n",
    "const mode = isProd ? 'strict' : 'lax';\n",
])
def test_js_not_findings(text: str) -> None:
    assert secrets_js.find_secrets(text) == []


def test_yaml_env_offsets_quotes_and_crlf() -> None:
    text = ("x-env: &env\r\n  A_SECRET: ${A_SECRET:-lit}\r\nservices:\r\n  s:\r\n    environment:\r\n"
            "      <<: *env\r\n      B: 'q''x'\r\n      C: \"dq\"  # c\r\n  t:\r\n    environment:\r\n"
            "      - D=1\r\n      - \"E=two words\"\r\n")
    entries = {e.key: e for e in yaml_env.env_entries(text, "c.yml")}
    assert set(entries) == {"A_SECRET", "B", "C", "D", "E"}
    assert text[entries["C"].start:entries["C"].end] == "dq"
    assert not entries["B"].editable  # '' escape inside single quotes
    assert text[entries["E"].start:entries["E"].end] == "two words" and entries["E"].form == "list"
    (interp,) = yaml_env.interpolations(text, "c.yml")
    assert (interp.var, interp.op, interp.arg, interp.line) == ("A_SECRET", ":-", "lit", 2)
    assert text[interp.start:interp.end] == "${A_SECRET:-lit}"


def test_yaml_invalid_is_input_error() -> None:
    from seenfix.core.model import InputError

    with pytest.raises(InputError) as info:
        yaml_env.env_entries("services:\n  a: [\n", "bad.yml")
    assert info.value.path == "bad.yml"


def test_app_yaml_forms() -> None:
    from seenfix.analysis.secret_sites import app_yaml_sites

    text = ("spec:\n  env:\n    - name: JWT_SECRET\n      value: k8s\n    - name: JWT_ALGORITHM\n      value: HS256\n"
            "  args:\n    - SECRET_KEY=lit\njwt:\n  secret: 1234  # c\n  expiration: 60\n# session:\n#  secret: x\n")
    got = [(s.line, s.env_var, s.edit is not None) for s in app_yaml_sites("conf/app.yml", text)]
    assert got == [(4, "JWT_SECRET", False), (8, "SECRET_KEY", False), (10, "JWT_SECRET", False)]
    spring = app_yaml_sites("src/main/resources/application.yml", text)[-1]
    assert spring.edit is not None and text[spring.edit[0]:spring.edit[1]] == "1234"


def test_python_env_var_of_settings_fields() -> None:
    text = ('class S(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix="APP_")\n'
            '    jwt_secret: str = "x"\n    session_secret: str = Field("y", alias="COOKIE_SECRET")\n')
    assert [s.env_var for s in secrets_python.find_secrets(text, "s.py")] == ["APP_JWT_SECRET", "COOKIE_SECRET"]


def test_sf001_verify_parses_javascript() -> None:
    from seenfix.fixers.weak_jwt_secret import WeakJwtSecret

    fixer = WeakJwtSecret()
    assert fixer.verify("a.js", "const a = 1;\n", "const a = (() => { throw 1 })();\n") is None
    assert fixer.verify("a.js", "const a = 1;\n", "const a = (;\n") is not None
    assert fixer.verify("a.js", "const a = (;\n", "const a = (;\n") is None  # was broken already


def test_yaml_env_anchor_tag_and_alias() -> None:
    text = ("services:\n  a:\n    environment:\n      JWT_SECRET: &s shared\n  b:\n    environment:\n"
            "      JWT_SECRET: *s\n      SECRET_KEY: !!str tagged\n")
    got = [(e.owner, e.key, text[e.start:e.end]) for e in yaml_env.env_entries(text, "c.yml")]
    assert got == [("a", "JWT_SECRET", "shared"), ("b", "SECRET_KEY", "tagged")]


def test_spring_placeholder_defaults() -> None:
    from seenfix.editors.text import apply_edits
    from seenfix.analysis.secret_sites import spring_default_sites

    java = ('class A {\n    // @Value("${jwt.secret:old}")\n    @Value("${jwt.secret:mySecretKey}") String s;\n'
            '    @Value("${jwt.expiration:3600}") long e;\n}\n')
    sites = spring_default_sites("src/A.java", java)
    assert [(s.line, s.env_var) for s in sites] == [(3, "JWT_SECRET")]
    fixed = apply_edits(java, [e for s in sites if (e := s.edit) is not None])
    assert '@Value("${jwt.secret}") String s;' in fixed and "// @Value(\"${jwt.secret:old}\")" in fixed


@pytest.mark.parametrize("text", [
    "", "const a = 1", "SECRET", "my_Secret_value", "Signing", "jwtKey", "JWT_KEY", "jwt.key", "jwt-key",
    "jwt key", "SessionKey", "session_KEY", "session--key", "keys and tokens", "monkey", "jwtkeyring",
])
def test_secret_prefilter_matches_the_case_insensitive_pattern(text: str) -> None:
    from seenfix.fixers.weak_jwt_secret import _maybe_secret

    pattern = re.compile(r"(?i)secret|signing|jwt[._-]?key|session[._-]?key")
    assert _maybe_secret(text) == bool(pattern.search(text))


def test_compose_interpolation_is_read_one_way_by_both_readers() -> None:
    """The env-variable discovery and the compose editors share one interpolation scanner: a nested
    default gives the outer variable and then the inner one to both (they used to disagree)."""
    from seenfix.analysis.env_reads_compose import interpolations as discovered

    text = 'services:\n  a:\n    environment:\n      K: "${A:-${B:-x}} $$C ${D:?set D}"\n'
    edited = [(i.var, i.op, i.arg) for i in yaml_env.interpolations(text, "c.yml")]
    assert edited == [("A", ":-", "${B:-x}"), ("B", ":-", "x"), ("D", ":?", "set D")]
    value = text.split('"')[1]
    assert [(n, op) for _o, n, _d, op in discovered(value)] == [(v, op) for v, op, _a in edited]
    for i in yaml_env.interpolations(text, "c.yml"):
        assert text[i.start:i.end].startswith("${" + i.var)


def test_app_yaml_not_secrets() -> None:
    """Health-check commands, references to Secret objects and (in Helm charts) the keys inside
    them are not secret values; the same key names elsewhere still are (issue 14, class 3)."""
    from seenfix.analysis.secret_sites import app_yaml_sites

    text = ("livenessProbe:\n  exec:\n    command: [sh, -c, 'SECRET_KEY=probe check']\n"
            "auth:\n  existingSecret: app-auth\njwt:\n  secretKey: jwt-secret\n")
    assert [s.line for s in app_yaml_sites("charts/app/values.yaml", text)] == []
    assert [s.line for s in app_yaml_sites("config/app.yml", text)] == [7]


def test_label_values() -> None:
    from seenfix.analysis.secrets_policy import is_label_value

    assert is_label_value("JWT_SECRET", "JWT_SECRET") and is_label_value("secret", "Secret")
    assert is_label_value("jwtSecret", "JWT secret")
    assert not is_label_value("secret", "secret")  # express-session's weak default
    assert not is_label_value("SESSION_SECRET", "secret") and not is_label_value("jwt.secret", "jwt-secret")
