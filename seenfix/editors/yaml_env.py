"""Compose ``environment`` entries and ``${VAR:-default}`` interpolations, located to the character.

Reads the YAML node tree (libyaml's composer when it reads the text as ruamel.yaml's does, see
:mod:`seenfix.editors.libyaml`, else ruamel's; lazily imported) for exact scalar offsets, so edits
replace only the characters of one value and every comment, anchor, quote style and indentation
stays as it is.  Handles ``environment`` as a map (``KEY: value``) or a list (``- KEY=value``),
extension fields (``x-shared-env: &env``) merged with ``<<: *env``, and quoted scalars.  Commented
lines are not YAML, so they are never seen (P7).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from seenfix.core.model import deepest_line
from seenfix.editors.yaml import (
    ALIAS_BOMB,
    MAX_EXPANDED,
    RECURSIVE_MERGE,
    TOO_DEEP,
    expanded_size,
    merge_cycle_line,
    too_large,
    yaml_problem,
)
from seenfix.core.model import InputError

_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = (":-", ":?", ":+", "-", "?", "+")


@dataclass(frozen=True)
class Ref:
    """One compose interpolation: ``$VAR``, ``${VAR}`` or ``${VAR<op><arg>}``, at ``start:end``."""

    start: int
    end: int
    name: str
    op: str  # "", ":-", "-", ":?", "?", ":+", "+"
    arg: str
    braced: bool
    closed: bool = True  # False for an unterminated ``${VAR:-...`` (compose rejects it)


def scan_interpolations(text: str) -> Iterator[Ref]:
    """Every interpolation in ``text`` as compose reads it (``$$`` is a literal ``$``), in order,
    with those nested in an argument (``${A:-${B:-x}}`` gives A, then B) after their holder.
    One pass over the text (nested arguments are scanned again, once per nesting level)."""
    i = 0
    n = len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0 or j + 1 >= n:
            return
        nxt = text[j + 1]
        if nxt == "$":
            i = j + 2
            continue
        if nxt != "{":
            m = _NAME.match(text, j + 1)
            if m is not None:
                yield Ref(j, m.end(), m.group(), "", "", False)
                i = m.end()
            else:
                i = j + 1
            continue
        m = _NAME.match(text, j + 2)
        if m is None:
            i = j + 2
            continue
        k = m.end()
        op = next((cand for cand in _OPS if text.startswith(cand, k)), "")
        if not op and not text.startswith("}", k):
            i = k  # invalid interpolation format: not a read
            continue
        depth, p = 1, k + len(op)
        while p < n and depth:
            if text.startswith("${", p):
                depth += 1
                p += 2
                continue
            if text[p] == "}":
                depth -= 1
            p += 1
        if depth:  # unterminated: compose would reject it; the name is read anyway
            yield Ref(j, n, m.group(), "", "", True, closed=False)
            return
        arg = text[k + len(op):p - 1]
        yield Ref(j, p, m.group(), op, arg, True)
        if op:
            base = k + len(op)
            for inner in scan_interpolations(arg):
                yield Ref(base + inner.start, base + inner.end, inner.name, inner.op, inner.arg, inner.braced,
                          inner.closed)
        i = p


@dataclass(frozen=True)
class Scalar:
    """A string scalar: its value, style and the offsets of its characters in the file text."""

    value: str
    style: str  # "", "'", '"', "|" or ">"
    start: int
    end: int
    line: int

    @property
    def editable(self) -> bool:
        """True for a one-line plain or quoted scalar whose raw text decodes to ``value`` simply."""
        return self.style in ("", "'", '"') and "\n" not in self.value and "\\" not in self.value \
            and ("'" not in self.value or self.style != "'")

    @property
    def inner(self) -> tuple[int, int]:
        """Offsets of the characters inside the quotes."""
        return (self.start + 1, self.end - 1) if self.style in ("'", '"') else (self.start, self.end)


@dataclass(frozen=True)
class EnvEntry:
    """``KEY: value`` or ``- KEY=value`` in an environment block (or an ``x-`` env map)."""

    owner: str  # "backend", or the extension key "x-shared-env"
    key: str
    value: str
    line: int
    start: int  # offsets of the value's characters (inside quotes, after "=")
    end: int
    editable: bool
    form: str  # "map" or "list"
    style: str
    key_start: int = -1  # offset of the key (plain keys and list items only; -1 otherwise)


@dataclass(frozen=True)
class Interpolation:
    var: str
    op: str  # "", ":-", "-", ":?", "?", ":+", "+"
    arg: str
    line: int
    start: int  # offsets of the whole ``${...}``
    end: int
    key: str | None  # the environment key holding it, if any
    editable: bool


def compose_nodes(text: str, path: str) -> Any:
    """The root node of a YAML file (first document), or ``None`` for an empty one.

    Composed once per (path, text) within a run (:mod:`seenfix.core.memo`): treat it as read-only.
    A text longer than :data:`seenfix.editors.yaml.MAX_CHARS` is an input error."""
    from seenfix.core.memo import cached

    return cached("yaml-nodes", path, text, lambda: _compose_nodes(text, path))


def _compose_nodes(text: str, path: str) -> Any:
    from seenfix.editors import libyaml

    problem = too_large(text)
    if problem is not None:
        raise InputError(path, 1, problem)

    with libyaml.collector_paused():
        root = libyaml.compose_node(text)
        if root is libyaml.PURE:
            root = _compose_round_trip(text, path)
    line = merge_cycle_line(root)
    if line is not None:
        raise InputError(path, line, RECURSIVE_MERGE)
    if root is not None and expanded_size(root, _node_children) > MAX_EXPANDED:
        raise InputError(path, 1, ALIAS_BOMB)
    return root


def _compose_round_trip(text: str, path: str) -> Any:
    """The node tree composed by ruamel.yaml's round-trip parser (the errors seenfix reports)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        return yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(path, (mark.line + 1) if mark else 1, f"invalid YAML: {yaml_problem(exc)}") from None
    except YAMLError as exc:
        raise InputError(path, 1, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(path, deepest_line(text), TOO_DEEP) from None


def _node_children(node: Any) -> list[Any]:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def scalar(node: Any) -> Scalar | None:
    from ruamel.yaml.nodes import ScalarNode

    if not isinstance(node, ScalarNode) or not str(node.tag).endswith((":str", ":int", ":float")):
        return None
    start, end = node.start_mark.index, node.end_mark.index
    text = node.start_mark.buffer if isinstance(node.start_mark.buffer, str) else None
    if text is not None:  # the node starts at its anchor or tag (``&a value``, ``!!str v``): skip them
        while start < end and text[start] in "&!":
            while start < end and text[start] not in " \t\r\n":
                start += 1
            while start < end and text[start] in " \t\r\n":
                start += 1
    return Scalar(str(node.value), node.style or "", start, end, node.start_mark.line + 1)


def _pairs(node: Any) -> Iterator[tuple[Any, Any]]:
    from ruamel.yaml.nodes import MappingNode

    if isinstance(node, MappingNode):
        for k, v in node.value:
            yield k, v


def _key(node: Any) -> str | None:
    from ruamel.yaml.nodes import ScalarNode

    return str(node.value) if isinstance(node, ScalarNode) and not str(node.tag).endswith("merge") else None


def env_blocks(root: Any) -> Iterator[tuple[str, Any]]:
    """``(owner, node)`` of every environment block: ``services.*.environment`` and ``x-`` env maps."""
    seen: set[int] = set()
    for k, v in _pairs(root):
        name = _key(k)
        if name == "services":
            for sk, sv in _pairs(v):
                for ek, ev in _pairs(sv):
                    if _key(ek) == "environment" and id(ev) not in seen:
                        seen.add(id(ev))
                        yield _key(sk) or "?", ev
        elif name and name.startswith("x-"):
            for owner, block in _x_env(name, v):
                if id(block) not in seen:
                    seen.add(id(block))
                    yield owner, block


def _x_env(owner: str, node: Any) -> Iterator[tuple[str, Any]]:
    pairs = list(_pairs(node))
    if pairs and all(_key(k) is None or (_ENV_KEY.match(_key(k) or "") and (_key(k) or "").isupper())
                     for k, _ in pairs):
        yield owner, node
        return
    for k, v in pairs:
        if _key(k) == "environment":
            yield owner, v


def env_entries(text: str, path: str, root: Any | None = None) -> list[EnvEntry]:
    from ruamel.yaml.nodes import SequenceNode

    root = compose_nodes(text, path) if root is None else root
    out: list[EnvEntry] = []
    seen: set[int] = set()  # a value shared through an alias is one entry, where it is written
    for owner, block in env_blocks(root):
        if isinstance(block, SequenceNode):
            for item in block.value:
                sc = scalar(item)
                if sc is None or "=" not in sc.value or id(item) in seen:
                    continue
                seen.add(id(item))
                key, _, value = sc.value.partition("=")
                a, _b = sc.inner
                eq = text.find("=", a)
                out.append(EnvEntry(owner, key.strip(), value, sc.line, eq + 1, _b, sc.editable, "list",
                                    sc.style, a if key == key.strip() else -1))
            continue
        for k, v in _pairs(block):
            name = _key(k)
            sc = scalar(v)
            if name is None or sc is None or id(v) in seen:
                continue
            seen.add(id(v))
            a, b = sc.inner
            plain_key = scalar(k)
            key_start = plain_key.start if plain_key is not None and plain_key.style == "" else -1
            out.append(EnvEntry(owner, name, sc.value, sc.line, a, b, sc.editable, "map", sc.style, key_start))
    return out


def all_scalars(root: Any) -> Iterator[tuple[str | None, Scalar]]:
    """Every string value scalar (not keys) with the key that holds it, each node once."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    seen: set[int] = set()
    stack: list[tuple[str | None, Any]] = [(None, root)]
    while stack:
        key, node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend((_key(k), v) for k, v in reversed(node.value))
        elif isinstance(node, SequenceNode):
            stack.extend((key, v) for v in reversed(node.value))
        else:
            sc = scalar(node)
            if sc is not None:
                if key is None and "=" in sc.value:
                    key = sc.value.partition("=")[0]
                yield key, sc


def interpolations(text: str, path: str, root: Any | None = None) -> list[Interpolation]:
    root = compose_nodes(text, path) if root is None else root
    out: list[Interpolation] = []
    for holder, sc in all_scalars(root):
        if "${" not in sc.value:
            continue
        a, b = sc.inner
        raw = text[a:b]
        for ref in scan_interpolations(raw):
            if ref.braced and ref.closed:
                out.append(Interpolation(ref.name, ref.op, ref.arg, sc.line + raw.count("\n", 0, ref.start),
                                         a + ref.start, a + ref.end, holder, sc.editable))
    return sorted(out, key=lambda i: i.start)


def required_ref(var: str, where: str = ".env") -> str:
    """``${VAR:?...}``: compose refuses to start, naming the variable and where to set it."""
    return "${" + var + ":?set " + var + " in " + where + "}"


def docker_secret_edits(text: str, path: str, entries: list[EnvEntry], names: dict[str, str],
                        files: dict[str, str]) -> list[tuple[int, int, str]]:
    """Edits that turn ``KEY: value`` entries into Docker secrets read through ``KEY_FILE``.

    ``entries`` are service environment entries (plain key, editable value); ``names`` maps each
    entry's ``owner/key`` to its secret name and ``files`` each secret name to its file (relative to
    the compose file).  Each entry becomes ``KEY_FILE: /run/secrets/<name>``, its service gains
    ``secrets: [<name>]`` and the top level ``secrets: <name>: file: ...``.  Uses the surgical YAML
    editor (:mod:`seenfix.editors.yaml`), so every other byte stays as it is.
    """
    from seenfix.editors import yaml as y

    doc = y.load(text, path)
    edits: list[tuple[int, int, str]] = []
    per_service: dict[str, list[str]] = {}
    for e in entries:
        name = names[f"{e.owner}/{e.key}"]
        new = f"{e.key}_FILE: /run/secrets/{name}" if e.form == "map" else f"{e.key}_FILE=/run/secrets/{name}"
        end = e.end + (1 if e.form == "map" and e.style in ("'", '"') else 0)  # the closing quote
        edits.append((e.key_start, end, new))
        per_service.setdefault(e.owner, []).append(name)
    plan = y.Plan()
    for svc in y.services(doc):
        wanted = per_service.get(svc.name)
        if not wanted or not isinstance(svc.node, dict):
            continue
        current = svc.node.get("secrets")
        if isinstance(current, list) and current:
            plan.extend(y.append_items(doc, svc.node, "secrets", [n for n in wanted if n not in current]))
        elif "secrets" not in svc.node:
            plan.extend(y.ensure_keys(doc, svc.parent, svc.name, {"secrets": wanted}))
        else:
            raise InputError(path, svc.line + 1, f"cannot add to the `secrets` of service {svc.name}")
    root = doc.data
    top = {name: {"file": files[name]} for names_ in per_service.values() for name in names_}
    if isinstance(root.get("secrets"), dict):
        plan.extend(y.ensure_keys(doc, root, "secrets", top))
    elif "secrets" in root:
        raise InputError(path, 1, "cannot add to the top-level `secrets`")
    else:
        keys = y.own_keys(root)
        after = keys[keys.index("services") + 1:] if "services" in keys else []
        if after:
            plan.extend(y.insert_root_key(doc, after[0], "secrets", top, None, y.indent_unit(text)))
        else:
            nl = doc.newline
            body = y.render_block(top, y.indent_unit(text), y.indent_unit(text), nl, y.quote_char(text))
            lead = "" if text.endswith(("\n", "\r")) or not text else nl
            edits.append((len(text), len(text), lead + nl + "secrets:" + nl + nl.join(body) + nl))
    edits.extend(e.as_tuple() for e in plan.edits)
    return edits
