"""Jinja2 templates: the core's own (``templates/``, in the wheel ``coprod_connectors/templates``)
and those a connector ships in its package (``<package>/templates``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import jinja2

CORE = "coprod_connectors"


def templates_dir(package: str = CORE) -> Path:
    """The ``templates`` folder of ``package`` (an importable package name).

    For the core, ``templates/`` at the top of a source checkout is used when
    the package has none (an editable install).
    """
    packaged = Path(str(resources.files(package))) / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if package == CORE and checkout.is_dir():
        return checkout
    msg = f"the templates folder of {package} is missing (looked in {packaged}); reinstall it"
    raise FileNotFoundError(msg)


@cache
def environment(kind: str, package: str = CORE) -> jinja2.Environment:
    """A strict, autoescaping environment over ``package``'s templates; ``kind`` is
    'xml' or 'html' (a template may read it as ``kind``)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir(package)),
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


def render_template(name: str, kind: str = "html", package: str = CORE, **context: object) -> str:
    """Render ``name`` (a path below ``package``'s ``templates/``) with ``context``."""
    return environment(kind, package).get_template(name).render(**context)
