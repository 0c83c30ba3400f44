"""Fixer discovery through the ``seenfix.fixers`` entry-point group.

Built-in fixers are registered in seenfix's own ``pyproject.toml`` exactly as a third-party package
registers one.  Entry points are discovered and sorted for determinism; one that fails to load is
reported with the package that provides it, and the others still run (flake8's model).

Plugins are imported when first needed, not all at start-up: an entry point is named after its
fixer's code (``SF009 = "seenfix.fixers.unused_typescript_import:UnusedTypescriptImport"``), so
``--select SF009`` imports that one module and no other (importing every plugin costs more than
checking a small project).  Anything that needs more than a code (a slug, a set, ``ALL``, the
listing) loads every plugin, and so does a plugin whose entry-point name is not its code.
"""

from __future__ import annotations

from dataclasses import dataclass

from seenfix.core.entrypoints import GROUP, EntryPoint, entry_points
from seenfix.core.model import Fixer

__all__ = ["GROUP", "LoadFailure", "Registry", "load"]


@dataclass(frozen=True)
class LoadFailure:
    name: str
    package: str
    error: str

    def line(self) -> str:
        return f"plugin {self.name!r} from package {self.package!r} failed to load: {self.error}"


class Registry:
    """The installed fixers, each imported on first use."""

    def __init__(self, eps: list[EntryPoint]) -> None:
        seen: set[tuple[str, str]] = set()
        self._eps: list[EntryPoint] = []
        for ep in sorted(eps, key=lambda e: (e.name, e.value)):
            if (ep.name, ep.value) not in seen:  # the same distribution found twice on sys.path
                seen.add((ep.name, ep.value))
                self._eps.append(ep)
        self._done: dict[int, type[Fixer] | None] = {}  # index in _eps -> fixer (None: failed)
        self._failures: list[LoadFailure] = []
        self._everything = False

    def _load(self, index: int) -> type[Fixer] | None:
        if index in self._done:
            return self._done[index]
        ep = self._eps[index]
        fixer: type[Fixer] | None = None
        try:
            obj = ep.load()
            if not (isinstance(obj, type) and issubclass(obj, Fixer)):
                raise TypeError(f"{ep.value} is not a seenfix.core.model.Fixer subclass")
            if not obj.code or not obj.slug:
                raise TypeError(f"{ep.value} has no code or slug")
            fixer = obj
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
            self._failures.append(LoadFailure(ep.name, ep.package, f"{type(exc).__name__}: {exc}"))
        if fixer is not None:
            # the first entry point (in name order) to claim a code keeps it
            owner = next((i for i, f in self._done.items() if f is not None and f.code == fixer.code), None)
            if owner is not None and owner < index:
                self._failures.append(LoadFailure(ep.name, ep.package, f"code {fixer.code} is already registered"))
                fixer = None
            elif owner is not None:
                other = self._eps[owner]
                self._failures.append(
                    LoadFailure(other.name, other.package, f"code {fixer.code} is already registered"))
                self._done[owner] = None
        self._done[index] = fixer
        return fixer

    @property
    def loaded_everything(self) -> bool:
        """Whether every plugin has been loaded (by a slug, a set or ``ALL``), without loading any."""
        return self._everything

    def _load_all(self) -> None:
        if not self._everything:
            for index in range(len(self._eps)):
                self._load(index)
            self._everything = True

    @property
    def fixers(self) -> tuple[type[Fixer], ...]:
        """Every fixer that loads, sorted by code."""
        self._load_all()
        return tuple(sorted((f for f in self._done.values() if f is not None), key=lambda f: f.code))

    @property
    def failures(self) -> tuple[LoadFailure, ...]:
        """The plugins that failed to load so far (all of them once :attr:`fixers` was read)."""
        return tuple(self._failures)

    def find(self, key: str) -> type[Fixer] | None:
        """The fixer whose code or slug is ``key`` (any case)."""
        key_l = key.strip().lower()
        if not self._everything:
            for index, ep in enumerate(self._eps):
                if ep.name.lower() == key_l:
                    fixer = self._load(index)
                    if fixer is not None and fixer.code.lower() == key_l and self._done[index] is fixer:
                        if not any(e.name.lower() == key_l for e in self._eps[index + 1:]):
                            return fixer
                    break
        for fx in self.fixers:
            if fx.code.lower() == key_l or fx.slug == key_l:
                return fx
        return None

    def codes(self) -> list[str]:
        return [f.code for f in self.fixers]


def load() -> Registry:
    return Registry(entry_points())
