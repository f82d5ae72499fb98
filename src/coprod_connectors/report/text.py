"""The terminal summary: per subject and round, the rung and the reasons for it."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from coprod_connectors.report.view import INSTRUMENT_NAMES, ladder_of, rung_label, subjects
from coprod_connectors.safety import printable
from coprod_connectors.scoring.models import Results


def print_summary(results: Results, console: Console) -> None:
    """Print the summary; every text goes through :class:`rich.text.Text`, never markup."""
    model = ladder_of(results)
    console.print(
        Text.assemble(
            ("Ladder: ", "bold"),
            model.title,
            f"   privacy threshold: groups under {results.k} people are not shown alone",
        )
    )
    if not results.results:
        console.print("No responses to score.")
    for view in subjects(results):
        console.print()
        console.rule(Text(printable(view.name), style="bold"))
        for instrument, items in view.by_instrument.items():
            for result in items:
                rung = rung_label(model, result.rung)
                console.print(
                    Text.assemble(
                        (INSTRUMENT_NAMES[instrument], "bold"),
                        f"  {printable(result.round)}  ",
                        (rung, "bold cyan" if result.rung else "bold yellow"),
                        f"  ({result.respondents} respondents)",
                    )
                )
                grid = Table.grid(padding=(0, 1))
                grid.add_column(width=6, no_wrap=True)
                grid.add_column(overflow="fold")
                for reason in result.reasons:
                    grid.add_row(Text("  why", style="dim"), Text(printable(reason)))
                if result.next_rung is not None:
                    step = f"to reach {result.next_rung.rung}: "
                    grid.add_row(
                        Text("  next", style="green"),
                        Text(printable(step + "; ".join(result.next_rung.changes))),
                    )
                console.print(grid)
    for instrument, count in results.unscored.items():
        console.print(
            Text(
                printable(
                    f"Not scored: {count} responses to {instrument!r} "
                    "(not a built-in instrument, or a version the scorer does not know)"
                )
            )
        )


def text_summary(results: Results, *, width: int = 100) -> str:
    """The summary as plain text (no colour codes)."""
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, force_terminal=False, highlight=False)
    print_summary(results, console)
    return out.getvalue()
