"""The KPI client over httpx.MockTransport: auth, paging, retries and every failure mapping."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from coprod_connectors.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    PlatformError,
    RateLimitedError,
    UnavailableError,
)
from coprod_kobotoolbox.client import (
    MAX_PAGE_SIZE,
    POLICY,
    USER_AGENT,
    KpiClient,
    TokenAuth,
    capped_next,
    server_url,
)

BASE = "https://kpi.example.org"
Handler = Callable[[httpx.Request], httpx.Response]


def make(handler: Handler, **kwargs: Any) -> tuple[KpiClient, list[float]]:
    slept: list[float] = []
    # the jitter at its ceiling, so the waits are the back-off's bounds
    policy = POLICY.with_(sleep=slept.append, random=lambda: 1.0)
    client = KpiClient(
        BASE, "s3cret", transport=httpx.MockTransport(handler), policy=policy, **kwargs
    )
    return client, slept


def test_server_urls() -> None:
    assert server_url("kf") == "https://kf.kobotoolbox.org"
    assert server_url("EU") == "https://eu.kobotoolbox.org"
    assert server_url("https://kobo.example.org/") == "https://kobo.example.org"
    assert server_url("https://kobo.example.org/api/v2/") == "https://kobo.example.org"
    with pytest.raises(ConfigError, match="not a KoboToolbox server"):
        server_url("kobo.example.org")


def test_token_auth_headers_and_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client, _ = make(handler)
    assert client.get("/api/v2/assets/") == {"ok": True}
    request = seen[0]
    assert request.headers["Authorization"] == "Token s3cret"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("coprod-connectors/")
    assert "s3cret" not in repr(TokenAuth("s3cret"))
    assert "s3cret" not in repr(client)
    timeout = client._client.timeout
    assert timeout.read is not None
    assert timeout.connect is not None


def _page(url: httpx.URL, total: int) -> httpx.Response:
    query = parse_qs(url.query.decode())
    limit = int(query["limit"][0])
    start = int(query.get("start", ["0"])[0])
    results = [{"_id": i} for i in range(start, min(start + limit, total))]
    following = None
    if start + limit < total:
        following = f"http://internal:8000{url.path}?limit={limit}&start={start + limit}"
    return httpx.Response(200, json={"count": total, "next": following, "results": results})


def test_pages_follow_next_on_the_same_server_and_cap_the_page_size() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        assert request.headers["Authorization"] == "Token s3cret"
        return _page(request.url, 2500)

    client, _ = make(handler)
    pages = list(client.pages("/api/v2/assets/x/data/", {"format": "json"}, page_size=5000))
    assert [len(p) for p in pages] == [1000, 1000, 500]
    assert [r["_id"] for p in pages for r in p] == list(range(2500))
    # the proxy's internal host in `next` is never contacted: the token stays on BASE
    assert {u.host for u in seen} == {"kpi.example.org"}
    assert all(int(parse_qs(u.query.decode())["limit"][0]) <= MAX_PAGE_SIZE for u in seen)
    assert client.requests == 3


def test_a_next_link_asking_for_more_than_the_cap_is_capped() -> None:
    capped = capped_next("https://x/api/v2/assets/a/data/?limit=30000&start=10")
    assert parse_qs(urlsplit(capped).query) == {"limit": ["1000"], "start": ["10"]}
    same = "https://x/?start=10"
    assert capped_next(same) == same


def test_429_waits_for_retry_after_then_succeeds() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "slow down"}),
            httpx.Response(429, json={"detail": "slow down"}),
            httpx.Response(200, json={"ok": 1}),
        ]
    )
    client, slept = make(lambda request: next(answers))
    assert client.get("/api/v2/assets/") == {"ok": 1}
    assert slept == [7.0, 2.0]


def test_429_retries_are_bounded() -> None:
    client, slept = make(
        lambda request: httpx.Response(
            429, headers={"Retry-After": "1"}, json={"detail": "Request was throttled."}
        ),
        max_retries=2,
    )
    with pytest.raises(RateLimitedError) as info:
        client.get("/api/v2/assets/")
    assert slept == [1.0, 1.0]
    assert info.value.retry_after == 1.0
    assert info.value.platform_message == "Request was throttled."


def test_a_retry_after_too_long_is_not_waited_for() -> None:
    client, slept = make(
        lambda request: httpx.Response(429, headers={"Retry-After": "3600"}, json={})
    )
    with pytest.raises(RateLimitedError, match="slow down") as info:
        client.get("/api/v2/assets/")
    assert slept == []
    assert info.value.retry_after == 3600.0


def test_retry_after_as_an_http_date() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            httpx.Response(200, json={}),
        ]
    )
    client, slept = make(lambda request: next(answers))
    client.get("/api/v2/assets/")
    assert slept == [0.0]


def test_5xx_and_dropped_connections_are_retried_for_get_only() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.ReadTimeout("slow", request=request)
        if len(calls) == 2:
            return httpx.Response(502, text="Bad gateway")
        return httpx.Response(200, json={"ok": True})

    client, slept = make(handler)
    assert client.get("/api/v2/assets/") == {"ok": True}
    assert slept == [1.0, 2.0]

    posts: list[str] = []

    def fail(request: httpx.Request) -> httpx.Response:
        posts.append(request.method)
        return httpx.Response(503, json={"detail": "down"})

    client, slept = make(fail)
    with pytest.raises(UnavailableError, match="HTTP 503"):
        client.json("POST", "/api/v2/assets/", json={})
    assert posts == ["POST"]
    assert slept == []

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client, slept = make(timeout)
    with pytest.raises(UnavailableError, match="no answer"):
        client.json("POST", "/api/v2/assets/", json={})
    assert slept == []


def test_a_post_that_never_connected_is_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"uid": "a1"})

    client, _ = make(handler)
    assert client.json("POST", "/api/v2/assets/", json={}) == {"uid": "a1"}


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (401, {"detail": "Invalid token."}, AuthenticationError, "Account settings > Security"),
        (403, {"detail": "You do not have permission."}, PermissionDeniedError, "share it"),
        (404, {"detail": "Not found."}, NotFoundError, "has no"),
        (400, {"content": ["bad survey"], "name": ["required"]}, PlatformError, "bad survey"),
        (418, {"detail": "teapot"}, PlatformError, "HTTP 418"),
        (500, {"detail": "boom"}, UnavailableError, "try again later"),
    ],
)
def test_failures_map_to_the_core_exceptions(
    status: int, body: dict[str, Any], error: type[PlatformError], text: str
) -> None:
    client, _ = make(lambda request: httpx.Response(status, json=body), max_retries=0)
    with pytest.raises(error) as info:
        client.get("/api/v2/assets/abc/")
    assert type(info.value) is error
    assert text in str(info.value)
    assert info.value.status_code == status
    assert info.value.platform_message
    assert "s3cret" not in str(info.value)


def test_400_keeps_the_server_message() -> None:
    body = {"content": ["Invalid survey: duplicate name 'x'"]}
    client, _ = make(lambda request: httpx.Response(400, json=body))
    with pytest.raises(PlatformError) as info:
        client.json("POST", "/api/v2/assets/", json={})
    assert info.value.platform_message == "content: Invalid survey: duplicate name 'x'"


LOGIN_PAGE = "<!DOCTYPE html><html><head><title>KoboToolbox</title></head><body>"
LOGIN_PAGE += '<form action="/accounts/login/">Login</form></body></html>'


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (
            httpx.Response(302, headers={"Location": "/accounts/login/?next=/api/v2/"}),
            AuthenticationError,
            "did not accept the token",
        ),
        (
            httpx.Response(200, html=LOGIN_PAGE),
            AuthenticationError,
            "login page",
        ),
        (
            httpx.Response(
                502, html="<html><head><title>502 Bad Gateway</title></head><body>nginx</body>"
            ),
            UnavailableError,
            r"web page \(HTTP 502\)",
        ),
        (
            httpx.Response(200, html="<html><head><title>My blog</title></head></html>"),
            UnavailableError,
            "not the KoboToolbox API",
        ),
        (
            httpx.Response(200, text="not json", headers={"content-type": "application/json"}),
            UnavailableError,
            "did not answer with JSON",
        ),
    ],
)
def test_html_pages_and_junk_are_not_taken_for_the_api(
    response: httpx.Response, error: type[PlatformError], text: str
) -> None:
    client, _ = make(lambda request: response, max_retries=0)
    with pytest.raises(error, match=text):
        client.get("/api/v2/assets/")


def test_the_html_title_is_kept_as_the_platform_message() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    client, _ = make(lambda request: httpx.Response(502, html=page), max_retries=0)
    with pytest.raises(UnavailableError) as info:
        client.get("/api/v2/assets/")
    assert info.value.platform_message == "502 Bad Gateway"


def test_a_list_that_is_not_a_list_is_an_error() -> None:
    client, _ = make(lambda request: httpx.Response(200, json={"detail": "?"}))
    with pytest.raises(UnavailableError, match="not a list of results"):
        list(client.pages("/api/v2/assets/"))


def test_download_streams_from_the_same_server(tmp_path: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("missing"):
            return httpx.Response(404, json={"detail": "Not found."})
        return httpx.Response(200, content=b"\x89PNG...")

    client, _ = make(handler)
    target = tmp_path / "a.png"
    with target.open("wb") as handle:
        assert client.download("http://elsewhere.example/media/a.png", handle) == 7
    assert target.read_bytes() == b"\x89PNG..."
    assert seen[0].url.host == "kpi.example.org"
    assert seen[0].headers["Authorization"] == "Token s3cret"
    with (tmp_path / "b").open("wb") as handle, pytest.raises(NotFoundError):
        client.download(f"{BASE}/media/missing", handle)


def test_context_manager_closes_the_session() -> None:
    client, _ = make(lambda request: httpx.Response(200, json={}))
    with client as same:
        assert same is client
    assert client._client.is_closed


def test_json_payloads_are_sent_as_json() -> None:
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(204)

    client, _ = make(handler)
    assert client.json("PATCH", "/api/v2/assets/a/", json={"name": "x"}) is None
    assert bodies == [{"name": "x"}]


def test_a_huge_hostile_error_page_is_read_capped_and_shown_on_one_line() -> None:
    unit = "<script <style <b <!-- \x1b]0;pwned\x07 x" * 8
    page = "<html><head><title>500 \x1b[2JInternal error</title></head><body>" + unit * 20_000
    client, _ = make(lambda request: httpx.Response(500, html=page), max_retries=0)
    with pytest.raises(UnavailableError) as info:
        client.get("/api/v2/assets/")
    error = info.value
    assert error.platform_message == "500 [2JInternal error"
    assert "\x1b" not in str(error)
    assert "\n" not in str(error)
