"""SF003: nginx serves the app without security headers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TYPE_CHECKING

from seenfix.editors.text import apply_edits
from seenfix.core.lazy import lazy_module
from seenfix.core.model import FileFixer, Finding, Option, Severity
from seenfix.core.pathmatch import Prefiltered
from seenfix.core.project import Project, is_test_path, root_folders, under_roots

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.filepass import FilePass
    from seenfix.editors import nginx
else:  # loaded when first used (seenfix.core.lazy)
    nginx = lazy_module("seenfix.editors.nginx")

HSTS = "Strict-Transport-Security"
CSP = "Content-Security-Policy"
CSP_RO = "Content-Security-Policy-Report-Only"
DEFAULTS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    CSP: "",  # built for the app, see csp()
    HSTS: "max-age=63072000; includeSubDomains",
}
SECURITY = {name.lower() for name in DEFAULTS} | {CSP_RO.lower()}
URL = re.compile(r"""["'`(=]\s*(https|wss)://([A-Za-z0-9.-]+(?::\d+)?)([^\s"'`<>)]*)""")
#: `VITE_X=https://...` (env files), `VITE_X: https://...` or `VITE_X: ${VITE_X:-https://...}` (compose)
ENV_URL = re.compile(r"""^\s*(?:-\s*)?(?:export\s+)?(VITE_\w+)\s*[=:]\s*["']?(?:\$\{VITE_\w+:?-)?"""
                     r"""(https|wss)://([A-Za-z0-9.-]+(?::\d+)?)([^\s"'}]*)""", re.MULTILINE)
NOT_ORIGINS = re.compile(r"(^|\.)(localhost|example\.(com|org|net)|w3\.org|127\.0\.0\.1|0\.0\.0\.0)(:\d+)?$")
CSP_NAMES = {CSP.lower(), CSP_RO.lower()}
#: Files that are not part of the served app (their URLs are not the app's origins).
NOT_SERVED = Prefiltered(
    r"(^|/)(docs?|examples?|experiments?|demos?|samples?|stories|\.storybook|scripts|e2e|cypress|playwright|"
    r"node_modules|vendor|third[_-]party|dist|build|coverage|plugins?/[^/]+/examples?)/"
    r"|\.(stories|min)\.[cm]?[jt]sx?$",
    ("doc", "example", "experiment", "demo", "sample", "stories", "storybook", "scripts", "e2e", "cypress",
     "playwright", "node_modules", "vendor", "third", "dist", "build", "coverage", ".min."))
#: The CSP before the app's own origins are added (Mozilla's "locked down" policy, with inline styles
#: allowed because SolidJS templates carry `style` attributes).
CSP_BASE: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",), "script-src": ("'self'",), "style-src": ("'self'", "'unsafe-inline'"),
    "img-src": ("'self'", "data:"), "font-src": ("'self'", "data:"), "connect-src": ("'self'",),
    "object-src": ("'none'",), "base-uri": ("'self'",), "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


class MissingSecurityHeaders(FileFixer):
    """Add security headers and `server_tokens off` to every nginx HTTP server.

    ## What it does
    Checks that every HTTP `server` block sends X-Content-Type-Options, X-Frame-Options,
    Referrer-Policy, Permissions-Policy, Cross-Origin-Opener-Policy, Content-Security-Policy and,
    on servers that listen with TLS, Strict-Transport-Security — with `always`, so that 4xx and 5xx
    responses carry them too — and that `server_tokens` is off. nginx inherits `add_header` from the
    enclosing level only when a level has none of its own, so every `location` (or `if` in a
    location) that sets its own header, like SEEN's `location /assets/` with its `Cache-Control`,
    gets the set as well.

    ## Why is this bad?
    Without a Content-Security-Policy an injected script runs with the page's full rights (XSS);
    without X-Frame-Options / `frame-ancestors` the app can be framed for clickjacking; without
    nosniff, Referrer-Policy and HSTS, browsers guess content types, leak URLs and can be downgraded
    to plain HTTP. `server_tokens on` advertises the exact nginx version to attackers.

    ## Example
    ```nginx
    server {
        listen 80;
        location /assets/ {
            add_header Cache-Control "public, immutable";
        }
    }
    ```

    ## Use instead
    ```nginx
    server {
        listen 80;
        server_tokens off;
        add_header X-Content-Type-Options "nosniff" always;
        add_header X-Frame-Options "DENY" always;
        add_header Content-Security-Policy-Report-Only "default-src 'self'; ..." always;
        location /assets/ {
            add_header Cache-Control "public, immutable";
            add_header X-Content-Type-Options "nosniff" always;
            add_header X-Frame-Options "DENY" always;
            add_header Content-Security-Policy-Report-Only "default-src 'self'; ..." always;
        }
    }
    ```

    ## Fix safety
    A Content-Security-Policy can break an app (a blocked script, image or frame), so the safe fix
    ships it as `Content-Security-Policy-Report-Only`, the standard rollout: browsers report
    violations and block nothing. Enforcing it is an unsafe fix (`--unsafe-fixes`, or
    `csp_report_only = false`): do it once the reports are clean. That run renames the
    `Content-Security-Policy-Report-Only` header seenfix wrote to `Content-Security-Policy` in
    place (never both); until then each such header is a low finding only that flag fixes. A
    report-only policy seenfix did not write (yours, or one from before the app's origins changed)
    is left report-only and reported by the enforcing run; a block that already sends both headers
    is left alone. The policy never contradicts a
    header the config already sends: with `X-Frame-Options SAMEORIGIN` (the app frames itself)
    `frame-ancestors` is `'self'`, not `'none'`, and an existing `frame-ancestors 'self'` gives
    X-Frame-Options `SAMEORIGIN`. Origins come only from the code the served app is built from
    (the frontend's sources and `index.html`, not docs, examples, experiments, stories, tests or
    vendored files); `blob:` is allowed for images and fetches when the code calls
    `URL.createObjectURL`, and `'wasm-unsafe-eval'` when it uses `WebAssembly`. A server or
    location that includes a file by an absolute path outside the project
    (`include /etc/nginx/snippets/headers.conf;`) is reported, not edited: that file may set the
    same headers, and nginx would then send both values.

    The fix only inserts directives, in the file's indentation and line endings, and appends
    `always` to existing security headers that lack it (a declared in-place edit). Header values the
    user already set are kept and copied into the locations that need them. Where a server starts
    sending its own headers, the `http`-level headers it used to inherit are carried along. The CSP
    is built from the origins the frontend really uses (absolute `https://` URLs in its TS/TSX
    sources and `index.html`, and `VITE_*` URLs in env and compose files, e.g. image.tmdb.org, images.igdb.com,
    Google Fonts); API calls proxied by nginx (`location /api/ { proxy_pass ...; }`) are
    same-origin and covered by `'self'`. Snippets pulled in with `include` are followed when they
    are part of the project, so headers or `server_tokens` they set are not added twice. In a
    one-line block (`location /x { ... }`) the directives are added on that same line.
    Origins built at run time from variables cannot be discovered: the report-only rollout shows
    them. HSTS is only added to servers
    that listen with TLS; a plain-HTTP server gets it once TLS is set up (SF002).

    ## Options
    - `headers` (table): header name -> value, overriding any default (an empty string leaves that
      header out), e.g. `"X-Frame-Options" = "SAMEORIGIN"`.
    - `csp_report_only` (bool, default true): send the CSP as `Content-Security-Policy-Report-Only`
      (`--unsafe-fixes` sends it enforcing; `false` enforces it always).
    - `csp_sources` (table): CSP directive -> list of extra sources, e.g.
      `"img-src" = ["https://cdn.example.com"]`.
    - `discover_origins` (bool, default true): scan the frontend sources for origins.
    - `server_tokens` (bool, default true): add `server_tokens off`.

    ## References
    - OWASP Secure Headers Project: https://owasp.org/www-project-secure-headers/
    - Mozilla web security guidelines: https://infosec.mozilla.org/guidelines/web_security
    - MDN, Content-Security-Policy: https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP
    - nginx `add_header` (inheritance, `always`): https://nginx.org/en/docs/http/ngx_http_headers_module.html
    """

    code: ClassVar[str] = "SF003"
    slug: ClassVar[str] = "missing-security-headers"
    summary: ClassVar[str] = "Missing security headers in nginx"
    seed_issue: ClassVar[int] = 3
    category: ClassVar[str] = "Security"  # readiness score (seenfix report)
    weight: ClassVar[int] = 3
    needs: ClassVar[tuple[str, ...]] = ("nginx_files",)
    area: ClassVar[str] = "nginx"
    severity: ClassVar[Severity] = Severity.HIGH
    sets: ClassVar[frozenset[str]] = frozenset({"quick-wins", "p0"})
    fix_title: ClassVar[str] = "Add security headers with `always` and `server_tokens off`"
    follow_up: ClassVar[str] = ("Review the Content-Security-Policy: load every page of the frontend with the "
                                "browser console open and look for blocked scripts, styles or connections "
                                "before merging.")
    _csp: tuple[Project, str] | None = None
    _origins: FilePass | None = None
    #: Not per file: included snippets and the frontend's sources (for the CSP) are read too.
    per_file: ClassVar[bool] = False
    options: ClassVar[tuple[Option, ...]] = (
        Option("headers", dict, {}, "header name -> value overriding the defaults"),
        Option("csp_report_only", bool, True, "send Content-Security-Policy-Report-Only (enforce with --unsafe-fixes)"),
        Option("csp_sources", dict, {}, "CSP directive -> list of extra sources"),
        Option("discover_origins", bool, True, "scan the frontend for the origins it uses"),
        Option("server_tokens", bool, True, "add server_tokens off"),
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = super().validate_options(options)
        headers, sources = options.get("headers"), options.get("csp_sources")  # not tables: said above
        for key, value in (headers if isinstance(headers, dict) else {}).items():
            if not isinstance(value, str):
                problems.append((f"headers.{key}", "expected a string"))
        for key, value in (sources if isinstance(sources, dict) else {}).items():
            if key not in CSP_BASE:
                problems.append((f"csp_sources.{key}", "unknown CSP directive"))
            elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append((f"csp_sources.{key}", "expected a list of strings"))
        return problems

    # -- find -------------------------------------------------------------------------------------
    def targets(self, project: Project) -> Iterable[str]:
        return project.layout.nginx_files

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        return self._plan(path, text, project)[0]

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        edits = self._plan(path, text, project)[1]
        return apply_edits(text, edits) if edits else None

    def verify(self, path: str, before: str | None, after: str) -> str | None:
        """The fix may only add directives and `always` words, and rename seenfix's report-only CSP to
        the enforcing header: nothing of the user's may go."""
        renames = {CSP_RO: CSP, f'"{CSP_RO}"': f'"{CSP}"', f"'{CSP_RO}'": f"'{CSP}'"}
        return None if before is None else nginx.only_insertions(before, after, path, renames)

    # -- the header set ---------------------------------------------------------------------------
    def wanted(self, project: Project, tls: bool) -> dict[str, str]:
        """Header name -> value for a server (HSTS only with TLS); configured values win."""
        values = dict(DEFAULTS, **{CSP: self.csp(project)})
        values.update({k: v for k, v in self.config["headers"].items()})
        if not tls:
            values.pop(HSTS, None)
        if not self.enforces() and CSP in values:
            values = {CSP_RO if k == CSP else k: v for k, v in values.items()}  # same place in the order
        return {k: v for k, v in values.items() if v}

    def enforces(self) -> bool:
        """The CSP is sent enforcing in this run (``--unsafe-fixes``, or ``csp_report_only = false``)."""
        return self.unsafe_fixes or not self.config["csp_report_only"]

    def ours(self, project: Project, node: nginx.Node, have: Mapping[str, str]) -> bool:
        """``node`` (an ``add_header`` of a CSP) sends the policy seenfix writes for a block that
        sends ``have``: the app's policy (or the configured one), agreeing with the block's headers."""
        policy = self.config["headers"].get(CSP, self.csp(project))
        return len(node.args) >= 2 and bool(policy) and node.args[1].value == _agreeing(CSP, policy, have)

    def csp(self, project: Project) -> str:
        """The Content-Security-Policy for the app (computed once per project)."""
        if self._csp is not None and self._csp[0] is project:
            return self._csp[1]
        value = self._build_csp(project)
        self._csp = (project, value)
        return value

    def _build_csp(self, project: Project) -> str:
        sources = {directive: list(base) for directive, base in CSP_BASE.items()}
        if self.config["discover_origins"]:
            for directive, origin in discover_origins(project, self._origins_pass(project)):
                sources[directive].append(origin)
        for directive, extra in self.config["csp_sources"].items():
            sources[directive].extend(extra)
        return "; ".join(f"{d} {' '.join(dict.fromkeys(values))}" for d, values in sources.items())

    def file_passes(self, project: Project) -> list[FilePass]:
        """The scan of the frontend's sources for origins (when there is an nginx config to give a
        Content-Security-Policy), in the run's parallel pass over the files, cached by digest."""
        return [self._origins_pass(project)] if self.config["discover_origins"] and project.layout.nginx_files else []

    def _origins_pass(self, project: Project) -> FilePass:
        from seenfix.core.cache import ResultCache, module_stat
        from seenfix.core.filepass import FilePass

        if self._origins is None:
            self._origins = FilePass(f"{self.code}-origins", [], origins_of,
                                     cache=ResultCache(f"{self.code}-origins", [module_stat(__name__)]),
                                     store=_keep, restore=_keep)
        self._origins.paths = origin_files(project)
        return self._origins

    def cache_writes(self) -> list[tuple[str, bytes]]:
        """The origins of every source, for the engine to store."""
        entry = self._origins.cache.dump() if self._origins is not None and self._origins.cache is not None else None
        return [entry] if entry is not None else []

    # -- plan: findings and edits together, so check and fix always agree ---------------------------
    def _plan(self, path: str, text: str, project: Project) -> tuple[list[Finding], list[nginx.Edit]]:
        cfg = nginx.parse(text, path)
        resolve = nginx.include_resolver(project.files_named, project.read_text, path)
        findings: list[Finding] = []
        edits: list[nginx.Edit] = []
        for node in cfg.walk():
            if node.name == "add_header" and nginx.header_name(node) in SECURITY and not nginx.has_always(node):
                edits.append(cfg.append_arg(node, "always"))
                findings.append(self.finding(path, node.line, f"`add_header {node.args[0].value}` is not sent "
                                             "on error responses (no `always`)"))
        http = next((n for n in cfg.walk() if n.name == "http" and n.parent is cfg.root), None)
        # what servers inherit: the http block, or the top level of a file included in one
        level = http or (cfg.root if nginx.file_context(cfg) == "http" else None)
        tokens_at_http = level is not None and bool(nginx.directives(level, "server_tokens", resolve))
        if http is not None and self.config["server_tokens"] and not tokens_at_http:
            edits.append(cfg.insert_lines(http, nginx.last_before_blocks(http), ["server_tokens off;"]))
            findings.append(self.finding(path, http.line, "`server_tokens` is on: nginx discloses its version"))
            tokens_at_http = True
        inherited = _lines(nginx.header_directives(level, resolve)) if level is not None else {}
        wanted = {tls: self.wanted(project, tls) for tls in (False, True)}
        for server in nginx.http_servers(cfg):
            tls = nginx.listens_tls(server)
            has_tokens = tokens_at_http or bool(nginx.directives(server, "server_tokens", resolve))
            head = [] if has_tokens or not self.config["server_tokens"] else ["server_tokens off;"]
            self._level(cfg, server, inherited, wanted[tls], tls, head, resolve, findings, edits)
        self._rollout(cfg, project, resolve, findings, edits)
        return findings, edits

    def _rollout(self, cfg: nginx.Config, project: Project, resolve: nginx.Resolver, findings: list[Finding],
                 edits: list[nginx.Edit]) -> None:
        """The second step of the CSP rollout: seenfix's own `Content-Security-Policy-Report-Only`
        becomes the enforcing header when the run enforces (the header is renamed, so the block never
        sends both); without `--unsafe-fixes` it is a low finding whose fix needs that flag.  A
        report-only policy seenfix did not write (the user's, or seenfix's from before the app's
        origins changed) is left as it is and reported when the run enforces.  A block that also
        sends an enforcing CSP is left alone: two policies side by side are a deliberate test."""
        enforce = self.enforces()
        for node in cfg.walk():
            if node.name != "add_header" or nginx.header_name(node) != CSP_RO.lower() or node.parent is None:
                continue
            siblings = nginx.header_directives(node.parent, resolve)
            if any(nginx.header_name(n) == CSP.lower() for n in siblings):
                continue
            if self.ours(project, node, _lines(siblings)):
                if enforce:
                    name = node.args[0]
                    edits.append((name.start, name.end, name.raw.replace(CSP_RO, CSP)))
                findings.append(self.finding(
                    cfg.path, node.line, f"{CSP_RO} (seenfix's rollout) reports violations and blocks nothing: "
                    "send it enforcing once the browsers' reports are clean", severity=Severity.LOW,
                    fix_title=f"Rename the header to {CSP}", fixable=enforce, unsafe_fix=not enforce))
            elif enforce:
                findings.append(self.finding(
                    cfg.path, node.line, f"{CSP_RO} is not the policy seenfix writes (yours, or the app's "
                    "origins changed since): it is left report-only", severity=Severity.LOW, fixable=False,
                    fix_title=f"Rename the header to {CSP} yourself once the browsers' reports are clean"))

    def _level(self, cfg: nginx.Config, server: nginx.Node, inherited: dict[str, str], wanted: dict[str, str],
               tls: bool, head: list[str], resolve: nginx.Resolver, findings: list[Finding],
               edits: list[nginx.Edit]) -> None:
        """The server block, then its locations (and the ``if`` blocks inside them), in file order;
        each block with ``add_header`` of its own gets every wanted header.  A stack, not recursion:
        locations nested thousands deep are handled too."""
        todo: list[tuple[nginx.Node, dict[str, str], list[str]]] = [(server, inherited, head)]
        while todo:
            block, inherited, head = todo.pop()
            own = nginx.header_directives(block, resolve)
            have = _lines(own) if own else dict(inherited)
            add: list[str] = list(head)
            unreadable = _unreadable_includes(block, resolve)
            if unreadable and (own or block.name == "server"):
                where = "server" if block.name == "server" else f"{block.name} {' '.join(block.arg_values())}"
                findings.append(self.finding(
                    cfg.path, block.line, f"{where} includes {', '.join(unreadable)}, which is not in the project: "
                    "it may set security headers, so none are added here (a second value would be sent); "
                    "check that file and add the missing ones by hand", fixable=False))
                add = []
            elif own or block.name == "server":  # a block without add_header of its own inherits: leave it
                present = set(have) | (CSP_NAMES if CSP_NAMES & set(have) else set())  # either CSP will do
                missing = [h for h in wanted if h.lower() not in present]
                if missing:
                    if not own:  # the block starts having headers of its own: carry the inherited ones along
                        add += list(inherited.values())
                    staged = False  # seenfix's report-only CSP goes in: --unsafe-fixes would enforce it
                    for h in missing:
                        value = _agreeing(h, wanted[h], have)
                        default = f"add_header {h} {nginx.quote(value, force=True)} always;"
                        same = (CSP.lower(), CSP_RO.lower()) if h.lower() in CSP_NAMES else (h.lower(),)
                        have[h.lower()] = next((inherited[n] for n in same if n in inherited), default)
                        add.append(have[h.lower()])
                        staged = staged or h == CSP_RO and have[h.lower()] == default
                    where = "server" if block.name == "server" else f"{block.name} {' '.join(block.arg_values())}"
                    why = "" if block.name == "server" else " (it sets its own add_header, so it inherits none)"
                    named = [CSP if h == CSP_RO else h for h in missing]  # the problem: no CSP at all
                    hsts = "" if tls or self.config["headers"].get(HSTS) == "" else \
                        "; Strict-Transport-Security waits for TLS (SF002)"
                    findings.append(self.finding(cfg.path, block.line,
                                                 f"{where} does not send {', '.join(named)}{why}{hsts}",
                                                 unsafe_fix=staged))
                elif head:
                    findings.append(self.finding(cfg.path, block.line,
                                                 "`server_tokens` is on: nginx discloses its version"))
            if add:
                direct = [n for n in block.children or () if n.name == "add_header"]
                anchor = direct[-1] if direct else nginx.last_before_blocks(block)
                edits.append(cfg.insert_lines(block, anchor, add))
            inner = [child for child in block.children or ()
                     if child.name == "location" or child.name == "if" and block.name == "location"]
            todo.extend((child, have, []) for child in reversed(inner))


#: Included files that never set headers (nginx's own parameter files).
_STANDARD_INCLUDES = re.compile(r"(^|/)(mime\.types|fastcgi_params|fastcgi\.conf|proxy_params|uwsgi_params|scgi_params)$")


def _unreadable_includes(block: nginx.Node, resolve: nginx.Resolver) -> list[str]:
    """The files ``block`` includes by an absolute path (``/etc/nginx/snippets/...``) that is not in
    the project: they live on the server, where they may set headers.  (A relative include that is
    missing is a snippet of the same repository not checked out here: it is left to nginx -t.)"""
    out = []
    for child in block.children or ():
        if child.name == "include" and child.args:
            target = child.args[0].value
            if target.startswith("/") and not _STANDARD_INCLUDES.search(target) and resolve(target) is None:
                out.append(target)
    return out


def _agreeing(header: str, value: str, have: Mapping[str, str]) -> str:
    """``value`` for ``header``, made to agree with the headers the block already sends: a CSP's
    ``frame-ancestors`` follows an existing X-Frame-Options (SAMEORIGIN: the app frames itself)."""
    if header.lower() == "x-frame-options":
        csp = have.get(CSP.lower(), "") or have.get(CSP_RO.lower(), "")
        return "SAMEORIGIN" if "frame-ancestors 'self'" in csp else value
    if header.lower() not in CSP_NAMES:
        return value
    xfo = have.get("x-frame-options", "").upper()
    if "SAMEORIGIN" in xfo:
        return value.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    return value


def _lines(nodes: list[nginx.Node]) -> dict[str, str]:
    """Header name (lower case) -> the directive's text, with `always` for security headers."""
    out: dict[str, str] = {}
    for node in nodes:
        words = [node.name] + [a.raw for a in node.args]
        if nginx.header_name(node) in SECURITY and not nginx.has_always(node):
            words.append("always")
        out.setdefault(nginx.header_name(node), " ".join(words) + ";")
    return out


def origin_files(project: Project) -> tuple[str, ...]:
    """The frontend's served sources :func:`discover_origins` reads (once per list of files)."""
    return project.derived("SF003 origin files", lambda: _origin_files(project))


def _origin_files(project: Project) -> tuple[str, ...]:
    roots = root_folders(project.layout.frontend_roots)

    def served(p: str) -> bool:  # the app's own code: not tests, docs, examples, experiments, vendored files
        return not is_test_path(p) and not NOT_SERVED.search(p) and (not roots or under_roots(p, roots))

    scripts = [q for q in project.files() if q.endswith((".js", ".jsx", ".mjs"))] if roots else []  # a frontend's
    files = [p for p in project.layout.ts_files + scripts if served(p)]
    files += [p for p in project.files() if p.endswith(".html") and served(p)]
    return tuple(files)


def origins_of(path: str, text: str) -> tuple[tuple[tuple[str, str], ...], bool]:
    """(CSP directive, origin) pairs one source uses, in the form of a :class:`FilePass` function."""
    found: dict[tuple[str, str], None] = {}
    if "URL.createObjectURL" in text:  # blob: URLs shown as images or fetched
        found[("img-src", "blob:")] = None
        found[("connect-src", "blob:")] = None
    if "WebAssembly." in text:
        found[("script-src", "'wasm-unsafe-eval'")] = None
    for scheme, host, rest in URL.findall(text) if "s://" in text else ():  # https://, wss://
        if NOT_ORIGINS.search(host.lower()):
            continue
        found[(_directive(scheme, host.lower(), rest.lower()), f"{scheme}://{host.lower()}")] = None
        if host.lower() == "fonts.googleapis.com":
            found[("font-src", "https://fonts.gstatic.com")] = None
    return tuple(found), False


def discover_origins(project: Project, spec: FilePass | None = None) -> list[tuple[str, str]]:
    """(CSP directive, origin) pairs for the absolute URLs the frontend's sources use; each source's
    answered by ``spec`` (the fixer's pass of :func:`origins_of`, cached) when given."""
    files = origin_files(project)
    found: dict[tuple[str, str], None] = {}
    if spec is None:
        for path in files:
            found.update(dict.fromkeys(origins_of(path, project.read_text(path) or "")[0]))
    else:
        from seenfix.core.filepass import run_pass

        for _, pairs in run_pass(project, spec, files):
            found.update(dict.fromkeys(pairs))
    for path in project.layout.env_files + project.layout.production_compose:  # VITE_* values are bundled, public
        for var, scheme, host, rest in ENV_URL.findall(project.read_text(path) or ""):
            if not NOT_ORIGINS.search(host.lower()):
                kind = "img-src" if re.search("IMAGE|IMG", var) else _directive(scheme, host.lower(), rest.lower())
                found[(kind, f"{scheme}://{host.lower()}")] = None
    return sorted(found)


def _keep(path: str, found: Any) -> Any:
    return found


def _directive(scheme: str, host: str, rest: str) -> str:
    path = rest.split("?")[0]
    if scheme == "wss":
        return "connect-src"
    if host == "fonts.googleapis.com" or path.endswith(".css"):
        return "style-src"
    if host == "fonts.gstatic.com" or re.search(r"\.(woff2?|ttf|otf|eot)$", path):
        return "font-src"
    if path.endswith((".js", ".mjs")):
        return "script-src"
    if re.search(r"(^|[.-])(img|image|images|media|static|cdn)\d*[.-]", host) or "/image" in path \
            or re.search(r"\.(png|jpe?g|gif|webp|avif|svg|ico)$", path):
        return "img-src"
    return "connect-src"
