"""Connectors as plugins: the entry-point registry.

A connector distribution registers its class under the entry-point group
``coprod_connectors.platforms``::

    [project.entry-points."coprod_connectors.platforms"]
    example = "coprod_example:ExampleConnector"

The core never imports a connector by name: it asks :func:`discover`, which
loads every entry point, skips (and reports) one that fails to import or does
not keep the contract, and flags two plugins claiming the same name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

from coprod_connectors.connectors.contract import Connector, LiveConnector, PushOptions
from coprod_connectors.errors import ConfigError

ENTRY_POINT_GROUP = "coprod_connectors.platforms"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginInfo:
    """One connector found through the entry points."""

    name: str
    value: str
    distribution: str | None
    version: str | None
    connector: type[Connector] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.connector is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "entry_point": self.value,
            "distribution": self.distribution,
            "version": self.version,
            "title": self.connector.title if self.connector is not None else None,
            "loaded": self.ok,
            "error": self.error,
        }


@dataclass
class Registry:
    """The connectors discovered, and the ones that could not be loaded."""

    plugins: list[PluginInfo] = field(default_factory=list)

    @property
    def connectors(self) -> dict[str, type[Connector]]:
        found: dict[str, type[Connector]] = {}
        for plugin in self.plugins:
            if plugin.connector is not None and plugin.name not in found:
                found[plugin.name] = plugin.connector
        return found

    def get(self, name: str) -> type[Connector]:
        """The connector class called ``name``, or a ConfigError that lists what is installed."""
        connector = self.connectors.get(name)
        if connector is not None:
            return connector
        broken = [p for p in self.plugins if p.name == name and p.error]
        if broken:
            raise ConfigError(
                f"the {name!r} connector is installed but failed to load: {broken[0].error}"
            )
        installed = ", ".join(sorted(self.connectors)) or "none"
        raise ConfigError(
            f"no connector called {name!r} is installed (installed: {installed})",
            hint=f"install it, e.g. pip install 'coprod-connectors[{name}]'",
        )

    def create(self, name: str) -> Connector:
        """A new instance of the connector called ``name``."""
        return self.get(name)()

    def live(self, name: str) -> LiveConnector:
        """A new instance of the connector called ``name``, checked to talk to servers."""
        connector = self.create(name)
        if not isinstance(connector, LiveConnector):
            msg = f"the {name} connector can only render files; it cannot talk to a server"
            raise ConfigError(msg)
        return connector

    def live_classes(self) -> dict[str, type[LiveConnector]]:
        """The installed connectors that talk to servers, by name."""
        found: dict[str, type[LiveConnector]] = {}
        for name in sorted(self.connectors):
            instance = self.create(name)
            if isinstance(instance, LiveConnector):
                found[name] = type(instance)
        return found


def contract_problem(cls: object) -> str | None:
    """Why ``cls`` does not keep the connector contract, or None if it does."""
    if not isinstance(cls, type):
        return "it is not a connector class"
    try:
        instance = cls()
    except Exception as exc:  # noqa: BLE001 - a plugin's constructor failing is reported
        return f"it cannot be made without arguments ({type(exc).__name__}: {exc})"
    if not isinstance(instance, Connector):
        return "it is not a connector (it needs name, title, artefact_suffixes and render)"
    if not isinstance(instance, LiveConnector):
        return None
    options: object = instance.push_options
    if not (isinstance(options, type) and issubclass(options, PushOptions)):
        return "its push_options is not a PushOptions model"
    label: object = instance.credential_label
    if not isinstance(label, str) or not label:
        return "its credential_label is not a name such as 'password'"
    return None


def _load(entry_point: metadata.EntryPoint) -> PluginInfo:
    dist = entry_point.dist
    info = PluginInfo(
        name=entry_point.name,
        value=entry_point.value,
        distribution=dist.metadata["Name"] if dist is not None else None,
        version=dist.version if dist is not None else None,
    )
    try:
        loaded = entry_point.load()
    except Exception as exc:  # noqa: BLE001 - any import failure of a plugin is reported, not fatal
        logger.warning("connector %r failed to load: %s", entry_point.name, exc)
        return replace(info, error=f"{type(exc).__name__}: {exc}")
    problem = contract_problem(loaded)
    if problem is not None:
        logger.warning("connector %r is not usable: %s", entry_point.name, problem)
        return replace(info, error=f"{entry_point.value}: {problem}")
    return replace(info, connector=loaded)


def discover(entry_points: list[metadata.EntryPoint] | None = None) -> Registry:
    """Load every connector registered under :data:`ENTRY_POINT_GROUP`.

    A plugin that fails to import is logged and kept in the registry with its
    error; when two plugins claim the same name, the first (sorted by
    distribution) wins and the second is marked as a clash.
    """
    if entry_points is None:
        entry_points = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    entry_points = sorted(
        entry_points,
        key=lambda ep: (ep.name, ep.dist.metadata["Name"] if ep.dist else "", ep.value),
    )
    registry = Registry()
    claimed: dict[str, PluginInfo] = {}
    for entry_point in entry_points:
        info = _load(entry_point)
        first = claimed.get(info.name)
        if first is not None and info.ok:
            logger.warning("two connectors are called %r; using %s", info.name, first.value)
            info = replace(
                info,
                connector=None,
                error=f"name clash: {info.name!r} is already provided by {first.value}",
            )
        elif info.ok:
            claimed[info.name] = info
        registry.plugins.append(info)
    return registry


__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginInfo",
    "Registry",
    "contract_problem",
    "discover",
]
