"""SF002 reports plain-HTTP servers only when nothing in the project terminates TLS."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEN
from seenfix.fixers.missing_tls import MissingTls
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "nginx"


def _findings(root: Path) -> list[tuple[str, int]]:
    return [(f.path, f.line) for f in MissingTls().check(Project(Workspace(root)))]


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_seen_serves_plain_http() -> None:
    assert _findings(FIXTURE_SEEN) == [("frontend/nginx.conf", 2)]


def test_a_tls_proxy_in_compose_covers_it(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_SEEN, tmp_path / "s")
    compose = tmp_path / "s" / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("services:\n", "services:\n  proxy:\n    image: caddy:2\n", 1))
    assert _findings(tmp_path / "s") == []


@pytest.mark.parametrize(
    ("conf", "expected"),
    [
        ("server { listen 80; }\n", [("site.conf", 1)]),
        ("server {\n  listen 80;\n  return 301 https://$host$request_uri;\n}\n", []),
        ("server { listen 80; }\nserver { listen 443 ssl; ssl_certificate a; ssl_certificate_key b; }\n", []),
        ("upstream app { server 127.0.0.1:80; }\n", []),
        ("server { listen 8080; server_name health.internal; }\n", []),
    ],
)
def test_cases(tmp_path: Path, conf: str, expected: list[tuple[str, int]]) -> None:
    root = _write(tmp_path, {"site.conf": conf, ".seenfix.toml": ""})
    fixer = MissingTls({"ignore_servers": ["health.internal"]})
    assert [(f.path, f.line) for f in fixer.check(Project(Workspace(root)))] == expected


@pytest.mark.skipif(not (CORPUS / "manifest.json").exists(), reason=f"nginx corpus not found at {CORPUS}")
def test_corpus_files_with_tls_are_never_reported(tmp_path: Path) -> None:
    reported = tls_files = 0
    for entry in json.loads((CORPUS / "manifest.json").read_text()):
        root = tmp_path / entry["file"]
        _write(root, {"nginx.conf": (CORPUS / "files" / entry["file"]).read_text()})
        findings = _findings(root)
        text = (root / "nginx.conf").read_text()
        live = [line.split("#", 1)[0] for line in text.splitlines()]  # comments do not listen
        if any(re.search(r"\blisten\b[^;]*\b(ssl|quic)\b", line) for line in live):
            tls_files += 1
            assert findings == [], entry["file"]
        reported += bool(findings)
    print(f"\nSF002 corpus: {reported} files reported, {tls_files} files with TLS listeners not reported")
    assert reported >= 5


@pytest.mark.parametrize(("text", "expected"), [
    ("services:\n  web:\n    image: nginx\n",
     "services:\n  web:\n    image: nginx\n    command:\n      - /bin/sh\n      - \"-c\"\n      - |\n        echo 1\n\n"
     "        echo $$HOME\n"),
    ("services:\r\n    web:\r\n        image: nginx",
     "services:\r\n    web:\r\n        image: nginx\r\n        command:\r\n            - /bin/sh\r\n            - \"-c\"\r\n"
     "            - |\r\n              echo 1\r\n\r\n              echo $$HOME"),
    ("services:\n  web: {image: nginx}\n", None),  # a flow mapping cannot hold a literal block
])
def test_scripts_are_literal_blocks(text: str, expected: str | None) -> None:
    from seenfix.editors import compose_scripts
    from seenfix.editors import yaml as Y
    from seenfix.editors.compose import verify_plan

    doc = Y.load(text, "c.yml")
    svc = next(Y.services(doc))
    plan = compose_scripts.add_script(doc, svc.parent, svc.name, "command", ["/bin/sh", "-c"],
                                      ["echo 1", "", "echo $$HOME"])
    if expected is None:
        assert plan is None
        return
    assert plan is not None and plan.apply(text) == expected
    assert verify_plan(doc, plan, expected) is None


@pytest.mark.parametrize(("compose", "reason"), [
    ("services:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n    volumes: ['./site.conf:/etc/nginx/conf.d/default.conf']\n",
     "no compose service publishes port 80"),
    ("services:\n  web:\n    image: openresty/openresty\n    ports: ['80:80']\n    volumes: ['./site.conf:/etc/nginx/conf.d/default.conf']\n",
     "no compose service publishes port 80"),
    ("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n    volumes: ['./site.conf:/etc/nginx/conf.d/default.conf']\n"
     "  certbot:\n    image: certbot/certbot\n", ""),  # certbot in the project: TLS is taken care of
    ("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n    volumes: ['./site.conf:/etc/nginx/conf.d/default.conf']\n",
     None),  # fixable
])
def test_when_the_fix_applies(tmp_path: Path, compose: str, reason: str | None) -> None:
    root = _write(tmp_path, {"site.conf": "server {\n    listen 80;\n    location / { proxy_pass http://app:3000; }\n}\n",
                             "compose.yml": compose})
    findings = list(MissingTls().check(Project(Workspace(root))))
    if reason == "":
        assert findings == []
        return
    [finding] = findings
    assert finding.fixable == (reason is None)
    assert reason is None or reason in finding.message
