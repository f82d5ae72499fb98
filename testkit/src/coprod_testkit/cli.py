"""Running the ``coprod`` command line in the test process."""

from __future__ import annotations

from typer.testing import CliRunner

from coprod_connectors.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    """``coprod ARGS``: its exit code, stdout and stderr; never a traceback (an exception
    other than the exit is raised again, for pytest to show)."""
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr
