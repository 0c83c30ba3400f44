"""SF014: a database, cache or proxied backend publishes its port on every host interface."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from seenfix.analysis import compose_services as CS
from seenfix.core.model import Finding, FixAvailability, InputError, Option, Severity
from seenfix.editors import nginx
from seenfix.editors import ports as P
from seenfix.editors import yaml as Y
from seenfix.fixers import compose_base as CB

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

#: Services that only other services talk to.
INTERNAL_KINDS = {"postgres": "database", "database": "database", "redis": "cache", "dragonfly": "cache"}
_URL_HOST = re.compile(r"^(?:[a-z]+://)?([A-Za-z0-9_.-]+)(?::\d+)?")


class PublishedInternalPorts(CB.ComposeFixer):
    """## What it does
    Finds compose services that should be reached only by the other containers but publish a port
    on every interface of the host (`"5432:5432"`, `"8000:8000"`, `"6379"`, or the long syntax
    without `host_ip`): databases and caches (PostgreSQL, MySQL/MariaDB, MongoDB, Redis, Valkey,
    Dragonfly...) always, and an application service when a project nginx config already proxies to
    it (`proxy_pass http://backend:8000`, or an `upstream` server). It binds each such port to the
    loopback interface (`"127.0.0.1:5432:5432"`, `[::1]` for an IPv6 `[::]` entry, `host_ip:
    127.0.0.1` in the long syntax), or with `--unsafe-fixes` removes the mapping (and `ports:` when
    none is left). Ports already bound to an address, the public entry point (nginx, Caddy...), and
    entries it cannot read with certainty (a variable for the host address, an unknown form) are
    left alone; the last are reported.

    ## Why is this bad?
    A published port is a door around everything the public entry point does: with `8000:8000` the
    API answers on the host's address without TLS, security headers or rate limits (SF002, SF003,
    SF005 protect only what goes through nginx), and with `5432:5432` the database accepts logins from
    the whole network with only its password in the way (the seed assessment's issue 4, "Exposed
    Database Credentials", turns into a full data breach once that password leaks). Docker writes
    its own iptables rules for published ports, so a host firewall such as ufw does not close them.

    ## Example
    ```yaml
    services:
      postgres:
        image: postgres:16-alpine
        ports:
          - "5432:5432"
    ```

    ## Use instead
    ```yaml
    services:
      postgres:
        image: postgres:16-alpine
        ports:
          - "127.0.0.1:5432:5432"   # psql and backups on the host still work
    ```
    or no `ports:` at all: the other services reach `postgres:5432` over the compose network, and an
    operator can use `docker compose exec postgres psql` or an SSH tunnel.

    ## Fix safety
    Safe: binding to 127.0.0.1 keeps the port usable from the host itself (local tools, backups,
    SSH tunnels) and only closes it to other machines; something that connected from another
    machine (a BI tool, a second host) stops working, which is the point. With `--unsafe-fixes` the
    mapping is removed instead, which also ends access from the host: use `docker compose exec` or
    publish it in a `compose.override.yml` for development. A `ports:` shared through an anchor is
    reported without a fix.

    ## Options
    - `ignore_services` (list of strings, default `[]`): services whose ports are meant to be public.

    ## References
    - Compose Specification, `ports`: https://docs.docker.com/reference/compose-file/services/#ports
    - Docker, packet filtering and firewalls (published ports bypass ufw):
      https://docs.docker.com/engine/network/packet-filtering-firewalls/
    - OWASP Docker Security Cheat Sheet: https://cheatsheetseries.owasp.org/cheatsheets/Docker_Security_Cheat_Sheet.html
    - PostgreSQL, `listen_addresses` and client authentication:
      https://www.postgresql.org/docs/current/auth-pg-hba-conf.html
    """

    code = "SF014"
    slug = "published-internal-ports"
    summary = "An internal service publishes its port on every interface"
    seed_issue = 4
    area = "compose"
    severity = Severity.HIGH
    fix_availability = FixAvailability.SOMETIMES
    sets = frozenset({"p0"})
    fix_title = "Publish the port on 127.0.0.1 only"
    category = "Security"  # readiness score (seenfix report)
    needs = ("production_compose",)  # dev, test and CI stacks are not checked
    intended: ClassVar[tuple[str, ...]] = ("ports",)
    per_file = False  # which backends are proxied is read from the nginx configs
    options = (Option("ignore_services", list, [], "Services whose ports are meant to be public."),)
    _project: Project | None = None
    _proxied: frozenset[str] = frozenset()

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        self._begin(project)
        return self.compose_findings(path, text, project)

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        self._begin(project)
        return self.compose_fix(path, text, project)

    def _begin(self, project: Project) -> None:
        if project is self._project:  # read once per project, not once per compose file
            return
        self._project = project
        self._proxied = frozenset(proxied_hosts(project))

    def kind(self, svc: Y.Service, path: str, project: Project | None) -> str:
        return CS.service_kind(svc.node, path, project)

    def plan_service(self, doc: Y.Document, svc: Y.Service, kind: str) -> CB.Planned | None:
        node: Mapping[str, Any] = svc.node if isinstance(svc.node, Mapping) else {}
        entries = node.get("ports")
        if not isinstance(entries, list) or svc.name in self.config["ignore_services"]:
            return None
        names = {svc.name, str(node.get("container_name", "")), str(node.get("hostname", ""))}
        what = INTERNAL_KINDS.get(kind) or ("backend" if kind in ("app", "unknown") and names & self._proxied else None)
        if what is None:
            return None
        public = [i for i, e in enumerate(entries) if (p := P.parse(e)) is not None and p.public]
        unread = [str(e) for e in entries if P.parse(e) is None]
        if not public:
            if unread:
                return CB.Planned(Y.Plan(), f"the {what} service `{svc.name}` publishes {', '.join(unread)}, "
                                  "which seenfix cannot read: make sure it binds to 127.0.0.1", why_not="check it by hand")
            return None
        shown = ", ".join(_show(entries[i]) for i in public)
        behind = "past the proxy's TLS, headers and rate limits" if what == "backend" else \
            "by anything on the network, with only its own authentication in the way"
        message = f"the {what} service `{svc.name}` publishes {shown} on every host interface: reachable {behind}"
        if unread:
            message += f" (and {', '.join(unread)}, which seenfix cannot read: check it by hand)"
        if self.unsafe_fixes:
            plan = P.drop(doc, node, set(public))
            title = "Remove the published port (the other services reach it over the compose network)"
        else:
            plan = Y.Plan()
            for i in public:
                part = P.bind_locally(doc, entries, i)
                if part is None:
                    plan = None
                    break
                plan.extend(part)
            title = None
        return CB.Planned(plan or Y.Plan(), message, title,
                          why_not="its ports are shared through an anchor or written in an unusual form: fix it by hand")


def _show(entry: Any) -> str:
    if isinstance(entry, Mapping):
        return f"{entry.get('published', '')}:{entry.get('target')}".lstrip(":")
    return f'"{entry}"' if isinstance(entry, str) else str(entry)


def proxied_hosts(project: Project) -> set[str]:
    """Host names the project's nginx configs proxy to (``proxy_pass``, ``*_pass``, ``upstream`` servers)."""
    hosts: set[str] = set()
    for path in project.layout.nginx_files:
        text = project.read_text(path)
        try:
            cfg = nginx.parse(text or "", path)
        except InputError:
            continue
        for node in cfg.walk():
            value = node.args[0].value if node.args else ""
            if node.name.endswith("_pass") or (node.name == "server" and not node.is_block and node.parent is not None
                                                 and node.parent.name == "upstream"):
                m = _URL_HOST.match(value)
                if m:
                    hosts.add(m.group(1))
    return hosts
