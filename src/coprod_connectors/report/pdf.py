"""PDF from the HTML report, through WeasyPrint (``pip install 'coprod-connectors[pdf]'``).

WeasyPrint needs the Pango text libraries of the system (Debian: ``libpango-1.0-0``
and ``libpangoft2-1.0-0``); when it or they are missing the error says so in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from coprod_connectors.errors import ConfigError

MISSING = "PDF needs WeasyPrint: pip install 'coprod-connectors[pdf]'"
PAGE_SIZES = {"a4": "A4", "letter": "letter"}


def _weasyprint() -> Any:
    try:
        import weasyprint
    except ImportError as exc:
        raise ConfigError(MISSING) from exc
    except OSError as exc:  # the Python package is there, the Pango libraries are not
        msg = f"{MISSING} (and the Pango libraries it needs: {exc})"
        raise ConfigError(msg) from exc
    return weasyprint


def html_to_pdf(html: str, *, paper: str = "a4") -> bytes:
    """``html`` (a self-contained page: nothing is fetched) printed on ``paper``."""
    if paper not in PAGE_SIZES:
        msg = f"unknown paper {paper!r}; choose one of {', '.join(PAGE_SIZES)}"
        raise ConfigError(msg)
    weasyprint = _weasyprint()
    page = weasyprint.CSS(string=f"@page {{ size: {PAGE_SIZES[paper]}; }}")
    with _quiet("weasyprint", "fontTools"):
        document = weasyprint.HTML(string=html, url_fetcher=_no_fetch)
        pdf: bytes = document.write_pdf(stylesheets=[page])
    return pdf


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """WeasyPrint logs every CSS rule it skips (screen-only rules, newer CSS); not news to users."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict[str, Any]:
    """The report is self-contained; it never loads anything from anywhere."""
    msg = f"the report does not load {url[:80]!r}"
    raise ValueError(msg)


__all__ = ["MISSING", "PAGE_SIZES", "html_to_pdf"]
