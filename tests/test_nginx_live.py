"""SF003 on a real nginx: the fixed SEEN frontend config served on 127.0.0.1.

nginx runs in the foreground (``daemon off; master_process off;``) with a temporary prefix, on a free
high port; the API upstream points at a closed port so ``/api/`` answers 502.  Every response — the
SPA, a hashed asset (whose location sets its own ``Cache-Control``), the 502 and a 404 — must carry
every security header, and ``Server`` must not carry the version.
"""

from __future__ import annotations

import http.client
import shutil
import socket
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


def _live_config(text: str, prefix: Path, port: int, dead_port: int) -> str:
    cfg = nginx.parse(text, NGINX_CONF)
    edits: list[nginx.Edit] = []
    for node in cfg.walk():
        if node.name == "listen":
            edits.append((node.args[0].start, node.args[-1].end, f"127.0.0.1:{port}"))
        elif node.name == "root":
            edits.append((node.args[0].start, node.args[0].end, str(prefix / "html")))
        elif node.name == "proxy_pass":
            edits.append((node.args[0].start, node.args[0].end, f"http://127.0.0.1:{dead_port}"))
    server = apply_edits(text, edits)
    return (f"daemon off;\nmaster_process off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
            f"events {{}}\nhttp {{\ninclude mime.types;\naccess_log {prefix}/access.log;\n{server}\n}}\n")


@pytest.fixture
def server(tmp_path: Path, fixed: tuple[str, dict[str, str]]) -> Iterator[int]:
    assert harness.NGINX is not None
    prefix = tmp_path / "prefix"
    harness.prepare("", "http", prefix)  # support files (mime.types...)
    (prefix / "html" / "assets").mkdir(parents=True)
    (prefix / "html" / "index.html").write_text("<!doctype html><title>SEEN</title>")
    (prefix / "html" / "assets" / "app.js").write_text("console.log('seen');")
    port, dead_port = _free_port(), _free_port()
    (prefix / "nginx.conf").write_text(_live_config(fixed[0], prefix, port, dead_port))
    proc = subprocess.Popen([harness.NGINX, "-p", f"{prefix}/", "-c", f"{prefix}/nginx.conf"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"nginx did not start: {err}{(prefix / 'error.log').read_text() if (prefix / 'error.log').exists() else ''}")
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _get(port: int, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
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
