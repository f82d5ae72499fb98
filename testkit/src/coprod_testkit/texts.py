"""Free texts made a submission's own, for the fakes' ``--unique-texts``.

The fakes draw free texts from a few sentences, so many submissions share a text;
people's words differ. A decoder that keeps the strings it has already made (a
cache of short strings) would be flattered by the shared ones: with
``--unique-texts`` each text ends with its submission's mark and a number of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def own_words(value: Any, mark: str, numbers: Iterator[int]) -> Any:
    """``value`` with each free text (text with a space) ending in `` <mark>.<n>``."""
    if isinstance(value, dict):
        return {key: own_words(item, mark, numbers) for key, item in value.items()}
    if isinstance(value, list):
        return [own_words(item, mark, numbers) for item in value]
    if isinstance(value, str) and " " in value:
        return f"{value} {mark}.{next(numbers)}"
    return value
