"""Central's CSV export (the zip its *Download* button gives) read back: the manual path.

The zip holds ``<form id>.csv`` (one row per submission, group paths joined by
``-``: ``about-role``), one ``<form id>-<repeat>.csv`` per repeat (rows linked to
their parent by ``PARENT_KEY``, with their own ``KEY``), and ``media/`` (not
read here). A lone main ``.csv`` (``submissions.csv``) is read too, without
repeats (repeats inside repeats are not read: no instrument has them). Each row
comes back shaped like an OData row (``__id``, ``__system`` and the answers), so
that the pull's rules apply unchanged: rejected rows are
held, the first instance id (``KEY``) is the response id, ``FormVersion`` picks
the instrument version.

Nothing is extracted to disk; members are read as streams, and the repeat tables
(smaller than the main one) are the only ones held in memory.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from coprod_connectors import ResponseDataError

#: Central's own columns -> the ``__system`` field of an OData row.
SYSTEM = {
    "SubmissionDate": "submissionDate",
    "SubmitterID": "submitterId",
    "SubmitterName": "submitterName",
    "AttachmentsPresent": "attachmentsPresent",
    "AttachmentsExpected": "attachmentsExpected",
    "Status": "status",
    "ReviewState": "reviewState",
    "DeviceID": "deviceId",
    "Edits": "edits",
    "FormVersion": "formVersion",
}
_LINKS = frozenset({"KEY", "PARENT_KEY"})
_HINT = "download it from Central: the form's Submissions > Download > (all data) as a .zip"
# CSV cells can be large (long free text), but not unbounded
csv.field_size_limit(10 * 1024 * 1024)


def _code(header: str) -> str:
    return header.strip().rsplit("-", 1)[-1]


def _answers(row: dict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for header, value in row.items():
        if header is None or header in SYSTEM or header in _LINKS or header.startswith("meta-"):
            continue
        answers.setdefault(_code(header), value if value != "" else None)
    return answers


def _reader(handle: IO[bytes], name: str) -> csv.DictReader[str]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    if reader.fieldnames is None:
        msg = f"{name} is empty"
        raise ResponseDataError(msg, hint=_HINT)
    return reader


def read_export(path: Path) -> Iterator[dict[str, Any]]:
    """The submissions in a Central export (zip or main CSV), shaped like OData rows."""
    try:
        if zipfile.is_zipfile(path):
            yield from _read_zip(path)
            return
        with path.open("rb") as handle:
            yield from _rows(_reader(handle, path.name), {}, path.name)
    except (OSError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as exc:
        msg = f"{path.name} cannot be read as an ODK Central export: {exc}"
        raise ResponseDataError(msg, hint=_HINT) from exc


def _read_zip(path: Path) -> Iterator[dict[str, Any]]:
    with zipfile.ZipFile(path) as archive:
        tables = [n for n in archive.namelist() if n.endswith(".csv") and "/" not in n]
        if not tables:
            msg = f"{path.name} has no CSV tables"
            raise ResponseDataError(msg, hint=_HINT)
        main = min(tables, key=len)
        prefix = main.removesuffix(".csv") + "-"
        children: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for name in sorted(set(tables) - {main}):
            if not name.startswith(prefix):
                continue
            repeat = _code(name.removesuffix(".csv").removeprefix(prefix))
            with archive.open(name) as handle:
                for row in _reader(handle, name):
                    parent = row.get("PARENT_KEY") or ""
                    children.setdefault(parent, {}).setdefault(repeat, []).append(_answers(row))
        with archive.open(main) as handle:
            yield from _rows(_reader(handle, main), children, main)


def _rows(
    reader: csv.DictReader[str], children: dict[str, dict[str, list[dict[str, Any]]]], name: str
) -> Iterator[dict[str, Any]]:
    headers = reader.fieldnames or []
    if "KEY" not in headers or "SubmissionDate" not in headers:
        msg = f"{name} is not an ODK Central export (no KEY or SubmissionDate column)"
        raise ResponseDataError(msg, hint=_HINT)
    for row in reader:
        key = row.get("KEY") or ""
        if not key:
            continue
        out: dict[str, Any] = {**_answers(row), **children.get(key, {})}
        system: dict[str, Any] = {
            field: (row.get(column) or None) for column, field in SYSTEM.items()
        }
        out["__id"] = key
        out["__system"] = system
        yield out


__all__ = ["SYSTEM", "read_export"]
