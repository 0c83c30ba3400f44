"""SF005 on a real nginx: fixture outputs pass ``nginx -t``, the fixed SEEN config answers 429 to a
client that keeps going, and every real config of ../shared/corpus/nginx/ stays valid."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

import nginx_harness as harness
from seenfix.editors import nginx
from seenfix.editors.text import apply_edits
from seenfix.fixers.missing_rate_limiting import MissingRateLimiting
from seenfix.core.model import InputError
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "fixtures" / "missing-rate-limiting"
CORPUS = ROOT / ".." / "shared" / "corpus" / "nginx"
needs_nginx = pytest.mark.skipif(harness.NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")


def _project(root: Path) -> Project:
    return Project(Workspace(root))


def _fix(text: str, path: str, project: Project) -> str:
    return MissingRateLimiting().fix_file(path, text, project) or text


def _outputs() -> list[tuple[Path, Path]]:
    return sorted((after, case / "before" / after.relative_to(case / "after"))
                  for case in CASES.iterdir() if (case / "after").is_dir()
                  for after in (case / "after").rglob("*.conf"))


@needs_nginx
@pytest.mark.parametrize(("after", "before"), _outputs(), ids=lambda p: str(p).split("missing-rate-limiting/")[-1])
def test_fixture_outputs_pass_nginx_t(after: Path, before: Path, tmp_path: Path) -> None:
    old, new = before.read_text(), after.read_text()
    context = nginx.file_context(nginx.parse(old))
    assert harness.nginx_t(old, context, tmp_path / "before").ok
    result = harness.nginx_t(new, context, tmp_path / "after")
    assert result.ok, result.error


def test_server_context_snippet_is_reported_without_a_fix(tmp_path: Path) -> None:
    shutil.copytree(CASES / "server-context-snippet" / "before", tmp_path / "r")
    findings = list(MissingRateLimiting().check(_project(tmp_path / "r")))
    assert [(f.path, f.line, f.fixable) for f in findings] == [("nginx/snippets/api.conf", 1, False)]
    assert "define the zone at http level" in findings[0].message


@needs_nginx
def test_fixed_seen_config_answers_429_to_a_flood(tmp_path: Path) -> None:
    seen = ROOT / "fixtures" / "seen"
    project = _project(seen)
    text = _fix((seen / "frontend" / "nginx.conf").read_text(), "frontend/nginx.conf", project)
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text("<!doctype html>")
    cfg = nginx.parse(text)
    dead = harness.free_port()
    edits = [(n.args[0].start, n.args[0].end, str(html) if n.name == "root" else f"http://127.0.0.1:{dead}")
             for n in cfg.walk() if n.name in ("root", "proxy_pass")]
    prefix = tmp_path / "prefix"
    with harness.serve(apply_edits(text, edits), "http", prefix) as served:
        port = served[0].port
        start = time.monotonic()
        api = [harness.get(port, "/api/health").status for _ in range(40)]
        elapsed = time.monotonic() - start
        spa = [harness.get(port, "/").status for _ in range(40)]
    # rate=10r/s, burst=20, nodelay: the first 21 pass to the (dead) upstream; of the rest, only as
    # many as the rate refilled while the requests ran may pass, the others are refused with 429.
    assert api[:21] == [502] * 21, api
    refilled = int(elapsed * 10) + 1
    assert set(api) <= {502, 429} and api.count(429) >= 40 - 21 - refilled, (api, elapsed)
    assert elapsed > 1.5 or 429 in api, (api, elapsed)
    assert spa == [200] * 40  # static files are not limited
    print(f"\nlive nginx: /api/ answered {api.count(502)} x 502 then {api.count(429)} x 429; / answered 40 x 200")


@pytest.mark.skipif(not (CORPUS / "manifest.json").exists(), reason=f"nginx corpus not found at {CORPUS}")
def test_corpus(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    project = _project(tmp_path / "empty")
    changed = errors = passed_before = passed_after = 0
    for entry in json.loads((CORPUS / "manifest.json").read_text()):
        path = CORPUS / "files" / entry["file"]
        text = path.read_text()
        try:
            new = _fix(text, "site.conf", project)
        except InputError:
            errors += 1  # not nginx syntax (the consul-template file): reported, not touched
            continue
        assert _fix(new, "site.conf", project) == new, f"{entry['file']}: a second run changes it"
        if new == text:
            continue
        changed += 1
        assert nginx.only_insertions(text, new) is None, entry["file"]
        assert len(new.splitlines()) > len(text.splitlines())
        if harness.NGINX is None:
            continue
        context = nginx.file_context(nginx.parse(text))
        before = harness.nginx_t(text, context, tmp_path / entry["file"] / "before")
        if before.ok:
            passed_before += 1
            after = harness.nginx_t(new, context, tmp_path / entry["file"] / "after")
            assert after.ok, f"{entry['file']}: {after.error}"
            passed_after += 1
    print(f"\nSF005 corpus: {changed} files changed, {errors} not parsable, "
          f"nginx -t {passed_before} passed before / {passed_after} after")
    assert changed >= 5
