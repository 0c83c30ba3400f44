"""SF012: compose services without a health check."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from seenfix.fixers import compose_base as CB
from seenfix.core.lazy import lazy_module
from seenfix.core.model import FixAvailability, Finding, Option, Severity

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis import compose_services as CS
    from seenfix.editors import compose as C
    from seenfix.editors import depends_on
    from seenfix.editors import yaml as Y
else:  # loaded when first used (seenfix.core.lazy)
    CS = lazy_module("seenfix.analysis.compose_services")
    C = lazy_module("seenfix.editors.compose")
    depends_on = lazy_module("seenfix.editors.depends_on")
    Y = lazy_module("seenfix.editors.yaml")

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

#: Images whose own Dockerfile declares a HEALTHCHECK: compose inherits it.
BUILT_IN = re.compile(r"dragonfly|(^|/)traefik\b|(^|/)minio/minio\b|postgres-backup-local")
_ROUTE = re.compile(r"""["'](/(?:api/)?(?:health|healthz|healthcheck|ping|livez|readyz))["']""")
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(\d+)", re.IGNORECASE | re.MULTILINE)
_CODE_SUFFIXES = (".py", ".ts", ".js", ".mjs", ".go", ".rb")
#: Dependencies whose readiness a dependant should wait for: databases and caches.
DATA_KINDS = frozenset({"postgres", "redis", "dragonfly", "database"})


class MissingHealthChecks(CB.ComposeFixer):
    """## What it does
    Finds compose services without a `healthcheck` and adds one that asks the service itself whether
    it can serve, chosen by what it runs (its `image`, or the final `FROM` of its build's Dockerfile):

    | service | check |
    |---|---|
    | PostgreSQL | `pg_isready` as the configured user and database |
    | Redis / Valkey | `redis-cli ping` / `valkey-cli ping` |
    | MySQL / MariaDB / MongoDB | `mysqladmin ping` / `healthcheck.sh --connect` / `mongosh ... ping` |
    | nginx / Caddy | an HTTP request to the container's own port (`wget`, else `curl`) |
    | Python / Node application | an HTTP request to its health route, found in its sources (`/health`, `/healthz`, `/ping`...), on the port it exposes, with the runtime itself (no curl needed in slim images) |

    Every check runs every 30 s with a 5 s timeout, 3 retries and a 30 s start period. Images that
    declare their own `HEALTHCHECK` (Dragonfly, Traefik, MinIO, postgres-backup-local) are left alone, as is a service with
    any `healthcheck` (also `disable: true`). An application without a health route, or an image
    seenfix does not know, is reported without a fix.

    ## Why is this bad?
    Without a health check Docker only knows whether the process runs, not whether it works: a
    backend stuck on a lost database connection stays "Up", `restart: unless-stopped` never restarts
    it, `depends_on` starts the API before PostgreSQL accepts connections, and nothing tells the
    operator (the seed assessment's issue 12, "No Monitoring/Alerting": health checks are the basic
    monitoring it asks for). `docker compose ps` shows the health state, and monitoring tools
    (Prometheus' cAdvisor, Uptime Kuma, autoheal) read it.

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
        healthcheck:
          test: ["CMD-SHELL", "pg_isready -U \\"$${POSTGRES_USER:-postgres}\\" -d \\"$${POSTGRES_DB:-postgres}\\""]
          interval: 30s
          timeout: 5s
          retries: 3
          start_period: 30s
    ```
    and a service that depends on a database or cache with a health check (one it had, one its image
    declares, or the one just added) waits until it is healthy, not merely started:
    ```yaml
      backend:
        depends_on:
          postgres:
            condition: service_healthy
    ```
    The short form (`depends_on: [postgres]` or a `- postgres` list) becomes the long form in place,
    comments kept, its other entries getting `condition: service_started` (what the short form
    meant); in the long form a missing condition is added and `service_started` replaced. A
    `depends_on` shared through an anchor, or in a legacy `version: "3.x"` file (whose format has
    no conditions), is reported without a fix.

    ## Fix safety
    Safe: a health check only observes. It can mark a slow service unhealthy; tune `interval`,
    `timeout`, `retries` and `start_period` with the options. Waiting for a healthy database
    changes the start order only: `docker compose up` starts the dependant once the check passes
    (and stops with an error if the database never gets healthy, instead of starting a backend
    that cannot connect). Legacy `version: "2.0"` files (no
    `healthcheck` key) are not changed; formats before 2.3/3.4 get no `start_period`.

    ## Options
    - `interval` (string, default `"30s"`), `timeout` (string, default `"5s"`), `retries` (integer,
      default `3`), `start_period` (string, default `"30s"`): the check's timing.

    ## References
    - Compose Specification, `healthcheck`: https://docs.docker.com/reference/compose-file/services/#healthcheck
    - Dockerfile `HEALTHCHECK`: https://docs.docker.com/reference/dockerfile/#healthcheck
    - PostgreSQL, `pg_isready`: https://www.postgresql.org/docs/current/app-pg-isready.html
    - Docker Compose, control startup order: https://docs.docker.com/compose/how-tos/startup-order/
    - Dragonfly's image HEALTHCHECK: https://github.com/dragonflydb/dragonfly/blob/main/tools/docker/healthcheck.sh
    """

    code = "SF012"
    slug = "missing-health-checks"
    summary = "Services have no health check"
    seed_issue = 12
    category = "Monitoring"  # readiness score (seenfix report)
    weight = 3
    needs = ("production_compose",)  # dev, test and CI stacks are not checked
    area = "compose"
    severity = Severity.HIGH
    fix_availability = FixAvailability.SOMETIMES
    sets = frozenset({"p1"})
    fix_title = "Add a health check"
    intended = ("healthcheck", "depends_on")
    _project: Project | None = None
    options = (
        Option("interval", str, "30s", "Time between checks."),
        Option("timeout", str, "5s", "Time a check may take."),
        Option("retries", int, 3, "Failures before unhealthy."),
        Option("start_period", str, "30s", "Grace period after start."),
    )

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        self._project = project
        return self.compose_findings(path, text, project)

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        self._project = project
        return self.compose_fix(path, text, project)

    def kind(self, svc: Y.Service, path: str, project: Project | None) -> str:
        return CS.service_kind(svc.node, path, project)

    def plan_file(self, doc: Y.Document, project: Project | None) -> tuple[list[CB.ServiceFinding], Y.Plan]:
        """The health checks, then the start order of the services that depend on a database or
        cache that has one (or has just been given one)."""
        found, plan = super().plan_file(doc, project)
        healthy = {f.service.name for f in found if f.fixable} | {
            s.name for s in Y.services(doc) if _has_health(s.node)}
        combined = C.Combined()
        combined.add(plan)
        services = {s.name: s for s in Y.services(doc)}
        for svc in services.values():
            order = self._start_order(doc, svc, healthy, services, project)
            if order is None:
                continue
            planned, fixable = order, bool(order.plan.edits) and combined.add(order.plan)
            why = planned.why_not if not planned.plan.edits else "shared with another service: fix it by hand"
            found.append(CB.ServiceFinding(svc, planned.message if fixable else f"{planned.message} ({why})",
                                           fixable, planned.fix_title))
        return found, combined.plan

    def _start_order(self, doc: Y.Document, svc: Y.Service, healthy: set[str], services: dict[str, Y.Service],
                     project: Project | None) -> CB.Planned | None:
        """The plan making ``svc`` wait for its healthy databases and caches (``services``: the file's
        services by name, made once per file), or None."""
        current = depends_on.dependencies(svc.node)
        waits = [name for name, cond in current.items() if cond == depends_on.STARTED and name in healthy
                 and name in services and CS.service_kind(services[name].node, doc.path, project) in DATA_KINDS]
        if not waits:
            return None
        names = ", ".join(f"`{n}`" for n in waits)
        one = len(waits) == 1
        message = (f"service `{svc.name}` starts as soon as {names} {'has' if one else 'have'} started, "
                   f"before {'it accepts' if one else 'they accept'} connections")
        fix_title = f"Wait for {names} to be healthy (depends_on condition: service_healthy)"
        version = Y.compose_version(doc)
        if version is not None and (version < (2, 1) or (3, 0) <= version < (4, 0)):
            return CB.Planned(Y.Plan(), message, fix_title,
                              why_not="this legacy format has no depends_on conditions: drop `version` first")
        chain = doc.chain(svc.node)
        written_here = bool(chain) and chain is not None and chain[-1][0] is svc.parent
        plan = depends_on.require_conditions(doc, svc.node, dict.fromkeys(waits, depends_on.HEALTHY)) \
            if written_here else None
        if plan is None:
            return CB.Planned(Y.Plan(), message, fix_title,
                              why_not="its depends_on is shared or written in a form seenfix does not edit")
        return CB.Planned(plan, message, fix_title)

    def plan_service(self, doc: Y.Document, svc: Y.Service, kind: str) -> CB.Planned | None:
        node: Mapping[str, Any] = svc.node if isinstance(svc.node, Mapping) else {}
        image = str(node.get("image", "")) or (CS.final_from(node, doc.path, self._project) or "")
        if "healthcheck" in node or BUILT_IN.search(image.lower()):
            return None
        version = Y.compose_version(doc)
        message = f"service `{svc.name}` has no health check"
        if version is not None and version < (2, 1):
            return CB.Planned(Y.Plan(), message, why_not="the legacy 2.0 format has no healthcheck key")
        test = self._test(svc, node, kind, image, doc.path)
        if test is None:
            return CB.Planned(Y.Plan(), message, why_not="unknown image or no health route: add one by hand")
        check: dict[str, Any] = {"test": [Y.Quoted(x) for x in test], "interval": self.config["interval"],
                                 "timeout": self.config["timeout"], "retries": self.config["retries"]}
        if version is None or version >= (3, 4) or (2, 3) <= version < (3, 0):
            check["start_period"] = self.config["start_period"]
        return CB.Planned(Y.ensure_keys(doc, svc.parent, svc.name, {"healthcheck": check}), message)

    def _test(self, svc: Y.Service, node: Mapping[str, Any], kind: str, image: str, path: str) -> list[str] | None:
        name = image.lower()
        if kind == "postgres":
            return ["CMD-SHELL", 'pg_isready -U "$${POSTGRES_USER:-postgres}" -d "$${POSTGRES_DB:-postgres}"']
        if kind == "redis":
            if "memcached" in name:
                return None
            return ["CMD", "valkey-cli" if "valkey" in name else "redis-cli", "ping"]
        if kind == "database":
            if "mariadb" in name:
                return ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]
            if "mysql" in name:
                return ["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent"]
            if "mongo" in name:
                return ["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"]
            return None
        port = self._port(node, path)
        if kind == "proxy" and ("nginx" in name or "caddy" in name or "openresty" in name):
            url = f"http://127.0.0.1:{port or 80}/"
            return ["CMD-SHELL", f"wget -q -O /dev/null {url} || curl -fsS -o /dev/null {url} || exit 1"]
        if kind == "app" and port:
            route = self._health_route(path, node)
            if route is None:
                return None
            url = f"http://127.0.0.1:{port}{route}"
            if "python" in name or (not name and self._has(path, node, ("pyproject.toml", "requirements.txt"))):
                return ["CMD", "python", "-c", f"import urllib.request; urllib.request.urlopen('{url}', timeout=4)"]
            if "node" in name or (not name and self._has(path, node, ("package.json",))):
                return ["CMD", "node", "-e",
                        f"fetch('{url}').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
        return None

    # -- what the service's build context tells -------------------------------------------------
    def _port(self, node: Mapping[str, Any], path: str) -> int | None:
        for entry in list(node.get("ports") or []) + list(node.get("expose") or []):
            target = entry.get("target") if isinstance(entry, Mapping) else str(entry).split("/")[0].rsplit(":", 1)[-1]
            if str(target).isdigit():
                return int(str(target))
        m = _EXPOSE.search(CS.build_dockerfile(node, path, self._project) or "")
        return int(m.group(1)) if m else None

    def _has(self, path: str, node: Mapping[str, Any], markers: tuple[str, ...]) -> bool:
        base, project = C.build_context(node, path), self._project
        return base is not None and project is not None and any(
            project.exists(posixpath.join(base, m) if base else m) for m in markers)

    def _health_route(self, path: str, node: Mapping[str, Any]) -> str | None:
        base, project = C.build_context(node, path), self._project
        if base is None or project is None:
            return None
        prefix = base + "/" if base else ""
        for rel in project.files_under(prefix):
            if rel.endswith(_CODE_SUFFIXES) and "/tests/" not in "/" + rel:
                m = _ROUTE.search(project.read_text(rel) or "")
                if m:
                    return m.group(1)
        return None


def _has_health(node: Any) -> bool:
    """A health check Docker runs: a ``healthcheck`` that is not disabled, or the image's own."""
    if not isinstance(node, Mapping):
        return False
    check = node.get("healthcheck")
    if isinstance(check, Mapping):
        test = check.get("test")
        return not check.get("disable") and not (isinstance(test, list) and test[:1] == ["NONE"]) \
            and (test is not None or BUILT_IN.search(str(node.get("image", "")).lower()) is not None)
    return BUILT_IN.search(str(node.get("image", "")).lower()) is not None
