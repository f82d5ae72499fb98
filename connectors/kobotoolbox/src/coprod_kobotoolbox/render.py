"""The two renderings of one :class:`~coprod_kobotoolbox.xlsform.XLSForm`.

- :func:`kpi_content`: the asset ``content`` KPI's API v2 takes and stores
  (translated columns as lists, in the order of ``translations``);
- :func:`xlsx_bytes`: an ``.xlsx`` workbook to upload by hand to KoboToolbox
  (or any ODK tool), with ``label::English (en)``-style columns.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from typing import Any

from coprod_kobotoolbox.xlsform import XLSForm

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_MEDIA_TYPE = "application/json"

#: XLSForm settings KPI replaces with its own on deploy (it versions every save).
_KPI_OWN_SETTINGS = frozenset({"version", "form_id"})


def _expand(row: dict[str, str], translations: list[str], translated: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if "::" in key:
            base, lang = key.rsplit("::", 1)
            cells = out.setdefault(base, [None] * len(translations))
            cells[translations.index(lang)] = value
            translated.add(base)
        elif key == "required":
            out[key] = value == "yes"
        else:
            out[key] = value
    return out


def kpi_content(form: XLSForm) -> dict[str, Any]:
    """The KPI asset content: ``survey``, ``choices``, ``settings``, ``translations``."""
    translations = form.translations
    translated: set[str] = set()
    survey = [_expand(row, translations, translated) for row in form.survey]
    choices = [_expand(row, translations, translated) for row in form.choices]
    settings: dict[str, Any] = {
        key: value for key, value in form.settings.items() if key not in _KPI_OWN_SETTINGS
    }
    # KPI's name for the form id; it deploys under the asset uid but keeps this setting.
    settings["id_string"] = form.settings["form_id"]
    return {
        "schema": "1",
        "survey": survey,
        "choices": choices,
        "settings": settings,
        "translations": translations,
        "translated": sorted(translated),
    }


def xlsx_bytes(form: XLSForm) -> bytes:
    """The XLSForm as an ``.xlsx`` workbook (every cell a text cell, never a formula)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheets = [
        ("survey", form.columns("survey"), form.survey),
        ("choices", form.columns("choices"), form.choices),
        ("settings", list(form.settings), [form.settings]),
    ]
    first = True
    for title, columns, rows in sheets:
        if first:
            sheet = workbook.active
            sheet.title = title
            first = False
        else:
            sheet = workbook.create_sheet(title)
        sheet.append(columns)
        for r, row in enumerate(rows, start=2):
            for c, column in enumerate(columns, start=1):
                value = row.get(column)
                if value is None or value == "":
                    continue
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                # A text starting with '=' must stay text: never a formula.
                cell.data_type = "s"
    workbook.properties.created = _FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _without_timestamps(buffer.getvalue())


_FIXED_TIME = datetime(2020, 1, 1, tzinfo=timezone.utc).replace(tzinfo=None)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _without_timestamps(data: bytes) -> bytes:
    """The same workbook with fixed zip and document times: one instrument, one file."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>2020-01-01T00:00:00Z\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, content)
    return out.getvalue()


__all__ = ["JSON_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "kpi_content", "xlsx_bytes"]
