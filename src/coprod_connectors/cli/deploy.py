"""Deploying: ``coprod build``, ``push``, ``participants``, ``import`` and ``platforms``.

Nothing here names a platform: push options, secrets and capabilities are what
the installed connectors declare.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from coprod_connectors.cli.common import (
    ConfigOption,
    JsonOption,
    StoreOption,
    connector,
    echo_json,
    live_connector,
    printable,
    registry,
)

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
    platform: Annotated[
        str, typer.Option("--platform", help="An installed connector (see coprod platforms).")
    ],
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
    """Write an instrument as the platform's own file (to import by hand), and the
    pictures and sounds it refers to into a folder beside it (NAME-media/), to upload
    with it as form media."""
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
    media = artefact.write_media(target.with_name(f"{target.stem}-media"))
    for warning in artefact.warnings:
        typer.echo(f"note: {warning}", err=True)
    typer.echo(f"wrote {target} ({len(artefact.content):,} bytes) for {platform}")
    if media:
        typer.echo(f"wrote {len(media)} media files to upload with it as form media:")
    for path in media:
        typer.echo(f"  {printable(str(path))}")


OptionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        metavar="NAME=VALUE",
        help="A push option of the profile's platform, NAME=VALUE (repeatable; listed below).",
        show_default=False,
    ),
]
MediaOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--media",
        metavar="FILE",
        help="A picture or recording that goes with the form (repeatable).",
        show_default=False,
    ),
]


def push(
    instrument: Annotated[str, typer.Argument(help="A built-in id or the path of a YAML file.")],
    to: Annotated[str, typer.Option("--to", help="The profile to push to.")],
    round_: Annotated[
        str | None,
        typer.Option("--round", help="The review round, e.g. 2026-H2 (default: this half-year)."),
    ] = None,
    subject: SubjectOption = None,
    option: OptionOption = None,
    media: MediaOption = None,
    easy_read: Annotated[
        bool | None,
        typer.Option(
            "--easy-read/--standard",
            help="Easy read: pictures first, one question per screen, big choices; "
            "--standard for the usual form (default: as the round's last push, else standard).",
            show_default=False,
        ),
    ] = None,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Put an instrument live on a platform and record the deployment; prints what people
    need (links, notes, a code to scan)."""
    from coprod_connectors.config import get_profile
    from coprod_connectors.connectors import MediaFile
    from coprod_connectors.connectors.options import parse_push_options
    from coprod_connectors.errors import ConfigError
    from coprod_connectors.instruments import resolve_instrument
    from coprod_connectors.responses import default_round

    files = []
    for path in media or ():
        if not path.is_file():
            msg = f"{path}: no such file"
            raise ConfigError(msg, hint="give the picture or recording the form shows")
        files.append(MediaFile(name=path.name, path=path))
    model = resolve_instrument(instrument)
    profile = get_profile(to, config)
    live = live_connector(profile.platform)
    options = parse_push_options(live.push_options, option or (), platform=profile.platform)
    profile = profile.with_secret(profile.require_secret(live.credential_label))
    round_name = round_ or default_round()
    from coprod_connectors.store import Store

    with Store(store) as db:
        existing = db.find_deployment(profile=profile.name, instrument=model.id, round=round_name)
        if easy_read is None:
            easy_read = existing is not None and existing.easy_read
        pushed = live.push(
            model,
            profile,
            round=round_name,
            existing=existing,
            subject=subject,
            options=options,
            media=tuple(files),
            handover_dir=db.folder(),
            easy_read=easy_read,
        )
        deployment = pushed.deployment
        db.record_deployment(deployment, model)
    reused = (
        existing is not None
        and existing.remote_id == deployment.remote_id
        and existing.instrument_version == deployment.instrument_version
        and existing.easy_read == deployment.easy_read
    )
    typer.echo(
        f"{'already live' if reused else 'live'}: {model.id} {model.version}"
        f"{' (easy read)' if deployment.easy_read else ''} on {profile.name} "
        f"({profile.platform} {printable(deployment.remote_id)}), round {round_name}"
    )
    lines = pushed.handover.lines() or [f"url: {deployment.url}"]
    for line in lines:
        typer.echo(printable(line))
    for line in pushed.handover.qr_lines():  # drawn here: only block characters and spaces
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
    from coprod_connectors.connectors import SupportsParticipants
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
    if not isinstance(live, SupportsParticipants):
        msg = f"the {profile.platform} connector has no participant lists"
        raise ConfigError(msg, hint="see coprod push --help for how that platform shares forms")
    profile = profile.with_secret(profile.require_secret(live.credential_label))
    round_name = round_ or default_round()
    with Store(store) as db:
        deployment = db.find_deployment(profile=profile.name, instrument=model.id, round=round_name)
    if deployment is None:
        msg = f"{model.id} has not been pushed to {profile.name} for round {round_name}"
        raise NotFoundError(msg, hint=f"coprod push {model.id} --to {profile.name}")
    for line in live.add_participants(deployment, profile, csv, dry_run=dry_run, invite=invite):
        typer.echo(printable(line))


def import_file(
    file: Annotated[Path, typer.Argument(help="The export downloaded from the platform.")],
    platform: Annotated[
        str, typer.Option("--platform", help="An installed connector (see coprod platforms).")
    ],
    instrument: Annotated[str, typer.Option("--instrument", help="The instrument it answers.")],
    round_: Annotated[
        str | None,
        typer.Option("--round", help="The review round (default: from each submission date)."),
    ] = None,
    subject: SubjectOption = None,
    store: StoreOption = None,
) -> None:
    """Read a response export downloaded by hand (CSV or XLSX) into the store."""
    from coprod_connectors.connectors import Deployment, SupportsExportImport
    from coprod_connectors.errors import ConfigError, ResponseDataError
    from coprod_connectors.instruments import resolve_instrument
    from coprod_connectors.responses import default_round
    from coprod_connectors.store import Store

    if not file.is_file():
        msg = f"{file}: no such file"
        raise ResponseDataError(msg)
    model = resolve_instrument(instrument)
    found = connector(platform)
    if not isinstance(found, SupportsExportImport):
        msg = f"the {platform} connector cannot read export files"
        raise ConfigError(msg)
    round_name = round_ or default_round()
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
    responses = [
        r.model_copy(update={"deployment": deployment.key})
        for r in found.import_export_file(
            file, model, round=round_name, subject=subject, deployment=deployment.key
        )
    ]
    with Store(store) as db:
        result = db.import_responses(deployment, model, responses)
    flagged = sum(1 for r in responses if r.flags)
    typer.echo(
        f"imported {len(responses)} responses from {file.name}: {result.new} new, "
        f"{result.updated} updated; {flagged} with flagged answers"
    )


def platforms(as_json: JsonOption = False) -> None:
    """List the platform connectors installed (found through entry points)."""
    rows = [p.as_dict() for p in registry().plugins]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No connectors installed. Try: pip install 'coprod-connectors[NAME]'")
        return
    for row in rows:
        state = "ok" if row["loaded"] else f"NOT LOADED: {printable(str(row['error']))}"
        typer.echo(f"{row['name']:<12} {row['distribution']} {row['version']}  {state}")
