"""Admin commands: profiles, sync and status."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from coprod_connectors.cli_common import (
    ConfigOption,
    JsonOption,
    StoreOption,
    echo_json,
    handle_errors,
    live_connector,
)

profiles_app = typer.Typer(
    help="Platform accounts: add, list and test them. Secrets stay in the environment or keyring.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@profiles_app.command("add")
@handle_errors
def profiles_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. council or field.")],
    platform: Annotated[str, typer.Option(help="limesurvey or kobotoolbox.")],
    url: Annotated[str, typer.Option(help="The server's address (for KoboToolbox also kf or eu).")],
    user: Annotated[str | None, typer.Option(help="The user name to log in as.")] = None,
    store_secret: Annotated[
        bool,
        typer.Option(
            "--store-secret",
            help="Ask for the password or token and keep it in the system keyring.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add or replace a profile in coprod.toml (never its password or token)."""
    from coprod_connectors.config import (
        PLATFORM_URLS,
        Profile,
        save_profile,
        secret_env_var,
    )
    from coprod_connectors.config import (
        store_secret as keep_secret,
    )
    from coprod_connectors.platforms import discover

    discover().get(platform)  # a clear error if no such connector is installed
    resolved = PLATFORM_URLS.get(url, url) if platform == "kobotoolbox" else url
    if "://" not in resolved:
        from coprod_connectors.errors import ConfigError

        msg = f"{url!r} is not a URL such as https://survey.example.org"
        raise ConfigError(msg)
    profile = Profile(name=name, platform=platform, url=resolved.rstrip("/"), user=user)
    path = save_profile(profile, config)
    typer.echo(f"saved profile {name!r} ({platform}, {profile.url}) in {path}")
    if store_secret:
        what = "token" if platform == "kobotoolbox" else "password"
        secret = typer.prompt(f"{what} for {name}", hide_input=True)
        keep_secret(name, secret)
        typer.echo(f"kept the {what} in the system keyring")
    else:
        typer.echo(
            f"set {secret_env_var(name)} to its password or token, or re-run with --store-secret"
        )


@profiles_app.command("list")
@handle_errors
def profiles_list(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """List the profiles, and where each one's secret would come from."""
    from coprod_connectors.config import config_path, load_profiles, lookup_secret, secret_env_var

    rows = [
        {
            "name": p.name,
            "platform": p.platform,
            "url": p.url,
            "user": p.user,
            "secret": "found"
            if lookup_secret(p.name)
            else f"missing: set {secret_env_var(p.name)}",
        }
        for p in load_profiles(config).values()
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(
            f"no profiles in {config_path(config)}; add one with: coprod profiles add NAME ..."
        )
    for row in rows:
        user = f" as {row['user']}" if row["user"] else ""
        typer.echo(
            f"{row['name']:<12} {row['platform']:<12} {row['url']}{user}  (secret {row['secret']})"
        )


@profiles_app.command("test")
@handle_errors
def profiles_test(
    name: Annotated[str, typer.Argument(help="The profile to test.")],
    config: ConfigOption = None,
) -> None:
    """Log in with a profile and say what worked."""
    from coprod_connectors.config import get_profile

    profile = get_profile(name, config)
    connector = live_connector(profile.platform)
    profile = profile.with_secret(profile.require_secret())
    typer.echo(f"{name}: {connector.check(profile)}")


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
    from coprod_connectors.platforms import discover
    from coprod_connectors.store import Store
    from coprod_connectors.sync import registry_factory, sync_all

    profiles = load_profiles(config)
    with Store(store) as db:
        deployments = db.deployments(profile=profile)
        if not deployments:
            where = f" for profile {profile!r}" if profile else ""
            typer.echo(
                f"no deployments{where} in the store; push an instrument first (coprod push)"
            )
            return
        factory = registry_factory(discover())
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
                typer.echo(f"{r.deployment}: nothing new")
            elif r.ok:
                typer.echo(
                    f"{r.deployment}: {r.new} new, {r.updated} updated, {r.deleted} deleted "
                    f"({r.pages} pages)"
                )
            else:
                typer.echo(f"{r.deployment}: FAILED: {r.error}", err=True)
        failed = sum(1 for r in report.results if not r.ok)
        typer.echo(f"synced {len(rows) - failed} of {len(rows)} deployments")
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
        tasks = {d.key: bar.add_task(d.key, total=None) for d in deployments}

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
        typer.echo("no deployments yet; push one with: coprod push INSTRUMENT --to PROFILE")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("deployment", "instrument", "round", "responses", "last sync", "url")
    for row in rows:
        last = row["last_sync"]
        sync_text = "never" if last is None else f"{last['outcome']} {last['finished_at'] or ''}"
        table.add_row(
            row["deployment"],
            row["instrument"],
            row["round"],
            str(row["responses"]),
            sync_text,
            row["url"] or "",
        )
    Console().print(table)


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
    """Download the recordings and photos people attached or uploaded into a folder."""
    from coprod_connectors.config import load_profiles
    from coprod_connectors.errors import CoprodError
    from coprod_connectors.store import Store

    profiles = load_profiles(config)
    failed = 0
    with Store(store) as db:
        folder = output or db.folder() / "attachments"
        for deployment in db.deployments(profile=profile):
            download = getattr(live_or_none(deployment.platform), "download_attachments", None)
            found = profiles.get(deployment.profile)
            if download is None or found is None:
                continue
            target = folder / deployment.key.replace(":", "_")
            try:
                files = download(deployment, found.with_secret(found.require_secret()), target)
            except CoprodError as exc:
                failed += 1
                typer.echo(f"{deployment.key}: FAILED: {exc}", err=True)
                continue
            typer.echo(f"{deployment.key}: {len(files)} files in {target}")
    if failed:
        raise typer.Exit(1)


def live_or_none(platform: str) -> object | None:
    from coprod_connectors.errors import ConfigError

    try:
        return live_connector(platform)
    except ConfigError:
        return None
