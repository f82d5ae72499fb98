"""What every ``coprod`` command shares: options, JSON output, the error boundary."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
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


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as one error line on stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn the project's own errors into a message and an exit code, never a traceback."""
    from coprod_connectors.errors import CoprodError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CoprodError as exc:
            raise fail(str(exc).replace("\n", "; "), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted; nothing already stored was lost", 130) from None

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


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


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}


def printable(text: str) -> str:
    """``text`` from outside (a platform, a connector) with control characters shown
    as ``\\xNN`` escapes, so it cannot move the cursor or recolour the terminal."""
    return text.translate(_CONTROL)
