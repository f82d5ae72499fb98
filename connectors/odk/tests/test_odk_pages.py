"""Page sizes of a pull: larger while Central answers fast, smaller when it is slow or fails.

Measured against the real Central v2024.2 (benchmarks/RESULTS.md, issue 15): about
0.15 s a call plus 0.7 to 0.9 ms a submission, so the first page is 1,000 and pages
grow up to 5,000 (which bounds memory)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from coprod_connectors import TimedOutError, UnavailableError
from coprod_odk import OdkCentralConnector
from coprod_odk.client import POLICY, CentralClient
from coprod_odk.submissions import read_submissions
from coprod_testkit.odk_fake import FakeCentral

NO_WAIT = POLICY.with_(sleep=lambda _: None)
URL = "http://fake.example"


class Counting(httpx.BaseTransport):
    """The fake Central, answering ``fail(top)`` instead when that gives a status or raises."""

    def __init__(self, fake: FakeCentral, fail: Callable[[int], int | None] | None = None) -> None:
        self.fake = fake
        self.fail = fail
        self.tops: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        top = request.url.params.get("$top")
        if top is not None:
            self.tops.append(int(top))
            status = self.fail(int(top)) if self.fail else None
            if status is not None:
                return httpx.Response(status, content=b"<html>busy</html>", request=request)
        status, content = self.fake.respond(
            request.method, request.url.raw_path.decode(), dict(request.headers)
        )
        return httpx.Response(status, content=content, request=request)


def clock(steps: Iterator[float]) -> Callable[[], float]:
    """A clock on which each call moves on by the next of ``steps`` seconds."""
    now = [0.0]

    def tick() -> float:
        now[0] += next(steps)
        return now[0]

    return tick


def _read(transport: httpx.BaseTransport, tick: Callable[[], float], **sizes: int) -> list[int]:
    fake = FakeCentral(0)
    with CentralClient(URL, "a@example.org", "pw", transport=transport, policy=NO_WAIT) as client:
        batches = read_submissions(client, 1, fake.form_id, since=None, clock=tick, **sizes)
        return [len(b.rows) for b in batches]


def test_pages_grow_while_central_answers_fast_up_to_the_largest() -> None:
    transport = Counting(FakeCentral(40))
    pages = _read(transport, clock(iter(lambda: 0.1, None)), page_size=2, max_page_size=8)
    assert transport.tops == [2, 4, 8, 8, 8, 8, 8]
    assert pages == [2, 4, 8, 8, 8, 8, 2]


def test_pages_shrink_when_central_is_slow() -> None:
    transport = Counting(FakeCentral(40))
    # each page is timed by two readings: fast, fast, then 12 s each
    steps = iter([0.0, 0.1, 0.0, 0.1, *[0.0, 12.0] * 20])
    _read(transport, clock(steps), page_size=2, max_page_size=8)
    assert transport.tops[:5] == [2, 4, 8, 4, 2]
    assert set(transport.tops[4:]) == {2}


def test_a_page_that_fails_is_asked_for_again_smaller() -> None:
    fake = FakeCentral(30)
    transport = Counting(fake, fail=lambda top: 504 if top > 4 else None)
    pages = _read(transport, clock(iter(lambda: 0.1, None)), page_size=2, max_page_size=16)
    assert sum(pages) == 30
    asked = transport.tops
    # 8 failed (after the policy's retries of a 504), then every page is 4
    failed = asked.count(8)
    assert asked == [2, 4, *[8] * failed, *[4] * (len(asked) - 2 - failed)]


def test_a_page_that_fails_at_the_smallest_size_is_the_pulls_failure() -> None:
    transport = Counting(FakeCentral(30), fail=lambda top: 504)
    with pytest.raises(UnavailableError):
        _read(transport, clock(iter(lambda: 0.1, None)), page_size=4, max_page_size=16)
    assert set(transport.tops) == {4}  # the smallest is the first size


def test_an_unreachable_server_is_not_asked_again_with_smaller_pages() -> None:
    class Down(Counting):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if "$top" in request.url.params:
                self.tops.append(int(request.url.params["$top"]))
                msg = "refused"
                raise httpx.ConnectError(msg, request=request)
            return super().handle_request(request)

    transport = Down(FakeCentral(30))
    with pytest.raises(UnavailableError) as caught:
        _read(transport, clock(iter(lambda: 0.1, None)), page_size=8, max_page_size=16)
    assert not isinstance(caught.value, TimedOutError)
    assert set(transport.tops) == {8}


def test_a_page_size_given_alone_keeps_every_page_that_size() -> None:
    transport = Counting(FakeCentral(25))
    pages = _read(transport, clock(iter(lambda: 0.1, None)), page_size=10)
    assert transport.tops == [10, 10, 10]
    assert pages == [10, 10, 5]


def test_the_connectors_pull_starts_at_1000_and_grows_to_5000() -> None:
    fake = FakeCentral(0)
    transport = Counting(FakeCentral(1))
    connector = OdkCentralConnector(transport=transport, policy=NO_WAIT)
    pages = list(connector.pull(fake.deployment(), fake.profile(URL), instrument=fake.instrument))
    assert transport.tops == [1000]
    assert [len(p.records) for p in pages] == [1]
    sizes = OdkCentralConnector(page_size=300)
    assert (sizes.page_size, sizes.max_page_size) == (300, None)
