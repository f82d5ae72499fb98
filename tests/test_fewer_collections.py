"""fewer_collections: a higher first threshold inside the block, the old one after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from coprod_connectors import fewer_collections


@pytest.fixture(autouse=True)
def _threshold() -> Iterator[None]:
    before = gc.get_threshold()
    enabled = gc.isenabled()
    yield
    gc.set_threshold(*before)
    if enabled:
        gc.enable()


def test_the_threshold_is_raised_then_restored() -> None:
    gc.set_threshold(700, 10, 10)
    with fewer_collections(5000):
        assert gc.get_threshold() == (5000, 10, 10)
        with fewer_collections(5000):  # nested: left as it is, and the outer block restores
            assert gc.get_threshold() == (5000, 10, 10)
        assert gc.get_threshold() == (5000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_it_is_restored_after_an_error() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(ValueError, match="boom"), fewer_collections(5000):
        raise ValueError("boom")
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("threshold", [(0, 10, 10), (90_000, 10, 10)])
def test_a_collector_set_off_or_higher_is_left_alone(threshold: tuple[int, int, int]) -> None:
    gc.set_threshold(*threshold)
    with fewer_collections(5000):
        assert gc.get_threshold() == threshold
    assert gc.get_threshold() == threshold


def test_a_disabled_collector_is_left_alone() -> None:
    gc.set_threshold(700, 10, 10)
    gc.disable()
    with fewer_collections(5000):
        assert gc.get_threshold() == (700, 10, 10)
        assert not gc.isenabled()


def test_a_threshold_changed_meanwhile_is_kept() -> None:
    gc.set_threshold(700, 10, 10)
    with fewer_collections(5000):
        gc.set_threshold(1234, 10, 10)
    assert gc.get_threshold() == (1234, 10, 10)
