"""The one place where ODK Central's failures become the core's exceptions.

Central answers a failed API call with a JSON *problem*::

    {"message": "…", "code": 409.3, "details": {…}}

where ``code`` is the HTTP status, a dot and a sub-code. :func:`error_for`
maps a problem (or an answer that is not one: an HTML page from a proxy, an
OpenRosa XML reply) to :class:`AuthenticationError`, :class:`NotFoundError`,
:class:`PermissionDeniedError`, :class:`RateLimitedError`,
:class:`UnavailableError` or :class:`PlatformError`, with a message that says
what to do. The server's own words are kept in ``platform_message``, on one
line, with control characters removed; no request header (where the session
token travels) is ever quoted.

Codes with their own advice (seen on a real Central v2024.2):

========  ==========================================================================
401.2     wrong e-mail, password or token; or a session that has expired
401.3     Basic auth over plain http: Central allows it only over https
403.1     logged in, but the account has no right to do that
404.1     not found, *and* what Central answers to a request without credentials
400.15    the XLSForm is invalid (``details.error``)
400.16    the XLSForm has warnings (``details.warnings``: ``xlsFormWarnings``,
          ``workflowWarnings``); the caller decides whether to resubmit
409.3     a project, form, app user or assignment with that key already exists
409.6     a form version with that version string was already published
501.5     an OData query asked for what Central cannot filter or order by
========  ==========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from coprod_connectors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    PlatformError,
    RateLimitedError,
    UnavailableError,
)

PLATFORM = "ODK Central"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class CentralProblem(BaseModel):
    """A JSON problem as Central sends it."""

    model_config = ConfigDict(extra="ignore")

    message: str = ""
    code: float | None = None
    details: dict[str, Any] | None = None

    @property
    def subcode(self) -> str:
        """``"409.3"``: the code as Central writes it (``409.30`` never occurs)."""
        return "" if self.code is None else f"{self.code:g}"


class FormWarningsError(PlatformError):
    """Central accepted the XLSForm but has warnings about it (400.16); nothing was made.

    ``xlsform_warnings`` are pyxform's; ``removed_fields`` are the fields a new
    version no longer has (Central's ``structureChanged`` workflow warning).
    """

    def __init__(
        self,
        message: str,
        *,
        xlsform_warnings: tuple[str, ...] = (),
        removed_fields: tuple[str, ...] = (),
        hint: str | None = None,
        platform_message: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(
            message, hint=hint, platform_message=platform_message, status_code=status_code
        )
        self.xlsform_warnings = xlsform_warnings
        self.removed_fields = removed_fields


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line without control characters (safe to print), cut to ``limit``."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def problem_of(response: httpx.Response) -> CentralProblem | None:
    """The JSON problem in ``response``, or None if the body is not one."""
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, Mapping) or "message" not in data:
        return None
    try:
        return CentralProblem.model_validate(data)
    except ValidationError:
        return None


def _openrosa_message(response: httpx.Response) -> str | None:
    """The ``<message>`` of an OpenRosa XML reply, if it is one."""
    if b"OpenRosaResponse" not in response.content[:2000]:
        return None
    try:
        root = ET.fromstring(response.content)  # noqa: S314 - small reply from the server asked
    except ET.ParseError:
        return None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "message" and element.text:
            return element.text
    return None


def _is_html(response: httpx.Response) -> bool:
    if "html" in response.headers.get("content-type", ""):
        return True
    return response.content.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def _warnings(problem: CentralProblem) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """pyxform's warnings and the removed field names in a 400.16 problem."""
    warnings = (problem.details or {}).get("warnings")
    if not isinstance(warnings, Mapping):
        return (), ()
    xlsform = tuple(one_line(str(w), 300) for w in warnings.get("xlsFormWarnings") or ())
    removed: list[str] = []
    for item in warnings.get("workflowWarnings") or ():
        if isinstance(item, Mapping) and item.get("type") == "structureChanged":
            removed.extend(one_line(str(d), 100) for d in item.get("details") or ())
    return xlsform, tuple(removed)


def error_for(
    response: httpx.Response, *, server: str, what: str, authenticated: bool = True
) -> PlatformError:
    """The core exception for a failed answer from Central to ``what``.

    ``authenticated`` says whether credentials were sent: Central answers 404.1
    to a request without any, where a person would expect "log in first".
    """
    status = response.status_code
    problem = problem_of(response)
    said = problem.message if problem else _openrosa_message(response)
    if said is None and not _is_html(response):
        said = response.text
    platform_message = one_line(said) if said else None
    code = problem.subcode if problem else ""
    kwargs: dict[str, Any] = {"platform_message": platform_message, "status_code": status}
    where = f"{PLATFORM} at {server}"

    if status == 401 or code.startswith("401"):
        if code == "401.3":
            return AuthenticationError(
                f"{where} accepts a password on every request (Basic auth) only over https",
                hint="use the server's https:// address, or leave the profile's auth "
                "option unset to log in with a session",
                **kwargs,
            )
        return AuthenticationError(
            f"{where} did not accept the e-mail and password (or the session expired)",
            hint="check the profile's user (the e-mail you log in to Central with) and its "
            "password; `coprod profiles check` tries them",
            **kwargs,
        )
    if status == 403:
        return PermissionDeniedError(
            f"this account may not do that on {where}: {what}",
            hint="ask a Central administrator to make this account a Project Manager of the "
            "project (or an Administrator)",
            **kwargs,
        )
    if status == 404:
        if not authenticated:
            return AuthenticationError(
                f"{where} answered 'not found' to a request without credentials",
                hint="Central hides everything from anonymous requests; give the profile a user "
                "and password",
                **kwargs,
            )
        return NotFoundError(
            f"{where} has no {what}",
            hint="check the server URL and that the project or form was not deleted or "
            "archived; `coprod status` lists the deployments",
            **kwargs,
        )
    if status == 409:
        if code == "409.6":
            return PlatformError(
                f"{where} already has a published form version with that version string ({what})",
                hint="give the instrument a new version number and push again",
                **kwargs,
            )
        return PlatformError(
            f"{where} already has this ({what})",
            hint="it was made before; run the command again to reuse it",
            **kwargs,
        )
    if status == 429:
        return RateLimitedError(
            f"{where} asked us to slow down",
            hint="wait a few minutes and run the command again",
            **kwargs,
        )
    if status == 400 and problem is not None and code == "400.16":
        xlsform, removed = _warnings(problem)
        parts = [*xlsform]
        if removed:
            parts.append("fields no longer in the form: " + ", ".join(removed))
        detail = "; ".join(parts) or platform_message or ""
        return FormWarningsError(
            f"{where} has warnings about the form ({what}): {detail}",
            xlsform_warnings=xlsform,
            removed_fields=removed,
            hint="fix the instrument, or push again with the warnings accepted",
            **kwargs,
        )
    if status == 400 and problem is not None and code == "400.15":
        error = (problem.details or {}).get("error")
        invalid = one_line(str(error)) if error else platform_message
        return PlatformError(
            f"{where} found the XLSForm invalid ({what}): {invalid}",
            hint="this is a bug in the form coprod wrote; please report it with the message",
            **kwargs,
        )
    if _is_html(response):
        return UnavailableError(
            f"{server} answered with a web page (HTTP {status}), not {PLATFORM}'s API",
            hint="check the profile's url is the Central server's address (e.g. "
            "https://central.example.org), or try again later if it is down",
            platform_message=None,
            status_code=status,
        )
    if status >= 500:
        if code.startswith("501"):
            return PlatformError(
                f"{where} cannot do {what}: {platform_message}",
                hint="this Central is older or newer than the one coprod was tested with "
                "(v2024.2); please report it",
                **kwargs,
            )
        return UnavailableError(
            f"{where} failed (HTTP {status}) on {what}",
            hint="try again later; if it keeps failing, tell the server's administrator",
            **kwargs,
        )
    return PlatformError(
        f"{where} refused {what} (HTTP {status}{', ' + code if code else ''}): "
        f"{platform_message or 'no message'}",
        hint="the server's message says what it did not accept",
        **kwargs,
    )


__all__ = ["PLATFORM", "CentralProblem", "FormWarningsError", "error_for", "one_line", "problem_of"]
