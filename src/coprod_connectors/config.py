"""Profiles: where a platform is and who to log in as. Secrets never live in the file.

``coprod.toml`` (in the working folder, or at ``$COPROD_CONFIG``)::

    [profiles.council]
    platform = "limesurvey"          # an installed connector (coprod platforms)
    url = "https://survey.example.gov.uk"
    user = "coproduction-lead"

``url`` may also be one of the connector's server aliases (resolved when the
profile is added). The secret (a password, a token... the connector says
what it calls it) comes from the environment variable
``COPROD_<PROFILE>_SECRET`` (profile name upper-cased, ``-`` as ``_``), or
from the system keyring (service ``coprod-connectors``, user = profile name).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from coprod_connectors.errors import ConfigError

KEYRING_SERVICE = "coprod-connectors"
CONFIG_ENV = "COPROD_CONFIG"
CONFIG_FILE = "coprod.toml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def secret_env_var(profile: str) -> str:
    """The environment variable that holds a profile's secret."""
    return f"COPROD_{profile.upper().replace('-', '_')}_SECRET"


class Profile(BaseModel):
    """One platform account. ``secret`` is filled from env or keyring, never from the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    platform: str
    url: str
    user: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    secret: SecretStr | None = Field(default=None, exclude=True, repr=False)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            msg = f"{value!r} must be letters, digits, '-' or '_'"
            raise ValueError(msg)
        return value

    def require_secret(self, label: str = "secret") -> str:
        """The secret, or a ConfigError that says how to provide it.

        ``label`` is what the profile's connector calls it (its ``credential_label``).
        """
        if self.secret is not None and self.secret.get_secret_value():
            return self.secret.get_secret_value()
        found = lookup_secret(self.name)
        if found:
            return found
        msg = f"no {label} for profile {self.name!r}"
        raise ConfigError(
            msg,
            hint=f"set {secret_env_var(self.name)}, or run: coprod profiles add {self.name} ... "
            "--store-secret to keep it in the system keyring",
        )

    def with_secret(self, secret: str) -> Profile:
        return self.model_copy(update={"secret": SecretStr(secret)})


def lookup_secret(profile: str) -> str | None:
    """The secret from the environment, then the keyring; None if neither has it."""
    value = os.environ.get(secret_env_var(profile))
    if value:
        return value
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        stored = keyring.get_password(KEYRING_SERVICE, profile)
    except (KeyringError, RuntimeError, OSError):
        return None
    return stored or None


# --- the configuration file ----------------------------------------------------------


def config_path(path: str | Path | None = None) -> Path:
    """The configuration file: the argument, then ``$COPROD_CONFIG``, then ``./coprod.toml``."""
    return Path(path or os.environ.get(CONFIG_ENV) or CONFIG_FILE)


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    data: dict[str, Any] = tomllib.loads(text)
    return data


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """Profiles from the configuration file (none if there is no file)."""
    file = config_path(path)
    if not file.exists():
        return {}
    try:
        data = _toml_loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        msg = f"{file}: not UTF-8 text"
        raise ConfigError(msg) from exc
    except ValueError as exc:  # tomllib.TOMLDecodeError
        msg = f"{file}: not valid TOML: {exc}"
        raise ConfigError(msg) from exc
    profiles: dict[str, Profile] = {}
    raw = data.get("profiles", {})
    if not isinstance(raw, dict):
        msg = f"{file}: [profiles] must be a table of tables"
        raise ConfigError(msg)
    for name, fields in raw.items():
        if not isinstance(fields, dict):
            msg = f"{file}: profiles.{name} must be a table"
            raise ConfigError(msg)
        for forbidden in ("password", "token", "secret", "api_key"):
            if forbidden in fields:
                msg = f"{file}: profiles.{name}.{forbidden}: secrets never go in the file"
                raise ConfigError(msg, hint=f"remove it and set {secret_env_var(name)} instead")
        try:
            profiles[name] = Profile(name=name, **fields)
        except ValueError as exc:
            first = str(exc).splitlines()
            detail = "; ".join(line.strip() for line in first[1:3]) or str(exc)
            msg = f"{file}: profiles.{name}: {detail}"
            raise ConfigError(msg) from None
    return profiles


def get_profile(name: str, path: str | Path | None = None) -> Profile:
    profiles = load_profiles(path)
    profile = profiles.get(name)
    if profile is None:
        known = ", ".join(sorted(profiles)) or "none yet"
        msg = f"no profile {name!r} in {config_path(path)} (profiles: {known})"
        raise ConfigError(msg, hint=f"add it: coprod profiles add {name} --platform ... --url ...")
    return profile


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def save_profile(profile: Profile, path: str | Path | None = None) -> Path:
    """Add or replace a profile in the configuration file (never its secret)."""
    file = config_path(path)
    profiles = load_profiles(file)
    profiles[profile.name] = profile
    lines = [
        "# coprod-connectors profiles. Secrets are never kept here:",
        "# set COPROD_<PROFILE>_SECRET or use the system keyring.",
        "",
    ]
    for name in sorted(profiles):
        p = profiles[name]
        lines.append(f"[profiles.{name}]")
        lines.append(f"platform = {_toml_string(p.platform)}")
        lines.append(f"url = {_toml_string(p.url)}")
        if p.user:
            lines.append(f"user = {_toml_string(p.user)}")
        for key, value in sorted(p.options.items()):
            if isinstance(value, str):
                lines.append(f"options.{key} = {_toml_string(value)}")
            elif isinstance(value, bool):
                lines.append(f"options.{key} = {'true' if value else 'false'}")
            elif isinstance(value, int):
                lines.append(f"options.{key} = {value}")
        lines.append("")
    file.write_text("\n".join(lines), encoding="utf-8")
    return file


def store_secret(profile: str, secret: str) -> None:
    """Keep a profile's secret in the system keyring."""
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.set_password(KEYRING_SERVICE, profile, secret)
    except (KeyringError, RuntimeError, OSError) as exc:
        msg = f"cannot use the system keyring: {exc}"
        raise ConfigError(msg, hint=f"set {secret_env_var(profile)} instead") from None
