"""The connector uses only the core's public API (what ``coprod_connectors`` exports), and
keeps the contract as any outside author's connector must."""

from __future__ import annotations

from pathlib import Path

from coprod_connectors import builtin_instruments, discover
from coprod_connectors.connectors.checks import all_problems, private_imports
from coprod_odk import OdkCentralConnector

PACKAGE = Path(__file__).parents[1] / "src" / "coprod_odk"


def test_imports_only_the_top_level_of_coprod_connectors() -> None:
    assert PACKAGE.is_dir()
    assert private_imports(PACKAGE) == []


def test_keeps_the_contract() -> None:
    assert all_problems(OdkCentralConnector, builtin_instruments(), name="odk") == []


def test_found_through_its_entry_point() -> None:
    assert discover().get("odk") is OdkCentralConnector
