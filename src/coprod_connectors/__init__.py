"""coprod-connectors: co-production self-assessment on LimeSurvey and KoboToolbox.

The public surface is re-exported here; submodules are imported on first use
so that the command line starts quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from coprod_connectors.conversion import ConversionPlan, construct, plan_for
    from coprod_connectors.errors import (
        ApiDisabledError,
        AuthenticationError,
        ConfigError,
        CoprodError,
        InstrumentError,
        LockedOutError,
        NotFoundError,
        PermissionDeniedError,
        PlatformError,
        RateLimitedError,
        ResponseDataError,
        StoreError,
        UnavailableError,
    )
    from coprod_connectors.instruments import (
        Instrument,
        builtin_instrument,
        load_instrument,
    )
    from coprod_connectors.platforms import Connector, discover

_EXPORTS: dict[str, str] = {
    "ApiDisabledError": "coprod_connectors.errors",
    "AuthenticationError": "coprod_connectors.errors",
    "ConfigError": "coprod_connectors.errors",
    "Connector": "coprod_connectors.platforms",
    "ConversionPlan": "coprod_connectors.conversion",
    "CoprodError": "coprod_connectors.errors",
    "Instrument": "coprod_connectors.instruments",
    "InstrumentError": "coprod_connectors.errors",
    "LockedOutError": "coprod_connectors.errors",
    "NotFoundError": "coprod_connectors.errors",
    "PermissionDeniedError": "coprod_connectors.errors",
    "PlatformError": "coprod_connectors.errors",
    "RateLimitedError": "coprod_connectors.errors",
    "ResponseDataError": "coprod_connectors.errors",
    "StoreError": "coprod_connectors.errors",
    "UnavailableError": "coprod_connectors.errors",
    "builtin_instrument": "coprod_connectors.instruments",
    "construct": "coprod_connectors.conversion",
    "discover": "coprod_connectors.platforms",
    "load_instrument": "coprod_connectors.instruments",
    "plan_for": "coprod_connectors.conversion",
}

__all__ = [
    "ApiDisabledError",
    "AuthenticationError",
    "ConfigError",
    "Connector",
    "ConversionPlan",
    "CoprodError",
    "Instrument",
    "InstrumentError",
    "LockedOutError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlatformError",
    "RateLimitedError",
    "ResponseDataError",
    "StoreError",
    "UnavailableError",
    "__version__",
    "builtin_instrument",
    "construct",
    "discover",
    "load_instrument",
    "plan_for",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'coprod_connectors' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
