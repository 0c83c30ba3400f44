"""What counts as a signing secret, when a value is weak, and how to make a strong one.

Shared by the secret fixers (SF001, SF004) and ``seenfix env check``.  The policy follows
``shared/corpus/secrets/README.md`` (P1-P12):

* a *name* denotes a signing secret only when it names the secret's value (P9):
  :func:`is_signing_secret_name`;
* any committed literal on such a name is compromised whatever its entropy (P2); entropy and known
  placeholder words only set the severity: :func:`committed_severity`.  :func:`weakness` judges a value
  that is *not* committed (an untracked ``.env``);
* an empty value is not a weak literal (P11);
* templates (``.env.example``) and test fixtures are exempt (P1, P8): :func:`is_exempt_path`.

Nothing here ever prints a value; use :func:`mask` to show one.
"""

from __future__ import annotations

import functools
import math
import re
import secrets
from collections import Counter
from collections.abc import Iterable

from seenfix.core.model import Severity
from seenfix.core.pathmatch import Prefiltered
from seenfix.core.project import is_template_env, is_test_path

#: Bytes of randomness in a generated secret (the seed asks for at least 32).
SECRET_BYTES = 48

# -- names (P9) -----------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

#: Name endings (as token tuples) that denote a signing secret's value.
_SIGNING_ENDINGS: tuple[tuple[str, ...], ...] = (
    ("secret",),
    ("secret", "key"),
    ("secret", "key", "base"),
    ("secretkey",),
    ("signing", "key"),
    ("signing", "secret"),
    ("jwt", "key"),
    ("session", "key"),
    ("cookie", "secret"),
    ("secret", "or", "key"),
    ("secret", "or", "private", "key"),
)

#: Tokens that make a ``*_SECRET`` name a third-party credential, out of scope (P12).
_THIRD_PARTY = frozenset({
    "client", "access", "aws", "s3", "oss", "minio", "api", "oauth", "consumer", "stripe", "github",
    "google", "gitlab", "discord", "slack", "twitter", "facebook", "webhook", "recaptcha", "captcha",
    "azure", "gcp", "storage", "bucket", "smtp", "mail", "sentry", "firebase", "paypal", "app_id",
    "openai", "encryption", "totp", "otp", "hcaptcha", "turnstile",
})

#: Final tokens that make a secret-looking name something else (SECRET_NAME, secret_arn, *_FILE).
_NOT_VALUE = frozenset({
    "name", "arn", "file", "path", "id", "ref", "field", "header", "length", "len", "version",
    "algorithm", "alg", "issuer", "expiry", "expires", "ttl", "type", "env", "var", "dir", "url",
})

_PASSWORD_ENDINGS = ("password", "passwd", "pass", "pwd")


def name_tokens(name: str) -> tuple[str, ...]:
    """``WEBUI_JWT_SECRET_KEY`` / ``jwtSecret`` / ``token.secret`` -> lower-case word tokens."""
    spaced = _CAMEL.sub("_", name)
    return tuple(t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t)


def is_signing_secret_name(name: str) -> bool:
    """True when ``name`` denotes the value of a JWT / session / app signing secret (P9)."""
    tokens = name_tokens(name)
    if not tokens or tokens[-1] in _NOT_VALUE:
        return False
    if any(t in _THIRD_PARTY for t in tokens):
        return False
    return any(tokens[-len(end):] == end for end in _SIGNING_ENDINGS)


#: Name endings whose value derives encryption keys: Rails ``SECRET_KEY_BASE``, Laravel ``APP_KEY`` (the
#: whole name), Appwrite ``_APP_OPENSSL_KEY_V1``, ``FERNET_KEY``, ``ENCRYPTION_KEY``.  Data encrypted
#: with such a value is unreadable under a new one, so it is moved, never replaced, by a safe fix.
_KEY_DERIVING_ENDINGS: tuple[tuple[str, ...], ...] = (
    ("secret", "key", "base"),
    ("openssl", "key"),
    ("encryption", "key"),
    ("encryption", "secret"),
    ("encrypt", "key"),
    ("fernet", "key"),
    ("cipher", "key"),
    ("crypto", "key"),
    ("rails", "master", "key"),
)
_VERSION = re.compile(r"v?\d+")


def is_key_deriving_name(name: str) -> bool:
    """True when ``name``'s value derives encryption keys (replacing it loses the encrypted data)."""
    tokens = name_tokens(name)
    while tokens and _VERSION.fullmatch(tokens[-1]):  # _APP_OPENSSL_KEY_V1
        tokens = tokens[:-1]
    if tokens == ("app", "key"):  # Laravel; PUSHER_APP_KEY and the like are public identifiers
        return True
    if not tokens or tokens[-1] in _NOT_VALUE or any(t in _THIRD_PARTY - {"encryption"} for t in tokens):
        return False
    return any(tokens[-len(end):] == end for end in _KEY_DERIVING_ENDINGS)


def is_app_secret_name(name: str) -> bool:
    """A signing secret or a key-deriving application secret (what SF001 looks for)."""
    return is_signing_secret_name(name) or is_key_deriving_name(name)


def is_password_name(name: str) -> bool:
    """True for database / service password names (``POSTGRES_PASSWORD``, ``DB_PASS``)."""
    tokens = name_tokens(name)
    return bool(tokens) and tokens[-1] in _PASSWORD_ENDINGS


# -- database credentials (SF004) ---------------------------------------------------------------

_DB_TOKENS = frozenset({"postgres", "postgresql", "pg", "db", "database", "mysql", "mariadb", "mongo", "mongodb",
                        "sql", "redis", "couchdb", "initdb"})
#: Database user names that move with the passwords (``move_usernames``).
DB_USER_KEYS = frozenset({"POSTGRES_USER", "MYSQL_USER", "MARIADB_USER", "MONGO_INITDB_ROOT_USERNAME"})
#: User names that are an image's own default: public, so written out they reveal nothing (the
#: postgres image's superuser is ``postgres`` when ``POSTGRES_USER`` is not set).
DEFAULT_DB_USERS = {"POSTGRES_USER": "postgres"}
#: Variables whose images also read ``<NAME>_FILE`` (postgres, mysql, mariadb, mongo).
FILE_READING_KEYS = frozenset({"POSTGRES_PASSWORD", "MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD", "MARIADB_PASSWORD",
                               "MARIADB_ROOT_PASSWORD", "MONGO_INITDB_ROOT_PASSWORD"})


def is_moved_user(name: str, value: str) -> bool:
    """A database user name that SF004 moves with the passwords: not the image's public default."""
    return name in DB_USER_KEYS and DEFAULT_DB_USERS.get(name) != value


#: Root passwords of data services whose images read them like a database's (MinIO, RabbitMQ).
SERVICE_PASSWORD_KEYS = frozenset({"MINIO_ROOT_PASSWORD", "MINIO_SECRET_KEY", "RABBITMQ_DEFAULT_PASS"})


def is_db_password(name: str) -> bool:
    """``POSTGRES_PASSWORD``, ``DB_PASS``, ``PGPASSWORD``, ``MINIO_ROOT_PASSWORD``: a database or data
    service password (not SMTP or API ones)."""
    return name.upper() in ("PGPASSWORD", *SERVICE_PASSWORD_KEYS) or is_password_name(name) and bool(
        _DB_TOKENS & set(name_tokens(name)))


# -- paths (P1, P8) -------------------------------------------------------------------------------

_TEST_ENV = Prefiltered(r"(^|/)\.env\.(test|testing)$", (".env.",))
_TEMPLATE_NAMED = Prefiltered(r"(^|/)(example|sample|template)([._-][^/]*)?\.env$", (".env",))


#: CI configuration (its values exist for test runs only) and translation catalogues (labels).
_CI_OR_I18N = Prefiltered(
    r"(^|/)(\.github/workflows|\.circleci|\.buildkite|\.woodpecker|i18n|l10n|locales?|lang|translations?)/"
    r"|(^|/)(\.gitlab-ci\.ya?ml|\.travis\.ya?ml|\.drone\.ya?ml|azure-pipelines\.ya?ml|bitbucket-pipelines\.ya?ml"
    r"|Jenkinsfile|cloudbuild\.ya?ml)$",
    (".github/workflows", ".circleci", ".buildkite", ".woodpecker", "i18n", "l10n", "locale", "lang", "translation",
     ".gitlab-ci.", ".travis.", ".drone.", "pipelines.", "Jenkinsfile", "cloudbuild."))


@functools.lru_cache(maxsize=1 << 16)
def is_exempt_path(path: str) -> bool:
    """Templates (``.env.example``), test fixtures (``tests/``, ``.env.test``), CI configuration
    (``.github/workflows/``, ``.gitlab-ci.yml``) and translation catalogues never hold findings."""
    return is_template_env(path) or is_test_path(path) or bool(
        _TEST_ENV.search(path) or _TEMPLATE_NAMED.search(path) or _CI_OR_I18N.search(path))


# -- values ---------------------------------------------------------------------------------------

_PLACEHOLDER_WORDS = re.compile(
    r"change|replace|secret|example|sample|default|placeholder|dummy|insecure|your|todo|fixme|"
    r"dev|test|demo|local|password|passwd|nothing|mysecret|key|xxx|foo|bar|hello|please|must|"
    r"super|s3cr3t|admin|token|qwerty|letmein|123|abc|hunter",
    re.IGNORECASE,
)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def is_hex(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]+", value))


def is_strong(value: str) -> bool:
    """At least 32 characters, ≥3.5 (hex) or ≥4.0 (other) bits/char and no placeholder word."""
    if len(value) < 32:
        return False
    if entropy(value) < (3.5 if is_hex(value) else 4.0):
        return False
    if is_hex(value) and len(value) >= 64:  # random hex (Rails' secret_key_base) holds "abc" or "123" often
        return True
    return not _PLACEHOLDER_WORDS.search(value) or (len(value) >= 40 and entropy(value) >= 4.4)


def weakness(value: str) -> Severity | None:
    """How weak an *uncommitted* value is: ``None`` when empty or strong.

    CRITICAL for placeholders, words and short values; HIGH for anything else that is not strong.
    """
    if value == "":
        return None
    if is_strong(value):
        return None
    if len(value) < 16 or _PLACEHOLDER_WORDS.search(value) or entropy(value) < 3.0:
        return Severity.CRITICAL
    return Severity.HIGH


def committed_severity(value: str) -> Severity:
    """Severity of a literal committed on a signing secret: it is compromised even if random (P2)."""
    return weakness(value) or Severity.HIGH


def is_label_value(name: str, value: str) -> bool:
    """``value`` is the name's own words, a key name or a UI label (``JWT_SECRET = 'JWT_SECRET'``,
    ``secret: 'Secret'``, ``jwtSecret: 'JWT secret'``), not a secret."""
    if value == name and ("_" in name or "." in name or name.isupper()):
        return True  # a key name: JWT_SECRET = 'JWT_SECRET' (but `secret: 'secret'` is a weak secret)
    words = name_tokens(value)
    labelled = " " in value.strip() or value[:1].isupper() and not value.isupper()  # 'JWT secret', 'Secret'
    return labelled and bool(words) and words == name_tokens(name)[-len(words):]


def is_literal_value(value: str) -> bool:
    """True for a non-empty literal, not a reference (``${X}``, ``$X``) or a secrets-file path (P6, P11)."""
    v = value.strip()
    if not v:
        return False
    if v.startswith("$") or v.startswith("/run/secrets/"):
        return False
    return True


def generate_secret(nbytes: int = SECRET_BYTES) -> str:
    """A fresh URL-safe secret from the ``secrets`` module (``nbytes`` ≥ 32 random bytes)."""
    return secrets.token_urlsafe(max(32, nbytes))


def generate_like(old: str, nbytes: int = SECRET_BYTES) -> str:
    """A fresh secret in the format the application expects where ``old`` shows one: Laravel's
    ``base64:`` + 32 bytes, a Fernet key (32 bytes, URL-safe base64), a hex key of the same length
    (Rails ``secret_key_base``); otherwise :func:`generate_secret`."""
    import base64

    if old.startswith("base64:"):
        return "base64:" + base64.b64encode(secrets.token_bytes(32)).decode()
    if len(old) == 44 and old.endswith("=") and re.fullmatch(r"[A-Za-z0-9_\-]{43}=", old):
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    if len(old) >= 64 and len(old) % 2 == 0 and is_hex(old):
        return secrets.token_hex(len(old) // 2)
    return generate_secret(nbytes)


def mask(value: str, reveal: int = 0) -> str:
    """A value as it may be shown: its length, and its first ``reveal`` (at most 2) characters when it
    is at least 8 long (enough to recognise a committed placeholder, never enough to use it)."""
    shown = value[:min(reveal, 2)] if len(value) >= 8 else ""
    return f"{shown}**** ({len(value)} chars)"


#: Third-party credentials (API keys, OAuth client secrets, access tokens): sensitive, not generatable.
CREDENTIAL = re.compile(
    r"(API_?KEY|CLIENT_SECRET|ACCESS_KEY|PRIVATE_KEY|ACCESS_TOKEN|AUTH_TOKEN|API_TOKEN|"
    r"BOT_TOKEN|_TOKEN$|^TOKEN$|_SECRET$|PASSPHRASE|CREDENTIALS?$)",
    re.IGNORECASE,
)
#: Endings that name *about* a secret rather than the secret itself (P9 of the secrets policy).
NOT_A_VALUE = re.compile(r"_(FILE|PATH|NAME|ARN|ID|URL|ALGORITHM|ALG|TTL|TYPE|HEADER|LENGTH|EXPIRE_MINUTES)$",
                         re.IGNORECASE)


def is_generatable(name: str) -> bool:
    """A secret we generate (signing keys, passwords), as opposed to a provider's API key."""
    return is_signing_secret_name(name) or is_password_name(name)


def is_sensitive(name: str) -> bool:
    """A name whose value is a secret: a signing key, a password, an API key or token."""
    return is_generatable(name) or (bool(CREDENTIAL.search(name)) and not NOT_A_VALUE.search(name))
