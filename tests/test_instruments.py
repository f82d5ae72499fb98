"""The instrument model, the loader and the built-in instruments."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from coprod_connectors.errors import InstrumentError
from coprod_connectors.instruments import (
    BUILTIN_IDS,
    Instrument,
    QuestionKind,
    builtin_instrument,
    load_instrument,
    parse_instrument,
)

DATA = Path(__file__).parent / "data" / "instruments"
BROKEN = DATA / "broken"

# file -> (field path in the message, words the message must contain)
BROKEN_CASES: dict[str, tuple[str, str]] = {
    "bad-instrument-id": ("id", "lowercase letters, digits and hyphens"),
    "choice-code-too-long": ("sections[0].questions[0].choices[1].code", "at most 5"),
    "choices-on-text": ("sections[0].questions[2]", "cannot have choices"),
    "code-starts-with-digit": ("sections[0].questions[0].code", "starting with a letter"),
    "code-too-long": ("sections[0].questions[2].code", "at most 20"),
    "code-underscore": ("sections[0].questions[2].code", "letters and digits only"),
    "code-with-space": ("sections[0].questions[1].code", "'stage 1' must be letters and digits"),
    "duplicate-choice-code": ("sections[0].questions[0].choices[1].code", "already used"),
    "duplicate-question-code": ("sections[0].questions[2].code", "already used"),
    "empty": ("", "the file is empty"),
    "matrix-without-rows": ("sections[0].questions[1]", "every matrix question needs them"),
    "min-above-max": ("sections[0].questions[2]", "min (200) is greater than max (100)"),
    "missing-choices": ("sections[0].questions[1]", "needs either choices or choice_list"),
    "missing-title": ("title", "is required but missing"),
    "missing-translation": ("title", "missing a translation for cy"),
    "not-a-mapping": ("", "not a mapping"),
    "relevance-later-question": ("sections[0].questions[1].relevant", "not an earlier question"),
    "relevance-unknown-choice": ("sections[0].questions[2].relevant", "has no choice 'maybe'"),
    "relevance-unknown-question": ("sections[0].questions[2].relevant", "'wasPaid'"),
    "repeat-without-max": ("sections[0].questions[3]", "a repeat needs questions and max_count"),
    "unknown-choice-list": ("sections[0].questions[1].choice_list", "no choice list named 'yesNo'"),
    "unknown-field": ("sections[0].questions[2].minimum", "is not a field here"),
    "unknown-language-text": ("choice_lists.yesno[1].label", "not in languages"),
    "wrong-kind": ("sections[0].questions[2].kind", "'single_choice'"),
    "wrong-type-min": ("sections[0].questions[2].min", "valid integer"),
    "yaml-duplicate-key": ("", "found the key 'min' twice"),
    "yaml-syntax-bad-indent": ("", "YAML syntax error"),
    "yaml-syntax-unclosed": ("", "YAML syntax error"),
    "yes-as-choice-code": ("choice_lists.yesno[0].code", "put the code in quotes"),
}


def test_every_broken_file_has_an_expectation() -> None:
    on_disk = {p.stem for p in BROKEN.glob("*.yaml")}
    assert on_disk == set(BROKEN_CASES)
    assert len(on_disk) >= 15


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_broken_instrument_is_rejected_with_field_and_line(name: str) -> None:
    path, words = BROKEN_CASES[name]
    with pytest.raises(InstrumentError) as caught:
        load_instrument(BROKEN / f"{name}.yaml")
    message = str(caught.value)
    first = message.splitlines()[0]
    assert first.startswith(f"{name}.yaml")
    assert words in message
    if path:
        assert f": {path}: " in message
    if name not in {"empty", "not-a-mapping"}:
        # every problem names a line of the file
        assert all(p.line is not None for p in caught.value.problems)


def test_small_instrument_loads() -> None:
    instrument = load_instrument(DATA / "small.yaml")
    assert instrument.id == "small-test"
    assert instrument.answer_codes() == ["role", "paid", "howMuch"]
    assert instrument.question("howMuch").kind is QuestionKind.INTEGER


def test_missing_file_names_the_built_ins(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match=r"no such file.*self-reflection"):
        load_instrument(tmp_path / "nope.yaml")


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("title: {en: caf\xe9}".encode("latin-1"))
    with pytest.raises(InstrumentError, match="not UTF-8"):
        load_instrument(bad)


def test_model_rejects_semantic_errors_when_built_in_python() -> None:
    data = {
        "id": "x",
        "version": "1",
        "languages": ["en"],
        "title": {"en": "X"},
        "sections": [
            {
                "code": "s",
                "title": {"en": "S"},
                "questions": [
                    {"code": "a", "kind": "short_text", "label": {"en": "A"}},
                    {"code": "A", "kind": "short_text", "label": {"en": "A again"}},
                ],
            }
        ],
    }
    with pytest.raises(ValidationError, match="problem"):
        Instrument.model_validate(data)


def test_all_problems_are_reported_at_once() -> None:
    text = (DATA / "small.yaml").read_text().replace("languages: [en]", "languages: [en, cy]")
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(text, source="t.yaml")
    assert len(caught.value.problems) > 5


# --- built-ins ------------------------------------------------------------------

COMMON = ["role", "subject", "level"]
PRINCIPLES = ["assets", "work", "recip", "network"]


@pytest.mark.parametrize("instrument_id", BUILTIN_IDS)
def test_builtin_validates_and_starts_with_common_questions(instrument_id: str) -> None:
    instrument = builtin_instrument(instrument_id)
    assert instrument.id == instrument_id
    assert instrument.answer_codes()[:3] == COMMON
    assert instrument.attribution
    assert instrument.languages[0] == "en"
    role = instrument.question("role")
    assert [c.code for c in instrument.choices_for(role)] == [
        "user",
        "carer",
        "staff",
        "mgr",
        "board",
        "comm",
        "nosay",
    ]
    level = instrument.question("level")
    assert [c.code for c in instrument.choices_for(level)] == ["pers", "serv", "strat"]


def test_self_reflection_codes_are_the_contract() -> None:
    instrument = builtin_instrument("self-reflection")
    expected = [*COMMON]
    for p in PRINCIPLES:
        expected += [f"{p}Stage", f"{p}Evid", f"{p}Audio", f"{p}Photo", f"{p}Rag", f"{p}Ideas"]
    expected += ["actions", "actWhat", "actWho", "actWhen", "actHow", "actPrin"]
    assert instrument.answer_codes() == expected
    actions = instrument.question("actions")
    assert actions.kind is QuestionKind.REPEAT
    assert actions.max_count == 3
    assert instrument.question("actWhen").kind is QuestionKind.DATE
    assert instrument.question("assetsAudio").kind is QuestionKind.AUDIO
    assert instrument.question("assetsPhoto").kind is QuestionKind.IMAGE


@pytest.mark.parametrize("principle", PRINCIPLES)
def test_every_principle_has_all_four_stages_described(principle: str) -> None:
    instrument = builtin_instrument("self-reflection")
    stage = instrument.question(f"{principle}Stage")
    choices = instrument.choices_for(stage)
    assert [c.code for c in choices] == ["1", "2", "3", "4"]
    for choice in choices:
        assert choice.description is not None
        assert choice.details is not None
        # short enough to scan on a phone, with the longer text one tap away
        assert len(choice.description["en"].split()) <= 25, choice.description
        whole = f"{choice.description['en']} {choice.details['en']}"
        assert len(whole.split()) >= 12, whole
    rag = instrument.choices_for(instrument.question(f"{principle}Rag"))
    assert [c.code for c in rag] == ["red", "amber", "green"]
    # a word, never colour alone
    assert all(len(c.label["en"].split()) > 1 for c in rag)


def test_stage_descriptions_differ_between_principles() -> None:
    instrument = builtin_instrument("self-reflection")
    descriptions = {
        c.description["en"]
        for p in PRINCIPLES
        for c in instrument.choices_for(instrument.question(f"{p}Stage"))
        if c.description
    }
    assert len(descriptions) == 16


def test_checklist_codes_are_the_contract() -> None:
    instrument = builtin_instrument("checklist")
    codes = instrument.answer_codes()[3:]
    for letter in "dear":
        rows = [c for c in codes if c[0] == letter and c[1:].isdigit()]
        assert 4 <= len(rows) <= 5
        assert rows == [f"{letter}{i}" for i in range(1, len(rows) + 1)]
    assert [c for c in codes if c.startswith("k")] == [f"k{i}" for i in range(1, 9)]
    for code in codes:
        question = instrument.question(code)
        assert [c.code for c in instrument.choices_for(question)] == ["agree", "part", "dis", "dk"]


def test_ladder_check_codes_are_the_contract() -> None:
    instrument = builtin_instrument("ladder-check")
    assert instrument.answer_codes() == [
        *COMMON,
        "project",
        "ideaInv",
        "designInv",
        "delivInv",
        "reviewInv",
        "early",
        "reward",
        "access",
        "feedback",
    ]
    inv = instrument.choices_for(instrument.question("ideaInv"))
    assert [c.code for c in inv] == ["0", "1", "2", "3", "4"]
    yesno = instrument.choices_for(instrument.question("early"))
    assert [c.code for c in yesno] == ["y", "n"]


# --- a second language end to end ----------------------------------------------------


def test_bilingual_instrument_has_every_text_in_welsh() -> None:
    instrument = load_instrument(DATA / "bilingual.yaml")
    assert instrument.languages == ["en", "cy"]
    texts = [instrument.title]
    for _, _, question in instrument.iter_questions():
        texts.append(question.label)
        texts.extend(c.label for c in instrument.choices_for(question))
    assert all(t["cy"] and t["cy"] != t["en"] for t in texts)


def test_relevance_describes_itself() -> None:
    instrument = load_instrument(DATA / "small.yaml")
    relevant = instrument.question("howMuch").relevant
    assert relevant is not None
    assert relevant.describe() == "paid is y"


@pytest.mark.parametrize(
    "name",
    [
        "instruments/builtin/self-reflection.yaml",
        "instruments/builtin/checklist.yaml",
        "instruments/builtin/ladder-check.yaml",
        "ladders/five-rung.yaml",
        "ladders/seven-rung.yaml",
    ],
)
def test_own_files_read_the_same_by_either_parser(name: str) -> None:
    """The package's own YAML (read by libyaml where there is one) gives the same data and
    the same node tree (lines for error messages) as PyYAML's parser gives."""
    from importlib import resources

    from coprod_connectors.instruments.loader import load_yaml

    text = (resources.files("coprod_connectors") / name).read_text(encoding="utf-8")
    plain_root, plain = load_yaml(text)
    quick_root, quick = load_yaml(text, ours=True)
    assert quick == plain
    assert plain_root is not None
    assert quick_root is not None
    assert quick_root.start_mark.line == plain_root.start_mark.line
    assert [k.start_mark.line for k, _ in quick_root.value] == [
        k.start_mark.line for k, _ in plain_root.value
    ]


@pytest.mark.parametrize("ours", [False, True])
def test_either_parser_refuses_a_key_twice(ours: bool) -> None:
    import yaml

    from coprod_connectors.instruments.loader import load_yaml

    with pytest.raises(yaml.YAMLError, match="found the key 'a' twice"):
        load_yaml("a: 1\nb: 2\na: 3\n", ours=ours)


def test_yaml_from_outside_nested_very_deep_is_refused_not_a_crash() -> None:
    """libyaml's parser (used for the package's own files only) crashes the process on
    text nested a hundred thousand levels deep; a file from outside never reaches it."""
    from coprod_connectors.instruments.loader import YamlTooBigError, load_yaml

    with pytest.raises(YamlTooBigError):
        load_yaml("[" * 100_000 + "]" * 100_000)
