"""Image references as Docker parses them, and the PostgreSQL major version they name (SF008)."""

from __future__ import annotations

import pytest

from seenfix.analysis.image_ref import parse_image, postgres_major


@pytest.mark.parametrize("ref, registry, path, tag, digest", [
    ("postgres", None, "postgres", None, None),
    ("postgres:16-alpine", None, "postgres", "16-alpine", None),
    ("localhost:5000/postgres:16", "localhost:5000", "postgres", "16", None),
    ("localhost/postgres", "localhost", "postgres", None, None),
    ("registry.example.com:443/db/postgres:17.2", "registry.example.com:443", "db/postgres", "17.2", None),
    ("ghcr.io/acme/pg@sha256:0123", "ghcr.io", "acme/pg", None, "sha256:0123"),
    ("postgres:16@sha256:0123", None, "postgres", "16", "sha256:0123"),
    ("${PG_IMAGE:-postgres:15}", None, "postgres", "15", None),
    ("timescale/timescaledb:2.14.2-pg16", None, "timescale/timescaledb", "2.14.2-pg16", None),
])
def test_parse(ref: str, registry: str | None, path: str, tag: str | None, digest: str | None) -> None:
    got = parse_image(ref)
    assert (got.registry, got.path, got.tag, got.digest) == (registry, path, tag, digest)


@pytest.mark.parametrize("ref, major", [
    ("postgres:16-alpine", 16),
    ("postgres:9.6", 9),
    ("localhost:5000/postgres:16", 16),  # not 5000
    ("timescale/timescaledb:2.14.2-pg16", 16),  # not 2
    ("timescale/timescaledb-ha:pg16.4-ts2.17.2", 16),
    ("pgvector/pgvector:pg16", 16),  # not latest
    ("pgvector/pgvector:0.7.0-pg15", 15),
    ("postgis/postgis:16-3.4", 16),
    ("bitnami/postgresql:15.6.0", 15),
    ("appwrite/postgres:0.1.0", None),  # the image's own version, not the server's
    ("timescale/timescaledb:2.14.2", None),
    ("postgres", None),
    ("postgres:latest", None),
    ("mysql:8", None),
])
def test_postgres_major(ref: str, major: int | None) -> None:
    assert postgres_major(ref) == major
