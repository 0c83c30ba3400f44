"""SF002's fix on a real nginx: HTTPS with the generated settings, the redirect, the ACME path.

SF002 (then SF003) fix a copy of the SEEN fixture; the nginx config they produce runs under the
nginx harness on 127.0.0.1, with its listeners moved to free ports (``listen 80`` and
``listen 443 ssl http2`` keep their parameters), certbot's certificate paths pointing at a
certificate made in the test with the ``openssl`` CLI, certbot's webroot and the site's root in a
temporary folder, and the API upstream on a closed port.  nginx is always stopped.
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import nginx_harness as harness
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace
from seenfix.editors import nginx
from seenfix.editors import yaml as Y
from seenfix.editors.compose_schema import schema_errors
from seenfix.editors.text import apply_edits
from seenfix.fixers.missing_security_headers import MissingSecurityHeaders
from seenfix.fixers.missing_tls import MissingTls

ROOT = Path(__file__).resolve().parents[1]
SEEN = ROOT / "fixtures" / "seen"
CONF = "frontend/nginx.conf"

pytestmark = [
    pytest.mark.skipif(harness.NGINX is None, reason="nginx is not installed (apt-get install nginx-light)"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed (apt-get install openssl)"),
]


def _fixed(tmp_path: Path, hsts: bool) -> dict[str, str]:
    """The SEEN files SF002 (and with ``hsts`` SF003 after it) change, by path."""
    repo = tmp_path / "repo"
    shutil.copytree(SEEN, repo)
    project = Project(Workspace(repo))
    changes = MissingTls().fix(project)
    out = {c.path: c.content for c in changes if c.content is not None}
    assert {CONF, "docker-compose.yml"} <= set(out)
    if hsts:
        project = project.with_changes(list(changes))
        out.update({c.path: c.content for c in MissingSecurityHeaders().fix(project) if c.content is not None})
    return out


def _local(text: str, prefix: Path) -> tuple[str, int, int]:
    """The config with its listeners on free ports of 127.0.0.1 (parameters kept), the roots in
    ``prefix`` and the upstream closed; and the plain and TLS ports."""
    plain, tls, dead = harness.free_port(), harness.free_port(), harness.free_port()
    cfg = nginx.parse(text, "live.conf")
    edits: list[nginx.Edit] = []
    for node in cfg.walk():
        if node.name == "listen":
            port = tls if "ssl" in node.arg_values() else plain
            edits.append((node.args[0].start, node.args[0].end, f"127.0.0.1:{port}"))
        elif node.name == "root":
            where = prefix / ("certbot" if node.args[0].value == "/var/www/certbot" else "html")
            edits.append((node.args[0].start, node.args[0].end, str(where)))
        elif node.name == "proxy_pass":
            edits.append((node.args[0].start, node.args[0].end, f"http://127.0.0.1:{dead}"))
    return apply_edits(text, edits), plain, tls


@contextlib.contextmanager
def _serve(text: str, prefix: Path) -> Iterator[tuple[int, int]]:
    text, plain, tls = _local(text, prefix)
    for rel, body in {"html/index.html": "<!doctype html><title>SEEN</title>",
                      "certbot/.well-known/acme-challenge/tok3n": "tok3n.account-thumbprint"}.items():
        (prefix / rel).parent.mkdir(parents=True, exist_ok=True)
        (prefix / rel).write_text(body)
    conf, tweaks = harness.prepare(text, "http", prefix)
    assert "dummy cert" in tweaks  # certbot's paths now point at the test's certificate
    result, conf = harness._settle(conf, tweaks, prefix)
    assert result.ok, result.error
    with harness.running(conf, prefix, [plain, tls]):
        yield plain, tls


def _tls_get(port: int, path: str, context: ssl.SSLContext | None = None) -> tuple[http.client.HTTPResponse, ssl.SSLSocket]:
    context = context or ssl._create_unverified_context()
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    conn.request("GET", path, headers={"Host": "seen.example"})
    resp = conn.getresponse()
    resp.read()
    sock = conn.sock
    assert isinstance(sock, ssl.SSLSocket)
    return resp, sock


def test_https_redirect_and_acme_path(tmp_path: Path) -> None:
    files = _fixed(tmp_path, hsts=True)
    with _serve(files[CONF], tmp_path / "prefix") as (plain, tls):
        # the ACME challenge is answered over plain HTTP, from certbot's webroot
        challenge = harness.get(plain, "/.well-known/acme-challenge/tok3n", host="seen.example")
        assert challenge.status == 200
        conn = http.client.HTTPConnection("127.0.0.1", plain, timeout=10)
        conn.request("GET", "/.well-known/acme-challenge/tok3n", headers={"Host": "seen.example"})
        assert conn.getresponse().read() == b"tok3n.account-thumbprint"
        conn.close()
        # everything else goes to https:// with the same host and path
        for path in ("/", "/login?next=/shows", "/api/health"):
            resp = harness.get(plain, path, host="seen.example")
            assert resp.status == 301, path
            assert resp.getheader("Location") == f"https://seen.example{path}"
            assert resp.getheader("Strict-Transport-Security") is None  # never over plain HTTP
        # HTTPS: the site, over TLS 1.2+ and HTTP/2 offered by ALPN, with HSTS from SF003
        resp, sock = _tls_get(tls, "/")
        assert resp.status == 200
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        assert (resp.getheader("Strict-Transport-Security") or "").startswith("max-age=")
        assert harness.get(tls, "/api/health", tls=True).status == 502  # proxied (to a closed port)
        h2 = ssl._create_unverified_context()
        h2.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", tls), timeout=10) as raw, \
                h2.wrap_socket(raw, server_hostname="seen.example") as s:
            assert s.selected_alpn_protocol() == "h2"
        # Mozilla intermediate: TLS 1.2 with ECDHE only; a static-RSA suite is refused
        old = ssl._create_unverified_context()
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        old.set_ciphers("AES128-GCM-SHA256")
        with pytest.raises(ssl.SSLError):
            _tls_get(tls, "/", old)
        ecdhe = ssl._create_unverified_context()
        ecdhe.maximum_version = ssl.TLSVersion.TLSv1_2
        ecdhe.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
        assert _tls_get(tls, "/", ecdhe)[0].status == 200


def test_without_sf003_there_is_no_hsts_yet(tmp_path: Path) -> None:
    """HSTS comes from SF003 once TLS is there, not from SF002 itself."""
    files = _fixed(tmp_path, hsts=False)
    assert "Strict-Transport-Security" not in files[CONF]
    with _serve(files[CONF], tmp_path / "prefix") as (_plain, tls):
        assert _tls_get(tls, "/")[0].getheader("Strict-Transport-Security") is None


def test_generated_compose_is_valid_and_wired(tmp_path: Path) -> None:
    files = _fixed(tmp_path, hsts=False)
    doc = Y.load(files["docker-compose.yml"], "docker-compose.yml")
    data = Y.to_plain(doc.data)
    assert schema_errors(data) == []
    frontend, certbot = data["services"]["frontend"], data["services"]["certbot"]
    assert frontend["ports"] == ["80:80", "443:443"]
    assert "./certbot/conf:/etc/letsencrypt:ro" in frontend["volumes"]
    assert "./certbot/www:/var/www/certbot:ro" in frontend["volumes"]
    assert {"./certbot/conf:/etc/letsencrypt", "./certbot/www:/var/www/certbot"} == set(certbot["volumes"])
    assert certbot["environment"]["DOMAIN"].startswith("${DOMAIN:?")
    script = certbot["command"][0]
    assert "certonly --webroot -w /var/www/certbot --cert-name site" in script
    assert "--keep-until-expiring" in script and '-d "$$DOMAIN"' in script
    assert frontend["command"][2].rstrip().endswith('exec /docker-entrypoint.sh nginx -g "daemon off;"')
    # the scripts are valid shell (compose turns $$ into $)
    for text in (script, frontend["command"][2]):
        proc = subprocess.run(["sh", "-n"], input=text.replace("$$", "$"), capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert "/certbot/" in files[".gitignore"]
