"""The connector uses only the core's public API: what ``coprod_connectors`` exports."""

from __future__ import annotations

from pathlib import Path

from coprod_connectors.connectors.checks import private_imports

PACKAGE = Path(__file__).parents[1] / "src" / "coprod_kobotoolbox"


def test_imports_only_the_top_level_of_coprod_connectors() -> None:
    assert PACKAGE.is_dir()
    assert private_imports(PACKAGE) == []
