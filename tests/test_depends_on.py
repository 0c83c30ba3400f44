"""The depends_on editor: (input, wanted, expected output) tables, and what it refuses."""

from __future__ import annotations

import pytest

from seenfix.editors import depends_on
from seenfix.editors import yaml as Y
from seenfix.editors.compose import verify_plan

HEAD = "services:\n  db:\n    image: postgres:16\n  app:\n    image: python:3\n"


def _apply(text: str, service: str = "app", wanted: dict[str, str] | None = None) -> str | None:
    doc = Y.load(text, "compose.yml")
    svc = next(s for s in Y.services(doc) if s.name == service)
    plan = depends_on.require_conditions(doc, svc.node, wanted or {"db": depends_on.HEALTHY})
    if plan is None:
        return None
    new = plan.apply(text)
    assert verify_plan(doc, plan, new) is None
    return new


@pytest.mark.parametrize(("body", "expected"), [
    ("    depends_on:\n      - db\n",
     "    depends_on:\n      db:\n        condition: service_healthy\n"),
    ("    depends_on:\n    - db  # first\n    - cache\n",
     "    depends_on:\n      db:  # first\n        condition: service_healthy\n      cache:\n        condition: service_started\n"),
    ("    depends_on: [db]  # why\n",
     "    depends_on: {db: {condition: service_healthy}}  # why\n"),
    ("    depends_on: {db: {restart: true}}\n",
     "    depends_on: {db: {restart: true, condition: service_healthy}}\n"),
    ("    depends_on:\n      db:\n        condition: 'service_started'\n",
     "    depends_on:\n      db:\n        condition: 'service_healthy'\n"),
    ("    depends_on:\n      db:\n",
     "    depends_on:\n      db:\n        condition: service_healthy\n"),
    ("    depends_on:\n      db:\n        condition: service_completed_successfully\n", None),  # the author's choice
    ("    depends_on:\n      - db\n        # trailing comment\n",
     "    depends_on:\n      db:\n        condition: service_healthy\n        # trailing comment\n"),
])
def test_forms(body: str, expected: str | None) -> None:
    text = HEAD + body
    assert _apply(text) == (text if expected is None else HEAD + expected)


def test_crlf_and_no_final_newline() -> None:
    text = (HEAD + "    depends_on:\n      - db").replace("\n", "\r\n")
    assert _apply(text) == (HEAD + "    depends_on:\n      db:\n        condition: service_healthy").replace("\n", "\r\n")


@pytest.mark.parametrize("text", [
    HEAD.replace("  app:\n", "  app:\n    depends_on: &deps [db]\n"),               # anchored: shared
    "x-deps: &deps\n  - db\n" + HEAD + "    depends_on: *deps\n",                  # an alias
    "x-base: &base\n  depends_on: [db]\n" + HEAD + "    <<: *base\n",              # through a merge key
    HEAD + "    depends_on: [db,  # comment inside\n      ]\n",                     # a comment in the brackets
    HEAD + "    depends_on:\n      db: &cond\n        condition: service_started\n",  # an anchored entry
])
def test_shared_or_unusual_forms_are_refused(text: str) -> None:
    assert _apply(text) is None


def test_dependencies_reads_both_forms() -> None:
    doc = Y.load(HEAD + "    depends_on:\n      db: {condition: service_healthy}\n      cache: {}\n", "c.yml")
    app = next(s for s in Y.services(doc) if s.name == "app")
    assert depends_on.dependencies(app.node) == {"db": "service_healthy", "cache": "service_started"}
    doc = Y.load(HEAD + "    depends_on: [db, cache]\n", "c.yml")
    app = next(s for s in Y.services(doc) if s.name == "app")
    assert depends_on.dependencies(app.node) == {"db": "service_started", "cache": "service_started"}
