"""The KoboToolbox connector: what the core finds through the entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from coprod_connectors.instruments.model import Instrument
    from coprod_connectors.platforms import Artefact


class KoboToolboxConnector:
    """Renders instruments as XLSForms for KoboToolbox (KPI API v2)."""

    name: ClassVar[str] = "kobotoolbox"
    title: ClassVar[str] = "KoboToolbox (KPI API v2, XLSForm)"
    artefact_suffixes: ClassVar[tuple[str, ...]] = (".xlsx", ".json")

    def render(self, instrument: Instrument, options: dict[str, Any] | None = None) -> Artefact:
        raise NotImplementedError("the XLSForm renderer lands with the KoboToolbox connector issue")
