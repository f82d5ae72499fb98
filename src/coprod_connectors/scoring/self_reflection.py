"""Scoring the self-reflection tool: four principle stages, RAG ratings and action plans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from itertools import repeat
from typing import Any, NamedTuple

from coprod_connectors.ladder import LadderModel, LevelEvidence, place
from coprod_connectors.responses import Flag, FlagKind, Response
from coprod_connectors.scoring.common import (
    INVALID,
    MISSING,
    Group,
    Reading,
    Tally,
    answered,
    as_levels,
    choice,
    insufficient,
    join,
    level,
    merged,
    next_rung,
    result_header,
)
from coprod_connectors.scoring.models import (
    Action,
    GroupItem,
    NextRung,
    PrincipleScore,
    SelfReflectionPerspective,
    SelfReflectionResult,
)
from coprod_connectors.scoring.stats import (
    distribution_of_counts,
    lower_median_of_counts,
    visible_groups,
)

INSTRUMENT = "self-reflection"
PRINCIPLES = ("assets", "work", "recip", "network")
STAGES = ("1", "2", "3", "4")
STAGE_NAMES = {1: "not yet", 2: "the basics", 3: "getting there", 4: "doing really well"}
RAGS = ("red", "amber", "green")
#: ``actPrin`` choice codes (at most 5 characters) and the principles they stand for.
ACTION_PRINCIPLES = {"asset": "assets", "work": "work", "recip": "recip", "netw": "network"}
#: Every code the scorer reads (:class:`~coprod_connectors.scoring.common.Group` holds these).
CODES = (*(f"{p}{part}" for p in PRINCIPLES for part in ("Stage", "Rag")), "actions")


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


def score_self_reflection(group: Group, *, model: LadderModel, k: int) -> SelfReflectionResult:
    """The result for one subject and round."""
    tally = Tally()
    principles: dict[str, PrincipleScore] = {}
    # each principle's counts of valid stages in each perspective group
    stage_counts: dict[str, dict[str, dict[int, int]]] = {}
    lowered: list[str] = []
    for p in PRINCIPLES:
        principles[p], stage_counts[p], note = _principle(group, p, k, tally)
        if note:
            lowered.append(note)
    sizes = group.sizes
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
        **result_header(group, tally),
        rung=rung,
        rung_index=rung_index,
        reasons=reasons,
        next_rung=nxt,
        principles=principles,
        actions=_actions(group),
        perspectives={
            g: _perspective({p: c[g] for p, c in stage_counts.items()}, sizes[g]) for g in shown
        },
    )


def _principle(
    group: Group, p: str, k: int, tally: Tally
) -> tuple[PrincipleScore, dict[str, dict[int, int]], str | None]:
    # one count per perspective group of each person's (stage, RAG rating) pair
    pairs = group.choice_pairs((f"{p}Stage", STAGES), (f"{p}Rag", RAGS))
    stages_by_group: dict[str, dict[int, int]] = {}
    for g, counts in pairs.items():
        stages_by_group[g] = answered(as_levels(_firsts(counts)))
    everyone = merged(pairs.values())
    stage_all = as_levels(_firsts(everyone))
    rag_all = _seconds(everyone)
    tally.add_counts(stage_all)
    tally.invalid += rag_all[INVALID]
    values = answered(stage_all)
    lived = stages_by_group["lived"]
    # the stages in ``everyone`` are still choice text ("1"), not numbers
    contradictions = sum(n for (stage, rag), n in everyone.items() if (rag, stage) in _CONTRARY)
    median = lower_median_of_counts(values)
    stage_used = median
    note = None
    lived_answered = sum(lived.values())
    lived_median = lower_median_of_counts(lived) if lived_answered >= k else None
    if median is not None and lived_median is not None and lived_median < median:
        stage_used = lived_median
        note = (
            f"the lived experience view lowered `{p}` from {median} to {lived_median} "
            f"(the lower median of {lived_answered} answers from people who use services "
            "and carers)"
        )
    score = PrincipleScore(
        stage=stage_used,
        median=median,
        lowered_by_lived_experience=note is not None,
        answered=sum(values.values()),
        missing=stage_all[MISSING],
        invalid=stage_all[INVALID],
        distribution=distribution_of_counts(values, STAGES),
        rag=distribution_of_counts(answered(rag_all), RAGS),
        rag_contradictions=contradictions,
    )
    return score, stages_by_group, note


#: A RAG rating that contradicts a stage (given as choice text): green at 1, red at 4.
_CONTRARY = {("green", "1"), ("red", "4")}


def _firsts(pairs: Mapping[tuple[Any, Any], int]) -> Counter[Any]:
    out: Counter[Any] = Counter()
    for (first, _), n in pairs.items():
        out[first] += n
    return out


def _seconds(pairs: Mapping[tuple[Any, Any], int]) -> Counter[Any]:
    out: Counter[Any] = Counter()
    for (_, second), n in pairs.items():
        out[second] += n
    return out


def _perspective(stages: dict[str, dict[int, int]], size: int) -> SelfReflectionPerspective:
    principles = {
        p: GroupItem(
            median=lower_median_of_counts(counts),
            answered=sum(counts.values()),
            distribution=distribution_of_counts(counts, STAGES),
        )
        for p, counts in stages.items()
    }
    return SelfReflectionPerspective(respondents=size, principles=principles)


class Row(NamedTuple):
    """An action plan row as text (None when blank); the fields of :class:`Action`."""

    principle: str | None
    what: str | None
    who: str | None
    when: str | None
    how: str | None


#: The codes of an action plan row, in the order of :class:`Row`'s fields.
ROW_CODES = ("actPrin", "actWhat", "actWho", "actWhen", "actHow")


def _actions(group: Group) -> list[Action]:
    """Every action plan row, sorted by principle, date and text.

    The rows come counted by their texts (see :meth:`Group.table_rows`); each
    distinct row becomes an :class:`Action` once (the model is frozen, so
    identical rows share one object). Rows that sort equal are identical, so
    the order is the same as sorting every row.
    """
    rows: Counter[Row] = Counter()
    for texts, n in group.table_rows("actions").items():
        rows[_row(texts)] += n
    order = {p: i for i, p in enumerate(PRINCIPLES)}
    out: list[Action] = []
    for row in sorted(
        rows,
        key=lambda r: (
            order.get(r.principle or "", len(order)),
            r.principle or "",
            r.when or "",
            r.what or "",
            r.who or "",
            r.how or "",
        ),
    ):
        action = Action(
            principle=row.principle, what=row.what, who=row.who, when=row.when, how=row.how
        )
        out.extend(repeat(action, rows[row]))
    return out


def _row(texts: tuple[str | None, ...]) -> Row:
    """An action plan row from its values as text (in :data:`ROW_CODES` order)."""
    prin, what, who, when, how = texts
    return Row(ACTION_PRINCIPLES.get(prin or "", prin), what, who, when, how)


#: What the scorer reads of each response: each principle's stage and RAG rating
#: together (a RAG rating contradicts a stage), and the action plan's rows.
READING = Reading(
    pairs=tuple((f"{p}Stage", f"{p}Rag") for p in PRINCIPLES),
    tables=(("actions", ROW_CODES),),
)
