"""SF003 on a real nginx: the fixed SEEN frontend config served on 127.0.0.1.

nginx runs in the foreground (``daemon off; master_process off;``) with a temporary prefix, on a free
high port; the API upstream points at a closed port so ``/api/`` answers 502.  Every response — the
SPA, a hashed asset (whose location sets its own ``Cache-Control``), the 502 and a 404 — must carry
every security header, and ``Server`` must not carry the version.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import nginx_harness as harness
from seenfix.editors import nginx
from seenfix.editors.text import apply_edits
from seenfix.fixers.missing_security_headers import SECURITY, MissingSecurityHeaders
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
SEEN = ROOT / "fixtures" / "seen"
CASE = ROOT / "tests" / "fixtures" / "missing-security-headers" / "seen-frontend" / "before"
NGINX_CONF = "frontend/nginx.conf"

pytestmark = pytest.mark.skipif(harness.NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")


def _seen_source() -> Path:
    for root in (SEEN, CASE):
        if (root / NGINX_CONF).exists():
            return root
    pytest.skip(f"no SEEN frontend nginx.conf under {SEEN} or {CASE}")


@pytest.fixture
def fixed(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The fixed SEEN nginx.conf and the headers the fixer meant to add."""
    repo = tmp_path / "repo"
    shutil.copytree(_seen_source(), repo)
    project = Project(Workspace(repo))
    fixer = MissingSecurityHeaders()
    changes = {c.path: c.content for c in fixer.fix(project)}
    assert NGINX_CONF in changes, "SF003 did not change the SEEN nginx.conf"
    text = changes[NGINX_CONF]
    assert text is not None
    return text, fixer.wanted(project, tls=False)


def _local(text: str, prefix: Path) -> str:
    """``root`` under ``prefix/html`` (with an index, an asset and a download) and upstreams down."""
    html = prefix / "html"
    for rel, body in {"index.html": "<!doctype html><title>SEEN</title>", "assets/app.js": "console.log(1);",
                      "downloads/x": "file"}.items():
        (html / rel).parent.mkdir(parents=True, exist_ok=True)
        (html / rel).write_text(body)
    cfg = nginx.parse(text, "live.conf")
    edits: list[nginx.Edit] = []
    dead = harness.free_port()
    for node in cfg.walk():
        if node.name == "root":
            edits.append((node.args[0].start, node.args[0].end, str(html)))
        elif node.name == "proxy_pass":
            edits.append((node.args[0].start, node.args[0].end, f"http://127.0.0.1:{dead}"))
    return apply_edits(text, edits)


@pytest.fixture
def server(tmp_path: Path, fixed: tuple[str, dict[str, str]]) -> Iterator[int]:
    prefix = tmp_path / "prefix"
    with harness.serve(_local(fixed[0], prefix), "http", prefix) as served:
        yield served[0].port


def test_fixed_seen_config_passes_nginx_t(fixed: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    result = harness.nginx_t(fixed[0], "http", tmp_path / "t")
    assert result.ok, result.error


def test_every_response_carries_every_header(server: int, fixed: tuple[str, dict[str, str]]) -> None:
    wanted = fixed[1]
    assert "Strict-Transport-Security" not in wanted  # SEEN's server is plain HTTP
    expected_status = {"/": 200, "/assets/app.js": 200, "/api/health": 502, "/assets/missing.js": 404}
    seen = 0
    for path, status in expected_status.items():
        resp = harness.get(server, path)
        assert resp.status == status, path
        for name, value in wanted.items():
            assert resp.getheader(name) == value, f"{path} ({status}): {name} is {resp.getheader(name)!r}"
            seen += 1
        assert resp.getheader("Server") == "nginx", "server_tokens off hides the version"
        assert resp.getheader("Strict-Transport-Security") is None
        _no_header_twice(resp, path)
    assert "public, immutable" in (harness.get(server, "/assets/app.js").getheader("Cache-Control") or "")
    print(f"\nlive nginx: {len(expected_status)} responses x {len(wanted)} headers = {seen} checked")


def test_hsts_only_on_the_tls_server(tmp_path: Path) -> None:
    """tls-and-plain: a redirecting plain-HTTP server and a TLS server with nested and `if` blocks."""
    case = ROOT / "tests" / "fixtures" / "missing-security-headers" / "tls-and-plain"
    text = (case / "after" / "sites" / "app.conf").read_text()
    wanted = MissingSecurityHeaders().wanted(Project(Workspace(case / "before")), tls=True)
    prefix = tmp_path / "prefix"
    with harness.serve(_local(text, prefix), "http", prefix) as served:
        plain, tls = (s.port for s in served)
        redirect = harness.get(plain, "/")
        assert redirect.status == 301
        assert redirect.getheader("Strict-Transport-Security") is None
        assert redirect.getheader("X-Frame-Options") == "DENY"
        checked = 0
        for path, status in {"/": 200, "/assets/app.js": 200, "/downloads/x?dl=1": 200, "/nope": 404}.items():
            resp = harness.get(tls, path, tls=True)
            assert resp.status == status, path
            _no_header_twice(resp, path)
            for name, value in wanted.items():
                assert resp.getheader(name) == value, f"https {path} ({status}): {name}"
                checked += 1
        assert "immutable" in (harness.get(tls, "/assets/app.js", tls=True).getheader("Cache-Control") or "")
        assert harness.get(tls, "/downloads/x?dl=1", tls=True).getheader("Content-Disposition") == "attachment"
    print(f"\nlive nginx with TLS: {checked} header checks, HSTS on TLS only")


def _no_header_twice(resp: object, path: str) -> None:
    """No response carries a header twice (two X-Frame-Options values, two Permissions-Policy...)."""
    names = [name.lower() for name, _value in resp.getheaders()]  # type: ignore[attr-defined]
    twice = sorted({n for n in names if names.count(n) > 1 and n in SECURITY})
    assert not twice, f"{path}: sent twice: {twice}"
    assert "," not in (resp.getheader("X-Frame-Options") or ""), f"{path}: two X-Frame-Options values"  # type: ignore[attr-defined]


SNIPPET = """add_header X-Frame-Options "SAMEORIGIN" always;
add_header Permissions-Policy "camera=()" always;
"""
SITE = """server {
    listen 80;
    server_name app.local;
    root /srv/app;
    include /etc/nginx/snippets/security-headers.conf;

    location / {
        try_files $uri /index.html;
    }
    location /assets/ {
        add_header Cache-Control "public, immutable";
    }
}
"""


def test_unreadable_include_gets_no_second_header(tmp_path: Path) -> None:
    """A server that includes a file from /etc/nginx (not in the project) is reported, not given
    headers that file may already send; a live nginx then answers every header once."""
    repo = tmp_path / "repo"
    (repo / "nginx").mkdir(parents=True)
    (repo / "nginx" / "site.conf").write_text(SITE)
    project = Project(Workspace(repo))
    fixer = MissingSecurityHeaders()
    findings = list(fixer.check(project))
    assert any("/etc/nginx/snippets/security-headers.conf" in f.message and not f.fixable for f in findings)
    changes = {c.path: c.content for c in fixer.fix(project)}
    text = changes.get("nginx/site.conf") or SITE
    server_part = text.split("location /")[0]
    assert "X-Frame-Options" not in server_part and "Permissions-Policy" not in server_part
    prefix = tmp_path / "prefix"
    # the server's own file, inlined where it is included (the harness stubs includes)
    live = _local(text.replace("include /etc/nginx/snippets/security-headers.conf;", SNIPPET), prefix)
    with harness.serve(live, "http", prefix) as served:
        for path in ("/", "/assets/app.js", "/missing"):
            resp = harness.get(served[0].port, path)
            _no_header_twice(resp, path)
            if path == "/assets/app.js":  # its own add_header: it inherits nothing, so it gets the set
                assert resp.getheader("X-Content-Type-Options") == "nosniff"
            else:
                assert resp.getheader("X-Frame-Options") == "SAMEORIGIN"


def _fixture_outputs() -> list[tuple[Path, Path]]:
    base = ROOT / "tests" / "fixtures" / "missing-security-headers"
    return sorted((after, case / "before" / after.relative_to(case / "after"))
                  for case in base.iterdir() if (case / "after").is_dir()
                  for after in (case / "after").rglob("*") if after.is_file()
                  and after.name.endswith((".conf", ".template"))
                  and after.read_bytes() != (case / "before" / after.relative_to(case / "after")).read_bytes())


@pytest.mark.parametrize("after, before", _fixture_outputs(), ids=lambda p: str(p).split("missing-security-headers/")[-1])
def test_fixture_outputs_pass_nginx_t(after: Path, before: Path, tmp_path: Path) -> None:
    old, new = before.read_text(), after.read_text()
    context = nginx.file_context(nginx.parse(old))
    was = harness.nginx_t(old, context, tmp_path / "before")
    now = harness.nginx_t(new, context, tmp_path / "after")
    assert was.ok, f"the fixture's input should pass nginx -t: {was.error}"
    assert now.ok, now.error
