"""Chart data for the HTML report: shares and labels only; the template draws HTML bars.

The charts are HTML and CSS, not pictures: their text is real text that
reflows on a phone and never shrinks below the page's own size. Every bar
segment carries its stage as a pattern and (when there is room) a number, and
the text under each bar says every stage and count in words, so nothing
depends on colour alone. Every label is plain text that the template escapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coprod_connectors.report.i18n import Said
from coprod_connectors.report.labels import Labels
from coprod_connectors.scoring.models import Result, SelfReflectionResult

STAGES = ("1", "2", "3", "4")
#: a segment this share of its bar (in %) or wider shows its stage number inside
LABEL_INSIDE = 10.0


@dataclass
class Segment:
    stage: str
    count: int
    percent: float
    inside: bool


@dataclass
class StageBar:
    principle: Said
    group: Said
    answered: int
    segments: list[Segment] = field(default_factory=list)
    first_of_principle: bool = False


def stage_bars(result: SelfReflectionResult, labels: Labels) -> list[StageBar]:
    """Stage distribution per principle: everyone, then each group big enough to show."""
    bars: list[StageBar] = []
    for p, score in result.principles.items():
        series = [("all", score.answered, score.distribution)]
        series += [
            (g, v.principles[p].answered, v.principles[p].distribution)
            for g, v in result.perspectives.items()
        ]
        for i, (group, answered, dist) in enumerate(series):
            segments = [
                Segment(stage, n, 100 * n / answered, 100 * n / answered >= LABEL_INSIDE)
                for stage, n in dist.items()
                if n and answered
            ]
            bars.append(
                StageBar(labels.principle(p), labels.group(group), answered, segments, i == 0)
            )
    return bars


@dataclass
class LadderRung:
    label: Said
    description: Said
    markers: list[Said]


def ladder_rungs(labels: Labels, latest: list[Result]) -> list[LadderRung]:
    """The rungs, highest first, each with the tools whose latest result is there."""
    return [
        LadderRung(
            labels.rung(rung.id),
            labels.rung_description(rung.id),
            [labels.instrument(r.instrument) for r in latest if r.rung == rung.id],
        )
        for rung in reversed(labels.model.rungs)
    ]


@dataclass
class GapRow:
    principle: Said
    lived: int | None
    staff: int | None
    difference: int | None


def gap_rows(result: SelfReflectionResult, labels: Labels) -> list[GapRow]:
    """Lived experience and staff middle stages per principle (only when both are shown)."""
    if "lived" not in result.perspectives or "staff" not in result.perspectives:
        return []
    rows = []
    for p in result.principles:
        lived = result.perspectives["lived"].principles[p].median
        staff = result.perspectives["staff"].principles[p].median
        diff = None if lived is None or staff is None else staff - lived
        rows.append(GapRow(labels.principle(p), lived, staff, diff))
    return rows


@dataclass
class ChangeBar:
    instrument: Said
    round: str
    percent: float
    rung: Said


def change_bars(labels: Labels, by_instrument: dict[str, list[Result]]) -> list[ChangeBar]:
    """One bar per tool and round; its length is the rung (none: not enough answers)."""
    top = len(labels.model.rungs)
    return [
        ChangeBar(
            labels.instrument(instrument),
            r.round,
            0.0 if r.rung_index is None else 100 * (r.rung_index + 1) / top,
            labels.rung(r.rung),
        )
        for instrument, results in by_instrument.items()
        for r in results
    ]


__all__ = [
    "STAGES",
    "ChangeBar",
    "GapRow",
    "LadderRung",
    "Segment",
    "StageBar",
    "change_bars",
    "gap_rows",
    "ladder_rungs",
    "stage_bars",
]
