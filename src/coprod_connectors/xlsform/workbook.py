"""An :class:`~coprod_connectors.xlsform.form.XLSForm` as an ``.xlsx`` workbook: the file
any XLSForm platform takes, or a person uploads by hand,
with ``label::English (en)``-style columns. The same instrument always gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone

from coprod_connectors.xlsform.form import XLSForm

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


__all__ = ["XLSX_MEDIA_TYPE", "xlsx_bytes"]
