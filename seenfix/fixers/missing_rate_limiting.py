"""SF005: API requests reach the backend without a rate limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import re
from collections.abc import Iterable

from seenfix.editors.text import apply_edits
from seenfix.core.lazy import lazy_module
from seenfix.core.model import Applicability, FileFixer, Finding, FixAvailability, Option, Severity
from seenfix.core.project import Project

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.editors import nginx
else:  # loaded when first used (seenfix.core.lazy)
    nginx = lazy_module("seenfix.editors.nginx")

PASS_DIRECTIVES = ("proxy_pass", "fastcgi_pass", "uwsgi_pass", "grpc_pass", "scgi_pass")
_ZONE = re.compile(r"^zone=([^:\s]+):")


class MissingRateLimiting(FileFixer):
    """
    ## What it does
    Finds nginx `location` blocks that pass requests to a backend (`proxy_pass`, `fastcgi_pass`,
    `uwsgi_pass`, `grpc_pass`, `scgi_pass`) with no `limit_req` in force, and adds a per-client
    request limit: one `limit_req_zone` keyed on the client address at `http` level, and
    `limit_req` plus `limit_req_status 429` in each such location.

    ## Why is this bad?
    Without a limit, one client can send as many login attempts or expensive metadata searches as
    the network allows: password brute force, credential stuffing, and denial of service of the
    backend, its database and the TMDB/IGDB quotas behind it (the seed assessment's issue 5, "No Rate
    Limiting"). nginx's `limit_req` rejects the excess before it costs the backend anything.

    ## Example
    ```nginx
    location /api/ {
        proxy_pass http://backend:8000;
    }
    ```

    ## Use instead
    ```nginx
    limit_req_zone $binary_remote_addr zone=seenfix_api:10m rate=10r/s;

    server {
        location /api/ {
            limit_req zone=seenfix_api burst=20 nodelay;
            limit_req_status 429;
            proxy_pass http://backend:8000;
        }
    }
    ```
    `rate=10r/s` with `burst=20 nodelay` lets a single-page app load (a burst of parallel API
    calls) without delay, and answers `429 Too Many Requests` to a client that keeps going. A 10 MB
    zone holds about 160,000 client addresses.

    ## Fix safety
    Unsafe (it needs `--unsafe-fixes`): a limit changes what clients experience. Clients behind one
    NAT share an address, and behind another proxy or load balancer every request comes from the
    proxy's address unless `real_ip_header`/`set_real_ip_from` are configured, so review the rate
    for your traffic. Only insertions are made. A file meant to be included in `server` context
    cannot define the zone; there the finding is reported without a fix.

    ## Options
    - `rate` (string, default `"10r/s"`): the sustained rate per client.
    - `burst` (integer, default `20`): requests allowed above the rate before rejecting.
    - `zone` (string, default `"seenfix_api"`): the zone name (an existing zone in the file is reused).
    - `zone_size` (string, default `"10m"`): shared memory for the zone.
    - `status` (integer, default `429`): the status code of rejected requests.

    ## References
    - nginx, ngx_http_limit_req_module: https://nginx.org/en/docs/http/ngx_http_limit_req_module.html
    - NGINX blog, Rate Limiting with NGINX: https://blog.nginx.org/blog/rate-limiting-nginx
    - OWASP API Security Top 10, API4:2023 Unrestricted Resource Consumption:
      https://owasp.org/API-Security/editions/2023/en/0xa4-unrestricted-resource-consumption/
    - RFC 6585, section 4 (429 Too Many Requests): https://www.rfc-editor.org/rfc/rfc6585#section-4
    """

    code = "SF005"
    slug = "missing-rate-limiting"
    summary = "API requests reach the backend without a rate limit"
    seed_issue = 5
    category = "Security"  # readiness score (seenfix report)
    weight = 2
    needs = ("nginx_files",)
    area = "nginx"
    severity = Severity.MEDIUM
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    sets = frozenset({"p1"})
    fix_title = "Add a per-client request limit to proxied locations"
    per_file = False  # includes of other project files are read
    options = (
        Option("rate", str, "10r/s", "Sustained rate per client."),
        Option("burst", int, 20, "Requests allowed above the rate."),
        Option("zone", str, "seenfix_api", "Zone name."),
        Option("zone_size", str, "10m", "Zone size."),
        Option("status", int, 429, "Status of rejected requests."),
    )

    def targets(self, project: Project) -> Iterable[str]:
        return project.layout.nginx_files

    def _unlimited(self, cfg: nginx.Config, resolve: nginx.Resolver) -> list[nginx.Node]:
        """Proxied locations (or servers without locations) that no ``limit_req`` covers."""
        out: list[nginx.Node] = []
        servers = nginx.http_servers(cfg)
        if not servers and nginx.file_context(cfg) == "server":
            servers = [cfg.root]  # a snippet included inside a server block
        for server in servers:
            blocks = [n for n in cfg.walk(server) if n.name == "location" and n.is_block] or [server]
            for block in blocks:
                if not any(nginx.directives(block, p, resolve) for p in PASS_DIRECTIVES):
                    continue
                scopes = [block, *block.ancestors()]
                if not any(nginx.directives(s, "limit_req", resolve) for s in scopes if s.is_block):
                    out.append(block)
        return out

    def _zone_host(self, cfg: nginx.Config) -> nginx.Node | None:
        """The block where a ``limit_req_zone`` can go: the ``http`` block, or the top of an
        http-context file; ``None`` for a server-context snippet."""
        context = nginx.file_context(cfg)
        if context == "main":
            https = [n for n in cfg.root.children or () if n.name == "http" and n.is_block]
            return https[0] if https else None
        return cfg.root if context == "http" else None

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        cfg = nginx.parse(text, path)
        resolve = nginx.include_resolver(project.files_named, project.read_text, path)
        fixable = self._zone_host(cfg) is not None
        for block in self._unlimited(cfg, resolve):
            where = f"location {' '.join(block.arg_values())}" if block.name == "location" else "this server"
            note = "" if fixable else " (this file is included in server context: define the zone at http level)"
            yield self.finding(path, block.line, f"requests to {where} reach the backend without a rate limit"
                               f" (no limit_req){note}", fixable=fixable)

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        cfg = nginx.parse(text, path)
        resolve = nginx.include_resolver(project.files_named, project.read_text, path)
        host = self._zone_host(cfg)
        targets = self._unlimited(cfg, resolve)
        if host is None or not targets:
            return None
        edits: list[nginx.Edit] = []
        zone = self._existing_zone(host, resolve)
        if zone is None:
            zone = self.config["zone"]
            line = (f"limit_req_zone $binary_remote_addr zone={zone}:{self.config['zone_size']} "
                    f"rate={self.config['rate']};")
            edits.append(self._zone_edit(cfg, host, line))
        for block in targets:
            lines = [f"limit_req zone={zone} burst={self.config['burst']} nodelay;"]
            if not nginx.directives(block, "limit_req_status", resolve):
                lines.append(f"limit_req_status {self.config['status']};")
            edits.append(cfg.insert_lines(block, None, lines))
        return apply_edits(text, edits)

    @staticmethod
    def _existing_zone(host: nginx.Node, resolve: nginx.Resolver) -> str | None:
        for node in nginx.directives(host, "limit_req_zone", resolve):
            for arg in node.arg_values():
                m = _ZONE.match(arg)
                if m:
                    return m.group(1)
        return None

    @staticmethod
    def _zone_edit(cfg: nginx.Config, host: nginx.Node, line: str) -> nginx.Edit:
        if host is not cfg.root:
            return cfg.insert_lines(host, nginx.last_before_blocks(host), [line])
        first = next((n for n in host.children or () if n.is_block), None)
        anchor = nginx.last_before_blocks(host)
        if anchor is not None or first is None:
            return cfg.insert_lines(host, anchor, [line])
        start = cfg.line_start(first.start)  # before the first block and the comments right above it
        while start > 0:
            prev = cfg.line_start(start - 1)
            if not cfg.text[prev:start].lstrip(" \t").startswith("#"):
                break
            start = prev
        return (start, start, line + cfg.newline + cfg.newline)

    def verify(self, path: str, before: str | None, after: str) -> str | None:
        return nginx.only_insertions(before, after, path) if before is not None else None
