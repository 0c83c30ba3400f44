"""Modules loaded on first use, so that a run imports a format's machinery only when it meets a file
of that format (``seenfix check`` of a folder without compose files never loads the compose editors).

Usage, in a fixer module (mypy sees the plain import)::

    if TYPE_CHECKING:
        from seenfix.editors import yaml as Y
    else:
        Y = lazy_module("seenfix.editors.yaml")

``Y`` is the real module object; its code runs when one of its attributes is first read
(:class:`importlib.util.LazyLoader`).  Standard library only.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType


#: every module :func:`lazy_module` made, by name (the code of each runs on its first use)
_MADE: dict[str, ModuleType] = {}


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, already imported or to be executed on first attribute access."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    _MADE[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def pending(module: str) -> tuple[str, ...]:
    """The modules that the module ``module`` holds from :func:`lazy_module` and that have not run
    yet (a module whose code ran is a plain module again)."""
    held = sys.modules.get(module)
    if held is None:
        return ()
    mine = {id(value) for value in vars(held).values()}
    return tuple(name for name, made in _MADE.items() if id(made) in mine and type(made) is not ModuleType)


def importer(*names: str) -> Callable[[], None]:
    """A :meth:`~seenfix.core.model.Fixer.warm_up` loader that imports the modules ``names`` (and runs
    the code of those :func:`lazy_module` left for later): what a fixer's ``check`` imports on first
    use, imported while the workers parse instead of after them."""
    def load() -> None:
        for name in names:
            getattr(importlib.import_module(name), "__name__", None)  # a lazy module runs on first read
    return load
