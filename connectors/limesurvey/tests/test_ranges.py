"""A pull's id ranges grow while LimeSurvey answers fast and shrink when it is slow or
fails, within bounds; a server that does not keep to the range cannot make a pull loop."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from coprod_connectors.errors import PlatformError
from coprod_connectors.instruments import Instrument, builtin_instrument
from coprod_limesurvey import LimeSurveyConnector
from coprod_limesurvey.connector import (
    DEFAULT_MAX_PAGE_SIZE,
    DEFAULT_MIN_PAGE_SIZE,
    DEFAULT_PAGE_SIZE,
    RangeSizes,
)
from coprod_testkit.limesurvey_fake import FakeLimeSurvey

INSTRUMENT: Instrument = builtin_instrument("ladder-check")


def _ranges(fake: FakeLimeSurvey) -> list[tuple[int | None, int | None]]:
    return [(low, high) for _, low, high, fields in fake.exports if fields is None]


def _ids(connector: LimeSurveyConnector, fake: FakeLimeSurvey) -> list[str]:
    pages = connector.pull(fake.deployment(), fake.profile(), instrument=INSTRUMENT)
    return [r.remote_response_id for page in pages for r in page.records]


def _ticking(step: float) -> Iterator[float]:
    now = 0.0
    while True:
        yield now
        now += step


def test_ranges_grow_while_answers_are_fast_up_to_the_largest() -> None:
    fake = FakeLimeSurvey(3000, instrument=INSTRUMENT)
    connector = LimeSurveyConnector(
        transport=fake.transport(), page_size=100, max_page_size=800, prefetch=False
    )
    assert _ids(connector, fake) == [str(n) for n in range(1, 3001)]
    sizes = [high - low + 1 for low, high in _ranges(fake) if low and high]
    assert sizes[:5] == [100, 200, 400, 800, 800]
    assert max(sizes) == 800
    # 100 + 200 + 400 + 800 x 3 = 3,100 ids hold all 3,000; one more finds nothing after them
    assert len(sizes) == 7


def test_the_defaults_adapt_and_a_page_size_alone_does_not() -> None:
    adaptive = LimeSurveyConnector()
    assert (adaptive.page_size, adaptive.min_page_size, adaptive.max_page_size) == (
        DEFAULT_PAGE_SIZE,
        DEFAULT_MIN_PAGE_SIZE,
        DEFAULT_MAX_PAGE_SIZE,
    )
    fixed = LimeSurveyConnector(page_size=7)
    assert (fixed.page_size, fixed.min_page_size, fixed.max_page_size) == (7, 7, 7)


def test_slow_answers_shrink_the_ranges_to_the_smallest() -> None:
    fake = FakeLimeSurvey(600, instrument=INSTRUMENT)
    clock = _ticking(30.0)  # every answer takes 30 s
    connector = LimeSurveyConnector(
        transport=fake.transport(),
        page_size=400,
        max_page_size=800,
        prefetch=False,
        clock=lambda: next(clock),
    )
    assert len(_ids(connector, fake)) == 600
    sizes = [high - low + 1 for low, high in _ranges(fake) if low and high]
    assert sizes[:3] == [400, 200, 100]
    assert min(sizes) == 100 == connector.min_page_size


def test_a_failing_export_is_asked_again_for_fewer_ids() -> None:
    fake = FakeLimeSurvey(1000, instrument=INSTRUMENT)

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["method"] == "export_responses":
            low, high = body["params"][7], body["params"][8]
            if low is not None and high is not None and high - low + 1 > 250:
                return httpx.Response(504, text="Gateway Time-out")
        return fake.handler(request)

    connector = LimeSurveyConnector(
        transport=httpx.MockTransport(handler),
        page_size=1000,
        max_page_size=2000,
        retries=0,
        sleep=lambda _: None,
        prefetch=False,
    )
    assert _ids(connector, fake) == [str(n) for n in range(1, 1001)]
    sizes = [high - low + 1 for low, high in _ranges(fake) if low and high]
    assert max(sizes) <= 250


def test_a_failing_export_at_the_smallest_range_fails_the_pull() -> None:
    fake = FakeLimeSurvey(50, instrument=INSTRUMENT)

    def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["method"] == "export_responses":
            return httpx.Response(503, text="down")
        return fake.handler(request)

    connector = LimeSurveyConnector(
        transport=httpx.MockTransport(handler),
        page_size=400,
        max_page_size=800,
        retries=0,
        sleep=lambda _: None,
        prefetch=False,
    )
    with pytest.raises(PlatformError):
        _ids(connector, fake)
    # 400, 200, 100 (the smallest), then the error: a bounded number of calls
    assert len([c for c in fake.calls if c == "export_responses"]) <= 3


@pytest.mark.parametrize("adaptive", [True, False])
def test_a_server_that_ignores_the_range_cannot_make_a_pull_loop(adaptive: bool) -> None:
    fake = FakeLimeSurvey(30, instrument=INSTRUMENT)

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["method"] == "export_responses":
            body["params"][7:9] = [None, None]  # every response, whatever was asked
            request = httpx.Request("POST", request.url, json=body)
        return fake.handler(request)

    connector = LimeSurveyConnector(
        transport=httpx.MockTransport(handler),
        page_size=10,
        max_page_size=40 if adaptive else None,
        prefetch=False,
    )
    with pytest.raises(PlatformError, match="ignored the id range"):
        _ids(connector, fake)


def test_range_sizes_stay_within_bounds() -> None:
    sizes = RangeSizes(100, 10, 400, fast=1.0, slow=5.0)
    for _ in range(5):
        sizes.answered(0.1)
    assert sizes.size == 400
    sizes.answered(3.0)
    assert sizes.size == 400
    for _ in range(9):
        sizes.answered(9.0)
    assert sizes.size == 10
    assert not sizes.failed()
    sizes.size = 40
    assert sizes.failed()
    assert sizes.size == 20
