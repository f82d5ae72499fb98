"""Scoring every response: group by instrument, subject and round; apply each one's rules."""

from __future__ import annotations

import gc
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from operator import attrgetter

from coprod_connectors.errors import ConfigError
from coprod_connectors.ladder import Evidence, LadderModel, Placement, load_ladder, place
from coprod_connectors.responses import Response
from coprod_connectors.scoring import checklist, ladder_check, self_reflection
from coprod_connectors.scoring.checklist import score_checklist
from coprod_connectors.scoring.common import Answers, Bucket, Group, Reading, read_answers
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

    The responses are read in chunks of :data:`CHUNK`, counted and let go, so
    that memory holds counts, not responses: give an iterable that can be read
    again (each ``iter()`` starting over, as a list, the store's
    :meth:`~coprod_connectors.store.Store.scoring_source` or a file's) to score
    more responses than fit in memory. It is read a second time only when a
    response id appears twice. A one-shot iterator is read into a list first.
    """
    if k < 1:
        msg = f"the privacy threshold k must be 1 or more, not {k}"
        raise ConfigError(msg)
    model = load_ladder(ladder)
    if isinstance(responses, Iterator):  # one-shot: it cannot be read twice
        responses = list(responses)
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


#: How many responses are read before their answers are counted and let go.
CHUNK = 20_000


def _collect(responses: Iterable[Response]) -> tuple[dict[Key, Group], Counter[str]]:
    """The responses kept, counted and grouped by instrument, subject and round; and how
    many of each unscored instrument.

    A response id seen twice for one instrument and deployment counts once: the latest
    submission wins (see :func:`_deduplicate`). Each group's ``duplicates``
    counts the copies dropped.
    """
    readings = _readings()
    buckets: dict[Bucket, Answers] = {}
    # each response's id, hashed: 8 bytes a response, to find the ids seen twice
    ids = array("q")
    source = iter(responses)
    while True:
        before = len(ids)
        read_answers(_hashing(islice(source, CHUNK), ids), readings, buckets)
        for bucket in buckets.values():
            bucket.fold()
        if len(ids) - before < CHUNK:
            break
    duplicates: Counter[Key] = Counter()
    repeated = _repeated(ids)
    del ids
    if repeated:
        duplicates = _deduplicate(responses, repeated, readings, buckets)
    roles: defaultdict[Key, dict[str | None, Answers]] = defaultdict(dict)
    unscored: Counter[str] = Counter()
    for (instrument, subject, round_, role), bucket in buckets.items():
        if instrument in SCORERS:
            roles[(instrument, subject, round_)][role] = bucket
        else:
            unscored[instrument] += len(bucket)
    groups = {
        key: Group.from_roles(key[1], key[2], split, duplicates=duplicates[key])
        for key, split in roles.items()
    }
    return groups, unscored


def _readings() -> dict[str, Reading]:
    """What each instrument's scorer reads."""
    return {
        "self-reflection": self_reflection.READING,
        "checklist": Reading(codes=checklist.codes()),
        "ladder-check": Reading(codes=ladder_check.CODES),
    }


#: A response's identity: platforms number responses per survey, so the same id
#: in two deployments is two people.
_ID = attrgetter("deployment", "response_id")


def _hashing(responses: Iterable[Response], ids: array[int]) -> Iterator[Response]:
    """``responses``, with each one's identity hashed into ``ids`` on the way."""
    add = ids.append
    for response in responses:
        add(hash(_ID(response)))
        yield response


def _repeated(ids: array[int]) -> frozenset[int]:
    """The hashes that appear more than once (a quick check first, in C)."""
    if len(set(ids)) == len(ids):
        return frozenset()
    return frozenset(h for h, n in Counter(ids).items() if n > 1)


def _deduplicate(
    responses: Iterable[Response],
    repeated: frozenset[int],
    readings: Mapping[str, Reading],
    buckets: dict[Bucket, Answers],
) -> Counter[Key]:
    """Take the copies dropped away from ``buckets``: each (deployment, response id) once per
    instrument, the latest copy, ties by JSON text.

    ``responses`` is read again for the responses whose id's hash is in
    ``repeated`` (only those are held). The tie-break makes the result
    independent of the order of the input. Returns how many copies were dropped
    for each instrument, subject and round (the kept copy's).
    """
    latest: dict[tuple[str, tuple[str | None, str]], Response] = {}  # the copy kept so far
    copies: Counter[tuple[str, tuple[str | None, str]]] = Counter()
    dropped: list[Response] = []
    for response in responses:
        identity = _ID(response)
        if hash(identity) not in repeated:
            continue
        key = (response.instrument, identity)
        copies[key] += 1
        if copies[key] == 1:
            latest[key] = response
            continue
        kept = latest[key]
        if _newer(response, kept):
            latest[key] = response
            dropped.append(kept)
        else:
            dropped.append(response)
    taken = read_answers(dropped, readings)
    for bucket_key, bucket in taken.items():
        bucket.fold()
        # a source that changed between the readings (a store synced meanwhile) may
        # hand over a copy the first reading did not count: never below nothing
        left = buckets.get(bucket_key)
        if left is None:
            continue
        left.take_away(bucket)
        if left.people <= 0:
            del buckets[bucket_key]
    duplicates: Counter[Key] = Counter()
    for key, r in latest.items():
        duplicates[(r.instrument, r.subject, r.round)] += copies[key] - 1
    return duplicates


def _newer(a: Response, b: Response) -> bool:
    """Whether ``a`` replaces ``b``: later, or as late and with the larger JSON text."""
    if a.submitted_at != b.submitted_at:
        return a.submitted_at > b.submitted_at
    # serialise only here, for the rare pair that really ties
    return a.to_json() > b.to_json()


__all__ = ["CHUNK", "SCORERS", "classify", "score"]
