"""Reading responses back: ``response_from_json`` gives exactly what
``Response.model_validate_json`` gives (the same response, or the same error), and a
store's hand-edited rows are read as validation reads them or named as damaged, never
trusted into wrong results.

``response_from_json`` skips the model's validation only for JSON in the form the store
writes; these tests feed it that form with every field changed to odd values (numbers
beyond 64 bits, NaN, nesting deeper than the parser allows, times in other forms or
zones, digits of other scripts, flags of unknown kinds...) and compare it with the
validation it stands in for.
"""

from __future__ import annotations

import copy
import json
import random
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from coprod_connectors.conversion import _plain_fields, response_from_json
from coprod_connectors.responses import Flag, Response
from coprod_connectors.scoring import score
from coprod_connectors.store import Store
from coprod_connectors.synthetic import demo_responses

DEMO = demo_responses()
WRITTEN = [r.to_json() for r in DEMO]

#: Values put in place of a field, an answer or a flag.
ODD: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.0,
    0.1,
    1e300,
    12345678901234567890123,
    -9223372036854775809,
    18446744073709551616,
    "",
    " ",
    "x",
    "2026-H1",
    " 2026-H1",
    "2026-H1\n",
    [],
    {},
    [1, "a"],
    {"a": [None]},
    "unknown_code",
    "\u0663",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00.123456Z",
    "2026-01-01T00:00:00.1Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01T00:00:00+01:00",
    "2026-01-01T00:00:00",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:00:60Z",
    "\u0662\u0660\u0662\u0666-01-01T00:00:00Z",
    "2026-W01-1T00:00:00Z",
    "2026-01-01t00:00:00z",
    "2026-01-01 00:00:00Z",
    "2026-01-01T00:00:00Z\n",
    {"code": "a", "kind": "unknown_code", "value": 1, "message": "m"},
    {"code": "a", "kind": "inconsistent", "value": [1.5], "message": "m"},
    {"code": "a", "kind": "bogus", "value": 1, "message": "m"},
    {"code": "a", "kind": "UNKNOWN_CODE", "value": 1, "message": "m"},
    {"kind": "unknown_code", "code": "a", "value": 1, "message": "m"},
    {"code": "a", "kind": "unknown_code", "message": "m"},
    {"code": "a", "kind": "unknown_code", "value": 1, "message": "m", "x": 1},
    {"code": 1, "kind": "unknown_code", "value": 1, "message": "m"},
]
#: JSON written into the text itself (what json.dumps cannot write, or writes otherwise).
TOKENS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1E-400",
    "-0",
    "-0.0",
    "1.5E3",
    "123456789012345678901234567890",
    "-12345678901234567890",
    "18446744073709551615",
    "9223372036854775808",
    '"\\ud800"',
    '"\\u0000"',
    '"a\\"b\\u00e9"',
    "[" * 300 + "]" * 300,
    "[" * 50 + "]" * 50,
    "[" * 199 + "]" * 199,
    "[" * 200 + "]" * 200,
    '{"a":' * 199 + "1" + "}" * 199,
    '[{"a":[1]}]',
    '[{"a":{"b":1}}]',
    '{"a":[1,{"b":2}]}',
    '[{"a":1},[2]]',
    "tru",
    "01",
]


def _same(text: str | bytes) -> str:
    """Checks ``response_from_json(text)`` against validation; says which way it went."""
    try:
        want = Response.model_validate_json(text)
    except ValueError as exc:
        error = str(exc)
        with pytest.raises(type(exc)) as got_error:
            response_from_json(text)
        assert str(got_error.value) == error
        return "refused"
    got = response_from_json(text)
    assert repr(got) == repr(want)  # NaN is never equal to itself: compare what is shown
    assert got.to_json() == want.to_json()
    assert got.model_fields_set == want.model_fields_set
    assert got.submitted_at.tzinfo is want.submitted_at.tzinfo
    if "nan" not in repr(want):
        assert got == want
    return "read"


def _changed(rng: random.Random, text: str) -> str | bytes:
    data = json.loads(text)
    fields = list(data)
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.5:
            data[rng.choice(fields)] = copy.deepcopy(rng.choice(ODD))
        elif roll < 0.6:
            data.pop(rng.choice(fields), None)
        elif roll < 0.65:
            data["extra"] = 1
        elif roll < 0.75:
            data["flags"] = [copy.deepcopy(rng.choice(ODD)) for _ in range(rng.randint(0, 3))]
        elif roll < 0.93 and isinstance(data.get("answers"), dict):
            code = rng.choice(["zz", "role", "assetsStage", "actions", "subject"])
            data["answers"][code] = copy.deepcopy(rng.choice(ODD))
        else:
            items = list(data.items())
            rng.shuffle(items)
            data = dict(items)
    changed = json.dumps(data, separators=(",", ":"), ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.35:
        token = rng.choice(TOKENS)
        changed = changed.replace('"answers":{', f'"answers":{{"zz":{token},', 1)
    if rng.random() < 0.05:
        changed = changed.replace('"instrument":', '"instrument":"x","instrument":', 1)
    return changed.encode() if rng.random() < 0.1 else changed


def test_a_response_is_a_plain_model() -> None:
    # response_from_json builds a Response as construct() does: only for a plain model
    assert _plain_fields(Response) == tuple(Response.model_fields)
    assert _plain_fields(Flag) == tuple(Flag.model_fields)


def test_what_the_store_writes_reads_back_as_validated() -> None:
    flagged = [r for r in DEMO if r.flags]
    assert flagged  # the demo data has flags: those are read without validation too
    assert {_same(text) for text in WRITTEN} == {"read"}


@pytest.mark.parametrize("seed", range(4))
def test_odd_json_reads_as_validation_reads_it(seed: int) -> None:
    rng = random.Random(seed)
    seen = {"read": 0, "refused": 0}
    for _ in range(1500):
        seen[_same(_changed(rng, rng.choice(WRITTEN)))] += 1
    assert seen["read"] > 200
    assert seen["refused"] > 200


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        "{}",
        "{broken",
        WRITTEN[0][:-1],
        WRITTEN[0] + "x",
        WRITTEN[0] + " \n",
        "\ufeff" + WRITTEN[0],
        b"\xff" + WRITTEN[0].encode(),
        WRITTEN[0].replace('"answers":{', '"answers":{"n":' + "9" * 400 + ",", 1),
        WRITTEN[0].replace('"answers":{', '"answers":{"n":' + "[" * 5000, 1),
    ],
)
def test_broken_text_fails_as_validation_fails(text: str | bytes) -> None:
    _same(text)


@pytest.mark.parametrize("value", [5, 2.5, None, bytearray(WRITTEN[0].encode())])
def test_what_is_not_text_fails_or_reads_as_validation_does(value: Any) -> None:
    try:
        want: Any = Response.model_validate_json(value)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            response_from_json(value)
        return
    assert response_from_json(value) == want


# --- a store edited by hand ----------------------------------------------------------------

#: SQL that damages or changes stored rows, each row its own way.
EDITS = [
    "response = '{broken'",
    "response = 5",
    "response = x'00ff'",
    "response = CAST(response AS BLOB)",
    'response = replace(response, \'"round":"\', \'"round":" \')',
    'response = replace(response, \'"answers":{\', \'"answers":{"n":123456789012345678901234,\')',
    'response = replace(response, \'"answers":{\', \'"answers":{"n":NaN,\')',
    'response = replace(response, \'"answers":{\', \'"answers":{"n":'
    + "[" * 300
    + "]" * 300
    + ",')",
    "response = replace(response, 'Z\"', '+05:00\"')",
    "response = replace(response, 'Z\"', '\"')",
    "response = replace(response, ':00Z\"', ':61Z\"')",
    'response = replace(response, \'"complete":true\', \'"complete":"yes"\')',
    "response = replace(response, '\"complete\":true', '\"complete\":1')",
    "response = replace(response, '\"language\":\"en\",', '')",
    (
        'response = replace(response, \'"flags":[]\', \'"flags":[{"code":"a","kind":"x",'
        '"value":1,"message":"m"}]\')'
    ),
    (
        'response = replace(response, \'"flags":[]\', \'"flags":[{"code":"a","kind":'
        '"unknown_code","value":1e400,"message":"m"}]\')'
    ),
    'response = replace(response, \'"role":"\', \'"role":7,"x":"\')',
]


def test_a_hand_edited_store_reads_as_validation_reads_it(ram_dir: Path) -> None:
    from coprod_connectors.connectors import Deployment
    from coprod_connectors.instruments import builtin_instrument

    instrument = builtin_instrument("self-reflection")
    deployment = Deployment(
        platform="file",
        profile="p",
        remote_id="f",
        instrument=instrument.id,
        instrument_version=instrument.version,
        round="2026-H1",
        created_at=DEMO[0].submitted_at,
    )
    chosen = [r for r in DEMO if r.instrument == "self-reflection"]
    assert len(chosen) > len(EDITS)
    path = ram_dir / "s.db"
    with Store(str(path)) as store:
        store.import_responses(
            deployment, instrument, [r.model_copy(update={"deployment": "d"}) for r in chosen]
        )
    with closing(sqlite3.connect(path)) as db:
        ids = [i for (i,) in db.execute("SELECT remote_id FROM responses ORDER BY remote_id")]
        for edit, remote_id in zip(EDITS, ids, strict=False):
            db.execute(f"UPDATE responses SET {edit} WHERE remote_id = ?", (remote_id,))
        db.commit()
        stored = list(
            db.execute("SELECT remote_id, response FROM responses ORDER BY deployment, remote_id")
        )
    expected: list[Response] = []
    damaged: list[tuple[str, str]] = []
    for remote_id, text in stored:
        try:
            expected.append(Response.model_validate_json(text))
        except ValueError:  # noqa: PERF203 - pydantic's ValidationError
            damaged.append((deployment.key, remote_id))
    assert 6 < len(damaged) < len(EDITS)  # some edits still read as a response
    with Store(str(path)) as store:
        got = list(store.responses())
        assert [repr(r) for r in got] == [repr(r) for r in expected]
        assert store.damaged == damaged
        assert score(store.responses()).to_json() == score(expected).to_json()

    from coprod_connectors.cli import app

    done = CliRunner().invoke(app, ["report", "--store", str(path), "-f", "json"])
    assert done.exit_code == 0, done.output
    assert f"{len(damaged)} stored responses are damaged" in done.output
