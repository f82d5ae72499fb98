"""The platform-neutral response: what every connector's pull yields and the scorer reads.

Its JSON form (one object a line) is the interchange format in INSTRUMENTS.md:
``instrument``, ``instrument_version``, ``response_id``, ``submitted_at``,
``language``, ``round``, ``subject``, ``role`` and ``answers`` keyed by the
instrument's codes (a repeat as a list of objects). Anything a platform sent
that does not fit (an unknown code, a value that is not one of the choices,
a number out of range) is kept and flagged in ``flags``, never dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timezone, tzinfo
from enum import Enum
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coprod_connectors.errors import ConfigError, ResponseDataError
from coprod_connectors.instruments.model import Instrument, Question, QuestionKind

SCHEMA = "coprod.response/1"

#: Roles and the perspective group each belongs to (INSTRUMENTS.md).
PERSPECTIVES: dict[str, str] = {
    "user": "lived",
    "carer": "lived",
    "staff": "staff",
    "mgr": "staff",
    "board": "staff",
    "comm": "other",
    "nosay": "other",
}
PERSPECTIVE_NAMES = {"lived": "lived experience", "staff": "staff", "other": "other"}


def perspective(role: str | None) -> str:
    """The perspective group of a role: 'lived', 'staff' or 'other' (unanswered or unknown)."""
    return PERSPECTIVES.get(role or "", "other")


def default_round(when: datetime | date | None = None) -> str:
    """The six-monthly round a date falls in, e.g. ``2026-H2``."""
    when = when or datetime.now(timezone.utc)
    return f"{when.year}-H{1 if when.month <= 6 else 2}"


_ROUND = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
ROUND_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit, 40 at most"


def check_round(value: str) -> str:
    """``value`` if it is a round name (e.g. ``2026-H2``), else a ConfigError saying what a
    round may contain; checked before anything is created anywhere."""
    if not _ROUND.fullmatch(value) or value.strip(".") != value:
        from coprod_connectors.safety import printable

        msg = f"{printable(value, 60)!r} is not a round name: use {ROUND_RULE}, e.g. 2026-H2"
        raise ConfigError(msg)
    return value


def as_utc(value: datetime) -> datetime | None:
    """``value`` in UTC (a naive one is taken as UTC); None if UTC cannot hold it (a time
    near year 1 or 9999 whose offset would cross the calendar's ends)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M")


def parse_timestamp(value: Any, *, tz: tzinfo = timezone.utc) -> datetime | None:
    """A date and time from a platform or a file as an aware UTC datetime, or None when it
    is blank, not a date (``2026-02-30``, ``soon``) or cannot be held in UTC.

    Reads ISO 8601 (``2026-05-01T10:00:00Z``, ``+01:00`` offsets, a date alone) and
    ``YYYY-MM-DD HH:MM[:SS]``; a time without an offset is in ``tz``. Never raises:
    the caller flags what it could not read (:func:`build_response` does).
    """
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=tz)
    elif isinstance(value, str) and value.strip() and len(value) <= 64:
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            parsed = None
            for fmt in _TIME_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone added below
                    break
                except ValueError:
                    continue
    else:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return as_utc(parsed)


class FlagKind(str, Enum):
    """What is wrong with an answer that was kept anyway."""

    UNKNOWN_CODE = "unknown_code"
    INVALID_VALUE = "invalid_value"
    OUT_OF_RANGE = "out_of_range"
    INCONSISTENT = "inconsistent"

    def __str__(self) -> str:
        return self.value


class Flag(BaseModel):
    """An answer kept as it came, with what is wrong with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    kind: FlagKind
    value: Any = None
    message: str


class Response(BaseModel):
    """One person's answers to one instrument, from any platform."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: str
    instrument_version: str
    response_id: str = Field(min_length=1)
    submitted_at: datetime
    language: str = "en"
    round: str
    subject: str | None = None
    role: str | None = None
    deployment: str | None = None
    platform: str | None = None
    complete: bool = True
    answers: dict[str, Any] = Field(default_factory=dict)
    flags: list[Flag] = Field(default_factory=list)

    @field_validator("submitted_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        utc = as_utc(value)
        if utc is None:
            msg = "a date and time that cannot be shown in UTC (years 1 to 9999)"
            raise ValueError(msg)
        return utc

    @field_validator("round")
    @classmethod
    def _round(cls, value: str) -> str:
        if not _ROUND.fullmatch(value):
            msg = f"{value!r} is not a round name such as 2026-H2"
            raise ValueError(msg)
        return value

    @property
    def perspective(self) -> str:
        return perspective(self.role)

    def to_json(self) -> str:
        """One line of JSON, keys in a fixed order."""
        return self.model_dump_json(exclude_none=False)


# --- converting platform values ------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _convert(
    instrument: Instrument, question: Question, code: str, value: Any, flags: list[Flag]
) -> Any:
    """``value`` as the question's type; flags (and keeps) what does not fit."""
    kind = question.kind
    if kind in {QuestionKind.SINGLE_CHOICE, QuestionKind.MATRIX}:
        text = _scalar_text(value)
        offered = _offered(instrument, question)
        if text not in offered:
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.INVALID_VALUE,
                    value=value,
                    message=f"{text!r} is not one of the choices ({', '.join(sorted(offered))})",
                )
            )
        return text
    if kind is QuestionKind.MULTIPLE_CHOICE:
        items = value.split() if isinstance(value, str) else [_scalar_text(v) for v in value]
        offered = _offered(instrument, question)
        bad = [i for i in items if i not in offered]
        if bad:
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.INVALID_VALUE,
                    value=value,
                    message=f"{', '.join(map(repr, bad))} not among the choices",
                )
            )
        return sorted(set(items), key=items.index)
    if kind is QuestionKind.INTEGER:
        number = _whole_number(value)
        if number is None:
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.INVALID_VALUE,
                    value=value,
                    message="not a whole number",
                )
            )
            return value
        if (question.min is not None and number < question.min) or (
            question.max is not None and number > question.max
        ):
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.OUT_OF_RANGE,
                    value=number,
                    message=f"{number} is outside {question.min}..{question.max}",
                )
            )
        return number
    if kind is QuestionKind.DATE:
        text = _scalar_text(value)
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.INVALID_VALUE,
                    value=value,
                    message="not a date (YYYY-MM-DD)",
                )
            )
            return text
    return _scalar_text(value)


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _scalar_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalise_answers(
    instrument: Instrument, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Flag]]:
    """Convert answers keyed by instrument codes to their types.

    Blank answers are left out (missing). Repeats are lists of mappings,
    each converted the same way. Unknown codes and values that do not fit are
    kept as they came and flagged.
    """
    flags: list[Flag] = []
    answers: dict[str, Any] = {}
    index = _answer_index(instrument)
    for code, value in raw.items():
        if _blank(value):
            continue
        question = index.get(code)
        if question is None:
            answers[code] = value
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.UNKNOWN_CODE,
                    value=value,
                    message=f"{instrument.id} {instrument.version} has no question {code!r}",
                )
            )
        elif question.kind is QuestionKind.REPEAT:
            answers[code] = _repeat(instrument, question, code, value, flags)
        elif question.kind is QuestionKind.NOTE:
            continue
        else:
            answers[code] = _convert(instrument, question, code, value, flags)
    return answers, flags


def _repeat(
    instrument: Instrument, question: Question, code: str, value: Any, flags: list[Flag]
) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        flags.append(
            Flag(
                code=code,
                kind=FlagKind.INVALID_VALUE,
                value=value,
                message="a repeat must be a list of objects",
            )
        )
        return value
    inner = {q.code: q for q in question.questions or ()}
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        row: dict[str, Any] = {}
        for inner_code, inner_value in item.items():
            if _blank(inner_value):
                continue
            inner_q = inner.get(inner_code)
            path = f"{code}[{i}].{inner_code}"
            if inner_q is None:
                row[inner_code] = inner_value
                flags.append(
                    Flag(
                        code=path,
                        kind=FlagKind.UNKNOWN_CODE,
                        value=inner_value,
                        message=f"{code} has no question {inner_code!r}",
                    )
                )
            else:
                row[inner_code] = _convert(instrument, inner_q, path, inner_value, flags)
        if row:
            rows.append(row)
    if len(rows) > (question.max_count or len(rows)):
        flags.append(
            Flag(
                code=code,
                kind=FlagKind.OUT_OF_RANGE,
                value=len(rows),
                message=f"{len(rows)} rows; the instrument allows {question.max_count}",
            )
        )
    return rows


class _InstrumentLookups:
    """What converting answers asks of an instrument again and again, worked out once."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.index: dict[str, Question] = {}
        for _, repeat, question in instrument.iter_questions():
            if repeat is not None:
                continue
            if question.kind is QuestionKind.MATRIX:
                for row in question.rows or ():
                    self.index[row.code] = question
            else:
                self.index[question.code] = question
        self.offered: dict[str, frozenset[str]] = {
            q.code: frozenset(c.code for c in instrument.choices_for(q))
            for _, _, q in instrument.iter_questions()
        }


# Instruments are frozen, so their lookups never go stale; keyed by id() and
# checked by identity, since a model with dict fields cannot be hashed.
_LOOKUPS: dict[int, _InstrumentLookups] = {}
_LOOKUPS_MAX = 64


def _lookups(instrument: Instrument) -> _InstrumentLookups:
    found = _LOOKUPS.get(id(instrument))
    if found is None or found.instrument is not instrument:
        if len(_LOOKUPS) >= _LOOKUPS_MAX:
            _LOOKUPS.clear()
        found = _LOOKUPS[id(instrument)] = _InstrumentLookups(instrument)
    return found


def _answer_index(instrument: Instrument) -> dict[str, Question]:
    return _lookups(instrument).index


def _offered(instrument: Instrument, question: Question) -> frozenset[str]:
    offered = _lookups(instrument).offered.get(question.code)
    if offered is None:  # a question from another instrument version
        return frozenset(c.code for c in instrument.choices_for(question))
    return offered


def build_response(
    instrument: Instrument,
    raw_answers: Mapping[str, Any],
    *,
    response_id: str,
    submitted_at: datetime | None,
    round: str | None,  # noqa: A002 - the interchange format's own name
    submitted_raw: Any = None,
    language: str | None = None,
    subject: str | None = None,
    deployment: str | None = None,
    platform: str | None = None,
    complete: bool = True,
    extra_flags: Iterable[Flag] = (),
) -> Response:
    """A :class:`Response` from answers keyed by codes, converted and flagged.

    ``subject`` fixed by a deployment wins over the answer to ``subject``.
    ``round`` None means the round ``submitted_at`` falls in. A ``submitted_at`` that
    is None (unreadable, see :func:`parse_timestamp`) or cannot be held in UTC never
    stops the record: it is flagged (with ``submitted_raw``, what the platform sent)
    and the time it was read stands in for it.
    """
    answers, flags = normalise_answers(instrument, raw_answers)
    when = None if submitted_at is None else as_utc(submitted_at)
    if when is None:
        when = datetime.now(timezone.utc).replace(microsecond=0)
        shown = submitted_raw if submitted_raw is not None else submitted_at
        flags.append(
            Flag(
                code="submitted_at",
                kind=FlagKind.INVALID_VALUE,
                value=None if shown is None else str(shown),
                message=(
                    "no readable date and time of submission"
                    if shown is None
                    else f"{str(shown)[:64]!r} is not a date and time that can be read"
                )
                + "; the time it was read stands in for it",
            )
        )
    role = answers.get("role")
    return Response(
        instrument=instrument.id,
        instrument_version=instrument.version,
        response_id=response_id,
        submitted_at=when,
        language=language or instrument.default_language,
        round=round or default_round(when),
        subject=subject or _text_or_none(answers.get("subject")),
        role=role if isinstance(role, str) else None,
        deployment=deployment,
        platform=platform,
        complete=complete,
        answers=answers,
        flags=[*flags, *extra_flags],
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --- JSON lines ------------------------------------------------------------------------


def read_responses(source: Path | IO[str], *, name: str | None = None) -> Iterator[Response]:
    """Read responses from JSON lines, one at a time; errors name the file and line."""
    label = name or (
        source.name if isinstance(source, Path) else getattr(source, "name", "<stdin>")
    )
    if isinstance(source, Path):
        try:
            handle: IO[str] = source.open(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            msg = f"{label}: no such file"
            raise ResponseDataError(msg) from exc
    else:
        handle = source
    try:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield Response.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"]) or "line"
                msg = f"{label}:{number}: {where}: {first['msg']}"
                if exc.error_count() > 1:
                    msg += f" (and {exc.error_count() - 1} more problems)"
                raise ResponseDataError(msg, hint="each line must be one response as JSON") from exc
    except UnicodeDecodeError as exc:
        msg = f"{label}: not UTF-8 text; save it as UTF-8"
        raise ResponseDataError(msg) from exc
    finally:
        if isinstance(source, Path):
            handle.close()


def write_responses(responses: Iterable[Response], target: IO[str]) -> int:
    """Write responses as JSON lines; returns how many."""
    count = 0
    for response in responses:
        target.write(response.to_json())
        target.write("\n")
        count += 1
    return count


def response_as_dict(response: Response) -> dict[str, Any]:
    """The JSON form of a response as a plain dict."""
    data: dict[str, Any] = json.loads(response.to_json())
    return data


__all__ = [
    "PERSPECTIVES",
    "PERSPECTIVE_NAMES",
    "ROUND_RULE",
    "SCHEMA",
    "Flag",
    "FlagKind",
    "Response",
    "as_utc",
    "build_response",
    "check_round",
    "default_round",
    "normalise_answers",
    "parse_timestamp",
    "perspective",
    "read_responses",
    "response_as_dict",
    "write_responses",
]
