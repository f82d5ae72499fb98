"""Scoring the checklist: statement agreement, the share s, and the achieved rule."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from coprod_connectors.instruments import QuestionKind, builtin_instrument
from coprod_connectors.ladder import LadderModel, ShareEvidence, place
from coprod_connectors.responses import Response
from coprod_connectors.scoring.common import (
    INVALID,
    MISSING,
    Tally,
    choice,
    group_name,
    join,
    next_rung,
    unknown_codes,
)
from coprod_connectors.scoring.models import (
    Agreement,
    ChecklistPerspective,
    ChecklistResult,
    DataQuality,
    GroupStatement,
    NextRung,
    StatementScore,
)
from coprod_connectors.scoring.stats import GROUPS, group_sizes, visible_groups

INSTRUMENT = "checklist"
ANSWERS = ("agree", "part", "dis", "dk")
POINTS = {"agree": 1.0, "part": 0.5, "dis": 0.0}


@cache
def statement_themes() -> dict[str, str]:
    """Every statement code and the grid (theme) it belongs to, in the instrument's order."""
    instrument = builtin_instrument(INSTRUMENT)
    return {
        row.code: question.code
        for _, _, question in instrument.iter_questions()
        if question.kind is QuestionKind.MATRIX
        for row in question.rows or ()
    }


def _mean(points: Sequence[float]) -> float | None:
    return round(sum(points) / len(points), 4) if points else None


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _agreed(points: Sequence[float]) -> bool:
    # mean > 0.5, in exact arithmetic: twice the sum above the count
    return bool(points) and 2 * sum(points) > len(points)


def _points(responses: Sequence[Response], code: str) -> list[float]:
    return [POINTS[a] for r in responses if (a := choice(r, code, ANSWERS)) in POINTS]


def score_checklist(
    responses: Sequence[Response], *, model: LadderModel, k: int, duplicates: int = 0
) -> ChecklistResult:
    """The result for one subject and round."""
    themes = statement_themes()
    total = len(themes)
    tally = Tally()
    statements: dict[str, StatementScore] = {}
    for code, theme in themes.items():
        answers = [choice(r, code, ANSWERS) for r in responses]
        for a in answers:
            tally.add(a)
        points = [POINTS[a] for a in answers if a in POINTS]
        statements[code] = StatementScore(
            theme=theme,
            mean=_mean(points),
            agreed=_agreed(points),
            answered=len(points),
            dont_know=answers.count("dk"),
            missing=sum(a is MISSING for a in answers),
            invalid=sum(a is INVALID for a in answers),
            distribution={a: answers.count(a) for a in ANSWERS},
        )
    agreed = sum(s.agreed for s in statements.values())
    sizes = group_sizes(responses)
    members = {g: [r for r in responses if r.perspective == g] for g in GROUPS}
    basis = [g for g in GROUPS if sizes[g] >= k] or ["all"]
    gaps: list[str] = []
    half = total // 2 + 1
    for g in basis:
        group = members.get(g, list(responses))
        have = sum(_agreed(_points(group, code)) for code in themes)
        if have < half:
            gaps.append(
                f"get {half - have} more statements agreed by {group_name(g)} "
                f"(now {have} of {total}; more than half needed)"
            )
    lived = members["lived"]
    if len(lived) >= k:
        for code in themes:
            against = sum(choice(r, code, ANSWERS) == "dis" for r in lived)
            if 2 * against > len(lived):
                gaps.append(
                    f"turn round `{code}`: {against} of {len(lived)} people with lived "
                    "experience disagree (at most half may)"
                )
    achieved = not gaps
    agreement = Agreement(
        agreed=agreed,
        total=total,
        share=round(agreed / total, 4),
        achieved=achieved,
        basis=basis,
    )
    answered_any = any(s.answered for s in statements.values())
    if not answered_any:
        rung, rung_index = None, None
        reasons = ["insufficient data: nobody answered any statement (other than don't know)"]
        nxt: NextRung | None = NextRung(
            rung=model.rungs[0].id,
            rung_index=0,
            changes=["get at least one statement answered agree, partly agree or disagree"],
        )
    else:
        closest = tuple(
            sorted(
                (c for c, s in statements.items() if not s.agreed),
                key=lambda c: -_or(statements[c].mean, -1.0),
            )
        )
        evidence = ShareEvidence(
            agreed=agreed, total=total, achieved=achieved, closest=closest, achieve_gaps=tuple(gaps)
        )
        placement = place(model, INSTRUMENT, evidence)
        rung_index = placement.rung_index
        rung = model.rungs[rung_index].id
        reasons = [_achieved_reason(basis, achieved, gaps, k, agreed, total), *placement.reasons]
        nxt = next_rung(model, placement)
    shown = visible_groups(sizes, k)
    return ChecklistResult(
        subject=responses[0].subject,
        round=responses[0].round,
        respondents=len(responses),
        rung=rung,
        rung_index=rung_index,
        reasons=reasons,
        next_rung=nxt,
        data_quality=DataQuality(
            missing=tally.missing,
            invalid=tally.invalid,
            unknown_codes=unknown_codes(responses),
            duplicates=duplicates,
        ),
        agreement=agreement,
        statements=statements,
        perspectives={g: _perspective(members[g], themes) for g in shown},
    )


def _achieved_reason(
    basis: list[str], achieved: bool, gaps: list[str], k: int, agreed: int, total: int
) -> str:
    if basis == ["all"]:
        who = (
            f"no perspective group has {k} or more people, "
            "so the achieved rule looked at everyone together"
        )
    else:
        who = f"the achieved rule looked at {join([group_name(g) for g in basis])}"
    if achieved:
        return f"{who}: each agrees with more than half of the {total} statements: achieved"
    return (
        f"{who}: not achieved ({'; '.join(gaps)}), so the rung comes from the share of "
        f"statements everyone agrees with: s = {agreed / total:.2f} ({agreed} of {total})"
    )


def _perspective(members: Sequence[Response], themes: dict[str, str]) -> ChecklistPerspective:
    statements = {}
    for code in themes:
        points = _points(members, code)
        statements[code] = GroupStatement(
            mean=_mean(points), answered=len(points), agreed=_agreed(points)
        )
    agreed = sum(s.agreed for s in statements.values())
    return ChecklistPerspective(
        respondents=len(members),
        agreed=agreed,
        share=round(agreed / len(themes), 4),
        statements=statements,
    )
