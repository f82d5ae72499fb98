"""Chart geometry for the HTML report: numbers and labels only; the template draws the SVG.

Every label is plain text that the template escapes. Colours are light fills
under dark text (contrast above 4.5:1), and every mark also carries a text
label, so nothing depends on colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coprod_connectors.ladder import LadderModel
from coprod_connectors.report.view import GROUP_NAMES, INSTRUMENT_NAMES, PRINCIPLE_NAMES
from coprod_connectors.scoring.models import Result, SelfReflectionResult

STAGE_FILLS = {"1": "#f8d0cc", "2": "#fde7ae", "3": "#cde3f5", "4": "#c8e6c2"}
STAGE_WORDS = {"1": "Not yet", "2": "The basics", "3": "Getting there", "4": "Doing really well"}
LABEL_W = 270
BAR_W = 430
ROW_H = 24


@dataclass
class Segment:
    x: float
    width: float
    fill: str
    text: str
    title: str


@dataclass
class BarRow:
    y: float
    label: str
    segments: list[Segment]
    note: str = ""


@dataclass
class Chart:
    width: int
    height: int
    rows: list[BarRow] = field(default_factory=list)


def stage_chart(result: SelfReflectionResult) -> Chart:
    """Stage distribution per principle: everyone, then each group big enough to show."""
    rows: list[BarRow] = []
    y = 28.0
    for p, score in result.principles.items():
        series = [("Everyone", score.answered, score.distribution)]
        series += [
            (GROUP_NAMES[g], v.principles[p].answered, v.principles[p].distribution)
            for g, v in result.perspectives.items()
        ]
        for i, (group, answered, dist) in enumerate(series):
            label = f"{PRINCIPLE_NAMES[p]}: {group}" if i == 0 else group
            rows.append(BarRow(y, label, _segments(dist, answered), note=f"n={answered}"))
            y += ROW_H
        y += 10
    return Chart(width=LABEL_W + BAR_W + 60, height=int(y) + 4, rows=rows)


def _segments(dist: dict[str, int], answered: int) -> list[Segment]:
    segments = []
    x = 0.0
    for stage, count in dist.items():
        if not count or not answered:
            continue
        width = BAR_W * count / answered
        text = f"{stage}: {count}" if width >= 36 else (str(count) if width >= 14 else "")
        title = f"stage {stage} ({STAGE_WORDS[stage].lower()}): {count} of {answered}"
        segments.append(Segment(x, width, STAGE_FILLS[stage], text, title))
        x += width
    return segments


@dataclass
class LadderRung:
    y: float
    label: str
    current: bool
    markers: list[str]


def ladder_chart(model: LadderModel, latest: list[Result]) -> list[LadderRung]:
    """The rungs, highest at the top, each with the instruments whose latest result is there."""
    rungs: list[LadderRung] = []
    for i, rung in enumerate(reversed(model.rungs)):
        markers = [
            INSTRUMENT_NAMES[r.instrument].split(" (")[0] for r in latest if r.rung == rung.id
        ]
        rungs.append(
            LadderRung(y=8 + i * 38, label=rung.label, current=bool(markers), markers=markers)
        )
    return rungs


@dataclass
class GapRow:
    y: float
    label: str
    lived: int | None
    staff: int | None
    lived_x: float
    staff_x: float
    note: str


def gap_chart(result: SelfReflectionResult) -> list[GapRow]:
    """Lived experience and staff medians per principle (only when both groups are shown)."""
    if "lived" not in result.perspectives or "staff" not in result.perspectives:
        return []
    rows = []
    for i, p in enumerate(result.principles):
        lived = result.perspectives["lived"].principles[p].median
        staff = result.perspectives["staff"].principles[p].median
        if lived is None or staff is None:
            note = "not enough answers"
        elif staff == lived:
            note = "same stage"
        else:
            gap = staff - lived
            way = "higher" if gap > 0 else "lower"
            note = f"staff {abs(gap)} stage{'s' if abs(gap) > 1 else ''} {way}"
        rows.append(
            GapRow(
                y=40 + i * 40,
                label=PRINCIPLE_NAMES[p],
                lived=lived,
                staff=staff,
                lived_x=_stage_x(lived) - (12 if lived == staff else 0),
                staff_x=_stage_x(staff) + (12 if lived == staff else 0),
                note=note,
            )
        )
    return rows


def _stage_x(stage: int | None) -> float:
    return 0.0 if stage is None else 180 + (stage - 1) * 100.0


@dataclass
class ChangeBar:
    y: float
    label: str
    width: float
    text: str


def change_chart(model: LadderModel, by_instrument: dict[str, list[Result]]) -> list[ChangeBar]:
    """One bar per instrument and round; its length is the rung (no bar: not enough answers)."""
    bars = []
    y = 8.0
    top = len(model.rungs)
    for instrument, results in by_instrument.items():
        for r in results:
            label = f"{INSTRUMENT_NAMES[instrument].split(' (')[0]}, {r.round}"
            index = r.rung_index
            width = 0.0 if index is None else BAR_W * (index + 1) / top
            rung = next((x.label for x in model.rungs if x.id == r.rung), "not enough answers")
            bars.append(ChangeBar(y=y, label=label, width=width, text=rung))
            y += ROW_H + 2
        y += 8
    return bars
