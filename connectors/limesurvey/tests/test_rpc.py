"""The RemoteControl client over httpx.MockTransport, fed replies captured from LimeSurvey 6.14.

``data/replies`` holds the server's own bytes: a wrong password, the lock-out,
an invalid session key, malformed JSON (``result: null`` with an ``error``),
an unknown method (HTTP 500 HTML page) and JSON-RPC switched off (HTTP 200,
empty body).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from coprod_connectors.errors import (
    ApiDisabledError,
    AuthenticationError,
    LockedOutError,
    NotFoundError,
    PermissionDeniedError,
    PlatformError,
    RateLimitedError,
    UnavailableError,
)
from coprod_limesurvey.rpc import POLICY, USER_AGENT, NoDataError, RemoteControl, endpoint_url

URL = "https://survey.example.org"
KEY = "k" * 32
Handler = Callable[[str, list[Any]], httpx.Response]


def ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"id": 1, "result": result, "error": None})


def status(text: str) -> httpx.Response:
    return ok({"status": text})


class Server:
    """A scripted LimeSurvey: ``replies[method]`` is a list of replies, used in turn."""

    def __init__(self, replies: dict[str, list[httpx.Response | Exception]]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, list[Any]]] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        self.calls.append((payload["method"], payload["params"]))
        self.headers.append(request.headers)
        queue = self.replies.get(payload["method"])
        if not queue:
            return ok("OK")
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]


def client(server: Server, **kwargs: Any) -> RemoteControl:
    return RemoteControl(
        URL,
        "admin",
        "secret",
        transport=httpx.MockTransport(server),
        sleep=lambda _: None,
        **kwargs,
    )


def login_ok(**more: list[httpx.Response | Exception]) -> Server:
    return Server({"get_session_key": [ok(KEY)], **more})


def test_session_is_released_even_when_the_block_fails() -> None:
    server = login_ok()

    def use() -> None:
        with client(server) as rc:
            rc.call("list_surveys")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        use()
    assert server.methods() == ["get_session_key", "list_surveys", "release_session_key"]
    assert server.calls[-1][1] == [KEY]


def test_calls_send_the_key_first_json_and_a_versioned_user_agent() -> None:
    server = login_ok(list_surveys=[ok([{"sid": 1, "surveyls_title": "x", "active": "Y"}])])
    with client(server) as rc:
        assert rc.call("list_surveys") == [{"sid": 1, "surveyls_title": "x", "active": "Y"}]
    assert server.calls[1] == ("list_surveys", [KEY])
    assert server.calls[0] == ("get_session_key", ["admin", "secret"])
    headers = server.headers[1]
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("coprod-connectors/")


def test_status_ok_is_success() -> None:
    with client(login_ok(activate_survey=[status("OK")])) as rc:
        assert rc.call("activate_survey", 1) == {"status": "OK"}


def test_left_to_send_is_success() -> None:
    reply = ok({"1": {"email": "a@example.com", "status": "OK"}, "status": "0 left to send"})
    with client(login_ok(invite_participants=[reply])) as rc:
        assert rc.call("invite_participants", 1)["status"] == "0 left to send"


def test_wrong_password_is_an_authentication_error_and_never_retried(reply: Any) -> None:
    server = Server(
        {"get_session_key": [httpx.Response(200, content=reply("wrong_password.json"))]}
    )
    with pytest.raises(AuthenticationError) as caught, client(server, retries=5):
        pass
    assert not isinstance(caught.value, LockedOutError)
    assert caught.value.platform_message == "Invalid user name or password"
    assert server.methods() == ["get_session_key"]
    assert "secret" not in str(caught.value)


def test_lock_out_says_so_and_is_never_retried(reply: Any) -> None:
    server = Server({"get_session_key": [httpx.Response(200, content=reply("locked_out.json"))]})
    with pytest.raises(LockedOutError) as caught, client(server, retries=5):
        pass
    assert "locked" in caught.value.message
    assert "never retries" in (caught.value.hint or "")
    assert "maximum login attempts" in (caught.value.platform_message or "")
    assert server.methods() == ["get_session_key"]


def test_invalid_session_key_logs_in_again_once(reply: Any) -> None:
    expired = httpx.Response(200, content=reply("invalid_session_key.json"))
    server = Server(
        {
            "get_session_key": [ok(KEY), ok("n" * 32)],
            "add_response": [expired, ok(7)],
        }
    )
    with client(server) as rc:
        assert rc.call("add_response", 1, {"x": "y"}) == 7
    assert server.methods() == [
        "get_session_key",
        "add_response",
        "get_session_key",
        "add_response",
        "release_session_key",
    ]
    assert server.calls[3][1][0] == "n" * 32


def test_invalid_session_key_twice_gives_up(reply: Any) -> None:
    expired = httpx.Response(200, content=reply("invalid_session_key.json"))
    server = login_ok(list_surveys=[expired])
    with pytest.raises(PlatformError) as caught, client(server) as rc:
        rc.call("list_surveys")
    assert caught.value.platform_message == "Invalid session key"
    assert server.methods().count("get_session_key") == 2
    assert KEY not in str(caught.value)


def test_result_null_with_error_string(reply: Any) -> None:
    bad = httpx.Response(200, content=reply("malformed_json.json"))
    with pytest.raises(PlatformError) as caught, client(login_ok(list_surveys=[bad])) as rc:
        rc.call("list_surveys")
    assert caught.value.platform_message == "unable to decode malformed json"
    assert type(caught.value) is PlatformError


def test_empty_body_means_json_rpc_is_switched_off(reply: Any) -> None:
    empty = httpx.Response(200, content=reply("rpc_disabled_empty.txt"))
    with pytest.raises(ApiDisabledError) as caught, client(Server({"get_session_key": [empty]})):
        pass
    assert "Global settings > Interfaces" in (caught.value.hint or "")
    assert "JSON-RPC" in (caught.value.hint or "")


def test_html_500_page_is_unavailable_and_keeps_the_server_words(reply: Any) -> None:
    page = httpx.Response(
        500, content=reply("unknown_method_500.html"), headers={"content-type": "text/html"}
    )
    server = login_ok(get_summary=[page])
    with pytest.raises(UnavailableError) as caught, client(server) as rc:
        rc.call("get_summary", 1)
    assert caught.value.status_code == 500
    assert "does not have a method" in (caught.value.platform_message or "")
    assert "<" not in (caught.value.platform_message or "")
    # a 500 is not a passing hiccup: not retried, even for a read
    assert server.methods().count("get_summary") == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("No permission", PermissionDeniedError),
        ("Error: Invalid survey ID", NotFoundError),
        ("Invalid surveyid", NotFoundError),
        ("No Data, could not get max id.", NoDataError),
        ("No Data, survey table does not exist.", NoDataError),
        ("Error: No candidate tokens", NoDataError),
        ("Error: Survey does not pass consistency check", PlatformError),
    ],
)
def test_status_replies_map_to_core_errors(text: str, error: type[PlatformError]) -> None:
    with pytest.raises(error) as caught, client(login_ok(get_summary=[status(text)])) as rc:
        rc.call("get_summary", 1)
    assert caught.value.platform_message == text
    assert type(caught.value) is error


def test_reads_are_retried_with_backoff_on_timeouts_and_gateway_errors() -> None:
    delays: list[float] = []
    server = login_ok(
        export_responses=[
            httpx.ReadTimeout("slow"),
            httpx.Response(503, text="<html>busy</html>"),
            ok("e30="),
        ]
    )
    rc = RemoteControl(
        URL,
        "admin",
        "secret",
        transport=httpx.MockTransport(server),
        sleep=delays.append,
        policy=POLICY.with_(random=lambda: 1.0),  # the jitter at its ceiling
    )
    with rc:
        assert rc.call("export_responses", 1, "json") == "e30="
    assert server.methods().count("export_responses") == 3
    assert delays == [POLICY.backoff, 2 * POLICY.backoff]


def test_retries_are_bounded() -> None:
    server = login_ok(get_summary=[httpx.ConnectError("refused")])
    with pytest.raises(UnavailableError), client(server, retries=2) as rc:
        rc.call("get_summary", 1)
    assert server.methods().count("get_summary") == 3


def test_writes_are_never_retried() -> None:
    server = login_ok(add_response=[httpx.ReadTimeout("slow"), ok(1)])
    with pytest.raises(UnavailableError) as caught, client(server) as rc:
        rc.call("add_response", 1, {})
    assert "in time" in caught.value.message
    assert server.methods().count("add_response") == 1


def test_login_is_never_retried() -> None:
    server = Server({"get_session_key": [httpx.ReadTimeout("slow"), ok(KEY)]})
    with pytest.raises(UnavailableError), client(server):
        pass
    assert server.methods() == ["get_session_key"]


def test_connection_refused_is_unavailable() -> None:
    server = Server({"get_session_key": [httpx.ConnectError("refused")]})
    with pytest.raises(UnavailableError) as caught, client(server):
        pass
    assert "could not reach" in caught.value.message


def test_wrong_url_is_not_found() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="<html><title>Not Found</title></html>")

    rc = RemoteControl(URL, "admin", "secret", transport=httpx.MockTransport(handler))
    with pytest.raises(NotFoundError) as caught, rc:
        pass
    assert "url" in (caught.value.hint or "")


def test_release_failure_is_only_logged() -> None:
    server = login_ok(release_session_key=[httpx.Response(500, text="<html>oops</html>")])
    with client(server) as rc:
        rc.call("list_surveys")


def test_repr_hides_key_and_password() -> None:
    server = login_ok()
    with client(server) as rc:
        text = repr(rc)
    assert KEY not in text
    assert "secret" not in text


def test_endpoint_url() -> None:
    assert endpoint_url("https://x.org/") == "https://x.org/index.php/admin/remotecontrol"
    assert endpoint_url("https://x.org/ls/index.php/admin/remotecontrol") == (
        "https://x.org/ls/index.php/admin/remotecontrol"
    )


class Trickle(httpx.SyncByteStream):
    """A reply sent a byte every (fake) second: the read timeout never fires."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.clock[0] += 1.0
            yield b" "


def test_a_hostile_server_costs_under_a_minute_in_all() -> None:
    """Login answered, then every other call trickles, release_session_key included."""
    clock = [0.0]

    def server(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["method"] == "get_session_key":
            return ok(KEY)
        return httpx.Response(200, stream=Trickle(clock))

    policy = POLICY.with_(
        clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s)
    )
    rc = RemoteControl(URL, "admin", "secret", transport=httpx.MockTransport(server), policy=policy)
    with pytest.raises(UnavailableError, match="no answer in time from LimeSurvey"), rc:
        rc.call("export_responses", 1, "json")
    assert clock[0] < 60  # the call's deadline, then a short one to release the key


def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    waits: list[float] = []
    slow = httpx.Response(429, headers={"Retry-After": "50"}, text="Too Many Requests")
    server = login_ok(get_summary=[slow])
    rc = RemoteControl(
        URL, "admin", "secret", transport=httpx.MockTransport(server), sleep=waits.append
    )
    with pytest.raises(RateLimitedError) as caught, rc:
        rc.call("get_summary", 1)
    assert caught.value.retry_after == 50.0
    assert waits == []
    assert server.methods().count("get_summary") == 1
