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

MISSING = object()
INVALID = object()


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


def count_choices(values: Sequence[Any], allowed: Collection[str]) -> Counter[Any]:
    """How many of ``values`` (raw answers) are each of ``allowed``, or MISSING / INVALID.

    Keys are exactly what :func:`choice_value` gives. The raw values are
    counted first (in C) and each distinct one normalised once; when a value
    is not a string (a number, a list) every answer is normalised on its own,
    which is slower but exact.
    """
    try:
        raw = Counter(values)
    except TypeError:  # an unhashable answer, such as a list where a choice belongs
        raw = None
    if raw is None or not all(plain(v) for v in raw):
        return Counter(choice_value(v, allowed) for v in values)
    out: Counter[Any] = Counter()
    for value, n in raw.items():
        out[choice_value(value, allowed)] += n
    return out


def count_choice_pairs(
    first: Sequence[Any],
    second: Sequence[Any],
    allowed_first: Collection[str],
    allowed_second: Collection[str],
) -> Counter[tuple[Any, Any]]:
    """Counts of each person's pair of answers (``first[i]``, ``second[i]``), normalised."""
    try:
        raw = Counter(zip(first, second, strict=True))
    except TypeError:
        raw = None
    if raw is None or not all(plain(a) and plain(b) for a, b in raw):
        return Counter(
            (choice_value(a, allowed_first), choice_value(b, allowed_second))
            for a, b in zip(first, second, strict=True)
        )
    out: Counter[tuple[Any, Any]] = Counter()
    for (a, b), n in raw.items():
        out[choice_value(a, allowed_first), choice_value(b, allowed_second)] += n
    return out


class Answers:
    """The raw answers to some codes from a number of people, read one person at a time.

    The values are kept in one flat list, person after person, ``len(codes)``
    values each. Reading all of a person's answers while their dict is in the
    CPU cache, and appending them to one list (nothing allocated per person),
    is what makes a million people quick: a pass per code would fetch every
    dict from memory again for each code.
    """

    __slots__ = ("codes", "people", "unknown_codes", "values")

    def __init__(self, codes: tuple[str, ...]) -> None:
        self.codes = codes
        self.values: list[Any] = []
        self.people = 0
        self.unknown_codes = 0

    def __len__(self) -> int:
        return self.people

    def column(self, code: str) -> list[Any]:
        """Everyone's raw answer to ``code`` (None when unanswered), in order."""
        # every len(codes)-th value, starting at the code's own position
        return self.values[self.codes.index(code) :: len(self.codes)]


#: How responses are split before scoring: instrument, subject, round and role.
Bucket = tuple[str, str | None, str, str | None]
_FIELDS = attrgetter("instrument", "subject", "round", "role", "answers", "flags")


def read_answers(
    responses: Iterable[Response], codes: Mapping[str, tuple[str, ...]]
) -> dict[Bucket, Answers]:
    """Each instrument's, subject's, round's and role's :class:`Answers` to its ``codes``.

    One pass, in the responses' own order (what memory fetches fastest);
    ``attrgetter`` reads each response's fields in one call.
    """
    buckets: dict[Bucket, Answers] = {}
    for instrument, subject, round_, role, answers, flags in map(_FIELDS, responses):
        key = (instrument, subject, round_, role)
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = Answers(codes.get(instrument, ()))
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
    :data:`GROUPS`, in that order, even when nobody is in it) the
    :class:`Answers` of the roles in it, and the numbers of duplicates
    dropped and of answers to unknown codes. The order of people within a
    group does not matter to any result.
    """

    subject: str | None
    round: str
    answers: dict[str, list[Answers]]
    duplicates: int = 0

    @classmethod
    def of(
        cls, responses: Iterable[Response], codes: tuple[str, ...], *, duplicates: int = 0
    ) -> Group:
        """The group of ``responses`` (one instrument, subject and round), reading ``codes``."""
        responses = list(responses)
        if not responses:
            msg = "a group needs at least one response"
            raise ValueError(msg)
        buckets = read_answers(responses, {r.instrument: codes for r in responses})
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
        """The group of answers already read and split by role."""
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

    def column(self, g: str, code: str) -> list[Any]:
        """Perspective group ``g``'s raw answers to ``code``, one per person (None: none)."""
        out: list[Any] = []
        for bucket in self.answers[g]:
            out += bucket.column(code)
        return out

    def choices(self, code: str, allowed: tuple[str, ...]) -> dict[str, Counter[Any]]:
        """Each perspective group's counts of the answers to ``code``, as :func:`count_choices`."""
        return {g: count_choices(self.column(g, code), allowed) for g in self.answers}

    def choice_pairs(
        self, first: tuple[str, tuple[str, ...]], second: tuple[str, tuple[str, ...]]
    ) -> dict[str, Counter[tuple[Any, Any]]]:
        """Each perspective group's counts of each person's pair of answers to two codes."""
        (code_a, allowed_a), (code_b, allowed_b) = first, second
        return {
            g: count_choice_pairs(
                self.column(g, code_a), self.column(g, code_b), allowed_a, allowed_b
            )
            for g in self.answers
        }


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
