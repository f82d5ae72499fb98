"""The Jinja2 templates in ``templates/`` (in the wheel: ``coprod_connectors/templates``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import jinja2


def templates_dir() -> Path:
    """Where the templates are: inside the installed package, or ``templates/`` in a checkout."""
    packaged = Path(str(resources.files("coprod_connectors"))) / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    msg = (
        f"the templates folder is missing (looked in {packaged} and {checkout}); "
        "reinstall coprod-connectors"
    )
    raise FileNotFoundError(msg)


@cache
def environment(kind: str) -> jinja2.Environment:
    """A strict, autoescaping environment for ``kind`` ('xml' or 'html')."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "xml", "lss", "j2"), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["kind"] = kind
    return env


def render_template(name: str, kind: str = "html", **context: object) -> str:
    """Render ``name`` (a path below ``templates/``) with ``context``."""
    return environment(kind).get_template(name).render(**context)
