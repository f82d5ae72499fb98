"""Finding an instrument's pictures and sounds on disk.

A reference is either a built-in pictogram's name (``stage-1``; the project's
own CC0 drawings, shipped in this package) or a file name relative to the
folder of the instrument file (``sounds/welcome-cy.m4a``). A file is never
looked for outside that folder: the model refuses ``..`` and absolute paths,
and this module checks again after following links.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from coprod_connectors.errors import InstrumentError, Problem
from coprod_connectors.instruments.model import Instrument

#: The largest media file a form may carry (phones download them with the form).
MAX_MEDIA_BYTES = 10 * 1024 * 1024

_MEDIA_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "wav": "audio/wav",
    "webm": "audio/webm",
    "amr": "audio/amr",
    "3gp": "audio/3gpp",
}


@dataclass(frozen=True)
class InstrumentMedia:
    """One picture or sound, found: the name a form uses for it, and where it is."""

    reference: str
    name: str
    path: Path
    media_type: str
    #: The pictogram's own description (its SVG ``<title>``); None for an organisation's file.
    title: str | None = None

    def read(self) -> bytes:
        return self.path.read_bytes()

    def data_uri(self) -> str:
        """The file as a ``data:`` URI, to show it without uploading it anywhere."""
        encoded = base64.b64encode(self.read()).decode("ascii")
        return f"data:{self.media_type};base64,{encoded}"


def media_folder() -> Path:
    """The folder of the built-in pictograms."""
    return Path(str(resources.files("coprod_connectors.instruments") / "media"))


@cache
def pictograms() -> dict[str, str]:
    """Every built-in pictogram's name and its title."""
    found: dict[str, str] = {}
    for svg in sorted(media_folder().glob("*.svg")):
        text = svg.read_text(encoding="utf-8")
        start = text.find(">", text.find("<title")) + 1
        found[svg.stem] = text[start : text.find("</title>")].strip()
    return found


def is_pictogram(reference: str) -> bool:
    return "." not in reference


def resolve_media(
    instrument: Instrument, reference: str, *, where: str = "", raster: bool = False
) -> InstrumentMedia:
    """The file ``reference`` names, checked to exist inside its folder.

    ``raster``: give a pictogram as PNG (what XLSForm phone apps show) rather than SVG.
    """
    source = f"{instrument.id} {instrument.version}"
    if is_pictogram(reference):
        title = pictograms().get(reference)
        if title is None:
            known = ", ".join(pictograms())
            raise InstrumentError(
                [Problem(where, f"no built-in pictogram {reference!r} (there are: {known})")],
                source=source,
            )
        extension = "png" if raster else "svg"
        path = media_folder() / f"{reference}.{extension}"
        return InstrumentMedia(reference, path.name, path, _MEDIA_TYPES[extension], title)
    folder = instrument.folder
    if folder is None:
        raise InstrumentError(
            [
                Problem(
                    where,
                    f"{reference!r} is a file, but this instrument was not read from a file, "
                    "so there is no folder to find it in",
                )
            ],
            source=source,
        )
    root = folder.resolve()
    path = (root / reference).resolve()
    if not path.is_relative_to(root):
        raise InstrumentError(
            [Problem(where, f"{reference!r} leads outside the instrument's folder")],
            source=source,
        )
    if not path.is_file():
        raise InstrumentError(
            [Problem(where, f"{reference!r}: no such file beside the instrument ({root})")],
            source=source,
        )
    size = path.stat().st_size
    if size > MAX_MEDIA_BYTES:
        raise InstrumentError(
            [
                Problem(
                    where,
                    f"{reference!r} is {size // 1024 // 1024} MB; media files may be at most "
                    f"{MAX_MEDIA_BYTES // 1024 // 1024} MB (phones download them with the form)",
                )
            ],
            source=source,
        )
    extension = path.suffix.lstrip(".").lower()
    # one flat name per file: forms keep their media in a single folder
    return InstrumentMedia(reference, reference.replace("/", "-"), path, _MEDIA_TYPES[extension])


def instrument_media(instrument: Instrument, *, raster: bool = False) -> list[InstrumentMedia]:
    """Every picture and sound the instrument uses, each once, all checked."""
    found: dict[str, InstrumentMedia] = {}
    for where, _, reference in instrument.media():
        if reference not in found:
            found[reference] = resolve_media(instrument, reference, where=where, raster=raster)
    return list(found.values())


__all__ = [
    "MAX_MEDIA_BYTES",
    "InstrumentMedia",
    "instrument_media",
    "is_pictogram",
    "media_folder",
    "pictograms",
    "resolve_media",
]
