"""The LimeSurvey connector: what the core finds through the entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from coprod_connectors.instruments.model import Instrument
    from coprod_connectors.platforms import Artefact


class LimeSurveyConnector:
    """Renders instruments as LimeSurvey 6 survey structures (.lss)."""

    name: ClassVar[str] = "limesurvey"
    title: ClassVar[str] = "LimeSurvey 6 (RemoteControl JSON-RPC)"
    artefact_suffixes: ClassVar[tuple[str, ...]] = (".lss",)

    def render(self, instrument: Instrument, options: dict[str, Any] | None = None) -> Artefact:
        raise NotImplementedError("the .lss renderer lands with the LimeSurvey connector issue")
