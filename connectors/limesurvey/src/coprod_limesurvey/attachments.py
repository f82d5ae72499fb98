"""The files people uploaded (voice recordings, photos), downloaded from LimeSurvey.

A file upload answer is a JSON list of the files LimeSurvey stored; the pull
keeps each file's own name as the answer (as KoboToolbox answers are), and
:func:`save_uploads` writes the files under ``folder/<response id>/<that name>``,
which is where ``coprod attachments`` puts KoboToolbox's attachments too.
RemoteControl's ``get_uploaded_files`` sends each response's files as base64.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from coprod_connectors import PlatformError

#: The largest file written (LimeSurvey's own upload limit is set per question).
MAX_FILE_BYTES = 200 * 1024 * 1024


def has_uploads(row: Mapping[str, Any]) -> bool:
    """True when an exported response row holds a file upload answer with a file in it."""
    for value in row.values():
        if isinstance(value, str) and value.startswith("[{") and '"filename"' in value:
            try:
                files = json.loads(value)
            except ValueError:
                continue
            if isinstance(files, list) and any(isinstance(f, Mapping) for f in files):
                return True
    return False


def safe_name(name: str) -> str:
    """A file name that stays in its folder and prints safely (``_`` for anything odd)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")
    return cleaned[:120] or "file"


def save_uploads(folder: Path, response_id: str, files: Any) -> list[Path]:
    """Write one response's files (``get_uploaded_files``' answer) under ``folder/<id>/``."""
    if isinstance(files, Mapping) and "status" in files and len(files) == 1:
        msg = f"LimeSurvey did not send the files of response {response_id}"
        raise PlatformError(msg, platform_message=str(files["status"])[:300])
    if not isinstance(files, Mapping):
        return []  # an empty PHP array arrives as a JSON list: no files
    target_dir = folder / safe_name(response_id)
    written: list[Path] = []
    for stored, item in files.items():
        if not isinstance(item, Mapping):
            continue
        meta = item.get("meta")
        original = meta.get("name") if isinstance(meta, Mapping) else None
        name = safe_name(str(original or stored))
        target = target_dir / name
        if target in written:  # two files of one response with the same name
            target = target_dir / f"{safe_name(str(stored))}-{name}"
        content = item.get("content")
        if not isinstance(content, str):
            continue
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            msg = f"LimeSurvey sent response {response_id}'s file {name} with broken base64"
            raise PlatformError(msg) from exc
        if len(data) > MAX_FILE_BYTES:
            msg = f"response {response_id}'s file {name} is over {MAX_FILE_BYTES >> 20} MB"
            raise PlatformError(msg)
        if not (target.exists() and target.stat().st_size == len(data)):
            target_dir.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(data)
            partial.replace(target)
        written.append(target)
    return written


def response_ids_with_uploads(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The ids of the rows that hold at least one uploaded file."""
    return [str(row.get("id")) for row in rows if has_uploads(row) and row.get("id") is not None]


__all__ = ["has_uploads", "response_ids_with_uploads", "safe_name", "save_uploads"]
