"""The HTML report: one self-contained, accessible file (inline CSS, no scripts, no pictures).

For readers first: a cover, a one-page summary, then a section per subject with
charts drawn in HTML and CSS (they reflow on a phone) and the same numbers in
tables. Everything is in the report's language; codes and rule texts appear
only inside each result's "analyst details".
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import jinja2

from coprod_connectors.report.charts import (
    STAGES,
    change_bars,
    gap_rows,
    ladder_rungs,
    stage_bars,
)
from coprod_connectors.report.explain import Explainer, Phrase
from coprod_connectors.report.i18n import Said, Words, words
from coprod_connectors.report.labels import Labels
from coprod_connectors.report.view import (
    ReportContext,
    all_actions_command,
    ladder_of,
    subjects,
    themes_by_code,
)
from coprod_connectors.scoring.models import Result, Results, SelfReflectionResult
from coprod_connectors.templating import environment

TEMPLATE = "report/report.html.j2"


@cache
def _environment(lang: str) -> jinja2.Environment:
    """The HTML environment's settings, with gettext in ``lang`` (one environment a language:
    installed translations live in the environment's globals, which overlays would share)."""
    base = environment("html")
    env = jinja2.Environment(
        loader=base.loader,
        autoescape=True,
        undefined=base.undefined,
        keep_trailing_newline=base.keep_trailing_newline,
        trim_blocks=base.trim_blocks,
        lstrip_blocks=base.lstrip_blocks,
        extensions=["jinja2.ext.i18n"],
    )
    env.globals.update(base.globals)
    env.install_gettext_translations(words(lang).translations, newstyle=True)  # type: ignore[attr-defined]
    return env


def to_html(
    results: Results,
    *,
    title: str | None = None,
    lang: str = "en",
    context: ReportContext | None = None,
) -> str:
    """Render the report; every value reaches the page through Jinja2's autoescaping."""
    template, values = _prepared(results, title=title, lang=lang, context=context)
    return template.render(values)


def html_pieces(
    results: Results,
    *,
    title: str | None = None,
    lang: str = "en",
    context: ReportContext | None = None,
) -> Iterator[str]:
    """:func:`to_html`'s text in the pieces the template makes, as it makes them
    (``Template.generate``, the same template and escaping): a report with tens of
    thousands of action-plan rows is written without ever holding its whole text."""
    template, values = _prepared(results, title=title, lang=lang, context=context)
    # plain str: an escaped piece is Markup, and text added to Markup is escaped again
    return map(str, template.generate(values))


def _prepared(
    results: Results,
    *,
    title: str | None,
    lang: str,
    context: ReportContext | None,
) -> tuple[jinja2.Template, dict[str, Any]]:
    """The report's template in ``lang`` and the values it is rendered with."""
    context = context or ReportContext()
    said: Words = words(lang)
    labels = Labels(said, ladder_of(results, context))
    explainer = Explainer(labels)
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
                "name": labels.subject(view.name, view.name_given),
                "latest": [
                    {
                        "result": r,
                        "explained": explainer.explain(r),
                        "trend": explainer.trend(view.by_instrument[r.instrument]),
                    }
                    for r in latest
                ],
                "ladder": ladder_rungs(labels, latest),
                "stages": stage_bars(sr, labels) if sr else [],
                "gap": gap_rows(sr, labels) if sr else [],
                "change": change_bars(labels, view.by_instrument),
            }
        )
    rounds = sorted({r.round for r in results.results})
    values: dict[str, Any] = {
        "title": title or said.gettext("Co-production report"),
        "lang": lang,
        "results": results,
        "sections": sections,
        "labels": labels,
        "explainer": explainer,
        "organisation": context.organisation,
        "made_on": labels.date(context.made_on) if context.made_on else None,
        "made_on_iso": context.made_on.isoformat() if context.made_on else None,
        "sources": [labels.source(source) for source in context.sources],
        "based_on": labels.based_on(r.instrument for r in results.results),
        "rounds": rounds,
        "stages": STAGES,
        "all_actions_command": all_actions_command(context.command, lang=lang),
        "themes_by_code": themes_by_code,
        "is_phrase": lambda x: isinstance(x, Phrase),
        "is_said": lambda x: isinstance(x, Said),
    }
    return _environment(lang).get_template(TEMPLATE), values


__all__ = ["ReportContext", "html_pieces", "to_html"]
