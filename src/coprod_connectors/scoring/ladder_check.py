"""Scoring the ladder check: involvement in each phase of a project, and four signs."""

from __future__ import annotations

from collections.abc import Sequence

from coprod_connectors.ladder import LadderModel, LevelEvidence, place
from coprod_connectors.responses import Response
from coprod_connectors.scoring.common import (
    INVALID,
    MISSING,
    Tally,
    choice,
    insufficient,
    join,
    level,
    next_rung,
    unknown_codes,
)
from coprod_connectors.scoring.models import (
    DataQuality,
    GroupItem,
    IndicatorCount,
    LadderCheckPerspective,
    LadderCheckResult,
    NextRung,
    PhaseScore,
)
from coprod_connectors.scoring.stats import distribution, group_sizes, lower_median, visible_groups

INSTRUMENT = "ladder-check"
PHASES = ("idea", "design", "deliv", "review")
PHASE_NAMES = {"idea": "idea", "design": "design", "deliv": "delivery", "review": "review"}
LEVELS = ("0", "1", "2", "3", "4")
LEVEL_NAMES = {
    0: "not involved",
    1: "told what was happening",
    2: "asked their views",
    3: "decided together",
    4: "equal partners",
}
INDICATORS = ("early", "reward", "access", "feedback")


def score_ladder_check(
    responses: Sequence[Response], *, model: LadderModel, k: int, duplicates: int = 0
) -> LadderCheckResult:
    """The result for one subject and round."""
    tally = Tally()
    phases: dict[str, PhaseScore] = {}
    for phase in PHASES:
        answers = [level(r, f"{phase}Inv", 0, 4) for r in responses]
        for a in answers:
            tally.add(a)
        values = [a for a in answers if isinstance(a, int)]
        phases[phase] = PhaseScore(
            level=lower_median(values),
            answered=len(values),
            missing=sum(a is MISSING for a in answers),
            invalid=sum(a is INVALID for a in answers),
            distribution=distribution(values, LEVELS),
        )
    indicators = {}
    for code in INDICATORS:
        answers = [choice(r, code, ("y", "n")) for r in responses]
        indicators[code] = IndicatorCount(
            yes=answers.count("y"),
            no=answers.count("n"),
            missing=sum(a is MISSING for a in answers),
            invalid=sum(a is INVALID for a in answers),
        )
        tally.invalid += indicators[code].invalid
    unanswered = [p for p, s in phases.items() if s.level is None]
    if unanswered:
        reason, nxt_step = insufficient(model, unanswered, "phase")
        rung, rung_index, reasons = None, None, [reason]
        nxt: NextRung | None = nxt_step
    else:
        levels = {p: s.level for p, s in phases.items() if s.level is not None}
        placement = place(
            model, INSTRUMENT, LevelEvidence(levels, item_noun="phase", value_noun="level")
        )
        low = min(levels.values())
        setters = [f"`{p}`" for p, v in levels.items() if v == low]
        rung_index = placement.rung_index
        rung = model.rungs[rung_index].id
        reasons = [
            (
                f"{join(setters)} {'is' if len(setters) == 1 else 'are'} at level {low} "
                f"({LEVEL_NAMES[low]}), the lowest phase"
            ),
            *placement.reasons,
        ]
        nxt = next_rung(model, placement)
    sizes = group_sizes(responses)
    shown = visible_groups(sizes, k)
    return LadderCheckResult(
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
        phases=phases,
        indicators=indicators,
        perspectives={g: _perspective([r for r in responses if r.perspective == g]) for g in shown},
    )


def _perspective(members: Sequence[Response]) -> LadderCheckPerspective:
    phases = {}
    for phase in PHASES:
        values = [v for r in members if isinstance(v := level(r, f"{phase}Inv", 0, 4), int)]
        phases[phase] = GroupItem(
            median=lower_median(values),
            answered=len(values),
            distribution=distribution(values, LEVELS),
        )
    return LadderCheckPerspective(respondents=len(members), phases=phases)
