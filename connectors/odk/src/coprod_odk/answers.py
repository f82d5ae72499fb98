"""A Central submission (an OData row, or a row of the CSV export) back to answers keyed by codes.

OData nests a group as an object (``{"about": {"role": "staff"}}``) and inlines
a repeat (with ``$expand=*``) as a list of objects, each with its own ``__id``.
Every ``name`` in the form is an instrument code and codes are unique in an
instrument, so the innermost name is the code whatever groups a form version
used. Left out: Central's own fields (``__id``, ``__system``, ``meta``, OData
links) and the names the XLSForm writer made up for notes.

Decisions:

- **Review states** (Central's, like KoboToolbox's validation status): a
  submission a reviewer marked *Rejected* keeps its raw record in the store but
  yields no response, so it is never scored (it is "held"). *Approved*, *Has
  issues*, *Edited* and no state ("received") are responses as usual. A
  rejection undone later comes back with the next pull (the review changed
  ``updatedAt``) and is scored from then on.
- **Edits**: the response id is the submission's first instance id (``__id``,
  which Central keeps across edits), so an edit replaces the answers it
  corrects; ``meta/instanceID`` (the newest instance) is not used as an id.
- **Form versions**: ``__system/formVersion`` is looked up in the deployment's
  map of form versions to instrument versions; the response carries the
  instrument version the person answered; an unknown version is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from coprod_connectors import GROUP, LANGUAGE_FIELD
from coprod_odk.cursor import parse_time

REJECTED = "rejected"
#: An instrument code (letters and digits, starting with a letter): anything else in a
#: form is Central's or a name the XLSForm writer made up.
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_SKIP = frozenset({"meta", "__system", "__id"})


def is_code(name: str) -> bool:
    return bool(_CODE.fullmatch(name))


#: the kind of each key seen (see :func:`_kind`), at most :data:`_KINDS_MAX` of them
_KINDS: dict[str, int] = {}
_KINDS_MAX = 8192


def _kind(key: str) -> int:
    """0: not an answer (Central's own, a link, a made-up name); 1: a code; 2: a group
    or repeat name that is not a code (walked into, never kept). Remembered: every
    submission of a form has the same keys (a dict, not ``lru_cache``: cheaper to ask)."""
    skipped = key in _SKIP or key.startswith("__") or "@" in key
    kind = 0 if skipped else 1 if is_code(key) else 2
    if len(_KINDS) < _KINDS_MAX:
        _KINDS[key] = kind
    return kind


def answer_name(key: str) -> str | None:
    """What an OData key holds, as the core's ``by_code(..., nested=True)`` asks: the code
    it is (a code's object is a group too), ``GROUP`` for a group or repeat name that is
    not a code, None for Central's own fields, links and made-up names. With it,
    ``by_code(row, answer_name, nested=True)`` is :func:`answers_from_row` (tested)."""
    try:
        kind = _KINDS[key]
    except KeyError:
        kind = _kind(key)
    return None if not kind else key if kind == 1 else GROUP


def answers_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in one OData row, keyed by codes (repeats as lists of dicts)."""
    answers: dict[str, Any] = {}
    _collect(row, answers)
    return answers


def _collect(node: Mapping[str, Any], answers: dict[str, Any]) -> None:
    kinds = _KINDS
    for key, value in node.items():
        try:
            kind = kinds[key]
        except KeyError:  # a key not seen before (or not remembered)
            kind = _kind(key)
        if not kind:
            continue
        cls = type(value)
        if cls is dict:  # a group (JSON objects are dicts)
            _collect(value, answers)
        elif cls is list:  # a repeat
            if kind == 1:
                items = []
                for item in value:
                    if type(item) is dict:
                        inner: dict[str, Any] = {}
                        _collect(item, inner)
                        items.append(inner)
                answers[key] = items
        elif kind == 1 and key not in answers:
            answers[key] = value


def language_of(row: Mapping[str, Any], languages: Sequence[str]) -> str | None:
    """The language the form was shown in, as the form recorded it (the writer's
    ``coprod_language`` calculate, at the top of the row); None if unknown."""
    value = row.get(LANGUAGE_FIELD)
    if isinstance(value, str) and value.strip() in languages:
        return value.strip()
    return None


def review_state(row: Mapping[str, Any]) -> str | None:
    system = row.get("__system")
    state = system.get("reviewState") if isinstance(system, Mapping) else None
    return state if isinstance(state, str) and state else None


def is_held(row: Mapping[str, Any]) -> bool:
    """Whether a reviewer rejected the submission (kept raw, never scored)."""
    return review_state(row) == REJECTED


def response_id(instance_id: str) -> str:
    """The response's id: the first instance id, without ``uuid:``."""
    return instance_id.removeprefix("uuid:")


def submitted_at(value: str | None) -> datetime | None:
    """When Central received the submission; None when it is not a readable date and time
    (``build_response`` then flags the response and keeps it, never dating it 1970)."""
    return parse_time(value)


def form_version(row: Mapping[str, Any]) -> str | None:
    system = row.get("__system")
    version = system.get("formVersion") if isinstance(system, Mapping) else None
    return version if isinstance(version, str) and version else None


__all__ = [
    "REJECTED",
    "answer_name",
    "answers_from_row",
    "form_version",
    "is_code",
    "is_held",
    "language_of",
    "response_id",
    "review_state",
    "submitted_at",
]
