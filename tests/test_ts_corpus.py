"""SF009 on the shared TypeScript corpus (60 SolidJS files of @kobalte/core with injected unused imports).

The corpus is built by ``../shared/corpus/ts/build.py`` into a cache folder kept between runs
(``$SEENFIX_CACHE/ts-corpus``, default ``.cache/ts-corpus`` in the repository, git-ignored), then
``seenfix apply --select SF009`` runs on a copy of its ``mutated/`` files and the corpus's own
``score.py`` grades the result.  Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus" / "ts"


def cache_dir() -> Path:
    base = os.environ.get("SEENFIX_CACHE")
    return (Path(base) if base else REPO / ".cache") / "ts-corpus"


def built_corpus() -> Path:
    """Build (or reuse) the corpus; skip with a reason when it cannot be built here."""
    if not (CORPUS / "build.py").is_file():
        pytest.skip(f"the shared TypeScript corpus is absent ({CORPUS.resolve()})")
    out = cache_dir()
    out.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("npm") is None and not (out / ".stamp.json").is_file():
        pytest.skip("npm is not on PATH: it is needed once to build the TypeScript corpus")
    proc = subprocess.run([sys.executable, str(CORPUS / "build.py"), str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, f"build.py failed:\n{proc.stderr[-3000:]}"
    return out


def score(out: Path, candidate: Path) -> dict[str, str]:
    proc = subprocess.run(
        [sys.executable, str(CORPUS / "score.py"), "--heldout", str(out), str(candidate)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    print(proc.stdout)
    return dict(re.findall(r"^(\w+)=(\S+)", proc.stdout, re.MULTILINE))


@pytest.mark.slow
def test_sf009_on_the_ts_corpus(tmp_path: Path) -> None:
    out = built_corpus()
    candidate = tmp_path / "cand"
    shutil.copytree(out / "mutated", candidate)
    proc = subprocess.run(
        [sys.executable, "-m", "seenfix", "apply", "--select", "SF009", str(candidate)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 1: changes applied, no failure
    assert "SF009" in proc.stdout + proc.stderr

    figures = score(out, candidate)
    nfiles = len(list((out / "mutated").rglob("*.ts*")))
    assert float(figures["precision"]) == 1.0
    assert float(figures["recall"]) >= 0.99
    assert figures["parse_failures"] == "0"
    assert figures["byte_identical_outside_removed_imports"] == f"{nfiles}/{nfiles}"
    assert figures["files_with_empty_import_braces"] == "0"
    assert figures["files_with_new_one_line_trailing_comma"] == "0"
    assert figures["files_with_new_blank_lines"] == "0"

    # a second run changes nothing
    again = subprocess.run(
        [sys.executable, "-m", "seenfix", "apply", "--select", "SF009", "--dry-run", str(candidate)],
        capture_output=True, text=True,
    )
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.slow
def test_sf009_leaves_the_reference_answers_alone() -> None:
    """The corpus's reference output has only used imports: analysing it must change nothing."""
    from seenfix.analysis.unused_imports import analyse_many

    out = built_corpus()
    files = sorted((out / "reference").rglob("*.ts*"))
    items = [(p.relative_to(out).as_posix(), p.read_bytes().decode("utf-8")) for p in files]
    results = analyse_many(items)
    print(f"{len(items)} reference files analysed")
    assert [r.path for r in results if r.error] == []
    assert [(r.path, [b.local for b in r.unused]) for r in results if r.unused] == []


@pytest.mark.slow
def test_a_check_finds_what_a_fix_finds_without_making_the_text() -> None:
    """``seenfix check`` analyses without edits (nobody writes its fixed text): on every corpus file
    it finds the same unused bindings as the analysis that fixes, and makes no new text."""
    from seenfix.analysis.unused_imports import analyse

    out = built_corpus()
    found = 0
    for path in sorted((out / "mutated").rglob("*.ts*")) + sorted((out / "original").rglob("*.ts*")):
        text = path.read_text(encoding="utf-8")
        fixing, checking = analyse(path.name, text), analyse(path.name, text, recheck=False, edits=False)
        assert checking.unused == fixing.unused and checking.error == fixing.error, path
        assert checking.new_text is None and checking.recheck is None
        found += bool(checking.unused)
    assert found >= 50


@pytest.mark.slow
def test_incremental_reparse_matches_a_fresh_parse_on_the_corpus() -> None:
    """The recheck re-parses a fixed file incrementally; it must give the tree a fresh parse gives."""
    from seenfix.editors.typescript import reparse, apply_deletions, parse, parse_imports, removal_edits
    from seenfix.analysis.unused_imports import unused_bindings

    out = built_corpus()
    checked = 0
    for path in sorted((out / "mutated").rglob("*.ts*")):
        src = path.read_bytes()
        tree = parse(src, path.name)
        decls = parse_imports(tree)
        unused = unused_bindings(src, tree, decls)
        spans = [e for d in decls for e in removal_edits(src, d, [b for b in unused if d.start <= b.start < d.end])]
        if not spans:
            continue
        new = apply_deletions(src, spans)
        assert str(reparse(path.name, src, tree, spans, new).root_node) == str(parse(new, path.name).root_node)
        checked += 1
    print(f"{checked} incremental re-parses equal fresh parses")
    assert checked >= 50


@pytest.mark.slow
def test_sf009_agrees_with_tsc_on_the_whole_package(tmp_path: Path) -> None:
    """Every .ts/.tsx of @kobalte/core's src/ (493 files, as downloaded by build.py): SF009 removes
    exactly the imports that tsc --noUnusedLocals reports (the corpus's gt.js), except Solid
    directives, which tsc wrongly reports; every fixed file parses and re-checks clean."""
    from seenfix.editors.typescript import parse
    from seenfix.analysis.unused_imports import analyse

    out = built_corpus()
    packages = sorted((out / "cache").glob("kobalte-core-*/package"))
    typescript = sorted((out / "cache").glob("typescript-*/package"))
    if not packages or not typescript or shutil.which("node") is None:
        pytest.skip("the corpus build's npm packages or node are not available")
    pkg = packages[-1]
    rels = sorted(p.relative_to(pkg).as_posix() for p in (pkg / "src").rglob("*")
                  if p.suffix in (".ts", ".tsx") and not p.name.endswith(".d.ts"))
    (tmp_path / "files.lst").write_text("\n".join(rels) + "\n")
    proc = subprocess.run(["node", str(CORPUS / "gt.js"), str(typescript[-1]), str(pkg),
                           str(tmp_path / "files.lst"), "solid", str(tmp_path / "gt.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    import json

    tsc = {(rel, b["local"]) for rel, bs in json.loads((tmp_path / "gt.json").read_text())["unused"].items()
           for b in bs}
    ours = set()
    directives = set()
    for rel in rels:
        text = (pkg / rel).read_bytes().decode("utf-8")
        res = analyse(rel, text)
        assert res.error is None, (rel, res.error)
        ours |= {(rel, b.local) for b in res.unused}
        directives |= {(rel, m) for m in re.findall(r"\buse:([A-Za-z_$][\w$]*)", text)}
        if res.new_text is not None:
            parse(res.new_text.encode("utf-8"), rel)
            assert res.recheck is not None and res.recheck.unused == ()
    print(f"{len(rels)} files: tsc reports {len(tsc)} unused imports, SF009 removes {len(ours)}")
    assert ours - tsc == set(), "removed imports that tsc considers used"
    assert tsc - ours - directives == set(), "missed imports that tsc reports unused"
