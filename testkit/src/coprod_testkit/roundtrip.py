"""What the connectors' round-trip tests share: the answers a phone gives, and the checks
that what a platform sent back is what was given and scores the same.

- :func:`sample_answers`: deterministic answers for respondent ``n`` (relevance
  respected, as a phone does), with the hostile text the tests want escaped;
- :func:`expected_answers`: those answers as a response holds them;
- :func:`responses_by_id`: the responses in pulled pages, by response id;
- :func:`assert_same_scores`: the pulled responses score exactly as the same answers
  scored directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from coprod_connectors import Instrument, Page, QuestionKind, Response, build_response
from coprod_connectors.responses import normalise_answers
from coprod_connectors.scoring import score
from coprod_connectors.synthetic import holds


def sample_answers(
    instrument: Instrument, n: int, *, media: bool = False, roles: list[str] | None = None
) -> dict[str, Any]:
    """Deterministic answers for respondent ``n``; respects relevance like a phone."""
    answers: dict[str, Any] = {}

    def value(code: str, kind: QuestionKind, i: int, choices: list[str], q: Any) -> Any:
        if kind in {QuestionKind.SINGLE_CHOICE, QuestionKind.MATRIX}:
            return choices[(n + i) % len(choices)]
        if kind is QuestionKind.MULTIPLE_CHOICE:
            return [choices[(n + i) % len(choices)], choices[(n + i + 1) % len(choices)]]
        if kind is QuestionKind.SHORT_TEXT:
            return f"{code} {n} <b>&amp; ]]> 'quoted' ${{role}}"
        if kind is QuestionKind.LONG_TEXT:
            return f"Line one for {code}, respondent {n}.\nLine two: café, Cymraeg ŵ ŷ."
        if kind is QuestionKind.INTEGER:
            low = q.min if q.min is not None else 0
            high = q.max if q.max is not None else low + 50
            return low + (n * 7 + i) % (high - low + 1)
        if kind is QuestionKind.DATE:
            return f"2026-{(n % 9) + 1:02d}-{(i % 27) + 1:02d}"
        if kind is QuestionKind.AUDIO:
            return f"{code}-{n}.m4a" if media else None
        if kind is QuestionKind.IMAGE:
            return f"{code}-{n}.jpg" if media else None
        return None

    i = 0
    for section in instrument.sections:
        if not holds(section.relevant, answers):
            continue
        for question in section.questions:
            i += 1
            if not holds(question.relevant, answers):
                continue
            choices = [c.code for c in instrument.choices_for(question)]
            if question.code == "role" and roles:
                answers["role"] = roles[n % len(roles)]
            elif question.kind is QuestionKind.MATRIX:
                for j, row in enumerate(question.rows or ()):
                    answers[row.code] = value(row.code, question.kind, i + j, choices, question)
            elif question.kind is QuestionKind.REPEAT:
                items = []
                for k in range(min(2, question.max_count or 2)):
                    item: dict[str, Any] = {}
                    for inner in question.questions or ():
                        inner_choices = [c.code for c in instrument.choices_for(inner)]
                        v = value(inner.code, inner.kind, i + k, inner_choices, inner)
                        if v is not None:
                            item[inner.code] = v
                    items.append(item)
                answers[question.code] = items
            elif question.kind is not QuestionKind.NOTE:
                v = value(question.code, question.kind, i, choices, question)
                if v is not None:
                    answers[question.code] = v
    return answers


def expected_answers(instrument: Instrument, answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` as a response holds them (and none of them flagged)."""
    normalised, flags = normalise_answers(instrument, answers)
    assert flags == [], flags
    return normalised


def responses_by_id(pages: Iterable[Page]) -> dict[str, Response]:
    """The responses in ``pages`` (held records left out), by response id."""
    return {
        r.response.response_id: r.response
        for page in pages
        for r in page.records
        if r.response is not None
    }


def assert_same_scores(
    instruments: Instrument | Mapping[str, Instrument],
    pulled: list[Response],
    sent: Mapping[str, Mapping[str, Any]],
) -> None:
    """Scores of the pulled responses equal those of the same answers given directly
    (``instruments``: one, or one per instrument version the responses answered)."""

    def instrument(version: str) -> Instrument:
        return instruments if isinstance(instruments, Instrument) else instruments[version]

    direct = [
        build_response(
            instrument(r.instrument_version),
            sent[r.response_id],
            response_id=r.response_id,
            submitted_at=r.submitted_at,
            round=r.round,
            subject=r.subject,
            deployment=r.deployment,
            platform=r.platform,
        )
        for r in pulled
    ]
    when = datetime(2026, 11, 23, tzinfo=timezone.utc)
    from_platform = score(pulled, k=1, generated_at=when).model_dump(mode="json")
    from_answers = score(direct, k=1, generated_at=when).model_dump(mode="json")
    assert from_platform == from_answers
    assert from_platform["results"], from_platform


__all__ = ["assert_same_scores", "expected_answers", "responses_by_id", "sample_answers"]
