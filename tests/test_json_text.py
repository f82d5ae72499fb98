"""read_json gives exactly what json.loads gives: the same objects (types, float bits, key
order) or the same error, on generated JSON full of odd values and on odd texts."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coprod_connectors import read_json


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down, floats bit for bit, keys in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _outcome(read: Any, content: bytes) -> Any:
    try:
        return ("ok", read(content))
    except Exception as exc:  # noqa: BLE001 - the same error either way
        return ("error", isinstance(exc, ValueError), type(exc) is UnicodeDecodeError)


def _check(content: bytes) -> None:
    plain, quick = _outcome(json.loads, content), _outcome(read_json, content)
    if plain[0] == "ok":
        assert quick[0] == "ok", content[:200]
        assert _same(quick[1], plain[1]), content[:200]
    else:
        assert quick == plain, content[:200]


numbers = st.one_of(
    st.integers(),
    st.integers(min_value=2**62, max_value=2**66),
    st.integers(min_value=-(2**66), max_value=-(2**62)),
    st.integers(min_value=10**17, max_value=10**21),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300),
)
texts = st.one_of(
    st.text(),
    st.text(alphabet="0123456789abcdef- :,[", min_size=15, max_size=45),
    st.sampled_from(["\ud800", "a\udc00b", "\x00", "\u2028", "😀", "1234567890123456789012"]),
)
values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, texts),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(texts, inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=600, deadline=None)
@given(values, st.sampled_from([None, 0, 1, "\t"]), st.booleans(), st.booleans())
def test_the_same_objects_as_json_loads(
    value: Any, indent: int | str | None, ascii_only: bool, compact: bool
) -> None:
    separators = (",", ":") if compact else None
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only, separators=separators)
    _check(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('0123456789-+.eE [],:{}"a \n\t\r')), max_size=60).map("".join))
def test_the_same_on_fragments_of_numbers_and_structure(text: str) -> None:
    _check(text.encode())


@pytest.mark.parametrize(
    "content",
    [
        b"18446744073709551615",
        b"18446744073709551616",
        b"[18446744073709551616]",
        b'{"a":-9223372036854775809}',
        b'{"a": 123456789012345678901234567890}',
        b"[\n\t12345678901234567890]",
        b'{"id":"dbcaae95658659138785493724c2d7f0","n":1}',
        b'{"t":"x 12345678901234567890"}',
        b"1.0000000000000000000000000001",
        b"0.12345678901234567890123456789e-300",
        b"1e400",
        b"-1e400",
        b"1e99999999999999999999",
        b"NaN",
        b"[Infinity, -Infinity]",
        b'"\\ud800"',
        b'"\\udc00\\ud800"',
        b"\xef\xbb\xbf{}",
        b'{"a": "\xed\xa0\x80"}',
        b"\xff",
        b'{"a":1,"b":2,"a":3}',
        b"[" * 2000 + b"]" * 2000,
        b"[" * 1100 + b"]" * 1100,
        b"[" * 199 + b"]" * 199,
        b"[" * 201 + b"]" * 201,
        b'{"a":' * 300 + b"1" + b"}" * 300,
        b"1" * 4300,
        b"-" + b"1" * 4301,
        b"[" + b"9" * 5000 + b"]",
        b"0." + b"0" * 5000 + b"1",
        b'"\\uDFFF"',
        b'"\\uD800\\u0041"',
        b'"\\uD83D\\uDE00"',
        b'{"a":{"a":1},"b":[],"a":2}',
        b'"\xf4\x8f\xbf\xbf"',
        b'"\xf4\x90\x80\x80"',
        b'"\xc0\x80"',
        b'"a\x01b"',
        b'"a\tb"',
        b"[1,]",
        b"01",
        b"-0",
        b"[-0.0, 0e-0, 1E+2, 2.5e-324, 1.7976931348623159e308]",
        b"nan",
        b"-NaN",
        b"\x0c[1]",
        b"",
        b"  ",
        b"{} x",
        "{}".encode("utf-16"),
        "[1]".encode("utf-16-le"),
        "[1]".encode("utf-32"),
    ],
)
def test_the_same_on_odd_texts(content: bytes) -> None:
    _check(content)


def test_long_decimal_fractions_round_the_same() -> None:
    import random

    rng = random.Random(2026)
    for _ in range(5000):
        whole = str(rng.randint(0, 10**18))
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40)))
        exponent = f"e{rng.randint(-330, 310)}" if rng.random() < 0.5 else ""
        _check(f"[{whole}.{fraction}{exponent}]".encode())


def test_floats_of_any_bits_and_long_whole_numbers_read_the_same() -> None:
    import random

    rng = random.Random(15)
    numbers = []
    for _ in range(20000):
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(value):
            numbers.append(repr(value))
        whole, fraction = rng.randint(1, 10**25), rng.randint(0, 10**30)
        numbers.append(f"{whole}.{fraction}e{rng.randint(-340, 320)}")
        numbers.append(str(rng.randint(-(10 ** rng.randint(1, 60)), 10 ** rng.randint(1, 60))))
    _check(("[" + ",".join(numbers) + "]").encode())
