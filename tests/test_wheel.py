"""The built wheel carries the templates and the compose schema: install it fresh and use them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True)
    return next(out.glob("seenfix-*.whl"))


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
    help_proc = subprocess.run([str(venv / "bin" / "seenfix"), "list"], capture_output=True, text=True)
    assert help_proc.returncode == 0 and "SF010" in help_proc.stdout


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
