"""Scoring every response: group by instrument, subject and round; apply each one's rules."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from coprod_connectors.errors import ConfigError
from coprod_connectors.ladder import Evidence, LadderModel, Placement, load_ladder, place
from coprod_connectors.responses import Response
from coprod_connectors.scoring.checklist import score_checklist
from coprod_connectors.scoring.ladder_check import score_ladder_check
from coprod_connectors.scoring.models import Result, Results
from coprod_connectors.scoring.self_reflection import score_self_reflection

Scorer = Callable[..., Result]
SCORERS: dict[str, Scorer] = {
    "self-reflection": score_self_reflection,
    "checklist": score_checklist,
    "ladder-check": score_ladder_check,
}
INSTRUMENT_ORDER = tuple(SCORERS)

Key = tuple[str, str | None, str]


def score(
    responses: Iterable[Response],
    *,
    ladder: str | LadderModel = "five-rung",
    k: int = 3,
    generated_at: datetime | None = None,
) -> Results:
    """Score responses per instrument, subject and round; never raises on bad answers.

    ``k`` is the privacy threshold: a perspective group with fewer people is
    never shown on its own. The same responses in any order give the same
    results. A response id seen twice for one instrument counts once: the
    latest submission wins.
    """
    if k < 1:
        msg = f"the privacy threshold k must be 1 or more, not {k}"
        raise ConfigError(msg)
    model = load_ladder(ladder)
    kept, duplicates = _deduplicate(responses)
    groups: dict[Key, list[Response]] = defaultdict(list)
    unscored: Counter[str] = Counter()
    for response in kept:
        if response.instrument in SCORERS:
            groups[(response.instrument, response.subject, response.round)].append(response)
        else:
            unscored[response.instrument] += 1
    results = [
        SCORERS[key[0]](
            sorted(members, key=_identity), model=model, k=k, duplicates=duplicates[key]
        )
        for key, members in sorted(groups.items(), key=lambda item: _order(item[0]))
    ]
    return Results(
        ladder=model.id,
        k=k,
        generated_at=generated_at,
        results=results,
        unscored=dict(sorted(unscored.items())),
    )


def classify(
    evidence: Evidence, instrument: str, *, ladder: str | LadderModel = "five-rung"
) -> Placement:
    """Place one instrument's evidence on a ladder: the rung, reasons and next rung's changes."""
    model = load_ladder(ladder)
    if instrument not in model.instruments:
        msg = f"the {model.id} ladder has no rules for {instrument!r}"
        raise ConfigError(msg)
    return place(model, instrument, evidence)


def _identity(response: Response) -> tuple[str, str]:
    return (response.response_id, response.to_json())


def _order(key: Key) -> tuple[int, str, str, str]:
    instrument, subject, round_ = key
    return (
        INSTRUMENT_ORDER.index(instrument),
        "" if subject is None else "1",
        subject or "",
        round_,
    )


def _deduplicate(responses: Iterable[Response]) -> tuple[list[Response], Counter[Key]]:
    latest: dict[tuple[str, str], Response] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for response in responses:
        key = (response.instrument, response.response_id)
        seen[key] += 1
        current = latest.get(key)
        if current is None or _newer(response, current):
            latest[key] = response
    duplicates: Counter[Key] = Counter()
    for key, count in seen.items():
        if count > 1:
            r = latest[key]
            duplicates[(r.instrument, r.subject, r.round)] += count - 1
    return list(latest.values()), duplicates


def _newer(a: Response, b: Response) -> bool:
    return (a.submitted_at, a.to_json()) > (b.submitted_at, b.to_json())


__all__ = ["SCORERS", "classify", "score"]
