"""The connector contract, checked against every installed connector (and the in-memory one).

A third-party connector can run this suite too: it only uses what the
entry-point registry finds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coprod_connectors.instruments import Instrument, builtin_instruments, load_instrument
from coprod_connectors.connectors import Connector, LiveConnector, discover
from coprod_connectors.testing import MemoryConnector

DATA = Path(__file__).parent / "data" / "instruments"
REGISTRY = discover()
CONNECTORS = {**REGISTRY.connectors, "memory": MemoryConnector}
INSTRUMENTS = [*builtin_instruments(), load_instrument(DATA / "bilingual.yaml")]


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_connector_class_declares_itself(name: str) -> None:
    cls = CONNECTORS[name]
    assert cls.name == name
    assert cls.title
    assert cls.artefact_suffixes
    assert all(s.startswith(".") for s in cls.artefact_suffixes)
    assert isinstance(cls(), Connector)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_render_is_pure_and_deterministic(name: str, instrument: Instrument) -> None:
    connector = CONNECTORS[name]()
    first = connector.render(instrument)
    second = connector.render(instrument)
    assert first.content
    assert first.content == second.content
    assert Path(first.filename).suffix in connector.artefact_suffixes
    assert first.media_type


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_connectors_that_talk_to_servers_have_the_whole_contract(name: str) -> None:
    connector = CONNECTORS[name]()
    if name in {"limesurvey", "kobotoolbox", "memory"}:
        assert isinstance(connector, LiveConnector)
