"""What every instrument's scorer shares: reading choice answers and building a result's parts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coprod_connectors.ladder import LadderModel, Placement
from coprod_connectors.responses import PERSPECTIVE_NAMES, FlagKind, Response
from coprod_connectors.scoring.models import NextRung

MISSING = object()
INVALID = object()


def choice(response: Response, code: str, allowed: Sequence[str]) -> Any:
    """The answer to ``code`` as one of ``allowed``, or :data:`MISSING` / :data:`INVALID`."""
    value = response.answers.get(code)
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    if isinstance(value, bool):
        return INVALID
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text if text in allowed else INVALID


def level(response: Response, code: str, low: int, high: int) -> Any:
    """The answer to ``code`` as a whole number from ``low`` to ``high``, or MISSING / INVALID."""
    value = choice(response, code, [str(n) for n in range(low, high + 1)])
    return int(value) if isinstance(value, str) else value


@dataclass
class Tally:
    """Counts of missing and invalid answers across one result's respondents."""

    missing: int = 0
    invalid: int = 0

    def add(self, value: Any) -> None:
        if value is MISSING:
            self.missing += 1
        elif value is INVALID:
            self.invalid += 1


def unknown_codes(responses: Sequence[Response]) -> int:
    return sum(1 for r in responses for f in r.flags if f.kind is FlagKind.UNKNOWN_CODE)


def group_name(group: str) -> str:
    """'people with lived experience', 'staff', 'other respondents', or 'everyone'."""
    names = {
        "lived": "people with lived experience",
        "staff": "staff",
        "other": "other respondents",
        "all": "everyone who answered",
    }
    return names.get(group, PERSPECTIVE_NAMES.get(group, group))


def next_rung(model: LadderModel, placement: Placement) -> NextRung | None:
    if placement.next_index is None:
        return None
    return NextRung(
        rung=model.rungs[placement.next_index].id,
        rung_index=placement.next_index,
        changes=[c.text for c in placement.changes],
    )


def insufficient(model: LadderModel, unanswered: Sequence[str], noun: str) -> tuple[str, NextRung]:
    """The reason and next step for a result without enough answers."""
    names = join([f"`{u}`" for u in unanswered])
    reason = (
        f"insufficient data: no answers for the {noun}{'s' if len(unanswered) > 1 else ''} {names}"
    )
    step = NextRung(
        rung=model.rungs[0].id,
        rung_index=0,
        changes=[f"get at least one answer for `{u}`" for u in unanswered],
    )
    return reason, step


def join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
