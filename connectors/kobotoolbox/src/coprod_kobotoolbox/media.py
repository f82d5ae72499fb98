"""Form media: the pictures and sounds an XLSForm names, uploaded to the KPI asset.

KoboCollect and Enketo download them with the form (the form's manifest lists
them), so they work offline. They must be on the asset before it is deployed:
a deployment publishes the media the asset has at that moment.

A file already on the asset with the same name and the same content (KPI keeps
an ``md5:`` hash) is left alone; one with the same name and other content is
replaced, since form media names must be unique on an asset.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from coprod_kobotoolbox.client import KpiClient


class FormFile(Protocol):
    """A picture or sound to put on a form: the name the form uses, its type, where it is."""

    @property
    def name(self) -> str: ...

    @property
    def media_type(self) -> str: ...

    @property
    def path(self) -> Path: ...


FORM_MEDIA = "form_media"


def _md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()


def upload_form_media(kpi: KpiClient, uid: str, files: Iterable[FormFile]) -> list[str]:
    """Put ``files`` on asset ``uid`` as form media; returns the names uploaded."""
    wanted = list(files)
    if not wanted:
        return []
    where = f"/api/v2/assets/{uid}/files/"
    present: dict[str, dict[str, Any]] = {}
    for page in kpi.pages(where, {"file_type": FORM_MEDIA}, what=f"the media of form {uid}"):
        for item in page:
            metadata = item.get("metadata") if isinstance(item, dict) else None
            if isinstance(metadata, dict) and isinstance(metadata.get("filename"), str):
                present[metadata["filename"]] = item
    uploaded: list[str] = []
    for media in wanted:
        data = media.path.read_bytes()
        old = present.get(media.name)
        if old is not None:
            if (old.get("metadata") or {}).get("hash") == _md5(data):
                continue
            kpi.request(
                "DELETE",
                f"{where}{old['uid']}/",
                what=f"the old {media.name} of form {uid}",
                expect_json=False,
            )
        encoded = base64.b64encode(data).decode("ascii")
        kpi.json(
            "POST",
            where,
            json={
                "file_type": FORM_MEDIA,
                "description": "default",
                "metadata": {"filename": media.name},
                "base64Encoded": f"data:{media.media_type};base64,{encoded}",
            },
            what=f"{media.name} for form {uid}",
        )
        uploaded.append(media.name)
    return uploaded


__all__ = ["FORM_MEDIA", "FormFile", "upload_form_media"]
