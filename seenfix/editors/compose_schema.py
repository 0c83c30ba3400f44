"""Validation of compose data against the Compose Specification's JSON schema (draft 7).

The schema ships in ``seenfix/data/compose.schema.json`` (origin and Apache-2.0 notice in
``seenfix/data/COMPOSE-SCHEMA-NOTICE.md``).  ``jsonschema`` is imported lazily.  Interpolations such as
``${VAR}`` are left as they are: the schema accepts strings wherever Compose interpolates.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def validator() -> Any:
    """The Compose Specification's draft-7 validator, built once (importing jsonschema is the most of
    it: a fixer's :meth:`~seenfix.core.model.Fixer.warm_up` may ask for it early)."""
    from importlib.resources import files

    from jsonschema import Draft7Validator

    schema = json.loads(files("seenfix").joinpath("data/compose.schema.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema)


def schema_errors(data: Any, limit: int = 3) -> list[str]:
    """Up to ``limit`` schema violations of plain compose ``data`` (see ``editors.yaml.to_plain``)."""
    out: list[str] = []
    for err in validator().iter_errors(data):
        where = "/".join(str(p) for p in err.absolute_path) or "/"
        message = err.message
        if isinstance(err.instance, str) and err.instance:  # never quote a value: it may be a password
            message = message.replace(repr(err.instance), "the value")
        out.append(f"{where}: {message}")
        if len(out) >= limit:
            break
    return out


def is_valid(data: Any) -> bool:
    """Whether plain compose ``data`` passes the Compose Specification schema."""
    return bool(validator().is_valid(data))
