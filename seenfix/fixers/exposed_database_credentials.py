"""SF004: database credentials are committed in the compose file."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from seenfix.core.model import Applicability, FileChange, Finding, FixAvailability, Fixer, InputError, Option, Severity
from seenfix.core.project import Project
from seenfix.analysis.secret_sites import (
    DEV_STACK_NOTE,
    Site,
    candidate_files,
    env_changes,
    env_dir_for,
    env_path,
    file_changes,
    in_dev_stack,
)
from seenfix.analysis.secrets_policy import (
    DB_USER_KEYS,
    FILE_READING_KEYS,
    is_db_password,
    is_literal_value,
    is_moved_user,
    mask,
)

#: possessive quantifiers and a scheme that starts only where a word does: linear on a long value
#: (a greedy scheme retried at every letter of a 250 KB value took minutes)
_URL = re.compile(r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*+)://(?P<user>[^:@/\s${}]*+)"
                  r":(?P<pw>[^@/\s${}]++)@")


class ExposedDatabaseCredentials(Fixer):
    """
    ## What it does
    Finds database credentials committed in compose files and tracked env files: `POSTGRES_PASSWORD`,
    `MYSQL_PASSWORD`, `DB_PASSWORD`-style literals and data-service root passwords
    (`MINIO_ROOT_PASSWORD`, `RABBITMQ_DEFAULT_PASS`) in `environment` maps and lists, `${DB_PASSWORD:-literal}` defaults,
    passwords inside connection URLs (`DATABASE_URL: postgresql://seen:seen@postgres/seen`), and
    (with `move_usernames`) `POSTGRES_USER`-style user names, except the image's own default
    (`POSTGRES_USER: postgres`), which everyone knows.

    ## Why is this bad?
    Everyone who can read the repository, its forks and its CI logs knows the database password;
    with the port published (`5432:5432`) that is a direct way into every record (seed issue 4, P0
    item 3, "Implement secrets management").

    ## Example
    ```yaml
    services:
      postgres:
        environment:
          POSTGRES_PASSWORD: seen
      backend:
        environment:
          DATABASE_URL: postgresql://seen:seen@postgres:5432/seen
    ```

    ## Use instead
    ```yaml
    services:
      postgres:
        environment:
          POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}
      backend:
        environment:
          DATABASE_URL: postgresql://seen:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}@postgres:5432/seen
    ```
    with `POSTGRES_PASSWORD=...` in an untracked, git-ignored `.env` (mode 0600).

    ## Fix safety
    A development, test or CI compose stack (`.devcontainer/`, `cypress/`, `docker/testing/`,
    `compose.dev.yml`...; see README, "What seenfix will and will not change") is never edited: a
    fresh clone must still start it. What it commits is reported at low severity.

    The fix moves each literal into the `.env` beside the compose file **keeping its value**: the
    postgres image reads `POSTGRES_PASSWORD` only when it initialises an empty data volume, so a new
    value would lock the application out of an existing database. A password repeated in a
    connection URL becomes the same variable. The value is still the one in git history, so rotate
    it afterwards: `docker compose exec postgres psql -U <user> -c "ALTER USER <user> PASSWORD
    '<new>'"` (for example with a value from `seenfix secret`), then put the new value in `.env`
    and run `docker compose up -d`. Use URL-safe characters, since the password is also substituted
    into URLs. A value already in `.env` is kept. With `docker_secrets`, image passwords
    (`POSTGRES_PASSWORD`, `MYSQL_ROOT_PASSWORD`...) become `POSTGRES_PASSWORD_FILE:
    /run/secrets/postgres_password` instead, with the service's `secrets:` list, a top-level
    `secrets:` entry and the value in an ignored `secrets/postgres_password.txt` (0600); connection
    URLs still read the password from `.env`.

    ## Options
    - `move_usernames` (boolean, default `true`): also move `POSTGRES_USER`-style user names (and the
      same user inside connection URLs) into `.env`.
    - `docker_secrets` (boolean, default `false`): move image passwords into Docker secrets read
      through `*_FILE` variables instead of `.env`.

    ## References
    - The seed assessment, issue 4 and P0 item 3.
    - postgres image, environment variables: https://hub.docker.com/_/postgres
    - Docker docs, set environment variables: https://docs.docker.com/compose/how-tos/environment-variables/set-environment-variables/
    - Docker docs, secrets in Compose: https://docs.docker.com/compose/how-tos/use-secrets/
    - OWASP Secrets Management Cheat Sheet: https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html
    """

    code = "SF004"
    phase = -2  # moves secrets: runs before fixers that copy values
    slug = "exposed-database-credentials"
    summary = "Database credentials are committed in the compose file"
    seed_issue = 4
    category = "Security"  # readiness score (seenfix report)
    weight = 3
    needs = ("compose_files",)
    area = "compose"
    severity = Severity.HIGH
    fix_availability = FixAvailability.ALWAYS
    applicability = Applicability.SAFE
    sets = frozenset({"p0"})
    fix_title = "Move the credential into the untracked .env and reference it with ${VAR:?...}"
    follow_up = ("Rotate the database password: the old one stays readable in the git history, so treat "
                 "it as leaked, and set the new one in the deployment's secret store.")
    options = (
        Option("move_usernames", bool, True, "Also move POSTGRES_USER-style user names."),
        Option("docker_secrets", bool, False, "Move passwords into Docker secrets read through *_FILE."),
    )

    def applies(self, project: Project) -> bool:
        return bool(project.layout.compose_files)

    def warm_up(self, project: Project) -> list[Callable[[], object]]:
        """What :meth:`sites` imports: the compose readers."""
        from seenfix.core.lazy import importer

        return [*super().warm_up(project), importer("seenfix.editors.yaml_env")]

    def sites(self, project: Project) -> list[Site]:
        from seenfix.editors.yaml_env import compose_nodes, env_entries, interpolations, required_ref

        from seenfix.editors import dotenv

        out: list[Site] = []
        for path in candidate_files(project, ("env",)):  # tracked env files: untracked, values kept
            for entry in dotenv.parse(project.read_text(path) or "").entries:
                if is_db_password(entry.key) and is_literal_value(entry.value):
                    out.append(Site(path, entry.line, entry.key, entry.key, entry.value, "dotenv", None, None,
                                    keep_value=True, untrack=True))
        moved_in: dict[str, dict[str, str]] = {}  # env dir -> variable -> value (shared by its compose files)
        for path in candidate_files(project, ("compose",)):
            text = project.read_text(path)
            if text is None:
                continue
            try:
                root = compose_nodes(text, path)
                entries = env_entries(text, path, root)
                found = interpolations(text, path, root)
            except InputError as exc:
                project.report(exc.problem())
                continue
            d = env_dir_for(project, path)
            moved = moved_in.setdefault(d, {})  # variable -> value, to share it with URLs and spot clashes
            stem = posixpath.basename(path).split(".")[0]

            def var_for(key: str, owner: str, value: str) -> str:
                for var in (key, f"{owner}_{key}", f"{stem}_{owner}_{key}"):
                    var = re.sub(r"\W", "_", var).upper()
                    if moved.setdefault(var, value) == value:
                        return var
                return ""  # the name is taken by other values every way: left for a person

            for e in entries:
                plain = is_literal_value(e.value) and "${" not in e.value
                if plain and (is_db_password(e.key) or self.config["move_usernames"] and is_moved_user(e.key, e.value)):
                    var = var_for(e.key, e.owner, e.value)
                    edit = (e.start, e.end, required_ref(var)) if e.editable and var else None
                    out.append(Site(path, e.line, e.key, var or e.key, e.value, "compose", edit, d, keep_value=True))
            for e in entries:
                m = _URL.search(e.value)
                if m is None or not e.editable:
                    continue
                pw_var = next((k for k, v in moved.items() if v == m["pw"] and is_db_password(k)), None) \
                    or var_for(re.sub(r"_(URL|URI|DSN)$", "", e.key.upper()) + "_PASSWORD", e.owner, m["pw"])
                out.append(Site(path, e.line, e.key, pw_var or e.key, m["pw"], "url",
                                (e.start + m.start("pw"), e.start + m.end("pw"), required_ref(pw_var))
                                if pw_var else None, d, keep_value=True))
                user_var = next((k for k, v in moved.items() if v == m["user"] and k in DB_USER_KEYS), None)
                if user_var and self.config["move_usernames"]:
                    out.append(Site(path, e.line, e.key, user_var, m["user"], "url",
                                    (e.start + m.start("user"), e.start + m.end("user"), required_ref(user_var)),
                                    d, keep_value=True))
            for i in found:
                if i.op in (":-", "-") and is_literal_value(i.arg) and is_db_password(i.var):
                    free = moved.setdefault(i.var, i.arg) == i.arg  # one name, two defaults: a person decides
                    edit = (i.start, i.end, required_ref(i.var)) if i.editable and free else None
                    out.append(Site(path, i.line, i.var, i.var, i.arg, "compose-default", edit, d, keep_value=True))
        return [s if not self._clashes(project, s) and not in_dev_stack(project, s.path) else replace(s, edit=None)
                for s in out]

    @staticmethod
    def _clashes(project: Project, site: Site) -> bool:
        """The .env already sets the variable to another value: moving would change the password."""
        from seenfix.editors import dotenv

        text = project.read_text(env_path(site.env_dir or ""))
        current = dotenv.parse(text).get(site.env_var) if text else None
        return current is not None and current.value not in ("", site.value)

    def check(self, project: Project) -> Iterable[Finding]:
        for s in self.sites(project):
            user = s.env_var in DB_USER_KEYS
            if s.kind == "url" and user:
                continue  # the URL's password finding covers the line
            what = f"the password in {s.name}" if s.kind == "url" else s.name
            where = env_path(s.env_dir or "")
            if in_dev_stack(project, s.path):
                yield self.finding(s.path, s.line, f"{what} is committed ({mask(s.value)}) in {DEV_STACK_NOTE}",
                                   severity=Severity.LOW, fixable=False,
                                   fix_title=f"Keep {s.env_var} out of production deployments")
                continue
            if s.untrack:
                yield self.finding(s.path, s.line, f"{what} is committed in the tracked env file {s.path} "
                                   f"({mask(s.value)}); untrack and ignore the file (values kept), then rotate it",
                                   fixable=True)
                continue
            if not s.fixable:
                todo = f"{s.env_var} already has another value (in {where} or another compose file); reconcile by hand"
            elif user:
                todo = f"move it to {where} as {s.env_var} (value kept)"
            else:
                todo = (f"move it to {where} as {s.env_var}, keeping the value (the database image reads it "
                        f"only when it initialises its volume), then rotate it in the database and in {where}")
            yield self.finding(s.path, s.line, f"{what} is committed ({mask(s.value)}); {todo}",
                               fixable=s.fixable)

    def fix(self, project: Project) -> Iterable[FileChange]:
        sites = [s for s in self.sites(project) if s.fixable]
        extra: dict[str, list[tuple[int, int, str]]] = {}
        files: dict[str, str] = {}
        if self.config["docker_secrets"]:
            sites = self._docker_secrets(project, sites, extra, files)
        return file_changes(project, sites, extra) + env_changes(project, sites, 48, files)

    def _docker_secrets(self, project: Project, sites: list[Site], extra: dict[str, list[tuple[int, int, str]]],
                        files: dict[str, str]) -> list[Site]:
        """Plan ``KEY_FILE`` + Docker secrets for image passwords; return the sites left for ``.env``."""
        from seenfix.editors.yaml_env import docker_secret_edits, env_entries

        keep: list[Site] = []
        for path in sorted({s.path for s in sites}):
            text = project.read_text(path) or ""
            own = [s for s in sites if s.path == path]
            lines = {s.line for s in own if s.kind == "compose" and s.name in FILE_READING_KEYS}
            chosen = [e for e in env_entries(text, path) if e.line in lines and e.key in FILE_READING_KEYS
                      and e.key_start >= 0 and e.editable and not e.owner.startswith("x-")]
            names = {f"{e.owner}/{e.key}": e.key.lower() if sum(c.key == e.key for c in chosen) == 1
                     else f"{e.owner}_{e.key}".lower().replace("-", "_") for e in chosen}
            base = posixpath.dirname(path)
            rel = {n: f"./secrets/{n}.txt" for n in names.values()}
            try:
                extra[path] = docker_secret_edits(text, path, chosen, names, rel)
            except InputError as exc:
                project.report(exc.problem())
                keep.extend(own)
                continue
            for e in chosen:
                files[posixpath.join(base, "secrets", names[f"{e.owner}/{e.key}"] + ".txt")] = e.value
            moved = {e.line for e in chosen}
            keep.extend(s for s in own if not (s.kind == "compose" and s.line in moved))
        return keep
