"""SF002: the site is served over plain HTTP only."""

from __future__ import annotations

import re
from collections.abc import Iterable

from seenfix.editors import nginx
from seenfix.core.model import Applicability, FileFixer, Finding, FixAvailability, Option, Severity
from seenfix.core.project import Project

# A TLS-terminating proxy in front of the app, as compose files declare one.
_TLS_PROXY = re.compile(
    r"^\s*image:\s*['\"]?[\w./-]*(traefik|caddy|nginx-proxy|nginxproxy/acme-companion|acme-companion"
    r"|nginx-proxy-manager|haproxy|envoyproxy|cloudflare/cloudflared)\b"
    r"|^\s*-\s*['\"]?(?:[\d.]+:)?443:\d+",
    re.MULTILINE,
)
_REDIRECT = re.compile(r"^https://")


class MissingTls(FileFixer):
    """
    ## What it does
    Reports nginx `server` blocks that listen for plain HTTP only, when no server of the project
    listens with TLS and no TLS-terminating proxy (Traefik, Caddy, nginx-proxy with its ACME
    companion, HAProxy, a Cloudflare tunnel, or a service publishing port 443) is declared in the
    compose files. A plain server whose only job is to redirect to `https://` is not reported.

    ## Why is this bad?
    Without TLS every request crosses the network in clear text: passwords at login, the JWT in
    every `Authorization` header, and the session in every response. Anyone on the path (the café
    Wi-Fi, a compromised router, the ISP) can read or change them (the seed assessment's issue 2,
    "No HTTPS/TLS", CRITICAL). Browsers also refuse several features (service workers, secure
    cookies, HSTS) on plain HTTP.

    ## Example
    ```nginx
    server {
        listen 80;
        location /api/ { proxy_pass http://backend:8000; }
    }
    ```

    ## Use instead
    Terminate TLS in front of the app. The smallest change for a compose deployment is a Caddy
    service with automatic Let's Encrypt certificates:
    ```yaml
    caddy:
      image: caddy:2
      ports: ["80:80", "443:443"]
      command: caddy reverse-proxy --from ${SEEN_DOMAIN:?set SEEN_DOMAIN} --to frontend:80
      volumes: [caddy_data:/data]
    ```
    or add `listen 443 ssl;` with `ssl_certificate`/`ssl_certificate_key` from certbot to the nginx
    server and redirect port 80 to `https://`. Then enable HSTS (SF003 adds it to TLS servers).

    ## Fix safety
    There is no automatic fix: TLS needs a domain name, certificates and a decision about where TLS
    ends, which only the operator can make. The finding is display-only.

    ## Options
    - `ignore_servers` (list of strings, default `[]`): `server_name` values that are meant to be
      plain HTTP (an internal health endpoint, for example).

    ## References
    - Mozilla, Server Side TLS: https://wiki.mozilla.org/Security/Server_Side_TLS
    - Mozilla SSL Configuration Generator: https://ssl-config.mozilla.org/
    - OWASP Transport Layer Security Cheat Sheet:
      https://cheatsheetseries.owasp.org/cheatsheets/Transport_Layer_Security_Cheat_Sheet.html
    - Caddy, Automatic HTTPS: https://caddyserver.com/docs/automatic-https
    - Let's Encrypt, Getting Started: https://letsencrypt.org/getting-started/
    """

    code = "SF002"
    slug = "missing-tls"
    summary = "The site is served over plain HTTP only"
    seed_issue = 2
    category = "Security"  # readiness score (seenfix report)
    weight = 4
    needs = ("nginx_files",)
    area = "nginx"
    severity = Severity.CRITICAL
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY
    sets = frozenset({"p0"})
    fix_title = "Terminate TLS in front of the app (Caddy, Traefik or certbot with nginx)"
    per_file = False
    options = (Option("ignore_servers", list, [], "server_name values meant to be plain HTTP."),)

    def targets(self, project: Project) -> Iterable[str]:
        if self._tls_elsewhere(project):
            return []
        return project.layout.nginx_files

    def _tls_elsewhere(self, project: Project) -> bool:
        for path in project.layout.compose_files:
            text = project.read_text(path)
            if text and _TLS_PROXY.search(text):
                return True
        for path in project.layout.nginx_files:
            text = project.read_text(path)
            try:
                cfg = nginx.parse(text or "", path)
            except Exception:  # noqa: BLE001 - a broken file is reported by check_file
                continue
            if any(nginx.listens_tls(s) for s in nginx.http_servers(cfg)):
                return True
        return False

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        cfg = nginx.parse(text, path)
        ignored = set(self.config["ignore_servers"])
        for server in nginx.http_servers(cfg):
            names = {v for d in server.find("server_name") for v in d.arg_values()}
            if names & ignored or nginx.listens_tls(server) or self._redirects_to_https(server):
                continue
            listen = server.find("listen")
            line = listen[0].line if listen else server.line
            yield self.finding(path, line, "this server answers plain HTTP and nothing in the project terminates "
                               "TLS: credentials and tokens cross the network in clear text")

    @staticmethod
    def _redirects_to_https(server: nginx.Node) -> bool:
        for node in server.find("return"):
            values = node.arg_values()
            if values and _REDIRECT.match(values[-1]):
                return True
        return False
