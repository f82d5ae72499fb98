"""Small statistics the scoring rules use: lower medians, distributions, privacy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T", int, float)

#: Perspective groups in the order reports show them.
GROUPS = ("lived", "staff", "other")


def lower_median(values: Iterable[T]) -> T | None:
    """The median, taking the lower middle value when the count is even; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[(len(ordered) - 1) // 2]


def lower_median_of_counts(counts: Mapping[T, int]) -> T | None:
    """:func:`lower_median` of values given as counts (value -> how many); None when empty."""
    total = sum(counts.values())
    if total == 0:
        return None
    # the value at position (total - 1) // 2 of the sorted values, found by walking the counts
    position = (total - 1) // 2
    for value in sorted(v for v, n in counts.items() if n > 0):
        position -= counts[value]
        if position < 0:
            return value
    raise AssertionError("unreachable: the position is within the total")  # pragma: no cover


def distribution_of_counts(counts: Mapping[Any, int], keys: Sequence[str]) -> dict[str, int]:
    """:func:`distribution` of values given as counts (value -> how many)."""
    out = dict.fromkeys(keys, 0)
    for value, n in counts.items():
        text = str(value)
        if text in out:
            out[text] += n
    return out


def distribution(values: Iterable[object], keys: Sequence[str]) -> dict[str, int]:
    """How many of ``values`` are each of ``keys`` (as text), in the keys' order."""
    counts = dict.fromkeys(keys, 0)
    for value in values:
        text = str(value)
        if text in counts:
            counts[text] += 1
    return counts


def visible_groups(sizes: Mapping[str, int], k: int) -> list[str]:
    """The perspective groups that may be shown on their own.

    A group smaller than ``k`` is never shown. Nor is a group whose answers
    could be worked out by taking the shown groups away from the whole: when
    the hidden groups hold between 1 and k-1 people together, the smallest
    shown group is hidden as well, until that is no longer so.
    """
    shown = [g for g in GROUPS if sizes.get(g, 0) >= k]
    while shown:
        hidden = sum(sizes.get(g, 0) for g in GROUPS if g not in shown)
        if hidden == 0 or hidden >= k:
            break
        # on a tie keep the lived experience group, the view that matters most
        smallest = min(shown, key=lambda g: (sizes.get(g, 0), -GROUPS.index(g)))
        shown.remove(smallest)
    return shown
