"""What every instrument's scorer shares: counting choice answers and building a result's parts.

Scoring is count-based. A :class:`Group` holds one instrument's responses for
one subject and round, split by perspective group. For each question code the
scorers ask it for *counts* of the answers in each perspective group
(:meth:`Group.choices`), and work out every statistic (means, medians,
distributions, missing and invalid answers) from those counts. Counting runs
in C (``Counter`` over ``map(dict.get, ...)``), and only the few distinct raw
values are normalised in Python, so the cost per answer is a dictionary look-up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from typing import Any

from coprod_connectors.ladder import LadderModel, Placement
from coprod_connectors.responses import PERSPECTIVE_NAMES, FlagKind, Response, perspective
from coprod_connectors.scoring.models import NextRung
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


def _plain(value: object) -> bool:
    # Strings and None are the only answers for which "equal" means "normalised the
    # same": 1, 1.0 and True are equal (and share a Counter key) but not the same choice.
    return value is None or type(value) is str


def count_choices(answers: Sequence[dict[str, Any]], code: str, allowed: Collection[str]) -> Counter[Any]:
    """How many of ``answers`` (answer dicts) answer ``code`` with each of ``allowed``.

    Keys are the choices and MISSING / INVALID, exactly as :func:`choice_value`
    gives them. The raw values are counted first and each distinct one
    normalised once; when a value is not a string (a number, a list) every
    answer is normalised on its own, which is slower but exact.
    """
    try:
        raw = Counter(map(dict.get, answers, repeat(code)))
    except TypeError:  # an unhashable answer, such as a list where a choice belongs
        raw = None
    if raw is None or not all(_plain(v) for v in raw):
        return Counter(choice_value(a.get(code), allowed) for a in answers)
    out: Counter[Any] = Counter()
    for value, n in raw.items():
        out[choice_value(value, allowed)] += n
    return out


def count_choice_pairs(
    answers: Sequence[dict[str, Any]],
    first: tuple[str, Collection[str]],
    second: tuple[str, Collection[str]],
) -> Counter[tuple[Any, Any]]:
    """Counts of each person's pair of answers to two codes (e.g. a stage and its RAG rating)."""
    (code_a, allowed_a), (code_b, allowed_b) = first, second
    try:
        raw = Counter(
            zip(map(dict.get, answers, repeat(code_a)), map(dict.get, answers, repeat(code_b)))
        )
    except TypeError:
        raw = None
    if raw is None or not all(_plain(a) and _plain(b) for a, b in raw):
        return Counter(
            (choice_value(x.get(code_a), allowed_a), choice_value(x.get(code_b), allowed_b))
            for x in answers
        )
    out: Counter[tuple[Any, Any]] = Counter()
    for (a, b), n in raw.items():
        out[choice_value(a, allowed_a), choice_value(b, allowed_b)] += n
    return out


@dataclass
class Group:
    """One instrument's responses for one subject and round, split by perspective group.

    ``members`` has every perspective group of :data:`GROUPS` as a key, in
    that order (empty lists for groups nobody is in). The order of people
    within a group does not matter to any result.
    """

    subject: str | None
    round: str
    members: dict[str, list[Response]]
    duplicates: int = 0
    _counts: dict[tuple[str, tuple[str, ...]], dict[str, Counter[Any]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def of(cls, responses: Iterable[Response], *, duplicates: int = 0) -> Group:
        """The group of ``responses`` (all of one instrument, subject and round)."""
        by_role: dict[str | None, list[Response]] = {}
        for response in responses:
            by_role.setdefault(response.role, []).append(response)
        return cls.from_roles(by_role, duplicates=duplicates)

    @classmethod
    def from_roles(
        cls, by_role: Mapping[str | None, list[Response]], *, duplicates: int = 0
    ) -> Group:
        """The group of responses already split by role (at least one response)."""
        members: dict[str, list[Response]] = {g: [] for g in GROUPS}
        for role, responses in by_role.items():
            members[perspective(role)].extend(responses)
        first = next(r for rs in by_role.values() for r in rs)
        return cls(first.subject, first.round, members, duplicates)

    @property
    def size(self) -> int:
        return sum(self.sizes.values())

    @cached_property
    def sizes(self) -> dict[str, int]:
        """Respondents in each perspective group, in :data:`GROUPS` order."""
        return {g: len(rs) for g, rs in self.members.items()}

    @cached_property
    def answers(self) -> dict[str, list[dict[str, Any]]]:
        """Each perspective group's answer dicts (what the counting reads)."""
        return {g: [r.answers for r in rs] for g, rs in self.members.items()}

    def responses(self) -> Iterable[Response]:
        for rs in self.members.values():
            yield from rs

    def choices(self, code: str, allowed: tuple[str, ...]) -> dict[str, Counter[Any]]:
        """Each perspective group's counts of the answers to ``code`` (see :func:`count_choices`).

        Cached: several rules read the same counts.
        """
        key = (code, allowed)
        counts = self._counts.get(key)
        if counts is None:
            counts = {g: count_choices(a, code, allowed) for g, a in self.answers.items()}
            self._counts[key] = counts
        return counts

    def choice_pairs(
        self, first: tuple[str, tuple[str, ...]], second: tuple[str, tuple[str, ...]]
    ) -> dict[str, Counter[tuple[Any, Any]]]:
        """Each perspective group's counts of pairs of answers (see :func:`count_choice_pairs`)."""
        return {g: count_choice_pairs(a, first, second) for g, a in self.answers.items()}

    def unknown_codes(self) -> int:
        """Answers to codes the instrument does not have, across the group."""
        return sum(
            1
            for r in self.responses()
            if r.flags
            for f in r.flags
            if f.kind is FlagKind.UNKNOWN_CODE
        )


@dataclass
class Tally:
    """Counts of missing and invalid answers across one result's respondents."""

    missing: int = 0
    invalid: int = 0

    def add(self, value: Any) -> None:
        if value is MISSING:
            self.missing += 1
        elif value is INVALID:
            self.invalid += 1

    def add_counts(self, counts: Mapping[Any, int]) -> None:
        self.missing += counts.get(MISSING, 0)
        self.invalid += counts.get(INVALID, 0)


def unknown_codes(responses: Sequence[Response]) -> int:
    return sum(1 for r in responses for f in r.flags if f.kind is FlagKind.UNKNOWN_CODE)


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
