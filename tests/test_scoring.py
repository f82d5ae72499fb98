"""The scoring rules of INSTRUMENTS.md, one rule at a time, on hand-made responses."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from coprod_connectors.errors import ConfigError
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.responses import FlagKind, Response, build_response
from coprod_connectors.scoring import (
    ChecklistResult,
    LadderCheckResult,
    SelfReflectionResult,
    lower_median,
    rag_flags,
    score,
    visible_groups,
)
from coprod_connectors.scoring.checklist import statement_themes

WHEN = datetime(2026, 3, 1, tzinfo=timezone.utc)
PRINCIPLES = ("assets", "work", "recip", "network")


def make(
    instrument: str,
    rows: list[tuple[str | None, dict[str, Any]]],
    *,
    subject: str = "Riverside",
    round_: str = "2026-H1",
    start: int = 0,
) -> list[Response]:
    out = []
    for i, (role, answers) in enumerate(rows, start=start):
        raw = dict(answers)
        if role:
            raw["role"] = role
        out.append(
            build_response(
                builtin_instrument(instrument),
                raw,
                response_id=f"{instrument}-{subject}-{round_}-{i}",
                submitted_at=WHEN,
                round=round_,
                subject=subject,
            )
        )
    return out


def sr(**stages: int | str) -> dict[str, Any]:
    return {f"{p}Stage": str(v) for p, v in stages.items()}


def all_stages(value: int) -> dict[str, Any]:
    return {f"{p}Stage": str(value) for p in PRINCIPLES}


def only(results: Any) -> Any:
    assert len(results.results) == 1
    return results.results[0]


def test_lower_median() -> None:
    assert lower_median([]) is None
    assert lower_median([3]) == 3
    assert lower_median([4, 1]) == 1
    assert lower_median([1, 2, 3, 4]) == 2
    assert lower_median([4, 2, 3]) == 3


# --- self-reflection ---------------------------------------------------------------------


def test_stage_is_lower_median_and_rung_is_lowest_principle() -> None:
    rows = [
        ("staff", {**all_stages(4), "workStage": "2"}),
        ("staff", {**all_stages(3), "workStage": "3"}),
        ("mgr", all_stages(4)),
        ("board", all_stages(3)),
    ]
    result = only(score(make("self-reflection", rows)))
    assert isinstance(result, SelfReflectionResult)
    assert result.principles["assets"].stage == 3  # 3,3,4,4 -> lower middle 3
    assert result.principles["work"].stage == 3  # 2,3,3,4
    assert result.rung == "participation"
    assert result.rung_index == 3
    assert "are at stage 3" in result.reasons[0]
    assert result.next_rung is not None
    assert result.next_rung.rung == "co-production"
    assert len(result.next_rung.changes) == 4


def test_lived_experience_lowers_a_stage_and_says_so() -> None:
    rows = [("staff", all_stages(4))] * 4 + [("user", all_stages(4))] * 2
    rows += [("carer", {**all_stages(4), "workStage": "2"})] * 3
    result = only(score(make("self-reflection", rows)))
    work = result.principles["work"]
    assert work.median == 4
    assert work.stage == 2
    assert work.lowered_by_lived_experience
    assert result.rung == "consultation"
    assert any("lived experience view lowered `work` from 4 to 2" in r for r in result.reasons)


def test_lived_experience_below_k_does_not_lower() -> None:
    rows = [("staff", all_stages(4))] * 4 + [("user", all_stages(1))] * 2
    result = only(score(make("self-reflection", rows), k=3))
    assert result.rung == "co-production"
    assert "lived" not in result.perspectives
    assert only(score(make("self-reflection", rows), k=2)).rung == "information"


def test_principle_without_answers_gives_no_rung_naming_it() -> None:
    rows = [("staff", sr(assets=3, work=3, recip=3))] * 3
    result = only(score(make("self-reflection", rows)))
    assert result.rung is None
    assert result.rung_index is None
    assert "insufficient data" in result.reasons[0]
    assert "`network`" in result.reasons[0]
    assert result.data_quality.missing == 3


def test_rag_contradictions_are_flagged_never_changed() -> None:
    rows = [
        ("user", {**all_stages(1), "assetsRag": "green"}),
        ("user", {**all_stages(4), "assetsRag": "red"}),
        ("user", {**all_stages(2), "assetsRag": "green"}),
    ]
    responses = make("self-reflection", rows)
    result = only(score(responses))
    assets = result.principles["assets"]
    assert assets.rag_contradictions == 2
    assert assets.rag == {"red": 1, "amber": 0, "green": 2}
    assert assets.stage == 2
    flags = rag_flags(responses[0])
    assert [(f.code, f.kind) for f in flags] == [("assetsRag", FlagKind.INCONSISTENT)]


def test_invalid_and_odd_answers_are_counted_never_raise() -> None:
    rows = [
        ("user", {**all_stages(3), "workStage": "9"}),
        ("user", all_stages(3)),
        ("user", all_stages(3)),
    ]
    responses = make("self-reflection", rows)
    odd = responses[1].model_copy(
        update={"answers": {**responses[1].answers, "recipStage": {"x": 1}, "assetsStage": True}}
    )
    result = only(score([responses[0], odd, responses[2]]))
    assert result.principles["work"].invalid == 1
    assert result.principles["recip"].invalid == 1
    assert result.principles["assets"].invalid == 1
    assert result.data_quality.invalid == 3
    assert result.rung == "participation"


def test_small_groups_are_never_shown_nor_derivable() -> None:
    rows = [("user", all_stages(2))] * 5 + [("staff", all_stages(3))]
    result = only(score(make("self-reflection", rows)))
    # lived (5) alone would let anyone work out the one staff answer from the whole
    assert result.perspectives == {}
    rows += [("staff", all_stages(3))] * 2 + [("comm", all_stages(3))] * 3
    result = only(score(make("self-reflection", rows)))
    assert set(result.perspectives) == {"lived", "staff", "other"}
    assert visible_groups({"lived": 6, "staff": 6, "other": 2}, 3) == ["lived"]
    assert visible_groups({"lived": 4, "staff": 3, "other": 0}, 3) == ["lived", "staff"]
    assert visible_groups({"lived": 4, "staff": 3, "other": 1}, 3) == ["lived"]


def test_action_plans_are_kept_in_a_fixed_order() -> None:
    actions = [
        {"actWhat": "<script>alert(1)</script>", "actPrin": "netw", "actWhen": "2027-01-01"},
        {"actWhat": "Time bank", "actPrin": "work", "actWho": "Finance"},
    ]
    result = only(score(make("self-reflection", [("user", {**all_stages(2), "actions": actions})])))
    assert [a.principle for a in result.actions] == ["work", "network"]
    assert result.actions[1].what == "<script>alert(1)</script>"


# --- checklist ---------------------------------------------------------------------------


def statements(value: str, **overrides: str) -> dict[str, Any]:
    answers = dict.fromkeys(statement_themes(), value)
    answers.update(overrides)
    return answers


def test_statement_scores_and_agreement_threshold() -> None:
    rows = [("user", statements("agree", d1="dis", d2="part", d3="dk"))]
    rows += [("user", statements("agree", d1="agree", d2="part", d3="dk"))]
    result = only(score(make("checklist", rows)))
    assert isinstance(result, ChecklistResult)
    d1, d2, d3 = (result.statements[c] for c in ("d1", "d2", "d3"))
    assert (d1.mean, d1.agreed) == (0.5, False)  # exactly half is not above half
    assert (d2.mean, d2.agreed) == (0.5, False)
    assert (d3.mean, d3.agreed, d3.dont_know, d3.answered) == (None, False, 2, 0)
    assert result.agreement.total == len(statement_themes()) == 28
    assert result.agreement.agreed == 25


def test_achieved_needs_every_big_group() -> None:
    lived = [("user", statements("agree"))] * 3
    staff_ok = [("staff", statements("agree"))] * 3
    staff_no = [("staff", statements("dis"))] * 3
    assert only(score(make("checklist", lived + staff_ok))).rung == "co-production"
    result = only(score(make("checklist", lived + staff_no)))
    assert not result.agreement.achieved
    assert result.agreement.basis == ["lived", "staff"]
    assert result.rung == "no-engagement"  # every mean is exactly 0.5: none agreed, s = 0
    assert any("staff" in r for r in result.reasons)


def test_half_of_lived_experience_disagreeing_does_not_block() -> None:
    rows = [("user", statements("agree", d1="dis"))] * 2 + [("carer", statements("agree"))] * 2
    rows += [("staff", statements("agree"))] * 3
    result = only(score(make("checklist", rows)))
    assert result.agreement.achieved
    assert result.rung == "co-production"
    assert result.next_rung is None


def test_lived_majority_disagreeing_blocks_achieved() -> None:
    rows = [("user", statements("agree", d1="dis"))] * 3 + [("carer", statements("agree"))]
    rows += [("staff", statements("agree"))] * 6
    result = only(score(make("checklist", rows)))
    assert result.statements["d1"].agreed
    assert not result.agreement.achieved
    assert result.rung == "participation"
    assert result.next_rung is not None
    assert result.next_rung.changes == [
        "turn round `d1`: 3 of 4 people with lived experience disagree (at most half may)"
    ]


def test_no_group_big_enough_uses_everyone() -> None:
    rows = [("user", statements("agree")), ("staff", statements("agree"))]
    result = only(score(make("checklist", rows)))
    assert result.agreement.basis == ["all"]
    assert result.rung == "co-production"
    assert result.perspectives == {}
    assert "everyone together" in result.reasons[0]


@pytest.mark.parametrize(
    ("agreed", "rung"),
    [(0, "no-engagement"), (1, "information"), (7, "consultation"), (15, "participation")],
)
def test_share_fallback(agreed: int, rung: str) -> None:
    codes = list(statement_themes())
    answers = {c: ("agree" if i < agreed else "dis") for i, c in enumerate(codes)}
    result = only(score(make("checklist", [("user", answers)] * 3)))
    assert result.agreement.agreed == agreed
    assert result.agreement.share == round(agreed / 28, 4)
    assert result.rung == rung


def test_no_answered_statements_is_insufficient() -> None:
    result = only(score(make("checklist", [("user", statements("dk"))] * 3)))
    assert result.rung is None
    assert result.statements["d1"].dont_know == 3


# --- ladder check ------------------------------------------------------------------------


def phases(idea: int, design: int, deliv: int, review: int | None) -> dict[str, Any]:
    answers = {"ideaInv": str(idea), "designInv": str(design), "delivInv": str(deliv)}
    if review is not None:
        answers["reviewInv"] = str(review)
    return answers


def test_lowest_phase_sets_the_rung() -> None:
    rows = [("user", {**phases(0, 3, 4, 4), "early": "n", "reward": "y"})] * 2
    rows += [("staff", {**phases(1, 4, 4, 4), "early": "y"})]
    result = only(score(make("ladder-check", rows)))
    assert isinstance(result, LadderCheckResult)
    assert result.phases["idea"].level == 0
    assert result.rung == "no-engagement"
    assert "`idea` is at level 0" in result.reasons[0]
    assert result.indicators["early"].model_dump() == {
        "yes": 1,
        "no": 2,
        "missing": 0,
        "invalid": 0,
    }
    assert result.indicators["access"].missing == 3


def test_unanswered_phase_gives_no_rung() -> None:
    result = only(score(make("ladder-check", [("user", phases(3, 3, 3, None))])))
    assert result.rung is None
    assert "`review`" in result.reasons[0]


# --- the whole run -----------------------------------------------------------------------


def test_results_grouped_sorted_and_deduplicated() -> None:
    responses = make("self-reflection", [("user", all_stages(2))], subject="B", round_="2026-H2")
    responses += make("ladder-check", [("user", phases(1, 1, 1, 1))], subject="A")
    responses += make("self-reflection", [("user", all_stages(3))], subject="B", round_="2026-H1")
    responses += make("self-reflection", [("user", all_stages(4))], subject="A")
    later = responses[0].model_copy(
        update={"submitted_at": datetime(2026, 9, 1, tzinfo=timezone.utc)}
    )
    results = score([*responses, later])
    keys = [(r.instrument, r.subject, r.round) for r in results.results]
    assert keys == [
        ("self-reflection", "A", "2026-H1"),
        ("self-reflection", "B", "2026-H1"),
        ("self-reflection", "B", "2026-H2"),
        ("ladder-check", "A", "2026-H1"),
    ]
    assert results.results[2].data_quality.duplicates == 1
    assert results.results[2].respondents == 1


def test_unknown_instrument_is_reported_not_scored() -> None:
    response = make("self-reflection", [("user", all_stages(2))])[0]
    other = response.model_copy(update={"instrument": "mystery"})
    results = score([response, other])
    assert results.unscored == {"mystery": 1}
    assert len(results.results) == 1


def test_bad_threshold_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        score([], k=0)
    assert score([]).results == []


def test_the_same_response_id_in_two_deployments_is_two_people() -> None:
    """LimeSurvey numbers responses per survey: id 1 in two surveys is two people."""
    from coprod_connectors.scoring import score as score_all
    from coprod_connectors.synthetic import demo_responses

    base = next(r for r in demo_responses() if r.instrument == "ladder-check")
    a = base.model_copy(update={"response_id": "1", "deployment": "limesurvey:ls:111"})
    b = base.model_copy(update={"response_id": "1", "deployment": "limesurvey:ls:222"})
    again = a.model_copy()
    result = score_all([a, b, again]).results[0]
    assert result.respondents == 2
