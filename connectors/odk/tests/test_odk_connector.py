"""The connector's own rules, without a server: form ids, the handover of a recorded
deployment, options, render."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import openpyxl
import pytest

from coprod_connectors import ConfigError, Deployment, builtin_instrument
from coprod_odk import OdkCentralConnector, OdkPushOptions
from coprod_odk.connector import form_id_for

XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")


@pytest.mark.parametrize(
    "subject",
    [None, "Riverside day centre", "  ", "../../etc/passwd", "Café & <b>", "x" * 300, "٣٤٥"],
)
def test_form_ids_are_xml_names_and_subjects_never_mix(subject: str | None) -> None:
    instrument = builtin_instrument("checklist")
    form_id = form_id_for(instrument, "2026-H2", subject)
    assert XML_NAME.fullmatch(form_id), form_id
    assert form_id.startswith("checklist-2026-H2")
    assert len(form_id) <= 64
    if subject:
        assert form_id != form_id_for(instrument, "2026-H2", subject + "!")


def test_the_handover_of_a_recorded_deployment_holds_no_key() -> None:
    deployment = Deployment(
        platform="odk",
        profile="central",
        remote_id="7/checklist-2026-H2",
        instrument="checklist",
        instrument_version="1.0.0",
        round="2026-H2",
        url="https://central.example.org/#/projects/7/forms/checklist-2026-H2",
        created_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
        details={
            "project_id": 7,
            "project_name": "Riverside",
            "form_id": "checklist-2026-H2",
            "form_page": "https://central.example.org/#/projects/7/forms/checklist-2026-H2",
            "app_user": "coprod field workers",
            "missing_media": ["logo.png"],
        },
    )
    handover = OdkCentralConnector().describe(deployment)
    assert handover.qr_payload is None
    text = "\n".join(handover.lines())
    assert "form in Central: https://central.example.org/#/projects/7/forms/" in text
    assert "coprod field workers" in text
    assert "logo.png" in text
    assert "/v1/key/" not in text


def test_push_options_are_typed() -> None:
    assert OdkPushOptions.of(None) == OdkPushOptions()
    assert OdkPushOptions.of({"project": "Riverside", "accept_warnings": True}).accept_warnings
    with pytest.raises(ConfigError, match="share"):
        OdkPushOptions.of({"share": "ana"})
    with pytest.raises(ConfigError):
        OdkPushOptions.of({"project": ""})


def test_render_is_an_xlsform_with_the_instruments_id_and_version() -> None:
    instrument = builtin_instrument("ladder-check")
    artefact = OdkCentralConnector().render(instrument)
    assert artefact.filename == f"ladder-check-{instrument.version}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(artefact.content))
    assert book.sheetnames == ["survey", "choices", "settings"]
    settings = dict(
        zip(*[[c.value for c in row] for row in book["settings"].iter_rows()], strict=False)
    )
    assert settings["form_id"] == "ladder-check"
    assert settings["version"] == instrument.version
    with pytest.raises(ConfigError, match="renders xlsx"):
        OdkCentralConnector().render(instrument, {"format": "json"})
