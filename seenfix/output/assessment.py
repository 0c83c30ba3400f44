"""The structure of SEEN's production-readiness assessment, as data for ``seenfix report``.

The texts are the assessment's own (``../shared/seed/SEEN-production-readiness.md``); each checklist and
plan item names the checks (fixer codes) that decide it.  An item with no code is one no check can
decide: the report lists it as "not checked", never as satisfied.
"""

from __future__ import annotations

#: The score table's categories, in the assessment's order.
CATEGORIES: tuple[str, ...] = (
    "Security", "Configuration", "Monitoring", "Backup", "Performance", "Code Quality", "Documentation",
    "Infrastructure",
)

#: The assessment's 13 critical issues: number -> (title, severity).  Fixers link to them by ``seed_issue``.
ISSUES: dict[int, tuple[str, str]] = {
    1: ("Weak JWT Secret", "critical"),
    2: ("No HTTPS/TLS", "critical"),
    3: ("Missing Security Headers", "high"),
    4: ("Exposed Database Credentials", "high"),
    5: ("No Rate Limiting", "medium"),
    6: ("Missing Production Environment Variables", "high"),
    7: ("No Logging Strategy", "medium"),
    8: ("No Backup Strategy", "high"),
    9: ("Unused Import", "low"),
    10: ("TODO Comments", "low"),
    11: ("No Resource Limits", "medium"),
    12: ("No Monitoring/Alerting", "high"),
    13: ("Single Point of Failure", "medium"),
}

Item = tuple[str, tuple[str, ...]]

#: The Production Readiness Checklist: (section, ((item, codes that decide it), ...)).
CHECKLIST: tuple[tuple[str, tuple[Item, ...]], ...] = (
    ("Security", (
        ("Generate strong JWT secret (32+ random bytes)", ("SF001",)),
        ("Add HTTPS/TLS termination (Let's Encrypt)", ("SF002",)),
        ("Implement security headers (CSP, HSTS, etc.)", ("SF003",)),
        ("Use secrets management (Docker secrets/Vault)", ("SF001", "SF004")),
        ("Add rate limiting middleware", ("SF005",)),
        ("Enable CORS properly", ()),
        ("Add input validation", ()),
        ("Implement CSRF protection", ()),
        ("Add SQL injection tests", ()),
        ("Security audit", ()),
    )),
    ("Configuration", (
        ("Environment variable validation", ()),
        ("Production .env template", ("SF006",)),
        ("Configuration documentation", ()),
        ("Health check tuning", ("SF012",)),
        ("Timeout configuration", ()),
        ("Connection pool tuning", ()),
        ("Cache TTL optimization", ()),
    )),
    ("Monitoring & Logging", (
        ("Structured logging (JSON)", ()),
        ("Log aggregation (ELK/Loki)", ()),
        ("Metrics collection (Prometheus)", ()),
        ("Dashboards (Grafana)", ()),
        ("Error tracking (Sentry)", ()),
        ("Uptime monitoring", ()),
        ("Alert rules", ()),
        ("Log rotation", ("SF007",)),
    )),
    ("Backup & Recovery", (
        ("Automated database backups", ("SF008",)),
        ("Backup retention policy", ()),
        ("Disaster recovery plan", ()),
        ("Backup testing", ()),
        ("Point-in-time recovery", ()),
        ("Volume snapshots", ()),
    )),
    ("Performance", (
        ("Load testing", ()),
        ("Database indexing review", ()),
        ("Query optimization", ()),
        ("Cache hit rate monitoring", ()),
        ("CDN for static assets", ()),
        ("Image optimization", ()),
        ("Bundle size optimization", ()),
    )),
    ("Infrastructure", (
        ("Resource limits (CPU/memory)", ("SF011",)),
        ("Auto-scaling configuration", ()),
        ("Database replication", ("SF013",)),
        ("Cache clustering", ("SF013",)),
        ("Load balancer", ()),
        ("Reverse proxy (Traefik/Caddy)", ("SF014",)),  # internal services reachable only through it
        ("Container orchestration (K8s)", ()),
    )),
    ("Code Quality", (
        ("Fix TypeScript warnings", ("SF009",)),
        ("Complete TODO items", ("SF010",)),
        ("Add integration tests", ()),
        ("Add E2E tests", ()),
        ("Code coverage >80%", ()),
        ("Linting rules", ()),
        ("Pre-commit hooks", ()),
    )),
    ("Documentation", (
        ("Deployment guide", ()),
        ("Operations runbook", ()),
        ("API documentation", ()),
        ("Architecture diagrams", ()),
        ("Troubleshooting guide", ()),
        ("Contributing guide", ()),
    )),
    ("Compliance", (
        ("GDPR compliance (if EU users)", ()),
        ("Data retention policy", ()),
        ("Privacy policy", ()),
        ("Terms of service", ()),
        ("Cookie consent", ()),
        ("Audit logging", ()),
    )),
)

#: Priority Fixes: (priority, title, ((item, codes), ...)), numbered 1-15 across the lists as there.
PRIORITIES: tuple[tuple[str, str, tuple[Item, ...]], ...] = (
    ("P0", "Critical (Do First)", (
        ("Generate and configure strong JWT secret", ("SF001",)),
        ("Add HTTPS/TLS support", ("SF002",)),
        ("Implement secrets management", ("SF004",)),
        ("Add security headers", ("SF003",)),
        ("Set up database backups", ("SF008",)),
    )),
    ("P1", "High (Do Soon)", (
        ("Add rate limiting", ("SF005",)),
        ("Implement monitoring and alerting", ("SF012",)),
        ("Add structured logging", ()),
        ("Configure resource limits", ("SF011",)),
        ("Environment variable validation", ("SF006",)),
    )),
    ("P2", "Medium (Do Before Scale)", (
        ("Load testing and optimization", ()),
        ("Database replication", ("SF013",)),
        ("Error tracking", ()),
        ("Log aggregation", ()),
        ("Disaster recovery testing", ()),
    )),
)

#: Quick Wins (Can Do Now), each with the check that decides it.
QUICK_WINS: tuple[Item, ...] = (
    ("Fix unused import in sidebar.tsx", ("SF009",)),
    ("Add .env.production template", ("SF006",)),
    ("Add resource limits to docker-compose.yml", ("SF011",)),
    ("Enable log rotation", ("SF007",)),
    ("Add basic security headers to nginx", ("SF003",)),
)
