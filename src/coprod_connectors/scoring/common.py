"""What every instrument's scorer shares: counting choice answers and building a result's parts.

Scoring is count-based, so that a million responses score in a few seconds:

1. :func:`read_answers` goes once through the responses, in their own order,
   and copies each person's raw answers to the codes their instrument's
   scorer reads into flat lists, one per instrument, subject, round and role
   (:class:`Answers`).
2. A :class:`Group` puts the roles of one instrument, subject and round into
   perspective groups. Scorers ask it for *counts*: how many people in each
   perspective group gave each answer to a code (:meth:`Group.choices`).
   ``Counter`` counts the raw values in C; only the few distinct values are
   then normalised (:func:`choice_value`: MISSING, INVALID or a choice).
3. The scorers work out every statistic (means, lower medians, distributions,
   missing and invalid answers, the lived experience rules) from the counts.

The results are exactly those of normalising and scoring one answer at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import Any

from coprod_connectors.ladder import LadderModel, Placement
from coprod_connectors.responses import (
    PERSPECTIVE_NAMES,
    FlagKind,
    Response,
    perspective,
)
from coprod_connectors.scoring.models import DataQuality, NextRung
from coprod_connectors.scoring.stats import GROUPS


class _Marker:
    """A marker such as :data:`MISSING`: one object, the same after pickling (counts are
    sent from one process to another, see :func:`~coprod_connectors.scoring.engine.count`)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __reduce__(self) -> str:
        return self._name  # pickled as the module's own object of that name


MISSING = _Marker("MISSING")
INVALID = _Marker("INVALID")


def choice_value(value: Any, allowed: Collection[str]) -> Any:
    """A raw answer as one of ``allowed``, or :data:`MISSING` / :data:`INVALID`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    if isinstance(value, bool):
        return INVALID
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text if text in allowed else INVALID


def choice(response: Response, code: str, allowed: Collection[str]) -> Any:
    """The answer to ``code`` as one of ``allowed``, or :data:`MISSING` / :data:`INVALID`."""
    return choice_value(response.answers.get(code), allowed)


def level(response: Response, code: str, low: int, high: int) -> Any:
    """The answer to ``code`` as a whole number from ``low`` to ``high``, or MISSING / INVALID."""
    value = choice(response, code, [str(n) for n in range(low, high + 1)])
    return int(value) if isinstance(value, str) else value


def as_levels(counts: Mapping[Any, int]) -> Counter[Any]:
    """Counts of choices such as ``"3"`` as counts of whole numbers (MISSING / INVALID kept)."""
    out: Counter[Any] = Counter()
    for value, n in counts.items():
        out[int(value) if isinstance(value, str) else value] += n
    return out


def merged(counts: Iterable[Mapping[Any, int]]) -> Counter[Any]:
    """The sum of several counts (e.g. every perspective group's: the whole subject's)."""
    out: Counter[Any] = Counter()
    for c in counts:
        out.update(c)
    return out


def answered(counts: Mapping[Any, int]) -> dict[Any, int]:
    """Only the valid answers of ``counts``: without MISSING and INVALID."""
    return {v: n for v, n in counts.items() if v is not MISSING and v is not INVALID}


def plain(value: object) -> bool:
    """Whether equal values of this kind always normalise the same (strings and None).

    1, 1.0 and True are equal (and so share one key in a Counter) but are not
    the same choice; only strings and None can be counted before normalising.
    """
    return value is None or type(value) is str


def choice_key(value: Any) -> Any:
    """What :func:`choice_value` makes of ``value`` before looking at the choices allowed:
    :data:`MISSING`, :data:`INVALID` or the text to look up. Counting these keys keeps
    everything :func:`choice_value` would tell apart, whatever the choices."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    if isinstance(value, bool):
        return INVALID
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _choice_of(key: Any, allowed: Collection[str]) -> Any:
    """:func:`choice_value` of a value whose :func:`choice_key` is ``key``."""
    if key is MISSING or key is INVALID or key in allowed:
        return key
    return INVALID


def count_keys(values: Sequence[Any]) -> Counter[Any]:
    """How many of ``values`` (raw answers) have each :func:`choice_key`.

    The raw values are counted first (in C) and each distinct one keyed once;
    when a value is not a string (a number, a list) every value is keyed on its
    own, as 1, 1.0 and True are equal in a Counter but not the same answer.
    """
    try:
        raw = Counter(values)
    except TypeError:  # an unhashable answer, such as a list where a choice belongs
        return Counter(map(choice_key, values))
    if not {*map(type, raw)} <= _PLAIN_TYPES:
        return Counter(map(choice_key, values))
    out: Counter[Any] = Counter()
    for value, n in raw.items():
        out[choice_key(value)] += n
    return out


_PLAIN_TYPES = frozenset({str, type(None)})


def count_choices(values: Sequence[Any], allowed: Collection[str]) -> Counter[Any]:
    """How many of ``values`` (raw answers) are each of ``allowed``, or MISSING / INVALID."""
    return choices_of_keys(count_keys(values), allowed)


def choices_of_keys(keys: Mapping[Any, int], allowed: Collection[str]) -> Counter[Any]:
    """Counts of :func:`choice_key` keys as counts of choices (as :func:`choice_value`)."""
    out: Counter[Any] = Counter()
    for key, n in keys.items():
        out[_choice_of(key, allowed)] += n
    return out


def table_text(value: Any) -> str | None:
    """A cell of a table answer (an action plan row) as text; None when blank."""
    return None if value is None or str(value).strip() == "" else str(value)


def count_table_rows(plans: Sequence[Any], columns: tuple[str, ...]) -> Counter[tuple[Any, ...]]:
    """How many rows of the table answers ``plans`` (lists of objects) have each texts,
    the cells of ``columns`` as :func:`table_text`. Anything else is left out.

    Rows are counted as they came (a tuple of the raw values, built in C) and
    each distinct value is turned into text once.
    """
    raw: list[tuple[Any, ...]] = []
    # only the people who wrote a plan: filter out the rest in C
    for plan in filter(None, plans):
        if not isinstance(plan, list):
            continue
        # a plain loop rather than extend(generator): no generator made per plan
        for row in plan:
            if isinstance(row, dict):
                raw.append(tuple(map(row.get, columns)))  # noqa: PERF401
    out: Counter[tuple[Any, ...]] = Counter()
    try:
        distinct = Counter(raw)
        values = set(chain.from_iterable(distinct))
        exact = set(map(type, values)) <= _PLAIN_TYPES
    except TypeError:  # an unhashable value, such as a list where text belongs
        exact = False
    if exact:
        texts = {value: table_text(value) for value in values}
        for row, n in distinct.items():
            out[tuple(map(texts.__getitem__, row))] += n
    else:
        # values that compare equal can still read differently (1, 1.0 and True)
        out.update(tuple(map(table_text, row)) for row in raw)
    return out


@dataclass(frozen=True)
class Reading:
    """What a scorer reads of each response: choice ``codes`` (counted one by one),
    ``pairs`` of them (counted together, per person) and ``tables`` (a code whose
    answer is a list of rows, with the columns read)."""

    codes: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    tables: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def read(self) -> tuple[str, ...]:
        """Every code read, each once, in a fixed order."""
        every = (*self.codes, *chain.from_iterable(self.pairs), *(c for c, _ in self.tables))
        return tuple(dict.fromkeys(every))


NOTHING = Reading()


def _subtract(counts: Counter[Any], taken: Mapping[Any, int]) -> None:
    for key, n in taken.items():
        left = counts[key] - n
        if left > 0:
            counts[key] = left
        else:
            del counts[key]


class Answers:
    """The answers of a number of people to what a scorer reads, counted.

    Responses are read in chunks: :func:`read_answers` copies each person's raw
    answers to the codes read into one flat list (``len(codes)`` values a person;
    reading all of a person's answers while their dict is in the CPU cache, and
    appending to one list, is what makes a million people quick), and
    :meth:`fold` then counts them (``Counter``, in C) and lets them go, so
    memory holds counts, not people.
    """

    __slots__ = (
        "codes",
        "pair_counts",
        "people",
        "reading",
        "row_counts",
        "single_counts",
        "unknown_codes",
        "values",
    )

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.codes = reading.read
        self.values: list[Any] = []
        self.people = 0
        self.unknown_codes = 0
        self.single_counts: dict[str, Counter[Any]] = {c: Counter() for c in reading.codes}
        self.pair_counts: dict[tuple[str, str], Counter[Any]] = {
            p: Counter() for p in reading.pairs
        }
        self.row_counts: dict[str, Counter[tuple[Any, ...]]] = {
            t: Counter() for t, _ in reading.tables
        }

    def __len__(self) -> int:
        return self.people

    def fold(self) -> None:
        """Count the values read since the last fold, and let them go."""
        values, width = self.values, len(self.codes)
        if not values or not width:
            self.values = []
            return
        where = {code: i for i, code in enumerate(self.codes)}
        for code, counts in self.single_counts.items():
            counts.update(count_keys(values[where[code] :: width]))
        for (a, b), counts in self.pair_counts.items():
            pairs = list(zip(values[where[a] :: width], values[where[b] :: width], strict=True))
            counts.update(_count_pairs(pairs))
        for code, columns in self.reading.tables:
            self.row_counts[code].update(count_table_rows(values[where[code] :: width], columns))
        self.values = []

    def add(self, other: Answers) -> None:
        """Add ``other``'s counts (of other people, both folded) to these."""
        self.people += other.people
        self.unknown_codes += other.unknown_codes
        for code, counts in self.single_counts.items():
            counts.update(other.single_counts[code])
        for pair, counts in self.pair_counts.items():
            counts.update(other.pair_counts[pair])
        for code, counts in self.row_counts.items():
            counts.update(other.row_counts[code])

    def take_away(self, other: Answers) -> None:
        """Take ``other``'s counts (of people counted here too) away from these."""
        self.people = max(0, self.people - other.people)
        self.unknown_codes = max(0, self.unknown_codes - other.unknown_codes)
        for code, counts in self.single_counts.items():
            _subtract(counts, other.single_counts[code])
        for pair, counts in self.pair_counts.items():
            _subtract(counts, other.pair_counts[pair])
        for code, counts in self.row_counts.items():
            _subtract(counts, other.row_counts[code])


def _count_pairs(pairs: list[tuple[Any, Any]]) -> Counter[tuple[Any, Any]]:
    """Counts of each pair of :func:`choice_key` keys (see :func:`count_keys`)."""
    try:
        raw = Counter(pairs)
    except TypeError:
        raw = None
    if raw is None or not {*map(type, chain.from_iterable(raw))} <= _PLAIN_TYPES:
        return Counter((choice_key(a), choice_key(b)) for a, b in pairs)
    out: Counter[tuple[Any, Any]] = Counter()
    for (a, b), n in raw.items():
        out[choice_key(a), choice_key(b)] += n
    return out


#: How responses are split before scoring: instrument, subject, round and role.
Bucket = tuple[str, str | None, str, str | None]
_FIELDS = attrgetter("instrument", "subject", "round", "role", "answers", "flags")


def read_answers(
    responses: Iterable[Response],
    readings: Mapping[str, Reading],
    buckets: dict[Bucket, Answers] | None = None,
) -> dict[Bucket, Answers]:
    """Each instrument's, subject's, round's and role's :class:`Answers` to what it reads.

    One pass, in the responses' own order (what memory fetches fastest);
    ``attrgetter`` reads each response's fields in one call. The answers are
    added to ``buckets`` (new ones when not given) and left to :meth:`Answers.fold`.
    """
    buckets = {} if buckets is None else buckets
    for instrument, subject, round_, role, answers, flags in map(_FIELDS, responses):
        key = (instrument, subject, round_, role)
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = Answers(readings.get(instrument, NOTHING))
        # what Answers would do in an ``add`` method, written out here: this runs a
        # million times, and a method call would cost as much as the rest together
        bucket.values.extend(map(answers.get, bucket.codes))
        bucket.people += 1
        if flags:
            bucket.unknown_codes += sum(1 for f in flags if f.kind is FlagKind.UNKNOWN_CODE)
    return buckets


@dataclass
class Group:
    """One instrument's responses for one subject and round, split by perspective group.

    Holds what the scorers read: for each perspective group (every group of
    :data:`GROUPS`, in that order, even when nobody is in it) the counted
    :class:`Answers` of the roles in it, and the numbers of duplicates
    dropped and of answers to unknown codes. The order of people within a
    group does not matter to any result.
    """

    subject: str | None
    round: str
    answers: dict[str, list[Answers]]
    duplicates: int = 0

    @classmethod
    def of(cls, responses: Iterable[Response], reading: Reading, *, duplicates: int = 0) -> Group:
        """The group of ``responses`` (one instrument, subject and round)."""
        responses = list(responses)
        if not responses:
            msg = "a group needs at least one response"
            raise ValueError(msg)
        buckets = read_answers(responses, {r.instrument: reading for r in responses})
        for bucket in buckets.values():
            bucket.fold()
        by_role = {role: bucket for (_, _, _, role), bucket in buckets.items()}
        first = responses[0]
        return cls.from_roles(first.subject, first.round, by_role, duplicates=duplicates)

    @classmethod
    def from_roles(
        cls,
        subject: str | None,
        round_: str,
        by_role: Mapping[str | None, Answers],
        *,
        duplicates: int = 0,
    ) -> Group:
        """The group of answers already read, counted and split by role."""
        answers: dict[str, list[Answers]] = {g: [] for g in GROUPS}
        for role, bucket in by_role.items():
            answers[perspective(role)].append(bucket)
        return cls(subject, round_, answers, duplicates)

    @property
    def sizes(self) -> dict[str, int]:
        """Respondents in each perspective group, in :data:`GROUPS` order."""
        return {g: sum(map(len, buckets)) for g, buckets in self.answers.items()}

    @property
    def size(self) -> int:
        return sum(self.sizes.values())

    @property
    def unknown_codes(self) -> int:
        """Answers to codes the instrument does not have."""
        return sum(b.unknown_codes for buckets in self.answers.values() for b in buckets)

    def choices(self, code: str, allowed: tuple[str, ...]) -> dict[str, Counter[Any]]:
        """Each perspective group's counts of the answers to ``code``: each of ``allowed``,
        or MISSING / INVALID (as :func:`choice_value`)."""
        out: dict[str, Counter[Any]] = {}
        for g, buckets in self.answers.items():
            keys: Counter[Any] = Counter()
            for bucket in buckets:
                keys.update(bucket.single_counts[code])
            out[g] = choices_of_keys(keys, allowed)
        return out

    def choice_pairs(
        self, first: tuple[str, tuple[str, ...]], second: tuple[str, tuple[str, ...]]
    ) -> dict[str, Counter[tuple[Any, Any]]]:
        """Each perspective group's counts of each person's pair of answers to two codes."""
        (code_a, allowed_a), (code_b, allowed_b) = first, second
        out: dict[str, Counter[tuple[Any, Any]]] = {}
        for g, buckets in self.answers.items():
            counts: Counter[tuple[Any, Any]] = Counter()
            for bucket in buckets:
                for (a, b), n in bucket.pair_counts[code_a, code_b].items():
                    counts[_choice_of(a, allowed_a), _choice_of(b, allowed_b)] += n
            out[g] = counts
        return out

    def table_rows(self, code: str) -> Counter[tuple[Any, ...]]:
        """Everyone's table rows for ``code`` (texts, see :func:`count_table_rows`), counted."""
        out: Counter[tuple[Any, ...]] = Counter()
        for buckets in self.answers.values():
            for bucket in buckets:
                out.update(bucket.row_counts[code])
        return out


@dataclass
class Tally:
    """Counts of missing and invalid answers across one result's respondents."""

    missing: int = 0
    invalid: int = 0

    def add_counts(self, counts: Mapping[Any, int]) -> None:
        self.missing += counts.get(MISSING, 0)
        self.invalid += counts.get(INVALID, 0)


def result_header(group: Group, tally: Tally) -> dict[str, Any]:
    """The fields every instrument's result starts with: who, when, how many, data quality."""
    return {
        "subject": group.subject,
        "round": group.round,
        "respondents": group.size,
        "data_quality": DataQuality(
            missing=tally.missing,
            invalid=tally.invalid,
            unknown_codes=group.unknown_codes,
            duplicates=group.duplicates,
        ),
    }


def group_name(group: str) -> str:
    """'people with lived experience', 'staff', 'other respondents', or 'everyone'."""
    names = {
        "lived": "people with lived experience",
        "staff": "staff",
        "other": "other respondents",
        "all": "everyone who answered",
    }
    return names.get(group, PERSPECTIVE_NAMES.get(group, group))


def next_rung(model: LadderModel, placement: Placement) -> NextRung | None:
    if placement.next_index is None:
        return None
    return NextRung(
        rung=model.rungs[placement.next_index].id,
        rung_index=placement.next_index,
        changes=[c.text for c in placement.changes],
    )


def insufficient(model: LadderModel, unanswered: Sequence[str], noun: str) -> tuple[str, NextRung]:
    """The reason and next step for a result without enough answers."""
    names = join([f"`{u}`" for u in unanswered])
    reason = (
        f"insufficient data: no answers for the {noun}{'s' if len(unanswered) > 1 else ''} {names}"
    )
    step = NextRung(
        rung=model.rungs[0].id,
        rung_index=0,
        changes=[f"get at least one answer for `{u}`" for u in unanswered],
    )
    return reason, step


def join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
