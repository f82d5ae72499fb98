"""Platform commands: build a file, push a deployment, import an export."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from coprod_connectors.cli_common import ConfigOption, StoreOption, connector, live_connector

RoundOption = Annotated[
    str | None,
    typer.Option(
        help="The review round, e.g. 2026-H2 (default: this half-year).", show_default=False
    ),
]
SubjectOption = Annotated[
    str | None,
    typer.Option(help="Fix what is assessed (a service, project...) for everyone who answers."),
]


def build(
    instrument: Annotated[str, typer.Argument(help="A built-in id or the path of a YAML file.")],
    platform: Annotated[str, typer.Option("--platform", help="limesurvey or kobotoolbox.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: a name that fits)."),
    ] = None,
    easy_read: Annotated[
        bool,
        typer.Option(
            "--easy-read",
            help="Easy read: pictures first, one question per screen, big choices.",
        ),
    ] = False,
) -> None:
    """Write an instrument as a platform file: .lss for LimeSurvey, XLSForm .xlsx for Kobo."""
    from coprod_connectors.instruments import resolve_instrument

    model = resolve_instrument(instrument)
    found = connector(platform)
    suffix = (output.suffix if output else "") or found.artefact_suffixes[0]
    options: dict[str, object] = {"format": suffix.lstrip(".")}
    if easy_read:
        options["easy_read"] = True
    artefact = found.render(model, options)
    target = output or Path(artefact.filename)
    artefact.write(target)
    for warning in artefact.warnings:
        typer.echo(f"note: {warning}", err=True)
    typer.echo(f"wrote {target} ({len(artefact.content):,} bytes) for {platform}")


def push(
    instrument: Annotated[str, typer.Argument(help="A built-in id or the path of a YAML file.")],
    to: Annotated[str, typer.Option("--to", help="The profile to push to.")],
    round_: Annotated[
        str | None,
        typer.Option("--round", help="The review round, e.g. 2026-H2 (default: this half-year)."),
    ] = None,
    subject: SubjectOption = None,
    closed: Annotated[
        bool, typer.Option("--closed", help="LimeSurvey: only invited participants can answer.")
    ] = False,
    participants: Annotated[
        Path | None,
        typer.Option(help="LimeSurvey: a CSV of participants (firstname, lastname, email, ...)."),
    ] = None,
    invite: Annotated[
        bool, typer.Option("--invite", help="LimeSurvey: email the invitations now.")
    ] = False,
    share: Annotated[
        str | None,
        typer.Option(help="KoboToolbox: accounts that may add submissions, comma-separated."),
    ] = None,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Put an instrument live on a platform and record the deployment; prints its links."""
    from coprod_connectors.config import get_profile
    from coprod_connectors.errors import ConfigError
    from coprod_connectors.instruments import resolve_instrument
    from coprod_connectors.responses import default_round
    from coprod_connectors.store import Store

    if participants is not None and not participants.is_file():
        msg = f"{participants}: no such file"
        raise ConfigError(msg, hint="give the CSV of participants to invite")
    model = resolve_instrument(instrument)
    profile = get_profile(to, config)
    live = live_connector(profile.platform)
    profile = profile.with_secret(profile.require_secret())
    round_name = round_ or default_round()
    options: dict[str, object] = {
        "closed": closed or participants is not None,
        "participants": participants,
        "invite": invite,
        "share": [s.strip() for s in share.split(",") if s.strip()] if share else [],
    }
    with Store(store) as db:
        existing = db.find_deployment(profile=profile.name, instrument=model.id, round=round_name)
        deployment = live.push(
            model, profile, round=round_name, existing=existing, subject=subject, options=options
        )
        db.record_deployment(deployment, model)
    reused = (
        existing is not None
        and existing.remote_id == deployment.remote_id
        and existing.instrument_version == deployment.instrument_version
    )
    typer.echo(
        f"{'already live' if reused else 'live'}: {model.id} {model.version} on {profile.name} "
        f"({profile.platform} {deployment.remote_id}), round {round_name}"
    )
    describe = getattr(live, "describe", None)
    if describe is not None:
        for line in describe(deployment):
            typer.echo(line)
        return
    typer.echo(f"url: {deployment.url}")
    for label, value in sorted(deployment.details.get("links", {}).items()):
        typer.echo(f"{label}: {value}")
    for line in deployment.details.get("instructions", []):
        typer.echo(line)


def participants(
    instrument: Annotated[str, typer.Argument(help="The instrument whose survey it is.")],
    to: Annotated[str, typer.Option("--to", help="The profile it was pushed to.")],
    csv: Annotated[
        Path, typer.Option("--csv", help="People to add: firstname, lastname, email, attributes.")
    ],
    round_: Annotated[
        str | None,
        typer.Option("--round", help="The review round (default: this half-year)."),
    ] = None,
    invite: Annotated[
        bool, typer.Option("--invite", help="Ask the platform to email the invitations.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show who would be added and invited.")
    ] = False,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Add participants (with personal links) to a closed survey, and invite them."""
    from coprod_connectors.config import get_profile
    from coprod_connectors.errors import ConfigError, NotFoundError
    from coprod_connectors.instruments import resolve_instrument
    from coprod_connectors.responses import default_round
    from coprod_connectors.store import Store

    if not csv.is_file():
        msg = f"{csv}: no such file"
        raise ConfigError(msg)
    model = resolve_instrument(instrument)
    profile = get_profile(to, config)
    live = live_connector(profile.platform)
    adder = getattr(live, "add_participants", None)
    if adder is None:
        msg = f"the {profile.platform} connector has no participant lists"
        raise ConfigError(msg, hint="share the form with accounts instead (coprod push --share)")
    profile = profile.with_secret(profile.require_secret())
    round_name = round_ or default_round()
    with Store(store) as db:
        deployment = db.find_deployment(profile=profile.name, instrument=model.id, round=round_name)
    if deployment is None:
        msg = f"{model.id} has not been pushed to {profile.name} for round {round_name}"
        raise NotFoundError(msg, hint=f"coprod push {model.id} --to {profile.name} --closed")
    for line in adder(deployment, profile, csv, dry_run=dry_run, invite=invite):
        typer.echo(line)


def import_file(
    file: Annotated[Path, typer.Argument(help="The export downloaded from the platform.")],
    platform: Annotated[str, typer.Option("--platform", help="limesurvey or kobotoolbox.")],
    instrument: Annotated[str, typer.Option("--instrument", help="The instrument it answers.")],
    round_: Annotated[
        str | None,
        typer.Option("--round", help="The review round (default: from each submission date)."),
    ] = None,
    subject: SubjectOption = None,
    store: StoreOption = None,
) -> None:
    """Read a response export downloaded by hand (CSV or XLSX) into the store."""
    from coprod_connectors.errors import ConfigError, ResponseDataError
    from coprod_connectors.instruments import resolve_instrument
    from coprod_connectors.platforms import Deployment
    from coprod_connectors.responses import default_round
    from coprod_connectors.store import Store

    if not file.is_file():
        msg = f"{file}: no such file"
        raise ResponseDataError(msg)
    model = resolve_instrument(instrument)
    found = connector(platform)
    reader = getattr(found, "import_export_file", None)
    if reader is None:
        msg = f"the {platform} connector cannot read export files"
        raise ConfigError(msg)
    round_name = round_ or default_round()
    responses = list(reader(file, model, round=round_name, subject=subject))
    deployment = Deployment(
        platform=platform,
        profile="file",
        remote_id=file.name,
        instrument=model.id,
        instrument_version=model.version,
        round=round_name,
        subject=subject,
        url=None,
        created_at=datetime.now(timezone.utc),
        details={"imported_from": str(file)},
    )
    responses = [r.model_copy(update={"deployment": deployment.key}) for r in responses]
    with Store(store) as db:
        result = db.import_responses(deployment, model, responses)
    flagged = sum(1 for r in responses if r.flags)
    typer.echo(
        f"imported {len(responses)} responses from {file.name}: {result.new} new, "
        f"{result.updated} updated; {flagged} with flagged answers"
    )
