"""SF009 checked by the TypeScript compiler on ``fixtures/seen/frontend`` (opt-in: needs ``tsc``).

``tsc --noEmit --noUnusedLocals`` runs on a copy of the SEEN frontend before and after
``seenfix apply --select SF009``: no new error may appear, and no unused-import diagnostic
(TS6133/TS6192) may remain except for Solid ``use:`` directives, which tsc wrongly reports.

``tsc`` is ``$SEENFIX_TSC``, else looked up in ``node_modules`` of the repository, then in
``$SEENFIX_CACHE/npm`` (default ``.cache/npm``), then on PATH; ``solid-js`` and ``@solidjs/router``
beside it or in those folders.  CI installs them with
``npm install --prefix .cache/npm typescript@5.4.5 solid-js@1.8.17 @solidjs/router@0.14.1``.
The fixture's ``/// <reference types="vite/client" />`` is served by a stub, so vite is not needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import init_repo
from seenfix.editors.typescript import parse, parse_imports

REPO = Path(__file__).resolve().parents[1]
FRONTEND = REPO / "fixtures" / "seen" / "frontend"
DIAGNOSTIC = re.compile(r"^(?P<file>[^(\n]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<msg>.*)$",
                        re.MULTILINE)
DIRECTIVE = re.compile(rb"\buse:([A-Za-z_$][\w$]*)")
NEEDED = ("solid-js", "@solidjs/router")


def node_modules_dirs() -> list[Path]:
    cache = Path(os.environ["SEENFIX_CACHE"]) if os.environ.get("SEENFIX_CACHE") else REPO / ".cache"
    return [REPO / "node_modules", cache / "npm" / "node_modules"]


def find_tsc() -> tuple[list[str], Path | None]:
    """The tsc command and the node_modules folder it came from (None for tsc on PATH)."""
    env = os.environ.get("SEENFIX_TSC")
    if env and Path(env).exists():
        modules = next((p for p in Path(env).resolve().parents if p.name == "node_modules"), None)
        return [env], modules
    for modules in node_modules_dirs():
        if (modules / "typescript" / "bin" / "tsc").is_file() and shutil.which("node"):
            return [shutil.which("node") or "node", str(modules / "typescript" / "bin" / "tsc")], modules
    on_path = shutil.which("tsc")
    if on_path:
        return [on_path], None
    pytest.skip("tsc not found (npm install --prefix .cache/npm typescript@5.4.5 solid-js@1.8.17 "
                "@solidjs/router@0.14.1)")


def prepare(frontend: Path, modules: Path | None) -> None:
    """Give the copied frontend a node_modules: the installed packages plus a vite/client stub."""
    target = frontend / "node_modules"
    target.mkdir()
    sources = [m for m in ([modules] if modules else []) + node_modules_dirs() if m.is_dir()]
    for name in NEEDED:
        found = next((m / name for m in sources if (m / name / "package.json").is_file()), None)
        if found is None:
            pytest.skip(f"{name} is not installed (npm install --prefix .cache/npm {name})")
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).symlink_to(found.resolve(), target_is_directory=True)
    for extra in ("csstype", "seroval", "seroval-plugins"):  # solid-js's own dependencies
        found = next((m / extra for m in sources if (m / extra).is_dir()), None)
        if found is not None and not (target / extra).exists():
            (target / extra).symlink_to(found.resolve(), target_is_directory=True)
    stub = target / "vite"
    stub.mkdir()
    (stub / "package.json").write_text('{"name": "vite", "version": "0.0.0", "types": "index.d.ts"}\n')
    (stub / "index.d.ts").write_text("export {};\n")
    (stub / "client.d.ts").write_text('declare module "*.css" {}\n')


def tsc(cmd: list[str], frontend: Path) -> list[dict[str, str]]:
    proc = subprocess.run([*cmd, "-p", str(frontend), "--noEmit", "--noUnusedLocals", "--pretty", "false"],
                          capture_output=True, text=True, cwd=frontend)
    diags = [m.groupdict() for m in DIAGNOSTIC.finditer(proc.stdout)]
    assert diags or proc.returncode == 0, proc.stdout + proc.stderr
    return diags


def unused_import_diagnostics(frontend: Path, diags: list[dict[str, str]]) -> list[tuple[str, str, bool]]:
    """(file, name, is_solid_directive) for each TS6133/TS6192 inside an import declaration."""
    out = []
    for d in diags:
        if d["code"] not in ("TS6133", "TS6192"):
            continue
        src = (frontend / d["file"]).read_bytes()
        starts = [0] + [i + 1 for i, ch in enumerate(src) if ch == 0x0A]
        offset = starts[int(d["line"]) - 1] + int(d["col"]) - 1
        decls = parse_imports(parse(src, d["file"]))
        decl = next((x for x in decls if x.start <= offset < x.end), None)
        if decl is None:
            continue
        name = re.match(r"'([^']+)'", d["msg"])
        names = [name.group(1)] if name else [b.local for b in decl.bindings]
        directives = {m.decode() for m in DIRECTIVE.findall(src)}
        out.extend((d["file"], n, n in directives) for n in names)
    return out


@pytest.mark.slow
def test_tsc_agrees_after_the_fix(tmp_path: Path) -> None:
    cmd, modules = find_tsc()
    repo = tmp_path / "repo"
    shutil.copytree(FRONTEND, repo / "frontend")
    init_repo(repo)
    frontend = repo / "frontend"
    prepare(frontend, modules)  # node_modules is untracked; SF009 never looks inside it

    before = tsc(cmd, frontend)
    print("before:", *(f"{d['file']}({d['line']}): {d['code']} {d['msg']}" for d in before), sep="\n  ")
    unused_before = unused_import_diagnostics(frontend, before)
    assert ("src/components/layout/sidebar.tsx", "Button", False) in unused_before

    proc = subprocess.run([sys.executable, "-m", "seenfix", "apply", "--select", "SF009", str(repo)],
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    after = tsc(cmd, frontend)
    print("after:", *(f"{d['file']}({d['line']}): {d['code']} {d['msg']}" for d in after), sep="\n  ")

    def others(diags: list[dict[str, str]]) -> set[tuple[str, str, str]]:
        return {(d["file"], d["code"], d["msg"]) for d in diags if d["code"] not in ("TS6133", "TS6192")}

    assert others(after) <= others(before), "the fix introduced new compiler errors"
    left = unused_import_diagnostics(frontend, after)
    assert [x for x in left if not x[2]] == [], "unused imports are left"
    # the Solid directive import is still there, and tsc still (wrongly) calls it unused
    assert all(x[2] for x in left)
    assert b"clickOutside" in (frontend / "src/components/ui/dropdown.tsx").read_bytes().split(b"\n")[1]
