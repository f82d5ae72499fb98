"""The data a connector and the core hand each other.

- :class:`Artefact`: a rendered platform file (``render``), and the media it refers to;
- :class:`MediaFile`: a picture or recording that goes with a form (``push``);
- :class:`Deployment`: an instrument version live on a platform, as the store keeps it;
- :class:`Handover` and :class:`Pushed`: what ``push`` returns, for the store and for people;
- :class:`Page` and :class:`PulledRecord`: what ``pull`` streams;
- :class:`DeploymentStatus`: what ``status`` says.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coprod_connectors.errors import ConfigError
from coprod_connectors.responses import Response


@dataclass(frozen=True)
class Artefact:
    """A rendered platform file: what to write, and the file name a person would expect.

    ``media``: the pictures and sounds the file refers to by name, which must be
    uploaded with it (e.g. an XLSForm's form media); empty when it refers to none.
    """

    content: bytes
    filename: str
    media_type: str
    warnings: tuple[str, ...] = ()
    media: tuple[MediaFile, ...] = ()

    def write(self, path: Path) -> None:
        path.write_bytes(self.content)

    def write_media(self, folder: Path) -> list[Path]:
        """Copy ``media`` into ``folder`` (made if needed) under the names the file uses.

        A name that is not a plain file name (empty, with a folder, ``..``, a hidden
        file, a control character) is a ConfigError: nothing is written outside ``folder``.
        """
        for item in self.media:
            name = item.name
            plain = name == PurePath(name).name and name.isprintable() and "\\" not in name
            plain = plain and bool(name)
            if not plain or name.startswith("."):
                msg = f"the form refers to a media file {name!r} that is not a plain file name"
                raise ConfigError(msg, hint="name pictures and sounds like picture.png")
        written = []
        if self.media:
            folder.mkdir(parents=True, exist_ok=True)
        for item in self.media:
            target = folder / item.name
            if target.is_symlink():  # never write through a link left there
                target.unlink()
            shutil.copyfile(item.path, target)
            written.append(target)
        return written


@dataclass(frozen=True)
class MediaFile:
    """A file that goes with a form (a picture or recording the instrument shows).

    ``name`` is the name the form refers to it by; ``path`` where it is on disk.
    """

    name: str
    path: Path
    media_type: str = "application/octet-stream"


class Deployment(BaseModel):
    """An instrument version live on a platform (a survey, a form, an asset...).

    ``remote_id`` is the platform's own id; ``details`` holds what the connector
    needs later (deployed version ids, languages...). Never put a secret in it:
    the store keeps it as it is.
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

    @property
    def easy_read(self) -> bool:
        """Pushed in the easy-read presentation (``details["easy_read"]``, set by push)."""
        return self.details.get("easy_read") is True


class Link(BaseModel):
    """A labelled address for people: the form, a language's version, the admin page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    url: str


class Handover(BaseModel):
    """What the people running a deployment need, beyond its URL, in a platform-neutral form.

    The CLI prints ``summary``, each link as ``label: url``, each note on its own
    line, the QR code's text (``qr_payload``, e.g. the settings a collect app scans;
    ``qr_label`` says what it is for) and the code itself, drawn for the terminal
    (:meth:`qr_lines`), and the files the connector wrote for people (``files``,
    e.g. that QR code as a PNG). Everything here is shown to people and may be
    printed: it must never hold the profile's own secret.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    summary: str | None = None
    links: tuple[Link, ...] = ()
    notes: tuple[str, ...] = ()
    qr_payload: str | None = None
    qr_label: str | None = None
    files: tuple[Path, ...] = ()

    def lines(self) -> list[str]:
        """The handover as plain text lines, in the order the CLI prints them."""
        out = [self.summary] if self.summary else []
        out.extend(f"{link.label}: {link.url}" for link in self.links)
        out.extend(self.notes)
        if self.qr_payload is not None:
            out.append(f"{self.qr_label or 'QR code'}: {self.qr_payload}")
        out.extend(f"wrote {path}" for path in self.files)
        return out

    def qr_lines(self) -> list[str]:
        """``qr_payload`` as a QR code drawn with block characters (two rows of modules a
        line, light on dark as a terminal shows text), or no lines without a payload."""
        if self.qr_payload is None:
            return []
        import io

        import segno

        out = io.StringIO()
        segno.make_qr(self.qr_payload, error="l").terminal(out=out, compact=True)
        return out.getvalue().splitlines()


class Pushed(BaseModel):
    """What ``push`` returns: the deployment to record, and the handover for people."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deployment: Deployment
    handover: Handover = Field(default_factory=Handover)


class PulledRecord(BaseModel):
    """One platform record as it came (``raw``) and as a neutral response.

    ``response`` is None for a record kept but not counted (e.g. not approved).
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


__all__ = [
    "Artefact",
    "Deployment",
    "DeploymentStatus",
    "Handover",
    "Link",
    "MediaFile",
    "Page",
    "PulledRecord",
    "Pushed",
]
