"""The exceptions coprod-connectors raises, in one place.

Every error a user can cause, or a platform can report, is a ``CoprodError``.
The command line turns these into a one-line message and an exit code; a
traceback means a bug in this project, never a user mistake.

::

    CoprodError
    ├── ConfigError                 a profile, setting or credential is missing or wrong
    ├── InstrumentError             an instrument file does not load or validate
    ├── ResponseDataError           a responses file or export cannot be read
    ├── StoreError                  the sync store cannot be opened or migrated
    │   └── NotAStoreError          the database given as the store is not one (exit 2)
    └── PlatformError               a survey platform said no, or said nothing useful
        ├── AuthenticationError     wrong user name, password or token
        │   └── LockedOutError      too many failed logins: the platform locked us out
        ├── PermissionDeniedError   logged in, but not allowed to do that
        ├── NotFoundError           no such survey, form or deployment
        ├── RateLimitedError        the platform asked us to slow down
        ├── UnavailableError        no answer, a time-out, or an HTML error page
        │   ├── TimedOutError       no (whole) answer before the call's deadline
        │   └── TransientReplyError a reply cut short or garbled: worth asking again
        └── ApiDisabledError        the platform's API is switched off

Platform errors keep the platform's own message in ``platform_message`` so
that nothing the server said is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CoprodError(Exception):
    """Base class of every error coprod-connectors raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ConfigError(CoprodError):
    """A profile, setting or credential is missing or wrong."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instrument: where it is and what is wrong."""

    path: str
    message: str
    line: int | None = None

    def format(self, source: str | None = None) -> str:
        where = source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        parts = [p for p in (where, self.path) if p]
        return ": ".join([*parts, self.message])


class InstrumentError(CoprodError):
    """An instrument file does not load or does not validate."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem], *, source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        lines = [p.format(source) for p in self.problems]
        super().__init__("\n".join(lines) if lines else f"{source}: invalid instrument")


class ResponseDataError(CoprodError):
    """A file of responses, or a platform export, cannot be read."""

    exit_code = 2


class StoreError(CoprodError):
    """The sync store cannot be opened, migrated or written."""


class NotAStoreError(StoreError):
    """The database given as the store is not one (another application's, or not a
    database at all): a user mistake, and nothing in it was changed."""

    exit_code = 2


class PlatformError(CoprodError):
    """A survey platform refused a request or answered with something unusable."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        platform_message: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.platform_message = platform_message
        self.status_code = status_code


class AuthenticationError(PlatformError):
    """The platform did not accept the user name, password or token."""


class LockedOutError(AuthenticationError):
    """Too many failed logins: the platform refuses to try again for a while."""


class PermissionDeniedError(PlatformError):
    """Logged in, but the account may not do this."""


class NotFoundError(PlatformError):
    """The survey, form or deployment does not exist (or is not visible to this account)."""


class RateLimitedError(PlatformError):
    """The platform asked us to slow down."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        hint: str | None = None,
        platform_message: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(
            message, hint=hint, platform_message=platform_message, status_code=status_code
        )
        self.retry_after = retry_after


class UnavailableError(PlatformError):
    """The platform did not answer usefully: a time-out, a dropped connection, an HTML page."""


class TimedOutError(UnavailableError):
    """No answer, or no whole answer, before the call's deadline."""


class TransientReplyError(UnavailableError):
    """A reply cut short, garbled or empty on the way: asking again may well work."""


class ApiDisabledError(PlatformError):
    """The platform's API is switched off in its settings."""


__all__ = [
    "ApiDisabledError",
    "AuthenticationError",
    "ConfigError",
    "CoprodError",
    "InstrumentError",
    "LockedOutError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlatformError",
    "Problem",
    "RateLimitedError",
    "ResponseDataError",
    "StoreError",
    "TimedOutError",
    "TransientReplyError",
    "UnavailableError",
]
