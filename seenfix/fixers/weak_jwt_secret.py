"""SF001: a weak or placeholder JWT / session signing secret is committed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from seenfix.core.model import Applicability, FileChange, Finding, FixAvailability, Fixer, InputError, Option, Severity
from seenfix.core.project import Project
from seenfix.analysis.secret_sites import (
    DEV_STACK_NOTE,
    JS_SUFFIXES,
    SPRING_CONFIG,
    Site,
    app_yaml_sites,
    candidate_files,
    dotenv_sites,
    env_changes,
    env_dir_for,
    env_path,
    file_changes,
    in_dev_stack,
    properties_sites,
    spring_default_sites,
)
from seenfix.analysis.secrets_policy import (
    committed_severity,
    is_app_secret_name,
    is_key_deriving_name,
    is_label_value,
    is_literal_value,
    mask,
)


if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis.secrets_js import JsSecret
    from seenfix.analysis.secrets_python import PySecret
    from seenfix.core.filepass import FilePass


#: Files without any of these cannot hold a signing-secret name (a cheap filter before parsing):
#: ``secret``, ``signing``, ``jwt[._-]?key`` or ``session[._-]?key``, in any case.
_MAYBE_KEY = re.compile(r"jwt[._-]?key|session[._-]?key")


def _maybe_secret(text: str) -> bool:
    """Whether ``text`` may name a signing secret; ``str.lower`` and ``in`` are ten times faster on
    source files than one case-insensitive pattern (0.04 s instead of 0.43 s for 2,000 files)."""
    low = text.lower()
    return "secret" in low or "signing" in low or ("key" in low and (
        (("jwt" in low or "session" in low) and _MAYBE_KEY.search(low) is not None)  # the pattern's words
        or any(w in low for w in _KEY_WORDS)))


#: Words of key-deriving secret names without "secret" (``APP_KEY``, ``_APP_OPENSSL_KEY_V1``...).
_KEY_WORDS = ("app_key", "openssl_key", "fernet_key", "encrypt", "cipher_key", "crypto_key", "master_key")


#: Names of the files a secret may be in besides compose and env files (``applies``).
_SUFFIXES = (".py", ".java", ".kt", ".yml", ".yaml", ".properties", *JS_SUFFIXES)
#: Python files must also assign, pass or default such a name (libcst parsing is the slow part).
_MAYBE_PY = re.compile(r"(?i)(secret|signing_?key|jwt_?key|session_?key)\w*['\"]?\]?\s*(=|:|,|\)\s*or\b)")
#: The kinds of files a signing secret is looked for in (see ``secret_sites.candidate_files``).
_WHERE = ("compose", "env", "python", "js", "yaml", "properties", "java")
_KINDS = {
    "compose": "the compose environment", "compose-default": "a compose ${VAR:-default}",
    "python": "Python code", "js": "JS/TS code", "app-yaml": "application config",
    "properties": "application properties", "spring-default": "a Spring ${name:default} placeholder",
}


def _derives_keys(site: Site) -> bool:
    """The secret derives encryption keys (Rails ``SECRET_KEY_BASE``, Laravel ``APP_KEY``, Fernet or
    OpenSSL keys): a new value loses the data encrypted with the old one."""
    return is_key_deriving_name(site.env_var) or is_key_deriving_name(site.name)


class WeakJwtSecret(Fixer):
    """
    ## What it does
    Finds a literal committed as a JWT, session or application signing secret, in every form real
    projects use: compose `environment` maps and lists, compose `${VAR:-default}` defaults, tracked
    `.env` and other env files, pydantic settings fields (`jwt_secret: str = "..."`, `Field("...")`,
    `SecretStr("...")`), `os.getenv` / `os.environ.get` / `setdefault` defaults and `or` fallbacks, django-environ and
    decouple `env("X", default="...")`, Flask/Django `app.config["SECRET_KEY"] = "..."`, dict entries
    and keyword arguments, JS/TS `process.env.X || '...'` / `?? '...'`, unguarded ternaries and
    `const sessionSecret = '...'`, application config (`jwt: secret: ...` in YAML, `jwt.secret=...`
    in `.properties`) and Spring placeholder defaults (`@Value("${jwt.secret:dev}")`); in compose files
    and tracked env files also the application secrets that derive encryption keys (Rails
    `SECRET_KEY_BASE`, Laravel `APP_KEY`, `_APP_OPENSSL_KEY_V1`, `FERNET_KEY`, `ENCRYPTION_KEY`).
    Detection is structural: a name that denotes a signing secret's value, an assignment or
    default form, and a non-empty literal. Templates (`.env.example`), test fixtures (`tests/`,
    `conftest.py`, `*.test.ts`...), CI configuration
    (`.github/workflows/`, `.gitlab-ci.yml`: dummy values for test runs), translation catalogues
    (`i18n/`, `locales/`), commented-out lines, `${VAR:?msg}`, `${VAR}`, `*_FILE` readers and
    runtime-random defaults are not findings; nor are key names and UI labels (`JWT_SECRET =
    'JWT_SECRET'`, `secret: 'Secret'`), TypeScript enum members (their initializer must stay a
    constant), references to secret objects (`existingSecret`, a Helm chart's `secretKey`) and
    health-check or probe commands.

    ## Why is this bad?
    Anyone who has read the repository can sign tokens the application accepts: a committed secret is
    compromised whatever it looks like (published defaults look random too), and a placeholder such as
    `replace-in-production` usually reaches production unchanged (seed issue 1, P0 item 1).

    ## Example
    ```yaml
    services:
      backend:
        environment:
          JWT_SECRET: replace-in-production
    ```

    ## Use instead
    ```yaml
    services:
      backend:
        environment:
          JWT_SECRET: ${JWT_SECRET:?set JWT_SECRET in .env}
    ```
    with `JWT_SECRET=<64 random characters>` in an untracked, git-ignored `.env` (mode 0600).

    ## Fix safety
    The fix depends on what the secret protects. A signing-only secret (JWT, session, cookie
    signing) is replaced: a new value only logs users out. A secret that derives encryption keys
    (Rails `SECRET_KEY_BASE`, Laravel `APP_KEY`, Fernet and OpenSSL keys, `*_ENCRYPTION_KEY`) is
    **moved, never replaced**, by the safe fix: the committed value goes into the untracked `.env`
    (a tracked env file is untracked with the value left in it), so the application still decrypts
    what it stored. Replacing it is an unsafe fix (`--unsafe-fixes`): data encrypted with the old
    key (encrypted columns, encrypted cookies, Active Storage or Laravel `encrypt()` payloads)
    becomes unreadable. Rotate such a key by hand: Rails with `secret_key_base` rotations
    (`config.active_record.encryption` keys, `Rails.application.message_verifiers.rotate`),
    Laravel 11+ by moving the old key to `APP_PREVIOUS_KEYS`, Fernet with `MultiFernet([new,
    old]).rotate(token)` over the stored values; then drop the old key. The unsafe fix generates the
    new value in the old one's format (`base64:` for Laravel, a Fernet key, hex of the same length).

    A development, test or CI compose stack (`.devcontainer/`, `cypress/`, `docker/testing/`,
    `compose.dev.yml`...; see README, "What seenfix will and will not change") is never edited: a
    fresh clone must still start it. What it commits is reported at low severity.

    Either way the fix makes the secret required where it is read: compose `${VAR:?...}`, a
    pydantic field without default, `os.environ["X"]`, or a JS read that throws `X is not set`. It generates a new
    value with Python's `secrets` module (`secrets_bytes` random bytes, URL-safe) into the `.env`
    beside the compose file (or at the root) and adds `.env` to `.gitignore`; a value already there is
    kept, so a re-run never rotates it. A tracked env file is untracked (`git rm --cached`) and ignored,
    and its signing secrets are regenerated. Existing tokens signed with the old secret stop being
    valid, which is the point. The generated value is never printed; `seenfix secret` prints a fresh
    one for a vault or CI store. A Spring placeholder loses its default (`${jwt.secret}`), so Spring
    refuses to start without the value. Application config other than Spring's `application*.yml` /
    `application*.properties` (fixed to `${VAR}`) is reported only.

    ## Options
    - `secret_bytes` (integer, default 48): random bytes in a generated secret (at least 32).

    ## References
    - The seed assessment, issue 1 and P0 items 1 and 3.
    - OWASP, JSON Web Token Cheat Sheet: https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html
    - RFC 7518 section 3.2 (HMAC keys at least as long as the hash output): https://www.rfc-editor.org/rfc/rfc7518#section-3.2
    - Docker docs, interpolation: https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/
    """

    code = "SF001"
    phase = -2  # moves secrets: runs before fixers that copy values
    slug = "weak-jwt-secret"
    summary = "Weak or placeholder signing secret is committed"
    seed_issue = 1
    category = "Security"  # readiness score (seenfix report)
    weight = 4
    needs = ("python_files", "ts_files", "compose_files", "env_files")
    area = "security"
    severity = Severity.CRITICAL
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    sets = frozenset({"p0"})
    fix_title = "Require the secret from the environment and generate a strong one into .env"
    follow_up = ("Set the new JWT signing secret in every deployment (your CI/CD secret store or the "
                 "server's environment) before merging: every existing token stops being valid.")
    options = (Option("secret_bytes", int, 48, "Random bytes in a generated secret (at least 32)."),)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._specs: dict[str, FilePass] = {}

    def applies(self, project: Project) -> bool:
        """Any file of a kind a secret is looked for in (a cheap superset of ``candidate_files``)."""
        lay = project.layout
        return bool(lay.compose_files or lay.env_files) or any(p.endswith(_SUFFIXES) for p in project.files())

    def warm_up(self, project: Project) -> list[Callable[[], object]]:
        """What :meth:`sites` imports: the Python secret scan, the env file reader, and the compose
        readers when there is a compose file."""
        from seenfix.core.lazy import importer, pending

        yaml = ("seenfix.editors.yaml_env",) if project.layout.compose_files else ()
        return [*super().warm_up(project), importer("seenfix.analysis.secrets_python", *yaml,
                                                     *pending("seenfix.analysis.secret_sites"))]

    def file_passes(self, project: Project) -> list[FilePass]:
        """The scans of JS/TS and Python code, in the run's parallel pass over the files (each file
        read once), their answers cached by digest."""
        return [self._pass(project, "js"), self._pass(project, "py")]

    def _pass(self, project: Project, kind: str) -> FilePass:
        from seenfix.core.cache import ResultCache, module_stat, package_stat
        from seenfix.core.filepass import FilePass

        spec = self._specs.get(kind)
        if spec is None:
            modules = ["seenfix.analysis.secrets_js", "seenfix.editors.text"] if kind == "js" else \
                ["seenfix.analysis.secrets_python", "seenfix.editors.python"]
            key = [module_stat(m) for m in (__name__, "seenfix.analysis.secrets_policy", *modules)]
            if kind == "py":
                key.append(package_stat("libcst"))
            spec = self._specs[kind] = FilePass(f"{self.code}-{kind}", [], _scan_js if kind == "js" else _scan_py,
                                                cache=ResultCache(f"{self.code}-{kind}", key), store=_keep_all)
        suffixes = JS_SUFFIXES if kind == "js" else (".py",)
        spec.paths = [p for p in candidate_files(project, ("js", "python")) if p.endswith(suffixes)]
        return spec

    def cache_writes(self) -> list[tuple[str, bytes]]:
        """The JS/TS and Python scans' answers, for the engine to store."""
        entries = [spec.cache.dump() for spec in self._specs.values() if spec.cache is not None]
        return [entry for entry in entries if entry is not None]

    def sites(self, project: Project) -> list[Site]:
        from seenfix.analysis import secrets_python
        from seenfix.core.filepass import run_pass
        from seenfix.editors.yaml_env import compose_nodes, env_entries, interpolations, required_ref

        out: list[Site] = []
        js: dict[str, list[JsSecret]] = dict(run_pass(project, self._pass(project, "js")))
        py: dict[str, list[PySecret] | tuple[int, str]] = dict(run_pass(project, self._pass(project, "py")))
        for path in candidate_files(project, _WHERE):
            scanned = path in js or path in py  # JS/TS and Python: answered by the parallel pass
            text = "" if scanned else project.read_text(path)
            if text is None or not scanned and not _maybe_secret(text):
                continue
            try:
                if path in project.layout.compose_set:
                    root = compose_nodes(text, path)
                    d = env_dir_for(project, path)
                    for e in env_entries(text, path, root):
                        if is_app_secret_name(e.key) and is_literal_value(e.value) and "${" not in e.value:
                            edit = (e.start, e.end, required_ref(e.key)) if e.editable else None
                            out.append(Site(path, e.line, e.key, e.key, e.value, "compose", edit, d))
                    for i in interpolations(text, path, root):
                        if i.op in (":-", "-") and is_literal_value(i.arg) and (
                                is_app_secret_name(i.var) or is_app_secret_name(i.key or "")):
                            edit = (i.start, i.end, required_ref(i.var)) if i.editable else None
                            out.append(Site(path, i.line, i.var, i.var, i.arg, "compose-default", edit, d))
                elif path in project.layout.env_set:
                    out.extend(dotenv_sites(path, text))
                elif path.endswith(".py"):
                    found = py.get(path, [])
                    if isinstance(found, tuple):  # libcst could not read it
                        raise InputError(path, *found)
                    if any(p.fixable for p in found) and self.fixing:  # (a check needs no fixed text)
                        text = project.read_text(path) or ""
                        fixed = secrets_python.fix_secrets(text, path)
                    for p in found:
                        edit = (0, len(text), fixed) if p.fixable and self.fixing else (0, 0, "") if p.fixable \
                            else None
                        out.append(Site(path, p.line, p.name, p.env_var, p.value, "python", edit,
                                        env_dir_for(project, path)))
                elif path.endswith((".java", ".kt")):
                    out.extend(spring_default_sites(path, text))
                elif path.endswith((".yml", ".yaml")):
                    if SPRING_CONFIG.search(path):
                        out.extend(spring_default_sites(path, text))
                    try:
                        out.extend(app_yaml_sites(path, text))
                    except InputError:
                        pass  # templated YAML (Helm, Jinja) is not ours to judge; compose files are
                elif path.endswith(".properties"):
                    out.extend(properties_sites(path, text) + spring_default_sites(path, text))
                else:
                    for j in js.get(path, ()):
                        edit = (j.start, j.end, j.replacement) if j.replacement is not None else None
                        out.append(Site(path, j.line, j.name, j.env_var, j.value, "js", edit,
                                        env_dir_for(project, path)))
            except InputError as exc:
                project.report(exc.problem())
        out = [s for s in out if not is_label_value(s.name.rsplit(".", 1)[-1], s.value)]  # key names, UI labels
        out = [replace(s, edit=None) if in_dev_stack(project, s.path) else s for s in out]
        return [replace(s, keep_value=True) if _derives_keys(s) and not self.unsafe_fixes else s for s in out]

    def check(self, project: Project) -> Iterable[Finding]:
        for s in self.sites(project):
            where = "a tracked env file" if s.untrack else _KINDS.get(s.kind, s.kind)
            derives = _derives_keys(s)
            if in_dev_stack(project, s.path):
                yield self.finding(s.path, s.line, f"{s.name} is a committed literal {mask(s.value, reveal=2)} in "
                                   f"{DEV_STACK_NOTE}", severity=Severity.LOW, fixable=False,
                                   fix_title=f"Keep {s.env_var} out of production deployments")
                continue
            if s.untrack and s.keep_value:
                todo = f"untrack {s.path} and ignore it, keeping {s.env_var} (it derives encryption keys); then rotate it"
            elif s.untrack:
                todo = f"untrack {s.path}, ignore it and generate a new {s.env_var} there"
            elif s.fixable and s.keep_value:
                todo = (f"require {s.env_var} and move its value into {env_path(s.env_dir or '')} (it derives "
                        f"encryption keys: a new value makes encrypted data unreadable); then rotate it")
            elif s.fixable:
                todo = f"require {s.env_var} and generate it into {env_path(s.env_dir or '')}"
            else:
                todo = f"read {s.env_var} from the environment or a secret store"
            risk = ("decrypt and forge what the application protects with it" if derives
                    else "sign tokens with it")
            yield self.finding(
                s.path, s.line,
                f"{s.name} is a committed literal {mask(s.value, reveal=2)} in {where}; anyone with the "
                f"repository can {risk}",
                fix_title=todo[0].upper() + todo[1:], severity=committed_severity(s.value), fixable=s.fixable,
                unsafe_fix=s.fixable and s.keep_value and derives and not self.unsafe_fixes)

    def verify(self, path: str, before: str | None, after: str) -> str | None:
        """JavaScript is not checked by the runner: parse it (as TSX, a superset) before and after."""
        if not path.endswith((".js", ".mjs", ".cjs", ".jsx")):
            return None
        from seenfix.editors.typescript import syntax_problem

        as_tsx = path + ".tsx"  # the TSX grammar reads JavaScript and JSX
        problem = syntax_problem(after, as_tsx)
        if problem is None or (before is not None and syntax_problem(before, as_tsx) is not None):
            return None
        return f"{path}: the fixed JavaScript no longer parses: {problem}"

    def fix(self, project: Project) -> Iterable[FileChange]:
        sites = [s for s in self.sites(project) if s.fixable]
        python_whole = {s.path for s in sites if s.kind == "python"}
        edits = [s for s in sites if s.path not in python_whole]
        # a Python file is rewritten whole once (libcst), not once per site
        edits += list({s.path: s for s in sites if s.path in python_whole}.values())
        return file_changes(project, edits) + env_changes(project, sites, max(32, self.config["secret_bytes"]))


def _scan_js(path: str, text: str) -> tuple[list[JsSecret], bool]:
    """The signing secrets of one JS/TS file (:mod:`seenfix.core.filepass`); its text comes back
    when there are some (their fix edits it)."""
    if not _maybe_secret(text):
        return [], False
    from seenfix.analysis.secrets_js import find_secrets

    found = find_secrets(text)
    return found, bool(found)


def _keep_all(path: str, found: Any) -> Any:
    return found


def _scan_py(path: str, text: str) -> tuple[list[PySecret] | tuple[int, str], bool]:
    """The signing secrets of one Python file (:mod:`seenfix.core.filepass`), or the line and message
    of why libcst cannot read it; its text comes back when there are some (their fix rewrites it)."""
    if not _maybe_secret(text) or not _MAYBE_PY.search(text):
        return [], False
    from seenfix.analysis.secrets_python import find_secrets

    try:
        found = find_secrets(text, path)
    except InputError as exc:
        return (exc.line, exc.message), False
    return found, bool(found)
