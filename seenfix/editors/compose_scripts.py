"""Compose values that are shell scripts, written as YAML literal blocks (``|``) so that a reviewer
reads them line by line.

:func:`add_script` plans a key whose value is ``[*head, <script>]`` with the script as a literal
block, in a service (or in a new service added with it); the data it records is exactly what the
text loads to, so :func:`seenfix.editors.compose.verify_plan` checks it like any other edit.
"""

from __future__ import annotations

from typing import Any

from seenfix.editors import yaml as Y

_MARK = "@@SEENFIX-SCRIPT@@"


def add_script(doc: Y.Document, parent: Any, key: Any, name: str, head: list[str], script: list[str],
               new_service: tuple[str, dict[str, Any]] | None = None) -> Y.Plan | None:
    """Plan adding ``name: [*head, <script as a literal block>]`` to the mapping ``parent[key]`` (or,
    with ``new_service``, a whole new service holding it); None when that mapping is a flow one."""
    if new_service is not None:
        svc_name, body = new_service
        plan = Y.ensure_keys(doc, parent, key, {svc_name: {**body, name: Y.Raw(_MARK)}})
    else:
        plan = Y.ensure_keys(doc, parent, key, {name: Y.Raw(_MARK)})
    if len(plan.edits) != 1 or f": {_MARK}" not in plan.edits[0].text:
        return None
    edit = plan.edits[0]
    before = edit.text[:edit.text.index(_MARK)]
    line_start = before.rfind("\n") + 1
    indent = len(before[line_start:]) - len(before[line_start:].lstrip(" "))
    if "\n" not in before or "{" in before[line_start:]:  # written as a flow mapping
        return None
    unit, nl = Y.indent_unit(doc.text), doc.newline
    item = " " * (indent + unit)
    lines = [item + "- " + Y.format_scalar(h, Y.quote_char(doc.text)) for h in head]
    lines.append(item + "- |")
    lines.extend((item + "  " + line) if line else "" for line in script)
    text = edit.text.replace(f" {_MARK}", "".join(nl + ln for ln in lines), 1)
    at_end = edit.start == len(doc.text) and not doc.text.endswith("\n")  # no line break after the block
    value = [*head, "\n".join(script) + ("" if at_end else "\n")]
    changes = []
    for ch in plan.changes:
        plain = ch.value
        if new_service is not None:
            plain = {**plain, name: value}
        else:
            plain = value
        changes.append(Y.Change(ch.container, ch.key, plain))
    return Y.Plan([Y.Edit(edit.start, edit.end, text)], changes)
