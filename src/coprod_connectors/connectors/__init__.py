"""The connector contract: protocols, capabilities, data types, push options and the registry.

- :mod:`~coprod_connectors.connectors.contract`: :class:`Connector`, :class:`LiveConnector`,
  :class:`PushOptions` (what a connector declares about itself);
- :mod:`~coprod_connectors.connectors.capabilities`: what only some platforms do;
- :mod:`~coprod_connectors.connectors.types`: the data a connector and the core hand each other;
- :mod:`~coprod_connectors.connectors.registry`: connectors found through entry points;
- :mod:`~coprod_connectors.connectors.options`: push options from the command line;
- :mod:`~coprod_connectors.connectors.http` and :mod:`~coprod_connectors.connectors.paging`:
  the one HTTP policy every connector uses, and paging helpers (imported on demand,
  so that loading the contract does not load httpx).

Connector authors import all of it from the top-level ``coprod_connectors`` package.
"""

from coprod_connectors.connectors.capabilities import (
    SupportsAttachments,
    SupportsDescribe,
    SupportsExportImport,
    SupportsParticipants,
)
from coprod_connectors.connectors.contract import (
    Connector,
    LiveConnector,
    NoPushOptions,
    PushOptions,
    resolve_server,
)
from coprod_connectors.connectors.registry import (
    ENTRY_POINT_GROUP,
    PluginInfo,
    Registry,
    contract_problem,
    discover,
)
from coprod_connectors.connectors.types import (
    Artefact,
    Deployment,
    DeploymentStatus,
    Handover,
    Link,
    MediaFile,
    Page,
    PulledRecord,
    Pushed,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Artefact",
    "Connector",
    "Deployment",
    "DeploymentStatus",
    "Handover",
    "Link",
    "LiveConnector",
    "MediaFile",
    "NoPushOptions",
    "Page",
    "PluginInfo",
    "PulledRecord",
    "PushOptions",
    "Pushed",
    "Registry",
    "SupportsAttachments",
    "SupportsDescribe",
    "SupportsExportImport",
    "SupportsParticipants",
    "contract_problem",
    "discover",
    "resolve_server",
]
