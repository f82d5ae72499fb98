"""Reading a reply's JSON quickly, with exactly the objects ``json.loads`` makes.

A page of a thousand submissions is a few megabytes of JSON, and decoding it
is the largest single cost of a pull against a quick server. orjson reads it
in less than half the time, and where it cannot read a text as ``json.loads``
does it refuses it (a lone surrogate, ``NaN``, a byte-order mark, a text that
is not UTF-8, nesting deeper than 1,024), so ``json.loads`` reads those. The
one thing orjson changes silently is a whole number beyond 64 bits, which it
turns into a float: a text that may hold one (19 digits or more right after
what can come before a number's digits: ``[``, ``,``, ``:``, whitespace, a
minus sign, the start) is read by ``json.loads`` alone. Digits inside a
string (hex ids, phone numbers) follow a quote or a letter, so a page of such
ids is still orjson's; a long number inside a string after a space only costs
the quick path.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

#: Each byte as what matters for spotting a long number: a digit is "0", what a number's
#: digits can follow (``[ , :``, whitespace, a minus sign) is "|", anything else is ".".
_SHAPES = bytes(
    0x30 if 0x30 <= b <= 0x39 else 0x7C if b in b"[,: \t\n\r-" else 0x2E for b in range(256)
)
#: The fewest digits of a whole number that may not fit in 64 bits (2**63 has 19).
_LONG = b"|" + b"0" * 19


def read_json(content: bytes) -> Any:
    """``json.loads(content)``: the same objects, or the same error, sooner (see the module)."""
    shapes = (b"[" + content).translate(_SHAPES)  # the "[" stands for the start
    if _LONG not in shapes:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass  # what orjson refuses, json may read (or refuses in its own words)
    return json.loads(content)


__all__ = ["read_json"]
