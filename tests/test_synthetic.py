"""The one synthetic answer generator: seeded, valid for any instrument, relevance-aware."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from coprod_connectors.instruments import Instrument, builtin_instruments, load_instrument
from coprod_connectors.instruments.model import QuestionKind
from coprod_connectors.responses import build_response
from coprod_connectors.synthetic import TEXTS, holds, random_answers

DATA = Path(__file__).parent / "data" / "instruments"
INSTRUMENTS = [*builtin_instruments(), load_instrument(DATA / "bilingual.yaml")]


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
def test_the_same_seed_gives_the_same_answers(instrument: Instrument) -> None:
    for seed in (0, 7, "kpi/self-reflection/3"):
        assert random_answers(instrument, seed) == random_answers(instrument, seed)
        assert random_answers(instrument, seed) == random_answers(instrument, random.Random(seed))
    assert len({repr(random_answers(instrument, s)) for s in range(20)}) > 10


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
@pytest.mark.parametrize("media", [True, False])
def test_answers_are_valid_and_respect_relevance(instrument: Instrument, media: bool) -> None:
    when = datetime(2026, 5, 1, tzinfo=timezone.utc)
    repeats = 0
    for seed in range(60):
        answers = random_answers(instrument, seed, mark=" #1", media=media)
        response = build_response(
            instrument, answers, response_id=str(seed), submitted_at=when, round="2026-H1"
        )
        assert response.flags == [], response.flags
        for section in instrument.sections:
            for question in section.questions:
                shown = holds(section.relevant, answers) and holds(question.relevant, answers)
                codes = question.answer_codes
                if not shown:
                    assert not any(code in answers for code in codes), question.code
                elif question.required:
                    assert all(code in answers for code in codes), question.code
                if question.kind is QuestionKind.REPEAT and question.code in answers:
                    repeats += 1
                    assert 1 <= len(answers[question.code]) <= (question.max_count or 1)
                if question.kind in {QuestionKind.AUDIO, QuestionKind.IMAGE} and not media:
                    assert not str(answers.get(question.code, "")).endswith((".m4a", ".jpg"))
    has_repeat = any(q.kind is QuestionKind.REPEAT for _, _, q in instrument.iter_questions())
    assert repeats > 0 or not has_repeat


def test_texts_carry_the_mark_and_picks_are_used() -> None:
    instrument = load_instrument(DATA / "bilingual.yaml")
    texts = [
        q.code
        for _, repeat, q in instrument.iter_questions()
        if repeat is None and q.kind in {QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT}
    ]
    assert texts
    seen = set()
    for seed in range(40):
        answers = random_answers(instrument, seed, mark=" #@@N@@", pick={texts[0]: ["only"]})
        assert answers.get(texts[0], "only") == "only"
        for code in texts[1:]:
            if code in answers:
                assert answers[code].endswith(" #@@N@@")
                seen.add(answers[code].removesuffix(" #@@N@@"))
    assert seen <= set(TEXTS)
