"""Jinja2 templates shipped inside the package (``seenfix/templates`` in the wheel).

In a source checkout the templates live in the top-level ``templates/`` folder; the built wheel
carries them as ``seenfix/templates`` (hatchling ``force-include``).  jinja2 is imported on first use.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any


def templates_dir() -> Path:
    """The folder holding the templates: inside the installed package, else the source checkout's."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "templates"
    if packaged.is_dir():
        return packaged
    return package.parent / "templates"


def _is_html(name: str | None) -> bool:
    return name is not None and name.endswith((".html", ".html.j2"))


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=_is_html,  # HTML templates (``*.html.j2``) escape every value
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def load(template: str) -> None:
    """Import jinja2 and compile ``templates/<template>`` (kept by the environment) ahead of
    :func:`render` (a fixer's :meth:`~seenfix.core.model.Fixer.warm_up`)."""
    _environment().get_template(template)


def render(template: str, /, **context: Any) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return str(_environment().get_template(template).render(**context))
