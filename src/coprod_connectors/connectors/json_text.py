"""Reading a reply's JSON quickly, with exactly the objects ``json.loads`` makes.

A page of a thousand submissions is a few megabytes of JSON, and decoding it
is the largest single cost of a pull against a quick server. pydantic-core's
JSON parser (``from_json``, the one pydantic validates JSON with) reads it in
about two thirds of the time ``json.loads`` takes, and quicker than orjson:
it keeps the short strings it has made (up to 64 bytes: keys, choice codes,
dates) and hands the same one back when the text holds it again. It reads
what ``json.loads`` reads the same way, whole numbers of any length up to
Python's 4,300 digits exactly, floats to the same bits, ``NaN`` and
``Infinity``, a key given twice (the last value, at the first one's place);
what it reads differently it refuses (a lone surrogate, a byte-order mark,
a text that is not UTF-8, nesting deeper than 200, a number too long), and
``json.loads`` then reads it, or refuses it in its own words.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import from_json


def read_json(content: bytes) -> Any:
    """``json.loads(content)``: the same objects, or the same error, sooner (see the module)."""
    try:
        return from_json(content)
    except ValueError:  # what it refuses, json may read (or refuses in its own words)
        return json.loads(content)


__all__ = ["read_json"]
