"""How the report joins names with "and" in its language: the one place for the rule.

English needs nothing: "A, B and C". Welsh changes the words on either side of
its "and":

- before a vowel (a, e, i, o, u, w, y, with or without an accent: â, ê, î, ô,
  û, ŵ, ŷ, á, ...) "a" becomes "ac": "cyfnodau ac egwyddorion"; the catalogue
  holds that word (``pgettext("before a vowel", "and")``), so a third language
  with such a form is a translation, not code;
- after "a" the next word takes the aspirate mutation (*treiglad llaes*):
  c → ch, p → ph, t → th, keeping its capital: "staff a phobl eraill",
  "Y syniad a Chyflawni", "a Thîm". A word that already starts with ch, ph or
  th (each one letter in Welsh) is left as it is: "a Chwarae".

Only the word right after the conjunction changes, and only when it is the
project's own word in the report's language (:attr:`Said.own`: a catalogue
text or a built-in instrument's label). Codes, English fallbacks, quoted
statements and anyone's free text are shown exactly as given; so is a word
that starts with a digit or any other non-letter, and a word written all in
capitals (an acronym, e.g. "CAMHS").

The report joins no list with "or" (Welsh "neu", which takes the soft
mutation); the "neu" in its sentences is the translator's, already mutated.
A list joined with "or" would need its rule here too.

TRANSLATORS: this rule was written by a non-Welsh speaker from the grammar
books; a Welsh speaker should review it (and :func:`aspirate`'s tests in
``tests/test_report_grammar.py``), in particular "ac" before a consonantal w
("a Wrecsam"?), "a" + the article ("a'r" for "a + y/yr", not handled: the
labels keep their own "Y"), and numbers said with a vowel ("ac 8" = "ac wyth";
digits get "a" today).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from coprod_connectors.report.i18n import Said, Words

#: The letters Welsh counts as vowels, before any accent is taken off.
WELSH_VOWELS = frozenset("aeiouwy")
#: The letters the aspirate mutation changes (by an "h" after them).
_ASPIRATE = frozenset("cpt")


def starts_with_vowel(text: str) -> bool:
    """Whether ``text`` starts with a Welsh vowel (a, e, i, o, u, w, y), accented or not."""
    if not text:
        return False
    base = unicodedata.normalize("NFD", text[0])[0].lower()
    return base in WELSH_VOWELS


def aspirate(word: str) -> str:
    """``word`` after Welsh "a" (and): the aspirate mutation, c/p/t → ch/ph/th.

    The capital is kept ("Cyflawni" → "Chyflawni", "Pobl" → "Phobl", "Tîm" →
    "Thîm"); a word that already starts with ch, ph or th, a word that starts
    with anything but c, p or t (a digit, a quote, another letter), and a word
    in capitals (an acronym) come back unchanged.
    """
    first = word[:1]
    if first.lower() not in _ASPIRATE or word[1:2].lower() == "h":
        return word
    head = word.split(" ", 1)[0]
    letters = [c for c in head if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return word
    return first + "h" + word[1:]


#: The change "and" makes to the word after it, by report language.
MUTATION_AFTER_AND: dict[str, Callable[[str], str]] = {"cy": aspirate}


def and_before(words: Words, name: Said | str) -> tuple[str, Said | str]:
    """The report's "and" before ``name``, and ``name`` as it reads after it.

    The conjunction is the catalogue's ("and", or its "before a vowel" form);
    the name changes only when it is a :class:`Said` that is the project's own
    word in the report's language (see the module's docstring for the rule);
    plain text (a quote mark, a sentence's own words) is never changed.
    """
    if starts_with_vowel(str(name)):
        conjunction = words.pgettext("before a vowel", "and")
    else:
        conjunction = words.gettext("and")
    mutate = MUTATION_AFTER_AND.get(words.lang)
    if mutate is None or not isinstance(name, Said) or not name.own or name.lang != words.lang:
        return conjunction, name
    return conjunction, Said(mutate(name.text), name.lang, own=True)


__all__ = ["MUTATION_AFTER_AND", "WELSH_VOWELS", "and_before", "aspirate", "starts_with_vowel"]
