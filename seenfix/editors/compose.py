"""Compose-specific helpers on top of :mod:`seenfix.editors.yaml`: byte sizes and CPUs, build
contexts, command flags, plan merging across services and the verification every compose fixer runs
on its own output.

Verification (``verify_plan`` / ``verify_additions``) re-loads the output and compares its data with the
original plus exactly the intended keys (merge keys resolved, aliases kept shared, so an edit that
changes another service through a shared anchor is caught), and validates it against the Compose
Specification schema whenever the original passed it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from seenfix.editors import yaml as Y

MIB = 1024 * 1024
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": MIB, "mb": MIB, "g": 1024 * MIB, "gb": 1024 * MIB,
          "t": 1024**4, "tb": 1024**4, "kib": 1024, "mib": MIB, "gib": 1024 * MIB}
BYTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$", re.IGNORECASE)


def parse_bytes(value: Any) -> int | None:
    """Bytes of a Compose/Dragonfly size (``512m``, ``1G``, ``1.5gb``, ``768MiB``, an int), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    m = BYTES.match(str(value))
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def format_mib(n: int, suffix: str = "M") -> str:
    """``n`` bytes as whole GiB (``1G``) when exact, else whole MiB (``768M``)."""
    mib = n // MIB
    if mib and mib % 1024 == 0:
        return f"{mib // 1024}{'G' if suffix == 'M' else suffix.replace('m', 'g').replace('M', 'G')}"
    return f"{mib}{suffix}"


def parse_cpus(value: Any) -> float | None:
    """A CPU count (``0.5``, ``"1.0"``, ``2``), else None."""
    if isinstance(value, bool):
        return None
    try:
        f = float(str(value))
    except ValueError:
        return None
    return f if f > 0 else None


def build_context(service: Any, compose_path: str) -> str | None:
    """The build context of a service as a project path (``""`` for the root), or None when it has
    no local build (no ``build``, a remote context, or one that depends on a variable)."""
    build = service.get("build") if isinstance(service, Mapping) else None
    context = build if isinstance(build, str) else (
        str(build.get("context", ".")) if isinstance(build, Mapping) else None)
    if context is None or "://" in context or "$" in context:
        return None
    base = posixpath.normpath(posixpath.join(posixpath.dirname(compose_path), context))
    return "" if base == "." else base


# -- plans over several services --------------------------------------------------------------------

class Combined:
    """Per-service plans merged into one: identical edits to a shared node are made once, and a
    service whose plan would give a shared node a different value than an earlier service is refused
    (``add`` returns False) rather than silently changing the other service."""

    def __init__(self) -> None:
        self.plan = Y.Plan()
        self._claimed: dict[tuple[int, Any], Any] = {}
        self._edits: set[tuple[int, int, str]] = set()

    def add(self, plan: Y.Plan) -> bool:
        for ch in plan.changes:
            key = (id(ch.container), ch.key)
            if ch.key is not None and key in self._claimed and self._claimed[key] != ch.value:
                return False
        for ch in plan.changes:
            key = (id(ch.container), ch.key)
            if ch.key is None or key not in self._claimed:
                self._claimed[key] = ch.value
                self.plan.changes.append(ch)
        for e in plan.edits:
            if e.as_tuple() not in self._edits:
                self._edits.add(e.as_tuple())
                self.plan.edits.append(e)
        return True


# -- verification -------------------------------------------------------------------------------------

def verify_plan(doc: Y.Document, plan: Y.Plan, after: str) -> str | None:
    """Why ``after`` is not exactly ``doc`` plus ``plan``'s intended changes, or None."""
    try:
        new = Y.load(after, doc.path)
    except Exception as exc:  # noqa: BLE001 - reported as a reason
        return f"output does not load: {exc}"
    diff = Y.compare(Y.expected_after(doc, plan.changes), Y.to_plain(new.data))
    if diff:
        return f"data differs from the intended change: {diff}"
    return schema_regression(doc, new)


def schema_regression(before: Y.Document, after: Y.Document) -> str | None:
    """A schema error of ``after`` when ``before`` passed the Compose Specification schema."""
    from seenfix.editors.compose_schema import is_valid, schema_errors

    old = Y.to_plain(before.data)
    if not isinstance(old, dict) or not is_valid(old):
        return None
    errors = schema_errors(Y.to_plain(after.data))
    return f"no longer valid against the Compose Specification schema: {errors[0]}" if errors else None


def verify_additions(path: str, before: str, after: str, allowed: Iterable[str],
                     top_level: Iterable[str] = ()) -> str | None:
    """Structural check without a plan: every service keeps its data and may only gain (or have
    completed) the ``allowed`` keys; the root may only gain ``top_level`` keys; schema validity kept."""
    try:
        old_doc = Y.load(before, path)
        new_doc = Y.load(after, path)
    except Exception as exc:  # noqa: BLE001
        return f"does not load: {exc}"
    old, new = Y.to_plain(old_doc.data), Y.to_plain(new_doc.data)
    allowed_set, top = set(allowed), set(top_level)
    if isinstance(old, dict) and isinstance(new, dict):
        for k in new:
            if k not in old and k not in top:
                return f"unexpected top-level key {k!r}"
        for k in old:
            if k == "services":
                continue
            diff = Y.compare(old[k], new.get(k))
            if diff:
                return f"/{k}{diff}"
        osv, nsv = old.get("services"), new.get("services")
        if isinstance(osv, dict) and isinstance(nsv, dict):
            if set(osv) != set(nsv):
                return "the set of services changed"
            for name, o in osv.items():
                n = nsv[name]
                for k in set(o or {}) | set(n or {}):
                    if k in allowed_set:
                        continue
                    diff = Y.compare((o or {}).get(k), (n or {}).get(k))
                    if diff:
                        return f"/services/{name}/{k}{diff}"
        elif Y.compare(osv, nsv):
            return "services changed"
    elif Y.compare(old, new):
        return "data changed"
    return schema_regression(old_doc, new_doc)


# -- command flags (Dragonfly) --------------------------------------------------------------------------

def _flag_re(name: str) -> re.Pattern[str]:
    return re.compile(r"(?:(?<=\s)|^)--" + re.escape(name) + r"(?:=(\S*)|\s+(?!-)(\S+))?(?=\s|$)")


def command_flags(command: Any, names: Iterable[str]) -> dict[str, str]:
    """Values of ``--name=value`` / ``--name value`` flags in a compose ``command`` (string or list)."""
    out: dict[str, str] = {}
    for name in names:
        if isinstance(command, str):
            m = _flag_re(name).search(command)
            if m:
                out[name] = m.group(1) if m.group(1) is not None else (m.group(2) or "")
        elif isinstance(command, list):
            for i, item in enumerate(command):
                s = str(item)
                if s.startswith(f"--{name}="):
                    out[name] = s.split("=", 1)[1]
                elif s == f"--{name}" and i + 1 < len(command):
                    out[name] = str(command[i + 1])
    return out


def set_command_flags(doc: Y.Document, svc: Y.Service, flags: Mapping[str, str],
                      default: list[str]) -> Y.Plan | None:
    """Plan setting ``--name=value`` flags in a service's ``command`` (string, block or flow list),
    adding ``command: [*default, *flags]`` when there is none.  None when the form is not editable."""
    node = svc.node
    command = node.get("command") if isinstance(node, Mapping) else None
    if command is None:
        items = [Y.Quoted(x) for x in default + [f"--{k}={v}" for k, v in flags.items()]]
        return Y.ensure_keys(doc, svc.parent, svc.name, {"command": items})
    if isinstance(command, str) and "command" in Y.own_keys(node):
        new = command
        for name, value in flags.items():
            pat = _flag_re(name)
            new = pat.sub(f"--{name}={value}", new, count=1) if pat.search(new) else f"{new} --{name}={value}"
        try:
            return Y.replace_scalar(doc, node, "command", new) if new != command else Y.Plan()
        except ValueError:
            return None
    if isinstance(command, list) and command and "command" in Y.own_keys(node):
        plan, extra = Y.Plan(), []
        for name, value in flags.items():
            idx = next((i for i, s in enumerate(map(str, command)) if s == f"--{name}" or s.startswith(f"--{name}=")), None)
            if idx is None:
                extra.append(f"--{name}={value}")
            elif str(command[idx]) == f"--{name}" and idx + 1 < len(command):
                if str(command[idx + 1]) != value:
                    plan.extend(Y.replace_scalar(doc, command, idx + 1, value))
            elif str(command[idx]) != f"--{name}={value}":
                plan.extend(Y.replace_scalar(doc, command, idx, f"--{name}={value}"))
        quoted = doc.text[doc.offset(*Y.item_position(command, len(command) - 1))] in "'\""
        app = Y.append_items(doc, node, "command", [Y.Quoted(x) if quoted else x for x in extra])
        if extra and not app.edits:
            return None
        plan.extend(app)
        return plan
    return None


def services_spaced(doc: Y.Document) -> bool:
    """Whether the file puts a blank line between its services (as SEEN's compose file does)."""
    services = list(Y.services(doc))
    if len(services) < 2:
        return False
    line = services[-1].line - 1
    while line > 0 and doc.line(line).lstrip().startswith("#"):
        line -= 1
    return not doc.line(line).strip()
