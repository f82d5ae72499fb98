"""Pictures and sounds in instruments: pictograms, an organisation's own files, easy read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from coprod_connectors.errors import InstrumentError
from coprod_connectors.instruments import (
    builtin_instruments,
    instrument_media,
    load_instrument,
    parse_instrument,
    pictograms,
)
from coprod_connectors.instruments.easy_read import easy_read
from coprod_connectors.instruments.media import media_folder
from coprod_connectors.instruments.model import QuestionKind

SVG = "{http://www.w3.org/2000/svg}"

INSTRUMENT = """
id: own-media
version: "1"
languages: [en, cy]
title: {{en: "Own", cy: "Ein hun"}}
sections:
  - code: s
    title: {{en: "S", cy: "S"}}
    questions:
      - code: q
        kind: single_choice
        label: {{en: "Q", cy: "C"}}
        image: {image}
        audio: {audio}
        choices:
          - code: a
            label: {{en: "A", cy: "A"}}
            image: agree
"""


def _write(folder: Path, image: str = "pics/me.png", audio: str = "sounds/q.m4a") -> Path:
    path = folder / "own.yaml"
    path.write_text(INSTRUMENT.format(image=image, audio=audio), encoding="utf-8")
    return path


def test_every_pictogram_is_svg_with_a_title_and_a_png_copy() -> None:
    names = pictograms()
    expected = {
        *(f"principle-{p}" for p in ("assets", "work", "recip", "network")),
        *(f"stage-{n}" for n in range(1, 5)),
        "rag-red",
        "rag-amber",
        "rag-green",
        "agree",
        "part",
        "disagree",
        "dont-know",
        *(f"phase-{p}" for p in ("idea", "design", "deliv", "review")),
        *(f"ladder-{n}" for n in range(5)),
    }
    assert expected <= set(names)
    for name, title in names.items():
        root = ET.parse(media_folder() / f"{name}.svg").getroot()
        assert root.findtext(f"{SVG}title") == title
        assert len(title.split()) >= 2
        png = (media_folder() / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG")
    licence = (media_folder() / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC0" in licence


def test_the_built_ins_use_only_pictograms_that_exist() -> None:
    for instrument in builtin_instruments():
        found = instrument_media(instrument, raster=True)
        assert found, instrument.id
        assert all(f.path.is_file() and f.media_type == "image/png" for f in found)


def test_an_organisations_own_files_are_found_beside_the_instrument(tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    (tmp_path / "sounds").mkdir()
    (tmp_path / "pics" / "me.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "sounds" / "q.m4a").write_bytes(b"fake")
    instrument = load_instrument(_write(tmp_path))
    found = {f.reference: f for f in instrument_media(instrument)}
    assert set(found) == {"pics/me.png", "sounds/q.m4a", "agree"}
    assert found["pics/me.png"].name == "pics-me.png"
    assert found["sounds/q.m4a"].media_type == "audio/mp4"
    assert found["agree"].title


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("../secret.png", "must stay inside the instrument's folder"),
        ("/etc/passwd.png", "not an absolute path"),
        ("pics//me.png", "must stay inside"),
        ("C:/x.png", "not an absolute path"),
        ("pics/me;rm.png", "letters, digits"),
        ("me.exe", "is not an image file"),
        ("no-such-pictogram", "no built-in pictogram"),
        ("missing.png", "no such file"),
    ],
)
def test_bad_media_references_are_refused_clearly(tmp_path: Path, image: str, message: str) -> None:
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "q.m4a").write_bytes(b"fake")
    with pytest.raises(InstrumentError) as caught:
        instrument_media(load_instrument(_write(tmp_path, image=image)))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value).strip() or len(caught.value.problems) == 1


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"\x89PNG")
    folder = tmp_path / "instrument"
    (folder / "sounds").mkdir(parents=True)
    (folder / "sounds" / "q.m4a").write_bytes(b"fake")
    (folder / "pics").symlink_to(tmp_path)
    instrument = load_instrument(_write(folder, image="pics/outside.png"))
    with pytest.raises(InstrumentError, match="leads outside the instrument's folder"):
        instrument_media(instrument)


def test_a_file_reference_needs_a_folder() -> None:
    text = INSTRUMENT.format(image="me.png", audio="q.m4a")
    with pytest.raises(InstrumentError, match="not read from a file"):
        instrument_media(parse_instrument(text))


def test_sounds_per_language_must_name_the_instruments_languages(tmp_path: Path) -> None:
    path = _write(tmp_path, image="agree", audio="{en: a.mp3, fr: b.mp3}")
    with pytest.raises(InstrumentError, match="which is not in languages"):
        load_instrument(path)


def test_easy_read_keeps_every_answer_code_and_turns_grids_into_one_question_each() -> None:
    for instrument in builtin_instruments():
        easy = easy_read(instrument)
        assert set(easy.answer_codes()) == set(instrument.answer_codes())
        assert not any(q.kind is QuestionKind.MATRIX for _, _, q in easy.iter_questions())
    checklist = easy_read(next(i for i in builtin_instruments() if i.id == "checklist"))
    d1 = checklist.question("d1")
    assert d1.kind is QuestionKind.SINGLE_CHOICE
    assert [c.code for c in checklist.choices_for(d1)] == ["agree", "part", "dis", "dk"]
    assert checklist.question("diversity").kind is QuestionKind.NOTE


def test_coprod_build_easy_read_gives_a_question_a_page_and_a_statement_a_question(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from coprod_connectors.cli import app

    target = tmp_path / "easy.lss"
    result = CliRunner().invoke(
        app, ["build", "checklist", "--platform", "limesurvey", "--easy-read", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    root = ET.fromstring(target.read_bytes())
    settings = root.find("surveys/rows/row")
    assert settings is not None
    assert settings.findtext("format") == "S"
    questions = {q.findtext("title"): q for q in root.findall("questions/rows/row")}
    assert questions["d1"].findtext("type") == "L"
    assert questions["d1"].findtext("question_theme_name") == "bootstrap_buttons"
    assert "diversity" in questions  # the grid's question, as a note before its statements
    assert questions["diversity"].findtext("type") == "X"


def test_coprod_build_writes_the_form_media_beside_the_xlsform(tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from coprod_connectors.cli import app

    target = tmp_path / "out" / "form.xlsx"
    target.parent.mkdir()
    result = CliRunner().invoke(
        app, ["build", "self-reflection", "--platform", "kobotoolbox", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "form-media"
    written = sorted(p.name for p in folder.iterdir())
    sheet = load_workbook(target)["survey"]
    header = [cell.value for cell in sheet[1]]
    named = {
        row[i]
        for row in sheet.iter_rows(min_row=2, values_only=True)
        for i, column in enumerate(header)
        if str(column).startswith("media::") and row[i]
    }
    choices = load_workbook(target)["choices"]
    header = [cell.value for cell in choices[1]]
    named |= {
        row[i]
        for row in choices.iter_rows(min_row=2, values_only=True)
        for i, column in enumerate(header)
        if str(column).startswith("media::") and row[i]
    }
    assert written == sorted(named)
    assert len(written) == 11
    for name in written:  # the built-in pictograms, as PNG for phones
        assert (folder / name).read_bytes() == (media_folder() / name).read_bytes()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [*written, "form.xlsx"]
    )
    lines = result.stdout.splitlines()
    assert "wrote 11 media files to upload with it as form media:" in lines
    assert f"  {folder / 'rag-red.png'}" in lines


def test_coprod_build_of_a_survey_with_inline_pictures_writes_no_media(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from coprod_connectors.cli import app

    target = tmp_path / "survey.lss"
    result = CliRunner().invoke(
        app, ["build", "self-reflection", "--platform", "limesurvey", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["survey.lss"]
    assert "media" not in result.stdout


@pytest.mark.parametrize(
    "name", ["../up.png", "sub/x.png", ".hidden.png", "", "a\x1b.png", "a\\b.png"]
)
def test_media_are_written_only_into_their_folder(tmp_path: Path, name: str) -> None:
    from coprod_connectors.connectors import Artefact, MediaFile
    from coprod_connectors.errors import ConfigError

    source = tmp_path / "source.png"
    source.write_bytes(b"png")
    good = MediaFile("fine.png", source, "image/png")
    artefact = Artefact(b"", "f.xlsx", "x", media=(good, MediaFile(name, source, "image/png")))
    with pytest.raises(ConfigError, match="not a plain file name"):
        artefact.write_media(tmp_path / "f-media")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["source.png"]


def test_media_never_write_through_a_link(tmp_path: Path) -> None:
    from coprod_connectors.connectors import Artefact, MediaFile

    source = tmp_path / "source.png"
    source.write_bytes(b"png")
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"keep")
    folder = tmp_path / "f-media"
    folder.mkdir()
    (folder / "pic.png").symlink_to(outside)
    artefact = Artefact(b"", "f.xlsx", "x", media=(MediaFile("pic.png", source, "image/png"),))
    assert artefact.write_media(folder) == [folder / "pic.png"]
    assert outside.read_bytes() == b"keep"
    assert (folder / "pic.png").read_bytes() == b"png"
    assert not (folder / "pic.png").is_symlink()
