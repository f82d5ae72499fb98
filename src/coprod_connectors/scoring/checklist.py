"""Scoring the checklist: statement agreement, the share s, and the achieved rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from coprod_connectors.instruments import QuestionKind, builtin_instrument
from coprod_connectors.ladder import LadderModel, ShareEvidence, place
from coprod_connectors.scoring.common import (
    INVALID,
    MISSING,
    Group,
    Tally,
    group_name,
    join,
    merged,
    next_rung,
    result_header,
)
from coprod_connectors.scoring.models import (
    AchieveGap,
    Agreement,
    ChecklistPerspective,
    ChecklistResult,
    GroupStatement,
    NextRung,
    StatementScore,
)
from coprod_connectors.scoring.stats import GROUPS, visible_groups

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


@dataclass(frozen=True)
class Points:
    """How many people answered a statement agree, part and dis (don't know is not counted)."""

    agree: int = 0
    part: int = 0
    dis: int = 0

    @classmethod
    def of(cls, counts: Mapping[Any, int]) -> Points:
        return cls(counts.get("agree", 0), counts.get("part", 0), counts.get("dis", 0))

    @property
    def answered(self) -> int:
        return self.agree + self.part + self.dis

    @property
    def mean(self) -> float | None:
        # agree counts 1 and part 0.5: the sum is exact in floating point (halves), so
        # this is the same number as adding up every person's score and dividing
        if not self.answered:
            return None
        return round((self.agree + self.part / 2) / self.answered, 4)

    @property
    def agreed(self) -> bool:
        # mean > 0.5, in exact arithmetic: twice the sum above the count
        return self.answered > 0 and 2 * self.agree + self.part > self.answered


def codes() -> tuple[str, ...]:
    """Every code the scorer reads: the statements."""
    return tuple(statement_themes())


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def score_checklist(group: Group, *, model: LadderModel, k: int) -> ChecklistResult:
    """The result for one subject and round."""
    themes = statement_themes()
    total = len(themes)
    tally = Tally()
    statements: dict[str, StatementScore] = {}
    # every statement's points in each perspective group, and for the whole subject ("all")
    points: dict[str, dict[str, Points]] = {}
    for code, theme in themes.items():
        by_group = group.choices(code, ANSWERS)
        counts = merged(by_group.values())
        tally.add_counts(counts)
        whole = Points.of(counts)
        points[code] = {"all": whole, **{g: Points.of(c) for g, c in by_group.items()}}
        statements[code] = StatementScore(
            theme=theme,
            mean=whole.mean,
            agreed=whole.agreed,
            answered=whole.answered,
            dont_know=counts["dk"],
            missing=counts[MISSING],
            invalid=counts[INVALID],
            distribution={a: counts[a] for a in ANSWERS},
        )
    agreed = sum(s.agreed for s in statements.values())
    sizes = group.sizes
    basis = [g for g in GROUPS if sizes[g] >= k] or ["all"]
    found: list[AchieveGap] = []
    half = total // 2 + 1
    for g in basis:
        have = sum(points[code][g].agreed for code in themes)
        if have < half:
            found.append(AchieveGap(kind="group", group=g, have=have, need=half, total=total))
    lived = sizes["lived"]
    if lived >= k:
        for code in themes:
            against = points[code]["lived"].dis
            if 2 * against > lived:
                found.append(
                    AchieveGap(kind="disagreed", statement=code, against=against, of=lived)
                )
    gaps = [_gap_text(gap) for gap in found]
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
    result = ChecklistResult(
        **result_header(group, tally),
        rung=rung,
        rung_index=rung_index,
        reasons=reasons,
        next_rung=nxt,
        agreement=agreement,
        statements=statements,
        perspectives={
            g: _perspective(sizes[g], {code: p[g] for code, p in points.items()}) for g in shown
        },
    )
    result._gaps = tuple(found)
    return result


def _gap_text(gap: AchieveGap) -> str:
    if gap.kind == "group":
        return (
            f"get {gap.need - gap.have} more statements agreed by {group_name(gap.group or '')} "
            f"(now {gap.have} of {gap.total}; more than half needed)"
        )
    return (
        f"turn round `{gap.statement}`: {gap.against} of {gap.of} people with lived "
        "experience disagree (at most half may)"
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


def _perspective(respondents: int, points: dict[str, Points]) -> ChecklistPerspective:
    statements = {
        code: GroupStatement(mean=p.mean, answered=p.answered, agreed=p.agreed)
        for code, p in points.items()
    }
    agreed = sum(s.agreed for s in statements.values())
    return ChecklistPerspective(
        respondents=respondents,
        agreed=agreed,
        share=round(agreed / len(points), 4),
        statements=statements,
    )
