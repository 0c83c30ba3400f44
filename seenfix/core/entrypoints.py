"""Reading the ``seenfix.fixers`` entry points without ``importlib.metadata``.

Importing ``importlib.metadata`` alone costs more than seenfix's whole start-up budget, so the
``*.dist-info``/``*.egg-info`` folders on ``sys.path`` are read directly: the same answer as
``importlib.metadata.entry_points(group="seenfix.fixers")`` (the first distribution of a name on
``sys.path`` wins).  Standard library only: the fast path of ``seenfix list`` uses it too.
"""

from __future__ import annotations

import os
import sys

GROUP = "seenfix.fixers"


class EntryPoint:
    """One entry point: ``name = module:attr``, and the ``Name version`` of its distribution.
    (A plain class: ``dataclasses`` is too slow to import on the fast path.)"""

    __slots__ = ("name", "value", "package")

    def __init__(self, name: str, value: str, package: str) -> None:
        self.name = name
        self.value = value
        self.package = package

    def load(self) -> object:
        import importlib

        module, _, attr = self.value.partition(":")
        obj: object = importlib.import_module(module.strip())
        for part in attr.strip().split(".") if attr.strip() else ():
            obj = getattr(obj, part)
        return obj


def _metadata_name(dist_dir: str, fallback: str) -> str:
    """``Name version`` from a distribution's METADATA (PKG-INFO for eggs) headers."""
    name = version = ""
    for meta in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(dist_dir, meta), encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        break  # end of the headers
                    if line.startswith("Name:"):
                        name = line[5:].strip()
                    elif line.startswith("Version:"):
                        version = line[8:].strip()
        except OSError:
            continue
        break
    return f"{name} {version}".strip() or fallback


def entry_points() -> list[EntryPoint]:
    """The ``seenfix.fixers`` entry points of the distributions on ``sys.path``, in path order."""
    out: list[EntryPoint] = []
    seen_dists: set[str] = set()
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist = name.rsplit(".", 1)[0].split("-", 1)[0].lower().replace("-", "_").replace(".", "_")
            if dist in seen_dists:
                continue
            seen_dists.add(dist)
            folder = os.path.join(entry or ".", name)
            try:
                with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as fh:
                    text = fh.read()
            except OSError:
                continue
            section, package = "", ""
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == GROUP and "=" in line and not line.startswith(("#", ";")):
                    key, value = line.split("=", 1)
                    package = package or _metadata_name(folder, dist)
                    out.append(EntryPoint(key.strip(), value.strip(), package))
    return out
