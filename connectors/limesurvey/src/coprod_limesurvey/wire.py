"""RemoteControl 2 payloads as LimeSurvey 6 sends and expects them (wire models).

These stay inside the connector: the core only ever sees
:class:`coprod_connectors.responses.Response` and the platform models.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CompletionStatus(str, Enum):
    """``sCompletionStatus`` of export_responses."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    ALL = "all"


class RpcRequest(BaseModel):
    """One JSON-RPC call; LimeSurvey wants positional ``params``."""

    method: str
    params: list[Any]
    id: int


class RpcReply(BaseModel):
    """One JSON-RPC reply: ``result`` on success, or ``result: null`` and an ``error`` string."""

    model_config = ConfigDict(extra="allow")

    id: int | str | None = None
    result: Any = None
    error: Any = None


class SurveyListItem(BaseModel):
    """One row of list_surveys."""

    model_config = ConfigDict(extra="ignore")

    sid: int
    surveyls_title: str = ""
    active: str = "N"


class Summary(BaseModel):
    """get_summary(sid, 'all'): response and participant counts."""

    model_config = ConfigDict(extra="ignore")

    completed_responses: int = 0
    incomplete_responses: int = 0
    full_responses: int = 0
    token_count: int | None = None
    token_sent: int | None = None
    token_completed: int | None = None


class ActivationResult(BaseModel):
    """activate_survey's reply on success."""

    model_config = ConfigDict(extra="allow")

    status: str
    pluginFeedback: Any = None  # noqa: N815 - LimeSurvey's own name


class ExportDocument(BaseModel):
    """export_responses 'json', decoded: ``{"responses": [{column: value, ...}, ...]}``."""

    responses: list[dict[str, Any]] = Field(default_factory=list)


class ParticipantIn(BaseModel):
    """One participant for add_participants (attributes as ``attribute_1``...)."""

    model_config = ConfigDict(extra="allow")

    firstname: str = ""
    lastname: str = ""
    email: str = ""
    token: str | None = None
    language: str | None = None


class ParticipantOut(BaseModel):
    """What add_participants returns for one participant (``errors`` when it was refused)."""

    model_config = ConfigDict(extra="allow")

    tid: int | str | None = None
    token: str | None = None
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    errors: Any = None


__all__ = [
    "ActivationResult",
    "CompletionStatus",
    "ExportDocument",
    "ParticipantIn",
    "ParticipantOut",
    "RpcReply",
    "RpcRequest",
    "Summary",
    "SurveyListItem",
]
