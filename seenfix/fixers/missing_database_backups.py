"""SF008: the PostgreSQL database has no backup service."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TYPE_CHECKING

from seenfix.editors.text import ensure_lines
from seenfix.core.lazy import lazy_module
from seenfix.core.model import (
    Applicability,
    FileChange,
    Finding,
    Fixer,
    FixAvailability,
    InputError,
    Option,
    Severity,
)
from seenfix.core.project import Project
from seenfix.analysis.secrets_policy import is_moved_user

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis import compose_services as CS
    from seenfix.editors import compose as C
    from seenfix.editors import yaml as Y
else:  # loaded when first used (seenfix.core.lazy)
    CS = lazy_module("seenfix.analysis.compose_services")
    C = lazy_module("seenfix.editors.compose")
    Y = lazy_module("seenfix.editors.yaml")

#: Images and commands that already back a database up.
BACKUP_TOOL = re.compile(r"backup|pgbackrest|wal-g|barman|pgbackweb|borgmatic|restic|pg_dump|kartoza/pg-backup")
CREDENTIALS = ("POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD")
#: (document, database service, plan adding the backup service or None when not fixable, message)
Planned = tuple["Y.Document", "Y.Service", "Y.Plan | None", str]
#: What the image's ``/backup.sh`` runs for each database of ``POSTGRES_DB`` (``PGHOST``, ``PGPORT``,
#: ``PGUSER`` and ``PGPASSWORD`` exported from the service's ``POSTGRES_*`` variables); the service
#: sets ``POSTGRES_EXTRA_OPTS`` to :data:`DUMP_OPTIONS`.  tests/test_backup_restore.py runs it.
IMAGE_DUMP_COMMAND = 'pg_dump -d "${DB}" -f "${FILE}" ${POSTGRES_EXTRA_OPTS}'
#: gzip-compressed plain SQL: restored with ``gunzip -c | psql`` (the docstring's restore command).
DUMP_OPTIONS = "-Z6"


class MissingDatabaseBackups(Fixer):
    """## What it does
    Finds compose files with a PostgreSQL service and nothing that backs it up (no service running
    a backup tool: pg_dump schedulers, pgBackRest, WAL-G, Barman, borgmatic, restic...) and adds a
    `postgres-backup` service: `prodrigestivill/postgres-backup-local` at the server's major version,
    taking a `pg_dump` every day into `./backups` with a retention of 7 daily, 4 weekly and 6
    monthly dumps. `backups/` is added to `.gitignore` (dumps hold all the data).

    ## Why is this bad?
    Without backups one bad migration, `docker compose down -v`, a full disk or a dead host loses
    every user, watch history and download record for good (the seed assessment's issue 8, "No
    Backup Strategy", HIGH, and P0 item 5). A volume is not a backup: it lives on the same disk and
    dies with it.

    ## Example
    ```yaml
    services:
      postgres:
        image: postgres:16-alpine
        environment:
          POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}
    ```

    ## Use instead
    ```yaml
      postgres-backup:
        image: prodrigestivill/postgres-backup-local:16
        restart: unless-stopped
        depends_on: [postgres]
        environment:
          POSTGRES_HOST: postgres
          POSTGRES_DB: seen
          POSTGRES_USER: ${POSTGRES_USER:?set it in .env}
          POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}
          SCHEDULE: "@daily"
          BACKUP_KEEP_DAYS: "7"
          BACKUP_KEEP_WEEKS: "4"
          BACKUP_KEEP_MONTHS: "6"
          POSTGRES_EXTRA_OPTS: "-Z6"
        volumes:
          - ./backups:/backups
    ```
    The image runs `pg_dump -d "$DB" -f "$FILE" $POSTGRES_EXTRA_OPTS` for each database (a
    gzip-compressed SQL script; the newest is `backups/last/<database>-latest.sql.gz`). Copy
    `./backups` off the host (restic, rclone, a NAS) and test a restore: a backup never restored is
    a hope, not a plan. Restore the newest dump into an empty database (a fresh volume, the backend
    stopped) with:
    ```sh
    gunzip -c backups/last/seen-latest.sql.gz | docker compose exec -T postgres sh -c 'psql -v ON_ERROR_STOP=1 --single-transaction -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"'
    ```
    (seenfix's test suite runs this dump and this restore against a real PostgreSQL.)

    ## Fix safety
    Unsafe (it needs `--unsafe-fixes`): it adds a container that runs, reads the database
    credentials and writes dumps to the host's disk. The credentials are copied as they are written
    in the database service; when one is a literal (a committed password), the fix is withheld until
    SF004 has moved it out of the file (`--set p0` runs SF004 first). The dump tool's version follows
    the server's major version (`pg_dump` must not be older than the server), read from the image
    reference as Docker parses it: `postgres:16-alpine`, `localhost:5000/postgres:16` (a registry
    port is not a version), `timescale/timescaledb:2.14.2-pg16` and `pgvector/pgvector:pg16` (the
    `pgNN` variant), `postgis/postgis:16-3.4`. When the reference does not say (an image's own
    version such as `appwrite/postgres:0.1.0`), the finding says so and the fix waits for the
    `postgres_major` option.

    ## Options
    - `schedule` (string, default `"@daily"`): cron expression or `@daily`/`@hourly`.
    - `keep_days`, `keep_weeks`, `keep_months` (integers, default `7`, `4`, `6`): retention.
    - `directory` (string, default `"./backups"`): where dumps go on the host.
    - `postgres_major` (integer, default `0`): the server's PostgreSQL major version, when the image
      reference does not show it (`0`: read it from the image).

    ## References
    - PostgreSQL, Backup and Restore: https://www.postgresql.org/docs/current/backup.html
    - postgres-backup-local: https://github.com/prodrigestivill/docker-postgres-backup-local
    - The 3-2-1 backup rule, US-CERT "Data Backup Options":
      https://www.cisa.gov/sites/default/files/publications/data_backup_options.pdf
    """

    code = "SF008"
    phase = -1  # adds a service: runs before the per-service fixers
    slug = "missing-database-backups"
    summary = "The database has no backup service"
    seed_issue = 8
    category = "Backup"  # readiness score (seenfix report)
    weight = 3
    needs = ("production_compose",)  # dev, test and CI stacks are not checked
    area = "compose"
    severity = Severity.HIGH
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    sets = frozenset({"p0"})
    fix_title = "Add a scheduled pg_dump backup service"
    options = (
        Option("schedule", str, "@daily", "Backup schedule."),
        Option("keep_days", int, 7, "Daily dumps kept."),
        Option("keep_weeks", int, 4, "Weekly dumps kept."),
        Option("keep_months", int, 6, "Monthly dumps kept."),
        Option("directory", str, "./backups", "Host directory for dumps."),
        Option("postgres_major", int, 0, "The server's PostgreSQL major version (0: read it from the image)."),
    )

    def _plan(self, path: str, text: str) -> Planned | None:
        """The database service, the plan adding the backup service (None: not fixable), the message."""
        doc = Y.load(text, path)
        services = list(Y.services(doc))
        backups = [s for s in services
                   if BACKUP_TOOL.search(f"{_get(s.node, 'image')} {_get(s.node, 'command')}".lower())]
        dbs = [s for s in services
               if s not in backups and CS.kind_of_image(str(_get(s.node, "image") or "")) == "postgres"]
        if not dbs or backups:
            return None
        db = dbs[0]
        message = f"database service `{db.name}` has no backup: one lost volume loses all data"
        env = _environment(db.node)
        literal = [k for k in CREDENTIALS[1:] if k in env and "${" not in str(env[k])
                   and (k == "POSTGRES_PASSWORD" or is_moved_user(k, str(env[k])))]  # what SF004 moves
        if literal:
            why = f"{', '.join(literal)} {'is a literal' if len(literal) == 1 else 'are literals'} here: run SF004 first"
            return doc, db, None, f"{message} ({why})"
        if any(k.endswith("_FILE") for k in env) or "env_file" in (db.node or {}):
            return doc, db, None, f"{message} (credentials come from files: add the backup service by hand)"
        image = str(_get(db.node, "image"))
        tag = self._backup_tag(image)
        if tag is None:
            return doc, db, None, (f"{message} (the server's major version is unknown from `{image}`, and "
                                   "pg_dump must not be older than the server: set [fixers.SF008] postgres_major)")
        name = "postgres-backup" if "postgres-backup" not in {s.name for s in services} else f"{db.name}-backup"
        environment: dict[str, Any] = {"POSTGRES_HOST": db.name}
        defaults = {"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": None,
                    "POSTGRES_DB": env.get("POSTGRES_USER", "postgres")}  # the image's own defaults
        for key in CREDENTIALS:
            value = env.get(key, defaults[key])
            if value is not None:
                environment[key] = Y.Quoted(str(value)) if "${" in str(value) else str(value)
        environment.update({"SCHEDULE": Y.Quoted(self.config["schedule"]),
                            "BACKUP_KEEP_DAYS": Y.Quoted(str(self.config["keep_days"])),
                            "BACKUP_KEEP_WEEKS": Y.Quoted(str(self.config["keep_weeks"])),
                            "BACKUP_KEEP_MONTHS": Y.Quoted(str(self.config["keep_months"])),
                            "POSTGRES_EXTRA_OPTS": Y.Quoted(DUMP_OPTIONS)})
        service = {
            "image": f"prodrigestivill/postgres-backup-local:{tag}",
            "restart": "unless-stopped",
            "depends_on": [db.name],
            "environment": environment,
            "volumes": [f"{self.config['directory']}:/backups"],
        }
        plan = Y.ensure_keys(doc, doc.data, "services", {name: service})
        if C.services_spaced(doc):  # keep the file's blank line between services
            plan = Y.Plan([Y.Edit(e.start, e.end, doc.newline + e.text) for e in plan.edits], plan.changes)
        return doc, db, plan, message

    def _backup_tag(self, image: str) -> str | None:
        """The backup image's tag: the server's major version (the option, else read from the
        image reference), ``latest`` for an untagged or ``latest`` official image, else ``None``."""
        from seenfix.analysis.image_ref import parse_image, postgres_major

        if self.config["postgres_major"]:
            return str(self.config["postgres_major"])
        major = postgres_major(image)
        if major is not None:
            return str(major)
        ref = parse_image(image)
        if ref.name in ("postgres", "postgresql") and (ref.tag is None or not ref.tag[:1].isdigit()):
            return "latest"  # the server is the latest release too
        return None

    def _each(self, project: Project) -> Iterator[tuple[str, str, Planned]]:
        """Each compose file with an unprotected database: path, text and plan (input errors reported)."""
        for path in project.layout.production_compose:
            text = project.read_text(path)
            if text is None:
                continue
            try:
                planned = self._plan(path, text)
            except InputError as exc:
                project.report(exc.problem())
                continue
            if planned is not None:
                yield path, text, planned

    def applies(self, project: Project) -> bool:
        return bool(project.layout.compose_files)

    def check(self, project: Project) -> Iterable[Finding]:
        return [self.finding(path, db.line + 1, message, fixable=plan is not None, column=db.col + 1)
                for path, _text, (_doc, db, plan, message) in self._each(project)]

    def fix(self, project: Project) -> Iterable[FileChange]:
        changes: list[FileChange] = []
        ignore_dirs: set[str] = set()
        for path, text, (doc, _db, plan, _message) in self._each(project):
            if plan is None:
                continue
            new = plan.apply(text)
            problem = C.verify_plan(doc, plan, new)
            if problem is not None:
                raise InputError(path, 1, f"fix withheld, its result failed verification: {problem}")
            changes.append(FileChange(path, new))
            ignore_dirs.add(posixpath.normpath(posixpath.join(posixpath.dirname(path), self.config["directory"])))
        if changes:
            rules = [f"/{d}/" for d in sorted(ignore_dirs) if d and not d.startswith("..")]
            gitignore = project.read_text(".gitignore") if project.exists(".gitignore") else None
            new_ignore = ensure_lines(gitignore, rules, header="# Database dumps (seenfix SF008)")
            if new_ignore != (gitignore or ""):
                changes.append(FileChange(".gitignore", new_ignore))
        return changes

    def verify(self, path: str, before: str | None, after: str) -> str | None:
        if path.endswith(".gitignore"):
            return None if before is None or after.startswith(before) else ".gitignore lost lines"
        if before is None:
            return "SF008 never creates compose files"
        return _only_new_services(path, before, after)


def _get(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, Mapping) else None


def _environment(node: Any) -> dict[str, str]:
    env = _get(node, "environment")
    if isinstance(env, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in env.items()}
    if isinstance(env, list):
        return dict(str(item).split("=", 1) for item in env if "=" in str(item))
    return {}


def _only_new_services(path: str, before: str, after: str) -> str | None:
    """Every original service unchanged, only new services added, schema validity kept."""
    old_doc, new_doc = Y.load(before, path), Y.load(after, path)
    old, new = Y.to_plain(old_doc.data), Y.to_plain(new_doc.data)
    if not isinstance(old, dict) or not isinstance(new, dict) or set(old) != set(new):
        return "top-level keys changed"
    for key in old:
        if key == "services":
            for name, value in (old[key] or {}).items():
                if Y.compare(value, (new[key] or {}).get(name)):
                    return f"service {name} changed"
        elif Y.compare(old[key], new[key]):
            return f"/{key} changed"
    return C.schema_regression(old_doc, new_doc)
