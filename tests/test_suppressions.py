"""The gate: inline suppressions in each format, per-file ignores, baselines, the exit policy and the
CI output formats (README "Suppressing findings", "Baseline", "Exit codes", "CI output formats")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEN, init_repo, run_cli
from seenfix.editors.comments import directives, same_meaning
from seenfix.engine.suppress import glob_matches, keep_hunks


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return init_repo(root)  # a tracked .env is a finding (an untracked one is where secrets belong)


def _findings(root: Path, *args: str) -> list[tuple[str, str, int]]:
    proc = run_cli("check", "--format", "json", *args, str(root))
    assert proc.returncode in (0, 1), proc.stderr
    return [(f["code"], f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"]]


COMPOSE = """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: hunter2hunter2
  web:
    image: nginx:1.27
"""

#: (files, select, findings expected without the suppression, the suppression's edit, findings left)
CASES = {
    "compose service, comment above": (
        {"docker-compose.yml": COMPOSE}, "SF011,SF013",
        [("SF011", "docker-compose.yml", 2), ("SF011", "docker-compose.yml", 6), ("SF013", "docker-compose.yml", 2)],
        ("docker-compose.yml", "  db:\n", "  # seenfix: ignore[SF011]\n  db:\n"),
        [("SF011", "docker-compose.yml", 7), ("SF013", "docker-compose.yml", 3)]),
    "compose service, on the line, covers its block": (
        {"docker-compose.yml": COMPOSE}, "SF004,SF011",
        [("SF011", "docker-compose.yml", 2), ("SF004", "docker-compose.yml", 5), ("SF011", "docker-compose.yml", 6)],
        ("docker-compose.yml", "  db:\n", "  db:  # seenfix: ignore[SF004, SF011]\n"),
        [("SF011", "docker-compose.yml", 6)]),
    "nginx directive": (
        {"nginx.conf": "server {\n    listen 80;\n    location /api/ {\n        proxy_pass http://api:8000;\n    }\n}\n"},
        "SF002,SF005",
        [("SF002", "nginx.conf", 2), ("SF005", "nginx.conf", 3)],
        ("nginx.conf", "    listen 80;\n", "    listen 80;  # seenfix: ignore[SF002]\n"),
        [("SF005", "nginx.conf", 3)]),
    "nginx block, comment above": (
        {"nginx.conf": "server {\n    listen 80;\n    location /api/ {\n        proxy_pass http://api:8000;\n    }\n}\n"},
        "SF002,SF005",
        [("SF002", "nginx.conf", 2), ("SF005", "nginx.conf", 3)],
        ("nginx.conf", "    location /api/ {\n", "    # rate limited by the load balancer\n"
                                                   "    # seenfix: ignore[SF005]\n    location /api/ {\n"),
        [("SF002", "nginx.conf", 2)]),
    "Python line": (
        {"app/settings.py": 'JWT_SECRET = "changeme"\n# TODO: read it from the vault\n'}, "SF001,SF010",
        [("SF001", "app/settings.py", 1), ("SF010", "app/settings.py", 2)],
        ("app/settings.py", '"changeme"\n', '"changeme"  # seenfix: ignore[SF001]\n'),
        [("SF010", "app/settings.py", 2)]),
    ".env line": (
        {".env": "APP_ENV=demo\nJWT_SECRET=changeme\n"}, "SF001",
        [("SF001", ".env", 2)],
        (".env", "JWT_SECRET", "# seenfix: ignore[SF001]\nJWT_SECRET"),
        []),
    "TypeScript line above": (
        {"web/src/api.ts": "export const a = 1;\n// TODO: retry\nexport const b = 2;\n"}, "SF010",
        [("SF010", "web/src/api.ts", 2)],
        ("web/src/api.ts", "// TODO: retry\n", "// seenfix-ignore SF010\n// TODO: retry\n"),
        []),
    "TypeScript same line": (
        {"web/src/api.ts": "export const a = 1; // TODO: retry\n"}, "SF010",
        [("SF010", "web/src/api.ts", 1)],
        ("web/src/api.ts", "// TODO: retry\n", "// TODO: retry /* seenfix-ignore SF010 */\n"),
        []),
    "file level, hash": (
        {"tools/deploy.sh": "#!/bin/sh\n# TODO: a\n# TODO: b\n"}, "SF010",
        [("SF010", "tools/deploy.sh", 2), ("SF010", "tools/deploy.sh", 3)],
        ("tools/deploy.sh", "# TODO: b\n", "# TODO: b\n# seenfix: ignore-file[SF010]\n"),
        []),
    "file level, slash": (
        {"web/src/a.tsx": "// TODO: a\nexport const A = () => <b>a</b>;\n"}, "SF010",
        [("SF010", "web/src/a.tsx", 1)],
        ("web/src/a.tsx", "// TODO: a\n", "// seenfix-ignore-file SF010\n// TODO: a\n"),
        []),
    "another code does not suppress": (
        {"app/settings.py": 'JWT_SECRET = "changeme"\n'}, "SF001",
        [("SF001", "app/settings.py", 1)],
        ("app/settings.py", '"changeme"\n', '"changeme"  # seenfix: ignore[SF010]\n'),
        [("SF001", "app/settings.py", 1)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_inline_suppression_per_format(name: str, tmp_path: Path) -> None:
    files, select, before, (rel, old, new), after = CASES[name]
    root = _project(tmp_path, files)
    assert sorted(_findings(root, "--select", select)) == sorted(before)
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    assert sorted(_findings(root, "--select", select)) == sorted(after)


def test_sf009_keeps_its_own_form(tmp_path: Path) -> None:
    root = _project(tmp_path, {"web/src/a.ts": '// seenfix-ignore SF009\nimport { x } from "./x";\n'
                                                'import { y } from "./y";\nexport const z = 1;\n',
                               "web/src/x.ts": "export const x = 1;\n", "web/src/y.ts": "export const y = 1;\n",
                               "web/package.json": '{"name": "web"}\n'})
    assert _findings(root, "--select", "SF009") == [("SF009", "web/src/a.ts", 3)]
    proc = run_cli("check", "--select", "SF009", str(root))
    assert "unused suppression" not in proc.stderr  # SF009 used it itself


def test_unused_suppressions_are_reported(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app/settings.py": 'DEBUG = True  # seenfix: ignore[SF001]\n'
                                                  '# TODO: x  # seenfix: ignore[SF010]\n'})
    proc = run_cli("check", "--select", "SF001,SF010", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "app/settings.py:1:15: unused suppression (SF001): nothing is suppressed here" in proc.stderr
    assert "settings.py:2" not in proc.stderr
    doc = json.loads(run_cli("check", "--format", "json", "--select", "SF001,SF010", str(root)).stdout)
    assert doc["unused_suppressions"] == ["app/settings.py:1:15: unused suppression (SF001): nothing is suppressed here"]
    # a code that did not run is not known to be unused
    assert "unused" not in run_cli("check", "--select", "SF010", str(root)).stderr


def test_add_ignore_silences_the_seen_fixture_round_trip_safe(tmp_path: Path) -> None:
    root = tmp_path / "seen"
    shutil.copytree(FIXTURE_SEEN, root)
    init_repo(root)
    before = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    proc = run_cli("check", "--add-ignore", str(root))
    assert proc.returncode == 0, proc.stderr
    left = _findings(root, "--fail-on", "low")
    # a missing file and a JSX text line cannot hold a comment: they are named, the rest are silenced
    assert sorted(left) == [("SF006", ".env.production.example", 1), ("SF010", "frontend/src/routes/downloads.tsx", 17)]
    for f in left:
        assert f"{f[1]}:{f[2]}: {f[0]}: no suppression comment can go here" in proc.stderr
    assert "unused suppression" not in run_cli("check", str(root)).stderr
    changed = 0
    for rel, old in before.items():
        new = (root / rel).read_text()
        if new == old:
            continue
        changed += 1
        assert same_meaning(rel, old, new), rel
        old_lines, new_lines = old.splitlines(), new.splitlines()
        assert len(new_lines) == len(old_lines)  # every comment ends a line here
        for a, b in zip(old_lines, new_lines):
            assert b == a or (b.startswith(a) and "seenfix" in b[len(a):]), (rel, a, b)
    assert changed == 8
    again = run_cli("check", "--add-ignore", str(root))
    snapshot = {rel: (root / rel).read_text() for rel in before}
    assert again.returncode == 0 and "added suppressions for 0 findings" in again.stderr
    assert snapshot == {rel: (root / rel).read_text() for rel in before}


def test_add_ignore_goes_above_where_a_line_end_would_change_the_value(tmp_path: Path) -> None:
    root = _project(tmp_path, {".env": "JWT_SECRET=changeme\n", "job.py": 'SQL = """\nx\n"""\nJWT_SECRET = "changeme"\n'})
    assert run_cli("check", "--add-ignore", "--select", "SF001", str(root)).returncode == 0
    assert (root / ".env").read_text() == "# seenfix: ignore[SF001]\nJWT_SECRET=changeme\n"
    assert (root / "job.py").read_text().endswith('JWT_SECRET = "changeme"  # seenfix: ignore[SF001]\n')
    assert _findings(root, "--select", "SF001") == []


@pytest.mark.parametrize(("path", "before", "after", "same"), [
    ("a.yml", "k: |\n  text\n", "k: |\n  text  # seenfix: ignore[SF010]\n", False),
    ("a.yml", "k: v\n", "k: v  # seenfix: ignore[SF010]\n", True),
    ("a.py", 's = """\nx\n"""\n', 's = """\nx  # seenfix: ignore[SF010]\n"""\n', False),
    ("a.ts", "const s = `\nx\n`;\n", "const s = `\nx // seenfix-ignore SF010\n`;\n", False),
    ("a.ts", "const s = 1;\n", "const s = 1; // seenfix-ignore SF010\n", True),
    ("nginx.conf", "server {\n}\n", "server {  # seenfix: ignore[SF003]\n}\n", True),
    (".env", "A=b\n", "A=b # seenfix: ignore[SF001]\n", True),
    (".env", "A='b\nc'\n", "A='b # x\nc'\n", False),
])
def test_same_meaning_tells_comments_from_content(path: str, before: str, after: str, same: bool) -> None:
    assert same_meaning(path, before, after) is same


def test_block_reach_of_a_comment() -> None:
    yaml = "services:\n  # seenfix: ignore[SF011]\n  db:\n    image: x\n\n    ports: []\n  web:\n    image: y\n"
    (d,) = directives("compose.yaml", yaml)
    assert (d.codes, d.first, d.last) == (("SF011",), 2, 6)
    nginx = "server {\n    location / {  # seenfix: ignore\n        return 200 '{';\n    }\n    listen 80;\n}\n"
    (d,) = directives("site.conf", nginx)
    assert (d.codes, d.first, d.last) == ((), 2, 4)
    assert directives("a.py", "x = '# seenfix: ignore[SF001]'\n") == []  # no space before the '#'


def test_keep_hunks_gives_each_region_to_the_finding_above_it() -> None:
    before = "a:\n  x: 1\nb:\n  x: 1\n"
    after = "top\na:\n  x: 1\n  y: 2\nb:\n  x: 1\n  y: 2\n"
    assert keep_hunks(before, after, live={3}, gone={1}) == "top\na:\n  x: 1\nb:\n  x: 1\n  y: 2\n"
    assert keep_hunks(before, after, live={1}, gone={3}) == "top\na:\n  x: 1\n  y: 2\nb:\n  x: 1\n"


@pytest.mark.parametrize(("pattern", "path", "hit"), [
    ("tests/**", "tests/a/b.py", True), ("tests/", "tests/x.py", True), ("*.tsx", "web/src/a.tsx", True),
    ("web/*.ts", "web/src/a.ts", False), ("**/migrations/*.py", "app/migrations/1.py", True),
    (".env", "deploy/.env", True), ("./docker-compose.yml", "docker-compose.yml", True),
])
def test_per_file_ignore_patterns(pattern: str, path: str, hit: bool) -> None:
    assert glob_matches(pattern, path) is hit


def test_config_per_file_ignores_and_extend(tmp_path: Path) -> None:
    files = {"app/a.py": "# TODO: a\n", "legacy/t.py": "# TODO: t\n", "docker-compose.yml": COMPOSE}
    root = _project(tmp_path, files)
    (root / ".seenfix.toml").write_text('select = ["SF010"]\nextend-select = ["SF011"]\nextend-ignore = []\n'
                                        '[per-file-ignores]\n"legacy/**" = ["todo-comments"]\n')
    assert sorted(_findings(root)) == [("SF010", "app/a.py", 1), ("SF011", "docker-compose.yml", 2),
                                       ("SF011", "docker-compose.yml", 6)]
    (root / ".seenfix.toml").write_text('extend-ignore = ["SF011", "SF004", "SF013", "SF012", "SF007", "SF008"]\n'
                                        '[per-file-ignores]\n"docker-compose.yml" = ["ALL"]\n')
    assert sorted(_findings(root)) == [("SF010", "app/a.py", 1), ("SF010", "legacy/t.py", 1)]


@pytest.mark.parametrize(("config", "key"), [
    ('extend-select = "SF999"\n', "extend-select"),
    ('extend-ignore = [1]\n', "extend-ignore"),
    ('per-file-ignores = ["x"]\n', "per-file-ignores"),
    ('[per-file-ignores]\n"tests/**" = ["SF999"]\n', 'per-file-ignores."tests/**"'),
    ('[per-file-ignores]\n"tests/**" = 3\n', 'per-file-ignores."tests/**"'),
    ('fail-on = "never"\n', "fail-on"),
    ('[tool.seenfix]\nper-file-ignore = {}\n', "tool.seenfix.per-file-ignore"),
])
def test_bad_gate_configuration_is_exit_2_naming_the_key(tmp_path: Path, config: str, key: str) -> None:
    name = "pyproject.toml" if config.startswith("[tool") else ".seenfix.toml"
    (tmp_path / name).write_text(config)
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{name}: {key}: " in proc.stderr


def test_baseline_survives_moved_lines_and_reports_new_findings(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app/a.py": "# TODO: one\nx = 1\n# TODO: two\n", "docker-compose.yml": COMPOSE})
    base = tmp_path / "baseline.json"
    proc = run_cli("check", "--write-baseline", str(base), "--select", "SF010,SF011", str(root))
    assert proc.returncode == 0 and "wrote 4 findings" in proc.stderr
    doc = json.loads(base.read_text())
    assert doc["version"] == 1 and len(doc["findings"]) == 4
    assert "TODO: one" not in base.read_text().split('"message"')[0]  # no source lines, only digests
    assert _findings(root, "--baseline", str(base), "--select", "SF010,SF011") == []
    # lines move (code inserted above, services reordered): still known
    (root / "app/a.py").write_text("import os\n\n\n# TODO: one\nx = 1\n# TODO: two\n")
    (root / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27\n" + COMPOSE.split("  web:\n")[0][10:])
    assert _findings(root, "--baseline", str(base), "--fail-on", "low", "--select", "SF010,SF011") == []
    # a new finding and an edited line are new
    (root / "app/a.py").write_text("import os\n# TODO: three\n# TODO: one\nx = 1\n# TODO: two, reworded\n")
    assert _findings(root, "--baseline", str(base), "--fail-on", "low", "--select", "SF010,SF011") == [
        ("SF010", "app/a.py", 2), ("SF010", "app/a.py", 5)]
    proc = run_cli("check", "--baseline", str(base), "--fail-on", "low", "--select", "SF010,SF011", str(root))
    assert proc.returncode == 1 and "3 findings in the baseline not shown" in proc.stderr


def test_baseline_of_duplicates_counts_them(tmp_path: Path) -> None:
    root = _project(tmp_path, {"a.py": "# TODO: x\n# TODO: x\n"})
    base = tmp_path / "b.json"
    run_cli("check", "--write-baseline", str(base), str(root))
    (root / "a.py").write_text("# TODO: x\n# TODO: x\n# TODO: x\n")
    assert _findings(root, "--baseline", str(base)) == [("SF010", "a.py", 3)]


def test_bad_baseline_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text("[1]")
    proc = run_cli("check", "--baseline", str(tmp_path / "b.json"), str(tmp_path))
    assert proc.returncode == 2 and "b.json: not a seenfix baseline" in proc.stderr


def test_fail_on_is_a_ladder_and_exit_zero(tmp_path: Path) -> None:
    # SF002 critical report-only, SF013 medium report-only, SF010 low report-only, SF011 fixable
    root = _project(tmp_path, {"docker-compose.yml": COMPOSE, "a.py": "# TODO: x\n",
                               "nginx.conf": "server {\n    listen 80;\n}\n"})
    args = ("--select", "SF002,SF010,SF013")
    codes = {level: run_cli("check", *args, "--fail-on", level, str(root)).returncode
             for level in ("fixable", "high", "medium", "low")}
    assert codes == {"fixable": 0, "high": 1, "medium": 1, "low": 1}
    assert run_cli("check", "--select", "SF010,SF013", "--fail-on", "high", str(root)).returncode == 0
    assert run_cli("check", "--select", "SF010,SF013", "--fail-on", "medium", str(root)).returncode == 1
    assert run_cli("check", "--select", "SF010", "--fail-on", "medium", str(root)).returncode == 0
    assert run_cli("check", "--select", "SF011", str(root)).returncode == 1  # fixable fails by default
    assert run_cli("check", "--select", "SF011", "--exit-zero", str(root)).returncode == 0
    (root / ".seenfix.toml").write_text('fail-on = "low"\n')
    assert run_cli("check", "--select", "SF010", str(root)).returncode == 1
    assert run_cli("check", "--select", "SF010", "--fail-on", "fixable", str(root)).returncode == 0


def test_unsafe_fixes_count_as_fixable_only_when_asked(tmp_path: Path) -> None:
    # SF005's fix (a rate limit) is unsafe: plain `seenfix apply` leaves it
    root = _project(tmp_path, {"nginx.conf": "server {\n    location /api/ {\n        proxy_pass http://api:8000;\n"
                                             "    }\n}\n"})
    plain = run_cli("check", "--select", "SF005", str(root))
    assert plain.returncode == 0 and "(0 fixable with `seenfix apply`, 1 more with --unsafe-fixes" in plain.stderr
    unsafe = run_cli("check", "--select", "SF005", "--unsafe-fixes", str(root))
    assert unsafe.returncode == 1 and "(1 fixable with `seenfix apply`)" in unsafe.stderr
    (root / ".seenfix.toml").write_text("unsafe-fixes = true\n")
    assert run_cli("check", "--select", "SF005", str(root)).returncode == 1


def test_statistics(tmp_path: Path) -> None:
    root = _project(tmp_path, {"docker-compose.yml": COMPOSE, "a.py": "# TODO: x\n# FIXME: y\n"})
    proc = run_cli("check", "--statistics", "--select", "SF010,SF011", str(root))
    assert proc.stdout == "    2\tSF010\t[ ] todo-comments\n    2\tSF011\t[*] missing-resource-limits\n"
    doc = json.loads(run_cli("check", "--statistics", "--format", "json", "--select", "SF011", str(root)).stdout)
    assert doc == [{"code": "SF011", "name": "missing-resource-limits", "count": 2, "fixable": 2}]


def test_github_annotations(tmp_path: Path) -> None:
    root = _project(tmp_path, {"docker-compose.yml": COMPOSE, "a.py": "# TODO: 100%, a:b\n"})
    proc = run_cli("check", "--format", "github", "--select", "SF010,SF011", "proj", cwd=tmp_path)
    lines = proc.stdout.splitlines()
    assert lines[0] == "::notice file=proj/a.py,line=1,col=1,title=SF010 todo-comments::TODO comment: 100%25, a:b"
    assert lines[1].startswith("::warning file=proj/docker-compose.yml,line=2,col=3,"
                               "title=SF011 missing-resource-limits::service `db` has no memory or CPU limit")
    assert len(lines) == 3


def test_gitlab_code_quality(tmp_path: Path) -> None:
    root = _project(tmp_path, {"docker-compose.yml": COMPOSE, "a.py": "# TODO: x\n"})
    doc = json.loads(run_cli("check", "--format", "gitlab", "--select", "SF010,SF011", str(root), cwd=root).stdout)
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"], i["severity"]) for i in doc] == [
        ("SF010", "a.py", 1, "info"), ("SF011", "docker-compose.yml", 2, "minor"), ("SF011", "docker-compose.yml", 6, "minor")]
    assert len({i["fingerprint"] for i in doc}) == 3 and all(i["description"] for i in doc)


def test_the_file_pass_leaves_unread_here_what_cannot_hold_a_suppression(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file pass reads the files in worker processes and keeps their texts there; a file whose text
    holds no ``seenfix`` is then known to hold no suppression comment, and the calling process does
    not read it again to look for one.  The text of the one file that holds a suppression comes back
    with the pass, and the comment still suppresses its finding."""
    from seenfix.core.config import Config
    from seenfix.core.workspace import Workspace
    from seenfix.engine.run import run
    from seenfix.fixers.todo_comments import TodoComments

    files = {f"web/src/m{i:02d}.ts": f"// TODO: name the export\nexport const m{i} = {i};\n" for i in range(60)}
    files["web/src/m07.ts"] = "// seenfix-ignore SF010\n" + files["web/src/m07.ts"]
    root = _project(tmp_path, files)
    read: list[str] = []
    real = Workspace.read

    def spy(self: Workspace, rel: str):  # type: ignore[no-untyped-def]
        read.append(rel)
        return real(self, rel)

    monkeypatch.setattr(Workspace, "read", spy)
    monkeypatch.setenv("SEENFIX_JOBS", "2")
    monkeypatch.setenv("SEENFIX_NO_CACHE", "1")
    result = run(root, [TodoComments], Config(), fix=False)
    found = sorted(f.path for f in result.findings)
    assert len(found) == 59 and "web/src/m07.ts" not in found
    assert [p for p in read if p.endswith(".ts")] == []  # the pass's reads served the engine
    assert result.final is not None
    assert all(result.final.holds_no_mark(p) and result.final.cached_text(p) is None for p in found)
    # the one file that may hold a suppression came back with the pass (for its comments)
    assert not result.final.holds_no_mark("web/src/m07.ts")
    assert result.final.cached_text("web/src/m07.ts") == files["web/src/m07.ts"]
