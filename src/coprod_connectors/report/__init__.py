"""Reports from scored results: terminal text, Markdown, JSON, CSV, HTML and PDF, from one Results.

The terminal text, Markdown, HTML and PDF speak the reader's language (``lang``, from the gettext
catalogues in ``coprod_connectors/locale``), and so does ``actions``, the sheet of every
action-plan row (CSV, a row an action); JSON and CSV keep the codes, for analysts and scripts.
"""

from __future__ import annotations

from collections.abc import Iterator

from coprod_connectors.report.i18n import report_languages
from coprod_connectors.report.view import ReportContext, Source
from coprod_connectors.scoring.models import Results

FORMATS = ("text", "md", "json", "csv", "actions", "html")
PAPERS = ("a4", "letter")


def render(
    results: Results,
    fmt: str,
    *,
    title: str | None = None,
    lang: str = "en",
    context: ReportContext | None = None,
) -> str:
    """``results`` in one of :data:`FORMATS`, as text."""
    if fmt == "json":
        return results.to_json()
    if fmt == "csv":
        from coprod_connectors.report.spreadsheet import to_csv

        return to_csv(results)
    if fmt == "actions":
        return "".join(render_pieces(results, fmt, lang=lang, context=context))
    if fmt == "md":
        from coprod_connectors.report.markdown import to_markdown

        return to_markdown(results, title=title, lang=lang, context=context)
    if fmt == "html":
        from coprod_connectors.report.html import to_html

        return to_html(results, title=title, lang=lang, context=context)
    if fmt == "text":
        from coprod_connectors.report.text import text_summary

        return text_summary(results, lang=lang, context=context)
    from coprod_connectors.errors import ConfigError

    msg = f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)} (or pdf)"
    raise ConfigError(msg)


def render_pieces(
    results: Results,
    fmt: str,
    *,
    title: str | None = None,
    lang: str = "en",
    context: ReportContext | None = None,
) -> Iterator[str]:
    """:func:`render`'s text in pieces, each made when it is asked for: to be written as
    they come, so that a large report (a million responses, tens of thousands of
    action-plan rows) is never held whole. The pieces joined are :func:`render`'s text."""
    if fmt == "json":
        return results.json_pieces()
    if fmt == "csv":
        from coprod_connectors.report.spreadsheet import csv_pieces

        return csv_pieces(results)
    if fmt == "actions":
        from coprod_connectors.report.spreadsheet import actions_pieces

        return actions_pieces(results, lang=lang, context=context)
    if fmt == "md":
        from coprod_connectors.report.markdown import markdown_pieces

        return markdown_pieces(results, title=title, lang=lang, context=context)
    if fmt == "html":
        from coprod_connectors.report.html import html_pieces

        return html_pieces(results, title=title, lang=lang, context=context)
    # the text summary is short (a few lines a result)
    return iter([render(results, fmt, title=title, lang=lang, context=context)])


def render_pdf(
    results: Results,
    *,
    title: str | None = None,
    lang: str = "en",
    context: ReportContext | None = None,
    paper: str = "a4",
) -> bytes:
    """The HTML report printed to PDF by WeasyPrint (the optional extra ``pdf``)."""
    from coprod_connectors.report.pdf import html_to_pdf

    html = render(results, "html", title=title, lang=lang, context=context)
    return html_to_pdf(html, paper=paper)


__all__ = [
    "FORMATS",
    "PAPERS",
    "ReportContext",
    "Source",
    "render",
    "render_pdf",
    "render_pieces",
    "report_languages",
]
