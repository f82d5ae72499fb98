"""``coprod score FILE``: score a file of responses without any store, for scripting."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coprod_connectors.cli.common import say, stdout_console

if TYPE_CHECKING:
    from coprod_connectors.ladder import LadderModel
    from coprod_connectors.report import ReportContext, Source
    from coprod_connectors.scoring.models import Results


class ReportFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"
    csv = "csv"
    actions = "actions"
    html = "html"
    pdf = "pdf"


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


# The options of the reports people read (text, md, html and pdf), shared by score and report.
LangOption = Annotated[
    str,
    typer.Option(
        "--lang",
        help="The language of a text, md, html, pdf or actions report: en, or cy (Welsh).",
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
    organisation: str | None,
    made_on: datetime | None,
    sources: Sequence[Source | str],
    command: tuple[str, ...] | None = None,
    ladder: LadderModel | None = None,
) -> ReportContext:
    """The cover's facts: who, when (today unless given) and where the data came from;
    ``command``, the words after ``coprod`` that make the same results again; and
    ``ladder``, the one the results were placed on (a ladder file's, which the results
    name only by its id)."""
    from coprod_connectors.report import ReportContext

    day: date = made_on.date() if made_on else datetime.now(timezone.utc).date()
    return ReportContext(
        organisation=organisation,
        made_on=day,
        sources=tuple(sources),
        command=command,
        ladder=ladder,
    )


def privacy_words(k: int) -> tuple[str, ...]:
    """``--k K`` when it is not the default (it decides which results are shown)."""
    return ("--k", str(k)) if k != DEFAULT_K else ()


#: The privacy threshold when none is given.
DEFAULT_K = 3


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

    from coprod_connectors.ladder import load_ladder
    from coprod_connectors.report import Source
    from coprod_connectors.responses import responses_from
    from coprod_connectors.scoring import score as score_responses

    source = sys.stdin if str(file) == "-" else file
    model = load_ladder(ladder)
    results = score_responses(responses_from(source), ladder=model, k=k)
    if source is sys.stdin:
        where = Source.of("standard-input")
    else:
        where = Source.of("responses-file", name=file.name)
    again = "-" if source is sys.stdin else str(file.expanduser().absolute())
    command = ("score", again, *privacy_words(k))
    context = report_context(organisation, made_on, [where], command, model)
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
    import codecs
    from itertools import chain

    from coprod_connectors.errors import ConfigError
    from coprod_connectors.report import report_languages

    if lang not in report_languages():
        msg = f"no report in {lang!r}; choose one of {', '.join(report_languages())}"
        raise ConfigError(msg)
    if not (fmt is ReportFormat.text and output is None and _stdout_is_a_terminal()):
        # The text summary names them itself, on the terminal when it is printed there:
        # then once is enough. Anywhere else (a file, a pipe, another format) the person
        # at the terminal learns of them here. A warning, not a failure (exit code 0).
        for what, count in results.unscored.items():
            say(
                f"note: {count} responses to {what} were not scored: not a built-in "
                "instrument, or a version whose questions the scorer does not know",
                err=True,
            )
    if fmt is ReportFormat.pdf:
        _write_pdf(results, output, lang=lang, context=context, paper=paper)
        return
    if fmt is ReportFormat.text and output is None:
        from coprod_connectors.report.text import show_summary

        show_summary(results, stdout_console(highlight=False), lang=lang, context=context)
        return
    from coprod_connectors.report import render_pieces

    # written as it is made: a large report's text is never held whole
    pieces = render_pieces(results, fmt.value, lang=lang, context=context)
    if output is None:
        # to the screen: every line through the one output function
        for line in _lines(pieces):
            say(line)
        return
    encoded: Iterable[bytes] = (piece.encode("utf-8") for piece in pieces)
    if fmt is ReportFormat.actions:
        # a byte-order mark: Excel then reads the file as UTF-8 (Welsh \u0175, \u0177...)
        encoded = chain([codecs.BOM_UTF8], encoded)
    replace_file(output, encoded)
    say(f"wrote {fmt.value} for {len(results.results)} results to {output}", err=True)


def _stdout_is_a_terminal() -> bool:
    """Whether what is printed reaches a terminal (rather than a file or a pipe)."""
    import sys

    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # a closed stdout
        return False


def replace_file(output: Path, pieces: Iterable[bytes]) -> None:
    """Write ``pieces`` to ``output`` as they come, into a file beside it that takes its
    place only once everything is written: a report that fails half-way (an error, a full
    disk, Ctrl-C) leaves no partial file and the earlier one as it was. What is not a
    plain file (``/dev/stdout``, a pipe) is written to directly."""
    import tempfile

    from coprod_connectors.errors import ConfigError

    try:
        if output.exists() and not output.is_file():
            with output.open("wb") as device:
                for piece in pieces:
                    device.write(piece)
            return
        mode = output.stat().st_mode & 0o777 if output.exists() else _default_mode()
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed
            "wb", dir=output.parent, prefix=f".{output.name}.", suffix=".partial", delete=False
        )
        partial = Path(handle.name)
        try:
            with handle:
                for piece in pieces:
                    handle.write(piece)
            partial.chmod(mode)
            partial.replace(output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    except BrokenPipeError:  # -o /dev/stdout or a pipe whose reader went away: as stdout
        raise
    except OSError as exc:
        msg = f"{output}: cannot write ({exc.strerror or exc})"
        raise ConfigError(msg) from exc


def _default_mode() -> int:
    """The mode a new file gets here (0o666 less the umask)."""
    import os

    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines of the text made of ``pieces``, as ``str.splitlines`` gives them, each
    as soon as it is complete."""
    buffer = ""
    for piece in pieces:
        buffer += piece  # short: emptied at every line break
        if "\n" not in piece:
            continue
        parts = buffer.splitlines(keepends=True)
        # the last part is unfinished when nothing breaks it
        buffer = parts.pop() if parts and parts[-1].splitlines()[0] == parts[-1] else ""
        for part in parts:
            yield part.splitlines()[0]
    yield from buffer.splitlines()


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
    replace_file(output, [pdf])
    say(f"wrote pdf for {len(results.results)} results to {output}", err=True)
