"""``coprod instruments``: list, show and validate instruments."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from coprod_connectors.instruments.model import Instrument

from coprod_connectors.cli.common import (
    JsonOption,
    echo_json,
    handle_errors,
    markup_safe,
    say,
    stdout_console,
)

instruments_app = typer.Typer(
    help="List, show and validate instruments.", no_args_is_help=True, rich_markup_mode=None
)


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
    from rich.table import Table

    table = Table("id", "version", "title", "languages", "questions", title="Built-in instruments")
    for row in rows:
        table.add_row(
            *(
                markup_safe(cell)
                for cell in (
                    row["id"],
                    row["version"],
                    row["title"],
                    ", ".join(row["languages"]),
                    str(row["questions"]),
                )
            )
        )
    stdout_console().print(table)


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

    print_outline(model, language, stdout_console())


@instruments_app.command("validate")
@handle_errors
def instruments_validate(
    path: Annotated[Path, typer.Argument(help="The instrument's YAML file.")],
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            help="Check the codes each of these platforms keeps for itself (repeatable; "
            "default: every installed connector).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check an instrument file; print every problem with its line and field."""
    from coprod_connectors.errors import InstrumentError

    try:
        model = _checked(path, platform)
    except InstrumentError as exc:
        for line in str(exc).splitlines():
            say(f"error: {line}", err=True)
        count = len(exc.problems)
        say(f"{path}: {count} problem{'s' if count != 1 else ''} found", err=True)
        raise typer.Exit(2) from None
    say(
        f"{path}: ok: {model.id} {model.version}, {len(model.sections)} sections, "
        f"{model.question_count()} questions, languages {', '.join(model.languages)}"
    )


def _checked(path: Path, platforms: list[str] | None) -> Instrument:
    """The instrument in ``path``, valid, and with no code the platforms keep for themselves."""
    from coprod_connectors.cli.common import registry
    from coprod_connectors.connectors import reserved_code_problems
    from coprod_connectors.errors import InstrumentError
    from coprod_connectors.instruments import load_instrument

    model = load_instrument(path)
    found = registry()
    names = platforms or sorted(found.connectors)
    problems = [p for name in names for p in reserved_code_problems(model, found.create(name))]
    if problems:
        raise InstrumentError(problems, source=str(path))
    return model
