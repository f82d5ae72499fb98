"""``coprod score FILE``: score a file of responses without any store, for scripting."""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from coprod_connectors.report import ReportContext
    from coprod_connectors.scoring.models import Results


class ReportFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"
    csv = "csv"
    html = "html"
    pdf = "pdf"


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


# The options of the reports people read (html and pdf), shared by score and report.
LangOption = Annotated[
    str,
    typer.Option(
        "--lang",
        help="The language of an html or pdf report: en, or cy (Welsh).",
        envvar="COPROD_REPORT_LANG",
    ),
]
DateOption = Annotated[
    datetime | None,
    typer.Option(
        "--date",
        formats=["%Y-%m-%d"],
        help="The date the report says it was made (default: today, UTC).",
        envvar="COPROD_REPORT_DATE",
        show_default=False,
    ),
]
OrganisationOption = Annotated[
    str | None,
    typer.Option(
        "--organisation",
        help="The organisation named on the report's cover.",
        envvar="COPROD_ORGANISATION",
        show_default=False,
    ),
]
PaperOption = Annotated[
    Paper, typer.Option("--paper", help="Paper size of a pdf report.", envvar="COPROD_PAPER")
]


def report_context(
    organisation: str | None, made_on: datetime | None, sources: list[str]
) -> ReportContext:
    """The cover's facts: who, when (today unless given) and where the data came from."""
    from coprod_connectors.report import ReportContext

    day: date = made_on.date() if made_on else datetime.now(timezone.utc).date()
    return ReportContext(organisation=organisation, made_on=day, sources=tuple(sources))


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
    lang: LangOption = "en",
    made_on: DateOption = None,
    organisation: OrganisationOption = None,
    paper: PaperOption = Paper.a4,
) -> None:
    """Score responses and print, per subject and round, the rung and the reasons for it."""
    import sys

    from coprod_connectors.responses import responses_from
    from coprod_connectors.scoring import score as score_responses

    source = sys.stdin if str(file) == "-" else file
    results = score_responses(responses_from(source), ladder=ladder, k=k)
    where = "standard input" if source is sys.stdin else f"responses file {file.name}"
    context = report_context(organisation, made_on, [where])
    write_report(results, fmt, output, lang=lang, context=context, paper=paper)


def write_report(
    results: Results,
    fmt: ReportFormat,
    output: Path | None,
    *,
    lang: str = "en",
    context: ReportContext | None = None,
    paper: Paper = Paper.a4,
) -> None:
    """Print ``results`` (text on a terminal) or write them to ``output`` in ``fmt``."""
    import sys

    from coprod_connectors.errors import ConfigError
    from coprod_connectors.report import report_languages

    if lang not in report_languages():
        msg = f"no report in {lang!r}; choose one of {', '.join(report_languages())}"
        raise ConfigError(msg)
    if fmt is ReportFormat.pdf:
        _write_pdf(results, output, lang=lang, context=context, paper=paper)
        return
    if fmt is ReportFormat.text and output is None:
        from rich.console import Console

        from coprod_connectors.report.text import print_summary

        print_summary(results, Console(highlight=False))
        return
    from coprod_connectors.report import render

    text = render(results, fmt.value, lang=lang, context=context)
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


def _write_pdf(
    results: Results,
    output: Path | None,
    *,
    lang: str,
    context: ReportContext | None,
    paper: Paper,
) -> None:
    from coprod_connectors.errors import ConfigError
    from coprod_connectors.report import render_pdf

    if output is None:
        msg = "--format pdf needs a file to write: add -o report.pdf"
        raise ConfigError(msg)
    pdf = render_pdf(results, lang=lang, context=context, paper=paper.value)
    try:
        output.write_bytes(pdf)
    except OSError as exc:
        msg = f"{output}: cannot write ({exc.strerror})"
        raise ConfigError(msg) from exc
    typer.echo(f"wrote pdf for {len(results.results)} results to {output}", err=True)
