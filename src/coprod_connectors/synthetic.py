"""Synthetic responses for demos and tests, the same every time for the same seed.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from coprod_connectors.instruments import builtin_instrument
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
