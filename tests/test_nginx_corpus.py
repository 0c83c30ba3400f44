"""SF003 over every real nginx file of ../shared/corpus/nginx/ (see its README for the method).

For each file: the fix only inserts lines, plus the in-place ` always` edits it declares; ``nginx -t``
passes on the output wherever it passed on the input under the same harness; gixy-ng reports no
``add_header_redefinition`` and no more findings than on the input; a second run changes nothing.
A live check serves every changed file that passes ``nginx -t`` and requests ``/``, a
nonexistent path and each literal location path of every server: each response must carry every
header.  Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import collections
import difflib
import http.client
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nginx_harness as harness
from seenfix.editors import nginx
from seenfix.fixers.missing_security_headers import MissingSecurityHeaders
from seenfix.core.model import InputError
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "nginx"
GIXY = shutil.which("gixy") or str(Path(sys.executable).parent / "gixy")

pytestmark = pytest.mark.skipif(not (CORPUS / "manifest.json").exists(),
                                reason=f"nginx corpus not found at {CORPUS}")


def _entries() -> list[dict[str, object]]:
    return json.loads((CORPUS / "manifest.json").read_text())  # type: ignore[no-any-return]


def _fix(text: str, project: Project) -> str:
    return MissingSecurityHeaders().fix_file("site.conf", text, project) or text


def only_insertions(old: str, new: str) -> tuple[int, int, list[str]]:
    """(inserted lines, lines that gained ` always`, problems) of a line diff."""
    a, b = old.splitlines(), new.splitlines()
    inserted = always = 0
    problems: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "insert":
            inserted += j2 - j1
        elif tag in ("delete", "replace"):
            rest = b[j1:j2]
            for line in a[i1:i2]:
                want = [k for k, n in enumerate(rest) if n.replace(" always;", ";", 1) == line
                        and "add_header" in line and " always;" in n]
                if not want:
                    problems.append(f"line changed or removed: {line!r}")
                    continue
                always += 1
                rest = rest[want[0] + 1:]
            inserted += (j2 - j1) - (i2 - i1)
    return inserted, always, problems


def _gixy(folder: Path) -> dict[str, collections.Counter[str]]:
    proc = subprocess.run([GIXY, "-f", "json", "--disable-includes", *sorted(map(str, folder.iterdir()))],
                          capture_output=True, text=True, timeout=300)
    out: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for item in json.loads(proc.stdout or "[]"):
        out[Path(item["file"]).name][item["plugin"]] += 1
    return out


def test_corpus(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    project = Project(Workspace(tmp_path / "empty"))
    before_dir, after_dir = tmp_path / "before", tmp_path / "after"
    before_dir.mkdir()
    after_dir.mkdir()
    figures: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    changed: list[str] = []
    for entry in _entries():
        name = str(entry["file"])
        features = entry["features"]
        assert isinstance(features, dict)
        text = (CORPUS / "files" / name).read_bytes().decode("utf-8")
        figures["files"] += 1
        try:
            levels = sum("does not send" in f.message
                         for f in MissingSecurityHeaders().check_file("site.conf", text, project))
            new = _fix(text, project)
        except InputError as exc:
            figures["input errors (reported, not fixed)"] += 1
            print(f"  {name}: InputError {exc}")
            continue
        measured = entry["measured"]
        assert isinstance(measured, dict)
        figures["blocks given headers"] += levels
        figures["blocks given headers (corpus reference)"] += int(measured["header_fix_levels"])
        if levels != measured["header_fix_levels"]:
            failures.append(f"{name}: headers added to {levels} blocks, reference {measured['header_fix_levels']}")
        (before_dir / name).write_text(text, newline="")
        (after_dir / name).write_text(new, newline="")
        if new == text:
            continue
        changed.append(name)
        figures["files changed"] += 1
        inserted, always, problems = only_insertions(text, new)
        figures["lines inserted"] += inserted
        figures["in-place always edits"] += always
        failures += [f"{name}: {p}" for p in problems]
        reason = MissingSecurityHeaders().verify(name, text, new)
        if reason is not None:
            failures.append(f"{name}: the fixer's own verify() rejects its output: {reason}")
        if _fix(new, project) != new:
            failures.append(f"{name}: a second run changes the file again")
        nginx.parse(new, name)  # still balanced
        if harness.NGINX is not None:
            context = str(features["context"])
            was = harness.nginx_t(text, context, tmp_path / "t" / name / "before")
            now = harness.nginx_t(new, context, tmp_path / "t" / name / "after")
            figures["nginx -t passes before (changed files)"] += was.ok
            figures["nginx -t passes after (changed files)"] += now.ok
            if was.ok and not now.ok:
                failures.append(f"{name}: nginx -t fails after the fix: {now.error}")
    gixy_before, gixy_after = _gixy(before_dir), _gixy(after_dir)
    figures["gixy findings before"] = sum(sum(c.values()) for c in gixy_before.values())
    figures["gixy findings after"] = sum(sum(c.values()) for c in gixy_after.values())
    figures["gixy add_header_redefinition after"] = sum(c["add_header_redefinition"] for c in gixy_after.values())
    for name in changed:
        b, a = gixy_before.get(name, collections.Counter()), gixy_after.get(name, collections.Counter())
        if a["add_header_redefinition"]:
            failures.append(f"{name}: gixy add_header_redefinition after the fix")
        if sum(a.values()) > sum(b.values()):
            failures.append(f"{name}: gixy findings {dict(b)} -> {dict(a)}")
    print("\nSF003 on the nginx corpus:")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    assert figures["files changed"] > 0
    assert not failures, "\n".join(failures)


def _paths(server: nginx.Node) -> list[str]:
    """A nonexistent path and the literal path of every prefix/exact location (regex ones skipped)."""
    out = ["/", "/seenfix-no-such-path"]
    for node in [n for n in _descendants(server) if n.name == "location"]:
        args = node.arg_values()
        uri = args[-1] if args and args[0] in ("=", "^~") or len(args) == 1 else None
        if uri and uri.startswith("/") and uri not in out:
            out.append(uri)
    return out


def _descendants(node: nginx.Node) -> list[nginx.Node]:
    out: list[nginx.Node] = []
    for child in node.children or ():
        out += [child, *_descendants(child)]
    return out


def _live(files: dict[str, tuple[str, str]], wanted: dict[bool, list[str]], work: Path) -> tuple[int, int, int, list[str]]:
    """Serve each file; (responses with every header, responses, requests closed by 444, failures)."""
    responses = complete = closed = 0
    failures: list[str] = []
    for name, (text, context) in files.items():
        try:
            with harness.serve(text, context, work / name) as served:
                for item in served:
                    names = item.server.find("server_name")
                    host = next((h for h in names[0].arg_values() if not h.startswith(("~", "*", "."))
                                 and h != "_"), None) if names else None
                    for path in _paths(item.server):
                        try:
                            resp = harness.get(item.port, path, item.tls, host)
                        except http.client.RemoteDisconnected:  # `return 444`: no response at all
                            closed += 1
                            continue
                        responses += 1
                        missing = [h for h in wanted[item.tls] if resp.getheader(h) is None
                                   and not (h.startswith("Content-Security-Policy")
                                            and resp.getheader("Content-Security-Policy-Report-Only"))]
                        if missing:
                            failures.append(f"{name}:{item.server.line} {path} ({resp.status}): no {missing}")
                        else:
                            complete += 1
        except RuntimeError as exc:
            failures.append(f"{name}: {exc}")
    return complete, responses, closed, failures


@pytest.mark.skipif(harness.NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_corpus_live_headers(tmp_path: Path) -> None:
    """README step 3: every response of every fixed server carries the security headers."""
    (tmp_path / "empty").mkdir()
    project = Project(Workspace(tmp_path / "empty"))
    wanted = {tls: list(MissingSecurityHeaders().wanted(project, tls)) for tls in (False, True)}
    originals: dict[str, tuple[str, str]] = {}
    fixed: dict[str, tuple[str, str]] = {}
    for entry in _entries():
        name, features = str(entry["file"]), entry["features"]
        assert isinstance(features, dict)
        text = (CORPUS / "files" / name).read_bytes().decode("utf-8")
        new, context = _fix(text, project), str(features["context"])
        if new != text and context != "server" and harness.nginx_t(text, context, tmp_path / "t" / name).ok:
            originals[name], fixed[name] = (text, context), (new, context)
    was, total_was, _, _ = _live(originals, wanted, tmp_path / "before")
    now, total, closed, failures = _live(fixed, wanted, tmp_path / "after")
    print(f"\nlive corpus over {len(fixed)} files: {now} of {total} responses carry every header after the fix,"
          f" {was} of {total_was} before ({closed} requests closed without a response by `return 444`)")
    assert total > 0 and total == total_was
    assert not failures, "\n".join(failures)
