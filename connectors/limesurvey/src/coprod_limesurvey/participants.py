"""Participants of a closed survey: read them from CSV, add them with tokens, invite them.

The CSV has a header row with ``firstname``, ``lastname`` and ``email``
(``first name``, ``first_name``, ``surname`` ... are accepted too), and
optionally ``token`` and ``language``; any other column becomes a LimeSurvey
participant attribute (``attribute_1``, ``attribute_2``... in column order).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from coprod_connectors import ResponseDataError
from coprod_limesurvey.rpc import NoDataError, RemoteControl
from coprod_limesurvey.wire import ParticipantIn, ParticipantOut

_ALIASES = {
    "firstname": "firstname",
    "first name": "firstname",
    "first_name": "firstname",
    "forename": "firstname",
    "given name": "firstname",
    "lastname": "lastname",
    "last name": "lastname",
    "last_name": "lastname",
    "surname": "lastname",
    "family name": "lastname",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "token": "token",
    "language": "language",
}
_EMAIL = re.compile(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+")


@dataclass(frozen=True)
class ParticipantList:
    """Participants read from a CSV file, and the attribute each extra column became."""

    participants: list[ParticipantIn]
    attributes: dict[str, str] = field(default_factory=dict)
    source: str = "<participants>"

    @property
    def attribute_ids(self) -> list[int]:
        return [int(name.rsplit("_", 1)[1]) for name in self.attributes]


def read_participants(source: Path | IO[str]) -> ParticipantList:
    """Participants from a CSV file (``,`` or ``;`` separated, UTF-8 with or without a BOM)."""
    name = str(source) if isinstance(source, Path) else getattr(source, "name", "<participants>")
    if isinstance(source, Path):
        try:
            with source.open(encoding="utf-8-sig", newline="") as handle:
                return _read(handle, name)
        except FileNotFoundError as exc:
            msg = f"{name}: no such file"
            raise ResponseDataError(msg) from exc
        except UnicodeDecodeError as exc:
            msg = f"{name}: not UTF-8 text"
            raise ResponseDataError(msg, hint="save the file as CSV UTF-8") from exc
    return _read(source, name)


def _read(handle: IO[str], name: str) -> ParticipantList:
    lines = iter(handle)
    header = next(lines, "").lstrip("\ufeff")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(itertools.chain([header], lines), delimiter=delimiter)
    headings = [h.strip() for h in next(reader, [])]
    known: dict[int, str] = {}
    attributes: dict[str, str] = {}
    for i, heading in enumerate(headings):
        key = _ALIASES.get(heading.lower())
        if key is not None:
            known[i] = key
        elif heading:
            attributes[f"attribute_{len(attributes) + 1}"] = heading
            known[i] = f"attribute_{len(attributes)}"
    if "email" not in known.values():
        msg = f"{name}: no email column (found: {', '.join(headings) or 'nothing'})"
        raise ResponseDataError(
            msg, hint="the first row must name the columns: firstname,lastname,email"
        )
    problems: list[str] = []
    people: list[ParticipantIn] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {known[i]: cell.strip() for i, cell in enumerate(row) if i in known}
        email = values.get("email", "")
        if not _EMAIL.fullmatch(email):
            problems.append(f"{name}:{line}: {email!r} is not an email address")
            continue
        if email.lower() in seen:
            problems.append(f"{name}:{line}: {email} is already on line {seen[email.lower()]}")
            continue
        seen[email.lower()] = line
        people.append(ParticipantIn.model_validate({k: v for k, v in values.items() if v}))
    if problems:
        raise ResponseDataError("\n".join(problems), hint="fix these rows and try again")
    return ParticipantList(people, attributes, name)


@dataclass
class ParticipantsReport:
    """What adding (and inviting) participants did, or would do in a dry run."""

    survey_id: int
    dry_run: bool
    to_add: list[ParticipantIn] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    added: list[ParticipantOut] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    invite: bool = False
    invited: list[str] = field(default_factory=list)
    invite_failures: list[tuple[str, str]] = field(default_factory=list)
    survey_url: str | None = None

    def lines(self) -> Iterator[str]:
        """A plain description for people (the CLI prints these)."""
        verb = "would add" if self.dry_run else "added"
        count = len(self.to_add) if self.dry_run else len(self.added)
        yield f"survey {self.survey_id}: {verb} {count} participant(s)"
        if self.already_there:
            yield f"  {len(self.already_there)} already in the survey (skipped)"
        for person in self.to_add if self.dry_run else ():
            name = f"{person.firstname} {person.lastname}".strip() or "(no name)"
            yield f"  {name} <{person.email}>"
        for email, why in self.refused:
            yield f"  refused by LimeSurvey: {email}: {why}"
        if self.invite and self.dry_run:
            yield (
                f"would ask LimeSurvey to email an invitation with a personal link to "
                f"{self.survey_url or 'the survey'} to everyone not yet invited "
                f"({len(self.to_add)} new)"
            )
        elif self.invite:
            yield f"invited {len(self.invited)} participant(s)"
            for email, why in self.invite_failures:
                yield f"  invitation to {email} failed: {why}"


def participant_table_exists(rc: RemoteControl, sid: int) -> bool:
    try:
        rc.call("list_participants", sid, 0, 1)
    except NoDataError as exc:
        return "table" not in (exc.platform_message or "").lower()
    return True


def existing_emails(rc: RemoteControl, sid: int, *, page: int = 500) -> set[str]:
    """The email addresses already in the participant table (read in pages)."""
    found: set[str] = set()
    start = 0
    while True:
        try:
            rows = rc.call("list_participants", sid, start, page, False, ["email"])
        except NoDataError:
            return found
        if not isinstance(rows, list) or not rows:
            return found
        for row in rows:
            info = row.get("participant_info") or {}
            email = info.get("email") or row.get("email")
            if isinstance(email, str):
                found.add(email.lower())
        if len(rows) < page:
            return found
        start += page


def ensure_participant_table(rc: RemoteControl, sid: int, attribute_ids: Iterable[int]) -> bool:
    """Create the participant table if the survey has none; True when it was created."""
    if participant_table_exists(rc, sid):
        return False
    rc.call("activate_tokens", sid, sorted(set(attribute_ids)))
    return True


def add_participants(
    rc: RemoteControl,
    sid: int,
    people: ParticipantList,
    *,
    dry_run: bool = False,
    invite: bool = False,
    survey_url: str | None = None,
) -> ParticipantsReport:
    """Add the people not yet in the survey (with tokens); optionally invite everyone not invited.

    In a dry run nothing is written: the report says who would be added and invited.
    """
    report = ParticipantsReport(
        survey_id=sid, dry_run=dry_run, invite=invite, survey_url=survey_url
    )
    present = existing_emails(rc, sid) if participant_table_exists(rc, sid) else set()
    for person in people.participants:
        if person.email.lower() in present:
            report.already_there.append(person.email)
        else:
            report.to_add.append(person)
    if dry_run:
        return report
    ensure_participant_table(rc, sid, people.attribute_ids)
    if report.to_add:
        payload = [p.model_dump(exclude_none=True) for p in report.to_add]
        result = rc.call("add_participants", sid, payload, True)
        for item in result if isinstance(result, list) else []:
            out = ParticipantOut.model_validate(item)
            if out.errors:
                report.refused.append((out.email or "?", _describe(out.errors)))
            else:
                report.added.append(out)
    if invite:
        _invite(rc, sid, report)
    return report


def _invite(rc: RemoteControl, sid: int, report: ParticipantsReport) -> None:
    try:
        result = rc.call("invite_participants", sid)
    except NoDataError:
        return
    if not isinstance(result, dict):
        return
    for key, item in result.items():
        if key == "status" or not isinstance(item, dict):
            continue
        email = str(item.get("email") or key)
        if item.get("status") == "OK":
            report.invited.append(email)
        else:
            report.invite_failures.append((email, _describe(item.get("error") or item)))


def _describe(errors: Any) -> str:
    if isinstance(errors, dict):
        parts = []
        for key, value in errors.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(f"{key}: {text}")
        return ", ".join(parts)
    return str(errors)


__all__ = [
    "ParticipantList",
    "ParticipantsReport",
    "add_participants",
    "ensure_participant_table",
    "existing_emails",
    "participant_table_exists",
    "read_participants",
]
