"""The fast, count-based scorer gives exactly the results of scoring one answer at a time.

- the demo data's results JSON is pinned (five-rung with k 3 and k 1, seven-rung):
  it was the same before the scorer became count-based, byte for byte;
- on random responses, full of answers that are not valid choices (numbers,
  booleans, lists, padded text), repeated ids, unknown instruments and codes,
  every statistic equals a reference written straight from the rules that
  reads one person's answer at a time.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_connectors.responses import Flag, FlagKind, Response
from coprod_connectors.scoring import score
from coprod_connectors.scoring.checklist import statement_themes
from coprod_connectors.scoring.common import INVALID, MISSING, choice, level
from coprod_connectors.scoring.stats import distribution, lower_median, visible_groups
from coprod_connectors.synthetic import demo_responses

# sha256 of `coprod score demo.jsonl --format json` (demo data of seed 2026), recorded
# before scoring became count-based. If a rule or an instrument changes on purpose,
# update these; otherwise a change here means the scorer's results changed.
PINNED = {
    ("five-rung", 3): "7cfff753e0583ad46ff1543ae6752c4047155c5c5d515784d64f7daecbe81977",
    ("five-rung", 1): "9066b7030621d3e65e2395532eca7e144630294ee22753a5fc0cbd04ab9b8a8b",
    ("seven-rung", 3): "ae594acb8e3a58353aa9708638b452dfee9273c307c137bbc2423bcac2031869",
}


@pytest.mark.parametrize(("ladder", "k"), list(PINNED))
def test_demo_results_are_pinned(ladder: str, k: int) -> None:
    text = score(demo_responses(), ladder=ladder, k=k).to_json()
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == PINNED[(ladder, k)]


# --- random responses ----------------------------------------------------------------------

PRINCIPLES = ("assets", "work", "recip", "network")
PHASES = ("idea", "design", "deliv", "review")
INDICATORS = ("early", "reward", "access", "feedback")
STATEMENTS = tuple(statement_themes())
ROLES = ("user", "carer", "staff", "mgr", "board", "comm", "nosay", None, "someone")
LIVED = ("user", "carer")
STAFF = ("staff", "mgr", "board")
WHEN = datetime(2026, 3, 1, tzinfo=timezone.utc)

#: Answers that are not one of the choices, or are one only after normalising.
ODD = st.sampled_from(
    [
        "",
        "  ",
        " 3 ",
        "agree ",
        "9",
        "y ",
        1,
        3,
        0,
        4.0,
        2.5,
        True,
        False,
        Decimal("1.0"),
        Decimal(2),
        [1],
        {"a": 1},
    ]
)


def answer(choices: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(choices), ODD, st.none())


def answers_for(instrument: str) -> st.SearchStrategy[dict[str, Any]]:
    if instrument == "self-reflection":
        codes = {f"{p}Stage": ("1", "2", "3", "4") for p in PRINCIPLES}
        codes |= {f"{p}Rag": ("red", "amber", "green") for p in PRINCIPLES}
    elif instrument == "checklist":
        codes = dict.fromkeys(STATEMENTS, ("agree", "part", "dis", "dk"))
    elif instrument == "ladder-check":
        codes = {f"{p}Inv": ("0", "1", "2", "3", "4") for p in PHASES}
        codes |= dict.fromkeys(INDICATORS, ("y", "n"))
    else:
        codes = {"q": ("x",)}
    base = st.fixed_dictionaries({c: answer(v) for c, v in codes.items()})
    if instrument != "self-reflection":
        return base
    cell = st.one_of(st.none(), st.sampled_from(["", " ", "a", "<b>", 1, 1.0, True, ["x"]]))
    row = st.fixed_dictionaries(
        {},
        optional={
            "actPrin": st.sampled_from(["asset", "work", "recip", "netw", "other", ""]),
            "actWhat": cell,
            "actWho": cell,
            "actWhen": st.sampled_from(["2027-01-01", "2027-02-01", None]),
            "actHow": cell,
        },
    )
    plans = st.one_of(st.lists(st.one_of(row, st.just("not a row")), max_size=3), st.just("x"))
    return st.builds(lambda a, p: {**a, "actions": p}, base, plans)


@st.composite
def responses(draw: st.DrawFn) -> list[Response]:
    out = []
    for i in range(draw(st.integers(1, 40))):
        instrument = draw(
            st.sampled_from(("self-reflection", "checklist", "ladder-check", "other"))
        )
        raw = draw(answers_for(instrument))
        unknown = draw(st.integers(0, 2))
        out.append(
            Response(
                instrument=instrument,
                instrument_version="1.0.0",
                # some ids repeat: the latest (or, on a tie, larger) copy counts
                response_id=draw(st.sampled_from([f"r{i}", "same", "again"])),
                submitted_at=WHEN + timedelta(minutes=draw(st.integers(0, 2))),
                round=draw(st.sampled_from(("2026-H1", "2026-H2"))),
                subject=draw(st.sampled_from(("A", "B", None))),
                role=draw(st.sampled_from(ROLES)),
                answers={c: v for c, v in raw.items() if v is not None},
                flags=[
                    Flag(code=f"zz{n}", kind=FlagKind.UNKNOWN_CODE, value=1, message="?")
                    for n in range(unknown)
                ],
            )
        )
    return out


# --- the reference: one person and one answer at a time ------------------------------------


def kept(all_responses: list[Response]) -> list[Response]:
    latest: dict[tuple[str, str], Response] = {}
    for r in all_responses:
        key = (r.instrument, r.response_id)
        if key not in latest or (r.submitted_at, r.to_json()) > (
            latest[key].submitted_at,
            latest[key].to_json(),
        ):
            latest[key] = r
    return list(latest.values())


def group_of(r: Response) -> str:
    return "lived" if r.role in LIVED else "staff" if r.role in STAFF else "other"


def levels(people: list[Response], code: str, low: int, high: int) -> list[Any]:
    return [level(r, code, low, high) for r in people]


def item(people: list[Response], code: str, low: int, high: int) -> dict[str, Any]:
    """A principle or phase in one perspective group: lower median, answered, distribution."""
    valid = [v for v in levels(people, code, low, high) if isinstance(v, int)]
    keys = [str(n) for n in range(low, high + 1)]
    return {
        "median": lower_median(valid),
        "answered": len(valid),
        "distribution": distribution(valid, keys),
    }


def whole_item(people: list[Response], code: str, low: int, high: int) -> dict[str, Any]:
    """The same for everyone, with the missing and invalid answers."""
    values = levels(people, code, low, high)
    return {
        **item(people, code, low, high),
        "missing": sum(v is MISSING for v in values),
        "invalid": sum(v is INVALID for v in values),
    }


def points(people: list[Response], code: str) -> list[float]:
    scores = {"agree": 1.0, "part": 0.5, "dis": 0.0}
    return [
        scores[a]
        for r in people
        if (a := choice(r, code, ("agree", "part", "dis", "dk"))) in scores
    ]


def mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def agreed(xs: list[float]) -> bool:
    return bool(xs) and sum(xs) / len(xs) > 0.5


def text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value)


def actions(people: list[Response]) -> list[tuple[str | None, ...]]:
    """Every action plan row as (principle, what, who, when, how), sorted as the rules say."""
    rows = []
    for r in people:
        plan = r.answers.get("actions")
        for row in plan if isinstance(plan, list) else []:
            if isinstance(row, dict):
                prin = text(row.get("actPrin"))
                principle = {"asset": "assets", "netw": "network"}.get(prin or "", prin)
                rest = (text(row.get(c)) for c in ("actWhat", "actWho", "actWhen", "actHow"))
                rows.append((principle, *rest))
    order = {p: i for i, p in enumerate(PRINCIPLES)}
    return sorted(
        rows,
        key=lambda a: (
            order.get(a[0] or "", len(order)),
            *(a[i] or "" for i in (0, 3, 1, 2, 4)),
        ),
    )


def reference(people: list[Response], instrument: str, k: int) -> dict[str, Any]:
    """The statistics of one result, worked out person by person."""
    by_group = {g: [r for r in people if group_of(r) == g] for g in ("lived", "staff", "other")}
    shown = visible_groups({g: len(m) for g, m in by_group.items()}, k)
    out: dict[str, Any] = {"respondents": len(people)}
    unknown = sum(f.kind is FlagKind.UNKNOWN_CODE for r in people for f in r.flags)
    missing = invalid = 0
    if instrument == "self-reflection":
        out["principles"] = {}
        for p in PRINCIPLES:
            stat = whole_item(people, f"{p}Stage", 1, 4)
            rags = [choice(r, f"{p}Rag", ("red", "amber", "green")) for r in people]
            lived = [v for v in levels(by_group["lived"], f"{p}Stage", 1, 4) if isinstance(v, int)]
            stage = stat["median"]
            low = lower_median(lived) if len(lived) >= k else None
            if stage is not None and low is not None:
                stage = min(stage, low)
            out["principles"][p] = {
                "stage": stage,
                **{key: stat[key] for key in ("median", "answered", "missing", "invalid")},
                "distribution": stat["distribution"],
                "rag": distribution(
                    [a for a in rags if isinstance(a, str)], ("red", "amber", "green")
                ),
                "rag_contradictions": sum(
                    (a, level(r, f"{p}Stage", 1, 4)) in {("green", 1), ("red", 4)}
                    for r, a in zip(people, rags, strict=True)
                ),
            }
            missing += stat["missing"]
            invalid += stat["invalid"] + sum(a is INVALID for a in rags)
        out["perspectives"] = {
            g: {p: item(by_group[g], f"{p}Stage", 1, 4) for p in PRINCIPLES} for g in shown
        }
        out["actions"] = actions(people)
    elif instrument == "checklist":
        out["statements"] = {}
        for code in STATEMENTS:
            answers = [choice(r, code, ("agree", "part", "dis", "dk")) for r in people]
            xs = points(people, code)
            out["statements"][code] = {
                "mean": mean(xs),
                "agreed": agreed(xs),
                "answered": len(xs),
                "missing": sum(a is MISSING for a in answers),
                "invalid": sum(a is INVALID for a in answers),
                "distribution": {a: answers.count(a) for a in ("agree", "part", "dis", "dk")},
            }
            missing += out["statements"][code]["missing"]
            invalid += out["statements"][code]["invalid"]
        basis = [g for g, m in by_group.items() if len(m) >= k] or ["all"]
        groups = {**by_group, "all": people}
        achieved = all(
            2 * sum(agreed(points(groups[g], c)) for c in STATEMENTS) > len(STATEMENTS)
            for g in basis
        )
        lived = by_group["lived"]
        if len(lived) >= k and any(
            2 * sum(choice(r, c, ("dis",)) == "dis" for r in lived) > len(lived) for c in STATEMENTS
        ):
            achieved = False
        out["agreement"] = {
            "agreed": sum(s["agreed"] for s in out["statements"].values()),
            "achieved": achieved,
            "basis": basis,
        }
        out["perspectives"] = {
            g: {c: (mean(xs := points(by_group[g], c)), len(xs), agreed(xs)) for c in STATEMENTS}
            for g in shown
        }
    else:
        out["phases"] = {p: whole_item(people, f"{p}Inv", 0, 4) for p in PHASES}
        for stat in out["phases"].values():
            missing += stat["missing"]
            invalid += stat["invalid"]
        out["indicators"] = {}
        for code in INDICATORS:
            answers = [choice(r, code, ("y", "n")) for r in people]
            out["indicators"][code] = {
                "yes": answers.count("y"),
                "no": answers.count("n"),
                "missing": sum(a is MISSING for a in answers),
                "invalid": sum(a is INVALID for a in answers),
            }
            invalid += out["indicators"][code]["invalid"]
        out["perspectives"] = {
            g: {p: item(by_group[g], f"{p}Inv", 0, 4) for p in PHASES} for g in shown
        }
    out["data_quality"] = {"missing": missing, "invalid": invalid, "unknown_codes": unknown}
    return out


def observed(result: Any) -> dict[str, Any]:
    """The same statistics, read from the scorer's result."""
    out: dict[str, Any] = {"respondents": result.respondents}
    dq = result.data_quality
    out["data_quality"] = dq.model_dump(exclude={"duplicates"})
    if result.instrument == "self-reflection":
        out["principles"] = {
            p: s.model_dump(exclude={"lowered_by_lived_experience"})
            for p, s in result.principles.items()
        }
        out["perspectives"] = {
            g: {p: i.model_dump() for p, i in v.principles.items()}
            for g, v in result.perspectives.items()
        }
        out["actions"] = [(a.principle, a.what, a.who, a.when, a.how) for a in result.actions]
    elif result.instrument == "checklist":
        out["statements"] = {
            c: s.model_dump(exclude={"theme", "dont_know"}) for c, s in result.statements.items()
        }
        a = result.agreement
        out["agreement"] = {"agreed": a.agreed, "achieved": a.achieved, "basis": a.basis}
        out["perspectives"] = {
            g: {c: (s.mean, s.answered, s.agreed) for c, s in v.statements.items()}
            for g, v in result.perspectives.items()
        }
    else:
        out["phases"] = {p: s.model_dump() for p, s in result.phases.items()}
        for stat in out["phases"].values():
            stat["median"] = stat.pop("level")
        out["indicators"] = {c: i.model_dump() for c, i in result.indicators.items()}
        out["perspectives"] = {
            g: {p: i.model_dump() for p, i in v.phases.items()}
            for g, v in result.perspectives.items()
        }
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=responses(), k=st.integers(1, 4))
def test_every_statistic_equals_the_one_answer_at_a_time_reference(
    people: list[Response], k: int
) -> None:
    results = score(people, k=k)
    survivors = kept(people)
    unscored = Counter(r.instrument for r in survivors if r.instrument == "other")
    assert results.unscored == dict(unscored)
    copies = Counter((p.instrument, p.response_id) for p in people)
    repeats: Counter[tuple[str, str | None, str]] = Counter()
    for r in survivors:
        repeats[(r.instrument, r.subject, r.round)] += copies[(r.instrument, r.response_id)] - 1
    for result in results.results:
        key = (result.instrument, result.subject, result.round)
        members = [r for r in survivors if (r.instrument, r.subject, r.round) == key]
        assert observed(result) == reference(members, result.instrument, k)
        assert result.data_quality.duplicates == repeats[key]
    scored = {(r.instrument, r.subject, r.round) for r in survivors if r.instrument != "other"}
    assert len(results.results) == len(scored)


def test_answers_equal_in_python_but_not_as_choices_are_told_apart() -> None:
    # 1 == 1.0 == True == Decimal("1.0") in Python, so counting them before normalising
    # would merge them; as answers, 1 and 1.0 are 1, True and Decimal("1.0") are invalid
    odd: list[Any] = [1, True, 1.0, Decimal("1.0"), "1", " 1 ", 0, False, "4"]

    def person(i: int, instrument: str, answers: dict[str, Any]) -> Response:
        return Response(
            instrument=instrument,
            instrument_version="1.0.0",
            response_id=f"r{i}",
            submitted_at=WHEN,
            round="2026-H1",
            subject="S",
            role="staff",
            answers=answers,
        )

    people = [
        person(i, "self-reflection", {"assetsStage": v, "assetsRag": "green"})
        for i, v in enumerate(odd)
    ]
    (result,) = score(people).results
    assets = result.principles["assets"]
    assert (assets.answered, assets.invalid) == (5, 4)
    assert assets.distribution == {"1": 4, "2": 0, "3": 0, "4": 1}
    assert assets.rag_contradictions == 4
    assert observed(result) == reference(people, "self-reflection", 3)

    people = [person(i, "ladder-check", {"ideaInv": v, "early": v}) for i, v in enumerate(odd)]
    (result,) = score(people).results
    idea = result.phases["idea"]
    assert (idea.answered, idea.invalid) == (6, 3)
    assert idea.distribution == {"0": 1, "1": 4, "2": 0, "3": 0, "4": 1}
    assert observed(result) == reference(people, "ladder-check", 3)
