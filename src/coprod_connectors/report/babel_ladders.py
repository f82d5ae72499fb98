"""Babel extraction of the built-in ladders' words (titles, rung names and meanings).

Named in ``babel.cfg``; used only when the catalogue template is made again
(``pybabel extract``, see the README). A ladder text's message id is the text
with its lines joined, as :mod:`coprod_connectors.report.labels` looks it up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml


def extract_ladder(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """(line, function, message, comments) for each reader-facing text of a ladder file."""
    data: dict[str, Any] = yaml.safe_load(fileobj.read().decode("utf-8")) or {}
    ladder = data.get("id", "ladder")
    texts = [(data.get("title"), f"{ladder}: title"), (data.get("description"), f"{ladder}")]
    for rung in data.get("rungs") or ():
        texts.append((rung.get("label"), f"{ladder}: the name of rung {rung.get('id')}"))
        texts.append((rung.get("description"), f"{ladder}: what rung {rung.get('id')} means"))
    for text, comment in texts:
        if isinstance(text, str) and text.strip():
            yield 0, "_", " ".join(text.split()), [comment]


__all__ = ["extract_ladder"]
