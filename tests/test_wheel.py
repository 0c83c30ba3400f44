"""The built wheel carries the templates, the compose schema and the compiled C extension (built by
``seenfix/analysis/_native/build_hook.py``): install it fresh and use them. The sdist carries the extension's C sources."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NATIVE_SOURCES = ("seenfix/analysis/_native/unused_scan.c", "seenfix/analysis/_native/tree_sitter/src/lib.c",
                  "seenfix/analysis/_native/tree_sitter/include/tree_sitter/api.h")
WARNING = "seenfix build warning:"


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path
    log: str  # the build's stderr: the hook's warning, if the extension did not build


def _build(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), *args, str(REPO)],
                          capture_output=True, text=True, env=env)


def _env(**changes: str) -> dict[str, str]:
    """This environment without the hook's switches (``.ci/run`` exports SEENFIX_REQUIRE_NATIVE=1), plus changes."""
    env = {k: v for k, v in os.environ.items() if k not in ("SEENFIX_NO_NATIVE", "SEENFIX_REQUIRE_NATIVE", "CC")}
    return env | changes


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """One sdist, and the wheel built from it (as ``pip install seenfix-*.tar.gz`` would): compiling the
    extension (the tree-sitter runtime) takes about ten seconds, so the module's tests share this build."""
    out = tmp_path_factory.mktemp("dist")
    proc = _build(out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Dists(next(out.glob("seenfix-*.tar.gz")), next(out.glob("seenfix-*.whl")), proc.stderr)


@pytest.fixture(scope="module")
def wheel(dists: Dists) -> Path:
    return dists.wheel


def test_wheel_contains_templates_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.name for p in (REPO / "templates").iterdir() if p.is_file())
    assert templates, "templates/ is empty"
    for name in templates:
        assert f"seenfix/templates/{name}" in names
    data = sorted(p.name for p in (REPO / "seenfix" / "data").iterdir() if p.is_file()) \
        if (REPO / "seenfix" / "data").is_dir() else []
    for name in data:
        assert f"seenfix/data/{name}" in names


def test_installed_wheel_renders_templates(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    script = (
        "import jinja2, pathlib, seenfix.core.templating as t\n"
        "d = t.templates_dir()\n"
        "assert 'site-packages' in str(d), d\n"
        "env = t._environment()\n"
        "names = sorted(p.name for p in d.iterdir())\n"
        "for n in names: env.get_template(n)\n"
        "print(t.render('smoke.txt.j2', name='SEEN'), end='')\n"
    )
    proc = subprocess.run([str(py), "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "seenfix templates are installed for SEEN\n"
    if any(n.startswith("seenfix/analysis/_unused_scan") for n in zipfile.ZipFile(wheel).namelist()):
        native = subprocess.run([str(py), "-c", "import seenfix.analysis._unused_scan as m; print(m.__file__)"],
                                capture_output=True, text=True, cwd=tmp_path)
        assert native.returncode == 0 and "site-packages" in native.stdout, native.stderr
    help_proc = subprocess.run([str(venv / "bin" / "seenfix"), "list"], capture_output=True, text=True)
    assert help_proc.returncode == 0 and "SF010" in help_proc.stdout


def test_wheel_has_the_compiled_extension_and_no_c_sources(dists: Dists) -> None:
    names = zipfile.ZipFile(dists.wheel).namelist()
    if WARNING in dists.log:  # never under .ci/run: there SEENFIX_REQUIRE_NATIVE=1 fails the build instead
        pytest.skip(f"the C extension did not build here: {dists.log[dists.log.index(WARNING):].splitlines()[0]}")
    native = [n for n in names if n.startswith("seenfix/analysis/_unused_scan")]
    assert len(native) == 1 and native[0].endswith(".so"), native
    assert not [n for n in names if n.endswith((".c", ".h")) or "/_native/" in n]
    assert not dists.wheel.name.endswith("-py3-none-any.whl"), dists.wheel.name
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert f"-{tag}-{tag}-" in dists.wheel.name, dists.wheel.name
    [wheel_file] = [n for n in names if n.endswith(".dist-info/WHEEL")]
    assert "Root-Is-Purelib: false" in zipfile.ZipFile(dists.wheel).read(wheel_file).decode()


def test_sdist_has_the_c_sources_and_the_build_hook(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for source in (*NATIVE_SOURCES, "seenfix/analysis/_native/tree_sitter/LICENSE",
                   "seenfix/analysis/_native/build_hook.py"):
        assert source in names, source
    assert not [n for n in names if n.endswith(".so")]


def test_seenfix_no_native_builds_a_pure_wheel(tmp_path: Path) -> None:
    proc = _build(tmp_path, "--wheel", env=_env(SEENFIX_NO_NATIVE="1"))
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("seenfix-*.whl"))
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith(".so") or n.endswith(".c")], names
    assert "seenfix/templates/smoke.txt.j2" in names
    assert f"{WARNING} SEENFIX_NO_NATIVE=1" in proc.stderr


def test_a_failed_compile_falls_back_to_pure_python_unless_native_is_required(tmp_path: Path) -> None:
    proc = _build(tmp_path / "fallback", "--wheel", env=_env(CC="/nonexistent/cc"))
    assert proc.returncode == 0, proc.stderr
    assert [w.name for w in (tmp_path / "fallback").glob("*.whl")] == ["seenfix-0.1.0-py3-none-any.whl"]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith(WARNING)]
    assert len(warnings) == 1 and "/nonexistent/cc" in warnings[0], proc.stderr

    proc = _build(tmp_path / "required", "--wheel", env=_env(CC="/nonexistent/cc", SEENFIX_REQUIRE_NATIVE="1"))
    assert proc.returncode != 0
    assert "SEENFIX_REQUIRE_NATIVE=1" in proc.stderr and "/nonexistent/cc" in proc.stderr, proc.stderr
    assert not list((tmp_path / "required").glob("*.whl"))


def test_the_docs_install_from_a_path_or_git_never_from_pypi() -> None:
    """seenfix is not on PyPI: every documented ``pip install`` names this repository (a path or a
    git URL at a ref), so the commands work as written."""
    import re

    texts = {name: (REPO / name).read_text() for name in ("README.md", "docs/ci.md", "action.yml")}
    found = [(name, m.group(1)) for name, text in texts.items()
             for m in re.finditer(r"pip install (?:-q |--quiet |-e )*(\S+)", text)]
    assert len(found) >= 4, found
    for name, target in found:
        target = target.rstrip("`;").strip("\"'`")
        assert target.startswith(("git+https://", ".", "'.", "${PACKAGE")), (name, target)
        if target.startswith("git+"):
            assert re.fullmatch(r"git\+https://github\.com/OWNER/seenfix@v\d+\.\d+\.\d+", target), (name, target)


def test_install_from_git_at_a_tag_as_the_docs_write_it(tmp_path: Path) -> None:
    """``pip install "git+<repository>@v0.1.0"``, with this checkout as the repository (file://)."""
    import os

    clone = tmp_path / "seenfix.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(REPO), str(clone)], check=True)
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    subprocess.run(["git", "-C", str(clone), "tag", "v0.1.0", head], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    proc = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"git+{clone.as_uri()}@v0.1.0"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    listed = subprocess.run([str(venv / "bin" / "seenfix"), "list"], capture_output=True, text=True)
    assert listed.returncode == 0 and "SF013" in listed.stdout
