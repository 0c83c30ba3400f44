"""SF011: compose services without memory/CPU limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from seenfix.fixers import compose_base as CB
from seenfix.core.lazy import lazy_module
from seenfix.core.model import FixAvailability, Finding, Option, Severity

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis import compose_services as CS
    from seenfix.editors import compose as C
    from seenfix.editors import yaml as Y
else:  # loaded when first used (seenfix.core.lazy)
    CS = lazy_module("seenfix.analysis.compose_services")
    C = lazy_module("seenfix.editors.compose")
    Y = lazy_module("seenfix.editors.yaml")

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

#: kind -> (memory limit, CPU limit, memory reservation or None)
DEFAULTS: dict[str, tuple[str, str, str | None]] = {
    "postgres": ("1G", "1.0", "256M"),
    "database": ("1G", "1.0", "256M"),
    "dragonfly": ("1G", "1.0", "256M"),
    "redis": ("512M", "0.5", "64M"),
    "proxy": ("256M", "0.5", None),
    "app": ("512M", "1.0", None),
    "backup": ("256M", "0.5", None),
    "unknown": ("512M", "0.5", None),
}
POSTGRES_SHM = "256m"
SERVICE_OPTIONS = {"memory": "bytes", "cpus": "cpus", "memory_reservation": "bytes", "shm_size": "bytes"}
OLD_STYLE = ("mem_limit", "cpus", "cpu_quota", "cpu_count", "cpu_percent", "cpu_shares")


class MissingResourceLimits(CB.ComposeFixer):
    """## What it does
    Finds compose services without a memory or CPU limit and adds `deploy.resources.limits`
    (`cpus`, `memory`), chosen by what the service runs (recognised from its `image`, or from the
    final `FROM` of its build's Dockerfile):

    | service | memory | cpus | also |
    |---|---|---|---|
    | PostgreSQL | 1G | 1.0 | reservation 256M, `shm_size: 256m` |
    | Dragonfly | 1G | 1.0 | reservation 256M, `--maxmemory=768mb`, `--proactor_threads=1`, `ulimits: memlock: -1` |
    | Redis / Valkey / Memcached | 512M | 0.5 | reservation 64M |
    | other databases, brokers | 1G | 1.0 | reservation 256M |
    | nginx / Caddy / Traefik | 256M | 0.5 | |
    | Python / Node / other applications | 512M | 1.0 | |
    | backup tools (pg_dump schedulers, pgBackRest, WAL-G...) | 256M | 0.5 | |
    | anything else | 512M | 0.5 | the finding says "tune me" |

    A service with older-style `mem_limit`/`cpus` is completed in that style; a partial
    `deploy.resources` is completed, never replaced (and a Dragonfly service's flags then follow the
    limit it already has).  A limit shared by several services through an anchor is completed once
    when they all need the same value, else reported for a fix by hand.  A file in the legacy `version: "2.x"` format gets
    `mem_limit`/`mem_reservation` (and `cpus` from 2.2), the keys that format understands.

    ## Why is this bad?
    Without limits one container can take all memory of the host (the kernel's OOM killer then picks
    any process, often the database) or starve the others of CPU.  Memory limits also make memory
    use visible and predictable.

    PostgreSQL gets `shm_size` because Docker gives containers a 64 MB `/dev/shm`, which PostgreSQL uses
    for dynamic shared memory (parallel query): larger queries fail with "could not resize shared
    memory segment".  Dragonfly starts one thread per CPU it can see (a `cpus:` quota does not hide
    the host's CPUs) and refuses to start with less than 256 MiB of `--maxmemory` per thread, and it
    evicts or rejects writes at `--maxmemory`, so that must stay below the container limit: the fix sets
    `--proactor_threads` to the CPU limit, `--maxmemory` to 75% of the memory limit (the rest covers
    connections, replication and snapshot buffers), and `memlock: -1` as in Dragonfly's own compose file.

    ## Example
    ```yaml
    services:
      postgres:
        image: postgres:16-alpine
    ```

    ## Use instead
    ```yaml
    services:
      postgres:
        image: postgres:16-alpine
        deploy:
          resources:
            limits:
              cpus: "1.0"
              memory: 1G
            reservations:
              memory: 256M
        shm_size: 256m
    ```

    ## Fix safety
    Safe: only keys are added (and Dragonfly's `--maxmemory`/`--proactor_threads` flags set); every
    other line stays as it was, the result is checked to load to the original data plus the new keys
    and to stay valid against the Compose Specification schema.  The values are starting points: a
    limit that is too low gets a service OOM-killed, so watch `docker stats` and tune them.

    ## Options
    - `services`: per-service overrides, a table per service name with `memory`, `cpus`,
      `memory_reservation` and `shm_size`, e.g. `[fixers.SF011.services.postgres] memory = "2g"`.

    ## References
    - Docker, Compose file deploy specification, `resources`:
      https://docs.docker.com/reference/compose-file/deploy/#resources
    - Docker, Resource constraints: https://docs.docker.com/engine/containers/resource_constraints/
    - Docker, Compose services `shm_size`, `mem_limit`, `ulimits`:
      https://docs.docker.com/reference/compose-file/services/
    - Docker Official Image `postgres`, "Caveats" (`/dev/shm` and `shm_size`):
      https://hub.docker.com/_/postgres
    - PostgreSQL, Resource Consumption (`dynamic_shared_memory_type`):
      https://www.postgresql.org/docs/current/runtime-config-resource.html
    - Dragonfly, Server flags (`--maxmemory`, `--proactor_threads`):
      https://www.dragonflydb.io/docs/managing-dragonfly/flags
    - Dragonfly, Install with Docker Compose (`ulimits: memlock: -1`):
      https://www.dragonflydb.io/docs/getting-started/docker-compose
    """

    code = "SF011"
    slug = "missing-resource-limits"
    summary = "Missing resource limits"
    seed_issue = 11
    category = "Infrastructure"  # readiness score (seenfix report)
    weight = 2
    needs = ("production_compose",)  # dev, test and CI stacks are not checked
    area = "compose"
    severity = Severity.MEDIUM
    fix_availability = FixAvailability.SOMETIMES  # not for a limit shared through a conflicting anchor
    sets = frozenset({"quick-wins", "p1"})
    fix_title = "Add memory and CPU limits"
    options = (Option("services", dict, {}, "per-service overrides: memory, cpus, memory_reservation, shm_size"),)
    intended: ClassVar[tuple[str, ...]] = ("deploy", "shm_size", "ulimits", "command", "mem_limit",
                                           "mem_reservation", "cpus")

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = [p for p in super().validate_options(options) if not p[0] == "services"]
        services = options.get("services", {})
        if not isinstance(services, Mapping):
            return problems + [("services", "expected a table")]
        for name, table in services.items():
            if not isinstance(table, Mapping):
                problems.append((f"services.{name}", "expected a table"))
                continue
            for key, value in table.items():
                kind = SERVICE_OPTIONS.get(key)
                if kind is None:
                    problems.append((f"services.{name}.{key}", "unknown option"))
                elif kind == "bytes" and (isinstance(value, bool) or C.parse_bytes(value) is None):
                    problems.append((f"services.{name}.{key}", "expected a size such as \"512m\" or \"2g\""))
                elif kind == "cpus" and C.parse_cpus(value) is None:
                    problems.append((f"services.{name}.{key}", "expected a positive number of CPUs"))
        return problems

    def plan_service(self, doc: Y.Document, svc: Y.Service, kind: str) -> CB.Planned | None:
        node: Mapping[str, Any] = svc.node if isinstance(svc.node, Mapping) else {}
        limits = _get(node, "deploy", "resources", "limits")
        has_mem = "mem_limit" in node or "memory" in limits
        has_cpu = any(k in node for k in OLD_STYLE[1:]) or "cpus" in limits
        version = Y.compose_version(doc)
        legacy = version is not None and version[0] == 2
        if legacy and version is not None and version < (2, 2) and has_mem:
            has_cpu = True  # `cpus` exists from format 2.2 on
        if has_mem and has_cpu:
            return None
        cfg: Mapping[str, Any] = self.config.get("services", {}).get(svc.name, {})
        mem, cpus, reservation = DEFAULTS[kind]
        mem, cpus = str(cfg.get("memory", mem)), str(cfg.get("cpus", cpus))
        reservation = cfg.get("memory_reservation", reservation)
        plan, notes = Y.Plan(), []
        wanted: dict[str, Any] = {}
        fresh = not has_mem and not has_cpu
        if kind == "dragonfly":  # flags follow the limits the service ends up with
            mem = str(limits.get("memory", node.get("mem_limit", mem)))
            cpus = str(limits.get("cpus", node.get("cpus", cpus)))
            flags = CS.dragonfly_flags(doc, svc, mem, cpus, mem_fixed=has_mem or "memory" in cfg,
                                      cpus_fixed=has_cpu or "cpus" in cfg)
            if flags is None:
                return CB.Planned(Y.Plan(), f"service `{svc.name}` has no {'CPU' if has_mem else 'memory'} limit"
                                 if has_mem or has_cpu else f"service `{svc.name}` has no memory or CPU limit",
                                 why_not="set the limits with --maxmemory below the memory limit and "
                                 "--proactor_threads to the CPU limit by hand")
            mem, cpus, fplan, note = flags
            plan.extend(fplan)
            notes.append(note)
            wanted["ulimits"] = {"memlock": -1}
        if legacy or (not limits and any(k in node for k in OLD_STYLE)):
            if not has_mem:
                wanted["mem_limit"] = mem
            if not has_cpu and (not legacy or (version or (2, 0)) >= (2, 2)):
                wanted["cpus"] = Y.Quoted(cpus)
            if fresh and reservation:
                wanted["mem_reservation"] = str(reservation)
        else:
            lim: dict[str, Any] = {}
            if not has_cpu:
                lim["cpus"] = Y.Quoted(cpus)
            if not has_mem:
                lim["memory"] = mem
            res: dict[str, Any] = {"limits": lim}
            if fresh and reservation:
                res["reservations"] = {"memory": str(reservation)}
            wanted["deploy"] = {"resources": res}
        if kind == "postgres" and fresh and "shm_size" not in node:
            wanted["shm_size"] = str(cfg.get("shm_size", POSTGRES_SHM))
        wanted = {k: v for k, v in wanted.items() if k != "ulimits" or "memlock" not in _get(node, "ulimits")}
        plan.extend(Y.ensure_keys(doc, svc.parent, svc.name, _order(wanted)))
        what = "no memory or CPU limit" if fresh else ("no CPU limit" if has_mem else "no memory limit")
        tune = " (unknown image: tune me)" if kind == "unknown" and not cfg else ""
        title = "; ".join([self.fix_title, *notes]) if notes else None
        return CB.Planned(plan, f"service `{svc.name}` has {what}{tune}", title)

    def kind(self, svc: Y.Service, path: str, project: Project | None) -> str:
        return CS.service_kind(svc.node, path, project)

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        return self.compose_findings(path, text, project)

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        return self.compose_fix(path, text, project)


def _get(node: Any, *keys: str) -> Mapping[str, Any]:
    for k in keys:
        node = node.get(k) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _order(wanted: dict[str, Any]) -> dict[str, Any]:
    order = ("deploy", "mem_limit", "mem_reservation", "cpus", "shm_size", "ulimits")
    return {k: wanted[k] for k in sorted(wanted, key=order.index)}

