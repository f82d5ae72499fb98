"""The ``coprod`` command line: one app, one thin module per job.

- :mod:`.instruments`: list, show and validate instruments;
- :mod:`.deploy`: build a platform file, push, participants, import, platforms;
- :mod:`.sync`: sync, status, attachments;
- :mod:`.profiles`: platform accounts;
- :mod:`.report` and :mod:`.score`: reports, the demo, scoring a file.

Every command parses its options, calls the library, and prints. Domain errors
(:class:`~coprod_connectors.errors.CoprodError`) become a short message on
stderr and a non-zero exit code here, and only here. Heavier modules (and the
connectors) are imported inside the commands so that ``coprod --help`` starts fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from coprod_connectors import __version__
from coprod_connectors.cli import deploy, instruments, profiles, report, score, sync
from coprod_connectors.cli.common import PushHelp, handle_errors

app = typer.Typer(
    name="coprod",
    help="Run the co-production self-reflection tool, checklist and ladder on the survey "
    "platform you already use, and score the answers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    add_completion=False,
)


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


app.add_typer(instruments.instruments_app, name="instruments")
app.command("platforms")(handle_errors(deploy.platforms))
app.add_typer(profiles.profiles_app, name="profiles")
app.command("build")(handle_errors(deploy.build))
app.command("push", cls=PushHelp)(handle_errors(deploy.push))
app.command("import")(handle_errors(deploy.import_file))
app.command("participants")(handle_errors(deploy.participants))
app.command("sync")(handle_errors(sync.sync))
app.command("status")(handle_errors(sync.status))
app.command("attachments")(handle_errors(sync.attachments))
app.command("score")(handle_errors(score.score))
app.command("report")(handle_errors(report.report))
app.command("demo")(handle_errors(report.demo))


def main() -> None:
    """Entry point of the ``coprod`` script."""
    app(prog_name="coprod")


__all__ = ["app", "main"]
