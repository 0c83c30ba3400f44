"""How much real TypeScript seenfix cannot parse: under 0.5% of the files of large real frontends.

A file seenfix's parser (tree-sitter-typescript, with seenfix's offset-keeping rewrites of the valid
syntax the grammar lacks: ``seenfix.editors.typescript.parse_source``) rejects is skipped with a
warning, so SF009 never sees its imports.  The corpus is the TS/TSX sources published on the npm
registry of large frontend packages (`.ci/run` downloads them into ``.cache/ts-frontends``), of
``@kobalte/core`` (the shared TypeScript corpus's package) and of ``effect``.  Every file counts,
and so does every package with ``.tsx`` files on its own.  Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seenfix.editors.typescript import TsParseError, parse_source
from test_ts_corpus import built_corpus

REPO = Path(__file__).resolve().parents[1]
#: The largest share of files a package (or the whole corpus) may have unparsable.
LIMIT = 0.005
SUFFIXES = (".ts", ".tsx", ".mts", ".cts")


def _cache() -> Path:
    base = os.environ.get("SEENFIX_CACHE")
    return Path(base) if base else REPO / ".cache"


def _packages() -> dict[str, Path]:
    frontends = _cache() / "ts-frontends"
    found = sorted(p for p in frontends.glob("*/package") if p.is_dir()) if frontends.is_dir() else []
    if not found:
        pytest.skip(f"the frontend packages are absent ({frontends}); .ci/run downloads them with npm pack")
    effect = _cache() / "npm" / "node_modules" / "effect" / "src"
    if not effect.is_dir():
        pytest.skip(f"effect's sources are absent ({effect}); .ci/run installs them with npm")
    kobalte = sorted((built_corpus() / "cache").glob("kobalte-core-*/package/src"))
    assert kobalte, "the built TypeScript corpus holds no @kobalte/core sources"
    out = {p.parent.name: p for p in found}
    out[kobalte[0].parent.parent.name] = kobalte[0]
    out["effect"] = effect
    return out


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SUFFIXES
                  and not p.name.endswith((".d.ts", ".d.mts", ".d.cts")))


@pytest.mark.slow
def test_unparsable_share_of_real_frontends_is_under_half_a_percent() -> None:
    rows = []
    rejected: list[str] = []
    total = 0
    for name, root in _packages().items():
        files = _sources(root)
        bad = []
        for path in files:
            try:
                parse_source(path.read_bytes(), path.name)
            except TsParseError as exc:
                bad.append(f"{name}/{path.relative_to(root)}:{exc.line}")
        tsx = sum(1 for p in files if p.suffix == ".tsx")
        rows.append((name, len(files), tsx, len(bad)))
        rejected += bad
        total += len(files)
    print("\npackage files tsx unparsable share")
    for name, n, tsx, bad in rows:
        print(f"{name} {n} {tsx} {bad} {bad / n:.2%}")
    print(f"all {total} {sum(r[2] for r in rows)} {len(rejected)} {len(rejected) / total:.2%}")
    print("\n".join(rejected))
    assert total >= 1500 and sum(1 for r in rows if r[2] >= 100) >= 3, rows  # large frontends, not a sample
    assert len(rejected) / total < LIMIT, rejected
    for name, n, tsx, bad in rows:
        if tsx:
            assert bad / n < LIMIT, (name, [r for r in rejected if r.startswith(name + "/")])
