"""Survey platforms as plugins: the connector contract and the entry-point registry.

A connector is a distribution that registers a class under the entry-point
group ``coprod_connectors.platforms``::

    [project.entry-points."coprod_connectors.platforms"]
    limesurvey = "coprod_limesurvey:LimeSurveyConnector"

The core never imports a connector by name: it asks :func:`discover`, which
loads every entry point, skips (and reports) one that fails to import, and
flags two plugins claiming the same name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from coprod_connectors.errors import ConfigError
from coprod_connectors.responses import Response

if TYPE_CHECKING:
    from pathlib import Path

    from coprod_connectors.config import Profile
    from coprod_connectors.instruments.model import Instrument

ENTRY_POINT_GROUP = "coprod_connectors.platforms"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Artefact:
    """A rendered platform file: what to write, and the file name a person would expect."""

    content: bytes
    filename: str
    media_type: str
    warnings: tuple[str, ...] = ()

    def write(self, path: Path) -> None:
        path.write_bytes(self.content)


class Deployment(BaseModel):
    """An instrument version live on a platform: a LimeSurvey survey or a KoboToolbox asset.

    ``remote_id`` is the platform's own id (survey id, asset uid); ``details``
    holds what the connector needs later (deployed version ids, languages...).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str
    profile: str
    remote_id: str
    instrument: str
    instrument_version: str
    round: str
    subject: str | None = None
    url: str | None = None
    created_at: datetime
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """The deployment's id in the store and in responses: ``platform:profile:remote_id``."""
        return f"{self.platform}:{self.profile}:{self.remote_id}"


class PulledRecord(BaseModel):
    """One platform record as it came (``raw``) and as a neutral response.

    ``deleted`` marks a record the platform no longer has (only from full pulls).
    """

    model_config = ConfigDict(frozen=True)

    remote_response_id: str
    raw: dict[str, Any]
    response: Response | None


class Page(BaseModel):
    """A batch of records and the cursor to resume after it; stored in one transaction."""

    model_config = ConfigDict(frozen=True)

    records: list[PulledRecord]
    cursor: str | None
    requests: int = 1


class DeploymentStatus(BaseModel):
    """What the platform says about a deployment now."""

    model_config = ConfigDict(frozen=True)

    live: bool
    responses: int | None = None
    urls: dict[str, str] = Field(default_factory=dict)
    message: str | None = None


@runtime_checkable
class Connector(Protocol):
    """What every platform connector provides.

    ``render`` is pure: it turns an instrument into the platform's own file
    and never touches the network. Connectors that can talk to a server add
    ``push``, ``pull`` and ``status`` (see :class:`LiveConnector`).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    artefact_suffixes: ClassVar[tuple[str, ...]]

    def render(self, instrument: Instrument, options: dict[str, Any] | None = None) -> Artefact:
        """The platform file for ``instrument`` (``options`` are connector-specific)."""
        ...


@runtime_checkable
class LiveConnector(Connector, Protocol):
    """A connector that also talks to a server.

    - ``push`` is idempotent: given the deployment the store already has for the
      same profile, instrument version and round (``existing``), it reuses it.
    - ``pull`` streams pages after ``since`` (the cursor of the last stored page);
      with ``full=True`` it reads everything again.
    - every failure is one of the core's exceptions, with the platform's message kept.
    """

    def push(
        self,
        instrument: Instrument,
        profile: Profile,
        *,
        round: str,  # noqa: A002
        existing: Deployment | None = None,
        subject: str | None = None,
        update: bool = False,
        activate: bool = True,
        options: dict[str, Any] | None = None,
    ) -> Deployment:
        """Create (or reuse) a live deployment of ``instrument``."""
        ...

    def pull(
        self,
        deployment: Deployment,
        profile: Profile,
        *,
        instrument: Instrument,
        since: str | None = None,
        full: bool = False,
    ) -> Iterator[Page]:
        """Responses after ``since``, page by page, with the cursor after each page."""
        ...

    def status(self, deployment: Deployment, profile: Profile) -> DeploymentStatus:
        """Whether the deployment is live, how many responses it has, and its URLs."""
        ...

    def check(self, profile: Profile) -> str:
        """Log in with ``profile`` and say what worked (e.g. "logged in as x; 3 surveys")."""
        ...


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
            "title": getattr(self.connector, "title", None),
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
    if not isinstance(loaded, type) or not callable(getattr(loaded, "render", None)):
        return replace(info, error=f"{entry_point.value} is not a connector class with render()")
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
    "Artefact",
    "Connector",
    "Deployment",
    "DeploymentStatus",
    "LiveConnector",
    "Page",
    "PluginInfo",
    "PulledRecord",
    "Registry",
    "discover",
]
