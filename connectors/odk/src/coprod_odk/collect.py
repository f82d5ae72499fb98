"""The ODK Collect settings QR code: what a field worker scans to be set up.

The payload is the one Central's own web app shows for an app user ("managed"
configuration): the settings as JSON, compressed with zlib, in base64::

    {"general": {"server_url": "<server>/v1/key/<app-user token>/projects/<id>",
                 "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular"},
     "project": {"name": "<project>"},
     "admin": {}}

``admin`` must be there (Collect refuses settings without it). The app user's
token is in the URL, so the code is a credential: the PNG is written readable by
its owner only, and nothing here logs it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
from pydantic import SecretStr


@dataclass(frozen=True)
class CollectSettings:
    """The settings an app user's QR code carries."""

    server: str
    project_id: int
    project_name: str
    token: SecretStr

    def __repr__(self) -> str:
        return f"CollectSettings({self.server!r}, project {self.project_id})"

    @property
    def server_url(self) -> str:
        """The URL Collect talks to (contains the token: a credential)."""
        token = self.token.get_secret_value()
        return f"{self.server}/v1/key/{token}/projects/{self.project_id}"

    def settings(self) -> dict[str, Any]:
        return {
            "general": {
                "server_url": self.server_url,
                "form_update_mode": "match_exactly",
                "autosend": "wifi_and_cellular",
            },
            "project": {"name": self.project_name},
            "admin": {},
        }

    def payload(self) -> str:
        """The text in the QR code: JSON -> zlib -> base64."""
        text = json.dumps(self.settings(), separators=(",", ":"), ensure_ascii=False)
        return base64.b64encode(zlib.compress(text.encode("utf-8"))).decode("ascii")

    def qr(self) -> segno.QRCode:
        return segno.make_qr(self.payload(), error="l")

    def terminal_text(self) -> str:
        """The QR code drawn with block characters (two rows per line), for a terminal."""
        out = io.StringIO()
        self.qr().terminal(out=out, compact=True)
        return out.getvalue()

    def write_png(self, path: Path, *, scale: int = 6) -> Path:
        """Write the QR code as a PNG readable by its owner only; returns ``path``."""
        buffer = io.BytesIO()
        self.qr().save(buffer, kind="png", scale=scale, border=4)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as target:
            target.write(buffer.getvalue())
        path.chmod(0o600)
        return path


def decode_payload(payload: str) -> dict[str, Any]:
    """The settings in a QR payload (the inverse of :meth:`CollectSettings.payload`)."""
    data: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)))
    return data


__all__ = ["CollectSettings", "decode_payload"]
