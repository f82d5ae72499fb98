"""The report's own words in the reader's language: gettext catalogues, compiled by Babel.

The catalogues live in ``coprod_connectors/locale/<lang>/LC_MESSAGES/coprod-report.mo``
(compiled from the ``.po`` beside it, both committed, so the wheel needs nothing
at run time but the standard library). English is the source language: its
words are the message ids. A third language is one more ``.po`` file (see
``babel.cfg`` and the README), not code.

A text that has no translation yet falls back to English and is marked as such
(:class:`Said` carries its language), so that the HTML can say ``lang="en"`` and
a screen reader switches voice.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from coprod_connectors.errors import ConfigError

DOMAIN = "coprod-report"
SOURCE_LANGUAGE = "en"


def locale_dir() -> Path:
    return Path(str(resources.files("coprod_connectors"))) / "locale"


def report_languages() -> list[str]:
    """English, then every language with a compiled catalogue, sorted."""
    found = {
        p.parent.parent.name for p in locale_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.mo") if p.is_file()
    }
    return [SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE})]


@dataclass(frozen=True)
class Said:
    """A text and the language it is really in (English when a translation is missing).

    ``own`` is true only for the project's own words (a catalogue text, a built-in
    instrument's label): grammar may change their first letter after a conjunction
    (:mod:`coprod_connectors.report.grammar`). Codes and anyone's free text keep
    the default, false, and are always shown as given.
    """

    text: str
    lang: str
    own: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return self.text


class Words:
    """The report's words in one language: ``_()``, ``ngettext()`` and :meth:`said`."""

    def __init__(self, lang: str) -> None:
        if lang not in report_languages():
            msg = f"no report words in {lang!r}; the report speaks {', '.join(report_languages())}"
            raise ConfigError(msg)
        self.lang = lang
        self.translations: gettext.NullTranslations = _translations(lang)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def said(self, message: str) -> Said:
        """``message`` translated, or in English (and marked so) when there is no translation."""
        if self.lang == SOURCE_LANGUAGE or not message:
            return Said(message, SOURCE_LANGUAGE, own=True)
        found = self.translations.gettext(message)
        return Said(found, self.lang if found != message else SOURCE_LANGUAGE, own=True)


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    with (locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as handle:
        return gettext.GNUTranslations(handle)


@cache
def words(lang: str = SOURCE_LANGUAGE) -> Words:
    return Words(lang)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, translate later")
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


__all__ = ["DOMAIN", "N_", "Said", "Words", "locale_dir", "report_languages", "words"]
