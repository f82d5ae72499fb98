"""What Central's API v1 sends back, as pydantic models (the wire, not the domain).

Only the fields coprod reads are declared; the rest is ignored, so a newer
Central that adds fields still parses. Secrets (a session's or an app user's
token) are :class:`~pydantic.SecretStr`, so no ``repr`` or log line shows them.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Session(_Wire):
    token: SecretStr
    expires_at: str | None = Field(default=None, alias="expiresAt")


class User(_Wire):
    id: int
    email: str | None = None
    display_name: str | None = Field(default=None, alias="displayName")


class Role(_Wire):
    id: int
    name: str
    system: str | None = None


class Project(_Wire):
    id: int
    name: str
    archived: bool | None = None


class Form(_Wire):
    project_id: int = Field(alias="projectId")
    xml_form_id: str = Field(alias="xmlFormId")
    name: str | None = None
    version: str | None = None
    state: str | None = None
    enketo_id: str | None = Field(default=None, alias="enketoId")
    published_at: str | None = Field(default=None, alias="publishedAt")
    submissions: int | None = None

    @property
    def published(self) -> bool:
        return self.published_at is not None


class FormVersion(_Wire):
    version: str
    published_at: str | None = Field(default=None, alias="publishedAt")


class FormAttachment(_Wire):
    """A media file a form (or its draft) expects: ``exists`` once uploaded."""

    name: str
    type: str | None = None
    exists: bool = False


class AppUser(_Wire):
    """An app user ("field key"): what ODK Collect logs in as. ``token`` is a credential."""

    id: int
    project_id: int = Field(alias="projectId")
    display_name: str = Field(alias="displayName")
    token: SecretStr | None = None


class SubmissionAttachment(_Wire):
    name: str
    exists: bool = False


class ReviewState(str, Enum):
    """A submission's review state; ``None`` (no state) is what Central's UI calls *received*."""

    APPROVED = "approved"
    HAS_ISSUES = "hasIssues"
    REJECTED = "rejected"
    EDITED = "edited"


__all__ = [
    "AppUser",
    "Form",
    "FormAttachment",
    "FormVersion",
    "Project",
    "ReviewState",
    "Role",
    "Session",
    "SubmissionAttachment",
    "User",
]
