"""Compose ``ports`` entries: what a published port binds to, and the edits that narrow it.

The short syntax is ``[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`` (ports or ranges, the host
IP written ``[::1]`` for IPv6); the long syntax is a mapping with ``target``, ``published``,
``host_ip``, ``protocol`` and ``mode``.  :func:`parse` reads the short syntax, including a host port
written as one variable (``${DB_PORT:-5432}:5432``); anything else with a variable in it, or that
does not follow the syntax, is ``None``: the caller reports it and leaves it alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seenfix.editors import yaml as Y

_PORT = r"(?:\d{1,5}(?:-\d{1,5})?)"
_VAR = r"(?:\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-\d{1,5})?\})"
_SHORT = re.compile(rf"^(?:(?P<ip>\[[0-9A-Fa-f:.]+\]|\d{{1,3}}(?:\.\d{{1,3}}){{3}}):)?(?:(?P<host>{_PORT}|{_VAR})?:)?"
                    rf"(?P<target>{_PORT})(?:/(?P<proto>tcp|udp|sctp))?$")
#: Host addresses that mean "every interface".
EVERYWHERE = frozenset({"", "0.0.0.0", "::", "[::]"})
LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"


@dataclass(frozen=True)
class Port:
    """One published port: the host address (``""`` for every interface), host port, container port."""

    host_ip: str
    host_port: str
    target: str
    protocol: str
    short: bool  # written in the short syntax

    @property
    def public(self) -> bool:
        return self.host_ip in EVERYWHERE

    def text(self) -> str:
        return f"{self.host_ip}:{self.host_port}:{self.target}" if self.host_port else f"{self.host_ip}::{self.target}"


def parse(entry: Any) -> Port | None:
    """The port an entry of ``ports`` publishes, or None when it cannot be read with certainty."""
    if isinstance(entry, bool):
        return None
    if isinstance(entry, int):
        return Port("", "", str(entry), "tcp", True)
    if isinstance(entry, Mapping):
        target, published, host_ip = entry.get("target"), entry.get("published"), entry.get("host_ip", "")
        if target is None or any("$" in str(v) for v in (target, published, host_ip)):
            return None
        return Port(str(host_ip), "" if published is None else str(published), str(target),
                    str(entry.get("protocol", "tcp")), False)
    if not isinstance(entry, str):
        return None
    m = _SHORT.match(entry.strip())
    if not m:
        return None
    ip = m.group("ip") or ""
    return Port(ip, m.group("host") or "", m.group("target"), m.group("proto") or "tcp", True)


def loopback(port: Port) -> str:
    """The loopback address of the same family as the port's host address."""
    return f"[{LOOPBACK_V6}]" if port.host_ip in ("::", "[::]") and port.short else (
        LOOPBACK_V6 if port.host_ip == "::" else LOOPBACK_V4)


def bind_locally(doc: Y.Document, ports: Any, index: int) -> Y.Plan | None:
    """Plan publishing ``ports[index]`` on the loopback interface only, in its own syntax."""
    entry = ports[index]
    port = parse(entry)
    if port is None or not port.public:
        return None
    local = loopback(port)
    if port.short:
        m = _SHORT.match(str(entry).strip())
        assert m is not None
        proto = f"/{m.group('proto')}" if m.group("proto") else ""
        value = f"{local}:{m.group('host') or ''}:{m.group('target')}{proto}"
        try:
            return Y.replace_scalar(doc, ports, index, value)
        except ValueError:
            return None
    if "host_ip" in entry:
        if "host_ip" not in Y.own_keys(entry):
            return None
        return Y.replace_scalar(doc, entry, "host_ip", local)
    plan = Y.ensure_keys(doc, ports, index, {"host_ip": local})
    return plan if plan.edits else None


def drop(doc: Y.Document, node: Any, indices: set[int]) -> Y.Plan | None:
    """Plan removing the entries ``indices`` of the service ``node``'s ``ports`` (the whole key when
    none is left), lines and all; None when ``ports`` is shared or written in an unusual way."""
    ports = node.get("ports") if isinstance(node, Mapping) else None
    if not isinstance(ports, list) or not indices or "ports" not in Y.own_keys(node):
        return None
    chain = doc.chain(ports)
    start = doc.offset(*Y.value_position(node, "ports"))
    if not chain or chain[-1][0] is not node or doc.text[start:start + 1] in ("&", "*", "!"):
        return None
    keep = [item for i, item in enumerate(ports) if i not in indices]
    if not keep:
        key_line = Y.key_position(node, "ports")[0]
        if doc.line(key_line)[:Y.key_position(node, "ports")[1]].strip():
            return None  # something else before the key on its line (a flow mapping)
        last = Y.last_owned_line(doc, chain)
        if Y.is_flow(ports, doc):
            close = Y.flow_end(doc.text, start)
            last = doc.line_count - 1
            while last > 0 and doc.starts[last] > close:
                last -= 1
            rest = doc.text[close + 1:doc.line_end(last)].strip()
            if rest and not rest.startswith("#"):
                return None
        return Y.Plan([_delete_lines(doc, key_line, last)], [Y.Change(node, "ports", Y.DELETE)])
    change = Y.Change(node, "ports", [Y.to_plain(item) for item in keep])
    if Y.is_flow(ports, doc):
        close = Y.flow_end(doc.text, start)
        if "#" in doc.text[start:close]:
            return None
        raw = [doc.text[slice(*_item_span(doc, ports, i))] for i in range(len(ports)) if i not in indices]
        return Y.Plan([Y.Edit(start, close + 1, "[" + ", ".join(raw) + "]")], [change])
    plan = Y.Plan(changes=[change])
    for i in sorted(indices):
        line = Y.item_position(ports, i)[0]
        if doc.line(line)[:Y.item_position(ports, i)[1]].strip() != "-":
            return None
        item = ports[i]
        last = Y.last_owned_line(doc, doc.chain(item) or ()) if isinstance(item, (dict, list)) else line
        if isinstance(item, (dict, list)) and not doc.chain(item):
            return None
        plan.edits.append(_delete_lines(doc, line, last))
    return plan


def _item_span(doc: Y.Document, seq: Any, index: int) -> tuple[int, int]:
    if isinstance(seq[index], (dict, list)):
        start = doc.offset(*Y.item_position(seq, index))
        return start, Y.flow_end(doc.text, start) + 1
    return Y.scalar_span(doc, seq, index)


def _delete_lines(doc: Y.Document, first: int, last: int) -> Y.Edit:
    """Remove lines ``first``..``last`` with their line breaks (the one before, at the end of a
    text without a final newline)."""
    if last + 1 < doc.line_count:
        return Y.Edit(doc.starts[first], doc.starts[last + 1], "")
    start = doc.starts[first]
    if first > 0 and not doc.text.endswith("\n"):
        start = doc.line_end(first - 1)
    return Y.Edit(start, len(doc.text), "")
