"""What only some platforms do: one runtime-checkable protocol per capability.

The core asks ``isinstance(connector, SupportsParticipants)`` (and so on)
before it offers a command; each capability is one method with one signature.

- :class:`SupportsParticipants`: closed surveys with participant lists and invitations;
- :class:`SupportsExportImport`: reading a response export downloaded by hand;
- :class:`SupportsAttachments`: downloading the files people attached to answers;
- :class:`SupportsDescribe`: what people need to know about a recorded deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pathlib import Path

    from coprod_connectors.config import Profile
    from coprod_connectors.connectors.types import Deployment, Handover
    from coprod_connectors.instruments.model import Instrument
    from coprod_connectors.responses import Response


@runtime_checkable
class SupportsParticipants(Protocol):
    """Participant lists: only the people on the list (with personal links) can answer."""

    def add_participants(
        self,
        deployment: Deployment,
        profile: Profile,
        csv_path: Path,
        *,
        invite: bool = False,
        dry_run: bool = False,
    ) -> list[str]:
        """Add the people in a CSV (skipping those already there), optionally invite them,
        or with ``dry_run`` only say what would happen. Returns lines for people."""
        ...


@runtime_checkable
class SupportsExportImport(Protocol):
    """Reading the platform's own response export, downloaded by hand (CSV, XLSX...)."""

    def import_export_file(
        self,
        path: Path,
        instrument: Instrument,
        *,
        round: str,  # noqa: A002
        subject: str | None = None,
        deployment: str | None = None,
    ) -> Iterator[Response]:
        """The responses in ``path`` (streamed); ``deployment`` is the key they get."""
        ...


@runtime_checkable
class SupportsAttachments(Protocol):
    """Files people attached to their answers (photos, recordings, uploads)."""

    def download_attachments(
        self,
        deployment: Deployment,
        profile: Profile,
        folder: Path,
        *,
        since: str | None = None,
    ) -> list[Path]:
        """Download every response's attachments (after the cursor ``since``) below
        ``folder``, never outside it; files already there are not fetched again.
        Returns the files there now."""
        ...


@runtime_checkable
class SupportsDescribe(Protocol):
    """What people need for a recorded deployment, read from it alone (no network)."""

    def describe(self, deployment: Deployment) -> Handover:
        """The deployment's handover: its links, notes for people, what to scan."""
        ...


__all__ = [
    "SupportsAttachments",
    "SupportsDescribe",
    "SupportsExportImport",
    "SupportsParticipants",
]
