"""The core's HTTP policy over httpx.MockTransport with a fake clock: nothing here sleeps."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

import coprod_connectors
from coprod_connectors import (
    ConfigError,
    HttpPolicy,
    TimedOutError,
    TransientReplyError,
    UnavailableError,
    error_page_text,
    integer_cursor,
    prefetch,
    user_agent,
)
from coprod_connectors.connectors.http import strip_markup

URL = "https://survey.example.org/api/thing"
Handler = Callable[[httpx.Request], httpx.Response]


class Clock:
    """Time that passes only when something sleeps or a fake server takes its time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.slept.append(seconds)
        self.now += seconds


def policy_with(clock: Clock, **changes: Any) -> HttpPolicy:
    # jitter at its ceiling, so each wait is the back-off's bound
    defaults: dict[str, Any] = {"clock": clock, "sleep": clock.sleep, "random": lambda: 1.0}
    return HttpPolicy(name="Testplatform", **{**defaults, **changes})


class Server:
    """Answers with ``handler`` and counts the requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def call(
    policy: HttpPolicy, handler: Handler, method: str = "GET", **kwargs: Any
) -> tuple[httpx.Response, Server]:
    server = Server(handler)
    with policy.client(transport=httpx.MockTransport(server)) as client:
        return policy.send(client, method, URL, **kwargs), server


# --- the client ------------------------------------------------------------------------


def test_the_client_has_a_versioned_user_agent_and_explicit_timeouts() -> None:
    policy = HttpPolicy(user_agent=user_agent("coprod-connectors-limesurvey"))
    assert policy.user_agent.startswith(f"coprod-connectors/{coprod_connectors.__version__} ")
    assert "coprod-connectors-limesurvey/" in policy.user_agent
    seen: list[httpx.Request] = []
    response, _ = call(policy, lambda r: seen.append(r) or httpx.Response(200, json={}))
    assert seen[0].headers["user-agent"] == policy.user_agent
    timeout = seen[0].extensions["timeout"]
    assert all(timeout[k] is not None for k in ("connect", "read", "write", "pool"))
    assert response.json() == {}
    with policy.client() as client:
        assert client.follow_redirects is False


def test_the_policy_is_frozen_and_overridable() -> None:
    policy = HttpPolicy()
    with pytest.raises(AttributeError):
        policy.max_retries = 9  # type: ignore[misc]
    changed = policy.with_(max_retries=1, retry_statuses=policy.retry_statuses | {500})
    assert (changed.max_retries, policy.max_retries) == (1, 3)
    assert 500 in changed.retry_statuses
    assert 500 not in policy.retry_statuses
    # whatever a connector changes, one call on a hostile server stays under a minute
    assert policy.deadline < 60
    assert policy.max_retry_after <= 10


# --- retries -----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "attempts"), [(429, 4), (502, 4), (503, 4), (504, 4)])
def test_a_safe_call_is_asked_again_after_a_passing_failure(status: int, attempts: int) -> None:
    clock = Clock()
    response, server = call(policy_with(clock), lambda r: httpx.Response(status))
    assert len(server.requests) == attempts == 1 + HttpPolicy().max_retries
    assert response.status_code == status  # handed to the connector to map
    assert clock.slept == [1.0, 2.0, 4.0]  # exponential, under the jitter's ceiling


@pytest.mark.parametrize("status", [200, 201, 204, 400, 401, 403, 404, 409, 500])
def test_other_statuses_are_answered_at_once(status: int) -> None:
    clock = Clock()
    response, server = call(policy_with(clock), lambda r: httpx.Response(status))
    assert (response.status_code, len(server.requests), clock.slept) == (status, 1, [])


def test_a_connector_may_add_500_to_what_is_retried() -> None:
    clock = Clock()
    policy = policy_with(clock, retry_statuses=HttpPolicy().retry_statuses | {500})
    _, server = call(policy, lambda r: httpx.Response(500))
    assert len(server.requests) == 4


def test_success_after_a_failure() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, text="ok")])
    clock = Clock()
    response, server = call(policy_with(clock), lambda r: next(answers))
    assert (response.text, len(server.requests)) == ("ok", 2)


def test_the_jitter_is_full_and_capped() -> None:
    policy = HttpPolicy(random=lambda: 0.5, backoff=1.0, max_backoff=8.0)
    assert [policy.backoff_delay(n) for n in (1, 2, 3, 4, 5, 6)] == [0.5, 1, 2, 4, 4, 4]
    assert HttpPolicy(random=lambda: 0.0).backoff_delay(3) == 0.0


def _raise(exc: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)

    return handler


@pytest.mark.parametrize(
    ("exc", "retry", "attempts", "error"),
    [
        (httpx.ConnectError, "safe", 4, UnavailableError),
        (httpx.ConnectError, "unsent", 4, UnavailableError),  # it never reached the server
        (httpx.ConnectError, "never", 1, UnavailableError),
        (httpx.ConnectTimeout, "unsent", 4, TimedOutError),
        (httpx.ReadTimeout, "safe", 4, TimedOutError),
        (httpx.ReadTimeout, "unsent", 1, TimedOutError),  # it may have been done
        (httpx.ReadError, "safe", 4, UnavailableError),
        (httpx.RemoteProtocolError, "unsent", 1, UnavailableError),
        (httpx.ReadTimeout, "never", 1, TimedOutError),
    ],
)
def test_transport_failures(
    exc: type[httpx.TransportError], retry: Any, attempts: int, error: type[Exception]
) -> None:
    server = Server(_raise(exc))
    policy = policy_with(Clock())
    with (
        policy.client(transport=httpx.MockTransport(server)) as client,
        pytest.raises(error) as caught,
    ):
        policy.send(client, "POST", URL, retry=retry, what="the thing")
    assert len(server.requests) == attempts
    message = str(caught.value)
    assert "\n" not in message
    assert "Testplatform at https://survey.example.org" in message
    assert caught.value.hint  # what to do


def test_unsafe_calls_are_never_retried_after_an_answer() -> None:
    for status in (429, 502, 503, 504):
        clock = Clock()
        response, server = call(
            policy_with(clock),
            lambda r, s=status: httpx.Response(s, headers={"Retry-After": "1"}),
            method="POST",
        )
        assert (response.status_code, len(server.requests), clock.slept) == (status, 1, [])
    # a GET the connector marks as not to be repeated, e.g. a login
    _, server = call(policy_with(Clock()), lambda r: httpx.Response(503), retry="never")
    assert len(server.requests) == 1


def test_a_post_marked_safe_is_retried() -> None:
    _, server = call(policy_with(Clock()), lambda r: httpx.Response(502), "POST", retry="safe")
    assert len(server.requests) == 4


def test_a_reply_the_connector_finds_cut_short_is_asked_again_if_safe() -> None:
    answers = iter([b'{"resu', b'{"result": 1}'])
    server = Server(lambda r: httpx.Response(200, content=next(answers)))

    def parse(response: httpx.Response) -> Any:
        if not response.content.endswith(b"}"):
            raise TransientReplyError("cut short")
        return response.json()

    policy = policy_with(Clock())
    with policy.client(transport=httpx.MockTransport(server)) as client:
        assert policy.call(client, "GET", URL, parse=parse) == {"result": 1}
        server.handler = lambda r: httpx.Response(200, content=b'{"resu')
        with pytest.raises(TransientReplyError):
            policy.call(client, "POST", URL, parse=parse)
    assert len(server.requests) == 3


def test_attempts_are_counted() -> None:
    counted: list[int] = []
    call(policy_with(Clock()), lambda r: httpx.Response(503), on_attempt=lambda: counted.append(1))
    assert len(counted) == 4


# --- Retry-After -----------------------------------------------------------------------------


def test_retry_after_within_the_cap_is_waited() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)])
    clock = Clock()
    response, _ = call(policy_with(clock), lambda r: next(answers))
    assert (response.status_code, clock.slept) == (200, [7.0])


@pytest.mark.parametrize("asked", ["50", "3600", "11", "99999999999999999999"])
def test_retry_after_beyond_the_cap_is_never_waited_for(asked: str) -> None:
    clock = Clock()
    response, server = call(
        policy_with(clock), lambda r: httpx.Response(429, headers={"Retry-After": asked})
    )
    # the connector's mapping says how long the server asked for; we do not wait
    assert (response.status_code, len(server.requests), clock.slept) == (429, 1, [])


def test_retry_after_as_an_http_date() -> None:
    clock = Clock()
    wall = 1_700_000_000.0

    def asking(seconds: float) -> httpx.Response:
        when = datetime.fromtimestamp(wall + seconds, tz=timezone.utc)
        return httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)})

    policy = policy_with(clock, now=lambda: wall)
    answers = iter([asking(5), asking(-30), httpx.Response(200)])
    response, _ = call(policy, lambda r: next(answers))
    assert (response.status_code, clock.slept) == (200, [5.0, 0.0])
    response, server = call(policy, lambda r: asking(50))
    assert (len(server.requests), clock.slept) == (1, [5.0, 0.0])  # 50 s: not waited


@pytest.mark.parametrize("junk", ["soon", "-5", "1e9", "Wed, 99 Foo", "\x1b[2J", ""])
def test_a_retry_after_that_is_not_one_falls_back_to_the_back_off(junk: str) -> None:
    clock = Clock()
    _, server = call(
        policy_with(clock), lambda r: httpx.Response(503, headers={"Retry-After": junk})
    )
    assert len(server.requests) == 4
    assert clock.slept == [1.0, 2.0, 4.0]


# --- everything bounded ----------------------------------------------------------------------


def _took(policy: HttpPolicy, clock: Clock, handler: Handler, **kwargs: Any) -> float:
    start = clock.now
    with (
        policy.client(transport=httpx.MockTransport(handler)) as client,
        pytest.raises(UnavailableError),
    ):
        policy.call(client, "GET", URL, parse=_refuse, **kwargs)
    return clock.now - start


def _refuse(response: httpx.Response) -> Any:
    if response.is_success:
        return response
    raise UnavailableError(f"HTTP {response.status_code}")


@pytest.mark.parametrize("retries", [3, 10, 1000])
def test_the_total_wait_on_a_hostile_server_is_under_a_minute(retries: int) -> None:
    clock = Clock()
    policy = policy_with(clock, max_retries=retries)

    def slow_no(request: httpx.Request) -> httpx.Response:
        clock.now += 9.0  # nine seconds to say "come back in ten"
        return httpx.Response(503, headers={"Retry-After": "10"})

    took = _took(policy, clock, slow_no)
    assert took < 60
    assert sum(clock.slept) <= policy.max_total_wait


def test_a_dead_server_that_never_connects_is_given_up_on_within_the_deadline() -> None:
    clock = Clock()
    policy = policy_with(clock, max_retries=50)
    budgets: list[float] = []

    def blackhole(request: httpx.Request) -> httpx.Response:
        connect = request.extensions["timeout"]["connect"]
        budgets.append(connect)
        clock.now += connect
        raise httpx.ConnectTimeout("timed out", request=request)

    took = _took(policy, clock, blackhole)
    assert took <= policy.deadline < 60
    # each attempt's own timeouts shrink to what is left of the deadline
    assert all(b <= policy.timeout.connect for b in budgets if policy.timeout.connect)


def test_a_call_given_its_own_deadline() -> None:
    clock = Clock()
    took = _took(policy_with(clock), clock, lambda r: httpx.Response(503), deadline=2.5)
    assert took <= 2.5


class Trickle(httpx.SyncByteStream):
    """A body sent one byte at a time, ``every`` seconds apart: it never ends."""

    def __init__(self, clock: Clock | None, every: float) -> None:
        self.clock = clock
        self.every = every
        self.sent = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            if self.clock is not None:
                self.clock.now += self.every
            else:
                threading.Event().wait(self.every)
            self.sent += 1
            yield b"x"

    def close(self) -> None:
        self.closed = True


def test_a_trickling_body_is_cut_off_at_the_deadline() -> None:
    clock = Clock()
    policy = policy_with(clock)
    trickle = Trickle(clock, every=3.0)  # well inside any read timeout
    server = Server(lambda r: httpx.Response(200, stream=trickle))
    start = clock.now
    with (
        policy.client(transport=httpx.MockTransport(server)) as client,
        pytest.raises(TimedOutError, match="no answer in time from Testplatform") as caught,
    ):
        policy.send(client, "GET", URL)
    assert clock.now - start <= policy.deadline + trickle.every
    assert len(server.requests) == 1  # the deadline is spent: no second attempt
    assert trickle.closed
    assert f"{policy.deadline:.0f} s" in caught.value.message


def test_a_trickling_body_is_cut_off_in_real_time_too() -> None:
    policy = HttpPolicy(deadline=0.2)
    trickle = Trickle(None, every=0.02)
    with (
        policy.client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, stream=trickle))
        ) as client,
        pytest.raises(TimedOutError),
    ):
        policy.send(client, "GET", URL)
    assert trickle.sent < 100  # stopped at the deadline, not at the end of a body that has none


class GoesSilent:
    """A real server on 127.0.0.1: a few bytes of body, then nothing until released."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.release = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            while b"\r\n\r\n" not in conn.recv(65536):
                pass
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(8):  # a trickle for 0.8 s, then silence
                conn.sendall(b"x")
                if self.release.wait(0.1):
                    return
            self.release.wait(30)

    def close(self) -> None:
        self.release.set()
        self.thread.join(5)
        self.listener.close()


def test_a_read_blocked_on_a_silent_server_ends_at_the_deadline() -> None:
    server = GoesSilent()
    policy = HttpPolicy(deadline=1.0)
    try:
        with policy.client() as client, pytest.raises(TimedOutError) as caught:
            policy.send(client, "GET", f"http://127.0.0.1:{server.port}/")
        # the watchdog shut the socket at the deadline (1 s): the blocked read ended with
        # the connection, not with the read timeout (due 1 s after the last byte, at 1.8 s)
        how = caught.value.__context__.__context__ if caught.value.__context__ else None
        assert isinstance(how, httpx.TransportError)
        assert not isinstance(how, httpx.TimeoutException), how
    finally:
        server.close()


# --- error pages -----------------------------------------------------------------------------


class Counted(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.taken = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.taken += 1
            yield chunk


def hostile_page(size: int) -> bytes:
    """An HTML error page built to make a backtracking tag stripper take minutes."""
    unit = "<script <style <b <!-- &amp; \x1b]0;pwned\x07 x" * 8
    body = "<html><head><title>500 Internal Server Error</title></head><body>Boom: "
    return (body + unit * (size // len(unit))).encode()


def test_a_huge_error_page_is_read_only_up_to_the_cap() -> None:
    page = hostile_page(540 * 1024)
    stream = Counted([page[i : i + 4096] for i in range(0, len(page), 4096)])
    policy = policy_with(Clock())
    response, _ = call(
        policy, lambda r: httpx.Response(500, stream=stream, headers={"content-type": "text/html"})
    )
    assert len(response.content) == policy.max_error_body
    assert stream.taken <= policy.max_error_body // 4096 + 1  # the rest was never read
    text = error_page_text(response)
    assert text.startswith("500 Internal Server Error Boom:")
    assert len(text) <= 300
    assert "\x1b" not in text
    assert "\x07" not in text


def test_stripping_markup_takes_one_pass_whatever_the_page() -> None:
    # pages that make `<(script|style)\b.*?</\1>` and friends backtrack for minutes
    for page in (
        "<script" * 200_000,
        "<" * 1_000_000,
        "<!--" * 200_000,
        "<style>" + "a" * 1_000_000,
        "<b" + " x=1" * 250_000,
    ):
        assert len(strip_markup(page)) <= len(page) * 2


def test_error_page_text() -> None:
    page = (
        b"<html><head><title>Oops</title><style>p{color:red}</style>"
        b"<script>alert(1)</script></head><body><!-- hidden --><p>Unknown &amp; gone</p>"
        b"</body></html>"
    )
    assert error_page_text(page) == "Oops Unknown & gone"
    assert (
        error_page_text(b"plain \xff\xfe text\r\n\x1b[2Jagain")
        == "plain \ufffd\ufffd text [2Jagain"
    )
    assert error_page_text(b"x" * 1000, limit=10) == "x" * 10
    assert error_page_text(httpx.Response(500, text="caf\u00e9")) == "caf\u00e9"


def test_a_success_body_is_whole_and_decoded() -> None:
    import gzip

    body = b'{"a": 1}' * 10_000
    response, _ = call(
        policy_with(Clock()),
        lambda r: httpx.Response(
            200, content=gzip.compress(body), headers={"Content-Encoding": "gzip"}
        ),
    )
    assert response.content == body


# --- downloads -------------------------------------------------------------------------------


def test_a_download_streams_and_a_trickle_is_cut_off() -> None:
    clock = Clock()
    policy = policy_with(clock)
    got: list[bytes] = []
    with policy.client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"abc" * 1000))
    ) as client:
        assert policy.download(client, URL, got.append, check=lambda r: None) == 3000
    assert b"".join(got) == b"abc" * 1000

    trickle = Trickle(clock, every=3.0)
    with (
        policy.client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, stream=trickle))
        ) as client,
        pytest.raises(TimedOutError),
    ):
        policy.download(client, URL, got.append, check=lambda r: None)
    assert trickle.sent * trickle.every <= policy.deadline + 3 * trickle.every

    def refuse(response: httpx.Response) -> None:
        raise UnavailableError(f"HTTP {response.status_code}: {len(response.content)}")

    huge = hostile_page(2_000_000)
    with (
        policy.client(
            transport=httpx.MockTransport(lambda r: httpx.Response(404, content=huge))
        ) as client,
        pytest.raises(UnavailableError, match=f"HTTP 404: {policy.max_error_body}$"),
    ):
        policy.download(client, URL, got.append, check=refuse)


# --- prefetching -----------------------------------------------------------------------------


def test_prefetch_keeps_the_order() -> None:
    assert list(prefetch(iter(range(100)))) == list(range(100))
    assert list(prefetch(iter([]))) == []


def test_prefetch_makes_at_most_one_item_ahead() -> None:
    made: list[int] = []
    lock = threading.Lock()

    def pages() -> Iterator[int]:
        for n in range(20):
            with lock:
                made.append(n)
            yield n

    for taken, item in enumerate(prefetch(pages()), start=1):
        assert item == taken - 1
        threading.Event().wait(0.002)  # let the helper run as far as it may
        with lock:
            assert len(made) <= taken + 1


def test_prefetch_hands_over_an_exception_after_the_items_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise UnavailableError("page 3 failed")

    got: list[int] = []
    with pytest.raises(UnavailableError, match="page 3 failed"):
        got.extend(prefetch(pages()))
    assert got == [1, 2]


def test_prefetch_stops_its_helper_and_closes_the_source_when_closed_early() -> None:
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    with closing(prefetch(pages(), name="test-prefetch")) as source:
        assert next(source) == 1
        assert next(source) == 2
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "test-prefetch"]


def test_prefetch_cleans_up_when_the_consumer_fails() -> None:
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            yield from range(10)
        finally:
            closed.set()

    def consume() -> None:
        with closing(prefetch(pages(), name="test-prefetch-2")) as source:
            for n in source:
                if n == 3:
                    raise RuntimeError("the store failed")

    with pytest.raises(RuntimeError):
        consume()
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "test-prefetch-2"]


# --- cursors ---------------------------------------------------------------------------------


def test_integer_cursors() -> None:
    assert integer_cursor(None, platform="X", unit="an id") is None
    assert integer_cursor("42", platform="X", unit="an id") == 42
    assert integer_cursor(" 7 ", platform="X", unit="an id") == 7
    for bad in ("", "abc", "-1", "1e3", "4.5", "\u0661\u0662", "9" * 40, "1\x1b[2J"):
        with pytest.raises(ConfigError, match="not a X cursor") as caught:
            integer_cursor(bad, platform="X", unit="an id")
        assert "\x1b" not in str(caught.value)
        assert "--full" in str(caught.value)


def test_the_policy_is_exported_from_the_top_level() -> None:
    for name in (
        "HttpPolicy",
        "Retry",
        "TimedOutError",
        "TransientReplyError",
        "error_page_text",
        "integer_cursor",
        "prefetch",
        "printable",
        "retry_after",
        "user_agent",
    ):
        assert name in coprod_connectors.__all__
        assert getattr(coprod_connectors, name) is not None
