"""The core's page sizes: what a connector's options ask for, and how a size adapts."""

from __future__ import annotations

import pytest

from coprod_connectors import PageSizes


def sizes(size: int | None, largest: int | None) -> tuple[int, int, int]:
    got = PageSizes.given(size, largest, first=1000, most=5000, least=100)
    return got.size, got.smallest, got.largest


@pytest.mark.parametrize(
    ("size", "largest", "expected"),
    [
        (None, None, (1000, 100, 5000)),  # by default pages adapt
        (3, None, (3, 3, 3)),  # a size given alone keeps every page that size
        (200, 800, (200, 100, 800)),  # with a largest, they adapt up to it
        (50, 800, (50, 50, 800)),  # never smaller than the first
        (2000, 10, (2000, 2000, 2000)),  # a largest below the size is the size
    ],
)
def test_given(size: int | None, largest: int | None, expected: tuple[int, int, int]) -> None:
    assert sizes(size, largest) == expected


def test_a_size_grows_when_fast_shrinks_when_slow_and_stays_in_bounds() -> None:
    got = PageSizes(1000, 100, 5000)
    for expected in (2000, 4000, 5000, 5000):
        got.answered(0.5)
        assert got.size == expected
    got.answered(5.0)  # neither fast nor slow
    assert got.size == 5000
    for expected in (2500, 1250, 625, 312, 156, 100, 100):
        got.answered(12.0)
        assert got.size == expected
    assert not got.failed()
    got.answered(1.0)
    assert got.size == 200
    assert got.failed()
    assert got.size == 100


def test_a_size_that_failed_is_not_tried_again() -> None:
    got = PageSizes(1000, 100, 5000)
    assert got.failed()
    assert (got.size, got.largest) == (500, 500)
    got.answered(0.1)
    assert got.size == 500
