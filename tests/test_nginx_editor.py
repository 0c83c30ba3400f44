"""The nginx editor: offsets that point at the right bytes, minimal edits, nginx's own tokenizing."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from seenfix.editors import nginx
from seenfix.editors.text import apply_edits
from seenfix.fixers.missing_security_headers import MissingSecurityHeaders
from seenfix.core.model import InputError
from seenfix.core.project import Project
from seenfix.core.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus" / "nginx" / "files"
CASES = ROOT / "tests" / "fixtures" / "missing-security-headers"


def _offsets_hold(cfg: nginx.Config) -> None:
    text = cfg.text
    for node in cfg.walk():
        assert text[node.start:node.start + len(node.name)] == node.name
        assert cfg.line_of(node.start) == node.line
        for arg in node.args:
            assert text[arg.start:arg.end] == arg.raw
        if node.is_block:
            assert text[node.open] == "{" and text[node.close] == "}" and node.end == node.close + 1
        else:
            assert text[node.end - 1] == ";"


SAMPLE = """# top comment
map $http_upgrade $connection_upgrade { default upgrade; '' close; }
server { # same-line comment
\tlisten 80;
\tlocation ~ "^/a{3}$" { return 200 "x;y"; }
\tlocation /t { proxy_pass http://${BACKEND_HOST}:${BACKEND_PORT}; }
}
"""


def test_tokens_and_offsets() -> None:
    cfg = nginx.parse(SAMPLE)
    _offsets_hold(cfg)
    names = [(n.name, n.line) for n in cfg.walk()]
    assert names == [("map", 2), ("default", 2), ("''", 2), ("server", 3), ("listen", 4), ("location", 5),
                     ("return", 5), ("location", 6), ("proxy_pass", 6)]
    regex = [n for n in cfg.walk() if n.name == "location"][0]
    assert regex.arg_values() == ["~", "^/a{3}$"]
    proxy = [n for n in cfg.walk() if n.name == "proxy_pass"][0]
    assert proxy.arg_values() == ["http://${BACKEND_HOST}:${BACKEND_PORT}"]  # envsubst stays one word
    assert [n for n in cfg.walk() if n.name == "return"][0].args[1].value == "x;y"
    assert [SAMPLE[a:b] for a, b in cfg.comments] == ["# top comment", "# same-line comment"]


@pytest.mark.parametrize("text, line, message", [
    ("server {\n  listen 80;\n", 1, "never closed"),
    ("server {\n}\n}\n", 3, "unbalanced"),
    ("server {\n  listen 80\n}\n", 2, "not terminated"),
    ("server {\n  return 200 \"oops;\n}\n", 2, "unterminated"),
    ("listen 80", 1, "not terminated"),
])
def test_bad_input_raises_input_error(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as err:
        nginx.parse(text, "bad.conf")
    assert err.value.path == "bad.conf" and err.value.line == line and message in err.value.message


def _corpus() -> list[Path]:
    return sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"nginx corpus not found at {CORPUS}")
def test_corpus_parses_like_crossplane() -> None:
    import crossplane

    def theirs(block: list[dict[str, object]]) -> list[tuple[str, int, list[str]]]:
        out: list[tuple[str, int, list[str]]] = []
        for d in block:
            out.append((str(d["directive"]), int(str(d["line"])), [str(a) for a in d["args"]]))  # type: ignore[attr-defined]
            out += theirs(d.get("block", []))  # type: ignore[arg-type]
        return out

    checked = 0
    for path in _corpus():
        text = path.read_bytes().decode()
        cfg = nginx.parse(text, path.name)
        _offsets_hold(cfg)
        mine = []
        for n in cfg.walk():
            args = n.arg_values()
            if n.name == "if":  # crossplane strips the parentheses
                args = " ".join(args).strip("()").split()
            mine.append((nginx.Token(n.name, 0, 0).value, n.line, args))
        parsed = crossplane.parse(str(path), single=True, comments=False, check_ctx=False, check_args=False)
        ref = theirs(parsed["config"][0]["parsed"])
        for m, t in zip(mine, ref):
            if m[0] == "if":
                t = (t[0], t[1], " ".join(t[2]).split())
            assert m == t, path.name
        assert len(mine) == len(ref), path.name
        checked += len(mine)
    print(f"\n{len(_corpus())} corpus files, {checked} directives agree with crossplane")


def test_insert_after_directive_keeps_comment_and_indent() -> None:
    text = "server {\n    listen 80; # note\n    location / {\n    }\n}\n"
    cfg = nginx.parse(text)
    server = cfg.root.find("server")[0]
    edit = cfg.insert_lines(server, server.find("listen")[0], ["server_tokens off;"])
    assert apply_edits(text, [edit]) == (
        "server {\n    listen 80; # note\n    server_tokens off;\n    location / {\n    }\n}\n")


def test_insert_first_in_block_uses_sibling_or_derived_indent() -> None:
    text = "http {\n\tserver {\n\t\tlocation / {\n\t\t}\n\t}\n}\n"
    cfg = nginx.parse(text)
    server = cfg.root.find("http")[0].find("server")[0]
    location = server.find("location")[0]
    assert apply_edits(text, [cfg.insert_lines(server, None, ["a b;"])]) == (
        "http {\n\tserver {\n\t\ta b;\n\t\tlocation / {\n\t\t}\n\t}\n}\n")
    assert apply_edits(text, [cfg.insert_lines(location, None, ["a b;"])]) == (
        "http {\n\tserver {\n\t\tlocation / {\n\t\t\ta b;\n\t\t}\n\t}\n}\n")


def test_insert_in_one_line_block_and_crlf() -> None:
    text = "server {\r\n  location /x { return 204; }\r\n  listen 80;\r\n}"
    cfg = nginx.parse(text)
    server = cfg.root.find("server")[0]
    loc = server.find("location")[0]
    out = apply_edits(text, [cfg.insert_lines(loc, loc.children[0] if loc.children else None, ["a 1;", "b 2;"]),
                             cfg.insert_lines(server, server.find("listen")[0], ["c 3;"])])
    assert out == "server {\r\n  location /x { return 204; a 1; b 2; }\r\n  listen 80;\r\n  c 3;\r\n}"


def test_append_arg_is_in_place() -> None:
    text = 'add_header X-Frame-Options "DENY"  ; # x\n'
    cfg = nginx.parse(text)
    node = cfg.root.children[0] if cfg.root.children else None
    assert node is not None and not nginx.has_always(node)
    assert apply_edits(text, [cfg.append_arg(node, "always")]) == 'add_header X-Frame-Options "DENY" always  ; # x\n'


def test_http_servers_and_tls() -> None:
    text = """http {
    upstream app { server app:8000; }
    server { listen 443 ssl; }
    server { listen 80; }
}
stream { server { listen 5432; proxy_pass db:5432; } }
"""
    cfg = nginx.parse(text)
    assert nginx.file_context(cfg) == "main"
    servers = nginx.http_servers(cfg)
    assert [s.line for s in servers] == [3, 4]
    assert [nginx.listens_tls(s) for s in servers] == [True, False]
    assert nginx.file_context(nginx.parse("server { listen 80; }\n")) == "http"
    assert nginx.file_context(nginx.parse("location / { }\n")) == "server"
    assert nginx.http_servers(nginx.parse("location / { }\n")) == []


def test_quote() -> None:
    assert nginx.quote("nosniff") == "nosniff"
    assert nginx.quote("nosniff", force=True) == '"nosniff"'
    assert nginx.quote("default-src 'self'") == "\"default-src 'self'\""
    assert nginx.quote('a"b') == '"a\\"b"'


# -- SF003 through the editor, on the fixture cases (the runner's harness checks them too) ----------

def _engine_only(case: Path) -> bool:
    """A case whose suppression comments the engine applies (``suppressions = true``): not for the
    fixer alone."""
    meta = case / "case.toml"
    return meta.is_file() and bool(tomllib.loads(meta.read_text()).get("suppressions"))


def _cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "before").is_dir() and not _engine_only(p)) \
        if CASES.is_dir() else []


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_fixture_case_directly(case: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(case / "before", repo)
    conf = repo / ".seenfix.toml"
    options = tomllib.loads(conf.read_text()).get("fixers", {}).get("SF003", {}) if conf.exists() else {}
    fixer = MissingSecurityHeaders(options)
    assert fixer.validate_options(fixer.config) == []
    project = Project(Workspace(repo))
    changes = list(fixer.fix(project))
    findings = list(fixer.check(project))
    meta = tomllib.loads((case / "case.toml").read_text()) if (case / "case.toml").exists() else {}
    problems = list(dict.fromkeys(f"{p.path}:{p.line}: SF003: {p.message}" for p in project.problems))
    assert len(problems) == len(meta.get("problems", [])), problems  # fix() and check() report it alike
    assert all(want in got for want, got in zip(meta.get("problems", []), problems)), problems
    after = case / "after"
    if not after.is_dir():
        assert changes == [] and findings == []
        return
    assert findings and changes
    for change in changes:
        assert change.content is not None
        assert change.content.encode() == (after / change.path).read_bytes(), change.path
        nginx.parse(change.content, change.path)
    again = Project(Workspace(repo)).with_changes(changes)
    assert list(MissingSecurityHeaders(options).fix(again)) == []
    assert [f for f in MissingSecurityHeaders(options).check(again) if f.fixable] == []


def _project_of(root: Path, files: dict[str, str]) -> Project:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return Project(Workspace(root))


def test_include_resolver_matches_project_files(tmp_path: Path) -> None:
    files = {"nginx/conf.d/site.conf": "include ../snippets/a.conf;\n", "nginx/snippets/a.conf": "add_header A b;\n",
             "nginx/snippets/broken.conf": "add_header A {\n"}
    project = _project_of(tmp_path, files)
    resolve = nginx.include_resolver(project.files_named, files.get, "nginx/conf.d/site.conf")
    for target in ("/etc/nginx/snippets/a.conf", "snippets/a.conf", "../snippets/a.conf"):
        got = resolve(target)
        assert got is not None and got.path == "nginx/snippets/a.conf", target
    assert resolve("snippets/*.conf") is None
    assert resolve("/etc/nginx/snippets/broken.conf") is None
    assert resolve("a.conf") is None  # a bare file name is too ambiguous to match anywhere
    cfg = nginx.parse("server { include snippets/a.conf; }\n")
    server = cfg.root.find("server")[0]
    assert [nginx.header_name(n) for n in nginx.header_directives(server, resolve)] == ["a"]


def test_include_resolver_takes_the_first_matching_file_in_order(tmp_path: Path) -> None:
    """Among the project's files that match a target (the path relative to the including file, the
    target as a project path, or a file whose path ends with it), the first in order is taken, as a
    scan of every file in order would take it."""
    files = {"a/snippets/h.conf": "add_header A 1;\n", "b/conf.d/site.conf": "", "b/snippets/h.conf": "add_header B 1;\n",
             "snippets/h.conf": "add_header C 1;\n", "z/snippets/h.conf": "add_header D 1;\n",
             "b/conf.d/h.conf": "add_header E 1;\n"}
    project = _project_of(tmp_path, files)
    every = project.files()

    def scanned(target: str, path: str) -> str | None:  # the rule, by a scan of every file
        import posixpath

        here = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        return next((f for f in every if f in (here, target) or "/" in target and f.endswith("/" + target)), None)

    for target in ("snippets/h.conf", "../snippets/h.conf", "h.conf", "conf.d/h.conf", "b/snippets/h.conf",
                   "nothing/h.conf"):
        got = nginx.include_resolver(project.files_named, files.get, "b/conf.d/site.conf")(target)
        assert (got.path if got is not None else None) == scanned(target, "b/conf.d/site.conf"), target
    assert project.files_named("h.conf") == sorted(f for f in files if f.endswith("/h.conf") or f == "h.conf")


@pytest.mark.parametrize("before, after, ok", [
    ("server { listen 80; } # c\n", "server { listen 80; a b; } # c\n", True),
    ("add_header A b;\n", "add_header A b always;\n", True),
    ("server { listen 80; }\n", "server { listen 81; }\n", False),
    ("server { listen 80; } # c\n", "server { listen 80; }\n", False),
    ("a 1;\nb 2;\n", "b 2;\na 1;\n", False),
])
def test_only_insertions(before: str, after: str, ok: bool) -> None:
    assert (nginx.only_insertions(before, after) is None) is ok


def test_sf003_validates_nested_options() -> None:
    problems = dict(MissingSecurityHeaders.validate_options({
        "headers": {"X-Frame-Options": 1}, "csp_sources": {"img-src": "https://x", "bogus-src": []}}))
    assert problems == {"headers.X-Frame-Options": "expected a string",
                        "csp_sources.img-src": "expected a list of strings",
                        "csp_sources.bogus-src": "unknown CSP directive"}
    assert MissingSecurityHeaders.validate_options({"csp_report_only": True, "headers": {"A": ""}}) == []


def test_sf003_discovers_origins_by_use(tmp_path: Path) -> None:
    from seenfix.fixers.missing_security_headers import discover_origins

    files = {
        "web/package.json": "{}",
        "web/index.html": '<link href="https://fonts.googleapis.com/css2?family=X" rel="stylesheet">',
        "web/src/api.ts": 'fetch("https://api.seen.dev/v1"); new WebSocket("wss://live.seen.dev/ws");',
        "web/src/img.tsx": 'const a = "https://image.tmdb.org/t/p"; const b = `https://cdn.site.io/x.png`;\n'
                           '<svg xmlns="http://www.w3.org/2000/svg"/>; const c = "https://localhost:8000";',
        "web/src/app.test.ts": 'fetch("https://test-only.example.net")',
        "web/.env.production": "VITE_IGDB_IMAGE_BASE=https://images.igdb.com/igdb\nSECRET=https://nope.seen.dev\n",
        "docker-compose.yml": "services:\n  web:\n    build:\n      args:\n"
                              "        VITE_API_URL: ${VITE_API_URL:-https://api.seen.app}\n"
                              "        - VITE_CDN=https://static.seen.app\n",
    }
    for rel, body in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body)
    found = discover_origins(Project(Workspace(tmp_path)))
    assert found == [
        ("connect-src", "https://api.seen.app"),
        ("connect-src", "https://api.seen.dev"),
        ("connect-src", "wss://live.seen.dev"),
        ("font-src", "https://fonts.gstatic.com"),
        ("img-src", "https://cdn.site.io"),
        ("img-src", "https://image.tmdb.org"),
        ("img-src", "https://images.igdb.com"),
        ("img-src", "https://static.seen.app"),
        ("style-src", "https://fonts.googleapis.com"),
    ]


def test_insert_after_a_crlf_line_in_a_mostly_lf_file() -> None:
    text = "server {\n    listen 80;\r\n}\n"
    cfg = nginx.parse(text)
    server = cfg.root.find("server")[0]
    out = apply_edits(text, [cfg.insert_lines(server, server.find("listen")[0], ["a b;"])])
    assert out == "server {\n    listen 80;\r\n    a b;\n}\n"


def test_insert_at_top_level_without_final_newline() -> None:
    text = "map $a $b { default 1; }\nlimit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;"
    cfg = nginx.parse(text)
    out = apply_edits(text, [cfg.insert_lines(cfg.root, cfg.root.children[-1] if cfg.root.children else None,
                                              ["x y;"])])
    assert out == text + "\nx y;"
    assert apply_edits(text, [cfg.insert_lines(cfg.root, None, ["x y;"])]) == "x y;\n" + text


def test_blocks_nested_thousands_deep_are_walked_checked_and_fixed(tmp_path: Path) -> None:
    """Walking, tokenising and SF003's inheritance levels use a stack, not recursion."""
    depth = 3000
    text = ("server {\n    listen 80;\n" + "location /a {\n" * depth + "add_header X-A 1;\n"
            + "}\n" * depth + "}\n")
    cfg = nginx.parse(text, "deep.conf")
    assert sum(1 for n in cfg.walk() if n.name == "location") == depth
    assert list(nginx.tokens(cfg))[:7] == ["server", "{", "listen", "80", ";", "location", "/a"]
    assert list(nginx.tokens(cfg)).count("}") == depth + 1
    (tmp_path / "nginx.conf").write_text(text)
    from seenfix.core.config import Config
    from seenfix.engine.run import run

    result = run(tmp_path, [MissingSecurityHeaders], Config(), fix=True)
    assert result.failures == [] and result.problems == []
    lines = [f.line for f in result.findings]
    assert lines == [1, depth + 2]  # the server, and the innermost location (its own add_header)
    assert result.changes["nginx.conf"].content is not None
    assert nginx.only_insertions(text, result.changes["nginx.conf"].content) is None
