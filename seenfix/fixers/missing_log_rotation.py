"""SF007: compose services whose container logs are never rotated."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from seenfix.fixers import compose_base as CB
from seenfix.core.lazy import lazy_module
from seenfix.core.model import Finding, Option, Severity

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.editors import compose as C
    from seenfix.editors import yaml as Y
else:  # loaded when first used (seenfix.core.lazy)
    C = lazy_module("seenfix.editors.compose")
    Y = lazy_module("seenfix.editors.yaml")

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.core.project import Project

DRIVERS = ("json-file", "local")


class MissingLogRotation(CB.ComposeFixer):
    """## What it does
    Finds compose services without a `logging` configuration and gives them log rotation: the
    `json-file` driver with `max-size: "10m"` and `max-file: "3"` (at most 30 MB of logs per
    container).  Where several services need it, the configuration is written once as an
    `x-logging: &default-logging` extension field and each service gets `logging: *default-logging`,
    the way compose files usually share it; with a single service it is written inline.  A service
    with its own `logging` (or one inherited through `<<:`) is left alone.

    Why `json-file` and not the `local` driver: `local` rotates by default and compresses, but its
    files are in an internal format meant only for `docker logs`; `json-file` with rotation options
    keeps the format that `docker logs` *and* log shippers (Promtail/Loki, Fluent Bit, Vector,
    Filebeat reading `/var/lib/docker/containers/*/*-json.log`) understand, and the seed's own plan
    adds log aggregation next.  Set `driver = "local"` to choose the other trade-off.

    ## Why is this bad?
    Docker's default `json-file` driver performs no rotation: a chatty container fills the disk with
    one ever-growing log file until the host (database included) runs out of space.

    ## Example
    ```yaml
    services:
      backend:
        build: ./backend
      frontend:
        build: ./frontend
    ```

    ## Use instead
    ```yaml
    x-logging: &default-logging
      driver: json-file
      options:
        max-size: "10m"
        max-file: "3"

    services:
      backend:
        build: ./backend
        logging: *default-logging
      frontend:
        build: ./frontend
        logging: *default-logging
    ```

    ## Fix safety
    Safe: only keys are added, every other line stays as it was, and the result is checked to load
    to the original data plus the new keys and to stay valid against the Compose Specification
    schema.  The new driver options apply to containers created after the change
    (`docker compose up -d` recreates them).  Files in legacy formats that do not allow `x-`
    extension fields (`version: "3.0"` to `"3.3"`, `"2.0"`) get the block inline in each service.

    ## Options
    - `driver`: `"json-file"` (default) or `"local"`.
    - `max_size`: the largest size of one log file before it is rotated (default `"10m"`).
    - `max_file`: how many log files to keep per container (default `3`).

    ## References
    - Docker, JSON File logging driver (no rotation by default; `max-size`, `max-file`):
      https://docs.docker.com/engine/logging/drivers/json-file/
    - Docker, Local file logging driver: https://docs.docker.com/engine/logging/drivers/local/
    - Docker, Configure logging drivers: https://docs.docker.com/engine/logging/configure/
    - Docker, Compose services `logging`: https://docs.docker.com/reference/compose-file/services/#logging
    - Docker, Compose extensions (`x-` fields, anchors and aliases):
      https://docs.docker.com/reference/compose-file/extension/
    """

    code = "SF007"
    slug = "missing-log-rotation"
    summary = "Missing log rotation"
    seed_issue = 7
    category = "Monitoring"  # readiness score (seenfix report)
    weight = 2
    needs = ("production_compose",)  # dev, test and CI stacks are not checked
    area = "compose"
    severity = Severity.MEDIUM
    sets = frozenset({"quick-wins", "p1"})
    fix_title = "Rotate container logs with max-size and max-file"
    options = (
        Option("driver", str, "json-file", "logging driver: json-file or local"),
        Option("max_size", str, "10m", "largest size of one log file before rotation"),
        Option("max_file", int, 3, "number of log files kept per container"),
    )
    intended = ("logging",)
    top_level = ("x-logging", "x-default-logging", "x-log-rotation")

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = super().validate_options(options)
        if "driver" in options and options["driver"] not in DRIVERS:
            problems.append(("driver", "expected \"json-file\" or \"local\""))
        if isinstance(options.get("max_size"), str) and C.parse_bytes(options["max_size"]) is None:
            problems.append(("max_size", "expected a size such as \"10m\""))
        if isinstance(options.get("max_file"), int) and options["max_file"] < 1:
            problems.append(("max_file", "expected at least 1"))
        return problems

    def logging_block(self) -> dict[str, Any]:
        return {"driver": str(self.config["driver"]), "options": {
            "max-size": Y.Quoted(str(self.config["max_size"])),
            "max-file": Y.Quoted(str(self.config["max_file"]))}}

    def plan_file(self, doc: Y.Document, project: Project | None) -> tuple[list[CB.ServiceFinding], Y.Plan]:
        settled = self._settled_by_overlays(doc, project)
        todo = [s for s in Y.services(doc) if s.name not in settled
                and (s.node is None or (isinstance(s.node, Mapping) and "logging" not in s.node))]
        block = self.logging_block()
        plan = Y.Plan()
        value: Any = block
        shared = len(todo) >= 2 and _extensions_allowed(doc) and not Y.is_flow(doc.data)
        if shared:
            anchor = _existing_anchor(doc, block)
            if anchor is None:
                key = next(k for k in self.top_level if k not in doc.data)
                anchor = next(a for a in ("default-logging", "log-rotation", "seenfix-logging")
                              if f"&{a}" not in doc.text)
                plan.extend(Y.insert_root_key(doc, "services", key, block, anchor, Y.indent_unit(doc.text)))
            value = Y.Alias(anchor, Y.to_plain(block))
        found = []
        combined = C.Combined()
        combined.add(plan)
        for svc in todo:
            sub = Y.ensure_keys(doc, svc.parent, svc.name, {"logging": value})
            ok = bool(sub.edits) and combined.add(sub)
            found.append(CB.ServiceFinding(svc, f"service `{svc.name}` has no log rotation (Docker's default "
                                               "json-file driver never rotates)", ok))
        return found, combined.plan if any(f.fixable for f in found) else Y.Plan()

    def complete(self, doc: Y.Document, svc: Y.Service, path: str, project: Project | None) -> bool:
        return isinstance(svc.node, Mapping) and "logging" in svc.node

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        return self.compose_findings(path, text, project)

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        return self.compose_fix(path, text, project)


def _extensions_allowed(doc: Y.Document) -> bool:
    """``x-`` fields exist in the Compose Specification and in legacy formats 2.1+ and 3.4+."""
    v = Y.compose_version(doc)
    return v is None or v >= (3, 4) or (2, 1) <= v < (3, 0) or v[0] > 3


def _existing_anchor(doc: Y.Document, block: Mapping[str, Any]) -> str | None:
    """The anchor of a top-level ``x-`` field that already holds exactly this logging block."""
    want = Y.to_plain(block)
    services_line = Y.key_position(doc.data, "services")[0]
    for key in Y.own_keys(doc.data):
        if Y.key_position(doc.data, key)[0] > services_line:
            break
        node = doc.data[key]
        anchor = getattr(getattr(node, "anchor", None), "value", None)
        if str(key).startswith("x-") and isinstance(node, Mapping) and anchor \
                and Y.to_plain(node) == want and re.match(r"^[\w-]+$", anchor):
            return str(anchor)
    return None
