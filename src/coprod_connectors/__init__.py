"""coprod-connectors: co-production self-assessment on the survey platform you already use.

This module is the public surface for people writing connectors and tools:
the connector contract and its capabilities, the data types connectors hand
the core, the exceptions, the instrument model, the neutral ``Response`` and
the helpers connectors share. Connectors import from here only, never from a
submodule. Submodules are imported on first use so that the command line
starts quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from coprod_connectors.config import (
        Profile,
    )
    from coprod_connectors.connectors import (
        ENTRY_POINT_GROUP,
        Artefact,
        Connector,
        Deployment,
        DeploymentStatus,
        Handover,
        Link,
        LiveConnector,
        MediaFile,
        NoPushOptions,
        Page,
        PulledRecord,
        Pushed,
        PushOptions,
        SupportsAttachments,
        SupportsDescribe,
        SupportsExportImport,
        SupportsParticipants,
        discover,
    )
    from coprod_connectors.connectors.http import (
        HttpPolicy,
        Retry,
        error_page_text,
        printable,
        retry_after,
        user_agent,
    )
    from coprod_connectors.connectors.paging import integer_cursor, prefetch
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
        Problem,
        RateLimitedError,
        ResponseDataError,
        StoreError,
        TimedOutError,
        TransientReplyError,
        UnavailableError,
    )
    from coprod_connectors.instruments import (
        Instrument,
        builtin_instrument,
        builtin_instruments,
        load_instrument,
        resolve_instrument,
    )
    from coprod_connectors.instruments.model import (
        MEDIA_KINDS,
        AllOf,
        Answered,
        AnswerIn,
        AnyOf,
        Choice,
        Condition,
        Not,
        Question,
        QuestionKind,
        Row,
        Section,
        Text,
        language_name,
    )
    from coprod_connectors.responses import (
        Flag,
        FlagKind,
        Response,
        build_response,
        default_round,
    )
    from coprod_connectors.templating import (
        templates_dir,
    )
    from coprod_connectors.xlsform import (
        IMAGE_MAX_PIXELS,
        XLSX_MEDIA_TYPE,
        XLSForm,
        build_xlsform,
        is_generated_name,
        language_column,
        xlsx_bytes,
    )

_EXPORTS: dict[str, str] = {
    "AllOf": "coprod_connectors.instruments.model",
    "AnswerIn": "coprod_connectors.instruments.model",
    "Answered": "coprod_connectors.instruments.model",
    "AnyOf": "coprod_connectors.instruments.model",
    "ApiDisabledError": "coprod_connectors.errors",
    "Artefact": "coprod_connectors.connectors",
    "AuthenticationError": "coprod_connectors.errors",
    "Choice": "coprod_connectors.instruments.model",
    "Condition": "coprod_connectors.instruments.model",
    "ConfigError": "coprod_connectors.errors",
    "Connector": "coprod_connectors.connectors",
    "CoprodError": "coprod_connectors.errors",
    "Deployment": "coprod_connectors.connectors",
    "DeploymentStatus": "coprod_connectors.connectors",
    "ENTRY_POINT_GROUP": "coprod_connectors.connectors",
    "Flag": "coprod_connectors.responses",
    "FlagKind": "coprod_connectors.responses",
    "Handover": "coprod_connectors.connectors",
    "Instrument": "coprod_connectors.instruments",
    "InstrumentError": "coprod_connectors.errors",
    "Link": "coprod_connectors.connectors",
    "LiveConnector": "coprod_connectors.connectors",
    "LockedOutError": "coprod_connectors.errors",
    "MEDIA_KINDS": "coprod_connectors.instruments.model",
    "MediaFile": "coprod_connectors.connectors",
    "NoPushOptions": "coprod_connectors.connectors",
    "Not": "coprod_connectors.instruments.model",
    "NotFoundError": "coprod_connectors.errors",
    "Page": "coprod_connectors.connectors",
    "PermissionDeniedError": "coprod_connectors.errors",
    "PlatformError": "coprod_connectors.errors",
    "Problem": "coprod_connectors.errors",
    "Profile": "coprod_connectors.config",
    "PulledRecord": "coprod_connectors.connectors",
    "PushOptions": "coprod_connectors.connectors",
    "Pushed": "coprod_connectors.connectors",
    "Question": "coprod_connectors.instruments.model",
    "QuestionKind": "coprod_connectors.instruments.model",
    "RateLimitedError": "coprod_connectors.errors",
    "Response": "coprod_connectors.responses",
    "ResponseDataError": "coprod_connectors.errors",
    "Row": "coprod_connectors.instruments.model",
    "Section": "coprod_connectors.instruments.model",
    "StoreError": "coprod_connectors.errors",
    "SupportsAttachments": "coprod_connectors.connectors",
    "SupportsDescribe": "coprod_connectors.connectors",
    "SupportsExportImport": "coprod_connectors.connectors",
    "SupportsParticipants": "coprod_connectors.connectors",
    "Text": "coprod_connectors.instruments.model",
    "UnavailableError": "coprod_connectors.errors",
    "build_response": "coprod_connectors.responses",
    "TimedOutError": "coprod_connectors.errors",
    "TransientReplyError": "coprod_connectors.errors",
    "HttpPolicy": "coprod_connectors.connectors.http",
    "Retry": "coprod_connectors.connectors.http",
    "error_page_text": "coprod_connectors.connectors.http",
    "printable": "coprod_connectors.connectors.http",
    "retry_after": "coprod_connectors.connectors.http",
    "user_agent": "coprod_connectors.connectors.http",
    "integer_cursor": "coprod_connectors.connectors.paging",
    "prefetch": "coprod_connectors.connectors.paging",
    "builtin_instrument": "coprod_connectors.instruments",
    "builtin_instruments": "coprod_connectors.instruments",
    "default_round": "coprod_connectors.responses",
    "discover": "coprod_connectors.connectors",
    "language_name": "coprod_connectors.instruments.model",
    "load_instrument": "coprod_connectors.instruments",
    "resolve_instrument": "coprod_connectors.instruments",
    "templates_dir": "coprod_connectors.templating",
    "IMAGE_MAX_PIXELS": "coprod_connectors.xlsform",
    "XLSX_MEDIA_TYPE": "coprod_connectors.xlsform",
    "XLSForm": "coprod_connectors.xlsform",
    "build_xlsform": "coprod_connectors.xlsform",
    "is_generated_name": "coprod_connectors.xlsform",
    "language_column": "coprod_connectors.xlsform",
    "xlsx_bytes": "coprod_connectors.xlsform",
}

__all__ = [
    "ENTRY_POINT_GROUP",
    "IMAGE_MAX_PIXELS",
    "MEDIA_KINDS",
    "XLSX_MEDIA_TYPE",
    "AllOf",
    "AnswerIn",
    "Answered",
    "AnyOf",
    "ApiDisabledError",
    "Artefact",
    "AuthenticationError",
    "Choice",
    "Condition",
    "ConfigError",
    "Connector",
    "CoprodError",
    "Deployment",
    "DeploymentStatus",
    "Flag",
    "FlagKind",
    "Handover",
    "HttpPolicy",
    "Instrument",
    "InstrumentError",
    "Link",
    "LiveConnector",
    "LockedOutError",
    "MediaFile",
    "NoPushOptions",
    "Not",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "PlatformError",
    "Problem",
    "Profile",
    "PulledRecord",
    "PushOptions",
    "Pushed",
    "Question",
    "QuestionKind",
    "RateLimitedError",
    "Response",
    "ResponseDataError",
    "Retry",
    "Row",
    "Section",
    "StoreError",
    "SupportsAttachments",
    "SupportsDescribe",
    "SupportsExportImport",
    "SupportsParticipants",
    "Text",
    "TimedOutError",
    "TransientReplyError",
    "UnavailableError",
    "XLSForm",
    "__version__",
    "build_response",
    "build_xlsform",
    "builtin_instrument",
    "builtin_instruments",
    "default_round",
    "discover",
    "error_page_text",
    "integer_cursor",
    "is_generated_name",
    "language_column",
    "language_name",
    "load_instrument",
    "prefetch",
    "printable",
    "resolve_instrument",
    "retry_after",
    "templates_dir",
    "user_agent",
    "xlsx_bytes",
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
