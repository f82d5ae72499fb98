"""The two renderings of one XLSForm (the core's shared :class:`XLSForm`).

- :func:`kpi_content`: the asset ``content`` KPI's API v2 takes and stores
  (translated columns as lists, in the order of ``translations``);
- ``xlsx_bytes``: the core's ``.xlsx`` workbook, to upload by hand to
  KoboToolbox (or any ODK tool), with ``label::English (en)``-style columns.
"""

from __future__ import annotations

from typing import Any

from coprod_connectors import XLSX_MEDIA_TYPE, XLSForm, xlsx_bytes

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


__all__ = ["JSON_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "kpi_content", "xlsx_bytes"]
