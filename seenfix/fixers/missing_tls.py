"""SF002: the site is served over plain HTTP only."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from seenfix.editors.text import apply_edits, ensure_lines

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis import compose_services as CS
    from seenfix.editors import compose as C
    from seenfix.editors import compose_scripts
    from seenfix.editors import nginx, nginx_tls
    from seenfix.editors import ports as P
    from seenfix.editors import yaml as Y
else:  # loaded when first used (seenfix.core.lazy)
    CS = lazy_module("seenfix.analysis.compose_services")
    C = lazy_module("seenfix.editors.compose")
    compose_scripts = lazy_module("seenfix.editors.compose_scripts")
    nginx = lazy_module("seenfix.editors.nginx")
    nginx_tls = lazy_module("seenfix.editors.nginx_tls")
    P = lazy_module("seenfix.editors.ports")
    Y = lazy_module("seenfix.editors.yaml")

# A TLS-terminating proxy in front of the app, as compose files declare one.
_TLS_PROXY = re.compile(
    r"^\s*image:\s*['\"]?[\w./-]*(traefik|caddy|nginx-proxy|nginxproxy/acme-companion|acme-companion"
    r"|nginx-proxy-manager|haproxy|envoyproxy|cloudflare/cloudflared|certbot)\b"
    r"|^\s*-\s*['\"]?(?:[\d.]+:)?443:\d+",
    re.MULTILINE,
)
_REDIRECT = re.compile(r"^https://")
#: The official nginx image (its /docker-entrypoint.sh starts nginx the way the fix restarts it).
_OFFICIAL_NGINX = re.compile(r"^(?:docker\.io/)?(?:library/)?nginx(?::[\w.-]+)?(?:@\S+)?$")

class MissingTls(Fixer):
    """
    ## What it does
    Reports nginx `server` blocks that listen for plain HTTP only, when no server of the project
    listens with TLS and no TLS-terminating proxy (Traefik, Caddy, nginx-proxy with its ACME
    companion, certbot, HAProxy, a Cloudflare tunnel, or a service publishing port 443) is declared
    in the compose files. A plain server whose only job is to redirect to `https://` is not reported.

    With `--unsafe-fixes` it terminates TLS in that nginx, with Let's Encrypt certificates from a
    certbot service, when the server is the project's public entry point: the official `nginx`
    image (or a build whose final `FROM` is it) of a compose service that publishes port 80 to the
    server's port and serves this config file (it is in the build context, or mounted as a volume).
    The fix:

    - makes the server listen on 443 with `ssl` and HTTP/2, with certbot's certificate and Mozilla's
      "intermediate" settings (TLS 1.2 and 1.3, ECDHE suites, no session tickets);
    - puts a plain server before it, on the old listeners, that answers the ACME HTTP-01 challenge
      from certbot's webroot (`/.well-known/acme-challenge/`) and redirects everything else to
      `https://` with a 301;
    - publishes `443:443` and mounts `./certbot/conf` (certificates) and `./certbot/www` (the
      webroot) read-only into that service, whose command waits for the first certificate, then
      starts nginx as the image does and reloads it within a minute of each renewal;
    - adds a `certbot` service that asks for the certificate (`certbot certonly --webroot
      --keep-until-expiring`: the first one, then a renewal when fewer than 30 days are left) every
      12 hours, or every 10 minutes until one is issued, and makes a self-signed placeholder so
      that nginx can start (and answer the challenge) before the first one exists; its health
      check turns unhealthy when the certificate has fewer than 3 days left (renewals failing);
    - adds `/certbot/` to `.gitignore` (it holds the private key).

    The domain and the e-mail address for Let's Encrypt come from the operator's `.env`
    (`${DOMAIN:?...}`, `${LETSENCRYPT_EMAIL:?...}`, so `docker compose up` stops with a message until
    they are set), or from the `domain` and `email` options. Once the server listens with TLS, SF003
    adds `Strict-Transport-Security` to it.

    Why nginx and certbot rather than a Caddy service in front: in a SEEN-style project nginx is
    already the public entry point and holds what the other fixes put there (security headers,
    rate limits keyed on the client's address, the API proxy). A second proxy in front would hide
    the client's address from nginx (every client would share one rate limit unless `real_ip` is
    set up), need nginx's own port 80 taken off the host, and add HSTS in a Caddyfile that SF003
    does not edit. Terminating TLS in that same nginx keeps one hop and one configuration, and the
    result is plain nginx configuration that `nginx -t` and seenfix's tests check.

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
    ```nginx
    server {
        listen 80;
        location /.well-known/acme-challenge/ { root /var/www/certbot; }
        location / { return 301 https://$host$request_uri; }
    }

    server {
        listen 443 ssl http2;
        ssl_certificate /etc/letsencrypt/live/site/fullchain.pem;
        ssl_certificate_key /etc/letsencrypt/live/site/privkey.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ...
        location /api/ { proxy_pass http://backend:8000; }
    }
    ```
    with a `certbot` service sharing `./certbot/conf` and `./certbot/www` with nginx. A Caddy
    service with automatic HTTPS (`caddy reverse-proxy --from ${DOMAIN} --to frontend:80`) or
    Traefik with its ACME resolver are sound alternatives when nothing else lives in nginx.

    ## Fix safety
    Unsafe (it needs `--unsafe-fixes`): it changes how the site is reached. The domain's DNS must
    point at the host and ports 80 and 443 must be open before Let's Encrypt can issue the
    certificate; until then browsers see the self-signed placeholder. `listen ... http2` makes nginx
    1.25.1 and later log that `http2 on;` is the new spelling. The nginx config is rebuilt into the
    image (`docker compose build`) when it is copied there. A service that already has a `command`,
    an image other than the official `nginx`, or a config served by no published service is
    reported without a fix.

    ## Options
    - `ignore_servers` (list of strings, default `[]`): `server_name` values that are meant to be
      plain HTTP (an internal health endpoint, for example).
    - `domain` (string, default `""`): the site's domain; empty reads `${DOMAIN}` from `.env`.
    - `email` (string, default `""`): the Let's Encrypt account e-mail; empty reads
      `${LETSENCRYPT_EMAIL}` from `.env`.
    - `cert_name` (string, default `"site"`): certbot's certificate name (the folder under
      `/etc/letsencrypt/live/`).
    - `certbot_image` (string, default `"certbot/certbot:v2.11.0"`): the certbot image.

    ## References
    - Mozilla, Server Side TLS: https://wiki.mozilla.org/Security/Server_Side_TLS
    - Mozilla SSL Configuration Generator: https://ssl-config.mozilla.org/
    - OWASP Transport Layer Security Cheat Sheet:
      https://cheatsheetseries.owasp.org/cheatsheets/Transport_Layer_Security_Cheat_Sheet.html
    - Certbot, webroot plugin and `certonly`: https://eff-certbot.readthedocs.io/en/stable/using.html#webroot
    - Let's Encrypt, HTTP-01 challenge: https://letsencrypt.org/docs/challenge-types/#http-01-challenge
    - nginx, `ngx_http_ssl_module`: https://nginx.org/en/docs/http/ngx_http_ssl_module.html
    - Caddy, Automatic HTTPS: https://caddyserver.com/docs/automatic-https
    """

    code = "SF002"
    slug = "missing-tls"
    summary = "The site is served over plain HTTP only"
    seed_issue = 2
    category = "Security"  # readiness score (seenfix report)
    weight = 4
    needs = ("nginx_files",)
    area = "nginx"
    phase = -1  # adds a service (the per-service compose fixers then treat it) and a TLS server (SF003)
    severity = Severity.CRITICAL
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    sets = frozenset({"p0"})
    fix_title = "Terminate TLS in nginx with Let's Encrypt certificates from a certbot service"
    per_file = False
    options = (
        Option("ignore_servers", list, [], "server_name values meant to be plain HTTP."),
        Option("domain", str, "", "The site's domain (empty: ${DOMAIN} from .env)."),
        Option("email", str, "", "Let's Encrypt account e-mail (empty: ${LETSENCRYPT_EMAIL} from .env)."),
        Option("cert_name", str, "site", "certbot's certificate name."),
        Option("certbot_image", str, "certbot/certbot:v2.11.0", "The certbot image."),
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._planned: dict[tuple[str, str], tuple[Y.Document, Y.Plan]] = {}

    # -- finding --------------------------------------------------------------------------------
    def applies(self, project: Project) -> bool:
        return bool(project.layout.nginx_files)

    def _tls_elsewhere(self, project: Project) -> bool:
        for path in project.layout.production_compose:
            text = project.read_text(path)
            if text and _TLS_PROXY.search(text):
                return True
        for path in project.layout.nginx_files:
            text = project.read_text(path)
            try:
                cfg = nginx.parse(text or "", path)
            except InputError:  # reported by check
                continue
            if any(nginx.listens_tls(s) for s in nginx.http_servers(cfg)):
                return True
        return False

    def _plain(self, project: Project) -> Iterator[tuple[str, nginx.Config, nginx.Node]]:
        """Each plain-HTTP server of the project's nginx configs (nothing when TLS is elsewhere)."""
        if self._tls_elsewhere(project):
            return
        ignored = set(self.config["ignore_servers"])
        for path in project.layout.nginx_files:
            text = project.read_text(path)
            if text is None:
                continue
            try:
                cfg = nginx.parse(text, path)
            except InputError as exc:
                project.report(exc.problem())
                continue
            for server in nginx.http_servers(cfg):
                names = {v for d in server.find("server_name") for v in d.arg_values()}
                if not (names & ignored or nginx.listens_tls(server) or _redirects_to_https(server)):
                    yield path, cfg, server

    def check(self, project: Project) -> Iterable[Finding]:
        plain = list(self._plain(project))
        plan = self._plan(project, plain)
        out = []
        for path, _cfg, server in plain:
            listen = server.find("listen")
            line = listen[0].line if listen else server.line
            message = ("this server answers plain HTTP and nothing in the project terminates TLS: credentials "
                       "and tokens cross the network in clear text")
            fixable = isinstance(plan, _Plan) and plan.server is server
            if not isinstance(plan, _Plan):
                message += f" ({plan})"
            out.append(self.finding(path, line, message, fixable=fixable))
        return out

    # -- fixing ---------------------------------------------------------------------------------
    def _plan(self, project: Project, plain: list[tuple[str, nginx.Config, nginx.Node]]) -> _Plan | str:
        """The fix for the project's one public plain server, or why there is none."""
        if len(plain) != 1:
            return "several plain servers: choose where TLS ends by hand" if plain else "nothing to do"
        path, cfg, server = plain[0]
        ports = nginx_tls.plain_ports(server)
        if not ports or len(set(ports)) != 1 or not cfg.starts_line(server.start):
            return "its listen directives are not plain ports: add TLS by hand"
        for compose in project.layout.production_compose:
            text = project.read_text(compose)
            if text is None:
                continue
            try:
                doc = Y.load(text, compose)
            except InputError:
                continue
            for svc in Y.services(doc):
                if isinstance(svc.node, Mapping) and self._serves(svc.node, compose, path, project) \
                        and _publishes(svc.node, 80, ports[0]):
                    return self._compose_plan(project, doc, svc, path, cfg, server)
        return "no compose service publishes port 80 of the nginx image serving it: add TLS by hand"

    @staticmethod
    def _serves(node: Mapping[str, Any], compose: str, conf: str, project: Project) -> bool:
        """The service runs the official nginx image and its container gets ``conf``."""
        image = node.get("image") if isinstance(node.get("image"), str) else CS.final_from(node, compose, project)
        if not image or not _OFFICIAL_NGINX.match(str(image)):
            return False
        base = C.build_context(node, compose)
        if base is not None and (conf.startswith(base + "/") or base == "") and \
                posixpath.basename(conf) in (CS.build_dockerfile(node, compose, project) or ""):
            return True
        here = posixpath.dirname(compose)
        for volume in node.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else (
                volume.get("source") if isinstance(volume, Mapping) else None)
            if isinstance(source, str) and source.startswith("."):
                src = posixpath.normpath(posixpath.join(here, source))
                if conf == src or conf.startswith(src + "/"):
                    return True
        return False

    def _compose_plan(self, project: Project, doc: Y.Document, svc: Y.Service, path: str, cfg: nginx.Config,
                      server: nginx.Node) -> _Plan | str:
        node = svc.node
        services = {s.name for s in Y.services(doc)}
        if "command" in node or "entrypoint" in node:
            return f"service `{svc.name}` has its own command: add TLS by hand"
        if "certbot" in services:
            return "a service is already named certbot: add TLS by hand"
        name, cert = "certbot", self.config["cert_name"]
        plan = Y.Plan()
        entries = node.get("ports")
        if not any((p := P.parse(e)) is not None and p.host_port == "443" for e in entries):
            publish = Y.append_items(doc, node, "ports", [Y.Quoted("443:443")])
            if not publish.edits or "ports" not in Y.own_keys(node):
                return f"the ports of service `{svc.name}` are shared or written in an unusual form: add TLS by hand"
            plan.extend(publish)
        mounts = ["./certbot/conf:/etc/letsencrypt:ro", f"./certbot/www:{nginx_tls.WEBROOT}:ro"]
        if isinstance(node.get("volumes"), list) and node.get("volumes") and "volumes" in Y.own_keys(node):
            plan.extend(Y.append_items(doc, node, "volumes", mounts))
        elif "volumes" not in node:
            plan.extend(Y.ensure_keys(doc, svc.parent, svc.name, {"volumes": mounts}))
        else:
            return f"the volumes of service `{svc.name}` are shared or empty: add TLS by hand"
        command = compose_scripts.add_script(doc, svc.parent, svc.name, "command", ["/bin/sh", "-c"], _nginx_script(cert))
        env = {"DOMAIN": self.config["domain"] or "${DOMAIN:?set DOMAIN in .env (the site's domain name)}",
               "LETSENCRYPT_EMAIL": self.config["email"]
               or "${LETSENCRYPT_EMAIL:?set LETSENCRYPT_EMAIL in .env (for Let's Encrypt's expiry notices)}"}
        service = {"image": self.config["certbot_image"], "restart": "unless-stopped",
                   "environment": {k: Y.Quoted(v) for k, v in env.items()},
                   "volumes": ["./certbot/conf:/etc/letsencrypt", f"./certbot/www:{nginx_tls.WEBROOT}"],
                   # unhealthy when the certificate has fewer than 3 days left: renewals are failing
                   "healthcheck": {"test": [Y.Quoted("CMD"), Y.Quoted("openssl"), Y.Quoted("x509"),
                                            Y.Quoted("-checkend"), Y.Quoted("259200"), Y.Quoted("-noout"),
                                            Y.Quoted("-in"), Y.Quoted(f"/etc/letsencrypt/live/{cert}/fullchain.pem")],
                                   "interval": "5m", "timeout": "10s", "retries": 3, "start_period": "1m"},
                   "entrypoint": ["/bin/sh", "-c"]}
        version = Y.compose_version(doc)
        if version is not None and not (version >= (3, 4) or (2, 3) <= version < (3, 0)):
            del service["healthcheck"]["start_period"]  # not in this legacy format
        certbot = compose_scripts.add_script(doc, doc.data, "services", "command", [], _certbot_script(cert), new_service=(name, service))
        if certbot is not None and C.services_spaced(doc):  # keep the file's blank line between services
            certbot = Y.Plan([Y.Edit(e.start, e.end, doc.newline + e.text) for e in certbot.edits], certbot.changes)
        if command is None or certbot is None:
            return "the compose file is written in a form seenfix does not edit here: add TLS by hand"
        plan.extend(command)
        plan.extend(certbot)
        return _Plan(path, cfg, server, doc, plan)

    def fix(self, project: Project) -> Iterable[FileChange]:
        plan = self._plan(project, list(self._plain(project)))
        if not isinstance(plan, _Plan):
            return []
        compose = plan.plan.apply(plan.doc.text)
        problem = C.verify_plan(plan.doc, plan.plan, compose)
        if problem is not None:
            raise InputError(plan.doc.path, 1, f"fix withheld, its result failed verification: {problem}")
        self._planned[(plan.doc.path, compose)] = (plan.doc, plan.plan)
        conf = apply_edits(plan.cfg.text, nginx_tls.to_tls(plan.cfg, plan.server, self.config["cert_name"]))
        changes = [FileChange(plan.path, conf), FileChange(plan.doc.path, compose)]
        rule = posixpath.normpath(posixpath.join(posixpath.dirname(plan.doc.path), "certbot"))
        gitignore = project.read_text(".gitignore") if project.exists(".gitignore") else None
        new_ignore = ensure_lines(gitignore, [f"/{rule}/"], header="# Let's Encrypt account and private keys (seenfix SF002)")
        if new_ignore != (gitignore or ""):
            changes.append(FileChange(".gitignore", new_ignore))
        return changes

    def verify(self, path: str, before: str | None, after: str) -> str | None:
        if path.endswith(".gitignore"):
            return None if before is None or after.startswith(before) else ".gitignore lost lines"
        if before is None:
            return "SF002 never creates configuration files"
        cached = self._planned.get((path, after))
        if cached is not None:
            return C.verify_plan(cached[0], cached[1], after)
        cfg = nginx.parse(after, path)
        if not any(nginx.listens_tls(s) for s in nginx.http_servers(cfg)):
            return "no server listens with TLS"
        if nginx.only_insertions(before, after.replace("443 ssl http2", "80"), path) is not None:
            return "directives of the original were lost"
        return None


@dataclass(frozen=True)
class _Plan:
    path: str  # the nginx config
    cfg: nginx.Config
    server: nginx.Node
    doc: Y.Document  # the compose file
    plan: Y.Plan


def _redirects_to_https(server: nginx.Node) -> bool:
    for node in server.find("return"):
        values = node.arg_values()
        if values and _REDIRECT.match(values[-1]):
            return True
    return False


def _publishes(node: Mapping[str, Any], host: int, target: int) -> bool:
    for entry in node.get("ports") or []:
        port = P.parse(entry)
        if port is not None and port.host_port == str(host) and port.target == str(target):
            return True
    return False


def _nginx_script(cert: str) -> list[str]:
    live = f"/etc/letsencrypt/live/{cert}/fullchain.pem"
    return [
        "# wait for certbot's first certificate, start nginx as the image does,",
        "# and reload it within a minute of each renewal (seenfix SF002)",
        f'until [ -s {live} ]; do echo "waiting for the certificate"; sleep 5; done',
        "touch /tmp/certificate-loaded",
        "while sleep 60; do",
        f"  if [ {live} -nt /tmp/certificate-loaded ]; then touch /tmp/certificate-loaded; nginx -s reload; fi",
        "done &",
        'exec /docker-entrypoint.sh nginx -g "daemon off;"',
    ]


def _certbot_script(cert: str) -> list[str]:
    live, webroot = f"/etc/letsencrypt/live/{cert}", nginx_tls.WEBROOT
    return [
        "# ask for the certificate every 12 h (a renewal when fewer than 30 days are left), every",
        "# 10 min until the first one is issued; a self-signed placeholder lets nginx start first",
        "trap exit TERM",
        "while :; do",
        f"  [ -e /etc/letsencrypt/renewal/{cert}.conf ] || rm -rf {live}",
        f"  if certbot certonly --webroot -w {webroot} --cert-name {cert} -d \"$$DOMAIN\" \\",
        "      -m \"$$LETSENCRYPT_EMAIL\" --agree-tos --no-eff-email --non-interactive --keep-until-expiring; then",
        "    pause=12h",
        "  else",
        "    pause=10m",
        f"    if [ ! -s {live}/fullchain.pem ]; then",
        f"      mkdir -p {live} && openssl req -x509 -nodes -newkey rsa:2048 -days 7 -subj /CN=localhost \\",
        f"        -keyout {live}/privkey.pem -out {live}/fullchain.pem",
        "    fi",
        "  fi",
        "  sleep \"$$pause\" & wait $$!",
        "done",
    ]
