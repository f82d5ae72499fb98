"""Connectors are found through entry points; a broken one is reported, not fatal."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

from coprod_connectors.connectors import ENTRY_POINT_GROUP, Connector, discover
from coprod_connectors.errors import ConfigError


def test_installed_connectors_are_discovered() -> None:
    registry = discover()
    assert {"limesurvey", "kobotoolbox"} <= set(registry.connectors)
    by_name = {p.name: p for p in registry.plugins}
    assert by_name["limesurvey"].distribution == "coprod-connectors-limesurvey"
    assert by_name["kobotoolbox"].distribution == "coprod-connectors-kobotoolbox"
    for cls in registry.connectors.values():
        assert isinstance(cls(), Connector)


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "fake_plugins.py").write_text(
        "class Good:\n"
        "    name = 'odk'\n"
        "    title = 'ODK Central'\n"
        "    artefact_suffixes = ('.xlsx',)\n"
        "    def render(self, instrument, options=None):\n"
        "        raise NotImplementedError\n"
        "NOT_A_CLASS = 3\n"
    )
    (tmp_path / "broken_plugin.py").write_text("raise ImportError('needs libfoo')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "fake_plugins"
    sys.modules.pop("fake_plugins", None)
    sys.modules.pop("broken_plugin", None)


def _ep(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_broken_plugin_is_reported_not_fatal(plugin_module: str) -> None:
    registry = discover(
        [_ep("odk", f"{plugin_module}:Good"), _ep("broken", "broken_plugin:Connector")]
    )
    assert set(registry.connectors) == {"odk"}
    broken = next(p for p in registry.plugins if p.name == "broken")
    assert not broken.ok
    assert "needs libfoo" in (broken.error or "")
    with pytest.raises(ConfigError, match="failed to load: ImportError: needs libfoo"):
        registry.get("broken")


def test_not_a_connector_class_is_reported(plugin_module: str) -> None:
    registry = discover([_ep("odd", f"{plugin_module}:NOT_A_CLASS")])
    assert registry.connectors == {}
    assert "not a connector class" in (registry.plugins[0].error or "")


def test_name_clash_keeps_the_first_and_flags_the_second(plugin_module: str) -> None:
    registry = discover([_ep("odk", f"{plugin_module}:Good"), _ep("odk", f"{plugin_module}:Good")])
    assert list(registry.connectors) == ["odk"]
    assert sum(1 for p in registry.plugins if p.error and "name clash" in p.error) == 1


def test_unknown_connector_lists_what_is_installed() -> None:
    with pytest.raises(ConfigError, match=r"no connector called 'surveyx'.*installed: kobotoolbox"):
        discover().get("surveyx")


def test_a_live_connector_without_typed_push_options_is_reported(
    plugin_module: str, tmp_path: Path
) -> None:
    (tmp_path / "half_live.py").write_text(
        "from fake_plugins import Good\n"
        "class HalfLive(Good):\n"
        "    credential_label = 'password'\n"
        "    server_aliases = {}\n"
        "    push_options = dict\n"
        "    def push(self, *a, **k): ...\n"
        "    def pull(self, *a, **k): ...\n"
        "    def status(self, *a, **k): ...\n"
        "    def check(self, *a, **k): ...\n"
    )
    registry = discover([_ep("half", "half_live:HalfLive")])
    sys.modules.pop("half_live", None)
    assert registry.connectors == {}
    assert "push_options is not a PushOptions model" in (registry.plugins[0].error or "")


def test_a_capability_with_another_signature_is_a_contract_problem() -> None:
    from coprod_connectors.connectors.checks import capability_problems

    class Loose:
        def describe(self, deployment: object, verbose: bool = False) -> None: ...

        def download_attachments(self, deployment: object, folder: Path) -> list[Path]:
            return []

    problems = capability_problems(Loose())
    assert "describe() has a parameter the contract does not: 'verbose'" in problems
    assert (
        "download_attachments() parameter 2 is 'folder' (positional or keyword), not "
        "'profile' (positional or keyword)" in problems
    )
    assert "download_attachments() lacks the parameter 'since'" in problems
