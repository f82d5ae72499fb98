"""Deploying: ``coprod build``, ``push``, ``participants``, ``import`` and ``platforms``.

Nothing here names a platform: push options, secrets and capabilities are what
the installed connectors declare.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coprod_connectors.cli.common import (
    ConfigOption,
    JsonOption,
    StoreOption,
    connector,
    echo_json,
    live_connector,
    registry,
    say,
)

if TYPE_CHECKING:
    from coprod_connectors.connectors import Connector
    from coprod_connectors.instruments.model import Instrument

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
    from coprod_connectors.errors import ConfigError
    from coprod_connectors.instruments import resolve_instrument
    from coprod_connectors.safety import confined, safe_name

    model = resolve_instrument(instrument)
    found = connector(platform)
    suffix = (output.suffix if output else "") or found.artefact_suffixes[0]
    if suffix.lower() not in found.artefact_suffixes:
        msg = (
            f"{output}: {platform} files end in {' or '.join(found.artefact_suffixes)}, "
            f"not {suffix}"
        )
        raise ConfigError(msg, hint="give -o a file name with one of those endings")
    if output is not None:
        _check_writable(output)
    check_for_platform(model, found)
    options: dict[str, object] = {"format": suffix.lower().lstrip(".")}
    if easy_read:
        options["easy_read"] = True
    artefact = found.render(model, options)
    if output is None:
        name = safe_name(artefact.filename, what=f"the {platform} file name")
        confined(Path.cwd(), name, what="the file name")  # a plain name, here
        target = Path(name)
    else:
        target = output
    try:
        artefact.write(target)
    except OSError as exc:
        msg = f"{target}: cannot write it ({exc.strerror or exc})"
        raise ConfigError(msg) from None
    media = artefact.write_media(target.with_name(f"{target.stem}-media"))
    for warning in artefact.warnings:
        say(f"note: {warning}", err=True)
    say(f"wrote {target} ({len(artefact.content):,} bytes) for {platform}")
    if media:
        say(f"wrote {len(media)} media files to upload with it as form media:")
    for path in media:
        say(f"  {path}")


def check_subject(subject: str | None) -> None:
    """A one-line ConfigError for a ``--subject`` no form can carry (control characters)."""
    from coprod_connectors.errors import ConfigError
    from coprod_connectors.safety import control_characters

    if subject is not None and (control_characters(subject, newlines=False) or not subject.strip()):
        msg = "--subject must be one line of text without control characters"
        raise ConfigError(msg, hint="e.g. --subject 'Ward 5 day service'")
    if subject is not None and len(subject) > 200:
        msg = f"--subject is {len(subject)} characters long; 200 at most"
        raise ConfigError(msg)


def _check_writable(output: Path) -> None:
    """A one-line ConfigError when ``output`` is a folder or its folder does not exist."""
    from coprod_connectors.errors import ConfigError

    if output.is_dir():
        msg = f"{output} is a folder; give the file to write, e.g. {output / 'survey'}"
        raise ConfigError(msg)
    if not output.parent.is_dir():
        msg = f"{output}: the folder {output.parent} does not exist"
        raise ConfigError(msg, hint="create it first, or write somewhere else")


def check_for_platform(model: Instrument, found: Connector) -> None:
    """Refuse an instrument whose codes ``found``'s platform keeps for itself."""
    from coprod_connectors.connectors import reserved_code_problems
    from coprod_connectors.errors import InstrumentError

    problems = reserved_code_problems(model, found)
    if problems:
        raise InstrumentError(problems, source=model.id)


_REMOTE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+=@-]{0,199}")


def check_remote_id(remote_id: str, platform: str) -> None:
    """A PlatformError (before anything is stored) for a deployment id from a server that
    could not be a file name: ``..``, ``/``, spaces or control characters."""
    from coprod_connectors.errors import PlatformError

    if not _REMOTE_ID.fullmatch(remote_id) or ".." in remote_id:
        msg = f"{platform} gave the deployment the id {remote_id!r}, which is not a plain id"
        raise PlatformError(msg, hint="nothing was recorded; check the server")


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
    from coprod_connectors.responses import check_round, default_round

    round_name = check_round(round_ or default_round())
    check_subject(subject)
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
    check_for_platform(model, live)
    profile = profile.with_secret(profile.require_secret(live.credential_label))
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
        check_remote_id(deployment.remote_id, profile.platform)
        db.record_deployment(deployment, model)
    reused = (
        existing is not None
        and existing.remote_id == deployment.remote_id
        and existing.instrument_version == deployment.instrument_version
        and existing.easy_read == deployment.easy_read
    )
    say(
        f"{'already live' if reused else 'live'}: {model.id} {model.version}"
        f"{' (easy read)' if deployment.easy_read else ''} on {profile.name} "
        f"({profile.platform} {deployment.remote_id}), round {round_name}"
    )
    lines = pushed.handover.lines() or [f"url: {deployment.url}"]
    for line in lines:
        say(line)
    for line in pushed.handover.qr_lines():  # only block characters and spaces
        say(line)


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
        say(line)


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
    survey_id: Annotated[
        str | None,
        typer.Option(
            "--survey-id",
            help="The platform's id of the survey the file was exported from: a later export "
            "of the same survey then updates its rows. Without it, the rows belong to this "
            "file's content, so two different files never replace each other's rows and "
            "importing the same file again changes nothing.",
            show_default=False,
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Read a response export downloaded by hand (CSV or XLSX) into the store."""
    import csv
    import hashlib

    from coprod_connectors.connectors import Deployment, SupportsExportImport
    from coprod_connectors.errors import ConfigError, ResponseDataError
    from coprod_connectors.instruments import resolve_instrument
    from coprod_connectors.responses import check_round, default_round
    from coprod_connectors.safety import CSV_MAX_FIELD, check_archive
    from coprod_connectors.store import Store

    if round_ is not None:
        check_round(round_)
    check_subject(subject)
    if survey_id is not None and not _SURVEY_ID.fullmatch(survey_id):
        msg = f"--survey-id {survey_id!r}: use letters, digits, '.', '_' and '-' (100 at most)"
        raise ConfigError(msg)
    if not file.is_file():
        msg = f"{file}: no such file"
        raise ResponseDataError(msg)
    model = resolve_instrument(instrument)
    found = connector(platform)
    if not isinstance(found, SupportsExportImport):
        msg = f"the {platform} connector cannot read export files"
        raise ConfigError(msg)
    check_archive(file)
    digest = hashlib.sha256(f"{platform}\0{model.id}\0{model.version}\0".encode())
    try:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        msg = f"{file}: cannot read it ({exc.strerror or exc})"
        raise ResponseDataError(msg) from None
    source = survey_id or f"sha256-{digest.hexdigest()[:20]}"
    key = f"{platform}:file:{model.id}.{source}"
    try:
        responses = [
            r.model_copy(update={"deployment": key})
            for r in found.import_export_file(
                file, model, round=round_, subject=subject, deployment=key
            )
        ]
    except csv.Error as exc:
        msg = f"{file.name}: not a CSV file that can be read ({exc})"
        hint = f"cells hold at most {CSV_MAX_FIELD:,} characters"
        raise ResponseDataError(msg, hint=hint) from None
    rounds = sorted({r.round for r in responses})
    deployment = Deployment(
        platform=platform,
        profile="file",
        remote_id=f"{model.id}.{source}",
        instrument=model.id,
        instrument_version=model.version,
        round=round_ or (rounds[-1] if rounds else default_round()),
        subject=subject,
        url=None,
        created_at=datetime.now(timezone.utc),
        details={"imported_from": file.name, "source": source, "rounds": rounds},
    )
    with Store(store) as db:
        result = db.import_responses(deployment, model, responses)
    flagged = sum(1 for r in responses if r.flags)
    say(
        f"imported {len(responses)} responses from {file.name} ({', '.join(rounds) or 'none'}) "
        f"as {deployment.key}: {result.new} new, {result.updated} updated; "
        f"{flagged} with flagged answers"
    )


_SURVEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def platforms(as_json: JsonOption = False) -> None:
    """List the platform connectors installed (found through entry points)."""
    rows = [p.as_dict() for p in registry().plugins]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        say("No connectors installed. Try: pip install 'coprod-connectors[NAME]'")
        return
    for row in rows:
        state = "ok" if row["loaded"] else f"NOT LOADED: {row['error']!s}"
        say(f"{row['name']:<12} {row['distribution']} {row['version']}  {state}")
