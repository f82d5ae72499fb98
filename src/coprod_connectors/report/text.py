"""The terminal summary: per subject and round, the rung and the reasons for it.

It is for the person at the terminal, so it speaks as the HTML report does: the
plain-word reasons of :class:`~coprod_connectors.report.explain.Explainer`, every
principle, statement, phase and choice by its label, in the report's language.
The scorer's own reasons, with codes, are for analysts: ``--format json`` or
``csv`` (each result's ``reasons`` and ``next_rung``), and the "Analyst details"
of the Markdown and HTML reports.
"""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from coprod_connectors.report.explain import Explainer, fill
from coprod_connectors.report.i18n import words
from coprod_connectors.report.labels import Labels
from coprod_connectors.report.view import ReportContext, ladder_of, subjects
from coprod_connectors.safety import printable
from coprod_connectors.scoring.models import Result, Results


def print_summary(
    results: Results,
    console: Console,
    *,
    lang: str = "en",
    context: ReportContext | None = None,
) -> None:
    """Print the summary in ``lang``, a result at a time; every text goes through
    :func:`~coprod_connectors.safety.printable` into a :class:`rich.text.Text`, never markup.
    ``context``: only its ladder is used (:func:`~.view.ladder_of`)."""
    labels = Labels(words(lang), ladder_of(results, context))
    explainer = Explainer(labels)
    said = labels.words
    privacy = labels.privacy(results.k)
    ladder = fill(said.gettext("Ladder: {ladder}."), ladder=labels.ladder_title())
    console.print(Text.assemble((printable(ladder), "bold"), " ", printable(privacy)))
    if not results.results:
        console.print(Text(printable(said.gettext("There are no responses to report on."))))
    for view in subjects(results):
        console.print()
        name = labels.subject(view.name, view.name_given)
        console.rule(Text(printable(name), style="bold"))
        for items in view.by_instrument.values():
            for result in items:
                console.print(_result(result, explainer))
    for instrument, count in results.unscored.items():
        console.print(Text(printable(labels.not_scored(instrument, count))))


def _result(result: Result, explainer: Explainer) -> RenderableType:
    """One result: a heading line, a "why" line per reason, then what would move it up."""
    said = explainer.words
    explained = explainer.explain(result)
    people = explainer.labels.from_people(result.respondents)
    heading = Text.assemble(
        (printable(explainer.labels.instrument(result.instrument)), "bold"),
        f" ({printable(result.round)})  ",
        (printable(explained.rung), "bold cyan" if result.rung else "bold yellow"),
        f"  ({printable(people)})",
    )
    why, nxt = said.gettext("why"), said.gettext("next")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=2 + max(cell_len(why), cell_len(nxt)), no_wrap=True)
    grid.add_column(overflow="fold")
    for reason in explained.reasons:
        grid.add_row(Text(f"  {why}", style="dim"), Text(printable(reason)))
    if explained.next_rung is not None and explained.changes:
        steps = Table.grid(padding=(0, 1))
        steps.add_column(width=1, no_wrap=True)
        steps.add_column(overflow="fold")
        for change in explained.changes:
            steps.add_row(Text("•"), Text(printable(change)))
        goal = fill(said.gettext("To reach {rung}:"), rung=explained.next_rung)
        grid.add_row(Text(f"  {nxt}", style="green"), Group(Text(printable(goal)), steps))
    return Group(heading, grid)


def text_summary(
    results: Results,
    *,
    width: int = 100,
    lang: str = "en",
    context: ReportContext | None = None,
) -> str:
    """The summary as plain text (no colour codes), for a file: no line ends in the
    spaces rich pads a table's cells with."""
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, force_terminal=False, highlight=False)
    print_summary(results, console, lang=lang, context=context)
    return "\n".join(line.rstrip(" ") for line in out.getvalue().split("\n"))


def show_summary(
    results: Results,
    console: Console,
    *,
    lang: str = "en",
    context: ReportContext | None = None,
) -> None:
    """The summary where ``console`` writes: on a terminal as rich lays it out (in
    colour); anywhere else (``> file``, ``| less``) as :func:`text_summary` gives it,
    at the console's width."""
    if console.is_terminal:
        print_summary(results, console, lang=lang, context=context)
        return
    console.file.write(text_summary(results, width=console.width, lang=lang, context=context))
    console.file.flush()
