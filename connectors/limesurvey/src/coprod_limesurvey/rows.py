"""LimeSurvey response rows (from export_responses or a downloaded CSV) as neutral Responses."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coprod_connectors import (
    ConfigError,
    Instrument,
    QuestionKind,
    Response,
    ResponseDataError,
    build_response,
    default_round,
)
from coprod_limesurvey.layout import META_COLUMNS, Assembler, Target, columns, language_code
from coprod_limesurvey.render import choice_html

PLATFORM = "limesurvey"
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def zone(name: str | None) -> tzinfo:
    """The time zone LimeSurvey's dates are in (it stores local times without a zone)."""
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"unknown time zone {name!r}"
        raise ConfigError(msg, hint="use a name such as Europe/London") from exc


def parse_time(value: Any, tz: tzinfo) -> datetime | None:
    """A LimeSurvey date-time string as an aware datetime (None when blank or unreadable)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) == 19 and text[10] == " ":  # what LimeSurvey sends: quick, no strptime
        try:
            return datetime.fromisoformat(text).replace(tzinfo=tz)
        except ValueError:
            pass
    for fmt in _TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is added next
        except ValueError:
            continue
        return parsed.replace(tzinfo=tz)
    return None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class RowConverter:
    """Turns rows of one survey into Responses (build once per pull or file).

    ``labels``: the rows may hold answer texts instead of answer codes (a "full
    answers" export from the admin UI), so map them back. A pull asks for codes
    (``short`` answers) and switches this off.
    """

    def __init__(
        self,
        instrument: Instrument,
        *,
        round: str | None = None,  # noqa: A002
        subject: str | None = None,
        deployment: str | None = None,
        tz: tzinfo = timezone.utc,
        labels: bool = True,
    ) -> None:
        self.instrument = instrument
        self.round = round
        self.subject = subject
        self.deployment = deployment
        self.tz = tz
        self.targets: dict[str, Target] = columns(instrument)
        self.language_column = language_code(instrument)
        # the language column is read here, never an answer
        self._assemble = Assembler(instrument, self.targets, ignore={self.language_column})
        self._labels = _label_index(instrument) if labels else {}

    def response_id(self, row: Mapping[str, Any]) -> str:
        value = row.get("id")
        if value is None or not str(value).strip():
            msg = "a response row has no id"
            raise ResponseDataError(msg, hint="export with the response id column included")
        return str(value).strip()

    def __call__(self, row: Mapping[str, Any]) -> Response:
        submitted = parse_time(row.get("submitdate"), self.tz)
        when = (
            submitted
            or parse_time(row.get("datestamp"), self.tz)
            or parse_time(row.get("startdate"), self.tz)
            or _EPOCH
        )
        # the language they finished in (a hidden equation), else the one they started in
        finished = str(row.get(self.language_column) or "").strip()
        started = str(row.get("startlanguage") or "").strip()
        language = finished if finished in self.instrument.languages else started
        raw = self._assemble(self._codes(row))
        return build_response(
            self.instrument,
            raw,
            response_id=self.response_id(row),
            submitted_at=when,
            round=self.round or default_round(when),
            language=language if language in self.instrument.languages else None,
            subject=self.subject,
            deployment=self.deployment,
            platform=PLATFORM,
            complete=submitted is not None,
        )

    def _codes(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """Map full-text answers (a 'full answers' export) back to choice codes."""
        if not self._labels:
            return row  # only read: no copy
        fixed: dict[str, Any] = {}
        for column, value in row.items():
            target = self.targets.get(column)
            if target is not None and target.choice is None and isinstance(value, str):
                labels = self._labels.get(target.code)
                if labels is not None:
                    value = labels.get(value.strip(), value)
            fixed[column] = value
        return fixed


def _label_index(instrument: Instrument) -> dict[str, dict[str, str]]:
    """answer code -> {choice label in any language: choice code} for choice questions."""
    index: dict[str, dict[str, str]] = {}
    for _, _, question in instrument.iter_questions():
        if question.kind not in {QuestionKind.SINGLE_CHOICE, QuestionKind.MATRIX}:
            continue
        labels: dict[str, str] = {}
        for choice in instrument.choices_for(question):
            for language, text in choice.label.items():
                description = (
                    choice.description[language]
                    if choice.description and question.kind is QuestionKind.SINGLE_CHOICE
                    else None
                )
                # a "full answers" export holds the answer text as LimeSurvey stores it
                for form in (text, choice_html(text, description), choice_html(text, None)):
                    labels.setdefault(form, choice.code)
        for code in question.answer_codes:
            index[code] = labels
    return index


def read_export(
    source: Path | IO[str],
    instrument: Instrument,
    *,
    round: str | None = None,  # noqa: A002
    subject: str | None = None,
    deployment: str | None = None,
    timezone_name: str | None = None,
    include_incomplete: bool = True,
) -> Iterator[Response]:
    """Responses from a CSV export downloaded from LimeSurvey's admin UI.

    LimeSurvey writes ``;``-separated UTF-8 with a byte-order mark; choose
    "Question code" headings (answer codes or full answers both work). Rows are
    read one at a time. ``round`` defaults to the six-month round of each
    response's date.
    """
    name = str(source) if isinstance(source, Path) else getattr(source, "name", "<export>")
    if isinstance(source, Path):
        try:
            with source.open(encoding="utf-8-sig", newline="") as handle:
                yield from _read_rows(
                    handle,
                    name,
                    instrument,
                    round,
                    subject,
                    deployment,
                    timezone_name,
                    include_incomplete,
                )
        except FileNotFoundError as exc:
            msg = f"{name}: no such file"
            raise ResponseDataError(msg) from exc
        except UnicodeDecodeError as exc:
            msg = f"{name}: not UTF-8 text"
            raise ResponseDataError(msg, hint="export again from LimeSurvey as CSV") from exc
    else:
        yield from _read_rows(
            source,
            name,
            instrument,
            round,
            subject,
            deployment,
            timezone_name,
            include_incomplete,
        )


def _read_rows(
    handle: IO[str],
    name: str,
    instrument: Instrument,
    round: str | None,  # noqa: A002
    subject: str | None,
    deployment: str | None,
    timezone_name: str | None,
    include_incomplete: bool,
) -> Iterator[Response]:
    lines = iter(handle)
    header = next(lines, "").lstrip("\ufeff")
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.DictReader(itertools.chain([header], lines), delimiter=delimiter)
    convert = RowConverter(
        instrument,
        round=round,
        subject=subject,
        deployment=deployment,
        tz=zone(timezone_name),
    )
    headings = set(reader.fieldnames or ())
    if "id" not in headings or not (headings - META_COLUMNS) & set(convert.targets):
        msg = (
            f"{name}: the headings are not LimeSurvey question codes for "
            f"{instrument.id} {instrument.version}"
        )
        raise ResponseDataError(
            msg,
            hint="in LimeSurvey, export responses as CSV with 'Question code' headings "
            "and the response ID included",
        )
    for line, row in enumerate(reader, start=2):
        try:
            response = convert(row)
        except ResponseDataError as exc:
            msg = f"{name}:{line}: {exc.message}"
            raise ResponseDataError(msg, hint=exc.hint) from exc
        if response.complete or include_incomplete:
            yield response


__all__ = ["PLATFORM", "RowConverter", "parse_time", "read_export", "zone"]
