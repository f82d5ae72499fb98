"""Scoring the self-reflection tool: four principle stages, RAG ratings and action plans."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coprod_connectors.ladder import LadderModel, LevelEvidence, place
from coprod_connectors.responses import Flag, FlagKind, Response
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
    Action,
    DataQuality,
    GroupItem,
    NextRung,
    PrincipleScore,
    SelfReflectionPerspective,
    SelfReflectionResult,
)
from coprod_connectors.scoring.stats import distribution, group_sizes, lower_median, visible_groups

INSTRUMENT = "self-reflection"
PRINCIPLES = ("assets", "work", "recip", "network")
STAGES = ("1", "2", "3", "4")
STAGE_NAMES = {1: "not yet", 2: "the basics", 3: "getting there", 4: "doing really well"}
RAGS = ("red", "amber", "green")
#: ``actPrin`` choice codes (at most 5 characters) and the principles they stand for.
ACTION_PRINCIPLES = {"asset": "assets", "work": "work", "recip": "recip", "netw": "network"}


def rag_flags(response: Response) -> list[Flag]:
    """A flag for each RAG rating that contradicts the same person's stage."""
    flags = []
    for p in PRINCIPLES:
        stage = level(response, f"{p}Stage", 1, 4)
        rag = choice(response, f"{p}Rag", RAGS)
        if (rag, stage) in {("green", 1), ("red", 4)}:
            flags.append(
                Flag(
                    code=f"{p}Rag",
                    kind=FlagKind.INCONSISTENT,
                    value=rag,
                    message=f"rated {rag} with stage {stage} ({STAGE_NAMES[stage]}); kept as given",
                )
            )
    return flags


def score_self_reflection(
    responses: Sequence[Response], *, model: LadderModel, k: int, duplicates: int = 0
) -> SelfReflectionResult:
    """The result for one subject and round."""
    tally = Tally()
    principles: dict[str, PrincipleScore] = {}
    lowered: list[str] = []
    for p in PRINCIPLES:
        principles[p], note = _principle(responses, p, k, tally)
        if note:
            lowered.append(note)
    sizes = group_sizes(responses)
    shown = visible_groups(sizes, k)
    stages = {p: s.stage for p, s in principles.items()}
    unanswered = [p for p, s in stages.items() if s is None]
    if unanswered:
        reason, step = insufficient(model, unanswered, "principle")
        rung, rung_index, reasons = None, None, [reason, *lowered]
        nxt: NextRung | None = step
    else:
        levels = {p: s for p, s in stages.items() if s is not None}
        placement = place(model, INSTRUMENT, LevelEvidence(levels))
        low = min(levels.values())
        setters = [f"`{p}`" for p, s in levels.items() if s == low]
        lowest = (
            f"{join(setters)} {'is' if len(setters) == 1 else 'are'} at stage {low} "
            f"({STAGE_NAMES[low]}), the lowest principle stage"
        )
        rung_index = placement.rung_index
        rung = model.rungs[rung_index].id
        reasons = [lowest, *lowered, *placement.reasons]
        nxt = next_rung(model, placement)
    return SelfReflectionResult(
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
        principles=principles,
        actions=_actions(responses),
        perspectives={g: _perspective(responses, g, sizes[g]) for g in shown},
    )


def _principle(
    responses: Sequence[Response], p: str, k: int, tally: Tally
) -> tuple[PrincipleScore, str | None]:
    values: list[int] = []
    lived: list[int] = []
    rags: list[str] = []
    contradictions = 0
    invalid = missing = 0
    for response in responses:
        stage = level(response, f"{p}Stage", 1, 4)
        tally.add(stage)
        rag = choice(response, f"{p}Rag", RAGS)
        if isinstance(rag, str):
            rags.append(rag)
        elif rag is INVALID:
            tally.invalid += 1
        if stage is MISSING:
            missing += 1
            continue
        if stage is INVALID:
            invalid += 1
            continue
        values.append(stage)
        if response.perspective == "lived":
            lived.append(stage)
        if (rag, stage) in {("green", 1), ("red", 4)}:
            contradictions += 1
    median = lower_median(values)
    stage_used = median
    note = None
    lived_median = lower_median(lived) if len(lived) >= k else None
    if median is not None and lived_median is not None and lived_median < median:
        stage_used = lived_median
        note = (
            f"the lived experience view lowered `{p}` from {median} to {lived_median} "
            f"(the lower median of {len(lived)} answers from people who use services and carers)"
        )
    score = PrincipleScore(
        stage=stage_used,
        median=median,
        lowered_by_lived_experience=note is not None,
        answered=len(values),
        missing=missing,
        invalid=invalid,
        distribution=distribution(values, STAGES),
        rag=distribution(rags, RAGS),
        rag_contradictions=contradictions,
    )
    return score, note


def _perspective(responses: Sequence[Response], group: str, size: int) -> SelfReflectionPerspective:
    members = [r for r in responses if r.perspective == group]
    principles = {}
    for p in PRINCIPLES:
        values = [v for r in members if isinstance(v := level(r, f"{p}Stage", 1, 4), int)]
        principles[p] = GroupItem(
            median=lower_median(values),
            answered=len(values),
            distribution=distribution(values, STAGES),
        )
    return SelfReflectionPerspective(respondents=size, principles=principles)


def _actions(responses: Sequence[Response]) -> list[Action]:
    rows: list[Action] = []
    for response in responses:
        value = response.answers.get("actions")
        if not isinstance(value, list):
            continue
        rows.extend(_action(row) for row in value if isinstance(row, dict))
    order = {p: i for i, p in enumerate(PRINCIPLES)}
    return sorted(
        rows,
        key=lambda a: (
            order.get(a.principle or "", len(order)),
            a.principle or "",
            a.when or "",
            a.what or "",
            a.who or "",
            a.how or "",
        ),
    )


def _action(row: dict[str, Any]) -> Action:
    def text(code: str) -> str | None:
        value = row.get(code)
        return None if value is None or str(value).strip() == "" else str(value)

    prin = text("actPrin")
    return Action(
        principle=ACTION_PRINCIPLES.get(prin or "", prin),
        what=text("actWhat"),
        who=text("actWho"),
        when=text("actWhen"),
        how=text("actHow"),
    )
