"""The ODK Collect settings QR code: the payload Central's own web app makes, a PNG
readable by its owner only, and a drawing for the terminal."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from coprod_odk.collect import CollectSettings, decode_payload

SETTINGS = CollectSettings(
    server="https://central.example.org",
    project_id=7,
    project_name="Riverside day centre",
    token=SecretStr("Ab3!$" + "x" * 59),
)


def test_the_payload_is_the_managed_settings_compressed() -> None:
    payload = SETTINGS.payload()
    assert payload.isascii()
    assert decode_payload(payload) == {
        "general": {
            "server_url": f"https://central.example.org/v1/key/Ab3!${'x' * 59}/projects/7",
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "project": {"name": "Riverside day centre"},
        "admin": {},
    }
    assert "x" * 59 not in repr(SETTINGS)


def test_png_is_private_and_terminal_text_is_square(tmp_path: Path) -> None:
    path = SETTINGS.write_png(tmp_path / "collect.png")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = SETTINGS.terminal_text().splitlines()
    size = SETTINGS.qr().symbol_size(border=4)[0]
    assert len(lines) == (size + 1) // 2
    assert {len(line) for line in lines} == {size}
    assert set("".join(lines)) <= {" ", "█", "▀", "▄"}
