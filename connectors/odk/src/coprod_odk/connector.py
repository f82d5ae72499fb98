"""The ODK Central connector: what the core finds through the entry point ``odk``.

- ``render``: the instrument as an ``.xlsx`` XLSForm (the core's shared writer);
- ``push``: the form published in a project (found by name, or made), an app
  user for field workers with access to it, and the ODK Collect settings as a
  QR code (printed, and written as a PNG); a new instrument version publishes a
  new version of the same form, so phones on the old version keep submitting;
- ``pull``: submissions over OData after the cursor (see :mod:`coprod_odk.cursor`);
- ``status`` and ``check``; the capabilities ``describe``, ``download_attachments``
  and ``import_export_file`` (Central's CSV export zip).

One Central form per deployment: its ``xmlFormId`` is the instrument id, the
round and (if given) the subject, so rounds and services never mix. The form's
version is the instrument's version; ``details["versions"]`` maps each form
version published to the instrument version it carries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from pydantic import Field, SecretStr

from coprod_connectors import (
    XLSFORM_RESERVED,
    XLSX_MEDIA_TYPE,
    Artefact,
    ConfigError,
    Deployment,
    DeploymentStatus,
    Flag,
    FlagKind,
    Handover,
    HttpPolicy,
    InstrumentMedia,
    Link,
    MediaFile,
    NotFoundError,
    Page,
    PlatformError,
    PulledRecord,
    Pushed,
    PushOptions,
    Response,
    build_response,
    build_xlsform,
    construct,
    default_round,
    fewer_collections,
    prefetch,
    xlsx_bytes,
)
from coprod_odk.answers import (
    REJECTED,
    answer_name,
    answers_from_row,
    form_version,
    is_held,
    language_of,
    response_id,
    submitted_at,
)
from coprod_odk.client import POLICY, CentralClient, segment
from coprod_odk.collect import CollectSettings
from coprod_odk.cursor import parse_time
from coprod_odk.export import read_export
from coprod_odk.publish import Media, publish
from coprod_odk.submissions import read_submissions

if TYPE_CHECKING:
    from coprod_connectors import Instrument, Profile

PLATFORM = "odk"
DEFAULT_PROJECT = "coprod"
DEFAULT_APP_USER = "coprod field workers"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class OdkPushOptions(PushOptions):
    """What ``coprod push`` can ask of ODK Central (``--option NAME=VALUE``)."""

    project: str | None = Field(
        default=None,
        description="The Central project to put the form in, made if there is none "
        "(default: the profile's 'project' option, else 'coprod').",
        min_length=1,
        max_length=200,
    )
    app_user: str = Field(
        default=DEFAULT_APP_USER,
        description="The app user field workers' phones log in as (made if there is none).",
        min_length=1,
        max_length=64,
    )
    accept_warnings: bool = Field(
        default=False,
        description="Publish even when Central warns about the form (e.g. a new version "
        "drops a question).",
    )


def form_id_for(instrument: Instrument, round: str, subject: str | None) -> str:  # noqa: A002
    """The ``xmlFormId`` of a deployment: ``<instrument>-<round>[-<subject>]``, an XML name."""
    parts = [instrument.id, round]
    if subject:
        slug = _UNSAFE.sub("-", subject.strip().lower()).strip("-.")[:24]
        digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:6]
        parts.append(f"{slug}-{digest}" if slug else digest)
    name = _UNSAFE.sub("-", "-".join(parts)).strip("-.")
    return name if name[:1].isalpha() else f"f-{name}"


def _safe_name(value: str) -> str:
    """A file or folder name made from something Central sent (never a path)."""
    name = _UNSAFE.sub("_", value).strip("._")[:120]
    return name or "file"


class OdkCentralConnector:
    """Publishes instruments as XLSForms on ODK Central (API v1) and pulls what phones send.

    A pull asks for pages of ``page_size`` submissions (1,000 by default) that grow
    while Central answers fast, up to ``max_page_size`` (5,000 by default; it bounds
    memory), and shrink when it is slow or fails (the core's ``PageSizes``); a
    ``page_size`` given without ``max_page_size`` keeps every page that size.
    ``prefetch`` asks for the next page (in a helper thread) while one is stored.
    """

    name: ClassVar[str] = PLATFORM
    title: ClassVar[str] = "ODK Central (API v1, XLSForm, ODK Collect)"
    artefact_suffixes: ClassVar[tuple[str, ...]] = (".xlsx",)
    #: names every XLSForm already uses (the meta group and what goes in it)
    reserved_codes: ClassVar[frozenset[str]] = XLSFORM_RESERVED
    credential_label: ClassVar[str] = "password"
    server_aliases: ClassVar[Mapping[str, str]] = {}
    push_options: ClassVar[type[PushOptions]] = OdkPushOptions

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: HttpPolicy = POLICY,
        page_size: int | None = None,
        max_page_size: int | None = None,
        prefetch: bool = True,
    ) -> None:
        self._transport = transport
        self._policy = policy
        # pages adapt by default; a page size given alone keeps every page that size
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.prefetch = prefetch

    def client(self, profile: Profile) -> CentralClient:
        """A client for the profile's server, logged in as its user (an e-mail address)."""
        if profile.platform != PLATFORM:
            msg = f"profile {profile.name!r} is for {profile.platform}, not {PLATFORM}"
            raise ConfigError(msg)
        auth = str(profile.options.get("auth") or "session")
        if auth not in {"session", "basic"}:
            msg = f"profile {profile.name!r}: auth must be 'session' or 'basic', not {auth[:20]!r}"
            raise ConfigError(msg)
        return CentralClient(
            profile.url,
            profile.user or "",
            SecretStr(profile.require_secret(self.credential_label)),
            auth="basic" if auth == "basic" else "session",
            transport=self._transport,
            policy=self._policy,
        )

    def check(self, profile: Profile) -> str:
        """Log in; say who we are and how many projects this account sees."""
        with self.client(profile) as client:
            user = client.current_user()
            projects = client.projects()
        return f"logged in to {client.base_url} as {user.email}; {len(projects)} projects"

    # -- render -----------------------------------------------------------------------

    def render(self, instrument: Instrument, options: Mapping[str, Any] | None = None) -> Artefact:
        """The XLSForm as ``.xlsx`` (to upload by hand in Central: Project > New form)."""
        fmt = str((options or {}).get("format", "xlsx")).lower().lstrip(".")
        if fmt != "xlsx":
            msg = f"the odk connector renders xlsx, not {fmt[:20]!r}"
            raise ConfigError(msg, hint="use --format xlsx")
        form = build_xlsform(instrument, easy_read=bool((options or {}).get("easy_read")))
        return Artefact(
            content=xlsx_bytes(form),
            filename=f"{instrument.id}-{instrument.version}.xlsx",
            media_type=XLSX_MEDIA_TYPE,
            warnings=tuple(form.warnings),
            # the pictures and sounds the form names: uploaded to Central with it
            media=tuple(MediaFile(m.name, m.path, m.media_type) for m in form.media),
        )

    # -- push -------------------------------------------------------------------------

    def push(
        self,
        instrument: Instrument,
        profile: Profile,
        *,
        round: str,  # noqa: A002
        existing: Deployment | None = None,
        subject: str | None = None,
        update: bool = False,
        activate: bool = True,
        options: PushOptions | None = None,
        media: Sequence[MediaFile] = (),
        handover_dir: Path | None = None,
        easy_read: bool = False,
    ) -> Pushed:
        """Publish the form (or a new version of it), make the app user, hand over the QR code.

        ``easy_read`` publishes the easy-read form. It is a form of its own (id ending
        in ``-easy-read``), not a version of the standard one: Central refuses a new
        version that changes a field's type, and easy read turns each grid into single
        questions.

        The pictures and sounds the form names (the instrument's, and ``media`` given on
        top) are uploaded to the draft before it is published, so phones download them
        with the form.

        ``update`` and ``activate`` change nothing here: a new instrument version
        always publishes a new form version, and a Central form is open once published.
        """
        del update, activate
        chosen = OdkPushOptions.of(options)
        if existing is not None and existing.instrument != instrument.id:
            msg = (
                f"deployment {existing.key} runs {existing.instrument}, not {instrument.id}; "
                "it cannot be reused"
            )
            raise ConfigError(msg)
        if existing is not None and existing.easy_read != easy_read:
            # the other presentation is another form: keep only the project
            existing = existing.model_copy(
                update={"details": {"project_name": existing.details.get("project_name")}}
            )
        before: dict[str, Any] = dict(existing.details) if existing is not None else {}
        project_name = (
            chosen.project
            or before.get("project_name")
            or str(profile.options.get("project") or DEFAULT_PROJECT)
        )
        form_id = str(
            before.get("form_id")
            or form_id_for(instrument, round, subject) + ("-easy-read" if easy_read else "")
        )
        form = build_xlsform(instrument, easy_read=easy_read)
        form.settings["form_id"] = form_id
        # the pictures and sounds the form names (the instrument's), and those given on top
        given: list[MediaFile | InstrumentMedia] = [*form.media, *media]
        files = [_media(file) for file in given]
        with self.client(profile) as client:
            done = publish(
                client,
                project_name=project_name,
                form_id=form_id,
                version=instrument.version,
                xlsx=xlsx_bytes(form),
                media=files,
                app_user_name=chosen.app_user,
                accept_warnings=chosen.accept_warnings,
            )
            server = client.base_url
        versions = dict(before.get("versions") or {})
        versions.setdefault(instrument.version, instrument.version)
        page = f"{server}/#/projects/{done.project.id}/forms/{segment(form_id)}"
        web = f"{server}/-/{done.form.enketo_id}" if done.form.enketo_id else None
        deployment = Deployment(
            platform=PLATFORM,
            profile=profile.name,
            remote_id=f"{done.project.id}/{form_id}",
            instrument=instrument.id,
            instrument_version=instrument.version,
            round=round,
            subject=subject,
            url=web or page,
            created_at=existing.created_at if existing else datetime.now(timezone.utc),
            details={
                "server": server,
                "project_id": done.project.id,
                "project_name": done.project.name,
                "form_id": form_id,
                "form_page": page,
                "web_form": web,
                "versions": versions,
                "published_versions": list(done.versions),
                "app_user_id": done.app_user.id,
                "app_user": done.app_user.display_name,
                "missing_media": list(done.missing_media),
                **({"easy_read": True} if easy_read else {}),
            },
        )
        handover = self.describe(deployment)
        if done.app_user.token is not None:
            settings = CollectSettings(
                server=server,
                project_id=done.project.id,
                project_name=done.project.name,
                token=done.app_user.token,
            )
            written: tuple[Path, ...] = ()
            if handover_dir is not None:
                handover_dir.mkdir(parents=True, exist_ok=True)
                name = f"odk-collect-{_safe_name(profile.name)}-{done.project.id}.png"
                written = (settings.write_png(handover_dir / name),)
            handover = handover.model_copy(
                update={
                    "summary": f"{done.action}: form {form_id} version {instrument.version} "
                    f"in project {done.project.name!r} on {server}",
                    "qr_payload": settings.payload(),
                    "qr_label": "ODK Collect settings (Collect: Add project > Scan QR code)",
                    "files": written,
                }
            )
        return Pushed(deployment=deployment, handover=handover)

    def describe(self, deployment: Deployment) -> Handover:
        """What field workers and their coordinator need (the QR code only comes with a push:
        its app-user key is a credential, never stored)."""
        details = deployment.details
        links = [Link(label="form in Central", url=str(details.get("form_page") or deployment.url))]
        if details.get("web_form"):
            links.append(Link(label="web form", url=str(details["web_form"])))
        notes = [
            (
                "Field workers: install ODK Collect, then Add project > Scan QR code; the code "
                f"logs in as app user {details.get('app_user')!r} and gets this form (and its "
                "new versions) automatically."
            ),
            (
                "The QR code is a credential: share it only with field workers. To stop a phone "
                "sending, revoke the app user in Central (Project > App Users)."
            ),
            "To print the QR code again, run the same coprod push again.",
        ]
        missing = details.get("missing_media") or []
        if missing:
            notes.append(
                "The form names media files that were not uploaded: "
                + ", ".join(str(m) for m in missing)
                + " (give them with --media, or upload them in Central)."
            )
        return Handover(
            summary=f"form {details.get('form_id')} in project {details.get('project_name')!r}",
            links=tuple(links),
            notes=tuple(notes),
        )

    # -- pull -------------------------------------------------------------------------

    def pull(
        self,
        deployment: Deployment,
        profile: Profile,
        *,
        instrument: Instrument,
        since: str | None = None,
        full: bool = False,
    ) -> Iterator[Page]:
        """Submissions after the cursor ``since``, a page at a time (see
        :mod:`coprod_odk.cursor`); the last page may be empty and still moves the cursor.
        The next page is asked for while this one is converted and stored (one page
        ahead, in a helper thread; ``prefetch=False`` turns it off)."""
        project_id, form_id = _where(deployment)
        with self.client(profile) as client, fewer_collections():
            batches = read_submissions(
                client,
                project_id,
                form_id,
                since=None if full else since,
                page_size=self.page_size,
                max_page_size=self.max_page_size,
            )
            # while a page is converted and stored, a helper thread asks for the next one
            source = prefetch(batches, name="odk-prefetch") if self.prefetch else batches
            # what every submission of this pull shares is looked up once
            record = _PullReader(self, deployment, instrument).record
            with closing(source):
                for batch in source:
                    yield Page.model_construct(
                        records=list(map(record, batch.rows)),
                        cursor=batch.cursor,
                        requests=batch.requests,
                    )

    def record(
        self, deployment: Deployment, instrument: Instrument, row: dict[str, Any]
    ) -> PulledRecord:
        """One submission as a record: raw, and a response unless a reviewer rejected it.

        A pull makes the same records with :class:`_PullReader` (quicker, the same result)."""
        response = None if is_held(row) else self.response(deployment, instrument, row)
        return PulledRecord.model_construct(
            remote_response_id=str(row.get("__id")), raw=row, response=response
        )

    @staticmethod
    def response(
        deployment: Deployment,
        instrument: Instrument,
        row: Mapping[str, Any],
        *,
        by_date: bool = False,
    ) -> Response:
        """``row`` as a response; ``by_date``: in the round its submission date falls in
        (an export read by hand), else in the deployment's round."""
        versions: Mapping[str, str] = deployment.details.get("versions") or {}
        system = row.get("__system")
        submitted = system.get("submissionDate") if isinstance(system, Mapping) else None
        version, flags = _version(form_version(row), versions, instrument.version)
        return _response(
            instrument,
            row,
            response_id=response_id(str(row.get("__id"))),
            submitted=submitted,
            when=submitted_at(submitted if isinstance(submitted, str) else None),
            round=None if by_date else deployment.round,
            language=language_of(row, instrument.languages),
            subject=deployment.subject,
            deployment=deployment.key,
            version=version,
            flags=flags,
        )

    # -- status -----------------------------------------------------------------------

    def status(self, deployment: Deployment, profile: Profile) -> DeploymentStatus:
        """Whether the form is published and open, its submission count and its links."""
        project_id, form_id = _where(deployment)
        with self.client(profile) as client:
            form = client.form(project_id, form_id, extended=True)
        urls = {"form": str(deployment.details.get("form_page") or deployment.url)}
        if deployment.details.get("web_form"):
            urls["web_form"] = str(deployment.details["web_form"])
        return DeploymentStatus(
            live=form.published and form.state == "open",
            responses=form.submissions,
            urls=urls,
            message=f"version {form.version}, {form.state}",
        )

    # -- attachments ------------------------------------------------------------------

    def download_attachments(
        self,
        deployment: Deployment,
        profile: Profile,
        folder: Path,
        *,
        since: str | None = None,
    ) -> list[Path]:
        """Download every submission's files into ``folder/<instance id>/<file name>``.

        A file already there is asked for with its checksum (``If-None-Match``) and
        not downloaded again unless it changed (an edit can replace a photo).
        """
        project_id, form_id = _where(deployment)
        root = folder.resolve()
        written: list[Path] = []
        with self.client(profile) as client:
            for batch in read_submissions(
                client,
                project_id,
                form_id,
                since=since,
                page_size=self.page_size,
                max_page_size=self.max_page_size,
                files_only=True,
            ):
                for row in batch.rows:
                    instance_id = str(row.get("__id"))
                    for attachment in client.submission_attachments(
                        project_id, form_id, instance_id
                    ):
                        if not attachment.exists:
                            continue
                        target = root / _safe_name(response_id(instance_id))
                        target = target / _safe_name(attachment.name)
                        if root not in target.resolve().parents:  # pragma: no cover - safe names
                            msg = f"{attachment.name!r} would be written outside {folder}"
                            raise PlatformError(msg)
                        client.fetch_attachment(
                            project_id, form_id, instance_id, attachment.name, target
                        )
                        written.append(target)
        return written

    # -- manual path ------------------------------------------------------------------

    def import_export_file(
        self,
        path: Path,
        instrument: Instrument,
        *,
        round: str | None,  # noqa: A002
        subject: str | None = None,
        deployment: str | None = None,
    ) -> Iterator[Response]:
        """Responses from Central's CSV export (the zip, or its main ``.csv``); rows a
        reviewer rejected are left out, as in a pull."""
        key = deployment or f"{PLATFORM}:file:{path.name}"
        record = Deployment(
            platform=PLATFORM,
            profile="file",
            remote_id=path.name,
            instrument=instrument.id,
            instrument_version=instrument.version,
            round=round or default_round(),
            subject=subject,
            created_at=datetime.now(timezone.utc),
            details={"versions": {instrument.version: instrument.version}},
        )
        for row in read_export(path):
            if is_held(row):
                continue
            response = self.response(record, instrument, row, by_date=round is None)
            yield response.model_copy(update={"deployment": key})


class _PullReader:
    """:meth:`OdkCentralConnector.record` for every submission of one pull, with what the
    submissions share (the deployment's key, round and versions, the instrument's
    languages) looked up once, and ``__system`` read once a submission. A submission
    of an unusual shape (no ``__system`` object, an id that is not text) takes the
    connector's own path; the result is the same either way (tested)."""

    def __init__(
        self, connector: OdkCentralConnector, deployment: Deployment, instrument: Instrument
    ) -> None:
        self.connector = connector
        self.deployment = deployment
        self.instrument = instrument
        self.versions: Mapping[str, str] = deployment.details.get("versions") or {}
        self.version = instrument.version
        self.languages = instrument.languages
        self.round = deployment.round
        self.subject = deployment.subject
        self.key = deployment.key

    def record(self, row: dict[str, Any]) -> PulledRecord:
        system = row.get("__system")
        instance_id = row.get("__id")
        if type(system) is not dict or type(instance_id) is not str:
            return self.connector.record(self.deployment, self.instrument, row)
        response = None
        if system.get("reviewState") != REJECTED:
            response = self.response(row, system, instance_id)
        # the row is a JSON object and the response was built and checked: no need to
        # validate them again
        return construct(
            PulledRecord,
            {"remote_response_id": instance_id, "raw": row, "response": response},
        )

    def response(self, row: dict[str, Any], system: dict[str, Any], instance_id: str) -> Response:
        found = system.get("formVersion")
        version = self.versions.get(found) if type(found) is str and found else None
        flags: list[Flag] = []
        if version is None:
            version, flags = _version(
                found if isinstance(found, str) and found else None, self.versions, self.version
            )
        submitted = system.get("submissionDate")
        # the answers collected from the groups as they are converted (one walk); a date
        # that cannot be read is flagged by build_response, with what came
        response = build_response(
            self.instrument,
            row,
            response_id=instance_id.removeprefix("uuid:"),
            submitted_at=parse_time(submitted) if type(submitted) is str else None,
            submitted_raw=submitted,
            round=self.round,
            language=language_of(row, self.languages),
            subject=self.subject,
            deployment=self.key,
            platform=PLATFORM,
            extra_flags=flags,
            names=answer_name,
            nested=True,
        )
        if version != response.instrument_version:
            response = response.model_copy(update={"instrument_version": version})
        return response


def _response(
    instrument: Instrument,
    row: Mapping[str, Any],
    *,
    response_id: str,
    submitted: Any,
    when: datetime | None,
    round: str | None,  # noqa: A002
    language: str | None,
    subject: str | None,
    deployment: str,
    version: str,
    flags: list[Flag],
) -> Response:
    """The response of a submission whose ``__system`` was read: its answers converted,
    in the instrument version it answered (``version``)."""
    response = build_response(
        instrument,
        answers_from_row(row),
        response_id=response_id,
        submitted_at=when,
        submitted_raw=submitted,
        round=round,
        language=language,
        subject=subject,
        deployment=deployment,
        platform=PLATFORM,
        extra_flags=flags,
    )
    if version != response.instrument_version:
        response = response.model_copy(update={"instrument_version": version})
    return response


def _where(deployment: Deployment) -> tuple[int, str]:
    details = deployment.details
    project_id, form_id = details.get("project_id"), details.get("form_id")
    if not isinstance(project_id, int) or not isinstance(form_id, str) or not form_id:
        msg = f"deployment {deployment.key} does not say which Central project and form it is"
        raise NotFoundError(msg, hint="push the instrument again to record it anew")
    return project_id, form_id


def _media(file: MediaFile | InstrumentMedia) -> Media:
    try:
        content = file.path.read_bytes()
    except OSError as exc:
        msg = f"{file.path}: cannot read the media file ({exc.strerror})"
        raise ConfigError(msg) from exc
    return Media(file.name, content, file.media_type)


def _version(
    found: str | None, versions: Mapping[str, str], current: str
) -> tuple[str, list[Flag]]:
    """The instrument version a submission answered, and a flag if its form version is unknown."""
    if found is None:
        return current, []
    known = versions.get(found)
    if known is not None:
        return known, []
    return current, [
        Flag(
            code="__system/formVersion",
            kind=FlagKind.INCONSISTENT,
            value=found,
            message=(
                f"form version {found} was not published by coprod (edited in Central?); its "
                f"answers were read as instrument version {current}"
            ),
        )
    ]


__all__ = [
    "DEFAULT_APP_USER",
    "DEFAULT_PROJECT",
    "OdkCentralConnector",
    "OdkPushOptions",
    "form_id_for",
]
