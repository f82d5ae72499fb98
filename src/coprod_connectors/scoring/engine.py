"""Scoring every response: group by instrument, subject and round; apply each one's rules."""

from __future__ import annotations

import gc
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
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
    counted: Counted | None = None,
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

    ``counted``, the :func:`count` of ``responses`` made already (in parts, perhaps in
    other processes), takes the place of the first reading.
    """
    if k < 1:
        msg = f"the privacy threshold k must be 1 or more, not {k}"
        raise ConfigError(msg)
    model = load_ladder(ladder)
    if isinstance(responses, Iterator):  # one-shot: it cannot be read twice
        responses = list(responses)
    with _collector_paused():
        groups, unscored = _collect(responses, counted)
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


@dataclass
class Counted:
    """What the first reading of some responses found (see :func:`count`): their answers
    counted by instrument, subject, round and role, each one's identity hashed, and how
    many of each unscored instrument version. Made in one process, it may be scored in
    another (it pickles; the hashes need the same ``PYTHONHASHSEED``, as a forked process
    has)."""

    buckets: dict[Bucket, Answers] = field(default_factory=dict)
    # each response's id, hashed: 8 bytes a response, to find the ids seen twice
    ids: array[int] = field(default_factory=lambda: array("q"))
    unscored: Counter[str] = field(default_factory=Counter)

    def add(self, other: Counted) -> None:
        """Add the counts of ``other`` (other responses) to these."""
        for key, bucket in other.buckets.items():
            mine = self.buckets.get(key)
            if mine is None:
                self.buckets[key] = bucket
            else:
                mine.add(bucket)
        self.ids.extend(other.ids)
        self.unscored.update(other.unscored)


def count(responses: Iterable[Response]) -> Counted:
    """Read ``responses`` once, in chunks of :data:`CHUNK`, and count them (what
    :func:`score` does first); give the result to :func:`score` as ``counted``.

    Responses split into parts (read in several processes, say) can be counted part
    by part and the parts' counts added (:meth:`Counted.add`): the same counts."""
    counted = Counted()
    readings = _readings()
    buckets, ids = counted.buckets, counted.ids
    source = _known_versions(responses, counted.unscored)
    with _collector_paused():
        while True:
            before = len(ids)
            read_answers(_hashing(islice(source, CHUNK), ids), readings, buckets)
            for bucket in buckets.values():
                bucket.fold()
            if len(ids) - before < CHUNK:
                break
    return counted


def _collect(
    responses: Iterable[Response], counted: Counted | None = None
) -> tuple[dict[Key, Group], Counter[str]]:
    """The responses kept, counted and grouped by instrument, subject and round; and how
    many of each unscored instrument.

    A response id seen twice for one instrument and deployment counts once: the latest
    submission wins (see :func:`_deduplicate`). Each group's ``duplicates``
    counts the copies dropped.
    """
    counted = count(responses) if counted is None else counted
    buckets, unscored = counted.buckets, counted.unscored
    duplicates: Counter[Key] = Counter()
    repeated = _repeated(counted.ids)
    counted.ids = array("q")
    if repeated:
        duplicates = _deduplicate(_known_versions(responses, None), repeated, _readings(), buckets)
    roles: defaultdict[Key, dict[str | None, Answers]] = defaultdict(dict)
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


def _known_versions(
    responses: Iterable[Response], unscored: Counter[str] | None
) -> Iterator[Response]:
    """``responses`` but those to a version the scorers do not know, counted in ``unscored``
    as ``"<instrument> <version>"``: another major version than the built-in's (its
    questions may differ: ``9.0.0`` when the built-in is ``1.2.0``) is never scored as if
    it were the built-in."""
    majors = _scored_majors()
    for response in responses:
        major = majors.get(response.instrument)
        if major is None or response.instrument_version.partition(".")[0] == major:
            yield response
        elif unscored is not None:
            unscored[f"{response.instrument} {response.instrument_version}"] += 1


@cache
def _scored_majors() -> dict[str, str]:
    """The major version of each built-in instrument the scorers know."""
    from coprod_connectors.instruments import builtin_instrument

    return {name: builtin_instrument(name).version.partition(".")[0] for name in SCORERS}


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


__all__ = ["CHUNK", "SCORERS", "Counted", "classify", "count", "score"]
