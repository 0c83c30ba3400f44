"""Compose overlays: a base file and the files merged over it are one deployment.

``docker compose up`` merges ``compose.override.yml`` / ``docker-compose.override.yml`` over the
base file of its folder, and ``docker compose -f compose.yml -f compose.deploy.yml`` merges any
other file over it.  Compose's merge rules: a service of the overlay is merged key by key into the
base's service of the same name, and the overlay's value wins for every key it sets (mappings such
as ``deploy.resources.limits`` merge recursively).  So a key belongs in the base, where it applies
whichever overlay is used, and is already set when an overlay sets it.

A file is an overlay of the base in its folder when it is named ``*.override.y(a)ml``, or when one
of its services shares a base service's name and has neither ``image`` nor ``build`` (it cannot
run on its own).  A file whose services all run on their own (``compose.prod.yml`` with images) is
a deployment of its own, not an overlay.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from seenfix.core.model import InputError
from seenfix.editors import yaml as Y

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_OVERRIDE = re.compile(r"(^|/)(docker-)?compose\.override\.ya?ml$")


def _services(project: Project, path: str) -> dict[str, Y.Service]:
    text = project.read_text(path)
    if text is None:
        return {}
    try:
        return {s.name: s for s in Y.services(Y.load(text, path))}
    except InputError:
        return {}  # the fixer that reads this file reports it


def base_of(project: Project, path: str) -> str | None:
    """The base file ``path`` is merged over, or ``None`` when it is not an overlay."""
    folder = posixpath.dirname(path)
    files = project.layout.production_set
    base = next((b for b in (posixpath.join(folder, n) for n in BASE_NAMES) if b in files), None)
    if base is None or base == path:
        return None
    if _OVERRIDE.search(path):
        return base
    base_names = set(_services(project, base))
    for name, svc in _services(project, path).items():
        node = svc.node if isinstance(svc.node, dict) else {}
        if name in base_names and "image" not in node and "build" not in node:
            return base
    return None


def merged_in_base(project: Project, path: str) -> set[str]:
    """The services of overlay ``path`` that the base defines: the base is where their keys go."""
    base = base_of(project, path)
    if base is None:
        return set()
    return set(_services(project, path)) & set(_services(project, base))


def overlays_of(project: Project, base: str) -> list[tuple[str, dict[str, Y.Service]]]:
    """Each overlay merged over ``base``, with its services."""
    folder = posixpath.dirname(base)  # an overlay sits beside its base (see base_of)
    return [(p, _services(project, p)) for p in project.layout.production_by_folder.get(folder, [])
            if p != base and base_of(project, p) == base]
