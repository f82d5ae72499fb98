"""Read a KoboToolbox data export (CSV or XLSX) into responses: the manual path.

Export from KoboToolbox with *XML values and headers* (Project > Data >
Downloads). Headers may carry group prefixes (``about/role``, or with ``.``
or ``-`` as the group separator) or not (``role``). KPI CSV exports use ``;``
by default; ``,`` works too. An XLSX export keeps each repeat on its own sheet,
linked to the main sheet by ``_parent_index`` -> ``_index``; a CSV export has
no repeats. A multiple-choice question may come as one column (``email
phone``) or as one 0/1 column per choice (``contact/email``); both are read.
Rows a reviewer marked *Not approved* are left out, as in a pull.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coprod_connectors import Instrument, QuestionKind, Response, ResponseDataError, build_response
from coprod_kobotoolbox.submissions import is_not_approved, response_id, submitted_at

if TYPE_CHECKING:
    from coprod_connectors import Question

_SEPARATORS = "/.-"
_HINT = "export from KoboToolbox with 'XML values and headers' (Project > Data > Downloads)"


def _code(header: str) -> str:
    segment = header.strip()
    for separator in _SEPARATORS:
        segment = segment.rsplit(separator, 1)[-1]
    return segment


def _parent(header: str) -> str | None:
    text = header.strip()
    for separator in _SEPARATORS:
        if separator in text:
            return _code(text.rsplit(separator, 1)[0])
    return None


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return value


class _Columns:
    """Which header holds which code, for one sheet."""

    def __init__(self, headers: list[str], instrument: Instrument, codes: set[str]) -> None:
        self.answer: dict[str, str] = {}
        self.choice_columns: dict[str, dict[str, str]] = {}
        multiple = {
            q.code
            for _, _, q in instrument.iter_questions()
            if q.kind is QuestionKind.MULTIPLE_CHOICE
        }
        for header in headers:
            if not header or header.startswith(("_", "meta", "formhub")):
                continue
            code = _code(header)
            parent = _parent(header)
            if parent in multiple and code not in codes:
                self.choice_columns.setdefault(parent, {})[code] = header
            elif code in codes:
                self.answer.setdefault(code, header)

    def answers(self, row: Mapping[str, Any]) -> dict[str, Any]:
        found = {code: _cell(row.get(header)) for code, header in self.answer.items()}
        for code, columns in self.choice_columns.items():
            if found.get(code) not in (None, ""):
                continue
            picked = [
                choice
                for choice, header in columns.items()
                if str(row.get(header) or "").strip() in {"1", "1.0", "True", "true"}
            ]
            if picked:
                found[code] = " ".join(picked)
        return found


def _top_codes(instrument: Instrument) -> set[str]:
    codes: set[str] = set()
    for _, repeat, question in instrument.iter_questions():
        if repeat is None:
            codes.update(question.answer_codes)
    return codes


def _repeats(instrument: Instrument) -> dict[str, Question]:
    return {q.code: q for _, _, q in instrument.iter_questions() if q.kind is QuestionKind.REPEAT}


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{path.name}: not UTF-8 text"
        raise ResponseDataError(msg, hint=_HINT) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [dict(row) for row in reader]


def _read_xlsx(path: Path) -> dict[str, list[dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        msg = f"{path.name}: not an XLSX workbook ({type(exc).__name__})"
        raise ResponseDataError(msg, hint=_HINT) from exc
    sheets: dict[str, list[dict[str, Any]]] = {}
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header_row = next(rows, None)
            if header_row is None:
                sheets[sheet.title] = []
                continue
            headers = ["" if h is None else str(h) for h in header_row]
            sheets[sheet.title] = [
                dict(zip(headers, values, strict=False))
                for values in rows
                if any(v not in (None, "") for v in values)
            ]
    finally:
        workbook.close()
    return sheets


def read_export(
    path: Path,
    instrument: Instrument,
    *,
    round: str,  # noqa: A002
    subject: str | None = None,
    deployment: str | None = None,
) -> Iterator[Response]:
    """Responses from a KoboToolbox CSV or XLSX export of ``instrument``."""
    if not path.exists():
        msg = f"{path}: no such file"
        raise ResponseDataError(msg)
    repeat_rows: dict[str, list[dict[str, Any]]] = {}
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        sheets = _read_xlsx(path)
        if not sheets:
            msg = f"{path.name}: the workbook has no sheets"
            raise ResponseDataError(msg, hint=_HINT)
        main_rows = next(iter(sheets.values()))
        repeats = _repeats(instrument)
        for title, rows in list(sheets.items())[1:]:
            # KPI names a repeat's sheet after the repeat (cut to 31 characters).
            for code in repeats:
                if title == code[:31] or _code(title) == code:
                    repeat_rows[code] = rows
    else:
        main_rows = _read_csv(path)
    if not main_rows:
        return
    codes = _top_codes(instrument)
    columns = _Columns(list(main_rows[0]), instrument, codes)
    if not columns.answer and not columns.choice_columns:
        msg = f"{path.name}: no column is named after a question of {instrument.id}"
        raise ResponseDataError(msg, hint=_HINT)
    grouped = _group_repeats(instrument, repeat_rows)
    for number, row in enumerate(main_rows, start=2):
        if is_not_approved(row):
            continue
        answers = columns.answers(row)
        index = str(row.get("_index") or "").removesuffix(".0")
        for code, by_parent in grouped.items():
            items = by_parent.get(index)
            if items:
                answers[code] = items
        ident = response_id({k: str(v) for k, v in row.items() if v not in (None, "")})
        if not ident:
            ident = f"{path.name}:{number}"
        yield build_response(
            instrument,
            answers,
            response_id=ident,
            submitted_at=submitted_at(
                {"_submission_time": _cell(row.get("_submission_time")), "end": row.get("end")}
            ),
            round=round,
            subject=subject,
            deployment=deployment,
            platform="kobotoolbox",
        )


def _group_repeats(
    instrument: Instrument, repeat_rows: dict[str, list[dict[str, Any]]]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    repeats = _repeats(instrument)
    for code, rows in repeat_rows.items():
        if not rows:
            continue
        inner = {c for q in repeats[code].questions or () for c in q.answer_codes}
        columns = _Columns(list(rows[0]), instrument, inner)
        by_parent: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            parent = str(row.get("_parent_index") or "").removesuffix(".0")
            item = {k: v for k, v in columns.answers(row).items() if v not in (None, "")}
            if item:
                by_parent.setdefault(parent, []).append(item)
        grouped[code] = by_parent
    return grouped


__all__ = ["read_export"]
