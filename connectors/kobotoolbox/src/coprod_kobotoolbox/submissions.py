"""KoboToolbox submissions (API JSON or export rows) back to answers keyed by codes.

KPI reports an answer under its XML path: ``about/role``; a grid row as
``statements/diversity/d1``; a repeat as a list of objects keyed by full paths
(``plan/actions`` -> ``[{"plan/actions/actWhat": ...}, ...]``). Every name the
renderer wrote is an instrument code, and codes are unique in an instrument,
so the last path segment is the code, whichever groups a form version used.

Left out: KPI's own fields (``_id``, ``_uuid``, ``__version__``, ``meta/...``,
``formhub/...``) and the notes the renderer added (names with ``_``). Anything
else that is not a code is kept and flagged by the core's ``build_response``.

Decisions (see the README):

- validation status: a submission a reviewer marked *Not approved* keeps its
  raw record in the store but yields no response (``response=None``), so it is
  never scored; *Approved*, *On hold* and no status are responses as usual;
- form versions: ``__version__`` is looked up in the deployment's map of KPI
  version ids to instrument versions; the response carries the instrument
  version the person actually answered; an unknown version is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from coprod_connectors import (
    LANGUAGE_FIELD,
    Flag,
    FlagKind,
    by_code,
    is_generated_name,
    parse_timestamp,
)

NOT_APPROVED = "validation_status_not_approved"
_META_ROOTS = frozenset({"meta", "formhub"})


def last_segment(key: str, separators: str = "/") -> str:
    """The code at the end of a path such as ``about/role``."""
    segment = key
    for separator in separators:
        segment = segment.rsplit(separator, 1)[-1]
    return segment


def is_answer_key(key: str, separators: str = "/") -> bool:
    """True for a key that can hold an answer (not KPI metadata, not a generated note)."""
    if key.startswith("_"):
        return False
    first = key.split(separators[0], 1)[0] if separators else key
    if first in _META_ROOTS and key != first:
        return False
    return not is_generated_name(last_segment(key, separators))


@lru_cache(maxsize=8192)
def answer_code(key: str) -> str | None:
    """The code a submission key holds an answer to, or None (metadata, a note).

    Cached: every submission of a form has the same keys, so a pull of thousands
    looks each one up once.
    """
    return last_segment(key) if is_answer_key(key) else None


def answers_from_submission(submission: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in one KPI submission, keyed by codes (repeats as lists of dicts).

    A code under two paths (two groups of an edited form) takes the first one's
    answer; a pull converts the submission in one pass instead
    (``build_response(..., names=answer_code)``), with the same result.
    """
    return by_code(submission, answer_code)


def submitted_at(submission: Mapping[str, Any]) -> datetime | None:
    """When KPI received the submission (UTC), from ``_submission_time`` (or ``end``);
    None when neither is a readable date and time (the response is then flagged)."""
    return parse_timestamp(submitted_raw(submission))


def submitted_raw(submission: Mapping[str, Any]) -> Any:
    """What the submission says about when it was sent, as it came."""
    return submission.get("_submission_time") or submission.get("end")


def response_id(submission: Mapping[str, Any]) -> str:
    """A stable id for the person's response: the root instance uuid (kept across edits)."""
    for key in ("meta/rootUuid", "_uuid", "meta/instanceID"):
        value = submission.get(key)
        if isinstance(value, str) and value:
            return value.removeprefix("uuid:")
    return str(submission.get("_id", ""))


def language_of(submission: Mapping[str, Any], languages: list[str]) -> str | None:
    """The language the form was shown in, as the form recorded it (None if unknown).

    Forms rendered by this connector keep it in ``coprod_language``; older forms
    did not, and the response then takes the instrument's default language.
    """
    value = submission.get(LANGUAGE_FIELD)
    if isinstance(value, str) and value.strip() in languages:
        return value.strip()
    return None


def validation_status(submission: Mapping[str, Any]) -> str | None:
    """The validation status uid (``validation_status_approved`` ...), if a reviewer set one."""
    status = submission.get("_validation_status")
    if isinstance(status, Mapping):
        uid = status.get("uid")
        return uid if isinstance(uid, str) and uid else None
    if isinstance(status, str) and status:
        return status
    return None


def is_not_approved(submission: Mapping[str, Any]) -> bool:
    if not submission.get("_validation_status"):  # KPI's {} for no status: the usual case
        return False
    status = (validation_status(submission) or "").lower().replace(" ", "_")
    return status in {NOT_APPROVED, "not_approved"}


def version_of(
    submission: Mapping[str, Any], versions: Mapping[str, str], current: str
) -> tuple[str, list[Flag]]:
    """The instrument version a submission answered, and a flag if its form version is unknown."""
    form_version = submission.get("__version__")
    if not isinstance(form_version, str) or not form_version:
        return current, []
    known = versions.get(form_version)
    if known is not None:
        return known, []
    return current, [
        Flag(
            code="__version__",
            kind=FlagKind.INCONSISTENT,
            value=form_version,
            message=(
                f"form version {form_version} was not deployed by coprod (edited on "
                f"KoboToolbox?); its answers were read as instrument version {current}"
            ),
        )
    ]


__all__ = [
    "NOT_APPROVED",
    "answer_code",
    "answers_from_submission",
    "is_answer_key",
    "is_not_approved",
    "language_of",
    "last_segment",
    "response_id",
    "submitted_at",
    "submitted_raw",
    "validation_status",
    "version_of",
]
