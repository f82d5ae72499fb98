"""Scoring and ladder classification, shared by every connector: pure functions, no I/O.

:func:`score` takes :class:`~coprod_connectors.responses.Response` objects and
returns :class:`Results` (the ``coprod.results/1`` interchange format);
:func:`classify` places one instrument's evidence on a ladder.
"""

from coprod_connectors.scoring.engine import SCORERS, Counted, classify, count, score
from coprod_connectors.scoring.models import (
    RESULTS_SCHEMA,
    ChecklistResult,
    LadderCheckResult,
    Result,
    Results,
    SelfReflectionResult,
    results_json_schema,
)
from coprod_connectors.scoring.self_reflection import rag_flags
from coprod_connectors.scoring.stats import lower_median, visible_groups

__all__ = [
    "RESULTS_SCHEMA",
    "SCORERS",
    "ChecklistResult",
    "Counted",
    "LadderCheckResult",
    "Result",
    "Results",
    "SelfReflectionResult",
    "classify",
    "count",
    "lower_median",
    "rag_flags",
    "results_json_schema",
    "score",
    "visible_groups",
]
