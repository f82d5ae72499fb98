"""``coprod score FILE``: score a file of responses without any store, for scripting."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from coprod_connectors.scoring.models import Results


class ReportFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"
    csv = "csv"
    html = "html"


def score(
    file: Annotated[
        Path, typer.Argument(help="Responses as JSON lines, one response a line ('-' for stdin).")
    ],
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="What to write.")
    ] = ReportFormat.text,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of the screen."),
    ] = None,
    ladder: Annotated[
        str,
        typer.Option(
            "--ladder",
            help="Ladder model: five-rung, seven-rung, or a ladder YAML file.",
            envvar="COPROD_LADDER",
        ),
    ] = "five-rung",
    k: Annotated[
        int,
        typer.Option(
            "--k",
            min=1,
            help="Privacy threshold: groups of fewer people are never shown on their own.",
            envvar="COPROD_PRIVACY_K",
        ),
    ] = 3,
) -> None:
    """Score responses and print, per subject and round, the rung and the reasons for it."""
    import sys

    from coprod_connectors.responses import read_responses
    from coprod_connectors.scoring import score as score_responses

    source = sys.stdin if str(file) == "-" else file
    results = score_responses(read_responses(source), ladder=ladder, k=k)
    write_report(results, fmt, output)


def write_report(results: Results, fmt: ReportFormat, output: Path | None) -> None:
    """Print ``results`` (text on a terminal) or write them to ``output`` in ``fmt``."""
    import sys

    from coprod_connectors.errors import ConfigError

    if fmt is ReportFormat.text and output is None:
        from rich.console import Console

        from coprod_connectors.report.text import print_summary

        print_summary(results, Console(highlight=False))
        return
    from coprod_connectors.report import render

    text = render(results, fmt.value)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        msg = f"{output}: cannot write ({exc.strerror})"
        raise ConfigError(msg) from exc
    typer.echo(f"wrote {fmt.value} for {len(results.results)} results to {output}", err=True)
