"""Scoring reads responses in chunks and never holds them: the results are those of
scoring every response at once, byte for byte, from a list, the store or a file."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_connectors.connectors import Deployment
from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.responses import Reread, Response, responses_from, write_responses
from coprod_connectors.scoring import engine, score
from coprod_connectors.store import Store
from coprod_connectors.synthetic import demo_responses

DEMO = demo_responses()


def _at_once(responses: list[Response], **options: Any) -> str:
    """Every response counted in one chunk: what scoring in memory did."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "CHUNK", 10**9)
        return score(responses, **options).to_json()


def _streamed(responses: list[Response], chunk: int, **options: Any) -> str:
    """The same responses read in small chunks from an iterable that is read again."""
    reads: list[int] = []

    def read() -> Iterator[Response]:
        reads.append(1)
        return iter(responses)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "CHUNK", chunk)
        return score(Reread(read), **options).to_json()


def _odd(rng: random.Random, response: Response) -> Response:
    """A copy with odd answers: numbers, booleans, lists and padding where choices belong."""
    answers = dict(response.answers)
    for code in rng.sample(sorted(answers), k=min(3, len(answers))):
        answers[code] = rng.choice(
            [None, "", " 3 ", 3, 3.0, True, ["3"], "green", " amber", "x", {"a": 1}, 2.5]
        )
    if rng.random() < 0.2:
        answers["actions"] = rng.choice(
            [[{"actPrin": 1, "actWhat": ["x"]}], "plan", [{"actPrin": "netw", "actWho": 1.0}]]
        )
    return response.model_copy(update={"answers": answers})


def _mixed(seed: int, size: int) -> list[Response]:
    """Demo responses, some odd, some repeated (edited later, or tied), shuffled."""
    rng = random.Random(seed)
    out: list[Response] = []
    for _ in range(size):
        response = rng.choice(DEMO)
        if rng.random() < 0.3:
            response = _odd(rng, response)
        if rng.random() < 0.1:
            response = response.model_copy(update={"deployment": rng.choice(["d1", "d2"])})
        if rng.random() < 0.15:
            later = response.submitted_at + timedelta(minutes=rng.choice([-5, 0, 0, 5]))
            out.append(_odd(rng, response).model_copy(update={"submitted_at": later}))
        if rng.random() < 0.05:
            response = response.model_copy(update={"instrument": "other-tool"})
        out.append(response)
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("chunk", [1, 7, 100, 1000])
@pytest.mark.parametrize(("ladder", "k"), [("five-rung", 3), ("seven-rung", 1)])
def test_the_demo_data_streamed_scores_as_at_once(chunk: int, ladder: str, k: int) -> None:
    doubled = DEMO + [r.model_copy() for r in DEMO[::7]]  # some ids twice: a second reading
    for data in (DEMO, doubled):
        assert _streamed(data, chunk, ladder=ladder, k=k) == _at_once(data, ladder=ladder, k=k)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), size=st.integers(0, 400), chunk=st.integers(1, 60))
def test_generated_data_streamed_scores_as_at_once(seed: int, size: int, chunk: int) -> None:
    data = _mixed(seed, size)
    for k in (1, 3):
        assert _streamed(data, chunk, k=k) == _at_once(data, k=k)


def test_a_one_shot_iterator_is_read_once() -> None:
    data = _mixed(3, 300)
    assert score(iter(data)).to_json() == _at_once(data)


def test_the_store_is_read_in_chunks(ram_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _mixed(5, 500)
    instrument = builtin_instrument("checklist")
    deployment = Deployment(
        platform="file",
        profile="p",
        remote_id="f",
        instrument=instrument.id,
        instrument_version=instrument.version,
        round="2026-H1",
        created_at=DEMO[0].submitted_at,
    )
    stamped = [r.model_copy(update={"deployment": deployment.key}) for r in data]
    with Store(str(ram_dir / "s.db")) as store:
        # the store keeps one row per (deployment, response id): the last one imported
        store.import_responses(deployment, instrument, stamped)
        stored = list(store.responses())
        monkeypatch.setattr(engine, "CHUNK", 13)
        streamed = score(store.responses()).to_json()
    assert len(stored) < len(stamped)
    assert streamed == _at_once(stored)


def test_a_file_and_stdin_are_read_again(ram_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _mixed(9, 300)
    path = ram_dir / "r.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        write_responses(data, handle)
    expected = _at_once([Response.model_validate_json(r.to_json()) for r in data])
    monkeypatch.setattr(engine, "CHUNK", 50)
    assert score(responses_from(path)).to_json() == expected
    stdin = io.StringIO(path.read_text(encoding="utf-8"))
    monkeypatch.setattr("coprod_connectors.responses.SPOOL_MAX", 1000)  # on disk
    assert score(responses_from(stdin)).to_json() == expected


def test_coprod_report_streams_and_scores_as_in_memory(
    ram_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from coprod_connectors.cli import app

    data = _mixed(11, 400)
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
    stamped = [r.model_copy(update={"deployment": deployment.key}) for r in data]
    path = ram_dir / "s.db"
    with Store(str(path)) as store:
        store.import_responses(deployment, instrument, stamped)
        expected = score(list(store.responses())).to_json()
    reads: list[int] = []
    real_stream = Store._stream

    def counted(self: Store, *args: Any) -> Iterator[Response]:
        reads.append(1)
        return real_stream(self, *args)

    monkeypatch.setattr(Store, "_stream", counted)
    monkeypatch.setattr(engine, "CHUNK", 17)
    out = ram_dir / "r.json"
    done = CliRunner().invoke(app, ["report", "--store", str(path), "-f", "json", "-o", str(out)])
    assert done.exit_code == 0, done.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report == json.loads(expected)  # the JSON report is the results
    assert 1 <= len(reads) <= 2  # read once, or twice for repeated ids; never listed


def test_a_source_that_changes_between_readings_never_fails() -> None:
    """A store synced while a report reads it: the second reading may differ."""
    data = _mixed(13, 200)
    extra = [r.model_copy(update={"subject": "Somewhere else"}) for r in data[:40]]
    readings: list[int] = []

    def read() -> Iterator[Response]:
        readings.append(1)
        return iter(data if len(readings) == 1 else data + extra)

    data = [*data, data[0].model_copy()]  # one id twice: a second reading
    results = score(Reread(read))
    assert len(readings) == 2
    assert results.results
