"""The testkit's fake Central (the pull benchmark's server) answers as the real one did."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import yaml

from coprod_connectors.responses import normalise_answers
from coprod_connectors.synthetic import random_answers
from coprod_odk import OdkCentralConnector
from coprod_testkit.odk_fake import FakeCentral

RECORDED = (
    Path(__file__).parent
    / "cassettes"
    / "test_odk_roundtrip"
    / "test_push_submit_pull_each_builtin[self-reflection].yaml"
)


def _recorded_row() -> dict[str, object]:
    for interaction in yaml.safe_load(RECORDED.read_text(encoding="utf-8"))["interactions"]:
        if ".svc/Submissions" in interaction["request"]["uri"]:
            row: dict[str, object] = json.loads(interaction["response"]["body"]["string"])["value"][
                0
            ]
            return row
    raise AssertionError


def _transport(fake: FakeCentral) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        status, content = fake.respond(
            request.method, request.url.raw_path.decode(), dict(request.headers)
        )
        return httpx.Response(status, content=content, request=request)

    return httpx.MockTransport(handle)


def test_rows_have_the_recorded_shape() -> None:
    fake = FakeCentral(1)
    real = _recorded_row()
    made = json.loads(fake.rows[0])
    assert set(made["__system"]) == set(real["__system"])  # type: ignore[arg-type]
    assert {k for k in made if "_" not in k} == {k for k in real if "_" not in k}


def test_the_connector_reads_the_fake_as_it_reads_central() -> None:
    fake = FakeCentral(25, seed=7)
    connector = OdkCentralConnector(transport=_transport(fake), page_size=10)
    profile = fake.profile("http://fake.example")
    pages = list(connector.pull(fake.deployment(), profile, instrument=fake.instrument))
    assert [len(p.records) for p in pages] == [10, 10, 5]
    for n, record in enumerate(r for p in pages for r in p.records):
        assert record.response is not None
        assert record.response.flags == []
        expected, _ = normalise_answers(
            fake.instrument, random_answers(fake.instrument, f"7/{n}", media=False)
        )
        assert record.response.answers == expected
    again = list(
        connector.pull(
            fake.deployment(), profile, instrument=fake.instrument, since=pages[-1].cursor
        )
    )
    assert [len(p.records) for p in again] == [0]


def test_unique_texts_make_every_submissions_free_text_its_own() -> None:
    def texts(fake: FakeCentral) -> list[list[str]]:
        found = []
        for raw in fake.rows:
            row = json.loads(raw)
            found.append(
                [
                    value
                    for name, group in row.items()
                    if isinstance(group, dict) and name != "__system"
                    for value in group.values()
                    if isinstance(value, str) and " " in value
                ]
            )
        return found

    shared, unique = texts(FakeCentral(40)), texts(FakeCentral(40, unique_texts=True))
    assert len({t for row in shared for t in row}) < sum(map(len, shared)) / 2  # a few sentences
    flat = [t for row in unique for t in row]
    assert len(set(flat)) == len(flat)  # ... each its own
    # the same answers otherwise: each text is the shared one, with its submission's number
    for number, (plain, marked) in enumerate(zip(shared, unique, strict=True)):
        assert [m.rsplit(f" #{number}.", 1)[0] for m in marked] == plain
