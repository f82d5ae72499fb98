"""The ``coprod`` command line.

A thin layer: every command parses its options, calls the library, and prints.
Domain errors (:class:`~coprod_connectors.errors.CoprodError`) become a short
message on stderr and a non-zero exit code here, and only here. Imports of the
heavier modules happen inside the commands so that ``coprod --help`` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from coprod_connectors import __version__
from coprod_connectors.cli_common import JsonOption, echo_json, handle_errors

app = typer.Typer(
    name="coprod",
    help="Run the co-production self-reflection tool, checklist and ladder on LimeSurvey or "
    "KoboToolbox, and score the answers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    add_completion=False,
)
instruments_app = typer.Typer(
    help="List, show and validate instruments.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(instruments_app, name="instruments")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"coprod {__version__}")
        raise typer.Exit


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Co-production self-assessment on the survey platform you already use."""


# --- instruments -----------------------------------------------------------------


@instruments_app.command("list")
@handle_errors
def instruments_list(as_json: JsonOption = False) -> None:
    """List the built-in instruments."""
    from coprod_connectors.instruments import builtin_instruments

    rows: list[dict[str, Any]] = [
        {
            "id": i.id,
            "version": i.version,
            "title": i.title[i.default_language],
            "languages": i.languages,
            "questions": i.question_count(),
        }
        for i in builtin_instruments()
    ]
    if as_json:
        echo_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "version", "title", "languages", "questions", title="Built-in instruments")
    for row in rows:
        table.add_row(
            row["id"],
            row["version"],
            row["title"],
            ", ".join(row["languages"]),
            str(row["questions"]),
        )
    Console().print(table)


@instruments_app.command("show")
@handle_errors
def instruments_show(
    instrument: Annotated[str, typer.Argument(help="A built-in id or the path of a YAML file.")],
    as_json: JsonOption = False,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language to show (default: the instrument's own).")
    ] = None,
) -> None:
    """Show an instrument: an outline, or the full model with --json."""
    from coprod_connectors.errors import ConfigError
    from coprod_connectors.instruments import resolve_instrument

    model = resolve_instrument(instrument)
    language = lang or model.default_language
    if language not in model.languages:
        msg = f"{model.id} has no {language!r} text (languages: {', '.join(model.languages)})"
        raise ConfigError(msg)
    if as_json:
        echo_json(model.model_dump(mode="json", by_alias=True, exclude_none=True))
        return
    from coprod_connectors.outline import print_outline

    print_outline(model, language)


@instruments_app.command("validate")
@handle_errors
def instruments_validate(
    path: Annotated[Path, typer.Argument(help="The instrument's YAML file.")],
) -> None:
    """Check an instrument file; print every problem with its line and field."""
    from coprod_connectors.errors import InstrumentError
    from coprod_connectors.instruments import load_instrument

    try:
        model = load_instrument(path)
    except InstrumentError as exc:
        for line in str(exc).splitlines():
            typer.echo(f"error: {line}", err=True)
        count = len(exc.problems)
        typer.echo(f"{path}: {count} problem{'s' if count != 1 else ''} found", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"{path}: ok: {model.id} {model.version}, {len(model.sections)} sections, "
        f"{model.question_count()} questions, languages {', '.join(model.languages)}"
    )


# --- platforms -------------------------------------------------------------------


@app.command("platforms")
@handle_errors
def platforms(as_json: JsonOption = False) -> None:
    """List the platform connectors installed (found through entry points)."""
    from coprod_connectors.platforms import discover

    registry = discover()
    rows = [p.as_dict() for p in registry.plugins]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(
            "No connectors installed. Try: pip install 'coprod-connectors[limesurvey,kobotoolbox]'"
        )
        return
    for row in rows:
        state = "ok" if row["loaded"] else f"NOT LOADED: {row['error']}"
        typer.echo(f"{row['name']:<12} {row['distribution']} {row['version']}  {state}")


from coprod_connectors.commands import admin as _admin  # noqa: E402
from coprod_connectors.commands import platform as _platform  # noqa: E402

app.add_typer(_admin.profiles_app, name="profiles")
app.command("build")(handle_errors(_platform.build))
app.command("push")(handle_errors(_platform.push))
app.command("import")(handle_errors(_platform.import_file))
app.command("participants")(handle_errors(_platform.participants))
app.command("sync")(handle_errors(_admin.sync))
app.command("status")(handle_errors(_admin.status))
app.command("attachments")(handle_errors(_admin.attachments))


from coprod_connectors.commands.score import score as _score_cmd  # noqa: E402

app.command("score")(handle_errors(_score_cmd))

from coprod_connectors.commands import report as _report  # noqa: E402

app.command("report")(handle_errors(_report.report))
app.command("demo")(handle_errors(_report.demo))


def main() -> None:
    """Entry point of the ``coprod`` script."""
    app(prog_name="coprod")


if __name__ == "__main__":  # pragma: no cover
    main()
