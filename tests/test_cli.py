"""The coprod command line: output, exit codes, and no tracebacks for user mistakes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from coprod_connectors import __version__
from coprod_connectors.cli import app

DATA = Path(__file__).parent / "data" / "instruments"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output + result.stderr
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0
    assert out.strip() == f"coprod {__version__}"


def test_instruments_list_json() -> None:
    code, out, _ = invoke("instruments", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["self-reflection", "checklist", "ladder-check"]
    for row in rows:
        assert set(row) == {"id", "version", "title", "languages", "questions"}
        assert row["languages"] == ["en", "cy"]
        assert row["questions"] > 5


def test_instruments_list_table() -> None:
    code, out, _ = invoke("instruments", "list")
    assert code == 0
    assert "self-reflection" in out


def test_instruments_show_outline_and_json() -> None:
    code, out, _ = invoke("instruments", "show", "self-reflection")
    assert code == 0
    assert "assetsStage" in out
    assert "Not yet" in out
    code, out, _ = invoke("instruments", "show", "checklist", "--json")
    assert code == 0
    model = json.loads(out)
    assert model["id"] == "checklist"
    assert model["sections"][0]["questions"][0]["code"] == "role"


def test_instruments_show_welsh() -> None:
    path = str(DATA / "bilingual.yaml")
    code, out_cy, _ = invoke("instruments", "show", path, "--lang", "cy")
    assert code == 0
    code, out_en, _ = invoke("instruments", "show", path)
    assert out_cy != out_en
    code, _, err = invoke("instruments", "show", str(DATA / "small.yaml"), "--lang", "cy")
    assert code != 0
    assert err.count("\n") == 1
    assert "has no 'cy' text" in err


def test_validate_ok() -> None:
    code, out, _ = invoke("instruments", "validate", str(DATA / "bilingual.yaml"))
    assert code == 0
    assert "ok: bilingual-test" in out
    assert out.count("\n") == 1


@pytest.mark.parametrize("path", sorted((DATA / "broken").glob("*.yaml")), ids=lambda p: p.stem)
def test_validate_rejects_broken_files_with_exit_2(path: Path) -> None:
    code, out, err = invoke("instruments", "validate", str(path))
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {path.name}")
    assert "problem" in err.splitlines()[-1]


def test_unknown_instrument_is_one_line() -> None:
    code, _, err = invoke("instruments", "show", "no-such-thing")
    assert code == 2
    assert err.startswith("error: no-such-thing: no such file")
    assert err.count("\n") == 1


def test_platforms_json() -> None:
    code, out, _ = invoke("platforms", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["limesurvey"]["distribution"] == "coprod-connectors-limesurvey"
    assert rows["kobotoolbox"]["loaded"] is True


def _subcommands(command: Any) -> dict[str, Any]:
    return dict(getattr(command, "commands", {}) or {})


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in _subcommands(group).items():
        found += _commands(command, (*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(get_command(app)), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    command: Any = get_command(app)
    for name in path:
        command = _subcommands(command)[name]
    assert command.help or command.short_help, f"coprod {' '.join(path)} has no help"
    code, out, _ = invoke(*path, "--help")
    assert code == 0
    assert "Usage" in out
