"""Scoring every response: group by instrument, subject and round; apply each one's rules."""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from itertools import compress
from operator import attrgetter

from coprod_connectors.errors import ConfigError
from coprod_connectors.ladder import Evidence, LadderModel, Placement, load_ladder, place
from coprod_connectors.responses import Response
from coprod_connectors.scoring import checklist, ladder_check, self_reflection
from coprod_connectors.scoring.checklist import score_checklist
from coprod_connectors.scoring.common import Answers, Group, read_answers
from coprod_connectors.scoring.ladder_check import score_ladder_check
from coprod_connectors.scoring.models import Result, Results
from coprod_connectors.scoring.self_reflection import score_self_reflection

#: A scorer takes one :class:`Group` (an instrument's responses for one subject and
#: round) and the keywords ``model`` (the ladder) and ``k`` (the privacy threshold).
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
    with _collector_paused():
        groups, unscored = _collect(responses)
        results = [
            SCORERS[key[0]](group, model=model, k=k)
            for key, group in sorted(groups.items(), key=lambda item: _order(item[0]))
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while scoring, as it was before afterwards.

    Scoring makes no reference cycles (memory is freed as usual when the last
    reference goes), but with a million responses alive every full collection
    that the collector starts walks through millions of objects for nothing,
    which made single runs up to 1.5 s slower. The ``gc`` module's documentation
    allows disabling the collector when no reference cycles are made.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _order(key: Key) -> tuple[int, str, str, str]:
    instrument, subject, round_ = key
    return (
        INSTRUMENT_ORDER.index(instrument),
        "" if subject is None else "1",
        subject or "",
        round_,
    )


def _collect(responses: Iterable[Response]) -> tuple[dict[Key, Group], Counter[str]]:
    """The responses kept, grouped by instrument, subject and round; and those not scored.

    A response id seen twice for one instrument and deployment counts once: the latest
    submission wins (see :func:`_deduplicate`). Each group's ``duplicates``
    counts the copies dropped.
    """
    responses = responses if isinstance(responses, list) else list(responses)
    unscored: Counter[str] = Counter()
    majors = _scored_majors()
    if any(majors.get(r.instrument, _ANY) not in (_ANY, _major(r)) for r in responses):
        kept = []
        for response in responses:
            if majors.get(response.instrument, _ANY) in (_ANY, _major(response)):
                kept.append(response)
            else:
                unscored[f"{response.instrument} {response.instrument_version}"] += 1
        responses = kept
    ids = list(map(_ID, responses))
    duplicates: Counter[Key] = Counter()
    # a quick check first, in C: when no id appears twice there is nothing to drop
    if len(set(ids)) < len(ids):
        responses, duplicates = _deduplicate(responses, ids)
    roles: defaultdict[Key, dict[str | None, Answers]] = defaultdict(dict)
    for (instrument, subject, round_, role), bucket in read_answers(responses, _codes()).items():
        if instrument in SCORERS:
            roles[(instrument, subject, round_)][role] = bucket
        else:
            unscored[instrument] += len(bucket)
    groups = {
        key: Group.from_roles(key[1], key[2], split, duplicates=duplicates[key])
        for key, split in roles.items()
    }
    return groups, unscored


_ANY = object()


def _major(response: Response) -> str:
    return response.instrument_version.split(".", 1)[0]


@cache
def _scored_majors() -> dict[str, object]:
    """The major version of each built-in instrument the scorers know. A response to
    another major version (its questions may differ: ``9.0.0`` when the built-in is
    ``1.2.0``) is not scored as if it were this one: it is listed as not scored."""
    from coprod_connectors.instruments import builtin_instrument

    return {name: builtin_instrument(name).version.split(".", 1)[0] for name in SCORERS}


def _codes() -> dict[str, tuple[str, ...]]:
    """The codes each instrument's scorer reads."""
    return {
        "self-reflection": self_reflection.CODES,
        "checklist": checklist.codes(),
        "ladder-check": ladder_check.CODES,
    }


#: A response's identity: platforms number responses per survey, so the same id
#: in two deployments is two people.
_ID = attrgetter("deployment", "response_id")


def _deduplicate(
    responses: list[Response], ids: list[tuple[str | None, str]]
) -> tuple[list[Response], Counter[Key]]:
    """Each (deployment, response id) once per instrument: the latest copy, ties by JSON text.

    ``ids`` are the responses' ids, in order. The tie-break makes the result
    independent of the order of the input. Returns the responses kept, in
    their order, and how many copies were dropped for each instrument,
    subject and round (the kept copy's). Only the responses whose id appears
    more than once (for any instrument) are looked at one by one; finding them
    and leaving the dropped ones out runs in C.
    """
    copies = Counter(ids)
    repeated = {i for i, n in copies.items() if n > 1}
    positions = list(compress(range(len(ids)), map(repeated.__contains__, ids)))
    latest: dict[
        tuple[str, tuple[str | None, str]], int
    ] = {}  # the position of the copy kept so far
    for i in positions:
        key = (responses[i].instrument, ids[i])
        j = latest.setdefault(key, i)
        if j != i and _newer(responses[i], responses[j]):
            latest[key] = i
    keep = [True] * len(responses)
    for i in positions:
        keep[i] = False
    for i in latest.values():
        keep[i] = True
    seen = Counter((responses[i].instrument, ids[i]) for i in positions)
    duplicates: Counter[Key] = Counter()
    for key, i in latest.items():
        r = responses[i]
        duplicates[(r.instrument, r.subject, r.round)] += seen[key] - 1
    return list(compress(responses, keep)), duplicates


def _newer(a: Response, b: Response) -> bool:
    """Whether ``a`` replaces ``b``: later, or as late and with the larger JSON text."""
    if a.submitted_at != b.submitted_at:
        return a.submitted_at > b.submitted_at
    # serialise only here, for the rare pair that really ties
    return a.to_json() > b.to_json()


__all__ = ["SCORERS", "classify", "score"]
