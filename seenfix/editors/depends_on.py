"""Surgical edits of a compose service's ``depends_on``: wait for a dependency to be healthy.

``depends_on`` has two forms.  The short one, a list of service names (block ``- db`` or flow
``[db]``), means ``condition: service_started`` for each; the long one maps each name to its options
(``condition``, ``restart``, ``required``).  :func:`require_conditions` makes the given dependencies
carry the given condition:

- a block list becomes a block mapping in place: each ``- name`` line becomes ``name:`` (its
  comment, and the comment lines between items, stay where they are) followed by a ``condition:``
  line; the other items get ``condition: service_started``, which is what the short form meant;
- a flow list (``[db, cache]``) becomes a flow mapping (``{db: {condition: service_healthy}, ...}``);
- in the long form, a missing ``condition`` is added and ``service_started`` is replaced; any other
  condition (``service_completed_successfully``) is the author's choice and stays.

A ``depends_on`` written through an anchor, an alias or a merge key is shared with something else
and is not edited (None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seenfix.editors import yaml as Y

STARTED = "service_started"
HEALTHY = "service_healthy"


def dependencies(node: Any) -> dict[str, str]:
    """Each dependency of a service and its condition (``service_started`` for the short form)."""
    deps = node.get("depends_on") if isinstance(node, Mapping) else None
    if isinstance(deps, list):
        return {str(d): STARTED for d in deps if isinstance(d, str)}
    if isinstance(deps, Mapping):
        return {str(k): str(v.get("condition", STARTED)) if isinstance(v, Mapping) else STARTED
                for k, v in deps.items()}
    return {}


def require_conditions(doc: Y.Document, node: Any, wanted: Mapping[str, str]) -> Y.Plan | None:
    """Plan making ``depends_on`` give each dependency of ``wanted`` its condition (see the module
    docstring); an empty plan when nothing is to change, None when it cannot be edited safely."""
    deps = node.get("depends_on") if isinstance(node, Mapping) else None
    if not isinstance(deps, (list, dict)) or "depends_on" not in Y.own_keys(node) or not _own_node(doc, node, deps):
        return None
    current = dependencies(node)
    todo = {name: cond for name, cond in wanted.items() if name in current and current[name] != cond
            and current[name] == STARTED}
    if not todo:
        return Y.Plan()
    if isinstance(deps, dict):
        return _in_mapping(doc, deps, todo)
    if not all(isinstance(d, str) for d in deps) or len(set(deps)) != len(deps):
        return None
    target = {str(d): todo.get(str(d), STARTED) for d in deps}
    value = {name: {"condition": cond} for name, cond in target.items()}
    if Y.is_flow(deps, doc):
        return _flow_list(doc, node, deps, value)
    return _block_list(doc, node, deps, target)


def _own_node(doc: Y.Document, node: Any, deps: Any) -> bool:
    return doc.chain(node) is not None and _written_at(doc, deps, node, "depends_on")


def _written_at(doc: Y.Document, value: Any, parent: Any, key: Any) -> bool:
    """``parent[key]`` (the collection ``value``) is written right there, neither anchored (``&x``,
    so possibly used elsewhere) nor an alias (``*x``) nor tagged."""
    chain = doc.chain(value)
    if not chain or chain[-1][0] is not parent or chain[-1][1] != key:
        return False
    start = doc.offset(*Y.value_position(parent, key))
    return doc.text[start:start + 1] not in ("&", "*", "!")


def _in_mapping(doc: Y.Document, deps: Any, todo: Mapping[str, str]) -> Y.Plan | None:
    plan = Y.Plan()
    for name, cond in todo.items():
        entry = deps[name]
        if entry is not None and not isinstance(entry, dict):
            return None
        if entry is not None and not _written_at(doc, entry, deps, name):
            return None
        if isinstance(entry, dict) and "condition" in entry:
            if "condition" not in Y.own_keys(entry):
                return None
            try:
                plan.extend(Y.replace_scalar(doc, entry, "condition", cond))
            except ValueError:
                return None
        else:
            part = Y.ensure_keys(doc, deps, name, {"condition": cond})
            if not part.edits:
                return None
            plan.extend(part)
    return plan


def _flow_list(doc: Y.Document, node: Any, deps: Any, value: Mapping[str, Any]) -> Y.Plan | None:
    start = doc.offset(*Y.value_position(node, "depends_on"))
    if doc.text[start:start + 1] != "[":
        return None
    try:
        close = Y.flow_end(doc.text, start)
    except ValueError:
        return None
    if "#" in doc.text[start:close]:  # a comment inside the brackets: leave it to a person
        return None
    quote = Y.quote_char(doc.text)
    edit = Y.Edit(start, close + 1, "{" + Y.render_flow(value, quote) + "}")
    return Y.Plan([edit], [Y.Change(node, "depends_on", {k: dict(v) for k, v in value.items()})])


def _block_list(doc: Y.Document, node: Any, deps: Any, target: Mapping[str, str]) -> Y.Plan | None:
    unit = Y.indent_unit(doc.text)
    key_col = Y.key_position(node, "depends_on")[1]
    plan = Y.Plan()
    for i, name in enumerate(deps):
        line, col = Y.item_position(deps, i)
        prefix = doc.line(line)[:col]
        if prefix.strip() != "-":  # not one item per line
            return None
        dash = prefix.index("-")
        indent = dash if dash > key_col else key_col + unit
        start, end = Y.scalar_span(doc, deps, i)
        if doc.text[start:end].count("\n"):
            return None
        raw = doc.text[start:end]
        if doc.text[doc.starts[line] + dash + 1:start].strip():  # a tag or an anchor on the item
            return None
        plan.edits.append(Y.Edit(doc.starts[line], end, " " * indent + raw + ":"))
        at = doc.line_end(line)
        plan.edits.append(Y.Edit(at, at, doc.newline + " " * (indent + unit) + f"condition: {target[name]}"))
    plan.changes.append(Y.Change(node, "depends_on", {k: {"condition": v} for k, v in target.items()}))
    return plan
