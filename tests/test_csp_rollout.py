"""SF003's CSP rollout: the safe fix sends the policy report-only, a later `--unsafe-fixes` run
enforces the header seenfix wrote (renamed in place, never both), and a report-only policy the user
wrote is left and reported.  Also the "N more fixes with --unsafe-fixes" hint, which counts what
`--unsafe-fixes` would change beyond the safe run (SF003's enforcing CSP, SF001's key-deriving
secrets, the unsafe fixers)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import nginx_harness as harness
from conftest import FIXTURE_SEEN, git, init_repo, run_cli
from seenfix.editors import dotenv

REAL_SHAPES = Path(__file__).resolve().parent / "real_shapes"
CONF = "frontend/nginx.conf"
#: A frontend whose nginx has a location with headers of its own (so it gets its own CSP too).
SITE = """server {
    listen 80;
    root /usr/share/nginx/html;

    location / {
        try_files $uri /index.html;
    }
    location /assets/ {
        add_header Cache-Control "public, max-age=31536000, immutable";
    }
}
"""


def _project(tmp_path: Path, conf: str = SITE) -> Path:
    root = tmp_path / "p"
    shutil.copytree(REAL_SHAPES / "csp-app-frames-itself" / "before", root)
    (root / CONF).write_text(conf)
    return init_repo(root)


def _commit(root: Path) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "safe fixes")


def _more(output: str) -> int:
    """The number in the hint (0 when there is none)."""
    found = re.search(r"(\d+) more (?:fix(?:es)? available )?with --unsafe-fixes", output)
    return int(found.group(1)) if found else 0


def _nginx_ok(text: str, tmp_path: Path) -> None:
    if harness.NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    result = harness.nginx_t(text, "http", tmp_path / "nginx-t")
    assert result.ok, result.error


def test_unsafe_run_enforces_the_report_only_csp_seenfix_wrote(tmp_path: Path) -> None:
    root = _project(tmp_path)
    safe = run_cli("apply", "--quick-wins", str(root))
    assert safe.returncode == 1, safe.stderr
    staged = (root / CONF).read_bytes()
    assert staged.count(b"add_header Content-Security-Policy-Report-Only ") == 2  # server and /assets/
    assert b"add_header Content-Security-Policy \"" not in staged
    _commit(root)

    check = run_cli("check", "--select", "SF003", str(root))
    assert check.returncode == 0, check.stdout + check.stderr  # a low note, fixable only with the flag
    assert check.stdout.count("reports violations and blocks nothing") == 2
    assert _more(check.stderr) == 2
    assert run_cli("apply", "--select", "SF003", str(root)).returncode == 0  # the safe run leaves it
    assert (root / CONF).read_bytes() == staged

    unsafe = run_cli("apply", "--select", "SF003", "--unsafe-fixes", str(root))
    assert unsafe.returncode == 1, unsafe.stderr
    enforced = (root / CONF).read_bytes()
    # before/after bytes: exactly the header names change, nothing else
    assert enforced == staged.replace(b"add_header Content-Security-Policy-Report-Only ",
                                      b"add_header Content-Security-Policy ")
    _nginx_ok(enforced.decode(), tmp_path)
    again = run_cli("apply", "--select", "SF003", "--unsafe-fixes", str(root))
    assert again.returncode == 0 and (root / CONF).read_bytes() == enforced
    after = run_cli("check", "--select", "SF003", "--fail-on", "low", str(root))
    assert after.returncode == 0 and after.stdout == "", after.stdout


def test_config_enforcing_csp_upgrades_without_the_flag(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run_cli("apply", "--quick-wins", str(root))
    _commit(root)
    staged = (root / CONF).read_bytes()
    (root / ".seenfix.toml").write_text("[fixers.SF003]\ncsp_report_only = false\n")
    assert run_cli("apply", "--select", "SF003", str(root)).returncode == 1
    assert (root / CONF).read_bytes() == staged.replace(b"Content-Security-Policy-Report-Only ",
                                                        b"Content-Security-Policy ")


USERS_OWN = """server {
    listen 80;
    add_header X-Content-Type-Options "nosniff" always;
    add_header X-Frame-Options "DENY" always;
    add_header Referrer-Policy "strict-origin-when-cross-origin" always;
    add_header Permissions-Policy "camera=()" always;
    add_header Cross-Origin-Opener-Policy "same-origin" always;
    add_header Content-Security-Policy-Report-Only "default-src 'self'; report-uri /csp" always;
    server_tokens off;
}
"""

BOTH = USERS_OWN.replace("    server_tokens off;\n",
                         "    add_header Content-Security-Policy \"default-src 'self' https:\" always;\n"
                         "    server_tokens off;\n")


@pytest.mark.parametrize("conf", [USERS_OWN, BOTH], ids=["users-report-only", "report-only-next-to-enforcing"])
def test_unsafe_run_leaves_a_report_only_csp_it_did_not_write(conf: str, tmp_path: Path) -> None:
    root = _project(tmp_path, conf)
    for flags in ([], ["--unsafe-fixes"]):
        proc = run_cli("apply", "--select", "SF003", *flags, str(root))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (root / CONF).read_text() == conf
        assert "more fix" not in proc.stderr  # nothing --unsafe-fixes would change
    _nginx_ok(conf, tmp_path)
    shown = run_cli("check", "--select", "SF003", "--unsafe-fixes", str(root)).stdout
    if conf == USERS_OWN:  # reported when the run enforces: the user enforces it by hand
        assert "is not the policy seenfix writes" in shown and "left report-only" in shown
    else:  # two policies side by side are a deliberate test: nothing to say
        assert shown == ""
    assert run_cli("check", "--select", "SF003", str(root)).stdout == ""  # nothing without the flag


# -- the hint ---------------------------------------------------------------------------------------

def _unsafe_fixer_findings(root: Path) -> int:
    """Fixable findings of the fixers whose whole fix is unsafe (SF002, SF005, SF008...)."""
    infos = {f["code"]: f for f in json.loads(run_cli("list", "--format", "json").stdout)}
    doc = json.loads(run_cli("check", "--format", "json", "--unsafe-fixes", str(root)).stdout)
    return sum(1 for f in doc["findings"] if f["fixable"] and infos[f["code"]]["applicability"] == "unsafe")


def _env(root: Path) -> dict[str, str]:
    path = root / ".env"
    return {e.key: e.value for e in dotenv.parse(path.read_text()).entries} if path.exists() else {}


def _committed(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in root.rglob("*")
                     if p.is_file() and ".git" not in p.relative_to(root).parts)


@pytest.mark.parametrize("case", ["seen-fixture", "rails-secret-key-base", "csp-app-frames-itself"])
def test_the_hint_counts_what_unsafe_fixes_would_change(case: str, tmp_path: Path) -> None:
    source = FIXTURE_SEEN if case == "seen-fixture" else REAL_SHAPES / case / "before"
    copies = {}
    for mode in ("safe", "unsafe"):
        copies[mode] = tmp_path / mode
        shutil.copytree(source, copies[mode])
        init_repo(copies[mode])
    committed = _committed(copies["safe"])
    expected = _unsafe_fixer_findings(copies["safe"])
    safe = run_cli("apply", "--set", "all", str(copies["safe"]))
    unsafe = run_cli("apply", "--set", "all", "--unsafe-fixes", str(copies["unsafe"]))
    assert "Traceback" not in safe.stderr + unsafe.stderr
    # SF003: every CSP header the safe run wrote report-only, the unsafe run wrote enforcing (it may
    # write more: in the blocks an unsafe fixer adds, such as SF002's TLS server, counted as its fix)
    csp = 0
    for conf in copies["safe"].rglob("*.conf*"):
        rel = conf.relative_to(copies["safe"])
        staged = conf.read_text().count("add_header Content-Security-Policy-Report-Only \"")
        staged -= (source / rel).read_text().count("add_header Content-Security-Policy-Report-Only \"")
        assert (copies["unsafe"] / rel).read_text().count("add_header Content-Security-Policy \"") >= staged
        csp += staged
    # SF001: key-deriving secrets moved (committed value) by the safe run, generated by the unsafe one
    safe_env, unsafe_env = _env(copies["safe"]), _env(copies["unsafe"])
    replaced = sum(1 for k, v in safe_env.items() if v and v in committed and unsafe_env.get(k) not in committed)
    assert _more(run_cli("check", "--set", "all", str(source)).stderr) == expected + csp + replaced
    # `apply` counts the unsafe fixers' findings as each fixer saw the project, after the safe fixes
    # before it (SF008's backup needs the password SF004 moved): as `check` sees the fixed project
    _commit(copies["safe"])
    left = _unsafe_fixer_findings(copies["safe"])
    assert _more(safe.stderr) == left + csp + replaced, safe.stderr
    if case == "rails-secret-key-base":
        assert replaced == 1
    elif case == "csp-app-frames-itself":
        assert csp == 1
    else:
        assert csp >= 1
    # after the safe run, the hint still counts what is left: the CSP upgrades and the unsafe fixers
    # (a moved key-deriving secret is in the untracked .env now: rotating it is the user's)
    later = run_cli("check", "--set", "all", str(copies["safe"]))
    assert _more(later.stderr) == left + csp, later.stdout + later.stderr
