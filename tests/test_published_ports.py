"""SF014: the port syntax table, the parts it leaves alone, and every real compose file of the corpus."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import SHARED
from seenfix.editors import ports as P
from seenfix.editors import yaml as Y
from seenfix.editors.compose_schema import is_valid
from seenfix.fixers.published_internal_ports import PublishedInternalPorts

CORPUS = SHARED / "corpus" / "compose"


@pytest.mark.parametrize(("entry", "public", "bound"), [
    ("5432:5432", True, "127.0.0.1:5432:5432"),
    ("5432", True, "127.0.0.1::5432"),
    (6379, True, "127.0.0.1::6379"),
    ("0.0.0.0:80:80", True, "127.0.0.1:80:80"),
    ("[::]:6379:6379", True, "[::1]:6379:6379"),
    ("9200-9201:9200-9201/tcp", True, "127.0.0.1:9200-9201:9200-9201/tcp"),
    ("${DB_PORT:-5432}:5432", True, "127.0.0.1:${DB_PORT:-5432}:5432"),
    ("53:53/udp", True, "127.0.0.1:53:53/udp"),
    ("127.0.0.1:5432:5432", False, None),
    ("[::1]:5432:5432", False, None),
    ("10.0.0.5:5432:5432", False, None),
])
def test_short_syntax(entry: Any, public: bool, bound: str | None) -> None:
    port = P.parse(entry)
    assert port is not None and port.public == public
    text = f"services:\n  db:\n    ports:\n      - {entry if isinstance(entry, int) else repr(entry)}\n"
    doc = Y.load(text, "c.yml")
    seq = doc.data["services"]["db"]["ports"]
    plan = P.bind_locally(doc, seq, 0)
    if bound is None:
        assert plan is None
    else:
        assert plan is not None
        assert Y.to_plain(Y.load(plan.apply(text), "c.yml").data)["services"]["db"]["ports"] == [bound]


@pytest.mark.parametrize("entry", ["${BIND}:5432:5432", "${PORTS}", "localhost:5432:5432", "5432:5432:5432:1",
                                   "abc", True, {"target": "${T}"}])
def test_what_cannot_be_read_is_none(entry: Any) -> None:
    assert P.parse(entry) is None


def test_long_syntax() -> None:
    assert P.parse({"target": 80, "published": "8080"}) == P.Port("", "8080", "80", "tcp", False)
    assert not P.parse({"target": 80, "host_ip": "127.0.0.1"}).public  # type: ignore[union-attr]
    assert P.parse({"target": 80, "host_ip": "::"}).public  # type: ignore[union-attr]


def _files() -> list[Path]:
    if not (CORPUS / "files").is_dir():
        pytest.skip(f"compose corpus not found at {CORPUS}")
    return sorted((CORPUS / "files").iterdir())


_BOUND = re.compile(r"^(\s*-\s*|.*\[.*)")


def test_corpus() -> None:
    """Safe fix: only port entries change (to 127.0.0.1 / [::1], or a new host_ip line), the data
    differs only in those entries, schema validity is kept and a second run changes nothing."""
    fixer = PublishedInternalPorts()
    counts = {"files": 0, "changed": 0, "entries_bound": 0}
    for f in _files():
        text = f.read_text()
        counts["files"] += 1
        new = fixer.compose_fix(f.name, text, None)
        if new is None:
            continue
        counts["changed"] += 1
        assert fixer.verify(f.name, text, new) is None, f.name
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=text.splitlines(), b=new.splitlines(),
                                                            autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            added = new.splitlines()[j1:j2]
            assert tag in ("replace", "insert"), f.name
            for line in added:
                assert "127.0.0.1" in line or "[::1]" in line, f"{f.name}: {line!r}"
            counts["entries_bound"] += sum(line.count("127.0.0.1") + line.count("[::1]") for line in added) \
                - sum(line.count("127.0.0.1") + line.count("[::1]") for line in text.splitlines()[i1:i2])
        old_doc, new_doc = Y.load(text, f.name), Y.load(new, f.name)
        old, after = Y.to_plain(old_doc.data), Y.to_plain(new_doc.data)
        for name, svc in old["services"].items():
            for key in set(svc or {}) | set(after["services"][name] or {}):
                if key != "ports":
                    assert (svc or {}).get(key) == after["services"][name].get(key), f"{f.name}: {name}/{key}"
        if is_valid(old):
            assert is_valid(after), f.name
        assert fixer.compose_fix(f.name, new, None) is None, f"{f.name}: a second run changes it"
    print(f"\nSF014 corpus: {counts}")
    assert counts["changed"] >= 3
