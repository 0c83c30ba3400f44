"""The layers of seenfix import one way (docs/architecture.md): an arrow against that direction fails.

Every ``import`` and ``from ... import`` in the package is read with :mod:`ast`, including the ones
inside functions (deferred imports are still dependencies).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "seenfix"

#: Which layers each layer may import (its own always).  cli is the top; core the bottom.
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "editors": frozenset({"core"}),
    "analysis": frozenset({"editors", "core"}),
    "fixers": frozenset({"analysis", "editors", "core"}),
    "engine": frozenset({"editors", "core"}),
    "output": frozenset({"engine", "core"}),
    "gitops": frozenset({"output", "engine", "core"}),
    "cli": frozenset({"gitops", "output", "engine", "fixers", "analysis", "editors", "core"}),
}
#: Modules at the package's top level: the version (anyone) and the entry point (the cli's caller).
TOP = {"seenfix": "core", "seenfix.__main__": "main"}


def layer_of(module: str) -> str | None:
    if module in TOP:
        return TOP[module]
    parts = module.split(".")
    if parts[0] != "seenfix" or len(parts) < 2:
        return None
    return parts[1]


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # ``from seenfix.x import y`` where y is a module of layer x is the same arrow
    return [(line, m) for line, m in found if m == "seenfix" or m.startswith("seenfix.")]


def violations(package: Path = PACKAGE) -> list[str]:
    out = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        own = layer_of(module)
        if own is None or own == "main":
            continue
        for line, target in imports_of(path):
            dest = layer_of(target)
            if dest is None or dest == own or (target == "seenfix"):
                continue
            if dest not in ALLOWED.get(own, frozenset()):
                out.append(f"{path.relative_to(package.parent)}:{line}: {own} -> {dest} ({target})")
    return out


def test_every_module_is_in_a_layer() -> None:
    layers = set(ALLOWED)
    stray = [p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert stray == [], f"modules at the top of seenfix/, outside every layer: {stray}"
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == layers, f"packages {folders ^ layers} are not (or no longer) layers"


def test_imports_run_one_way() -> None:
    assert violations() == []


def test_the_check_finds_an_arrow_against_the_direction(tmp_path: Path) -> None:
    """The rule is not vacuous: a deferred import of the engine by a core module is reported, and
    an editor importing a fixer too."""
    fake = tmp_path / "seenfix"
    for layer in ("core", "editors"):
        (fake / layer).mkdir(parents=True)
        (fake / layer / "__init__.py").write_text("")
    (fake / "core" / "bad.py").write_text("def f():\n    from seenfix.engine.run import run\n")
    (fake / "editors" / "worse.py").write_text("import seenfix.fixers.todo_comments\n")
    assert violations(fake) == ["seenfix/core/bad.py:2: core -> engine (seenfix.engine.run)",
                                "seenfix/editors/worse.py:1: editors -> fixers (seenfix.fixers.todo_comments)"]
