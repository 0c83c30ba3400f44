"""What a compose service runs (its kind, from the image or the build's Dockerfile) and the
Dragonfly cache's memory/thread policy that SF011 applies."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from seenfix.editors import yaml as Y
from seenfix.editors.compose import (
    MIB,
    build_context,
    command_flags,
    format_mib,
    parse_bytes,
    parse_cpus,
    set_command_flags,
)

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # first: a backup tool built on a database image is not that database
    ("backup", re.compile(r"backup|pgbackrest|wal-g|barman|borgmatic")),
    ("postgres", re.compile(r"postgres|postgis|timescale|pgvector|supabase/postgres")),
    ("dragonfly", re.compile(r"dragonfly")),
    ("redis", re.compile(r"redis|valkey|keydb|memcached")),
    ("database", re.compile(r"mysql|mariadb|mongo|elasticsearch|opensearch|cassandra|clickhouse|"
                            r"rabbitmq|kafka|zookeeper|influxdb|neo4j|mssql")),
    ("proxy", re.compile(r"(^|/)(nginx|openresty|caddy|traefik|haproxy|envoy|httpd)(-unprivileged)?$")),
    ("app", re.compile(r"(^|/)(python|node|bun|deno|denoland/deno|golang|openjdk|eclipse-temurin|"
                       r"amazoncorretto|ruby|php|dotnet|mcr\.microsoft\.com/dotnet)")),
)


def kind_of_image(image: str) -> str | None:
    """The kind of an image reference (tag and digest ignored, ``${VAR:-default}`` read as its
    default), or None."""
    image = re.sub(r"\$\{[^}:]*:?-([^}]*)\}", r"\1", image)
    name = image.split("@", 1)[0].lower()
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    for kind, pattern in KINDS:
        if pattern.search(name):
            return kind
    return None


_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE | re.MULTILINE)



def build_dockerfile(service: Any, compose_path: str, project: Project | None) -> str | None:
    """The text of the Dockerfile a service is built from, or None."""
    base = build_context(service, compose_path)
    if base is None or project is None:
        return None
    build = service.get("build")
    name = str(build.get("dockerfile", "Dockerfile")) if isinstance(build, Mapping) else "Dockerfile"
    return project.read_text(posixpath.join(base, name) if base else name)


def final_from(service: Any, compose_path: str, project: Project | None) -> str | None:
    """The image of the final ``FROM`` of the service's Dockerfile, or None."""
    froms = _FROM.findall(build_dockerfile(service, compose_path, project) or "")
    return str(froms[-1]) if froms else None


def service_kind(service: Any, compose_path: str, project: Project | None) -> str:
    """``backup``, ``postgres``, ``dragonfly``, ``redis``, ``database``, ``proxy``, ``app`` or ``unknown``.

    Recognised from ``image``, else from the final ``FROM`` of the build's Dockerfile, else from the
    build context's files (``pyproject.toml``/``requirements.txt``/``package.json``: an application).
    """
    if not isinstance(service, Mapping):
        return "unknown"
    image = service.get("image")
    if isinstance(image, str):
        kind = kind_of_image(image)
        if kind:
            return kind
    base = build_context(service, compose_path)
    if project is None or base is None:
        return "unknown"
    image = final_from(service, compose_path, project)
    if image:
        kind = kind_of_image(image)
        if kind:
            return kind
    prefix = base + "/" if base else ""
    for marker in ("pyproject.toml", "requirements.txt", "package.json", "go.mod", "Gemfile"):
        if project.exists(prefix + marker):
            return "app"
    return "unknown"


DRAGONFLY_DEFAULT_COMMAND = ["dragonfly", "--logtostderr"]
DRAGONFLY_MIN_PER_THREAD = 256 * MIB


def dragonfly_flags(doc: Y.Document, svc: Y.Service, mem: str, cpus: str, *, mem_fixed: bool,
                    cpus_fixed: bool) -> tuple[str, str, Y.Plan, str] | None:
    """Limits and flags for a Dragonfly service, consistent with each other.

    ``--proactor_threads`` = the CPU limit (at least 1), ``--maxmemory`` = 75% of the memory limit and
    at least 256 MiB per thread.  A limit that is fixed (configured, or already in the file) is kept
    and the flags follow it; otherwise existing flags are respected and the limit grows to fit them.
    Returns (memory, cpus, plan, note), or None when no consistent setting exists.
    """
    node = svc.node if isinstance(svc.node, Mapping) else {}
    have = command_flags(node.get("command"), ("maxmemory", "proactor_threads"))
    threads0 = int(have["proactor_threads"]) if have.get("proactor_threads", "").isdigit() else None
    maxmem0 = parse_bytes(have["maxmemory"]) if have.get("maxmemory") else None
    limit = parse_bytes(mem) or 1024 * MIB
    cpu = parse_cpus(cpus) or 1.0
    if not cpus_fixed and threads0:
        cpu = max(cpu, float(threads0))
    threads = max(1, int(cpu))
    if not mem_fixed:
        if maxmem0:
            limit = max(limit, _round_up(maxmem0 * 4 // 3))
        limit = max(limit, _round_up(DRAGONFLY_MIN_PER_THREAD * threads * 4 // 3))
    maxmem = maxmem0 if maxmem0 and DRAGONFLY_MIN_PER_THREAD * threads <= maxmem0 <= limit * 3 // 4 \
        else (limit * 3 // 4) // MIB * MIB
    threads = max(1, min(threads, maxmem // DRAGONFLY_MIN_PER_THREAD))
    if maxmem < DRAGONFLY_MIN_PER_THREAD or maxmem >= limit:
        return None
    flags = {"maxmemory": have["maxmemory"] if maxmem == maxmem0 else format_mib(maxmem, "mb"),
             "proactor_threads": str(threads)}
    changed = {k: v for k, v in flags.items() if have.get(k) != v}
    plan = set_command_flags(doc, svc, changed, DRAGONFLY_DEFAULT_COMMAND) if changed else Y.Plan()
    if plan is None:
        return None
    cpus_out = cpus if cpus_fixed or float(threads) <= (parse_cpus(cpus) or 1.0) else f"{threads}.0"
    note = f"run Dragonfly with --maxmemory={flags['maxmemory']} --proactor_threads={threads}"
    mem_out = mem if parse_bytes(mem) == limit else format_mib(limit)
    return mem_out, cpus_out, plan, note


def _round_up(n: int) -> int:
    """Up to a whole 256 MiB below 1 GiB, to a whole GiB above: limits people can read."""
    step = 256 * MIB if n <= 1024 * MIB else 1024 * MIB
    return -(-n // step) * step
