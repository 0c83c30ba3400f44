"""Which compose files the project's own docs and scripts deploy with (seenfix.core.deploy_docs), and
how that combines with path words into the production deployment (seenfix.core.project.compose_roles)."""

from __future__ import annotations

import pytest

from seenfix.core.deploy_docs import compose_uses
from seenfix.core.project import compose_roles

COMPOSE = ["compose.yml", "compose.override.yml", "compose.deploy.yml", "docker-compose.server.yml",
           "compose.dev.yml", "tools/search/compose.yml", "infra/compose.yml"]

USES = [
    ("README heading", "README.md", "## Deployment\n\n```sh\ndocker compose -f docker-compose.server.yml up -d\n```\n",
     {"docker-compose.server.yml": {"deploy"}}),
    ("README quick start", "README.md", "## Quick start\n\n    docker compose up -d\n",
     {"compose.yml": {"other"}, "compose.override.yml": {"other"}}),
    ("a shell comment in a fence is not a heading", "README.md",
     "## Production\n```sh\n# first pull\ndocker compose pull\n```\n",
     {"compose.yml": {"deploy"}, "compose.override.yml": {"deploy"}}),
    ("development heading", "README.md", "## Local development\n\n`docker compose -f compose.yml up`\n",
     {"compose.yml": {"test"}}),
    ("two files and a continuation", "scripts/deploy.sh",
     "docker compose \\\n  -f compose.yml \\\n  --file=compose.deploy.yml up -d\n",
     {"compose.yml": {"deploy"}, "compose.deploy.yml": {"deploy"}}),
    ("COMPOSE_FILE", "Makefile", "release:\n\tCOMPOSE_FILE=compose.yml:compose.deploy.yml docker compose up -d\n",
     {"compose.yml": {"deploy"}, "compose.deploy.yml": {"deploy"}}),
    ("Makefile test target", "Makefile", "test-search:\n\tdocker compose -f tools/search/compose.yml up -d\n",
     {"tools/search/compose.yml": {"test"}}),
    ("the test word of a file name is not the command's", "scripts/release.sh",
     "docker compose -f compose.dev.yml up -d\n", {"compose.dev.yml": {"deploy"}}),
    ("CI workflow", ".github/workflows/ci.yml",
     "jobs:\n  build:\n    steps:\n      - run: docker compose run --rm api pytest\n",
     {"compose.yml": {"test"}, "compose.override.yml": {"test"}}),
    ("deploy workflow running the tests too", ".github/workflows/deploy.yml",
     "jobs:\n  ship:\n    steps:\n      - name: Unit tests\n        run: docker compose run api pytest\n",
     {"compose.yml": {"other"}, "compose.override.yml": {"other"}}),
    ("relative to the document's folder", "infra/README.md", "## Deploy\n docker compose -f ./compose.yml up -d\n",
     {"infra/compose.yml": {"deploy"}}),
    ("swarm", "docs/ops.md", "docker stack deploy -c docker-compose.server.yml notes\n",
     {"docker-compose.server.yml": {"deploy"}}),
    ("prose and variables name nothing", "README.md",
     "The docker-compose.yml file holds the services.\nRun docker compose -f $FILE up.\nDocker Compose v2.\n", {}),
    ("a document that is not scanned", "src/notes.txt", "docker compose -f compose.deploy.yml up -d\n", {}),
]


@pytest.mark.parametrize(("doc", "text", "expected"), [u[1:] for u in USES], ids=[u[0] for u in USES])
def test_compose_uses(doc: str, text: str, expected: dict[str, set[str]]) -> None:
    assert compose_uses([doc], {doc: text}.get, COMPOSE) == expected


ROLES = [
    ("no docs: path words, unmarked is production", {},
     {"compose.yml": "production", "compose.dev.yml": "dev", "compose.deploy.yml": "production"}),
    ("deployed elsewhere in its folder: dev", {"docker-compose.server.yml": {"deploy"}, "compose.yml": {"test"}},
     {"docker-compose.server.yml": "production", "compose.yml": "dev", "compose.override.yml": "dev",
      "tools/search/compose.yml": "production", "infra/compose.yml": "production"}),
    ("used only by tests: dev", {"tools/search/compose.yml": {"test"}},
     {"tools/search/compose.yml": "dev", "compose.yml": "production"}),
    ("a neutral use keeps it production", {"compose.yml": {"test", "other"}}, {"compose.yml": "production"}),
    ("path words win over the docs", {"compose.dev.yml": {"deploy"}, "compose.deploy.yml": {"test"}},
     {"compose.dev.yml": "dev", "compose.deploy.yml": "production"}),
]


@pytest.mark.parametrize(("uses", "expected"), [r[1:] for r in ROLES], ids=[r[0] for r in ROLES])
def test_compose_roles(uses: dict[str, set[str]], expected: dict[str, str]) -> None:
    roles = compose_roles(COMPOSE, uses)
    assert {p: roles[p] for p in expected} == expected
