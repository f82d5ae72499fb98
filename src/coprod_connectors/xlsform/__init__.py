"""XLSForm, the form standard that several survey platforms share: an instrument as XLSForm
rows (:mod:`.form`) and those rows as an ``.xlsx``
workbook (:mod:`.workbook`). Shared by every XLSForm connector; it names no platform.
"""

from coprod_connectors.xlsform.form import (
    IMAGE_MAX_PIXELS,
    LANGUAGE_FIELD,
    XLSFORM_RESERVED,
    XLSForm,
    build_xlsform,
    is_generated_name,
    language_column,
)
from coprod_connectors.xlsform.workbook import XLSX_MEDIA_TYPE, xlsx_bytes

__all__ = [
    "IMAGE_MAX_PIXELS",
    "LANGUAGE_FIELD",
    "XLSFORM_RESERVED",
    "XLSX_MEDIA_TYPE",
    "XLSForm",
    "build_xlsform",
    "is_generated_name",
    "language_column",
    "xlsx_bytes",
]
