"""A LimeSurvey RemoteControl 2 (JSON-RPC) client over httpx.

::

    with RemoteControl(url, user, password) as rc:
        sid = rc.call("import_survey", data, "lss")

The client logs in on ``__enter__`` and always releases its session key on
``__exit__``. It logs in again, once, when LimeSurvey says the session key is
no longer valid. Every failure LimeSurvey produces is turned into one of the
core's exceptions by :func:`raise_for_reply`, keeping the server's own words
in ``platform_message``:

==========================================================  =========================
LimeSurvey's answer                                         exception
==========================================================  =========================
``{"result": {"status": "Invalid user name or password"}}``  AuthenticationError
``{"status": "You have exceeded the number of maximum        LockedOutError (a password
login attempts..."}``                                       is never retried)
``{"status": "No permission"}``                             PermissionDeniedError
``{"status": "Error: Invalid survey ID"}``,                 NotFoundError
``"Invalid surveyid"``
``{"status": "No Data, ..."}``, ``"No ... found"``,         NoDataError (zero rows)
``"Error: No candidate tokens"``
any other ``{"status": "..."}`` (``"OK"`` and               PlatformError
``"N left to send"`` are success)
``{"result": null, "error": "..."}``                        PlatformError
HTTP 200 with an empty body (JSON-RPC switched off)         ApiDisabledError
HTTP 5xx, an HTML page, a time-out, a dropped connection    UnavailableError
a reply cut short, or empty once logged in                  BrokenReplyError (an
                                                            UnavailableError)
HTTP 429 (a proxy's rate limit), with ``Retry-After``       RateLimitedError
==========================================================  =========================

Timeouts, the deadline of a call and retries are the core's
:class:`~coprod_connectors.HttpPolicy` (:data:`POLICY`). Only calls that are
safe to repeat (reads, and releasing the key) are retried, after a time-out, a
dropped connection, a 502/503/504, a 429 (waiting what ``Retry-After`` asks, up
to the policy's cap) or a reply cut short; a write is sent again only when it
never reached the server, and a login never is.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from types import TracebackType
from typing import Any

import httpx
from pydantic import ValidationError

from coprod_connectors import (
    ApiDisabledError,
    AuthenticationError,
    HttpPolicy,
    LockedOutError,
    NotFoundError,
    PermissionDeniedError,
    PlatformError,
    RateLimitedError,
    Retry,
    TransientReplyError,
    UnavailableError,
    error_page_text,
    printable,
    retry_after,
    user_agent,
)
from coprod_limesurvey.wire import RpcReply, RpcRequest

logger = logging.getLogger(__name__)

ENDPOINT = "/index.php/admin/remotecontrol"
USER_AGENT = user_agent("coprod-connectors-limesurvey")
POLICY = HttpPolicy(name="LimeSurvey", user_agent=USER_AGENT)
DEFAULT_TIMEOUT = POLICY.timeout
#: Releasing the key is good manners, not worth waiting long for.
RELEASE_DEADLINE = 10.0

#: Calls that change nothing on the server, so repeating one after a failure is harmless.
SAFE_METHODS = frozenset(
    {
        "release_session_key",
        "list_surveys",
        "list_groups",
        "list_questions",
        "list_participants",
        "get_survey_properties",
        "get_language_properties",
        "get_uploaded_files",
        "get_participant_properties",
        "get_summary",
        "get_fieldmap",
        "get_response_ids",
        "export_responses",
        "export_responses_by_token",
    }
)

ENABLE_JSON_RPC = (
    "in LimeSurvey, go to Configuration > Global settings > Interfaces and set "
    "'RPC interface enabled' to JSON-RPC"
)

INVALID_SESSION_KEY = "Invalid session key"
#: Never wait longer than this for one Retry-After; beyond it, give up and say so.
MAX_RETRY_AFTER = POLICY.max_retry_after
#: invite_participants and remind_participants report success as "N left to send".
_LEFT_TO_SEND = re.compile(r"-?\d+ left to send")


class NoDataError(PlatformError):
    """LimeSurvey has nothing to give back ("No Data, ..."): zero rows, not a failure."""


class BrokenReplyError(TransientReplyError):
    """A reply cut short, garbled or empty in the middle of a session: worth asking again."""


class SessionExpiredError(PlatformError):
    """The session key is no longer valid (LimeSurvey dropped it or it expired)."""


def endpoint_url(base_url: str) -> str:
    """The JSON-RPC endpoint for a LimeSurvey site URL (or the endpoint itself)."""
    base = base_url.rstrip("/")
    if base.endswith("/admin/remotecontrol"):
        return base
    return base + ENDPOINT


#: What LimeSurvey's error page says after the server's own message.
_PAGE_BOILERPLATE = "An internal error occurred while the Web server"


def _gist(words: str, status_code: int) -> str:
    """ ": <what the error page says>", without its title and boilerplate ("" if nothing)."""
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = ""
    if phrase:
        words = re.sub(rf"{status_code}:?\s*{re.escape(phrase)}", " ", words, flags=re.IGNORECASE)
    words = words.split(_PAGE_BOILERPLATE, 1)[0]
    words = re.sub(r"\s+", " ", words).strip(" -:")
    if not words:
        return ""
    return ": " + (words if len(words) <= 200 else words[:199] + "…")


def _status_error(method: str, status: str) -> PlatformError:
    """The exception for a ``{"status": "..."}`` reply that is not ``OK``."""
    lowered = status.lower()
    if status == INVALID_SESSION_KEY:
        return SessionExpiredError(
            "the LimeSurvey session key is no longer valid", platform_message=status
        )
    if "maximum login attempts" in lowered or "exceeded the number" in lowered:
        return LockedOutError(
            "LimeSurvey has locked this account out after too many failed logins",
            hint="wait (LimeSurvey says how long), check the password, and try again; "
            "coprod never retries a password",
            platform_message=status,
        )
    if lowered == "invalid user name or password":
        return AuthenticationError(
            "LimeSurvey did not accept the user name or password",
            hint="check the profile's user and its password; after a few failed attempts "
            "LimeSurvey locks the account out for a while",
            platform_message=status,
        )
    if lowered == "no permission":
        return PermissionDeniedError(
            f"LimeSurvey refused {method}: this account may not do that, "
            "or the survey does not exist",
            platform_message=status,
        )
    if "invalid survey id" in lowered or "invalid surveyid" in lowered:
        return NotFoundError(f"LimeSurvey has no such survey ({method})", platform_message=status)
    if (
        lowered.startswith("no data")
        or (lowered.startswith("no ") and "found" in lowered)
        or "no candidate tokens" in lowered
        or "no survey participants table" in lowered
    ):
        return NoDataError(f"LimeSurvey has no data for {method}", platform_message=status)
    return PlatformError(f"LimeSurvey refused {method}: {status}", platform_message=status)


def raise_for_reply(method: str, response: httpx.Response, *, in_session: bool = False) -> Any:
    """The ``result`` of a JSON-RPC reply, or the core exception for what went wrong.

    ``in_session``: the server has already answered this session's login, so
    an empty page is a reply lost on the way, not JSON-RPC switched off.
    """
    status_code = response.status_code
    content = response.content
    if status_code == 200 and (not content or content.isspace()):
        if in_session:
            raise BrokenReplyError(
                f"LimeSurvey answered {method} with an empty page",
                hint="a proxy or the server dropped the answer; try again",
                status_code=status_code,
            )
        raise ApiDisabledError(
            "LimeSurvey answered with an empty page: its JSON-RPC interface is switched off",
            hint=ENABLE_JSON_RPC,
            status_code=status_code,
        )
    looks_html = content[:512].lstrip().startswith(b"<")
    # what an error page says: bounded, markup stripped, one printable line
    words = error_page_text(response) if looks_html or status_code != 200 else ""
    if status_code == 404:
        raise NotFoundError(
            f"no LimeSurvey RemoteControl endpoint at {response.request.url}",
            hint="check the profile's url: it is the site address, e.g. https://survey.example.org",
            platform_message=words,
            status_code=status_code,
        )
    if status_code == 429:
        raise RateLimitedError(
            f"LimeSurvey (or a proxy in front of it) asked us to slow down ({method})",
            retry_after=retry_after(response),
            hint="wait a few minutes and try again",
            platform_message=words,
            status_code=status_code,
        )
    if status_code >= 500 or looks_html:
        raise UnavailableError(
            f"LimeSurvey answered {method} with an error page (HTTP {status_code})"
            + _gist(words, status_code),
            platform_message=words,
            status_code=status_code,
        )
    if status_code >= 400:
        raise PlatformError(
            f"LimeSurvey answered {method} with HTTP {status_code}",
            platform_message=words,
            status_code=status_code,
        )
    try:
        reply = RpcReply.model_validate_json(content)
    except ValidationError as exc:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise BrokenReplyError(
                f"LimeSurvey's answer to {method} is not UTF-8 text ({bad.reason} at byte "
                f"{bad.start})",
                hint="check the character set of the server, or of a proxy in front of it",
                platform_message=error_page_text(content[:300]),
                status_code=status_code,
            ) from exc
        raise BrokenReplyError(
            f"LimeSurvey's answer to {method} is not JSON-RPC",
            hint="the answer may have been cut short on the way; try again",
            platform_message=error_page_text(content[:300]),
            status_code=status_code,
        ) from exc
    if reply.result is None and reply.error is not None:
        # the server's words, on one line, without escape sequences for the terminal
        message = printable(reply.error if isinstance(reply.error, str) else str(reply.error), 500)
        raise PlatformError(
            f"LimeSurvey could not run {method}: {message}",
            platform_message=message,
            status_code=status_code,
        )
    extra = reply.model_extra or {}
    result = reply.result
    if result is None and isinstance(extra.get("status"), str):
        result = {"status": extra["status"]}
    if isinstance(result, dict) and isinstance(result.get("status"), str):
        status = printable(result["status"], 500)
        if status.upper() != "OK" and not _LEFT_TO_SEND.fullmatch(status):
            raise _status_error(method, status)
    return result


class RemoteControl:
    """A logged-in RemoteControl session; use it as a context manager.

    ``client`` (an ``httpx.Client``) or ``transport`` can be injected, e.g. an
    ``httpx.MockTransport`` in tests. The password is only sent by
    ``get_session_key`` and never stored anywhere else; the session key never
    appears in a message or a log line.
    """

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        sleep: Callable[[float], None] | None = None,
        policy: HttpPolicy = POLICY,
    ) -> None:
        self.url = endpoint_url(url)
        self.site_url = self.url[: -len(ENDPOINT)] if self.url.endswith(ENDPOINT) else url
        self._user = user
        self._password = password
        changes: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": None if retries is None else max(0, retries),
            "backoff": backoff,
            "sleep": sleep,
        }
        self.policy = policy.with_(**{k: v for k, v in changes.items() if v is not None})
        self._own_client = client is None
        self._client = client or self.policy.client(transport=transport)
        self._ids = itertools.count(1)
        self._key: str | None = None
        self.requests = 0

    def __repr__(self) -> str:
        state = "open" if self._key else "closed"
        return f"RemoteControl({self.url!r}, user={self._user!r}, {state})"

    # -- session ---------------------------------------------------------------------

    def __enter__(self) -> RemoteControl:
        self.login()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def login(self) -> None:
        """Get a session key (never retried: a wrong password must not count twice)."""
        result = self._send("get_session_key", [self._user, self._password], retry="never")
        if not isinstance(result, str) or not result:
            raise PlatformError(
                "LimeSurvey did not return a session key",
                platform_message=printable(str(result), 300),
            )
        self._key = result

    def close(self) -> None:
        """Release the session key (if any) and close the client this object made."""
        key, self._key = self._key, None
        try:
            if key is not None:
                try:
                    self._send(
                        "release_session_key", [key], retry="safe", deadline=RELEASE_DEADLINE
                    )
                except PlatformError as exc:
                    logger.warning("could not release the LimeSurvey session key: %s", exc.message)
        finally:
            if self._own_client:
                self._client.close()

    # -- calls -----------------------------------------------------------------------

    def call(self, method: str, *params: Any) -> Any:
        """Call ``method`` with the session key and ``params``; returns ``result``."""
        if self._key is None:
            self.login()
        retry: Retry = "safe" if method in SAFE_METHODS else "unsent"
        try:
            return self._send(method, [self._key, *params], retry=retry)
        except SessionExpiredError:
            logger.info("LimeSurvey session key expired; logging in again for %s", method)
            self.login()
            return self._send(method, [self._key, *params], retry=retry)

    def _send(
        self, method: str, params: list[Any], *, retry: Retry, deadline: float | None = None
    ) -> Any:
        """One JSON-RPC call through the policy; ``raise_for_reply`` maps what comes back."""
        request = RpcRequest(method=method, params=params, id=next(self._ids))
        in_session = method != "get_session_key"
        return self.policy.call(
            self._client,
            "POST",
            self.url,
            parse=lambda response: raise_for_reply(method, response, in_session=in_session),
            retry=retry,
            what=method,
            deadline=deadline,
            on_attempt=self._count,
            content=request.model_dump_json().encode(),
            headers={"Content-Type": "application/json", "User-Agent": self.policy.user_agent},
        )

    def _count(self) -> None:
        self.requests += 1


__all__ = [
    "DEFAULT_TIMEOUT",
    "ENABLE_JSON_RPC",
    "ENDPOINT",
    "MAX_RETRY_AFTER",
    "POLICY",
    "SAFE_METHODS",
    "USER_AGENT",
    "BrokenReplyError",
    "NoDataError",
    "RemoteControl",
    "SessionExpiredError",
    "endpoint_url",
    "raise_for_reply",
]
