"""Properties of scoring and classification, checked with hypothesis.

- deterministic, and invariant to the order of respondents;
- monotone: raising any answer never lowers a stage, a share or a rung;
- a missing answer never raises a result: blanking an item for everyone never
  raises it (no answers is "none", below every rung), and for one person alone
  blanking an answer never raises anything;
- every ladder model agrees with a brute-force reference written straight from
  the rules, on small inputs, and next_rung is a smallest set of changes.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_connectors.ladder import LevelEvidence, builtin_ladder, place
from coprod_connectors.responses import PERSPECTIVES, Response
from coprod_connectors.scoring import score
from coprod_connectors.scoring.checklist import statement_themes

WHEN = datetime(2026, 3, 1, tzinfo=timezone.utc)
PRINCIPLES = ("assets", "work", "recip", "network")
PHASES = ("idea", "design", "deliv", "review")
STATEMENTS = tuple(statement_themes())
ROLES = (*PERSPECTIVES, None)
LADDERS = ("five-rung", "seven-rung")
CHECK = ("dis", "part", "agree")

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies ---------------------------------------------------------------------------


def _codes(instrument: str) -> tuple[str, ...]:
    if instrument == "self-reflection":
        return tuple(f"{p}Stage" for p in PRINCIPLES)
    if instrument == "ladder-check":
        return tuple(f"{p}Inv" for p in PHASES)
    return STATEMENTS


def _values(instrument: str) -> tuple[str, ...]:
    if instrument == "self-reflection":
        return ("1", "2", "3", "4")
    if instrument == "ladder-check":
        return ("0", "1", "2", "3", "4")
    return CHECK


def _answer(instrument: str) -> st.SearchStrategy[str | None]:
    extra = ["dk"] if instrument == "checklist" else []
    return st.one_of(
        st.sampled_from(_values(instrument)),
        st.sampled_from([None, "9", *extra]),
    )


@st.composite
def rows(draw: st.DrawFn, instrument: str, max_people: int = 7) -> list[dict[str, Any]]:
    people = draw(st.integers(1, max_people))
    out = []
    for _ in range(people):
        role = draw(st.sampled_from(ROLES))
        answers = {c: v for c in _codes(instrument) if (v := draw(_answer(instrument))) is not None}
        out.append({"role": role, "answers": answers})
    return out


instruments = st.sampled_from(("self-reflection", "checklist", "ladder-check"))


def build(instrument: str, people: list[dict[str, Any]]) -> list[Response]:
    return [
        Response(
            instrument=instrument,
            instrument_version="1.0.0",
            response_id=f"r{i}",
            submitted_at=WHEN,
            round="2026-H1",
            subject="S",
            role=p["role"],
            answers=dict(p["answers"]),
        )
        for i, p in enumerate(people)
    ]


def run(
    instrument: str, people: list[dict[str, Any]], ladder: str = "five-rung", k: int = 3
) -> Any:
    results = score(build(instrument, people), ladder=ladder, k=k)
    assert len(results.results) == 1
    return results.results[0]


def measures(result: Any) -> list[float]:
    """Every number that must not go down when an answer goes up (None counts lowest)."""
    low = -1.0
    out = [low if result.rung_index is None else float(result.rung_index)]
    if result.instrument == "self-reflection":
        out += [low if s.stage is None else s.stage for s in result.principles.values()]
    elif result.instrument == "ladder-check":
        out += [low if s.level is None else s.level for s in result.phases.values()]
    else:
        out += [result.agreement.share, float(result.agreement.achieved)]
    return out


def at_least(a: list[float], b: list[float]) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True))


# --- determinism and order -----------------------------------------------------------------


@SETTINGS
@given(data=st.data(), instrument=instruments, ladder=st.sampled_from(LADDERS))
def test_deterministic_and_order_invariant(
    data: st.DataObject, instrument: str, ladder: str
) -> None:
    people = data.draw(rows(instrument))
    first = score(build(instrument, people), ladder=ladder).to_json()
    assert score(build(instrument, people), ladder=ladder).to_json() == first
    shuffled = data.draw(st.permutations(list(zip(people, build(instrument, people), strict=True))))
    assert score([r for _, r in shuffled], ladder=ladder).to_json() == first


# --- monotone ------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data(), instrument=instruments, ladder=st.sampled_from(LADDERS), k=st.integers(1, 4))
def test_raising_an_answer_never_lowers_anything(
    data: st.DataObject, instrument: str, ladder: str, k: int
) -> None:
    people = data.draw(rows(instrument))
    who = data.draw(st.integers(0, len(people) - 1))
    code = data.draw(st.sampled_from(_codes(instrument)))
    values = _values(instrument)
    current = people[who]["answers"].get(code)
    if current not in values:
        return
    higher = data.draw(st.sampled_from(values[values.index(current) :]))
    raised = [dict(p, answers=dict(p["answers"])) for p in people]
    raised[who]["answers"][code] = higher
    before = measures(run(instrument, people, ladder, k))
    after = measures(run(instrument, raised, ladder, k))
    assert at_least(after, before)


@SETTINGS
@given(data=st.data(), instrument=instruments, ladder=st.sampled_from(LADDERS))
def test_blanking_an_item_for_everyone_never_raises(
    data: st.DataObject, instrument: str, ladder: str
) -> None:
    people = data.draw(rows(instrument))
    code = data.draw(st.sampled_from(_codes(instrument)))
    blanked = [
        dict(p, answers={c: v for c, v in p["answers"].items() if c != code}) for p in people
    ]
    before = measures(run(instrument, people, ladder))
    after = measures(run(instrument, blanked, ladder))
    assert at_least(before, after)


@SETTINGS
@given(data=st.data(), instrument=instruments, ladder=st.sampled_from(LADDERS))
def test_a_missing_answer_never_raises_one_persons_result(
    data: st.DataObject, instrument: str, ladder: str
) -> None:
    person = data.draw(rows(instrument, max_people=1))
    code = data.draw(st.sampled_from(_codes(instrument)))
    blanked = [
        dict(person[0], answers={c: v for c, v in person[0]["answers"].items() if c != code})
    ]
    assert at_least(
        measures(run(instrument, person, ladder)), measures(run(instrument, blanked, ladder))
    )


# --- brute-force reference -----------------------------------------------------------------


def ref_median(values: list[int]) -> int | None:
    """The smallest value with at least half of the values at or below it."""
    for v in sorted(set(values)):
        if 2 * sum(x <= v for x in values) >= len(values):
            return v
    return None


def ref_levels(instrument: str, people: list[dict[str, Any]], k: int) -> dict[str, int] | None:
    items = PRINCIPLES if instrument == "self-reflection" else PHASES
    suffix = "Stage" if instrument == "self-reflection" else "Inv"
    valid = _values(instrument)
    out = {}
    for item in items:
        answers = [p["answers"].get(item + suffix) for p in people]
        values = [int(a) for a in answers if a in valid]
        lived = [
            int(a)
            for p, a in zip(people, answers, strict=True)
            if a in valid and p["role"] in ("user", "carer")
        ]
        stage = ref_median(values)
        if stage is None:
            return None
        if instrument == "self-reflection" and len(lived) >= k:
            stage = min(stage, ref_median(lived) or stage)
        out[item] = stage
    return out


def ref_level_rung(instrument: str, ladder: str, levels: dict[str, int]) -> int:
    low = min(levels.values())
    count = lambda n: sum(v >= n for v in levels.values())  # noqa: E731
    if ladder == "five-rung":
        return low
    if instrument == "self-reflection":
        if low >= 4:
            return 6
        if low >= 3:
            return 5 if count(4) >= 2 else 4
        if low >= 2:
            return 3
        return 2 if count(2) >= 3 else 1 if count(2) >= 1 else 0
    if low >= 4:
        return 6
    if low >= 2 and levels["idea"] >= 3 and levels["design"] >= 3:
        return 5
    if low >= 2:
        return 4 if count(3) >= 2 else 3
    return 2 if low >= 1 else 1 if count(1) >= 2 else 0


def ref_checklist_rung(ladder: str, people: list[dict[str, Any]], k: int) -> int | None:
    points = {"agree": 1.0, "part": 0.5, "dis": 0.0}

    def agreed(group: list[dict[str, Any]], code: str) -> bool:
        xs = [points[p["answers"][code]] for p in group if p["answers"].get(code) in points]
        return bool(xs) and sum(xs) / len(xs) > 0.5

    if not any(p["answers"].get(c) in points for p in people for c in STATEMENTS):
        return None
    groups: dict[str, list[dict[str, Any]]] = {"lived": [], "staff": [], "other": []}
    for p in people:
        groups[PERSPECTIVES.get(p["role"] or "", "other")].append(p)
    basis = [g for g in groups.values() if len(g) >= k] or [people]
    achieved = all(2 * sum(agreed(g, c) for c in STATEMENTS) > len(STATEMENTS) for g in basis)
    lived = groups["lived"]
    if len(lived) >= k:
        for c in STATEMENTS:
            if 2 * sum(p["answers"].get(c) == "dis" for p in lived) > len(lived):
                achieved = False
    s = sum(agreed(people, c) for c in STATEMENTS) / len(STATEMENTS)
    if ladder == "five-rung":
        steps = [(lambda: achieved), (lambda: s > 0.5), (lambda: s >= 0.25), (lambda: s > 0)]
    else:
        steps = [
            lambda: achieved,
            lambda: s >= 0.75,
            lambda: s > 0.5,
            lambda: s >= 0.4,
            lambda: s >= 0.25,
            lambda: s > 0,
        ]
    for i, holds in enumerate(steps):
        if holds():
            return len(steps) - i
    return 0


@SETTINGS
@given(data=st.data(), instrument=instruments, ladder=st.sampled_from(LADDERS), k=st.integers(1, 4))
def test_every_ladder_agrees_with_the_reference(
    data: st.DataObject, instrument: str, ladder: str, k: int
) -> None:
    people = data.draw(rows(instrument, max_people=6))
    result = run(instrument, people, ladder, k)
    if instrument == "checklist":
        expected = ref_checklist_rung(ladder, people, k)
    else:
        levels = ref_levels(instrument, people, k)
        expected = None if levels is None else ref_level_rung(instrument, ladder, levels)
    assert result.rung_index == expected
    model = builtin_ladder(ladder)
    assert result.rung == (None if expected is None else model.rungs[expected].id)


@settings(max_examples=200, deadline=None)
@given(
    instrument=st.sampled_from(("self-reflection", "ladder-check")),
    ladder=st.sampled_from(LADDERS),
    data=st.data(),
)
def test_next_rung_is_a_smallest_set_of_changes(
    instrument: str, ladder: str, data: st.DataObject
) -> None:
    items = PRINCIPLES if instrument == "self-reflection" else PHASES
    low = 1 if instrument == "self-reflection" else 0
    levels = {i: data.draw(st.integers(low, 4)) for i in items}
    model = builtin_ladder(ladder)
    placement = place(model, instrument, LevelEvidence(levels))
    assert placement.rung_index == ref_level_rung(instrument, ladder, levels)
    if placement.next_index is None:
        assert placement.rung_index == len(model.rungs) - 1
        return
    # the proposed changes reach at least the next rung
    changed = dict(levels)
    for change in placement.changes:
        assert change.item is not None
        assert change.to_level is not None
        assert change.to_level > levels[change.item]
        changed[change.item] = change.to_level
    assert ref_level_rung(instrument, ladder, changed) >= placement.next_index
    # and no set of fewer changed items does
    fewest = min(
        sum(a != b for a, b in zip(candidate, levels.values(), strict=True))
        for candidate in itertools.product(*(range(v, 5) for v in levels.values()))
        if ref_level_rung(instrument, ladder, dict(zip(items, candidate, strict=True)))
        >= placement.next_index
    )
    assert len(placement.changes) == fewest
