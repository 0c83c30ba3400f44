"""SF013: a stateful service runs as a single instance."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TYPE_CHECKING

from seenfix.core.lazy import lazy_module
from seenfix.core.model import Applicability, FileFixer, Finding, FixAvailability, Severity
from seenfix.core.project import Project

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis import compose_services as CS
    from seenfix.editors import yaml as Y
else:  # loaded when first used (seenfix.core.lazy)
    CS = lazy_module("seenfix.analysis.compose_services")
    Y = lazy_module("seenfix.editors.yaml")

STATEFUL = {"postgres": "PostgreSQL", "dragonfly": "Dragonfly", "redis": "Redis-compatible cache",
            "database": "database"}
#: Images and commands that mean replication or clustering is set up.
REPLICATED = re.compile(r"repmgr|patroni|stolon|spilo|pgpool|citus|cnpg|replica|sentinel|cluster|galera|"
                        r"--replicaof|--slaveof|--cluster_mode|--cluster-enabled|primary_conninfo")


class SinglePointOfFailure(FileFixer):
    """## What it does
    Reports the stateful services of a compose file (PostgreSQL, Dragonfly, Redis/Valkey, other
    databases) that run as a single instance: no replica service, no replication settings
    (`--replicaof`, `--cluster_mode`, repmgr, Patroni, ...) and no `deploy.replicas` above 1.

    ## Why is this bad?
    One instance on one host is a single point of failure: a crash, a full disk or a reboot for a
    kernel update takes the whole application down until it is back, and a lost volume loses its
    data (the seed assessment's issue 13, "Single Point of Failure": no database replication, no
    cache redundancy). For a self-hosted media center a short outage may be acceptable, but it
    should be a decision, with backups (SF008) and health checks (SF012) in place.

    ## Example
    ```yaml
    services:
      postgres:
        image: postgres:16-alpine
    ```

    ## Use instead
    A streaming replica (`bitnami/postgresql` with `POSTGRESQL_REPLICATION_MODE=slave`, or Patroni
    for automatic failover), a Dragonfly replica (`--replicaof primary:6379`), or a managed database.
    At the very least: backups that are restored in tests, and a documented recovery time.

    ## Fix safety
    There is no automatic fix: replication changes the architecture (failover, connection strings,
    consistency), so the finding is display-only.

    ## Options
    None.

    ## References
    - PostgreSQL, High Availability, Load Balancing, and Replication:
      https://www.postgresql.org/docs/current/high-availability.html
    - Dragonfly, Replication: https://www.dragonflydb.io/docs/managing-dragonfly/replication
    - Google SRE book, "Addressing Cascading Failures": https://sre.google/sre-book/addressing-cascading-failures/
    """

    code = "SF013"
    slug = "single-point-of-failure"
    summary = "A stateful service runs as a single instance"
    seed_issue = 13
    category = "Infrastructure"  # readiness score (seenfix report)
    weight = 2
    needs = ("production_compose",)  # dev, test and CI stacks are not checked
    area = "compose"
    severity = Severity.MEDIUM
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY
    sets = frozenset({"p2"})
    fix_title = "Add a replica or document the recovery plan"

    def targets(self, project: Project) -> Iterable[str]:
        return project.layout.production_compose

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        doc = Y.load(text, path)
        services = list(Y.services(doc))
        by_kind: dict[str, list[Y.Service]] = {}
        for svc in services:
            kind = CS.service_kind(svc.node, path, project)
            if kind in STATEFUL:
                by_kind.setdefault(kind, []).append(svc)
        for kind, members in by_kind.items():
            if len(members) > 1 or any(_replicated(s.node) for s in members):
                continue
            svc = members[0]
            yield self.finding(path, svc.line + 1, f"`{svc.name}` is the only {STATEFUL[kind]} instance: if its "
                               "host or volume fails, the application is down", column=svc.col + 1)


def _replicated(node: Any) -> bool:
    if not isinstance(node, Mapping):
        return False
    replicas = (node.get("deploy") or {}).get("replicas") if isinstance(node.get("deploy"), Mapping) else None
    if isinstance(replicas, int) and replicas > 1:
        return True
    env = node.get("environment")
    words = f"{node.get('image', '')} {node.get('command', '')} {env if env is not None else ''}"
    return bool(REPLICATED.search(words.lower()))
