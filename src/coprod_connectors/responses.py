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
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timezone, tzinfo
from enum import Enum
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coprod_connectors.errors import ConfigError, ResponseDataError
from coprod_connectors.instruments.model import Instrument

if TYPE_CHECKING:
    from coprod_connectors.conversion import ConversionPlan

SCHEMA = "coprod.response/1"
_T = TypeVar("_T")

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
    if value.tzinfo is timezone.utc:  # already (astimezone would make an equal copy)
        return value
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
    if type(value) is str and len(value) == 19 and value[10] == "T" and tz is timezone.utc:
        # the usual form (2026-05-01T10:00:00) read as UTC at once, as the rest would
        # read it: in UTC, no space around it to strip, no Z to replace
        try:
            found = datetime.fromisoformat(value + "+00:00")
        except ValueError:
            pass
        else:
            if found.tzinfo is timezone.utc:
                return found
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=tz)
    elif isinstance(value, str) and len(value) <= 64:
        parsed = _parse_text(value)
    else:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return as_utc(parsed)


def _parse_text(value: str) -> datetime | None:
    """A naive or aware datetime from text, or None (see :func:`parse_timestamp`)."""
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    return next(filter(None, (_strptime(text, fmt) for fmt in _TIME_FORMATS)), None)


def _strptime(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)  # noqa: DTZ007 - zone added by the caller
    except ValueError:
        return None


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
# The work is done by the instrument's conversion plan (``coprod_connectors.conversion``),
# made once per instrument version and reused for every record.


def normalise_answers(
    instrument: Instrument, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Flag]]:
    """Convert answers keyed by instrument codes to their types.

    Blank answers are left out (missing). Repeats are lists of mappings,
    each converted the same way. Unknown codes and values that do not fit are
    kept as they came and flagged.
    """
    from coprod_connectors.conversion import plan_for

    return plan_for(instrument).convert(raw)


def _unreadable_time(
    submitted_at: Any, submitted_raw: Any, extra_flags: Iterable[Flag]
) -> tuple[datetime, list[Flag]]:
    """The time it is now, standing in for a time of submission that is None (unreadable)
    or that UTC cannot hold, and ``extra_flags`` with the flag that says so."""
    shown = submitted_raw if submitted_raw is not None else submitted_at
    late = Flag(
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
    return datetime.now(timezone.utc).replace(microsecond=0), [*extra_flags, late]


@cache
def _planner() -> Callable[[Instrument], ConversionPlan]:
    """``plan_for``, imported once (its module imports this one)."""
    from coprod_connectors.conversion import plan_for

    return plan_for


def build_response(
    instrument: Instrument,
    raw_answers: Mapping[str, Any],
    *,
    response_id: str,
    submitted_at: datetime | str | None,
    round: str | None,  # noqa: A002 - the interchange format's own name
    submitted_raw: Any = None,
    language: str | None = None,
    subject: str | None = None,
    deployment: str | None = None,
    platform: str | None = None,
    complete: bool = True,
    extra_flags: Iterable[Flag] = (),
    names: Callable[[str], str | None] | None = None,
    nested: bool = False,
) -> Response:
    """A :class:`Response` from answers keyed by codes, converted and flagged.

    ``subject`` fixed by a deployment wins over the answer to ``subject``.
    ``names``: ``raw_answers`` is keyed by the platform's own names (group paths...)
    and ``names(name)`` gives the code of each, or None for one that holds no
    answer; the same as ``by_code(raw_answers, names)`` for the answers, done in
    one pass (the plan remembers what ``names`` said of each name); with ``nested``,
    ``by_code(raw_answers, names, nested=True)``: groups are objects in the record.
    ``round`` None means the round ``submitted_at`` falls in. A ``submitted_at`` that
    is None (unreadable, see :func:`parse_timestamp`) or cannot be held in UTC never
    stops the record: it is flagged (with ``submitted_raw``, what the platform sent)
    and the time it was read stands in for it.
    """
    plan_for = _planner()
    if not isinstance(submitted_at, datetime) and submitted_at is not None:
        # text (from a file...): the model reads it, and refuses what is not a date
        return plan_for(instrument).response(
            raw_answers,
            response_id=response_id,
            submitted_at=submitted_at,  # type: ignore[arg-type]  # the model parses text
            round=round if round is not None else "",
            language=language,
            subject=subject,
            deployment=deployment,
            platform=platform,
            complete=complete,
            extra_flags=extra_flags,
            names=names,
            nested=nested,
        )
    when = None if submitted_at is None else as_utc(submitted_at)
    if when is None:
        when, extra_flags = _unreadable_time(submitted_at, submitted_raw, extra_flags)
    return plan_for(instrument)._made(
        raw_answers,
        response_id,
        when,
        round if round is not None else default_round(when),
        language,
        subject,
        deployment,
        platform,
        complete,
        extra_flags,
        names,
        nested,
    )


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
    from coprod_connectors.conversion import response_from_json  # (it imports this module)

    try:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                # Response.model_validate_json(line), quicker for lines coprod wrote
                yield response_from_json(line)
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


class Reread(Iterable[_T]):
    """An iterable that reads its source again from the start each time it is iterated
    (a store query, a file), so that a reader such as the scorer can go through it
    twice without holding it."""

    def __init__(self, read: Callable[[], Iterator[_T]]) -> None:
        self._read = read

    def __iter__(self) -> Iterator[_T]:
        return self._read()


def noting_deployments(responses: Iterable[Response], seen: set[str | None]) -> Iterable[Response]:
    """``responses`` as they are (read again each time if they can be), each one's
    deployment added to ``seen`` as it goes by: what a report names as its sources,
    found without holding the responses."""

    def note(items: Iterable[Response]) -> Iterator[Response]:
        add = seen.add
        for response in items:
            add(response.deployment)
            yield response

    if isinstance(responses, Iterator):  # one-shot
        return note(responses)
    return Reread(lambda: note(responses))


#: Responses from standard input are kept in memory up to this size, then in a temporary file.
SPOOL_MAX = 64 * 1024 * 1024


def responses_from(source: Path | IO[str], *, name: str | None = None) -> Iterable[Response]:
    """The responses in a JSON-lines file (or a stream, such as standard input) as an
    iterable that can be read more than once (see :class:`Reread`), one line at a time.

    A stream is copied as it is read into a temporary file (in memory up to
    :data:`SPOOL_MAX`), which later readings read again.
    """
    if isinstance(source, Path):
        return Reread(lambda: read_responses(source, name=name))
    label = name or getattr(source, "name", "<stdin>")
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed with the iterable
        max_size=SPOOL_MAX, mode="w+", encoding="utf-8", newline=""
    )
    try:
        shutil.copyfileobj(source, spool)
    except UnicodeDecodeError as exc:
        spool.close()
        msg = f"{label}: not UTF-8 text; save it as UTF-8"
        raise ResponseDataError(msg) from exc

    def again() -> Iterator[Response]:
        spool.seek(0)
        return read_responses(spool, name=label)

    found = Reread(again)
    weakref.finalize(found, spool.close)
    return found


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
    "SPOOL_MAX",
    "Flag",
    "FlagKind",
    "Reread",
    "Response",
    "as_utc",
    "build_response",
    "check_round",
    "default_round",
    "normalise_answers",
    "noting_deployments",
    "parse_timestamp",
    "perspective",
    "read_responses",
    "response_as_dict",
    "responses_from",
    "write_responses",
]
