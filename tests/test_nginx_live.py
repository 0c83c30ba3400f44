"""SF003 on a real nginx: the fixed SEEN frontend config served on 127.0.0.1.

nginx runs in the foreground (``daemon off; master_process off;``) with a temporary prefix, on a free
high port; the API upstream points at a closed port so ``/api/`` answers 502.  Every response — the
SPA, a hashed asset (whose location sets its own ``Cache-Control``), the 502 and a 404 — must carry
every security header, and ``Server`` must not carry the version.
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import nginx_harness as harness
from seenfix.editors import nginx
from seenfix.editors.text import apply_edits
from seenfix.fixers.missing_security_headers import MissingSecurityHeaders
from seenfix.project import Project
from seenfix.workspace import Workspace

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


def _live_config(text: str, prefix: Path, ports: list[int], dead_port: int) -> str:
    """``text`` (http context) made runnable here: server ``i`` listens on ``ports[i]`` only."""
    crt, key, _ = harness.dummy_cert()
    cfg = nginx.parse(text, "live.conf")
    edits: list[nginx.Edit] = []
    for i, server in enumerate(nginx.http_servers(cfg)):
        for j, listen in enumerate(server.find("listen")):
            ssl = " ssl" if "ssl" in listen.arg_values() else ""
            edits.append((listen.args[0].start, listen.args[-1].end, f"127.0.0.1:{ports[i]}{ssl}")
                         if j == 0 else (listen.start, listen.end, ""))
    for node in cfg.walk():
        if node.name == "root":
            edits.append((node.args[0].start, node.args[0].end, str(prefix / "html")))
        elif node.name == "proxy_pass":
            edits.append((node.args[0].start, node.args[0].end, f"http://127.0.0.1:{dead_port}"))
        elif node.name in ("ssl_certificate", "ssl_certificate_key"):
            edits.append((node.args[0].start, node.args[0].end, str(crt if node.name == "ssl_certificate" else key)))
    server = apply_edits(text, edits)
    return (f"daemon off;\nmaster_process off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
            f"events {{}}\nhttp {{\ninclude mime.types;\naccess_log {prefix}/access.log;\n{server}\n}}\n")


@contextlib.contextmanager
def running_nginx(text: str, prefix: Path) -> Iterator[list[int]]:
    """Serve ``text`` on 127.0.0.1 (one free port per server); nginx is always stopped afterwards."""
    assert harness.NGINX is not None
    harness.prepare("", "http", prefix)  # support files (mime.types...)
    (prefix / "html" / "assets").mkdir(parents=True)
    (prefix / "html" / "index.html").write_text("<!doctype html><title>SEEN</title>")
    (prefix / "html" / "assets" / "app.js").write_text("console.log('seen');")
    (prefix / "html" / "downloads").mkdir()
    (prefix / "html" / "downloads" / "x").write_text("file")
    ports = [_free_port() for _ in nginx.http_servers(nginx.parse(text))]
    (prefix / "nginx.conf").write_text(_live_config(text, prefix, ports, _free_port()))
    proc = subprocess.Popen([harness.NGINX, "-p", f"{prefix}/", "-c", f"{prefix}/nginx.conf"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        for port in ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log = prefix / "error.log"
                        pytest.fail(f"nginx did not start: {log.read_text() if log.exists() else proc.returncode}")
                    time.sleep(0.05)
        yield ports
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def server(tmp_path: Path, fixed: tuple[str, dict[str, str]]) -> Iterator[int]:
    with running_nginx(fixed[0], tmp_path / "prefix") as ports:
        yield ports[0]


def _get(port: int, path: str, tls: bool = False) -> http.client.HTTPResponse:
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ssl._create_unverified_context()) \
        if tls else http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def test_fixed_seen_config_passes_nginx_t(fixed: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    result = harness.nginx_t(fixed[0], "http", tmp_path / "t")
    assert result.ok, result.error


def test_every_response_carries_every_header(server: int, fixed: tuple[str, dict[str, str]]) -> None:
    wanted = fixed[1]
    assert "Strict-Transport-Security" not in wanted  # SEEN's server is plain HTTP
    expected_status = {"/": 200, "/assets/app.js": 200, "/api/health": 502, "/assets/missing.js": 404}
    seen = 0
    for path, status in expected_status.items():
        resp = _get(server, path)
        assert resp.status == status, path
        for name, value in wanted.items():
            assert resp.getheader(name) == value, f"{path} ({status}): {name} is {resp.getheader(name)!r}"
            seen += 1
        assert resp.getheader("Server") == "nginx", "server_tokens off hides the version"
        assert resp.getheader("Strict-Transport-Security") is None
    assert "public, immutable" in (_get(server, "/assets/app.js").getheader("Cache-Control") or "")
    print(f"\nlive nginx: {len(expected_status)} responses x {len(wanted)} headers = {seen} checked")


def test_hsts_only_on_the_tls_server(tmp_path: Path) -> None:
    """tls-and-plain: a redirecting plain-HTTP server and a TLS server with nested and `if` blocks."""
    case = ROOT / "tests" / "fixtures" / "missing-security-headers" / "tls-and-plain"
    text = (case / "after" / "sites" / "app.conf").read_text()
    wanted = MissingSecurityHeaders().wanted(Project(Workspace(case / "before")), tls=True)
    with running_nginx(text, tmp_path / "prefix") as (plain, tls):
        redirect = _get(plain, "/")
        assert redirect.status == 301
        assert redirect.getheader("Strict-Transport-Security") is None
        assert redirect.getheader("X-Frame-Options") == "DENY"
        checked = 0
        for path, status in {"/": 200, "/assets/app.js": 200, "/downloads/x?dl=1": 200, "/nope": 404}.items():
            resp = _get(tls, path, tls=True)
            assert resp.status == status, path
            for name, value in wanted.items():
                assert resp.getheader(name) == value, f"https {path} ({status}): {name}"
                checked += 1
        assert "immutable" in (_get(tls, "/assets/app.js", tls=True).getheader("Cache-Control") or "")
        assert _get(tls, "/downloads/x?dl=1", tls=True).getheader("Content-Disposition") == "attachment"
    print(f"\nlive nginx with TLS: {checked} header checks, HSTS on TLS only")


def _fixture_outputs() -> list[tuple[Path, Path]]:
    base = ROOT / "tests" / "fixtures" / "missing-security-headers"
    return sorted((after, case / "before" / after.relative_to(case / "after"))
                  for case in base.iterdir() if (case / "after").is_dir()
                  for after in (case / "after").rglob("*") if after.is_file()
                  and after.name.endswith((".conf", ".template")))


@pytest.mark.parametrize("after, before", _fixture_outputs(), ids=lambda p: str(p).split("missing-security-headers/")[-1])
def test_fixture_outputs_pass_nginx_t(after: Path, before: Path, tmp_path: Path) -> None:
    old, new = before.read_text(), after.read_text()
    context = nginx.file_context(nginx.parse(old))
    was = harness.nginx_t(old, context, tmp_path / "before")
    now = harness.nginx_t(new, context, tmp_path / "after")
    assert was.ok, f"the fixture's input should pass nginx -t: {was.error}"
    assert now.ok, now.error
