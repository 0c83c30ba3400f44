"""SF008's backup restores: the dump its service runs, then the restore its documentation gives.

A real PostgreSQL (Debian's ``postgresql``, installed by ``.ci/run``) is started by the test in a
temporary directory on 127.0.0.1, on a free port, as the ``postgres`` user when the tests run as
root, with the superuser and password of the database service (as the official image creates them);
it is always stopped.  The backup service comes from SF008's fix of a small SEEN-shaped project; the
test reads from that service the database, user, password and dump options, runs the command the
image's ``/backup.sh`` runs with them (``IMAGE_DUMP_COMMAND``), empties the database as a fresh volume
would, and runs the restore command of SF008's documentation, word for word except for
``docker compose exec -T <service>``, which becomes a local shell pointed at the test's server.  The
restored database must dump to exactly what the original dumped to, and hold the same rows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import free_port
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace
from seenfix.editors import yaml as Y
from seenfix.fixers.missing_database_backups import IMAGE_DUMP_COMMAND, MissingDatabaseBackups


def _pg_bin() -> Path | None:
    def version(bin_dir: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in bin_dir.parent.name.split(".") if x.isdigit())

    for root in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True):
        if (root / "initdb").exists() and (root / "pg_ctl").exists() and (root / "pg_dump").exists():
            return root
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


PG_BIN = _pg_bin()
pytestmark = pytest.mark.skipif(PG_BIN is None, reason="PostgreSQL is not installed (apt-get install postgresql)")

COMPOSE = """\
services:
  postgres:
    image: postgres:16-alpine
    restart: unless-stopped
    environment:
      POSTGRES_DB: seen
      POSTGRES_USER: ${POSTGRES_USER:?set POSTGRES_USER in .env}
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}
    volumes:
      - postgres_data:/var/lib/postgresql/data

  backend:
    build: ./backend
    depends_on: [postgres]

volumes:
  postgres_data:
"""
#: What the operator's .env holds (the values ``${VAR:?...}`` reads).
DOTENV = {"POSTGRES_USER": "seen_owner", "POSTGRES_PASSWORD": "test-only-password-8f3a"}

DATA = """
CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE watched (id bigserial PRIMARY KEY, user_id int NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                      title text NOT NULL, poster bytea, rating numeric(3,1), note text);
CREATE INDEX watched_user ON watched (user_id);
CREATE VIEW watch_counts AS SELECT user_id, count(*) AS n FROM watched GROUP BY user_id;
INSERT INTO users (email, created) SELECT 'user' || i || '@example.invalid', '2024-01-01'::timestamptz + i * interval '1 hour'
  FROM generate_series(1, 200) AS i;
INSERT INTO watched (user_id, title, poster, rating, note)
  SELECT 1 + i % 200, 'Title ' || i || E' \\u00e9t\\u00e9 \\U0001F3AC', decode(md5(i::text), 'hex'), (i % 100) / 10.0,
         CASE WHEN i % 7 = 0 THEN NULL ELSE E'line one\\nline two\\ttab ''quote''' END
  FROM generate_series(1, 3000) AS i;
"""
CHECKSUM = ("SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM watched) || ' ' || "
            "(SELECT md5(string_agg(w::text, '|' ORDER BY id)) FROM watched w) || ' ' || "
            "(SELECT md5(string_agg(u::text, '|' ORDER BY id)) FROM users u) || ' ' || "
            "(SELECT last_value FROM watched_id_seq) || ' ' || (SELECT sum(n) FROM watch_counts)")


@dataclass(frozen=True)
class Server:
    port: int
    superuser: str
    password: str
    workdir: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": self.superuser,
                "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "10", **extra}

    def psql(self, sql: str, db: str = "postgres") -> str:
        proc = subprocess.run([str(PG_BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db],
                              input=sql, capture_output=True, text=True, env=self.env(), timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()


def _as_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its server tools as ``postgres`` then."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *cmd]


@pytest.fixture
def server() -> Iterator[Server]:
    """A PostgreSQL cluster on 127.0.0.1 whose superuser is the service's POSTGRES_USER (stopped after)."""
    assert PG_BIN is not None
    workdir = Path(tempfile.mkdtemp(prefix="seenfix-pg-"))
    data, pwfile = workdir / "data", workdir / "pw"
    pwfile.write_text(DOTENV["POSTGRES_PASSWORD"] + "\n")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(pwfile, "postgres")
    port = free_port()
    init = subprocess.run(_as_owner([str(PG_BIN / "initdb"), "-D", str(data), "-U", DOTENV["POSTGRES_USER"],
                                     f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                                     "--locale=C", "--no-sync"]), capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' -c fsync=off"
    start = subprocess.run(_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(workdir / "log"),
                                      "-o", options, "-w", "-t", "60", "start"]),
                           capture_output=True, text=True, timeout=120)
    try:
        assert start.returncode == 0, start.stderr + (workdir / "log").read_text()
        srv = Server(port, DOTENV["POSTGRES_USER"], DOTENV["POSTGRES_PASSWORD"], workdir)
        deadline = time.monotonic() + 30
        while srv.psql("SELECT 1") != "1" and time.monotonic() < deadline:  # pragma: no cover
            time.sleep(0.2)
        yield srv
    finally:
        subprocess.run(_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=120)
        shutil.rmtree(workdir, ignore_errors=True)


def _schema_and_data(server: Server, database: str) -> str:
    """A plain dump of ``database``, without the random key of ``\\restrict`` (new in pg_dump 17.6/15.14)."""
    proc = subprocess.run([str(PG_BIN / "pg_dump"), "-d", database], capture_output=True, text=True,
                          env=server.env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    return re.sub(r"(?m)^\\(un)?restrict \S+$", r"\\\1restrict KEY", proc.stdout)


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose interpolation of ``${VAR}``, ``${VAR:?msg}``, ``${VAR:-default}`` and ``$$``."""
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        if op in (":?", "?"):
            assert name in env, f"{name}: {arg}"
        if op in (":-", "-") and not env.get(name):
            return arg
        return env.get(name, "")
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[?-])([^}]*))?\}", one, value)


def _backup_service(tmp_path: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """SF008's fix of the project: (database service name, its environment, the backup service)."""
    root = tmp_path / "project"
    (root / "backend").mkdir(parents=True)
    (root / "backend" / "requirements.txt").write_text("fastapi\n")
    (root / "docker-compose.yml").write_text(COMPOSE)
    changes = {c.path: c.content for c in MissingDatabaseBackups().fix(Project(Workspace(root)))}
    text = changes["docker-compose.yml"]
    assert text is not None
    services = {s.name: Y.to_plain(s.node) for s in Y.services(Y.load(text, "docker-compose.yml"))}
    [backup] = [s for s in services.values() if "postgres-backup-local" in str(s.get("image"))]
    db_name = backup["environment"]["POSTGRES_HOST"]
    return db_name, services[db_name]["environment"], backup


def _restore_command() -> tuple[str, str]:
    """The restore command of SF008's documentation: (the service it runs in, the command)."""
    doc = MissingDatabaseBackups.info().doc
    blocks = re.findall(r"```sh\n(.*?)```", doc, flags=re.DOTALL)
    [command] = [b.strip() for b in blocks if "gunzip" in b]
    m = re.fullmatch(r"(.*\|) docker compose exec -T (\S+) (.*)", command, flags=re.DOTALL)
    assert m, command
    return m.group(2), m.group(1) + " " + m.group(3)


def test_the_backup_services_dump_restores_into_an_empty_database(server: Server, tmp_path: Path) -> None:
    db_service, db_env, backup = _backup_service(tmp_path)
    env = {k: _interpolate(str(v), DOTENV) for k, v in backup["environment"].items()}
    database = env["POSTGRES_DB"]
    assert env["POSTGRES_USER"] == server.superuser and env["POSTGRES_PASSWORD"] == server.password
    server.psql(f'CREATE DATABASE "{database}"')  # what the image does for POSTGRES_DB on a fresh volume
    server.psql(DATA, database)
    before = server.psql(CHECKSUM, database)
    assert before.startswith("200 3000 ")

    # the dump, as the image's /backup.sh runs it with the service's variables
    backups = tmp_path / "backups"
    (backups / "last").mkdir(parents=True)
    dump = backups / "last" / f"{database}-latest.sql.gz"
    proc = subprocess.run(["sh", "-c", IMAGE_DUMP_COMMAND],
                          env=server.env(PGUSER=env["POSTGRES_USER"], PGPASSWORD=env["POSTGRES_PASSWORD"],
                                         DB=database, FILE=str(dump), POSTGRES_EXTRA_OPTS=env["POSTGRES_EXTRA_OPTS"],
                                         PATH=f"{PG_BIN}:{os.environ.get('PATH', '')}"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert dump.read_bytes()[:2] == b"\x1f\x8b", "the dump options should give a gzip file"
    reference = _schema_and_data(server, database)
    assert "CREATE TABLE public.watched" in reference

    # a fresh volume: the database exists again, empty
    server.psql(f'DROP DATABASE "{database}"')
    server.psql(f'CREATE DATABASE "{database}"')
    assert server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database) == "0"

    # the documented restore, run in a shell that has the database service's variables
    service, command = _restore_command()
    assert service == db_service
    assert f"backups/last/{database}-latest.sql.gz" in command
    container_env = {k: _interpolate(str(v), DOTENV) for k, v in db_env.items()}
    proc = subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=server.env(**container_env, PATH=f"{PG_BIN}:{os.environ.get('PATH', '')}"))
    assert proc.returncode == 0, proc.stderr
    assert server.psql(CHECKSUM, database) == before
    assert _schema_and_data(server, database) == reference, "the restored database dumps differently from the original"


def test_the_restore_stops_at_the_first_error(server: Server, tmp_path: Path) -> None:
    """Restoring into a database that is not empty fails loudly and leaves it unchanged."""
    _db_service, db_env, backup = _backup_service(tmp_path)
    env = {k: _interpolate(str(v), DOTENV) for k, v in backup["environment"].items()}
    database = env["POSTGRES_DB"]
    server.psql(f'CREATE DATABASE "{database}"')
    server.psql(DATA, database)
    (tmp_path / "backups" / "last").mkdir(parents=True)
    dump = tmp_path / "backups" / "last" / f"{database}-latest.sql.gz"
    subprocess.run(["sh", "-c", IMAGE_DUMP_COMMAND], check=True, capture_output=True, timeout=120,
                   env=server.env(DB=database, FILE=str(dump), POSTGRES_EXTRA_OPTS=env["POSTGRES_EXTRA_OPTS"],
                                  PATH=f"{PG_BIN}:{os.environ.get('PATH', '')}"))
    server.psql("INSERT INTO users (email) VALUES ('late@example.invalid')", database)
    before = server.psql(CHECKSUM, database)
    _service, command = _restore_command()
    container_env = {k: _interpolate(str(v), DOTENV) for k, v in db_env.items()}
    proc = subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=server.env(**container_env, PATH=f"{PG_BIN}:{os.environ.get('PATH', '')}"))
    assert proc.returncode != 0 and "already exists" in proc.stderr
    assert server.psql(CHECKSUM, database) == before


def test_the_fixture_services_carry_the_dump_options() -> None:
    """Every backup service of SF008's fixtures sets the options the restore command expects."""
    base = Path(__file__).resolve().parent / "fixtures" / "missing-database-backups"
    seen = 0
    for path in sorted(base.glob("*/after/*.yml")):
        for svc in Y.services(Y.load(path.read_text(), str(path))):
            plain = Y.to_plain(svc.node)
            if "postgres-backup-local" in str(plain.get("image")):
                assert plain["environment"]["POSTGRES_EXTRA_OPTS"] == "-Z6", path
                seen += 1
    assert seen >= 3
