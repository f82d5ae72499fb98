"""``coprod profiles``: platform accounts. Secrets stay in the environment or keyring."""

from __future__ import annotations

from typing import Annotated

import typer

from coprod_connectors.cli.common import (
    ConfigOption,
    JsonOption,
    ProfilesHelp,
    echo_json,
    handle_errors,
    live_connector,
)

profiles_app = typer.Typer(
    help="Platform accounts: add, list and test them. Secrets stay in the environment or keyring.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@profiles_app.command("add", cls=ProfilesHelp)
@handle_errors
def profiles_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. council or field.")],
    platform: Annotated[
        str, typer.Option(help="An installed connector (listed below, and by coprod platforms).")
    ],
    url: Annotated[
        str, typer.Option(help="The server's address, or one of the platform's aliases below.")
    ],
    user: Annotated[str | None, typer.Option(help="The user name to log in as.")] = None,
    store_secret: Annotated[
        bool,
        typer.Option(
            "--store-secret",
            help="Ask for the secret (password, token...) and keep it in the system keyring.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add or replace a profile in coprod.toml (never its secret)."""
    from coprod_connectors.config import Profile, save_profile, secret_env_var
    from coprod_connectors.config import store_secret as keep_secret
    from coprod_connectors.connectors import resolve_server
    from coprod_connectors.errors import ConfigError

    live = live_connector(platform)  # a clear error if no such connector is installed
    resolved = resolve_server(type(live), url)
    if "://" not in resolved:
        aliases = ", ".join(sorted(live.server_aliases))
        msg = f"{url!r} is not a URL such as https://survey.example.org" + (
            f" nor one of {platform}'s server aliases ({aliases})" if aliases else ""
        )
        raise ConfigError(msg)
    profile = Profile(name=name, platform=platform, url=resolved.rstrip("/"), user=user)
    path = save_profile(profile, config)
    typer.echo(f"saved profile {name!r} ({platform}, {profile.url}) in {path}")
    if store_secret:
        what = live.credential_label
        secret = typer.prompt(f"{what} for {name}", hide_input=True)
        keep_secret(name, secret)
        typer.echo(f"kept the {what} in the system keyring")
    else:
        typer.echo(
            f"set {secret_env_var(name)} to its {live.credential_label}, "
            "or re-run with --store-secret"
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
    profile = profile.with_secret(profile.require_secret(connector.credential_label))
    typer.echo(f"{name}: {connector.check(profile)}")
