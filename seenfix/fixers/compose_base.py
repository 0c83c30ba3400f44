"""The base of the fixers that add keys to compose services, planned per service on the surgical
YAML editor (SF007, SF011, SF012)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from seenfix.core.lazy import lazy_module
from seenfix.core.model import FileFixer, Finding, InputError

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.editors import compose as C
    from seenfix.editors import yaml as Y
else:  # loaded when first used (seenfix.core.lazy)
    C = lazy_module("seenfix.editors.compose")
    Y = lazy_module("seenfix.editors.yaml")

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

@dataclass(frozen=True)
class Planned:
    """One service's plan, the problem it fixes (``message``) and, when it says more than the
    fixer's default, the remedy (``fix_title``)."""

    plan: Y.Plan
    message: str
    fix_title: str | None = None
    why_not: str = "cannot be edited safely: fix it by hand"  # shown when ``plan`` is empty


@dataclass(frozen=True)
class ServiceFinding:
    service: Y.Service
    message: str
    fixable: bool
    fix_title: str | None = None


class ComposeFixer(FileFixer):
    """A fixer that adds keys to compose services, planned per service (or per file) on the surgical
    YAML editor.  Subclasses implement :meth:`plan_service` (or override :meth:`plan_file`) and list
    the service keys they may add or complete in ``intended`` (top-level ones in ``top_level``)."""

    intended: ClassVar[tuple[str, ...]] = ()
    top_level: ClassVar[tuple[str, ...]] = ()
    #: A file's fix depends on the files merged with it (overlays and their base).
    per_file: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._planned: dict[tuple[str, str], tuple[Y.Document, Y.Plan]] = {}

    def targets(self, project: Project) -> Iterable[str]:
        return project.layout.production_compose

    def warm_up(self, project: Project) -> list[Callable[[], object]]:
        """The YAML parsers every compose fixer reads with; when fixing, the Compose schema's
        validator, which checks every output."""
        if not project.layout.production_compose:
            return []
        from seenfix.editors import compose_schema

        loads = [*super().warm_up(project), _load_yaml, _import_editors]
        return [*loads, compose_schema.validator] if self.fixing else loads

    def kind(self, svc: Y.Service, path: str, project: Project | None) -> str:
        return "unknown"

    def plan_service(self, doc: Y.Document, svc: Y.Service, kind: str) -> Planned | None:
        raise NotImplementedError

    def begin_file(self, doc: Y.Document, project: Project | None) -> Y.Plan:
        """A file-level part of the plan made before the services' (e.g. a shared ``x-`` block)."""
        return Y.Plan()

    def plan_file(self, doc: Y.Document, project: Project | None) -> tuple[list[ServiceFinding], Y.Plan]:
        """The findings and the combined plan for one file.

        A change to a node that several services share (an alias, or a mapping pulled in through
        ``<<:``) is made only when every service sharing it asks for exactly that change; otherwise
        those services are reported as "fix by hand" and left unchanged.

        Overlays are reasoned about merged with their base (:mod:`seenfix.analysis.compose_overlays`):
        a service an overlay shares with the base is planned in the base only, and a base service
        whose overlay already sets what this fixer adds is left as it is.
        """
        head = self.begin_file(doc, project)
        plans: dict[str, tuple[Y.Service, Y.Plan, Planned]] = {}
        settled = self._settled_by_overlays(doc, project)
        for svc in Y.services(doc):
            if svc.node is not None and not isinstance(svc.node, Mapping) or svc.name in settled:
                continue
            planned = self.plan_service(doc, svc, self.kind(svc, doc.path, project))
            if planned is not None:
                plans[svc.name] = (svc, planned.plan, planned)
        by_value, by_merge = _reach(doc)
        refused = {name for name, (_s, plan, _m) in plans.items() if not plan.edits}

        def safe(name: str, ch: Y.Change) -> bool:
            for other in by_value.get(id(ch.container), set()) - {name}:
                if other in refused or other not in plans or not _has_change(plans[other][1], ch):
                    return False
            for other, holder in by_merge.get(id(ch.container), []):
                if other == name or ch.key in Y.own_keys(holder):
                    continue
                if other in refused or other not in plans or not any(
                        c.container is holder and c.key == ch.key for c in plans[other][1].changes):
                    return False
            return True

        changed = True
        while changed:
            changed = False
            for name, (_svc, plan, _msg) in plans.items():
                if name not in refused and not all(safe(name, ch) for ch in plan.changes):
                    refused.add(name)
                    changed = True
        combined = C.Combined()
        combined.add(head)
        found: list[ServiceFinding] = []
        for name, (svc, plan, planned) in plans.items():
            ok = name not in refused and combined.add(plan)
            why = planned.why_not if not plan.edits else "shared through an anchor: fix it by hand"
            message = planned.message if ok else f"{planned.message} ({why})"
            found.append(ServiceFinding(svc, message, ok, planned.fix_title))
        if not any(f.fixable for f in found):
            return found, Y.Plan()
        return found, combined.plan

    def _settled_by_overlays(self, doc: Y.Document, project: Project | None) -> set[str]:
        """Services of ``doc`` this fixer leaves alone because of the files merged with it: in an
        overlay, those the base defines (their keys belong in the base); in a base, those an overlay
        already completes (the overlay's value wins under Compose's merge rules)."""
        if project is None or doc.path not in project.layout.production_set:
            return set()
        from seenfix.analysis.compose_overlays import merged_in_base, overlays_of

        settled = merged_in_base(project, doc.path)
        for overlay, services in overlays_of(project, doc.path):
            odoc = Y.load(project.read_text(overlay) or "", overlay)
            for name, osvc in services.items():
                if isinstance(osvc.node, Mapping) and self.complete(odoc, osvc, overlay, project):
                    settled.add(name)
        return settled

    def complete(self, doc: Y.Document, svc: Y.Service, path: str, project: Project | None) -> bool:
        """``svc`` already has what this fixer adds (so a base it is merged over needs nothing)."""
        return self.plan_service(doc, svc, self.kind(svc, path, project)) is None

    def compose_findings(self, path: str, text: str, project: Project | None) -> list[Finding]:
        doc = Y.load(text, path)
        found, _plan = self.plan_file(doc, project)
        return [self.finding(path, f.service.line + 1, f.message, fixable=f.fixable, column=f.service.col + 1,
                             fix_title=f.fix_title) for f in found]

    def compose_fix(self, path: str, text: str, project: Project | None) -> str | None:
        """The fixed text (None when nothing changes); ``project`` only helps recognise builds."""
        doc = Y.load(text, path)
        _found, plan = self.plan_file(doc, project)
        if not plan.edits:
            return None
        new = plan.apply(text)
        problem = C.verify_plan(doc, plan, new)
        if problem is not None:
            raise InputError(path, 1, f"fix withheld, its result failed verification: {problem}")
        self._planned[(path, new)] = (doc, plan)
        return new

    def verify(self, path: str, before: str | None, after: str) -> str | None:
        if before is None:
            return "compose fixers never create files"
        cached = self._planned.get((path, after))
        if cached is not None and cached[0].text == before:
            return C.verify_plan(cached[0], cached[1], after)
        return C.verify_additions(path, before, after, self.intended, self.top_level)


def _load_yaml() -> None:
    """ruamel.yaml and its libyaml reader (:mod:`seenfix.editors.libyaml`), imported."""
    import ruamel.yaml  # noqa: F401

    from seenfix.editors import libyaml

    libyaml.available()


def _import_editors() -> None:
    """The compose editor (imported on first use) and the overlay reader every check of a production
    compose file uses."""
    from seenfix.core.lazy import importer

    importer("seenfix.editors.yaml", "seenfix.analysis.compose_overlays")()


def _has_change(plan: Y.Plan, ch: Y.Change) -> bool:
    return any(c.container is ch.container and c.key == ch.key and c.value == ch.value for c in plan.changes)


def _reach(doc: Y.Document) -> tuple[dict[int, set[str]], dict[int, list[tuple[str, Any]]]]:
    """Which services see each collection node: as part of their data (``by_value``: the node itself,
    through an alias or a merged value) or as a ``<<:`` merge source of one of their mappings
    (``by_merge``: a new key there would show up in that mapping unless it has its own)."""
    by_value: dict[int, set[str]] = {}
    by_merge: dict[int, list[tuple[str, Any]]] = {}
    for svc in Y.services(doc):
        stack, seen = [svc.node], set()
        while stack:
            node = stack.pop()
            if not isinstance(node, (dict, list)) or id(node) in seen:
                continue
            seen.add(id(node))
            by_value.setdefault(id(node), set()).add(svc.name)
            stack.extend(node.values() if isinstance(node, dict) else node)
            sources = Y.merge_sources(node)
            while sources:
                src = sources.pop()
                by_merge.setdefault(id(src), []).append((svc.name, node))
                sources.extend(Y.merge_sources(src))
    return by_value, by_merge
