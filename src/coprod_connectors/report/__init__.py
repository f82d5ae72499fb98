"""Reports from scored results: terminal text, Markdown, JSON, CSV and HTML, from one Results."""

from __future__ import annotations

from coprod_connectors.scoring.models import Results

FORMATS = ("text", "md", "json", "csv", "html")


def render(results: Results, fmt: str, *, title: str = "Co-production report") -> str:
    """``results`` in one of :data:`FORMATS`, as text."""
    if fmt == "json":
        return results.to_json()
    if fmt == "csv":
        from coprod_connectors.report.spreadsheet import to_csv

        return to_csv(results)
    if fmt == "md":
        from coprod_connectors.report.markdown import to_markdown

        return to_markdown(results, title=title)
    if fmt == "html":
        from coprod_connectors.report.html import to_html

        return to_html(results, title=title)
    if fmt == "text":
        from coprod_connectors.report.text import text_summary

        return text_summary(results)
    from coprod_connectors.errors import ConfigError

    msg = f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}"
    raise ConfigError(msg)


__all__ = ["FORMATS", "render"]
