"""The HTML report: one self-contained, accessible file (inline CSS and SVG, no scripts)."""

from __future__ import annotations

from typing import Any

from coprod_connectors.report.charts import (
    STAGE_FILLS,
    STAGE_WORDS,
    change_chart,
    gap_chart,
    ladder_chart,
    stage_chart,
)
from coprod_connectors.report.view import (
    GROUP_NAMES,
    INDICATOR_NAMES,
    INSTRUMENT_NAMES,
    PHASE_NAMES,
    PRINCIPLE_NAMES,
    detail_rows,
    instrument_sources,
    ladder_of,
    rung_label,
    statement_labels,
    subjects,
    themes,
)
from coprod_connectors.scoring.models import Result, Results, SelfReflectionResult
from coprod_connectors.templating import render_template

TEMPLATE = "report/report.html.j2"


def to_html(results: Results, *, title: str = "Co-production report") -> str:
    """Render the report; every value reaches the page through Jinja2's autoescaping."""
    model = ladder_of(results)
    sections: list[dict[str, Any]] = []
    for view in subjects(results):
        latest: list[Result] = [
            r for r in (view.latest(i) for i in view.by_instrument) if r is not None
        ]
        reflection = view.latest("self-reflection")
        sr = reflection if isinstance(reflection, SelfReflectionResult) else None
        sections.append(
            {
                "view": view,
                "latest": latest,
                "ladder": ladder_chart(model, latest),
                "stages": stage_chart(sr) if sr else None,
                "gap": gap_chart(sr) if sr else [],
                "reflection": sr,
                "change": change_chart(model, view.by_instrument),
            }
        )
    return render_template(
        TEMPLATE,
        "html",
        title=title,
        model=model,
        results=results,
        sections=sections,
        instrument_names=INSTRUMENT_NAMES,
        principle_names=PRINCIPLE_NAMES,
        phase_names=PHASE_NAMES,
        group_names=GROUP_NAMES,
        indicator_names=INDICATOR_NAMES,
        stage_fills=STAGE_FILLS,
        stage_words=STAGE_WORDS,
        detail_rows=detail_rows,
        rung_label=lambda rung: rung_label(model, rung),
        themes=themes,
        statement_labels=statement_labels(),
        credits=instrument_sources(results),
    )
