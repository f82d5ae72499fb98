"""Profiles: where a platform is and who to log in as. Secrets never live in the file.

``coprod.toml`` (in the working folder, or at ``$COPROD_CONFIG``)::

    [profiles.council]
    platform = "surveyx"             # an installed connector (coprod platforms)
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

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from coprod_connectors.errors import ConfigError
from coprod_connectors.safety import control_characters, printable

KEYRING_SERVICE = "coprod-connectors"
CONFIG_ENV = "COPROD_CONFIG"
CONFIG_FILE = "coprod.toml"
#: One canonical form, so that two names never share an environment variable
#: (``a-b`` reads ``COPROD_A_B_SECRET``; ``a_b`` or ``A-B`` would read the same one).
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
NAME_RULE = "lowercase letters, digits and '-', starting with a letter or digit, 40 at most"
#: Option names that look like a secret: secrets never go in the file.
_SECRET_LIKE = re.compile(
    r"pass|pwd|token|secret|key|credential|auth|cookie|session", re.IGNORECASE
)


def check_profile_name(value: str) -> str:
    """``value`` if it is a profile name, else a ConfigError that says what one is."""
    if not _NAME.fullmatch(value):
        msg = f"{printable(hidden_url(value), 60)!r} is not a profile name: use {NAME_RULE}"
        raise ConfigError(msg, hint="e.g. council or field-team")
    return value


def secret_env_var(profile: str) -> str:
    """The environment variable that holds a profile's secret (``-`` becomes ``_``)."""
    return f"COPROD_{profile.upper().replace('-', '_')}_SECRET"


def check_url(value: str) -> str:
    """``value`` if it is an http(s) URL with a host and no user name or password in it."""
    from urllib.parse import urlsplit

    bad = control_characters(value, newlines=False)
    if bad or any(c.isspace() for c in value):
        msg = "a server URL cannot hold spaces or control characters"
        raise ValueError(msg)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        msg = "not a URL such as https://survey.example.org"
        raise ValueError(msg) from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        msg = "the server URL must start with https:// (or http://) and name a host"
        raise ValueError(msg)
    if "@" in parts.netloc:
        msg = (
            "a user name or password in the URL is never kept: give --user, and the "
            "secret in the environment or the keyring"
        )
        raise ValueError(msg)
    return value


def hidden_url(value: str) -> str:
    """``value`` with anything between ``//`` and ``@`` hidden, for messages."""
    return re.sub(r"(//)[^/@]*@", r"\1***@", value)


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
            msg = f"not a profile name: use {NAME_RULE}"
            raise ValueError(msg)
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        # only http(s) servers come from people (profiles add, coprod.toml: check_url);
        # in code, test doubles may use their own schemes
        if control_characters(value, newlines=False) or "@" in value.partition("?")[0]:
            return check_url(value)
        return value

    @field_validator("platform", "user")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (control_characters(value, newlines=False) or not value):
            msg = "must be one line of text without control characters"
            raise ValueError(msg)
        return value

    @field_validator("options")
    @classmethod
    def _options(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if _SECRET_LIKE.search(key):
                msg = f"options.{key} looks like a secret, and secrets never go in the file"
                raise ValueError(msg)
            if not isinstance(item, (str, bool, int, float)):
                msg = f"options.{key} must be a string, a number or true/false"
                raise ValueError(msg)  # noqa: TRY004 - pydantic reports ValueError
            if isinstance(item, str) and control_characters(item, newlines=False):
                msg = f"options.{key} holds control characters"
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


def _read_config(file: Path) -> str | None:
    """The file's text; None if there is no file; a ConfigError if it cannot be read."""
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        msg = f"{file} is a folder, not a profiles file"
        raise ConfigError(msg, hint="give --config the path of a .toml file") from None
    except UnicodeDecodeError:
        msg = f"{file}: not UTF-8 text"
        raise ConfigError(msg) from None
    except OSError as exc:
        msg = f"{file}: cannot read it ({exc.strerror or exc})"
        raise ConfigError(msg) from None


def _problem(exc: ValidationError) -> str:
    """A pydantic error as one line, without the value (it may hold a password)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:2]:
        where = ".".join(str(p) for p in error["loc"])
        text = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {text}" if where else text)
    return "; ".join(parts)


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """Profiles from the configuration file (none if there is no file)."""
    file = config_path(path)
    text = _read_config(file)
    if text is None:
        return {}
    try:
        data = _toml_loads(text)
    except ValueError as exc:  # tomllib.TOMLDecodeError
        msg = f"{file}: not valid TOML: {printable(exc, 200)}"
        raise ConfigError(msg) from None
    except RecursionError:
        msg = f"{file}: nested too deeply to read"
        raise ConfigError(msg) from None
    profiles: dict[str, Profile] = {}
    raw = data.get("profiles", {})
    if not isinstance(raw, dict):
        msg = f"{file}: [profiles] must be a table of tables"
        raise ConfigError(msg)
    for name, fields in raw.items():
        shown = printable(hidden_url(name), 60)  # never a password, whatever was typed
        if not isinstance(fields, dict):
            msg = f"{file}: profiles.{shown} must be a table"
            raise ConfigError(msg)
        if not _NAME.fullmatch(name):
            msg = f"{file}: profiles.{shown}: not a profile name: use {NAME_RULE}"
            raise ConfigError(msg)
        for forbidden in ("password", "token", "secret", "api_key"):
            if forbidden in fields:
                msg = f"{file}: profiles.{shown}.{forbidden}: secrets never go in the file"
                raise ConfigError(msg, hint=f"remove it and set {secret_env_var(name)} instead")
        try:
            profiles[name] = Profile(name=name, **fields)
            check_url(profiles[name].url)
        except ValidationError as exc:
            msg = f"{file}: profiles.{shown}: {_problem(exc)}"
            raise ConfigError(msg) from None
        except ValueError as exc:
            msg = f"{file}: profiles.{shown}: url: {exc}"
            raise ConfigError(msg) from None
        except TypeError:
            msg = f"{file}: profiles.{shown}: not a profile table"
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


_HEADER = """\
# coprod-connectors profiles. Secrets are never kept here:
# set COPROD_<PROFILE>_SECRET or use the system keyring.
"""


def save_profile(profile: Profile, path: str | Path | None = None) -> Path:
    """Add or replace a profile in the configuration file (never its secret).

    The file is edited, not rewritten: comments, other profiles and their options,
    and the replaced profile's own options stay as they were. It is written to a
    temporary file first and only then put in place.
    """
    import tomlkit

    file = config_path(path)
    load_profiles(file)  # refuse to edit a file that does not hold valid profiles
    text = _read_config(file)
    document = tomlkit.parse(text) if text is not None else tomlkit.parse(_HEADER)
    table = document.get("profiles")
    if table is None:
        table = tomlkit.table(is_super_table=True)
        document["profiles"] = table
    entry = table.get(profile.name)
    if entry is None:
        entry = tomlkit.table()
        table[profile.name] = entry
    entry["platform"] = profile.platform
    entry["url"] = profile.url
    if profile.user:
        entry["user"] = profile.user
    elif "user" in entry:
        del entry["user"]
    written = tomlkit.dumps(document)
    if _toml_loads(written).get("profiles", {}).get(profile.name, {}).get("url") != profile.url:
        msg = f"{file}: could not write profile {profile.name!r}"  # pragma: no cover
        raise ConfigError(msg)
    temporary = file.with_name(f".{file.name}.tmp")
    try:
        temporary.write_text(written, encoding="utf-8")
        temporary.replace(file)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        msg = f"{file}: cannot write it ({exc.strerror or exc})"
        raise ConfigError(msg) from None
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
