"""Profiles: where a platform is and who to log in as. Secrets never live in the file.

``coprod.toml`` (in the working folder, or at ``$COPROD_CONFIG``)::

    [profiles.council]
    platform = "limesurvey"
    url = "https://survey.example.gov.uk"
    user = "coproduction-lead"

    [profiles.field]
    platform = "kobotoolbox"
    url = "eu"            # kf, eu, or any self-hosted KPI URL

The password or token comes from the environment variable
``COPROD_<PROFILE>_SECRET`` (profile name upper-cased, ``-`` as ``_``), or
from the system keyring (service ``coprod-connectors``, user = profile name).
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from coprod_connectors.errors import ConfigError

KEYRING_SERVICE = "coprod-connectors"
CONFIG_ENV = "COPROD_CONFIG"
CONFIG_FILE = "coprod.toml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def secret_env_var(profile: str) -> str:
    """The environment variable that holds a profile's password or token."""
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

    def require_secret(self) -> str:
        """The password or token, or a ConfigError that says how to provide it."""
        if self.secret is not None and self.secret.get_secret_value():
            return self.secret.get_secret_value()
        found = lookup_secret(self.name)
        if found:
            return found
        what = "token" if self.platform == "kobotoolbox" else "password"
        msg = f"no {what} for profile {self.name!r}"
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
