"""The command line as a user runs it: real processes, real exit codes (README "Exit codes")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEN, git, init_repo, run_cli


def _md_repo(tmp_path: Path, text: str = "hello  \nworld\n", config: str | None = None) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "README.md").write_text(text)
    if config is not None:
        (root / ".seenfix.toml").write_text(config)
    return init_repo(root)


# -- exit code 0 / 1 ------------------------------------------------------------------------------
def test_check_clean_directory_exits_0(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""


def test_check_seen_fixture_finds_problems_exits_1() -> None:
    proc = run_cli("check", str(FIXTURE_SEEN))
    assert proc.returncode == 1, proc.stderr
    assert "backend/app/services/downloads.py:17:5: SF010" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_check_json_is_stable(tmp_path: Path) -> None:
    proc = run_cli("check", "--format", "json", "--select", "SF010", "--fail-on", "low", str(FIXTURE_SEEN))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1
    assert doc["root"] == str(FIXTURE_SEEN.resolve())
    assert doc["findings"], "the fixture has TODO comments"
    first = doc["findings"][0]
    assert set(first) >= {"code", "slug", "path", "line", "message", "fix_title", "severity", "fixable"}
    assert first["code"] == "SF010" and first["slug"] == "todo-comments"
    assert "/" in first["path"] and not first["path"].startswith("/")
    assert isinstance(first["line"], int) and first["line"] >= 1
    assert first["fixable"] is False


def test_check_sarif(tmp_path: Path) -> None:
    proc = run_cli("check", "--format", "sarif", "--select", "SF010", str(FIXTURE_SEEN))
    doc = json.loads(proc.stdout)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert run["tool"]["driver"]["rules"][0]["id"] == "SF010"
    loc = run["results"][0]["locations"][0]["physicalLocation"]
    assert loc["region"]["startLine"] >= 1 and loc["artifactLocation"]["uri"]


def test_apply_dry_run_prints_diff_writes_nothing_exits_1(tmp_path: Path) -> None:
    root = _md_repo(tmp_path)
    before = (root / "README.md").read_bytes()
    proc = run_cli("apply", "--dry-run", "--select", "SF901", str(root), plugins=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("--- a/README.md\n+++ b/README.md\n")
    assert "-hello  \n+hello\n" in proc.stdout
    assert "\x1b[" not in proc.stdout  # not a terminal: no colour
    assert (root / "README.md").read_bytes() == before


def test_apply_writes_then_second_run_exits_0(tmp_path: Path) -> None:
    root = _md_repo(tmp_path)
    proc = run_cli("apply", "--select", "trailing-whitespace", str(root), plugins=True)
    assert proc.returncode == 1, proc.stderr
    assert (root / "README.md").read_text() == "hello\nworld\n"
    git(root, "commit", "-qam", "fixed")
    again = run_cli("apply", "--select", "SF901", str(root), plugins=True)
    assert again.returncode == 0, again.stderr


def test_color_forced_and_no_color_env(tmp_path: Path) -> None:
    root = _md_repo(tmp_path)
    colored = run_cli("apply", "--dry-run", "--color", "--select", "SF901", str(root), plugins=True)
    assert "\x1b[32m+hello" in colored.stdout
    plain = run_cli("apply", "--dry-run", "--no-color", "--select", "SF901", str(root), plugins=True)
    assert "\x1b[" not in plain.stdout
    env_plain = run_cli("apply", "--dry-run", "--select", "SF901", str(root), plugins=True, env={"NO_COLOR": "1"})
    assert "\x1b[" not in env_plain.stdout


# -- exit code 2 ------------------------------------------------------------------------------------
def test_unknown_option_exits_2() -> None:
    assert run_cli("check", "--no-such-flag").returncode == 2


def test_unknown_fixer_exits_2(tmp_path: Path) -> None:
    proc = run_cli("check", "--select", "SF777", str(tmp_path))
    assert proc.returncode == 2
    assert "unknown fixer 'SF777'" in proc.stderr


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ("colour = true\n", "colour"),
        ("select = 3\n", "select"),
        ("[paths]\ncompose = 1\n", "paths.compose"),
        ("[paths]\nwhere = ['x']\n", "paths.where"),
        ("[fixers.SF010]\ntags = 'TODO'\n", "fixers.SF010.tags"),
        ("[fixers.SF010]\nnope = true\n", "fixers.SF010.nope"),
        ("[fixers.SF555]\n", "fixers.SF555"),
    ],
)
def test_config_errors_exit_2_naming_file_and_key(tmp_path: Path, config: str, key: str) -> None:
    (tmp_path / ".seenfix.toml").write_text(config)
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert str(tmp_path / ".seenfix.toml") in line and f": {key}:" in line
    assert "Traceback" not in proc.stderr


def test_pyproject_tool_section_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n\n[tool.seenfix]\nunknown = 1\n")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2
    assert "tool.seenfix.unknown: unknown key" in proc.stderr


def test_config_select_and_options_apply(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("# FIXME: later\n# TODO: now\n")
    (tmp_path / ".seenfix.toml").write_text('select = ["todo-comments"]\n[fixers.todo-comments]\ntags = ["FIXME"]\n')
    proc = run_cli("check", "--fail-on", "low", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stdout.count("SF010") == 1 and "FIXME" in proc.stdout


def test_dirty_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    root = _md_repo(tmp_path)
    (root / "README.md").write_text("local edit  \n")  # uncommitted work
    proc = run_cli("apply", "--select", "SF901", str(root), plugins=True)
    assert proc.returncode == 2
    assert "uncommitted changes: README.md" in proc.stderr
    assert (root / "README.md").read_text() == "local edit  \n"
    forced = run_cli("apply", "--force", "--select", "SF901", str(root), plugins=True)
    assert forced.returncode == 1
    assert (root / "README.md").read_text() == "local edit\n"


# -- exit code 3 ------------------------------------------------------------------------------------
def test_crashing_fixer_exits_3_and_others_still_run(tmp_path: Path) -> None:
    root = _md_repo(tmp_path, "x  \n", config="[fixers.SF901]\ncrash = true\n")
    (root / "app.py").write_text("# TODO: something\n")
    proc = run_cli("apply", "--dry-run", "--select", "SF901,SF010", str(root), plugins=True)
    assert proc.returncode == 3
    assert "SF901 trailing-whitespace: fix crashed: RuntimeError: boom" in proc.stderr
    assert "Traceback" not in proc.stderr
    check = run_cli("check", "--select", "SF901,SF010", str(root), plugins=True)
    assert "SF010" in check.stdout and "SF901" in check.stdout


def test_output_failing_verification_is_dropped_exits_3(tmp_path: Path) -> None:
    root = _md_repo(tmp_path, "x  \n", config="[fixers.SF901]\nbreak_yaml = true\n")
    (root / "compose.yml").write_text("services: {}\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "c")
    proc = run_cli("apply", "--select", "SF901", str(root), plugins=True)
    assert proc.returncode == 3
    assert "compose.yml: output no longer parses" in proc.stderr
    assert (root / "compose.yml").read_text() == "services: {}\n"
    assert (root / "README.md").read_text() == "x  \n"  # the fixer's whole change was dropped


def test_non_idempotent_fix_is_dropped_exits_3(tmp_path: Path) -> None:
    root = _md_repo(tmp_path, "x  \n", config="[fixers.SF901]\nflip = true\n")
    proc = run_cli("apply", "--select", "SF901", str(root), plugins=True)
    assert proc.returncode == 3
    assert "not idempotent" in proc.stderr
    assert (root / "README.md").read_text() == "x  \n"


def test_bad_input_is_one_line_naming_file_line_and_fixer(tmp_path: Path) -> None:
    root = _md_repo(tmp_path, "fine  \n")
    (root / "bad.md").write_text("ok\nSEENFIX-BROKEN here\n")
    proc = run_cli("apply", "--dry-run", "--select", "SF901", str(root), plugins=True)
    assert proc.returncode == 3
    assert "error: bad.md:2: SF901: demo parse error" in proc.stderr.splitlines()
    assert "Traceback" not in proc.stderr
    assert "+fine\n" in proc.stdout  # the other file is still fixed


def test_plugin_that_fails_to_load_is_named_and_others_run(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("# TODO: x\n")
    proc = run_cli("check", str(tmp_path), broken=True)
    assert proc.returncode == 3
    assert "plugin 'SF999' from package 'seenfix-broken 0.1' failed to load" in proc.stderr
    assert "a.py:1:1: SF010" in proc.stdout


# -- list / explain / secret / workspace rules -------------------------------------------------------
def test_list_and_explain() -> None:
    proc = run_cli("list")
    assert proc.returncode == 0
    assert any(line.startswith("SF010  todo-comments") for line in proc.stdout.splitlines())
    text = run_cli("explain", "todo-comments")
    assert text.returncode == 0 and "## Why is this bad?" in text.stdout
    doc = json.loads(run_cli("explain", "SF010", "--format", "json").stdout)
    assert doc["code"] == "SF010" and doc["fix_availability"] == "none"
    assert run_cli("explain", "SF404").returncode == 2


def test_secret_is_fresh_and_long() -> None:
    a, b = run_cli("secret").stdout.strip(), run_cli("secret").stdout.strip()
    assert a != b and len(a) >= 43
    assert run_cli("secret", "--bytes", "8").returncode == 2


def test_symlink_out_of_root_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("secret  \n")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "link.md").symlink_to(outside)
    (root / "own.md").write_text("mine  \n")
    proc = run_cli("apply", "--select", "SF901", str(root), plugins=True)
    assert "link.md: skipped, a symlink pointing outside the project" in proc.stderr
    assert outside.read_text() == "secret  \n"
    assert (root / "own.md").read_text() == "mine\n"


def test_binary_and_undecodable_files_are_skipped_with_warning(tmp_path: Path) -> None:
    (tmp_path / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00  \n")
    (tmp_path / "latin.md").write_bytes("ok\ncaf\xe9  \n".encode("latin-1"))
    proc = run_cli("apply", "--select", "SF901", str(tmp_path), plugins=True)
    assert proc.returncode == 0
    assert "image.md: skipped, binary file" in proc.stderr
    assert "latin.md: skipped, not valid UTF-8 (line 2)" in proc.stderr


def test_bom_mode_and_line_endings_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "doc.md"
    target.write_bytes(b"\xef\xbb\xbfline  \r\nnext\r\n")
    os.chmod(target, 0o640)
    proc = run_cli("apply", "--select", "SF901", str(tmp_path), plugins=True)
    assert proc.returncode == 1
    assert target.read_bytes() == b"\xef\xbb\xbfline\r\nnext\r\n"
    assert target.stat().st_mode & 0o777 == 0o640


def test_non_git_directory_works(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_SEEN, tmp_path / "seen")
    proc = run_cli("check", "--format", "json", str(tmp_path / "seen"))
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["findings"]


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    import pty
    import subprocess
    import sys

    (tmp_path / "a.py").write_text("# TODO: x\n")
    quiet = run_cli("check", "--select", "SF010", str(tmp_path))
    assert "[1/" not in quiet.stderr
    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "seenfix", "check", "--select", "SF010", "--fail-on", "low",
                           str(tmp_path)], stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    shown = os.read(master, 65536).decode()
    os.close(master)
    assert proc.returncode == 1
    assert "[1/1] SF010 todo-comments" in shown


def test_unsafe_fix_needs_the_flag(seen_repo: Path) -> None:
    safe = run_cli("apply", "--dry-run", "--select", "SF005", str(seen_repo))
    assert safe.returncode == 0 and safe.stdout == ""
    assert "1 more fix available with --unsafe-fixes" in safe.stderr
    unsafe = run_cli("apply", "--dry-run", "--unsafe-fixes", "--select", "SF005", str(seen_repo))
    assert unsafe.returncode == 1 and "+        limit_req zone=seenfix_api" in unsafe.stdout
    (seen_repo / ".seenfix.toml").write_text("unsafe-fixes = true\n")
    assert run_cli("apply", "--dry-run", "--select", "SF005", str(seen_repo)).returncode == 1


def test_sets_select_and_ignore(seen_repo: Path) -> None:
    def codes(*args: str) -> set[str]:
        proc = run_cli("check", "--format", "json", *args, str(seen_repo))
        assert proc.returncode in (0, 1), proc.stderr
        return {f["code"] for f in json.loads(proc.stdout)["findings"]}

    assert codes("--quick-wins") == codes("--set", "quick-wins") == {"SF003", "SF006", "SF007", "SF009", "SF011"} & codes()
    assert codes("--set", "p0") <= {"SF001", "SF002", "SF003", "SF004", "SF008", "SF014"}
    assert "SF010" in codes() and "SF010" not in codes("--ignore", "todo-comments")
    assert codes("--select", "SF011,missing-log-rotation") == {"SF007", "SF011"}


def test_paths_config_overrides_discovery(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "stack.yml").write_text("services:\n  db:\n    image: postgres:16\n")
    assert run_cli("check", "--select", "SF011", str(tmp_path)).returncode == 0  # not a compose file name
    (tmp_path / ".seenfix.toml").write_text('[paths]\ncompose = ["deploy/stack.yml"]\n')
    proc = run_cli("check", "--select", "SF011", str(tmp_path))
    assert proc.returncode == 1 and "deploy/stack.yml:2:3: SF011" in proc.stdout


def test_invalid_toml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".seenfix.toml").write_text("select = [\n")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2 and "invalid TOML" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("name", "content"), [
    (".seenfix.toml", b'select = ["SF011"]\nignore \xff= ["SF010"]\n'),
    ("pyproject.toml", b'[project]\nname = "x"\ndescription = "caf\xe9"\n'),
])
def test_toml_that_is_not_utf8_is_one_line(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = content.count(b"\n")  # the bad byte is on the last line
    assert proc.stderr.strip().endswith(f"{name}: invalid TOML: not UTF-8 text (at line {line})")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_python_nested_too_deeply_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    """libcst's native parser overflows its stack on thousands of nested brackets (the process dies
    with SIGSEGV), and its visitors recurse: both are turned away with the file's name and line.
    Hundreds of brackets CPython parses: a check reads them (on CPython's tree), and only the fix,
    which goes through libcst, is turned away; the file is left as it was.  Run as a separate
    process, so that a regression fails this test instead of killing pytest."""
    backend = tmp_path / "backend" / "app"
    backend.mkdir(parents=True)
    config = backend / "config.py"
    config.write_text('JWT_SECRET = "changeme"\nx = ' + "[" * 3000 + "]" * 3000 + "\n")
    proc = run_cli("check", "--select", "SF001", str(tmp_path))
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-500:])
    assert proc.stderr.strip() == "error: backend/app/config.py:2: SF001: cannot parse Python: too many nested parentheses"
    before = 'import os\nJWT_SECRET = "changeme"\nx = ' + "[" * 199 + "]" * 199 + "\n"
    config.write_text(before)
    proc = run_cli("check", "--select", "SF001", str(tmp_path))
    assert proc.returncode == 1 and proc.stdout.startswith("backend/app/config.py:2:1: SF001 [*] JWT_SECRET"), proc
    proc = run_cli("apply", "--select", "SF001", str(tmp_path))
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-500:])
    assert "error: backend/app/config.py:3: SF001: cannot analyse Python: nested too deeply" in proc.stderr
    assert config.read_text() == before


def test_toml_nested_too_deeply_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".seenfix.toml").write_text("select = []\nx = " + "[" * 3000 + "1" + "]" * 3000 + "\n")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith(".seenfix.toml: invalid TOML: nested too deeply (at line 2)")


def test_a_todo_line_with_a_long_run_of_spaces_does_not_hang_the_check(tmp_path: Path) -> None:
    """SF010's pattern once backtracked for minutes on such a line (5,000 spaces: 140 s).  The
    timeout is a guard against a hang, not a speed target: the check takes milliseconds."""
    (tmp_path / "notes.py").write_text("x = 1  # TODO check" + " " * 20_000 + "this */\n")
    proc = subprocess.run([sys.executable, "-m", "seenfix", "check", "--select", "SF010", "--fail-on", "low",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0] == "notes.py:1:8: SF010 TODO comment: check" + " " * 20_000 + "this"


def test_invalid_yaml_is_one_line_and_other_fixers_run(seen_repo: Path) -> None:
    (seen_repo / "docker-compose.yml").write_text("services:\n  db: [unclosed\n")
    proc = run_cli("check", str(seen_repo))
    assert proc.returncode == 3
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: docker-compose.yml:")]
    assert len(errors) == 1, proc.stderr  # one line for the file, naming every fixer that met it
    assert errors[0].startswith("error: docker-compose.yml:3: SF004, SF008, SF007") and "invalid YAML" in errors[0]
    assert "Traceback" not in proc.stderr
    assert "frontend/nginx.conf" in proc.stdout  # the nginx fixers still ran


def test_a_recursive_merge_is_one_line_not_a_crash(seen_repo: Path) -> None:
    compose = seen_repo / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("services:", "x-a: &a\n  nested:\n    <<: *a\nservices:", 1))
    line = compose.read_text().splitlines().index("    <<: *a") + 1
    proc = run_cli("check", str(seen_repo))
    assert proc.returncode == 3
    # one line for every compose fixer, those that only compose the YAML (SF001, SF004) included
    assert f"error: docker-compose.yml:{line}: SF001, SF004, SF008, SF007, SF011, SF012, SF013, SF014: " in proc.stderr
    assert "this merge (<<) includes the mapping it is in" in proc.stderr
    assert "crashed" not in proc.stderr and "Traceback" not in proc.stderr
    assert "frontend/nginx.conf" in proc.stdout  # the nginx fixers still ran


def test_apply_names_at_most_ten_files_per_fixer_and_counts_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "web"
    root.mkdir()
    for i in range(12):
        (root / f"m{i:02d}.ts").write_text('import { a, b } from "x";\nexport const y = a;\n')
    init_repo(root)
    proc = run_cli("apply", "--select", "SF009", str(root))
    assert proc.returncode == 1, proc.stderr
    fixed = [line for line in proc.stderr.splitlines() if line.startswith("fixed SF009")]
    names = ", ".join(f"m{i:02d}.ts" for i in range(10))
    assert fixed == [f"fixed SF009 unused-typescript-import: {names} and 2 more"]
    assert "seenfix: 12 files written." in proc.stderr
    assert all((root / f"m{i:02d}.ts").read_text().startswith('import { a } from "x";') for i in range(12))


def test_unparsable_typescript_is_a_warning_unless_strict(tmp_path: Path) -> None:
    """A TS file seenfix's parser cannot read may be valid TypeScript: a warning counted in the
    summary, exit 0/1 by the findings; --strict makes it exit 3 (issue 14, class 8)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.ts").write_text('import { a } from "./a";\nexport const x = 1;\n')
    (src / "odd.ts").write_text("export const f = (\n")
    proc = run_cli("check", "--select", "SF009", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "seenfix: warning: src/odd.ts:" in proc.stderr and "seenfix cannot parse this file" in proc.stderr
    assert "1 file seenfix could not parse was skipped (--strict fails on them)" in proc.stderr
    assert "src/ok.ts:1:10: SF009" in proc.stdout
    strict = run_cli("check", "--strict", "--select", "SF009", str(tmp_path))
    assert strict.returncode == 3 and "error: src/odd.ts:" in strict.stderr
