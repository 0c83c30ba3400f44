"""Every TS/JS file a fixer edits still compiles (needs ``tsc``, see tests/test_tsc.py).

The edited files are those of the fixture cases (``tests/fixtures/*/*/after`` files that differ
from ``before``), of ``fixtures/seen`` and of every real-shape case (``tests/real_shapes``) after
``seenfix apply --set all --unsafe-fixes`` as a user runs it.  Each file is compiled on its own,
before and after, with the same options (imports are not resolved, ``process`` is declared): the
fixed file may not have an error code its original did not have (a rewritten enum member is
TS18033, a broken expression TS1005...).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEN, init_repo, run_cli
from test_tsc import find_tsc

REPO = Path(__file__).resolve().parents[1]
SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
DIAGNOSTIC = re.compile(r"^(?P<file>[^(\n]+)\(\d+,\d+\): error (?P<code>TS\d+):", re.MULTILINE)
SHIM = "declare const process: { env: Record<string, string | undefined> };\n"


def _fixture_pairs() -> list[tuple[str, bytes, bytes]]:
    out = []
    for after in sorted((REPO / "tests" / "fixtures").glob("*/*/after")):
        for f in sorted(after.rglob("*")):
            if f.is_file() and f.suffix in SUFFIXES and not f.name.endswith(".d.ts"):
                before = after.parent / "before" / f.relative_to(after)
                old = before.read_bytes() if before.is_file() else b""
                if old != f.read_bytes():
                    out.append((f"{after.parent.relative_to(REPO)}/{f.relative_to(after)}", old, f.read_bytes()))
    return out


def _applied_pairs(source: Path, tmp: Path) -> list[tuple[str, bytes, bytes]]:
    root = tmp / source.name
    shutil.copytree(source, root)
    init_repo(root)
    before = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
              if p.is_file() and p.suffix in SUFFIXES and ".git" not in p.parts}
    proc = run_cli("apply", "--set", "all", "--unsafe-fixes", str(root))
    assert "Traceback" not in proc.stderr, proc.stderr
    out = []
    for rel, old in sorted(before.items()):
        new = (root / rel).read_bytes()
        if new != old:
            out.append((f"{source.relative_to(REPO)}/{rel}", old, new))
    return out


#: One Node process compiles every file alone through the TypeScript API (a tsc process per file
#: takes seconds each to start): {file: [error codes]} for the files given as arguments.
CHECKER = r"""
const ts = require(process.argv[2]);
const shim = process.argv[3];
const out = {};
const options = {noEmit: true, allowJs: true, skipLibCheck: true, noResolve: true, jsx: ts.JsxEmit.Preserve,
                 target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
                 moduleResolution: ts.ModuleResolutionKind.Bundler, types: []};
const host = ts.createCompilerHost(options);
const read = host.getSourceFile;
const libs = new Map();  // the lib files are parsed once, not once per program
host.getSourceFile = (name, lang, onError, fresh) => {
  if (name.includes("node_modules")) {
    if (!libs.has(name)) libs.set(name, read.call(host, name, lang, onError, fresh));
    return libs.get(name);
  }
  return read.call(host, name, lang, onError, fresh);
};
for (const file of process.argv.slice(4)) {
  const program = ts.createProgram([shim, file], options, host);
  const source = program.getSourceFile(file);
  const diags = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
  out[file] = diags.filter(d => d.category === ts.DiagnosticCategory.Error).map(d => "TS" + d.code);
}
console.log(JSON.stringify(out));
"""


def _codes(modules: Path, files: dict[str, bytes], work: Path) -> dict[str, set[str]]:
    """Error codes per file, each file compiled alone (in one program, a syntax error anywhere hides
    every semantic error)."""
    import json

    node = shutil.which("node")
    if node is None or not (modules / "typescript").is_dir():
        pytest.skip("node and the typescript package are needed")
    work.mkdir(parents=True)
    (work / "shim.d.ts").write_text(SHIM)
    (work / "check.js").write_text(CHECKER)
    names: dict[str, str] = {}
    for i, (label, data) in enumerate(files.items()):
        path = work / f"f{i}" / Path(label).name
        path.parent.mkdir()
        path.write_bytes(data)
        names[str(path)] = label
    proc = subprocess.run([node, str(work / "check.js"), str(modules / "typescript"), str(work / "shim.d.ts"), *names],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {names[f]: set(codes) for f, codes in json.loads(proc.stdout).items()}


def test_every_edited_ts_js_file_compiles(tmp_path: Path) -> None:
    _cmd, modules = find_tsc()
    if modules is None:
        pytest.skip("the typescript package is not found beside tsc")
    pairs = _fixture_pairs() + _applied_pairs(FIXTURE_SEEN, tmp_path / "seen")
    shapes = REPO / "tests" / "real_shapes"
    for case in sorted(p for p in shapes.iterdir() if (p / "before").is_dir()):
        pairs += _applied_pairs(case / "before", tmp_path / "shapes" / case.name)
    if not pairs:
        pytest.fail("no fixer edited a TS/JS file: the test checks nothing")
    before = _codes(modules, {label: old for label, old, _new in pairs}, tmp_path / "tsc-before")
    after = _codes(modules, {label: new for label, _old, new in pairs}, tmp_path / "tsc-after")
    new_errors = {label: sorted(after[label] - before[label]) for label in after if after[label] - before[label]}
    print(f"\ntsc: {len(pairs)} edited TS/JS files compiled before and after")
    assert not new_errors, new_errors
