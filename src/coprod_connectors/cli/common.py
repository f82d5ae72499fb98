"""What every ``coprod`` command shares: options, JSON output, the error boundary."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer._click import ClickException
from typer._click.exceptions import NoArgsIsHelpError
from typer._click.globals import get_current_context
from typer.core import TyperCommand, TyperGroup

from coprod_connectors.safety import JSON_ESCAPES, markup_safe, printable

if TYPE_CHECKING:
    from rich.console import Console
    from typer import _click

    from coprod_connectors.connectors import Connector, LiveConnector, Registry

F = TypeVar("F", bound=Callable[..., Any])


def _store_url(value: str | None) -> str | None:
    """Refuse a store that keeps nothing (an in-memory SQLite database)."""
    from coprod_connectors.store import is_in_memory

    if value is not None and is_in_memory(value):
        msg = (
            f"--store {value} keeps nothing after the command ends; "
            "give a file path (default coprod.db) or a postgresql:// URL"
        )
        raise fail(msg, 2)
    return value


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="COPROD_STORE_URL",
        callback=_store_url,
        help="The sync store: a SQLite file (default coprod.db) or a postgresql:// URL.",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="COPROD_CONFIG",
        help="The profiles file (default ./coprod.toml).",
        show_default=False,
    ),
]


DEBUG_ENV = "COPROD_DEBUG"


def debugging() -> bool:
    """Whether ``--debug`` or ``$COPROD_DEBUG`` asks for tracebacks of unexpected errors."""
    if os.environ.get(DEBUG_ENV, "").strip() not in {"", "0"}:
        return True
    ctx = get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


def say(text: object, *, err: bool = False) -> None:
    """Print one line: THE way every command prints. Whatever the line holds from outside
    (server replies, answers, subjects, URLs, messages) cannot reach the terminal raw:
    control characters, ESC sequences and bidi overrides are shown as escapes."""
    typer.echo(printable(text), err=err)


def stdout_console(**options: Any) -> Console:
    """THE rich console a command prints to stdout with. When the reader stops reading
    (``coprod instruments list | head -1``), its write fails as any other does and the
    command ends at :class:`OneLineErrors` (rich's own answer would exit 1 by itself)."""
    return _stdout_console_class()(**options)


@functools.cache
def _stdout_console_class() -> type[Console]:
    from rich.console import Console

    class StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return StdoutConsole


#: The exit status of a command whose reader went away (``| head``): what a shell reports
#: for a Unix tool ended by SIGPIPE (128 + 13).
CLOSED_PIPE = 141


def closed_output() -> int:
    """The reader of our output went away: end quietly, as Unix tools do. The rest of
    the output goes to the null device, so that the interpreter's last flush of what is
    still buffered does not complain either. Returns :data:`CLOSED_PIPE`."""
    if sys.stdout is None:  # started with no stdout at all (``>&-``)
        return CLOSED_PIPE
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # a stdout with no file descriptor (a test's capture)
        pass
    return CLOSED_PIPE


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as one error line on stderr and return the Exit to raise. When
    stderr's reader has gone (``2>&1 | head -0``) the line is lost, but the exit code
    still says what happened (as for a mistake on the command line, in OneLineErrors)."""
    with contextlib.suppress(BrokenPipeError):
        say(f"error: {message}", err=True)
    return typer.Exit(code)


def _quiet_libraries() -> None:
    """What SQLAlchemy logs as it cleans up after an error (e.g. "Error closing cursor" and
    its traceback when Ctrl-C stops a read) goes nowhere: the error itself becomes one line
    (see :func:`handle_errors`). ``--debug`` leaves Python's default, which prints it."""
    import logging

    found = logging.getLogger("sqlalchemy")
    if not any(isinstance(h, logging.NullHandler) for h in found.handlers):
        found.addHandler(logging.NullHandler())


def handle_errors(func: F) -> F:
    """Turn the project's own errors into a message and an exit code, never a traceback;
    a reader that stops reading (``| head``) ends the command quietly, at the ``coprod``
    group (:class:`OneLineErrors`), as it ends the help."""
    from coprod_connectors.errors import CoprodError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import csv

        from coprod_connectors.safety import CSV_MAX_FIELD

        # a CSV cell from outside may be long (a long answer), but not unbounded
        csv.field_size_limit(CSV_MAX_FIELD)
        if not debugging():
            _quiet_libraries()
        try:
            return func(*args, **kwargs)
        except csv.Error as exc:
            hint = f"cells hold at most {CSV_MAX_FIELD:,} characters"
            raise fail(f"a CSV file that cannot be read: {exc} ({hint})", 2) from None
        except CoprodError as exc:
            raise fail(str(exc).replace("\n", "; "), exc.exit_code) from None
        except RecursionError:
            raise fail("the input is nested too deeply to read", 2) from None
        except KeyboardInterrupt:
            raise fail("interrupted; nothing already stored was lost", 130) from None
        except BrokenPipeError:  # the reader went away (| head): ends quietly at OneLineErrors
            raise
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except Exception as exc:  # the last line of defence: a bug, never a user mistake
            if debugging():
                raise
            raise fail(
                f"unexpected {type(exc).__name__}: {exc} (a bug in coprod; "
                f"run with --debug or {DEBUG_ENV}=1 for the traceback)",
                1,
            ) from None

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    """JSON on stdout; DEL, C1 controls and bidi overrides are written as ``\\uXXXX``
    escapes (JSON escapes C0 itself), so none reaches the terminal raw."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    typer.echo(text.translate(JSON_ESCAPES))


def registry() -> Registry:
    """The connectors installed (found through entry points; imported on first use)."""
    from coprod_connectors.connectors import discover

    return discover()


def connector(platform: str) -> Connector:
    """An instance of the installed connector for ``platform``."""
    return registry().create(platform)


def live_connector(platform: str) -> LiveConnector:
    """A connector that can talk to a server, or a clear error."""
    return registry().live(platform)


class OneLineErrors(TyperGroup):
    """The ``coprod`` group: a mistake on the command line (an unknown option, a missing
    argument, a bad value) is one line on stderr and exit code 2, like every other
    error, instead of click's usage block.

    It is also where a reader that stops reading (``| head``) ends every command
    quietly with :data:`CLOSED_PIPE`: what the commands print, and what typer writes
    itself (the help of any command, ``--version``), which it writes while parsing the
    command line (:meth:`make_context` for ``coprod``'s own options, :meth:`invoke` for a
    command's), before any command runs. (Typer's own answer to a closed pipe there was
    exit status 1.) What is still buffered is written before the exit, so that the
    interpreter's last flush has nothing left to fail on."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: _click.Context | None = None,
        **extra: Any,
    ) -> _click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:
            raise typer.Exit(closed_output()) from None

    def invoke(self, ctx: _click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise typer.Exit(closed_output()) from None

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        code = 0
        try:
            try:
                result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
                code = result if isinstance(result, int) else 0
            except NoArgsIsHelpError as exc:  # ``coprod`` alone: the help, as click shows it
                code = exc.exit_code
                exc.show()
            except ClickException as exc:
                ctx = getattr(exc, "ctx", None)
                where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
                code = exc.exit_code
                say(f"error: {exc.format_message()}{where}", err=True)
            except typer.Abort:
                code = 1
                say("error: stopped", err=True)
            if sys.stdout is not None:  # what is still buffered, where a closed pipe is known
                sys.stdout.flush()
        except BrokenPipeError:  # after the command's last write, or stderr's reader went
            closed = closed_output()
            code = closed if code == 0 else code
        sys.exit(code)


class ConnectorsHelp(TyperCommand):
    """A command whose ``--help`` ends with what the installed connectors declare.

    The connectors are only imported when that help is shown, so ``coprod --help``
    stays fast. Subclasses say what to write in :meth:`connector_sections`.
    """

    def connector_sections(self, found: Registry) -> list[tuple[str, list[tuple[str, str]]]]:
        raise NotImplementedError

    def format_epilog(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        for title, rows in self.connector_sections(registry()):
            with formatter.section(title):
                if rows:
                    formatter.write_dl(rows)
                else:
                    formatter.write_text("(none)")


class PushHelp(ConnectorsHelp):
    """``coprod push --help``: every installed connector's push options."""

    def connector_sections(self, found: Registry) -> list[tuple[str, list[tuple[str, str]]]]:
        from coprod_connectors.connectors.options import options_help

        models = {name: cls.push_options for name, cls in found.live_classes().items()}
        return [
            (f"Push options of {platform} (--option NAME=VALUE)", rows)
            for platform, rows in options_help(models)
        ]


class ProfilesHelp(ConnectorsHelp):
    """``coprod profiles add --help``: the platforms, their secrets and server aliases."""

    def connector_sections(self, found: Registry) -> list[tuple[str, list[tuple[str, str]]]]:
        rows = []
        for name, cls in found.live_classes().items():
            aliases = ", ".join(f"{k} = {v}" for k, v in sorted(cls.server_aliases.items()))
            text = f"{cls.title}; secret: {cls.credential_label}"
            rows.append((name, f"{text}; --url aliases: {aliases}" if aliases else text))
        return [("Platforms (--platform)", rows)]


__all__ = [
    "CLOSED_PIPE",
    "ConfigOption",
    "JsonOption",
    "StoreOption",
    "echo_json",
    "fail",
    "handle_errors",
    "markup_safe",
    "printable",
    "say",
    "stdout_console",
]
