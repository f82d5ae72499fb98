"""A readable outline of an instrument for the terminal."""

from __future__ import annotations

from rich.console import Console

from coprod_connectors.instruments.model import Instrument, Question, QuestionKind, Text
from coprod_connectors.safety import markup_safe as escape


def _t(text: Text | None, lang: str) -> str:
    return escape(text[lang]) if text else ""


def print_outline(instrument: Instrument, lang: str, console: Console | None = None) -> None:
    """Print sections, questions with their codes and kinds, and choices."""
    out = console or Console()
    out.print(
        f"[bold]{_t(instrument.title, lang)}[/bold]  "
        f"({escape(instrument.id)} {escape(instrument.version)})"
    )
    if instrument.description:
        out.print(_t(instrument.description, lang))
    out.print(f"Languages: {', '.join(instrument.languages)}")
    for source in instrument.attribution:
        out.print(f"[dim]Based on: {escape(source)}[/dim]")
    for section in instrument.sections:
        out.print()
        out.print(
            f"[bold underline]{_t(section.title, lang)}[/bold underline]  [dim]{section.code}[/dim]"
        )
        for question in section.questions:
            _question(out, instrument, question, lang, indent="  ")


def _question(out: Console, instrument: Instrument, q: Question, lang: str, indent: str) -> None:
    flags = []
    if q.required:
        flags.append("required")
    if q.relevant is not None:
        flags.append(f"shown when {escape(q.relevant.describe())}")
    extra = f" [dim]({'; '.join(flags)})[/dim]" if flags else ""
    out.print(f"{indent}[cyan]{q.code}[/cyan] [dim]{q.kind}[/dim]  {_t(q.label, lang)}{extra}")
    for row in q.rows or ():
        out.print(f"{indent}    [cyan]{row.code}[/cyan]  {_t(row.label, lang)}")
    for choice in instrument.choices_for(q) if q.kind is not QuestionKind.MATRIX else ():
        out.print(f"{indent}    - [green]{choice.code}[/green]  {_t(choice.label, lang)}")
        if choice.description:
            out.print(f"{indent}        [dim]{_t(choice.description, lang)}[/dim]")
    if q.kind is QuestionKind.MATRIX:
        codes = ", ".join(f"{c.code} = {_t(c.label, lang)}" for c in instrument.choices_for(q))
        out.print(f"{indent}    [dim]answers: {codes}[/dim]")
    if q.kind is QuestionKind.REPEAT:
        out.print(f"{indent}    [dim]up to {q.max_count} times:[/dim]")
        for inner in q.questions or ():
            _question(out, instrument, inner, lang, indent + "    ")
