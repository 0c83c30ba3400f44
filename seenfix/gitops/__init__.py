"""Git and pull-request work: the fix branch (``branch``), the forges (``forge``), and ``publish``.

Nothing here is imported when the CLI starts: GitPython and jinja2 are imported inside functions.
"""

from __future__ import annotations
