"""The report's gettext catalogues: complete, up to date, compiled, and the CLI's --lang.

The catalogue template (``locale/coprod-report.pot``) is made by ``pybabel extract``
with ``babel.cfg``; each language's ``.po`` is translated by a person and compiled to
the ``.mo`` the wheel carries (see README, "Translating the report").
"""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from coprod_connectors.report.i18n import DOMAIN, locale_dir, report_languages

ROOT = Path(__file__).parents[1]
KEYWORDS = {**DEFAULT_KEYWORDS, "n_": (1, 2)}
FIELDS = re.compile(r"\{\w+\}|%\(\w+\)[sd]")


def extracted() -> list[tuple[str | tuple[str, ...], str | None]]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return [
        (message, context)
        for _, _, message, _, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS
        )
    ]


def key(message: str | tuple[str, ...]) -> str:
    return message if isinstance(message, str) else message[0]


def test_the_template_has_every_message_of_the_code() -> None:
    found = {(key(m), c) for m, c in extracted()}
    with (locale_dir() / f"{DOMAIN}.pot").open("rb") as handle:
        template = {(key(m.id), m.context) for m in read_po(handle) if m.id}
    assert found == template, "run pybabel extract (README, 'Translating the report')"


def test_no_message_is_both_plain_and_plural() -> None:
    # gettext("Round") does not find a plural entry "Round"/"Rounds": it would stay English
    messages = extracted()
    plain = {m for m, _ in messages if isinstance(m, str)}
    plural = {m[0] for m, _ in messages if not isinstance(m, str)}
    assert plain & plural == set()


@pytest.mark.parametrize("lang", [x for x in report_languages() if x != "en"])
def test_catalogue_is_complete_and_compiled(lang: str) -> None:
    with (locale_dir() / f"{DOMAIN}.pot").open("rb") as handle:
        template = {(key(m.id), m.context) for m in read_po(handle) if m.id}
    po_path = locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    translated = {(key(m.id), m.context): m for m in catalog if m.id}
    assert set(translated) == template
    for (msgid, _), message in translated.items():
        assert not message.fuzzy, msgid
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {msgid}"
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, msgid
        wanted = set(FIELDS.findall(msgid))
        for text in strings:
            assert set(FIELDS.findall(text)) == wanted, (msgid, text)
    # the committed .mo is the .po compiled
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    fresh = gettext.GNUTranslations(compiled)
    with (po_path.with_suffix(".mo")).open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    assert fresh._catalog == shipped._catalog, "run pybabel compile"  # type: ignore[attr-defined]
