"""The LimeSurvey connector: what the core finds through the entry point."""

from __future__ import annotations

import base64
import codecs
import logging
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from pydantic import Field, FilePath, ValidationError

from coprod_connectors import (
    Artefact,
    ConfigError,
    Deployment,
    DeploymentStatus,
    Handover,
    Link,
    MediaFile,
    NotFoundError,
    Page,
    PageSizes,
    PermissionDeniedError,
    PlatformError,
    PulledRecord,
    Pushed,
    PushOptions,
    ResponseDataError,
    UnavailableError,
    construct,
    fewer_collections,
    integer_cursor,
    prefetch,
)
from coprod_limesurvey.attachments import response_ids_with_uploads, save_uploads
from coprod_limesurvey.layout import META_COLUMNS, RESERVED_CODES
from coprod_limesurvey.participants import (
    ParticipantList,
    ParticipantsReport,
    add_participants,
    ensure_participant_table,
    read_participants,
)
from coprod_limesurvey.render import MARKER_PATTERN, marker, render_lss, survey_title
from coprod_limesurvey.rows import RowConverter, read_export, zone
from coprod_limesurvey.rpc import NoDataError, RemoteControl
from coprod_limesurvey.wire import (
    CompletionStatus,
    ExportDocument,
    Summary,
    SurveyListItem,
)

if TYPE_CHECKING:
    from coprod_connectors import Instrument, Profile, Response

logger = logging.getLogger(__name__)

#: Response ids asked for by a pull's first export_responses call. LimeSurvey 6.14
#: spends ~27 ms on a call plus ~0.22 ms a row (benchmarks/bench_pull_limesurvey.py):
#: a first range of 1,000 comes back in about a quarter of a second, near 1 MB.
DEFAULT_PAGE_SIZE = 1000
#: The bounds of the ranges when they adapt: memory is bounded by the largest (a
#: range of 5,000 is about 5 MB of export), the smallest is what a slow or failing
#: server is asked for at worst.
DEFAULT_MAX_PAGE_SIZE = 5000
DEFAULT_MIN_PAGE_SIZE = 100
#: No pull makes more export calls than this (a server that makes up ids forever).
MAX_EXPORTS = 100_000

#: How many response ids the next export asks for: the core's :class:`PageSizes`. An
#: export answered within 2 s makes the next range twice as large; one of 10 s or more
#: makes it half as large, and a failed one halves it before it is tried again (and no
#: later range is larger). A range
#: of 5,000 takes LimeSurvey about 1.1 s, so a busy server still reaches the largest
#: range (at 1 s it stayed at 4,000 under load: 31 calls instead of 26 for 100,000
#: responses).
RangeSizes = PageSizes


def survey_urls(site_url: str, sid: int | str, languages: list[str]) -> dict[str, str]:
    """The public survey URL, one per language, and the admin page."""
    base = site_url.rstrip("/")
    urls = {"survey": f"{base}/index.php/{sid}"}
    for language in languages[1:]:
        urls[f"survey_{language}"] = f"{base}/index.php/{sid}?lang={language}"
    urls["admin"] = f"{base}/index.php/surveyAdministration/view?surveyid={sid}"
    return urls


class LimeSurveyPushOptions(PushOptions):
    """What ``coprod push`` can ask of LimeSurvey (``--option NAME=VALUE``)."""

    closed: bool = Field(
        default=False, description="Only invited participants (with a token) can answer."
    )
    participants: FilePath | None = Field(
        default=None,
        description="A CSV of participants (firstname, lastname, email, ...) to add; "
        "makes the survey closed.",
    )
    invite: bool = Field(default=False, description="Email the participants their invitations.")


class LimeSurveyConnector:
    """Renders instruments as LimeSurvey 6 surveys (.lss) and runs them over RemoteControl.

    ``transport`` or ``client`` (httpx) can be injected; a pull asks for
    response ids in ranges that start at ``page_size`` and grow while the server
    answers fast, up to ``max_page_size`` (which bounds memory), and shrink when
    it is slow or fails (see :class:`RangeSizes`; ``clock`` times the answers);
    a ``page_size`` given without ``max_page_size`` keeps every range that size.
    ``timeout``, ``retries``, ``backoff`` and ``sleep`` change those of the core's
    HTTP policy (tests pass a ``sleep`` that does not);
    ``prefetch`` asks for the next id ranges (in a helper thread) while a page
    is converted and stored.
    """

    name: ClassVar[str] = "limesurvey"
    title: ClassVar[str] = "LimeSurvey 6 (RemoteControl JSON-RPC)"
    artefact_suffixes: ClassVar[tuple[str, ...]] = (".lss",)
    #: its response table's own columns and the Expression Manager's names
    reserved_codes: ClassVar[frozenset[str]] = META_COLUMNS | RESERVED_CODES
    credential_label: ClassVar[str] = "password"
    server_aliases: ClassVar[Mapping[str, str]] = {}
    push_options: ClassVar[type[PushOptions]] = LimeSurveyPushOptions

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
        timeout: httpx.Timeout | None = None,
        page_size: int | None = None,
        max_page_size: int | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        sleep: Callable[[float], None] | None = None,
        prefetch: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._client = client
        self._timeout = timeout
        self.page_size = max(1, page_size or DEFAULT_PAGE_SIZE)
        # ranges adapt by default; a page size given alone keeps every range that size
        largest = max_page_size or (DEFAULT_MAX_PAGE_SIZE if page_size is None else self.page_size)
        self.max_page_size = max(self.page_size, largest)
        self.min_page_size = (
            min(self.page_size, DEFAULT_MIN_PAGE_SIZE)
            if self.max_page_size > self.page_size
            else self.page_size
        )
        self._clock = clock
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self.prefetch = prefetch

    # -- render ------------------------------------------------------------------------

    def render(self, instrument: Instrument, options: Mapping[str, Any] | None = None) -> Artefact:
        """The survey structure (.lss) to import in LimeSurvey (Surveys > Create > Import).

        ``options["format"]`` is the contract's file type (only ``lss``); LimeSurvey's own
        page setting is ``options["page_format"]`` (G, S or A), never ``format``."""
        given = dict(options or {})
        fmt = str(given.pop("format", "lss") or "lss").lower().lstrip(".")
        if f".{fmt}" not in self.artefact_suffixes:
            msg = f"LimeSurvey surveys are .lss files, not .{fmt}"
            raise ConfigError(msg, hint="write the survey to a file ending in .lss")
        text, plan = render_lss(instrument, given)
        return Artefact(
            content=text.encode("utf-8"),
            filename=f"{instrument.id}-{instrument.version}.lss",
            media_type="application/xml",
            warnings=tuple(plan.warnings),
        )

    # -- sessions ----------------------------------------------------------------------

    def session(self, profile: Profile) -> RemoteControl:
        """A RemoteControl session for ``profile`` (use it in a ``with`` block)."""
        if not profile.user:
            msg = f"profile {profile.name!r} has no user"
            raise ConfigError(msg, hint='add user = "..." to the profile in coprod.toml')
        return RemoteControl(
            profile.url,
            profile.user,
            profile.require_secret(self.credential_label),
            client=self._client,
            transport=self._transport,
            timeout=self._timeout,
            retries=self._retries,
            backoff=self._backoff,
            sleep=self._sleep,
        )

    def check(self, profile: Profile) -> str:
        """Log in with the profile; say who we are and how many surveys the account sees."""
        with self.session(profile) as rc:
            try:
                listed = rc.call("list_surveys")
            except NoDataError:
                listed = []
            count = len(listed) if isinstance(listed, list) else 0
            return f"logged in to {rc.site_url} as {profile.user}; {count} surveys"

    # -- push --------------------------------------------------------------------------

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
        """Import, (optionally) set up participants, and activate; reuse what is already there.

        Reuses ``existing`` when the survey still exists, or a survey on the
        server already made for the same instrument version, round and subject
        (found by the marker in its description), so a lost store does not
        create a duplicate. A new instrument version always creates a new survey
        (LimeSurvey cannot change the questions of an active survey). For the
        same reason, ``easy_read`` (the easy-read survey, recorded as
        ``details["easy_read"]`` and in the marker) different from ``existing``'s
        is a ConfigError while that survey exists: a new ``round`` is needed.

        Options (:class:`LimeSurveyPushOptions`): ``closed`` (use a participant
        table, so only invited people can answer), ``participants`` (a CSV of
        people added before activation), ``invite`` (send invitations after
        activation). ``update`` is accepted for the protocol; LimeSurvey surveys
        are never changed in place. Media files are not uploaded (yet): giving
        any is a ConfigError. No files are written for people.
        """
        del update, handover_dir
        if media:
            msg = "the limesurvey connector cannot upload media files with a survey yet"
            raise ConfigError(msg, hint="add the pictures to the survey in LimeSurvey's editor")
        chosen = LimeSurveyPushOptions.of(options)
        people = read_participants(chosen.participants) if chosen.participants else None
        closed = chosen.closed or people is not None
        invite = chosen.invite
        with self.session(profile) as rc:
            sid: int | None = None
            created = False
            if existing is not None and existing.instrument_version == instrument.version:
                sid = self._survey_if_exists(rc, int(existing.remote_id))
                if sid is not None and existing.easy_read != easy_read:
                    raise ConfigError(_presentation_fixed(existing, sid, round))
            if sid is None:
                sid = self._find_marked(
                    rc, instrument, round=round, subject=subject, easy_read=easy_read
                )
            if sid is None:
                text, _ = render_lss(
                    instrument, {"round": round, "subject": subject, "easy_read": easy_read}
                )
                data = base64.b64encode(text.encode("utf-8")).decode("ascii")
                result = rc.call("import_survey", data, "lss")
                sid = _as_int(result, "import_survey")
                created = True
                logger.info("imported %s %s as survey %s", instrument.id, instrument.version, sid)
            active = self._is_active(rc, sid)
            if closed:
                ensure_participant_table(rc, sid, people.attribute_ids if people else ())
            report: ParticipantsReport | None = None
            if people is not None and not invite:
                report = add_participants(rc, sid, people)
            if activate and not active:
                self._activate(rc, sid)
                active = True
            if people is not None and invite:
                report = add_participants(rc, sid, people, invite=True)
            urls = survey_urls(rc.site_url, sid, instrument.languages)
        details: dict[str, Any] = {
            "survey_id": sid,
            "languages": instrument.languages,
            "closed": closed,
            "active": active,
            "created": created,
            "urls": urls,
        }
        if easy_read:
            details["easy_read"] = True
        if people is not None:
            details["attributes"] = people.attributes
        if report is not None:
            details["participants_added"] = len(report.added)
        if existing is not None and str(existing.remote_id) == str(sid):
            deployment = existing.model_copy(update={"url": urls["survey"], "details": details})
            return Pushed(deployment=deployment, handover=self.describe(deployment))
        deployment = Deployment(
            platform=self.name,
            profile=profile.name,
            remote_id=str(sid),
            instrument=instrument.id,
            instrument_version=instrument.version,
            round=round,
            subject=subject,
            url=urls["survey"],
            created_at=datetime.now(timezone.utc),
            details=details,
        )
        return Pushed(deployment=deployment, handover=self.describe(deployment))

    @staticmethod
    def _survey_if_exists(rc: RemoteControl, sid: int) -> int | None:
        try:
            rc.call("get_survey_properties", sid, ["active"])
        except NotFoundError:
            return None
        return sid

    @staticmethod
    def _is_active(rc: RemoteControl, sid: int) -> bool:
        props = rc.call("get_survey_properties", sid, ["active"])
        return isinstance(props, dict) and props.get("active") == "Y"

    @staticmethod
    def _activate(rc: RemoteControl, sid: int) -> None:
        try:
            rc.call("activate_survey", sid)
        except PlatformError as exc:
            if "already active" in (exc.platform_message or "").lower():
                return
            raise

    @staticmethod
    def _find_marked(
        rc: RemoteControl,
        instrument: Instrument,
        *,
        round: str,  # noqa: A002
        subject: str | None,
        easy_read: bool,
    ) -> int | None:
        """A survey on the server made for this instrument version, round, subject and
        presentation."""
        wanted = marker(instrument, round=round, subject=subject, easy_read=easy_read)
        titles = {survey_title(instrument).strip(), instrument.title[instrument.default_language]}
        try:
            listed = rc.call("list_surveys")
        except NoDataError:
            return None
        candidates = []
        for item in listed if isinstance(listed, list) else []:
            try:
                survey = SurveyListItem.model_validate(item)
            except ValidationError:
                continue
            if survey.surveyls_title.strip() in titles:
                candidates.append(survey)
        # an active survey first, then the oldest
        for survey in sorted(candidates, key=lambda s: (s.active != "Y", s.sid)):
            try:
                props = rc.call(
                    "get_language_properties",
                    survey.sid,
                    ["surveyls_description"],
                    instrument.default_language,
                )
            except (NotFoundError, PermissionDeniedError, NoDataError):
                continue
            description = props.get("surveyls_description") if isinstance(props, dict) else None
            found = MARKER_PATTERN.search(description or "")
            if found and found.group(1) == wanted:
                logger.info("found survey %s already made for %s", survey.sid, wanted)
                return survey.sid
        return None

    # -- participants ------------------------------------------------------------------

    def participants(
        self,
        deployment: Deployment,
        profile: Profile,
        people: ParticipantList,
        *,
        dry_run: bool = False,
        invite: bool = False,
    ) -> ParticipantsReport:
        """Add ``people`` (skipping those already there); optionally invite; or just say what."""
        with self.session(profile) as rc:
            return add_participants(
                rc,
                int(deployment.remote_id),
                people,
                dry_run=dry_run,
                invite=invite,
                survey_url=deployment.url,
            )

    def add_participants(
        self,
        deployment: Deployment,
        profile: Profile,
        csv_path: Path,
        *,
        invite: bool = False,
        dry_run: bool = False,
    ) -> list[str]:
        """Add the people in a CSV (firstname, lastname, email, ...); lines to print."""
        report = self.participants(
            deployment, profile, read_participants(csv_path), dry_run=dry_run, invite=invite
        )
        return list(report.lines())

    def describe(self, deployment: Deployment) -> Handover:
        """What people need after a push: the survey, its links, who can answer."""
        details = deployment.details
        state = "live" if details.get("active") else "not active yet"
        verb = "created" if details.get("created") else "reused"
        urls = details.get("urls") or {}
        links = [Link(label="survey URL", url=str(deployment.url))]
        links.extend(
            Link(label=f"survey URL ({key.removeprefix('survey_')})", url=str(url))
            for key, url in urls.items()
            if key.startswith("survey_")
        )
        notes = []
        if details.get("closed"):
            notes.append("closed survey: only people with an invitation (token) can answer")
        if "participants_added" in details:
            notes.append(f"participants added: {details['participants_added']}")
        return Handover(
            summary=(
                f"{verb} LimeSurvey survey {deployment.remote_id} ({deployment.instrument} "
                f"{deployment.instrument_version}, round {deployment.round}): {state}"
            ),
            links=tuple(links),
            notes=tuple(notes),
        )

    def import_export_file(
        self,
        path: Path,
        instrument: Instrument,
        *,
        round: str | None,  # noqa: A002
        subject: str | None = None,
        deployment: str | None = None,
    ) -> Iterator[Response]:
        """Responses from a CSV export downloaded from LimeSurvey's UI."""
        return read_export(
            path,
            instrument,
            round=round,
            subject=subject,
            deployment=deployment,
            include_incomplete=True,
        )

    # -- pull --------------------------------------------------------------------------

    def pull(
        self,
        deployment: Deployment,
        profile: Profile,
        *,
        instrument: Instrument,
        since: str | None = None,
        full: bool = False,
        incomplete: bool = False,
    ) -> Iterator[Page]:
        """Responses after the cursor ``since`` (a response id), a page per id range.

        Complete responses only, unless ``incomplete`` (or the profile option
        ``include_incomplete``) asks for those too; they come with
        ``complete=False``. An empty survey, or one that is not active yet,
        gives no pages. Response dates are read in the profile option
        ``timezone`` (default UTC).
        """
        incomplete = incomplete or bool(profile.options.get("include_incomplete"))
        status = CompletionStatus.ALL if incomplete else CompletionStatus.COMPLETE
        convert = RowConverter(
            instrument,
            round=deployment.round,
            subject=deployment.subject,
            deployment=deployment.key,
            tz=zone(profile.options.get("timezone")),
            labels=False,  # "short" answers are answer codes
        )
        sid = int(deployment.remote_id)
        last = (
            None if full else integer_cursor(since, platform="LimeSurvey", unit="a response id")
        ) or 0
        with self.session(profile) as rc, fewer_collections():
            batches = self._batches(rc, sid, status, last)
            # while a page is converted and stored, a helper thread asks for the next ranges
            source = prefetch(batches, name="limesurvey-prefetch") if self.prefetch else batches
            with closing(source):
                for rows, ids, cursor, requests in source:
                    # built without re-validation: every field is already of its type
                    records = [
                        construct(
                            PulledRecord,
                            {"remote_response_id": str(n), "raw": row, "response": convert(row)},
                        )
                        for n, row in zip(ids, rows, strict=True)
                    ]
                    yield Page.model_construct(
                        records=records, cursor=str(cursor), requests=requests
                    )

    def _batches(
        self, rc: RemoteControl, sid: int, status: CompletionStatus, last: int
    ) -> Generator[tuple[list[dict[str, Any]], list[int], int, int], None, None]:
        """(rows, their ids, the cursor after them, requests made) for each id range after
        ``last`` that has rows; a range with none is skipped by asking for the next id.

        The ranges adapt (see :class:`RangeSizes`). Every export must move the
        cursor on: a server that answers with ids outside the range asked for
        (one that ignores the range) is a PlatformError, and no pull makes more
        than :data:`MAX_EXPORTS` calls, so a pull always ends.
        """
        sizes = RangeSizes(self.page_size, self.min_page_size, self.max_page_size)
        for _ in range(MAX_EXPORTS):
            before = rc.requests
            low, high = last + 1, last + sizes.size
            started = self._clock()
            try:
                rows = self._export(rc, sid, status, low, high)
            except UnavailableError:
                if sizes.failed():  # a smaller range may get through
                    logger.info("export of %s-%s failed; asking for %s ids", low, high, sizes.size)
                    continue
                raise
            sizes.answered(self._clock() - started)
            if rows is None:
                return
            if not rows:
                following = self._next_id(rc, sid, status, high + 1)
                if following is None:
                    return
                last = following - 1
                continue
            ids = [_row_id(row) for row in rows]
            if min(ids) < low or max(ids) > high or len(set(ids)) != len(ids):
                # a server that ignores the range would hand out the same rows forever
                msg = (
                    f"LimeSurvey answered a request for responses {low}-{high} with response "
                    f"{min(ids) if min(ids) < low else max(ids)}: it ignored the id range, "
                    "and the pull would not end; nothing of that page was stored"
                )
                raise PlatformError(
                    msg, hint="check the server runs LimeSurvey 6 with its own RemoteControl"
                )
            last = max(ids)
            yield rows, ids, last, rc.requests - before
        msg = f"a pull of survey {sid} made {MAX_EXPORTS:,} exports and had not finished"
        raise PlatformError(msg, hint="check the survey's response ids; run the sync again")

    @staticmethod
    def _export(
        rc: RemoteControl,
        sid: int,
        status: CompletionStatus,
        low: int,
        high: int | None,
        fields: list[str] | None = None,
    ) -> list[dict[str, Any]] | None:
        """Rows with ids in low..high (None when the survey has no response table or rows)."""
        try:
            result = rc.call(
                "export_responses",
                sid,
                "json",
                None,
                status.value,
                "code",
                "short",
                low,
                high,
                fields,
            )
        except NoDataError:
            return None
        what = f"responses {low}-{high}" if high is not None else f"responses from {low}"
        return decode_export(result, what).responses

    def _next_id(
        self, rc: RemoteControl, sid: int, status: CompletionStatus, low: int
    ) -> int | None:
        """The first response id at or after ``low`` (ids only: a small request)."""
        rows = self._export(rc, sid, status, low, None, ["id"])
        ids = [int(row["id"]) for row in rows or () if str(row.get("id", "")).isdigit()]
        following = min(ids) if ids else None
        if following is not None and following < low:
            msg = f"LimeSurvey answered a request for responses from {low} with {following}"
            raise PlatformError(msg, hint="run the sync again; if it repeats, report it")
        return following

    # -- attachments -------------------------------------------------------------------

    def download_attachments(
        self,
        deployment: Deployment,
        profile: Profile,
        folder: Path,
        *,
        since: str | None = None,
    ) -> list[Path]:
        """Download the files people uploaded into ``folder/<response id>/<file name>``.

        Responses after ``since`` (a response id) only; files already there with
        the same size are not written again.
        """
        sid = int(deployment.remote_id)
        written: list[Path] = []
        last = integer_cursor(since, platform="LimeSurvey", unit="a response id") or 0
        with self.session(profile) as rc:
            for rows, _, _, _ in self._batches(rc, sid, CompletionStatus.ALL, last):
                for response_id in response_ids_with_uploads(rows):
                    try:
                        files = rc.call("get_uploaded_files", sid, None, int(response_id))
                    except PlatformError as exc:
                        if type(exc) is not PlatformError:
                            raise  # logged out, locked out, unreachable...: stop
                        # one response whose files are gone never stops the others
                        logger.warning("response %s: %s", response_id, exc.message)
                        continue
                    written.extend(save_uploads(folder, response_id, files))
        return written

    # -- status ------------------------------------------------------------------------

    def status(self, deployment: Deployment, profile: Profile) -> DeploymentStatus:
        """Whether the survey is active, how many complete responses it has, and its URLs."""
        sid = int(deployment.remote_id)
        languages = list(deployment.details.get("languages") or [])
        with self.session(profile) as rc:
            urls = survey_urls(rc.site_url, sid, languages)
            try:
                props = rc.call("get_survey_properties", sid, ["active", "expires"])
            except NotFoundError as exc:
                return DeploymentStatus(
                    live=False,
                    message=f"survey {sid} no longer exists ({exc.platform_message})",
                )
            live = isinstance(props, dict) and props.get("active") == "Y"
            count: int | None = None
            message = None if live else f"survey {sid} is not active"
            try:
                summary = Summary.model_validate(rc.call("get_summary", sid, "all"))
                count = summary.completed_responses
                if summary.incomplete_responses:
                    message = (message + "; " if message else "") + (
                        f"{summary.incomplete_responses} incomplete response(s) not counted"
                    )
            except (NoDataError, ValidationError):
                count = 0 if live else None
        return DeploymentStatus(live=live, responses=count, urls=urls, message=message)


def decode_export(result: Any, what: str = "responses") -> ExportDocument:
    """export_responses' base64 JSON document, decoded (``what`` names it in errors)."""
    if not isinstance(result, str):
        msg = f"LimeSurvey's export of {what} is not a base64 document"
        raise PlatformError(msg, platform_message=str(result)[:300])
    problem = "its base64 is broken"
    try:
        raw = base64.b64decode(result, validate=False)
        problem = "it is not UTF-8 text"
        raw.decode("utf-8-sig")
        problem = 'it is not a {"responses": [...]} JSON document'
        return ExportDocument.model_validate_json(raw.removeprefix(codecs.BOM_UTF8))
    except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error, ValidationError, non-ASCII
        detail = _first_error(exc)
        msg = f"LimeSurvey's export of {what} could not be read: {problem} ({detail})"
        hint = (
            "check the character set of LimeSurvey's database"
            if isinstance(exc, UnicodeDecodeError)
            else "try again; if it keeps happening, the survey's responses may be damaged"
        )
        raise UnavailableError(msg, hint=hint, platform_message=str(exc)[:300]) from exc


def _presentation_fixed(existing: Deployment, sid: int, round: str) -> str:  # noqa: A002
    """Why the survey cannot switch presentation, and what to do: a new round."""
    has, wanted = ("easy-read", "standard") if existing.easy_read else ("standard", "easy-read")
    flag = "--standard" if existing.easy_read else "--easy-read"
    return (
        f"survey {sid} (round {round}) is the {has} survey and LimeSurvey cannot change "
        f"a survey's questions; for the {wanted} one push a new round: coprod push "
        f"{existing.instrument} --to {existing.profile} {flag} --round {round}-{wanted}"
    )


def _first_error(exc: Exception) -> str:
    """One short line about what was wrong."""
    if isinstance(exc, UnicodeDecodeError):
        return f"{exc.reason} at byte {exc.start}"
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc).splitlines()[0][:200]


def _row_id(row: dict[str, Any]) -> int:
    """A row's response id (LimeSurvey sends a number; a digit string is accepted)."""
    value = row.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or int(text) == 0:
        msg = f"LimeSurvey sent a response without a usable id ({value!r})"
        raise ResponseDataError(msg, hint="export with the response id column included")
    return int(text)


def _as_int(result: Any, method: str) -> int:
    try:
        return int(result)
    except (TypeError, ValueError) as exc:
        msg = f"LimeSurvey's answer to {method} is not a survey id"
        raise PlatformError(msg, platform_message=str(result)[:300]) from exc


__all__ = [
    "DEFAULT_MAX_PAGE_SIZE",
    "DEFAULT_MIN_PAGE_SIZE",
    "DEFAULT_PAGE_SIZE",
    "LimeSurveyConnector",
    "LimeSurveyPushOptions",
    "RangeSizes",
    "decode_export",
    "survey_urls",
]
