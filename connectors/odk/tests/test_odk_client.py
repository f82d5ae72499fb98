"""The client's one error boundary and its handling of credentials, with no server
(``httpx.MockTransport``); the problems are the ones a real Central v2024.2 sent."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from coprod_connectors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    PlatformError,
    UnavailableError,
)
from coprod_odk.client import CentralClient, server_url
from coprod_odk.errors import FormWarningsError, error_for

URL = "https://central.example.org"
TOKEN = "Ab3!$" + "x" * 59
PASSWORD = "correct horse battery staple"


def _response(status: int, body: Any, content_type: str = "application/json") -> httpx.Response:
    content = json.dumps(body).encode() if not isinstance(body, (bytes, str)) else body
    return httpx.Response(
        status,
        content=content,
        headers={"content-type": content_type},
        request=httpx.Request("GET", f"{URL}/v1/projects/1"),
    )


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (
            401,
            {"message": "Could not authenticate", "code": 401.2},
            AuthenticationError,
            "e-mail and password",
        ),
        (
            401,
            {"message": "only over HTTPS", "code": 401.3},
            AuthenticationError,
            "only over https",
        ),
        (403, {"message": "no rights", "code": 403.1}, PermissionDeniedError, "Project Manager"),
        (404, {"message": "Could not find", "code": 404.1}, NotFoundError, "has no project 1"),
        (
            409,
            {"message": "A resource already exists", "code": 409.3, "details": {"table": "forms"}},
            PlatformError,
            "already has this",
        ),
        (
            409,
            {"message": "version already published", "code": 409.6},
            PlatformError,
            "new version number",
        ),
        (
            400,
            {
                "message": "invalid",
                "code": 400.15,
                "details": {
                    "error": "[row : 3] List name not in choices sheet: x",
                    "warnings": None,
                },
            },
            PlatformError,
            "List name not in choices",
        ),
        (501, {"message": "not supported: about/role", "code": 501.5}, PlatformError, "cannot do"),
        (500, {"message": "Internal", "code": 500.1}, UnavailableError, "failed (HTTP 500)"),
        (502, b"<html><title>Bad gateway</title></html>", UnavailableError, "web page"),
        (429, b"slow down", PlatformError, "slow down"),
    ],
)
def test_problems_become_the_cores_exceptions(
    status: int, body: Any, kind: type[Exception], words: str
) -> None:
    error = error_for(
        _response(
            status, body, "text/html" if b"<html" in str(body).encode() else "application/json"
        ),
        server=URL,
        what="project 1",
    )
    assert type(error) is kind or isinstance(error, kind)
    assert words in str(error)


def test_form_warnings_keep_both_kinds() -> None:
    problem = {
        "message": "The Form is valid, but with warnings.",
        "code": 400.16,
        "details": {
            "warnings": {
                "xlsFormWarnings": ["Language 'French (fr)' is missing the survey hint column."],
                "workflowWarnings": [
                    {"type": "structureChanged", "details": ["level", "\x1b[31mred"]}
                ],
            }
        },
    }
    error = error_for(_response(400, problem), server=URL, what="form x")
    assert isinstance(error, FormWarningsError)
    assert error.xlsform_warnings == ("Language 'French (fr)' is missing the survey hint column.",)
    assert error.removed_fields == ("level", "[31mred")
    assert "\x1b" not in str(error)


def test_anonymous_not_found_is_said_as_missing_credentials() -> None:
    error = error_for(
        _response(404, {"message": "Could not find", "code": 404.1}),
        server=URL,
        what="x",
        authenticated=False,
    )
    assert isinstance(error, AuthenticationError)


def test_openrosa_errors_keep_their_message() -> None:
    xml = (
        '<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
        "<message nature=\"error\">The form version specified in this submission '9.9' "
        "does not exist.</message></OpenRosaResponse>"
    )
    error = error_for(_response(404, xml, "text/xml"), server=URL, what="a submission")
    assert error.platform_message is not None
    assert "9.9" in error.platform_message


def test_server_addresses() -> None:
    assert server_url(" https://central.example.org/v1/ ") == URL
    with pytest.raises(ConfigError, match="not an ODK Central server"):
        server_url("central.example.org")
    with pytest.raises(ConfigError, match="e-mail"):
        CentralClient(URL, "", PASSWORD)


class Server:
    """A stand-in for Central that logs in, expires a session once, and logs out."""

    def __init__(self, *, expire_once: bool = False) -> None:
        self.seen: list[tuple[str, str, str | None]] = []
        self.sessions = 0
        self.expire_once = expire_once

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization")
        self.seen.append((request.method, request.url.path, auth))
        if request.url.path == "/v1/sessions":
            assert json.loads(request.content) == {"email": "me@example.org", "password": PASSWORD}
            self.sessions += 1
            return httpx.Response(200, json={"token": f"{TOKEN[:-1]}{self.sessions}", "csrf": "c"})
        if request.url.path == "/v1/sessions/current":
            return httpx.Response(200, json={"success": True})
        if self.expire_once and auth == f"Bearer {TOKEN[:-1]}1":
            return httpx.Response(401, json={"message": "Could not authenticate", "code": 401.2})
        if auth is None:
            return httpx.Response(404, json={"message": "Could not find", "code": 404.1})
        return httpx.Response(200, json={"id": 5, "email": "me@example.org"})


def test_a_session_is_opened_renewed_once_and_closed(caplog: pytest.LogCaptureFixture) -> None:
    server = Server(expire_once=True)
    caplog.set_level(logging.DEBUG)
    with CentralClient(
        URL, "me@example.org", PASSWORD, transport=httpx.MockTransport(server)
    ) as client:
        assert client.current_user().id == 5
        assert client.current_user().id == 5
        assert PASSWORD not in repr(client)
    paths = [(m, p) for m, p, _ in server.seen]
    assert paths == [
        ("POST", "/v1/sessions"),
        ("GET", "/v1/users/current"),
        ("POST", "/v1/sessions"),
        ("GET", "/v1/users/current"),
        ("GET", "/v1/users/current"),
        ("DELETE", "/v1/sessions/current"),
    ]
    assert server.seen[-1][2] == f"Bearer {TOKEN[:-1]}2"
    assert TOKEN[:-1] not in caplog.text
    assert PASSWORD not in caplog.text


def test_basic_auth_over_https_needs_no_session() -> None:
    server = Server()
    transport = httpx.MockTransport(server)
    with CentralClient(
        URL, "me@example.org", PASSWORD, auth="basic", transport=transport
    ) as client:
        client.current_user()
    assert [(m, p) for m, p, _ in server.seen] == [("GET", "/v1/users/current")]
    assert (server.seen[0][2] or "").startswith("Basic ")
