"""The results interchange format (``coprod.results/1``) as pydantic models.

``Results.to_json()`` is what ``coprod score --format json`` writes: keys in
the models' field order, results sorted by instrument, subject and round, no
timestamp unless one was passed in. The JSON Schema published in
``schemas/results-1.schema.json`` is generated from these models.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

RESULTS_SCHEMA: Literal["coprod.results/1"] = "coprod.results/1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NextRung(_Model):
    """The next rung up and the smallest set of changes that would reach it."""

    rung: str
    rung_index: int
    changes: list[str]


class DataQuality(_Model):
    """Answers that could not be counted, counted and reported."""

    missing: int = Field(description="scored questions left unanswered")
    invalid: int = Field(description="answers that are not one of the choices; not counted")
    unknown_codes: int = Field(description="answers to questions the instrument does not have")
    duplicates: int = Field(description="repeated response ids; only the latest is counted")


class GroupItem(_Model):
    """A principle or phase within one perspective group."""

    median: int | None
    answered: int
    distribution: dict[str, int]


class PrincipleScore(_Model):
    """One self-reflection principle for the whole subject."""

    stage: int | None = Field(description="the stage used for the rung")
    median: int | None = Field(description="lower median of every answer")
    lowered_by_lived_experience: bool
    answered: int
    missing: int
    invalid: int
    distribution: dict[str, int]
    rag: dict[str, int]
    rag_contradictions: int = Field(
        description="green with stage 1 or red with stage 4 from the same person; flagged, kept"
    )


class Action(_Model):
    """One row of an action plan, as written (free text: escape before display)."""

    principle: str | None
    what: str | None
    who: str | None
    when: str | None
    how: str | None


class SelfReflectionPerspective(_Model):
    respondents: int
    principles: dict[str, GroupItem]


class StatementScore(_Model):
    """One checklist statement for the whole subject."""

    theme: str
    mean: float | None
    agreed: bool
    answered: int
    dont_know: int
    missing: int
    invalid: int
    distribution: dict[str, int]


class Agreement(_Model):
    """The checklist's measures: the share s and the achieved rule."""

    agreed: int
    total: int
    share: float
    achieved: bool
    basis: list[str] = Field(description="the groups the achieved rule looked at ('all': everyone)")


class GroupStatement(_Model):
    mean: float | None
    answered: int
    agreed: bool


class AchieveGap(_Model):
    """One thing that stops the checklist's achieved rule holding (not part of the JSON).

    ``kind`` is ``"group"`` (``group`` agrees with ``have`` of ``total`` statements,
    ``need`` more needed) or ``"disagreed"`` (``against`` of the ``of`` people with
    lived experience disagree with ``statement``). Reports word it in the reader's language.
    """

    kind: Literal["group", "disagreed"]
    group: str | None = None
    have: int = 0
    need: int = 0
    total: int = 0
    statement: str | None = None
    against: int = 0
    of: int = 0


class ChecklistPerspective(_Model):
    respondents: int
    agreed: int
    share: float
    statements: dict[str, GroupStatement]


class PhaseScore(_Model):
    """One ladder-check phase for the whole subject."""

    level: int | None
    answered: int
    missing: int
    invalid: int
    distribution: dict[str, int]


class IndicatorCount(_Model):
    yes: int
    no: int
    missing: int
    invalid: int


class LadderCheckPerspective(_Model):
    respondents: int
    phases: dict[str, GroupItem]


class _Result(_Model):
    subject: str | None
    round: str
    respondents: int
    rung: str | None = Field(description="the rung id; null for insufficient data")
    rung_index: int | None
    reasons: list[str]
    next_rung: NextRung | None
    data_quality: DataQuality


class SelfReflectionResult(_Result):
    instrument: Literal["self-reflection"] = "self-reflection"
    principles: dict[str, PrincipleScore]
    actions: list[Action]
    perspectives: dict[str, SelfReflectionPerspective]


class ChecklistResult(_Result):
    instrument: Literal["checklist"] = "checklist"
    agreement: Agreement
    statements: dict[str, StatementScore]
    perspectives: dict[str, ChecklistPerspective]
    #: what stops the achieved rule holding, as data for reports (the JSON has it in ``reasons``)
    _gaps: tuple[AchieveGap, ...] = PrivateAttr(default=())

    @property
    def achieve_gaps(self) -> tuple[AchieveGap, ...]:
        """What stops the achieved rule holding (empty for results read back from JSON)."""
        return self._gaps


class LadderCheckResult(_Result):
    instrument: Literal["ladder-check"] = "ladder-check"
    phases: dict[str, PhaseScore]
    indicators: dict[str, IndicatorCount]
    perspectives: dict[str, LadderCheckPerspective]


Result = Annotated[
    SelfReflectionResult | ChecklistResult | LadderCheckResult, Field(discriminator="instrument")
]

#: How :meth:`Results.to_json` writes (json.dumps with these settings).
_INDENTED = json.JSONEncoder(indent=2, ensure_ascii=False)

_FIRST = ("instrument", "subject", "round", "respondents", "rung", "rung_index", "reasons")


class Results(_Model):
    """Every result of one scoring run."""

    schema_: Literal["coprod.results/1"] = Field(RESULTS_SCHEMA, alias="schema")
    ladder: str
    k: int = Field(description="the privacy threshold: smaller groups are never shown alone")
    generated_at: datetime | None = None
    results: list[Result]
    unscored: dict[str, int] = Field(
        default_factory=dict, description="responses to instruments the scorer does not know"
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_data(self) -> dict[str, Any]:
        """The JSON form as plain data, ``instrument`` first in every result."""
        data = self.model_dump(mode="json", by_alias=True)
        if data["generated_at"] is None:
            del data["generated_at"]
        data["results"] = [
            {**{key: r[key] for key in _FIRST}, **{k: v for k, v in r.items() if k not in _FIRST}}
            for r in data["results"]
        ]
        return data

    def to_json(self) -> str:
        """The JSON text: indented, UTF-8, ending with a newline; byte-identical run to run."""
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n"

    def json_pieces(self) -> Iterator[str]:
        """:meth:`to_json`'s text in small pieces, to be written as they come: the whole
        text of a large result (tens of thousands of action-plan rows) is never held, nor
        the millions of pieces an indented ``json.dumps`` joins at the end."""
        yield from _INDENTED.iterencode(self.to_data())
        yield "\n"


def results_json_schema() -> dict[str, Any]:
    """The JSON Schema of the results format, as published in ``schemas/``."""
    schema = Results.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "coprod.results/1"
    schema["description"] = (
        "Scored results of co-production instruments, per instrument, subject and round. "
        "Perspective groups (lived, staff, other) appear only when they have at least k people."
    )
    schema["required"] = ["schema", *schema["required"]]
    for name in ("SelfReflectionResult", "ChecklistResult", "LadderCheckResult"):
        definition = schema["$defs"][name]
        definition["required"] = ["instrument", *definition["required"]]
        definition["properties"]["perspectives"]["propertyNames"] = {
            "enum": ["lived", "staff", "other"]
        }
    return schema


__all__ = [
    "RESULTS_SCHEMA",
    "AchieveGap",
    "Action",
    "Agreement",
    "ChecklistPerspective",
    "ChecklistResult",
    "DataQuality",
    "GroupItem",
    "GroupStatement",
    "IndicatorCount",
    "LadderCheckPerspective",
    "LadderCheckResult",
    "NextRung",
    "PhaseScore",
    "PrincipleScore",
    "Result",
    "Results",
    "SelfReflectionPerspective",
    "SelfReflectionResult",
    "StatementScore",
    "results_json_schema",
]
