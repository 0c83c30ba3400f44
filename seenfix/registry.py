"""Fixer discovery through the ``seenfix.fixers`` entry-point group.

Built-in fixers are registered in seenfix's own ``pyproject.toml`` exactly as a third-party package
registers one.  Entry points are discovered, sorted for determinism, then loaded; one that fails to
load is reported with the package that provides it, and the others still run (flake8's model).
"""

from __future__ import annotations

from dataclasses import dataclass

from seenfix.entrypoints import GROUP, entry_points
from seenfix.model import Fixer

__all__ = ["GROUP", "LoadFailure", "Registry", "load"]


@dataclass(frozen=True)
class LoadFailure:
    name: str
    package: str
    error: str

    def line(self) -> str:
        return f"plugin {self.name!r} from package {self.package!r} failed to load: {self.error}"


@dataclass(frozen=True)
class Registry:
    fixers: tuple[type[Fixer], ...]
    failures: tuple[LoadFailure, ...]

    def find(self, key: str) -> type[Fixer] | None:
        key_l = key.strip().lower()
        for fx in self.fixers:
            if fx.code.lower() == key_l or fx.slug == key_l:
                return fx
        return None

    def codes(self) -> list[str]:
        return [f.code for f in self.fixers]


def load() -> Registry:
    eps = sorted(entry_points(), key=lambda e: (e.name, e.value))
    seen: set[tuple[str, str]] = set()
    fixers: list[type[Fixer]] = []
    failures: list[LoadFailure] = []
    for ep in eps:
        if (ep.name, ep.value) in seen:
            continue  # the same distribution found twice on sys.path
        seen.add((ep.name, ep.value))
        try:
            obj = ep.load()
            if not (isinstance(obj, type) and issubclass(obj, Fixer)):
                raise TypeError(f"{ep.value} is not a seenfix.model.Fixer subclass")
            if not obj.code or not obj.slug:
                raise TypeError(f"{ep.value} has no code or slug")
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
            failures.append(LoadFailure(ep.name, ep.package, f"{type(exc).__name__}: {exc}"))
            continue
        if any(f.code == obj.code for f in fixers):
            failures.append(LoadFailure(ep.name, ep.package, f"code {obj.code} is already registered"))
            continue
        fixers.append(obj)
    fixers.sort(key=lambda f: f.code)
    return Registry(tuple(fixers), tuple(failures))
