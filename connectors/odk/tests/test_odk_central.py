"""The Central client against a real ODK Central: errors, forms and versions, app users,
submissions made as ODK Collect makes them, the cursor, review states, edits, files, export.

Replayed from cassettes by default; ``-m live`` runs the same against ``ODK_URL``;
``--record-mode=rewrite`` re-records (see conftest.py).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import segno

from coprod_connectors import AuthenticationError, ConfigError, NotFoundError, PlatformError
from coprod_odk.answers import answers_from_row
from coprod_odk.client import CentralClient
from coprod_odk.cursor import Cursor
from coprod_odk.errors import FormWarningsError
from coprod_odk.export import read_export
from coprod_odk.submissions import read_submissions

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import CentralTarget, Collect

XlsForm = Any


def _photo() -> bytes:
    """A real, small PNG (a QR code of a sentence), the same every run."""
    out = io.BytesIO()
    segno.make_qr("a photo taken in the field").save(out, kind="png", scale=2)
    return out.getvalue()


PHOTO = _photo()
CHOICES = [
    {"list_name": "yn", "name": "1", "label": "Yes"},
    {"list_name": "yn", "name": "2", "label": "No"},
    {"list_name": "colour", "name": "red", "label": "Red"},
    {"list_name": "colour", "name": "blue", "label": "Blue"},
]


def _rows(*, label: str = "Your name", extra: bool = False) -> list[dict[str, str]]:
    rows = [
        {"type": "begin_group", "name": "about", "label": "About you"},
        {"type": "text", "name": "name", "label": label},
        {"type": "select_one yn", "name": "agree", "label": "Do you agree?"},
        {"type": "end_group", "name": "", "label": ""},
        {"type": "integer", "name": "count", "label": "How many?"},
        {"type": "select_multiple colour", "name": "colours", "label": "Colours"},
        {
            "type": "image",
            "name": "photo",
            "label": "A photo",
            "parameters": "max-pixels=1024",
        },
        {"type": "begin_repeat", "name": "actions", "label": "Actions"},
        {"type": "text", "name": "what", "label": "What?"},
        {"type": "end_repeat", "name": "", "label": ""},
    ]
    if extra:
        rows.insert(5, {"type": "text", "name": "note2", "label": "Anything else?"})
    return rows


def _client(central: CentralTarget, **kwargs: Any) -> CentralClient:
    return CentralClient(central.url, central.email, central.password, **kwargs)


def test_login_errors_and_forms(central: CentralTarget, make_xlsform: XlsForm) -> None:
    xlsform = make_xlsform
    # a wrong password: 401.2, said as a login problem, and the password never shown
    with (
        _client(
            central.__class__(central.mode, central.url, central.email, "wrong-pass-123")
        ) as bad,
        pytest.raises(AuthenticationError) as caught,
    ):
        bad.current_user()
    assert "did not accept the e-mail and password" in str(caught.value)
    assert caught.value.platform_message == "Could not authenticate with the provided credentials."
    # Basic auth is refused over http before anything is sent
    with pytest.raises(ConfigError, match="only over https"):
        _client(central, auth="basic")

    with _client(central) as client:
        assert client.current_user().email == central.email
        assert client.role_id("app-user") > 0
        project = client.ensure_project(central.name("forms"))
        assert client.ensure_project(central.name("forms")).id == project.id

        v1 = xlsform(_rows(), form_id="errs", version="1", choices=CHOICES)
        form = client.create_form(project.id, v1, form_id="errs")
        assert form.published
        assert form.version == "1"
        with pytest.raises(PlatformError, match="already has this") as exists:
            client.create_form(project.id, v1, form_id="errs")
        assert exists.value.status_code == 409

        # pyxform's warnings: 400.16, nothing made, then accepted on request
        warned = xlsform(
            [
                {
                    "type": "text",
                    "name": "a",
                    "label::English (en)": "A",
                    "label::French (fr)": "Un",
                    "hint::English (en)": "A hint",
                },
                {"type": "text", "name": "b", "label::English (en)": "B"},
            ],
            form_id="warned",
            version="1",
        )
        with pytest.raises(FormWarningsError) as warning:
            client.create_form(project.id, warned, form_id="warned")
        assert warning.value.xlsform_warnings
        assert client.find_form(project.id, "warned") is None
        assert client.create_form(project.id, warned, form_id="warned", ignore_warnings=True)

        # an invalid form: 400.15 with pyxform's error
        broken = xlsform(
            [{"type": "select_one nolist", "name": "x", "label": "X"}],
            form_id="broken",
            version="1",
        )
        with pytest.raises(PlatformError, match="found the XLSForm invalid"):
            client.create_form(project.id, broken, form_id="broken")

        # a new version that drops a field: 400.16 with the field's name
        dropped = xlsform(_rows()[:4] + _rows()[5:], form_id="errs", version="2", choices=CHOICES)
        with pytest.raises(FormWarningsError) as removed:
            client.create_draft(project.id, "errs", dropped)
        assert removed.value.removed_fields == ("count",)
        # publishing a version string already used: 409.6
        client.create_draft(project.id, "errs", v1)
        with pytest.raises(PlatformError, match="already has a published form version"):
            client.publish_draft(project.id, "errs", "1")
        client.discard_draft(project.id, "errs")
        with pytest.raises(NotFoundError):
            client.form(project.id, "no-such-form")


def test_collect_submissions_on_two_versions(
    central: CentralTarget,
    collect_phone: Callable[[str], Collect],
    make_xlsform: XlsForm,
    tmp_path: Path,
) -> None:
    xlsform = make_xlsform
    with _client(central) as client:
        project = client.ensure_project(central.name("submissions"))
        client.create_form(
            project.id,
            xlsform(_rows(), form_id="visits", version="1", choices=CHOICES),
            form_id="visits",
        )
        worker = client.ensure_app_user(project.id, "Field worker")
        assert client.ensure_app_user(project.id, "Field worker").id == worker.id
        client.grant_form_access(project.id, "visits", worker.id)
        client.grant_form_access(project.id, "visits", worker.id)  # already: nothing sent
        assert client.form_app_users(project.id, "visits") == [worker.id]
        assert worker.token is not None
        key = worker.token.get_secret_value()
        phone = collect_phone(f"{client.base_url}/v1/key/{key}/projects/{project.id}")

        old_form = phone.download_form("visits")
        first = phone.submit(
            phone.fill(
                old_form,
                {
                    "name": 'Ann & <Bob> "quoted" ünïcode',
                    "agree": "1",
                    "count": 3,
                    "colours": ["red", "blue"],
                    "photo": "1733000000000.png",
                    "actions": [{"what": "Pay for time"}, {"what": "Meet monthly"}],
                },
            ),
            {"1733000000000.png": PHOTO},
        )
        second = phone.submit(phone.fill(old_form, {"name": "Cy", "agree": "2", "count": 0}))

        # a new version through a draft; the old one stays usable on phones
        client.create_draft(
            project.id,
            "visits",
            xlsform(
                _rows(label="Your first name", extra=True),
                form_id="visits",
                version="2",
                choices=CHOICES,
            ),
        )
        client.publish_draft(project.id, "visits", "2")
        assert [v.version for v in client.versions(project.id, "visits")] == ["2", "1"]
        new_form = phone.download_form("visits")
        assert "Your first name" in new_form
        third = phone.submit(phone.fill(old_form, {"name": "Dee", "agree": "1"}))
        fourth = phone.submit(phone.fill(new_form, {"name": "Eve", "note2": "more", "agree": "1"}))
        assert client.submission_count(project.id, "visits") == 4

        # a full read, two rows a page
        batches = list(read_submissions(client, project.id, "visits", since=None, page_size=2))
        rows = [r for b in batches for r in b.rows]
        assert [r["__id"] for r in rows] == [first, second, third, fourth]
        assert [r["__system"]["formVersion"] for r in rows] == ["1", "1", "1", "2"]
        assert [b.requests for b in batches] == [1, 1, 1]
        assert rows[0]["about"]["name"] == 'Ann & <Bob> "quoted" ünïcode'
        assert rows[0]["colours"] == "red blue"
        assert [a["what"] for a in rows[0]["actions"]] == ["Pay for time", "Meet monthly"]
        assert rows[3]["note2"] == "more"
        cursor = batches[-1].cursor

        # nothing new: one request, nothing read again
        again = list(read_submissions(client, project.id, "visits", since=cursor))
        assert sum(b.requests for b in again) == 1
        assert [r for b in again for r in b.rows] == []
        cursor = again[-1].cursor

        # reviews and an edit come back (once), under the same id
        client.set_review_state(project.id, "visits", first, "approved")
        client.set_review_state(project.id, "visits", second, "rejected")
        client.set_review_state(project.id, "visits", third, "hasIssues")
        edit = phone.fill(old_form, {"name": "Dee (corrected)", "agree": "2"}, edit_of=third)
        edited_id = phone.submit(edit)
        changed = [
            r for b in read_submissions(client, project.id, "visits", since=cursor) for r in b.rows
        ]
        by_id = {r["__id"]: r for r in changed}
        assert sorted(by_id) == sorted([first, second, third])
        assert by_id[first]["__system"]["reviewState"] == "approved"
        assert by_id[second]["__system"]["reviewState"] == "rejected"
        assert by_id[third]["__system"]["reviewState"] == "edited"
        assert by_id[third]["about"]["name"] == "Dee (corrected)"
        assert by_id[third]["meta"]["instanceID"] == edited_id
        assert by_id[third]["__system"]["edits"] == 1

        # the photo comes back byte for byte
        files = client.submission_attachments(project.id, "visits", first)
        assert [(f.name, f.exists) for f in files] == [("1733000000000.png", True)]
        target = io.BytesIO()
        assert client.download_attachment(
            project.id, "visits", first, "1733000000000.png", target
        ) == len(PHOTO)
        assert hashlib.sha256(target.getvalue()).hexdigest() == hashlib.sha256(PHOTO).hexdigest()

        # the export zip: a CSV per table, and the media
        export = io.BytesIO()
        client.download_export(project.id, "visits", export)
        with zipfile.ZipFile(export) as archive:
            names = sorted(archive.namelist())
            assert names == ["media/1733000000000.png", "visits-actions.csv", "visits.csv"]
            assert archive.read("media/1733000000000.png") == PHOTO
        path = tmp_path / "visits.zip"
        path.write_bytes(export.getvalue())
        exported = {r["__id"]: r for r in read_export(path)}
        latest = {**{r["__id"]: r for r in rows}, **by_id}
        assert sorted(exported) == sorted(latest)

        def text(answers: dict[str, Any]) -> dict[str, Any]:
            return {
                k: [text(i) for i in v] if isinstance(v, list) else (None if v is None else str(v))
                for k, v in answers.items()
            }

        for instance_id, row in latest.items():
            assert text(answers_from_row(exported[instance_id])) == text(answers_from_row(row))
            for key in ("reviewState", "formVersion", "submissionDate"):
                assert exported[instance_id]["__system"][key] == row["__system"][key]


def test_late_files_are_read_again(
    central: CentralTarget, collect_phone: Callable[[str], Collect], make_xlsform: XlsForm
) -> None:
    xlsform = make_xlsform
    with _client(central) as client:
        project = client.ensure_project(central.name("late files"))
        client.create_form(
            project.id,
            xlsform(_rows(), form_id="late", version="1", choices=CHOICES),
            form_id="late",
        )
        worker = client.ensure_app_user(project.id, "Field worker")
        client.grant_form_access(project.id, "late", worker.id)
        assert worker.token is not None
        phone = collect_phone(
            f"{client.base_url}/v1/key/{worker.token.get_secret_value()}/projects/{project.id}"
        )
        form = phone.download_form("late")
        xml = phone.fill(form, {"name": "Fay", "photo": "1733000000001.png"})
        instance = phone.submit(xml)  # the XML first, as Collect does with big files

        batches = list(read_submissions(client, project.id, "late", since=None))
        assert [r["__system"]["attachmentsPresent"] for b in batches for r in b.rows] == [0]
        cursor = Cursor.load(batches[-1].cursor)
        assert list(cursor.waiting) == [instance]

        # still waiting: asked again (one more request), nothing new to store
        again = list(read_submissions(client, project.id, "late", since=cursor.dump()))
        assert sum(b.requests for b in again) == 2
        assert [r for b in again for r in b.rows] == []

        phone.submit(xml, {"1733000000001.png": PHOTO})  # the same XML with its file
        after = list(read_submissions(client, project.id, "late", since=again[-1].cursor))
        rows = [r for b in after for r in b.rows]
        assert [r["__system"]["attachmentsPresent"] for r in rows] == [1]
        assert Cursor.load(after[-1].cursor).waiting == {}
