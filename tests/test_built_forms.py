"""What ``coprod build`` writes for every installed connector that makes XLSForms is
what pyxform (the XLSForm compiler KoboToolbox and ODK Central use) accepts, read from
the very file the command wrote, as a person importing it by hand would."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyxform.xls2xform import convert
from typer.testing import CliRunner

from coprod_connectors import discover
from coprod_connectors.cli import app
from coprod_connectors.instruments import BUILTIN_IDS

XLSFORM_PLATFORMS = sorted(
    name for name, cls in discover().connectors.items() if ".xlsx" in cls.artefact_suffixes
)


@pytest.mark.parametrize("platform", XLSFORM_PLATFORMS)
@pytest.mark.parametrize("instrument_id", BUILTIN_IDS)
def test_the_built_xlsform_compiles_with_pyxform(
    platform: str, instrument_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["build", instrument_id, "--platform", platform, "-o", "form.xlsx"]
    )
    assert result.exit_code == 0, result.stderr
    warnings: list[str] = []
    xform = convert(str(tmp_path / "form.xlsx"), warnings=warnings).xform
    assert "<h:html" in xform
    assert warnings == []
