"""Compose-specific helpers on top of :mod:`seenfix.editors.yaml`: what a service runs, byte sizes,
plan merging across services and the verification every compose fixer runs on its own output.

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
from typing import TYPE_CHECKING, Any, ClassVar

from seenfix.editors import yaml as Y
from seenfix.core.model import FileFixer, Finding, InputError

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

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


# -- what a service runs -------------------------------------------------------------------------

KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # first: a backup tool built on a database image is not that database
    ("backup", re.compile(r"backup|pgbackrest|wal-g|barman|borgmatic")),
    ("postgres", re.compile(r"postgres|postgis|timescale|pgvector|supabase/postgres")),
    ("dragonfly", re.compile(r"dragonfly")),
    ("redis", re.compile(r"redis|valkey|keydb|memcached")),
    ("database", re.compile(r"mysql|mariadb|mongo|elasticsearch|opensearch|cassandra|clickhouse|"
                            r"rabbitmq|kafka|zookeeper|influxdb|neo4j|mssql")),
    ("proxy", re.compile(r"(^|/)(nginx|openresty|caddy|traefik|haproxy|envoy|httpd)(-unprivileged)?$")),
    ("app", re.compile(r"(^|/)(python|node|bun|deno|denoland/deno|golang|openjdk|eclipse-temurin|"
                       r"amazoncorretto|ruby|php|dotnet|mcr\.microsoft\.com/dotnet)")),
)


def kind_of_image(image: str) -> str | None:
    """The kind of an image reference (tag and digest ignored, ``${VAR:-default}`` read as its
    default), or None."""
    image = re.sub(r"\$\{[^}:]*:?-([^}]*)\}", r"\1", image)
    name = image.split("@", 1)[0].lower()
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    for kind, pattern in KINDS:
        if pattern.search(name):
            return kind
    return None


_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE | re.MULTILINE)


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


def build_dockerfile(service: Any, compose_path: str, project: Project | None) -> str | None:
    """The text of the Dockerfile a service is built from, or None."""
    base = build_context(service, compose_path)
    if base is None or project is None:
        return None
    build = service.get("build")
    name = str(build.get("dockerfile", "Dockerfile")) if isinstance(build, Mapping) else "Dockerfile"
    return project.read_text(posixpath.join(base, name) if base else name)


def final_from(service: Any, compose_path: str, project: Project | None) -> str | None:
    """The image of the final ``FROM`` of the service's Dockerfile, or None."""
    froms = _FROM.findall(build_dockerfile(service, compose_path, project) or "")
    return str(froms[-1]) if froms else None


def service_kind(service: Any, compose_path: str, project: Project | None) -> str:
    """``backup``, ``postgres``, ``dragonfly``, ``redis``, ``database``, ``proxy``, ``app`` or ``unknown``.

    Recognised from ``image``, else from the final ``FROM`` of the build's Dockerfile, else from the
    build context's files (``pyproject.toml``/``requirements.txt``/``package.json``: an application).
    """
    if not isinstance(service, Mapping):
        return "unknown"
    image = service.get("image")
    if isinstance(image, str):
        kind = kind_of_image(image)
        if kind:
            return kind
    base = build_context(service, compose_path)
    if project is None or base is None:
        return "unknown"
    image = final_from(service, compose_path, project)
    if image:
        kind = kind_of_image(image)
        if kind:
            return kind
    prefix = base + "/" if base else ""
    for marker in ("pyproject.toml", "requirements.txt", "package.json", "go.mod", "Gemfile"):
        if project.exists(prefix + marker):
            return "app"
    return "unknown"


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


DRAGONFLY_DEFAULT_COMMAND = ["dragonfly", "--logtostderr"]
DRAGONFLY_MIN_PER_THREAD = 256 * MIB


def dragonfly_flags(doc: Y.Document, svc: Y.Service, mem: str, cpus: str, *, mem_fixed: bool,
                    cpus_fixed: bool) -> tuple[str, str, Y.Plan, str] | None:
    """Limits and flags for a Dragonfly service, consistent with each other.

    ``--proactor_threads`` = the CPU limit (at least 1), ``--maxmemory`` = 75% of the memory limit and
    at least 256 MiB per thread.  A limit that is fixed (configured, or already in the file) is kept
    and the flags follow it; otherwise existing flags are respected and the limit grows to fit them.
    Returns (memory, cpus, plan, note), or None when no consistent setting exists.
    """
    node = svc.node if isinstance(svc.node, Mapping) else {}
    have = command_flags(node.get("command"), ("maxmemory", "proactor_threads"))
    threads0 = int(have["proactor_threads"]) if have.get("proactor_threads", "").isdigit() else None
    maxmem0 = parse_bytes(have["maxmemory"]) if have.get("maxmemory") else None
    limit = parse_bytes(mem) or 1024 * MIB
    cpu = parse_cpus(cpus) or 1.0
    if not cpus_fixed and threads0:
        cpu = max(cpu, float(threads0))
    threads = max(1, int(cpu))
    if not mem_fixed:
        if maxmem0:
            limit = max(limit, _round_up(maxmem0 * 4 // 3))
        limit = max(limit, _round_up(DRAGONFLY_MIN_PER_THREAD * threads * 4 // 3))
    maxmem = maxmem0 if maxmem0 and DRAGONFLY_MIN_PER_THREAD * threads <= maxmem0 <= limit * 3 // 4 \
        else (limit * 3 // 4) // MIB * MIB
    threads = max(1, min(threads, maxmem // DRAGONFLY_MIN_PER_THREAD))
    if maxmem < DRAGONFLY_MIN_PER_THREAD or maxmem >= limit:
        return None
    flags = {"maxmemory": have["maxmemory"] if maxmem == maxmem0 else format_mib(maxmem, "mb"),
             "proactor_threads": str(threads)}
    changed = {k: v for k, v in flags.items() if have.get(k) != v}
    plan = set_command_flags(doc, svc, changed, DRAGONFLY_DEFAULT_COMMAND) if changed else Y.Plan()
    if plan is None:
        return None
    cpus_out = cpus if cpus_fixed or float(threads) <= (parse_cpus(cpus) or 1.0) else f"{threads}.0"
    note = f"run Dragonfly with --maxmemory={flags['maxmemory']} --proactor_threads={threads}"
    mem_out = mem if parse_bytes(mem) == limit else format_mib(limit)
    return mem_out, cpus_out, plan, note


def _round_up(n: int) -> int:
    """Up to a whole 256 MiB below 1 GiB, to a whole GiB above: limits people can read."""
    step = 256 * MIB if n <= 1024 * MIB else 1024 * MIB
    return -(-n // step) * step


# -- the base of compose fixers ---------------------------------------------------------------------

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

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._planned: dict[tuple[str, str], tuple[Y.Document, Y.Plan]] = {}

    def targets(self, project: Project) -> Iterable[str]:
        return project.layout.compose_files

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
        """
        head = self.begin_file(doc, project)
        plans: dict[str, tuple[Y.Service, Y.Plan, Planned]] = {}
        for svc in Y.services(doc):
            if svc.node is not None and not isinstance(svc.node, Mapping):
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
        combined = Combined()
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
        problem = verify_plan(doc, plan, new)
        if problem is not None:
            raise InputError(path, 1, f"fix withheld, its result failed verification: {problem}")
        self._planned[(path, new)] = (doc, plan)
        return new

    def verify(self, path: str, before: str | None, after: str) -> str | None:
        if before is None:
            return "compose fixers never create files"
        cached = self._planned.get((path, after))
        if cached is not None and cached[0].text == before:
            return verify_plan(cached[0], cached[1], after)
        return verify_additions(path, before, after, self.intended, self.top_level)


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
