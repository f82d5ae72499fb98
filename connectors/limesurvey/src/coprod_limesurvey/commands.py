"""Plain functions behind ``coprod push``, ``coprod participants`` and ``coprod import``.

They know nothing about typer or the store: the CLI parses options, calls
one of these, records what it returns, and prints :func:`describe` lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coprod_connectors.responses import default_round
from coprod_limesurvey.connector import LimeSurveyConnector
from coprod_limesurvey.participants import ParticipantsReport, read_participants
from coprod_limesurvey.rows import read_export

if TYPE_CHECKING:
    from coprod_connectors.config import Profile
    from coprod_connectors.instruments.model import Instrument
    from coprod_connectors.platforms import Deployment
    from coprod_connectors.responses import Response


def push(
    instrument: Instrument,
    profile: Profile,
    *,
    round: str | None = None,  # noqa: A002
    subject: str | None = None,
    existing: Deployment | None = None,
    closed: bool = False,
    participants_csv: Path | None = None,
    invite: bool = False,
    activate: bool = True,
    connector: LimeSurveyConnector | None = None,
    options: dict[str, Any] | None = None,
) -> Deployment:
    """Deploy ``instrument`` to ``profile`` (or reuse the deployment already there).

    ``participants_csv`` makes the survey closed and adds those people (with
    tokens) before activation; ``invite`` emails them their links afterwards.
    """
    opts = dict(options or {})
    if closed or participants_csv is not None:
        opts["closed"] = True
    if participants_csv is not None:
        opts["participants"] = read_participants(participants_csv)
    if invite:
        opts["invite"] = True
    return (connector or LimeSurveyConnector()).push(
        instrument,
        profile,
        round=round or default_round(),
        existing=existing,
        subject=subject,
        activate=activate,
        options=opts,
    )


def add_participants(
    deployment: Deployment,
    profile: Profile,
    csv_path: Path,
    *,
    dry_run: bool = False,
    invite: bool = False,
    connector: LimeSurveyConnector | None = None,
) -> ParticipantsReport:
    """Add the people in ``csv_path`` to a deployed survey; ``dry_run`` only says what it would do.

    Print ``report.lines()``.
    """
    people = read_participants(csv_path)
    return (connector or LimeSurveyConnector()).participants(
        deployment, profile, people, dry_run=dry_run, invite=invite
    )


def import_file(
    path: Path,
    instrument: Instrument,
    *,
    round: str | None = None,  # noqa: A002
    subject: str | None = None,
    timezone_name: str | None = None,
    include_incomplete: bool = True,
) -> Iterator[Response]:
    """Responses from a CSV export downloaded from LimeSurvey's UI (streamed)."""
    return read_export(
        path,
        instrument,
        round=round,
        subject=subject,
        timezone_name=timezone_name,
        include_incomplete=include_incomplete,
    )


def describe(deployment: Deployment) -> list[str]:
    """Lines to print after a push."""
    details = deployment.details
    state = "live" if details.get("active") else "not active yet"
    verb = "created" if details.get("created") else "reused"
    lines = [
        (
            f"{verb} LimeSurvey survey {deployment.remote_id} ({deployment.instrument} "
            f"{deployment.instrument_version}, round {deployment.round}): {state}"
        ),
        f"survey URL: {deployment.url}",
    ]
    urls = details.get("urls") or {}
    lines.extend(
        f"  {key.removeprefix('survey_')}: {url}"
        for key, url in urls.items()
        if key.startswith("survey_")
    )
    if details.get("closed"):
        lines.append("closed survey: only people with an invitation (token) can answer")
    if "participants_added" in details:
        lines.append(f"participants added: {details['participants_added']}")
    return lines


__all__ = ["add_participants", "describe", "import_file", "push"]
