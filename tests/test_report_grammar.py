"""Joining names with "and": Welsh "ac" before a vowel and the aspirate mutation after "a"."""

from __future__ import annotations

from functools import cache

import pytest

from coprod_connectors.ladder import load_ladder
from coprod_connectors.report import render
from coprod_connectors.report.explain import Explainer
from coprod_connectors.report.grammar import and_before, aspirate, starts_with_vowel
from coprod_connectors.report.i18n import Said, words
from coprod_connectors.report.labels import Labels
from coprod_connectors.scoring import Results, score
from coprod_connectors.synthetic import demo_responses


@pytest.mark.parametrize(
    ("word", "after"),
    [
        ("cyflawni", "chyflawni"),
        ("Cyflawni", "Chyflawni"),
        ("pobl eraill", "phobl eraill"),
        ("Pobl", "Phobl"),
        ("tîm", "thîm"),
        ("Tîm", "Thîm"),
        ("T", "Th"),
        # already ch, ph, th: one letter each in Welsh, never mutated again
        ("Chwarae", "Chwarae"),
        ("chwarae", "chwarae"),
        ("Phencadlys", "Phencadlys"),
        ("theatr", "theatr"),
        ("THEATR", "THEATR"),
        # other letters take no aspirate mutation
        ("staff", "staff"),
        ("Rhwydweithiau", "Rhwydweithiau"),
        ("dylunio", "dylunio"),
        ("Adolygu", "Adolygu"),
        ("ŵyr", "ŵyr"),
        # a digit, a quote, a bracket, a space, nothing: left alone
        ("3 cham", "3 cham"),
        ("“Pobl”", "“Pobl”"),
        ("(cyflawni)", "(cyflawni)"),
        (" cyflawni", " cyflawni"),
        ("", ""),
        # capitals only: an acronym, left as written
        ("CAMHS", "CAMHS"),
        ("TGAU a mwy", "TGAU a mwy"),
        # only the first word changes
        ("pobl a thimau", "phobl a thimau"),
        ("cyngor, pobl", "chyngor, pobl"),
    ],
)
def test_aspirate_mutation(word: str, after: str) -> None:
    assert aspirate(word) == after


@pytest.mark.parametrize(
    "word",
    [
        *("adolygu", "Egwyddor", "iaith", "Oedolion", "uned", "wythnos", "Ymgynghori"),
        *("ŵyr", "Ŷd", "âr", "êl", "îs", "ôl", "ûn", "Éire", "àla", "ïon"),
    ],
)
def test_vowels_including_w_y_and_accents(word: str) -> None:
    assert starts_with_vowel(word)


@pytest.mark.parametrize("word", ["hanner", "pobl", "Rhoi", "1 cam", "“ateb”", "", "-a"])
def test_not_vowels(word: str) -> None:
    assert not starts_with_vowel(word)


def test_and_before_in_welsh() -> None:
    cy = words("cy")
    own = Said("pobl eraill", "cy", own=True)
    assert and_before(cy, own) == ("a", Said("phobl eraill", "cy"))
    assert and_before(cy, Said("Adolygu", "cy", own=True)) == ("ac", Said("Adolygu", "cy"))
    assert and_before(cy, Said("ŵyr", "cy", own=True)) == ("ac", Said("ŵyr", "cy"))
    # a code or anyone's free text (not the project's own word) is shown as given
    assert and_before(cy, Said("pobl eraill", "cy")) == ("a", Said("pobl eraill", "cy"))
    assert and_before(cy, "pobl") == ("a", "pobl")
    # an English fallback inside a Welsh sentence keeps its English spelling
    fallback = Said("Planning", "en", own=True)
    assert str(and_before(cy, fallback)[1]) == "Planning"
    assert and_before(cy, Said("Ideas", "en", own=True))[0] == "ac"


def test_and_before_in_english_changes_nothing() -> None:
    en = words("en")
    for text in ("people", "Other people", "Delivery", "everyone", "tasks"):
        said = Said(text, "en", own=True)
        word, after = and_before(en, said)
        assert word == "and"
        assert after is said


def _explainer(lang: str) -> Explainer:
    return Explainer(Labels(words(lang), load_ladder("five-rung")))


def test_joined_lists_in_welsh() -> None:
    cy = _explainer("cy")
    labels = cy.labels
    groups = cy.join([labels.group_in_sentence(g) for g in ("lived", "staff", "other")])
    assert str(groups) == "pobl â phrofiad bywyd, staff a phobl eraill"
    assert str(cy.join([labels.phase("idea"), labels.phase("deliv")])) == "Y syniad a Chyflawni"
    assert str(cy.join([labels.phase("deliv"), labels.phase("design")])) == (
        "Cyflawni a Chynllunio a dylunio"
    )
    assert str(cy.join([labels.phase("idea"), labels.phase("review")])) == "Y syniad ac Adolygu"
    # a code the labels do not know is never mutated
    assert str(cy.join([labels.phase("idea"), labels.phase("cost")])) == "Y syniad a cost"
    # a quoted statement starts with its quote mark: nothing to mutate
    quoted = cy.join([labels.phase("idea"), Said("“Pobl”", "cy", own=True)])
    assert str(quoted) == "Y syniad a “Pobl”"


def test_joined_lists_in_english() -> None:
    en = _explainer("en")
    labels = en.labels
    groups = en.join([labels.group_in_sentence(g) for g in ("lived", "staff", "other")])
    assert str(groups) == "people with lived experience, staff and other people"
    assert str(en.join([labels.phase("idea"), labels.phase("deliv")])) == "The idea and Delivery"


@cache
def _demo() -> Results:
    return score(demo_responses())


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_the_welsh_demo_report_mutates_after_and(fmt: str) -> None:
    report = " ".join(render(_demo(), fmt, lang="cy").split())  # the text report wraps lines
    for wrong in ("a pobl eraill", "a Cyflawni", "a Cynllunio"):
        assert wrong not in report, wrong
    assert "a phobl eraill" in report
    assert "Y syniad a Chyflawni" in report
    if fmt != "text":  # the action plans: respondents' own words, shown as they wrote them
        assert "Set up a peer support group" in report
