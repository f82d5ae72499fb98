"""Synthetic answers for demos, tests and benchmarks, the same every time for the same seed.

The project's one answer generator. Two ways in:

- :func:`random_answers`: one respondent's answers to ANY instrument, keyed by
  answer codes as a :class:`~coprod_connectors.responses.Response` holds them,
  seeded. The fake servers in the unpublished ``coprod_testkit`` turn these
  into each platform's wire format;
- :func:`demo_responses`: the ``coprod demo`` data set for the built-in
  instruments (its output is pinned byte for byte: see
  ``tests/test_scoring_speed_equivalence.py``), described below.

Several subjects, every role (and some people who skip the role question), two
six-monthly rounds, all three built-in instruments. Staff tend to rate things a
little higher than people who use services; things improve a little between
the rounds. Some answers are missing, some ratings contradict the stage, a few
values are not valid choices, and some action plans contain hostile text
(``<script>``, spreadsheet formulas, ``]]>``) so that every report's escaping
is exercised.

    python -m coprod_connectors.synthetic -o demo.jsonl [--seed 2026]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.instruments.model import (
    AllOf,
    Answered,
    AnswerIn,
    AnyOf,
    Condition,
    Instrument,
    Question,
    QuestionKind,
)
from coprod_connectors.responses import Response, build_response, write_responses

ROUNDS = ("2026-H1", "2026-H2")
ROLES = ("user", "carer", "staff", "mgr", "board", "comm", "nosay")
PRINCIPLES = ("assets", "work", "recip", "network")
PHASES = ("idea", "design", "deliv", "review")
HOSTILE = (
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "]]> & <b>bold</b>",
    "+SUM(1,2)",
    "@import",
    "-2+3",
)

#: Free text that trips up encoders: markup, entities, quotes, braces, ``]]>``, an XLSForm
#: reference, percent signs, a line break, emoji, Welsh; "" stands for a blank text box.
TEXTS = (
    'Siân\'s <b>bold</b> & "quoted" {TOKEN} ]]> 😀',
    "We met at the café / library on Tuesdays",
    "More time to talk; fewer forms",
    "Diolch yn fawr — roedd yn dda",
    "Line one\nLine two: café, Cymraeg ŵ ŷ.",
    "Ideas: 50% more notice, 2/3 of meetings in the evening",
    "<b>&amp; 'quoted' ${role} café",
    "",
)
#: How many rows of a repeat a respondent fills at most.
MAX_REPEAT_ROWS = 3


# --- any instrument ----------------------------------------------------------------------


def holds(condition: Condition | None, answers: Mapping[str, Any]) -> bool:
    """Whether a relevance condition is true for the answers so far (what a form does
    on a phone or in a browser); a multiple choice's answer is a list of choice codes."""
    if condition is None:
        return True
    if isinstance(condition, AnswerIn):
        value = answers.get(condition.question)
        values = value if isinstance(value, list) else [value]
        return any(v in condition.in_ for v in values)
    if isinstance(condition, Answered):
        return (answers.get(condition.question) not in (None, "", [])) == condition.answered
    if isinstance(condition, AllOf):
        return all(holds(c, answers) for c in condition.all)
    if isinstance(condition, AnyOf):
        return any(holds(c, answers) for c in condition.any)
    return not holds(condition.not_, answers)


def random_answers(
    instrument: Instrument,
    seed: int | str | random.Random,
    *,
    blank: float = 0.06,
    texts: Sequence[str] = TEXTS,
    mark: str = "",
    media: bool = True,
    pick: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """One made-up respondent's answers to ``instrument``; the same for the same ``seed``.

    Keyed by answer codes, valued as a :class:`Response` holds them: a choice code,
    a list of choice codes (multiple choice, in the choices' order), a choice code per
    grid row (keyed by the row's code), an ``int`` within the question's bounds (0..100
    when open), a ``YYYY-MM-DD`` date in 2026, a text from ``texts`` followed by ``mark``,
    a file name for a recording or picture (or, with ``media=False``, a text, as on
    platforms that collect them as text), a list of rows (dicts of the same) for a repeat.

    What relevance hides is not answered. An optional question is left out with chance
    ``blank``, a required one never; a blank text (``""`` in ``texts``) is left out.
    ``pick`` gives the values to choose from for some codes (e.g. a few subjects, so that
    scores group).
    """
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)  # noqa: S311
    maker = _Answers(instrument, rng, blank, texts, mark, media, pick or {})
    answers: dict[str, Any] = {}
    for section in instrument.sections:
        if not holds(section.relevant, answers):
            continue
        for question in section.questions:
            if holds(question.relevant, answers):
                maker.answer(question, answers, answers)
    return answers


@dataclass
class _Answers:
    instrument: Instrument
    rng: random.Random
    blank: float
    texts: Sequence[str]
    mark: str
    media: bool
    pick: Mapping[str, Sequence[str]]

    def answer(self, question: Question, into: dict[str, Any], seen: Mapping[str, Any]) -> None:
        """Add ``question``'s answer to ``into`` (``seen``: what relevance can look at)."""
        rng = self.rng
        kind = question.kind
        if kind is QuestionKind.NOTE or (not question.required and rng.random() < self.blank):
            return
        if kind is QuestionKind.REPEAT:
            rows = []
            for _ in range(rng.randint(0, min(MAX_REPEAT_ROWS, question.max_count or 1))):
                row: dict[str, Any] = {}
                for inner in question.questions or ():
                    if holds(inner.relevant, {**seen, **row}):
                        self.answer(inner, row, {**seen, **row})
                if row:
                    rows.append(row)
            if rows:
                into[question.code] = rows
            return
        codes = [c.code for c in self.instrument.choices_for(question)]
        if kind is QuestionKind.MATRIX:
            for grid_row in question.rows or ():
                into[grid_row.code] = rng.choice(codes)
            return
        value = self._value(question, codes)
        if value is not None:
            into[question.code] = value

    def _value(self, question: Question, codes: list[str]) -> Any:
        rng = self.rng
        kind = question.kind
        if kind is QuestionKind.SINGLE_CHOICE:
            return rng.choice(codes)
        if kind is QuestionKind.MULTIPLE_CHOICE:
            picked = rng.sample(codes, k=min(len(codes), 1 + rng.randrange(2)))
            return sorted(picked, key=codes.index)
        if kind is QuestionKind.INTEGER:
            low = question.min if question.min is not None else 0
            high = question.max if question.max is not None else low + 100
            return rng.randint(low, high)
        if kind is QuestionKind.DATE:
            return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if kind in {QuestionKind.AUDIO, QuestionKind.IMAGE} and self.media:
            if rng.random() < 0.6:
                return None
            suffix = "m4a" if kind is QuestionKind.AUDIO else "jpg"
            return f"{question.code}-{rng.randrange(1, 1_000_000)}.{suffix}"
        if question.code in self.pick:
            return rng.choice(self.pick[question.code])
        text = rng.choice([t for t in self.texts if t] if question.required else self.texts)
        return f"{text}{self.mark}" if text else None


# --- the demo data set ---------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A made-up service with a typical stage per principle (the first round)."""

    name: str
    level: str
    stages: tuple[int, int, int, int]
    #: how many people of each role answer, per round
    roles: tuple[int, int, int, int, int, int, int]


SUBJECTS = (
    Subject("Riverside Day Centre", "serv", (3, 2, 3, 2), (4, 2, 3, 2, 1, 2, 1)),
    Subject("Oak Lane Supported Living", "serv", (2, 2, 1, 2), (3, 1, 2, 1, 0, 0, 0)),
    Subject("Northfield adult social care", "strat", (3, 3, 3, 3), (3, 3, 3, 2, 2, 2, 1)),
)


def demo_responses(seed: int = 2026) -> list[Response]:
    """Synthetic responses to all three instruments; the same list for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    counter = iter(range(1, 1_000_000))
    out: list[Response] = []
    for round_index, round_ in enumerate(ROUNDS):
        for subject in SUBJECTS:
            for role, count in zip(ROLES, subject.roles, strict=True):
                for _ in range(count):
                    for maker in (_self_reflection, _checklist, _ladder_check):
                        answers = maker(rng, subject, role, round_index)
                        out.append(
                            _build(rng, answers, subject, round_, round_index, next(counter))
                        )
            # a few people skip the role question
            answers = _self_reflection(rng, subject, "", round_index)
            out.append(_build(rng, answers, subject, round_, round_index, next(counter)))
            # and one person's action plan holds every hostile text, whole
            answers = _self_reflection(rng, subject, "user", round_index)
            answers["actions"] = [
                {"actWhat": what, "actHow": how, "actPrin": "asset", "actWho": "Someone"}
                for what, how in zip(HOSTILE[:3], HOSTILE[3:], strict=True)
            ]
            out.append(_build(rng, answers, subject, round_, round_index, next(counter)))
    return out


def write_demo_responses(path: str | Path, *, seed: int = 2026) -> int:
    """Write :func:`demo_responses` to ``path`` as JSON lines; returns how many."""
    with Path(path).open("w", encoding="utf-8", newline="\n") as handle:
        return write_responses(demo_responses(seed), handle)


def _build(
    rng: random.Random,
    answers: dict[str, Any],
    subject: Subject,
    round_: str,
    round_index: int,
    number: int,
) -> Response:
    instrument = builtin_instrument(answers.pop("_instrument"))
    start = datetime(2026, 2 + 6 * round_index, 1, 9, 0, tzinfo=timezone.utc)
    when = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 50))
    return build_response(
        instrument,
        answers,
        response_id=f"demo-{number:05d}",
        submitted_at=when,
        round=round_,
        subject=subject.name,
        platform="synthetic",
    )


def _lean(role: str) -> int:
    """Staff and managers see things a little more kindly than people who use services."""
    return {"staff": 1, "mgr": 1, "board": 1}.get(role, 0)


def _about(role: str, subject: Subject) -> dict[str, Any]:
    about: dict[str, Any] = {"subject": subject.name, "level": subject.level}
    if role:
        about["role"] = role
    return about


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _self_reflection(
    rng: random.Random, subject: Subject, role: str, round_index: int
) -> dict[str, Any]:
    answers: dict[str, Any] = {"_instrument": "self-reflection", **_about(role, subject)}
    for principle, typical in zip(PRINCIPLES, subject.stages, strict=True):
        if rng.random() < 0.06:
            continue  # left blank
        stage = _clamp(typical + round_index + _lean(role) + rng.choice((-1, 0, 0, 0, 1)), 1, 4)
        answers[f"{principle}Stage"] = str(stage)
        rag = ("red", "red", "amber", "green", "green")[stage]
        if rng.random() < 0.08:
            rag = "green" if stage == 1 else "red" if stage == 4 else rng.choice(("red", "green"))
        answers[f"{principle}Rag"] = rag
        if rng.random() < 0.3:
            answers[f"{principle}Evid"] = rng.choice(_EVIDENCE)
    if rng.random() < 0.015:
        answers["workStage"] = "5"  # not one of the choices: kept and flagged
    if rng.random() < 0.35:
        answers["actions"] = [_action(rng) for _ in range(rng.randint(1, 3))]
    return answers


_EVIDENCE = (
    "We run a time bank now.",
    "People who use the service sat on the interview panel.",
    "Staff still decide everything.",
    "Peer support group meets every week.",
)
_ACTIONS = (
    ("Start a time bank", "Community team", "work", "Talk to the local time bank first."),
    ("Pay people for their time on panels", "Finance lead", "work", "Agree an hourly rate."),
    ("Set up a peer support group", "Amina and the peer workers", "recip", "Book a room."),
    ("Invite people onto the interview panel", "HR", "asset", "Ask who is interested."),
    ("Map local clubs and groups", "Volunteers", "netw", "Walk round the area with people."),
)


def _action(rng: random.Random) -> dict[str, Any]:
    what, who, prin, how = rng.choice(_ACTIONS)
    if rng.random() < 0.3:
        how = f"{how} {rng.choice(HOSTILE)}"
    if rng.random() < 0.15:
        what = rng.choice(HOSTILE)
    month = rng.randint(1, 12)
    return {
        "actWhat": what,
        "actWho": who,
        "actWhen": f"2027-{month:02d}-01",
        "actHow": how,
        "actPrin": prin,
    }


def _checklist(rng: random.Random, subject: Subject, role: str, round_index: int) -> dict[str, Any]:
    from coprod_connectors.scoring.checklist import statement_themes

    answers: dict[str, Any] = {"_instrument": "checklist", **_about(role, subject)}
    base = sum(subject.stages) / 16 + 0.1 * round_index + 0.1 * _lean(role)
    for code in statement_themes():
        roll = rng.random()
        if roll < 0.05:
            continue
        if roll < 0.1:
            answers[code] = "dk"
            continue
        x = rng.random()
        answers[code] = "agree" if x < base - 0.25 else "part" if x < base + 0.05 else "dis"
    return answers


def _ladder_check(
    rng: random.Random, subject: Subject, role: str, round_index: int
) -> dict[str, Any]:
    answers: dict[str, Any] = {"_instrument": "ladder-check", **_about(role, subject)}
    answers["project"] = f"{subject.name} redesign"
    low = min(subject.stages)
    for i, phase in enumerate(PHASES):
        if rng.random() < 0.05:
            continue
        typical = low - (1 if i == 0 else 0) + round_index + _lean(role)
        answers[f"{phase}Inv"] = str(_clamp(typical + rng.choice((-1, 0, 0, 1)), 0, 4))
    for code in ("early", "reward", "access", "feedback"):
        answers[code] = "y" if rng.random() < 0.3 + 0.1 * low else "n"
    return answers


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coprod_connectors.synthetic",
        description="Write synthetic responses (JSON lines) for demos and tests.",
    )
    parser.add_argument("-o", "--output", required=True, help="the JSON lines file to write")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    args = parser.parse_args(argv)
    count = write_demo_responses(args.output, seed=args.seed)
    sys.stdout.write(f"wrote {count} responses to {args.output}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
