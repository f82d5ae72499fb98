"""What every ``coprod`` command shares: options, JSON output, the error boundary."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from coprod_connectors.platforms import Connector, LiveConnector

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


def connector(platform: str) -> Connector:
    """An instance of the installed connector for ``platform``."""
    from coprod_connectors.platforms import discover

    return discover().get(platform)()


def live_connector(platform: str) -> LiveConnector:
    """A connector that can talk to a server, or a clear error."""
    from coprod_connectors.errors import ConfigError
    from coprod_connectors.platforms import LiveConnector

    found = connector(platform)
    if not isinstance(found, LiveConnector):
        msg = f"the {platform} connector can only render files; it cannot talk to a server"
        raise ConfigError(msg)
    return found
