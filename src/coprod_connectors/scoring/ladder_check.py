"""Scoring the ladder check: involvement in each phase of a project, and four signs."""

from __future__ import annotations

from coprod_connectors.ladder import LadderModel, LevelEvidence, place
from coprod_connectors.scoring.common import (
    INVALID,
    MISSING,
    Group,
    Tally,
    answered,
    as_levels,
    insufficient,
    join,
    merged,
    next_rung,
    result_header,
)
from coprod_connectors.scoring.models import (
    GroupItem,
    IndicatorCount,
    LadderCheckPerspective,
    LadderCheckResult,
    NextRung,
    PhaseScore,
)
from coprod_connectors.scoring.stats import (
    distribution_of_counts,
    lower_median_of_counts,
    visible_groups,
)

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
#: Every code the scorer reads (:class:`~coprod_connectors.scoring.common.Group` holds these).
CODES = (*(f"{phase}Inv" for phase in PHASES), *INDICATORS)


def score_ladder_check(group: Group, *, model: LadderModel, k: int) -> LadderCheckResult:
    """The result for one subject and round."""
    tally = Tally()
    phases: dict[str, PhaseScore] = {}
    # each phase's counts of valid levels in each perspective group
    level_counts: dict[str, dict[str, dict[int, int]]] = {}
    for phase in PHASES:
        by_group = group.choices(f"{phase}Inv", LEVELS)
        level_counts[phase] = {g: answered(as_levels(c)) for g, c in by_group.items()}
        counts = as_levels(merged(by_group.values()))
        tally.add_counts(counts)
        values = answered(counts)
        phases[phase] = PhaseScore(
            level=lower_median_of_counts(values),
            answered=sum(values.values()),
            missing=counts[MISSING],
            invalid=counts[INVALID],
            distribution=distribution_of_counts(values, LEVELS),
        )
    indicators = {}
    for code in INDICATORS:
        counts = merged(group.choices(code, ("y", "n")).values())
        indicators[code] = IndicatorCount(
            yes=counts["y"],
            no=counts["n"],
            missing=counts[MISSING],
            invalid=counts[INVALID],
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
    sizes = group.sizes
    shown = visible_groups(sizes, k)
    return LadderCheckResult(
        **result_header(group, tally),
        rung=rung,
        rung_index=rung_index,
        reasons=reasons,
        next_rung=nxt,
        phases=phases,
        indicators=indicators,
        perspectives={
            g: _perspective({p: c[g] for p, c in level_counts.items()}, sizes[g]) for g in shown
        },
    )


def _perspective(levels: dict[str, dict[int, int]], size: int) -> LadderCheckPerspective:
    phases = {
        phase: GroupItem(
            median=lower_median_of_counts(counts),
            answered=sum(counts.values()),
            distribution=distribution_of_counts(counts, LEVELS),
        )
        for phase, counts in levels.items()
    }
    return LadderCheckPerspective(respondents=size, phases=phases)
