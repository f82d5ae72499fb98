"""``coprod sync``, ``coprod status`` and ``coprod attachments``: the store and the platforms."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from coprod_connectors.cli.common import (
    ConfigOption,
    JsonOption,
    StoreOption,
    echo_json,
    markup_safe,
    registry,
    say,
    stdout_console,
)


def sync(
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Only this profile's deployments.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-read everything; reconcile edits and deletions.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Deployments pulled at once.", min=1, max=16)] = 4,
    as_json: JsonOption = False,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Pull what is new from every recorded deployment into the store."""
    from coprod_connectors.config import load_profiles
    from coprod_connectors.store import Store
    from coprod_connectors.sync import registry_factory, sync_all

    profiles = load_profiles(config)
    with Store(store) as db:
        deployments = db.deployments(profile=profile)
        if not deployments:
            where = f" for profile {profile!r}" if profile else ""
            say(f"no deployments{where} in the store; push an instrument first (coprod push)")
            return
        factory = registry_factory(registry())
        if sys.stderr.isatty() and not as_json:
            report = _sync_with_progress(db, deployments, profiles, factory, full, workers)
        else:
            report = sync_all(db, deployments, profiles, factory, full=full, workers=workers)
    rows = [r.as_dict() for r in report.results]
    if as_json:
        echo_json({"ok": report.ok, "deployments": rows})
    else:
        for r in report.results:
            if r.ok and not (r.new or r.updated or r.deleted):
                say(f"{r.deployment}: nothing new")
            elif r.ok:
                say(
                    f"{r.deployment}: {r.new} new, {r.updated} updated, {r.deleted} deleted "
                    f"({r.pages} pages)"
                )
            else:
                say(f"{r.deployment}: FAILED: {r.error}", err=True)
        failed = sum(1 for r in report.results if not r.ok)
        say(f"synced {len(rows) - failed} of {len(rows)} deployments")
    if not report.ok:
        raise typer.Exit(1)


def _sync_with_progress(
    db: Any, deployments: Any, profiles: Any, factory: Any, full: bool, workers: int
) -> Any:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from coprod_connectors.sync import sync_all

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} responses"),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        tasks = {d.key: bar.add_task(markup_safe(d.key), total=None) for d in deployments}

        def progress(key: str, count: int) -> None:
            bar.update(tasks[key], completed=count)

        return sync_all(
            db, deployments, profiles, factory, full=full, workers=workers, progress=progress
        )


def status(as_json: JsonOption = False, store: StoreOption = None) -> None:
    """Deployments, their URLs, responses stored, and the last sync."""
    from coprod_connectors.store import Store

    rows: list[dict[str, Any]] = []
    with Store(store) as db:
        for d in db.deployments():
            run = db.last_run(d.key)
            rows.append(
                {
                    "deployment": d.key,
                    "platform": d.platform,
                    "profile": d.profile,
                    "instrument": f"{d.instrument} {d.instrument_version}",
                    "easy_read": d.easy_read,
                    "round": d.round,
                    "subject": d.subject,
                    "url": d.url,
                    "responses": db.count_responses(d.key),
                    "held": db.count_responses(d.key, held=True),
                    "deleted": db.count_responses(d.key, deleted=True),
                    "last_sync": None
                    if run is None
                    else {
                        "finished_at": run.finished_at,
                        "outcome": run.outcome,
                        "new": run.new,
                        "updated": run.updated,
                        "error": run.error,
                    },
                }
            )
    if as_json:
        echo_json(rows)
        return
    if not rows:
        say("no deployments yet; push one with: coprod push INSTRUMENT --to PROFILE")
        return
    from rich.table import Table

    table = Table("deployment", "instrument", "round", "responses", "last sync", "url")
    for row in rows:
        last = row["last_sync"]
        sync_text = "never" if last is None else f"{last['outcome']} {last['finished_at'] or ''}"
        instrument = row["instrument"] + (" (easy read)" if row["easy_read"] else "")
        cells = (row["deployment"], instrument, row["round"], str(row["responses"]))
        table.add_row(*(markup_safe(c) for c in (*cells, sync_text, row["url"] or "")))
    stdout_console().print(table)


def attachments(
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Only this profile's deployments.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder for the files (default: 'attachments' beside the store).",
        ),
    ] = None,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Download the files people attached to their answers (photos, recordings) into a folder.

    Deployments on platforms whose connector cannot download attachments are skipped.
    """
    from coprod_connectors.config import load_profiles
    from coprod_connectors.connectors import SupportsAttachments
    from coprod_connectors.errors import ConfigError, CoprodError
    from coprod_connectors.safety import confined, safe_name
    from coprod_connectors.store import Store

    profiles = load_profiles(config)
    installed = registry()
    failed = 0
    with Store(store) as db:
        folder = output or db.folder() / "attachments"
        for deployment in db.deployments(profile=profile):
            try:
                live = installed.live(deployment.platform)
            except ConfigError:
                continue
            found = profiles.get(deployment.profile)
            if not isinstance(live, SupportsAttachments) or found is None:
                continue
            try:
                name = safe_name(deployment.key.replace(":", "_"), what="the deployment id")
                target = confined(folder, name, what="the deployment's folder")
                secret = found.require_secret(live.credential_label)
                files = live.download_attachments(deployment, found.with_secret(secret), target)
            except CoprodError as exc:
                failed += 1
                say(f"{deployment.key}: FAILED: {exc}", err=True)
                continue
            say(f"{deployment.key}: {len(files)} files in {target}")
    if failed:
        raise typer.Exit(1)
