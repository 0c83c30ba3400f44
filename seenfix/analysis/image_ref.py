"""Container image references, parsed as the Docker reference grammar reads them.

``[registry[:port]/]path[:tag][@digest]``: the first path component is a registry when it holds a
``.`` or a ``:`` or is ``localhost`` (``localhost:5000/postgres:16`` is the image ``postgres``, tag
``16``, of the registry ``localhost:5000``).  ``${VAR:-default}`` is read as its default.

:func:`postgres_major` reads the PostgreSQL server's major version from a reference, where the
reference says it: the tag of a PostgreSQL image (``postgres:16-alpine``, ``postgis/postgis:16-3.4``,
``bitnami/postgresql:15.6.0``) or a ``pgNN`` variant suffix (``timescale/timescaledb:2.14.2-pg16``,
``pgvector/pgvector:pg16``).  A version that is the image's own (``appwrite/postgres:0.1.0``,
``timescaledb:2.14.2``) is not the server's: the major is then unknown (``None``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DEFAULT = re.compile(r"\$\{[^}:]*:?-([^}]*)\}")
_PG_VARIANT = re.compile(r"(?:^|[-_.])pg(\d{1,2})(?=$|[-_.])")
_LEADING = re.compile(r"(\d+)(?=$|[-_.])")
#: The first and the last plausible PostgreSQL major versions (9.x to the foreseeable future).
_PLAUSIBLE = range(9, 40)


@dataclass(frozen=True)
class ImageRef:
    registry: str | None  # host[:port], or None for Docker Hub
    path: str  # repository path, e.g. "postgres", "timescale/timescaledb"
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path component (``timescaledb`` of ``timescale/timescaledb``)."""
        return self.path.rsplit("/", 1)[-1]


def parse_image(reference: str) -> ImageRef:
    ref = _DEFAULT.sub(r"\1", reference.strip())
    ref, _, digest = ref.partition("@")
    parts = ref.split("/")
    registry = None
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts.pop(0)
    last = parts[-1]
    tag = None
    if ":" in last:
        last, tag = last.split(":", 1)
        parts[-1] = last
    return ImageRef(registry, "/".join(parts).lower(), tag or None, digest or None)


def postgres_major(reference: str) -> int | None:
    """The PostgreSQL major version a reference names, or ``None`` when it does not say."""
    ref = parse_image(reference)
    if ref.tag is None:
        return None
    variant = _PG_VARIANT.search(ref.tag.lower())
    if variant:
        return int(variant.group(1))
    if "postgres" not in ref.name and "postgis" not in ref.name:
        return None
    lead = _LEADING.match(ref.tag)
    if lead is None or int(lead.group(1)) not in _PLAUSIBLE:
        return None  # latest, alpine, or the image's own version (0.1.0)
    return int(lead.group(1))
