"""The KoboToolbox connector: what the core finds through the entry point.

- ``render``: the instrument as an ``.xlsx`` XLSForm or as KPI asset JSON;
- ``push``: create the asset, deploy it, share it; a new instrument version
  redeploys the same asset so phones on the old version keep submitting;
- ``pull``: submissions sorted by ``_id``, after the cursor (the last ``_id``);
- ``status``; and the capabilities ``describe`` (the handover for field workers),
  ``download_attachments`` and ``import_export_file``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator

from coprod_connectors import (
    XLSFORM_RESERVED,
    Artefact,
    ConfigError,
    Deployment,
    DeploymentStatus,
    Handover,
    Link,
    MediaFile,
    Page,
    PlatformError,
    PulledRecord,
    Pushed,
    PushOptions,
    Response,
    build_xlsform,
    confined,
    construct,
    fewer_collections,
    integer_cursor,
    parse_timestamp,
    plan_for,
    prefetch,
    printable,
)
from coprod_kobotoolbox.client import (
    COLLECT_SERVERS,
    KPI_SERVERS,
    MAX_PAGE_SIZE,
    TOKEN_HINT,
    KpiClient,
    cap_page_size,
)
from coprod_kobotoolbox.media import FormFile, upload_form_media
from coprod_kobotoolbox.render import JSON_MEDIA_TYPE, XLSX_MEDIA_TYPE, kpi_content, xlsx_bytes
from coprod_kobotoolbox.submissions import (
    answer_code,
    is_not_approved,
    language_of,
    response_id,
    submitted_raw,
    version_of,
)

if TYPE_CHECKING:
    import httpx

    from coprod_connectors import Instrument, Profile

PLATFORM = "kobotoolbox"
#: Permissions a shared account gets: see the form, and send submissions to it.
SHARE_PERMISSIONS = ("view_asset", "add_submissions")
_USERNAME = re.compile(r"[A-Za-z0-9_.@+-]{1,150}")
_SORT_BY_ID = json.dumps({"_id": 1})


class KoboPushOptions(PushOptions):
    """What ``coprod push`` can ask of KoboToolbox (``--option NAME=VALUE``)."""

    share: list[str] = Field(
        default_factory=list,
        description="Accounts that may see the form and add submissions (comma-separated).",
    )

    @field_validator("share", mode="before")
    @classmethod
    def _usernames(cls, value: Any) -> list[str]:
        return _share_list(value)


class KoboToolboxConnector:
    """Renders instruments as XLSForms and runs them on KoboToolbox (KPI API v2)."""

    name: ClassVar[str] = PLATFORM
    title: ClassVar[str] = "KoboToolbox (KPI API v2, XLSForm)"
    artefact_suffixes: ClassVar[tuple[str, ...]] = (".xlsx", ".json")
    #: names the XLSForm and KoboToolbox give fields of their own in every form
    #: XLSForm's own names, and ``formhub``, the group KPI adds to every submission
    reserved_codes: ClassVar[frozenset[str]] = XLSFORM_RESERVED | {"formhub"}
    credential_label: ClassVar[str] = "token"
    server_aliases: ClassVar[Mapping[str, str]] = KPI_SERVERS
    push_options: ClassVar[type[PushOptions]] = KoboPushOptions

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = MAX_PAGE_SIZE,
        prefetch: bool = True,
    ) -> None:
        self._transport = transport
        self._sleep = sleep
        self.page_size = cap_page_size(page_size)
        self.prefetch = prefetch

    def client(self, profile: Profile) -> KpiClient:
        """A client for the profile's server, with its token."""
        if profile.platform != PLATFORM:
            msg = f"profile {profile.name!r} is for {profile.platform}, not {PLATFORM}"
            raise ConfigError(msg)
        return KpiClient(
            profile.url,
            profile.require_secret(self.credential_label),
            transport=self._transport,
            sleep=self._sleep,
        )

    def check(self, profile: Profile) -> str:
        """Log in with the profile's token; say who we are and how many forms there are."""
        with self.client(profile) as kpi:
            me = kpi.get("/me/", what="the account")
            forms = kpi.get("/api/v2/assets/", what="the forms", limit=1, asset_type="survey")
        username = me.get("username") if isinstance(me, dict) else None
        if not username:
            msg = f"KoboToolbox at {kpi.base_url} did not say who the token belongs to"
            raise PlatformError(msg, hint=TOKEN_HINT)
        count = forms.get("count") if isinstance(forms, dict) else None
        return f"logged in to {kpi.base_url} as {username}; {count} forms"

    # -- render -----------------------------------------------------------------------

    def render(self, instrument: Instrument, options: Mapping[str, Any] | None = None) -> Artefact:
        """The XLSForm (``{"format": "xlsx"}``, the default) or KPI asset JSON (``"json"``),
        with the pictures and sounds it names as the artefact's ``media``."""
        fmt = str((options or {}).get("format", "xlsx")).lower().lstrip(".")
        form = build_xlsform(instrument, easy_read=bool((options or {}).get("easy_read")))
        stem = f"{instrument.id}-{instrument.version}"
        # the pictures and sounds the form names: uploaded as form media with it
        media = tuple(MediaFile(m.name, m.path, m.media_type) for m in form.media)
        if fmt == "xlsx":
            return Artefact(
                content=xlsx_bytes(form),
                filename=f"{stem}.xlsx",
                media_type=XLSX_MEDIA_TYPE,
                warnings=tuple(form.warnings),
                media=media,
            )
        if fmt == "json":
            text = json.dumps(kpi_content(form), ensure_ascii=False, indent=2) + "\n"
            return Artefact(
                content=text.encode("utf-8"),
                filename=f"{stem}.json",
                media_type=JSON_MEDIA_TYPE,
                warnings=tuple(form.warnings),
                media=media,
            )
        msg = f"the kobotoolbox connector renders xlsx or json, not {fmt!r}"
        raise ConfigError(msg, hint="use --format xlsx (upload by hand) or json (KPI content)")

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
        """Create and deploy the asset, or reuse / redeploy ``existing``.

        - ``existing`` with the same instrument version and presentation (and not
          ``update``): reused, re-activated if it was archived;
        - ``existing`` with another version or presentation (or ``update``): the
          SAME asset gets the new content and is redeployed with the new version
          id, so phones still holding the old form version keep submitting to it;
        - ``easy_read``: the easy-read form (recorded as ``details["easy_read"]``);
        - ``share`` (:class:`KoboPushOptions`): usernames given ``view_asset`` and
          ``add_submissions``.

        The pictures and sounds the form names (the instrument's, and ``media``
        given on top) are uploaded to the asset as form media before it is
        deployed, so phones download them with the form. No files are written
        for people.
        """
        del handover_dir
        shares = KoboPushOptions.of(options).share
        if existing is not None and existing.instrument != instrument.id:
            msg = (
                f"deployment {existing.key} runs {existing.instrument}, not {instrument.id}; "
                "it cannot be reused"
            )
            raise ConfigError(msg)
        form = build_xlsform(instrument, easy_read=easy_read)
        files: list[FormFile] = [*form.media, *media]
        content = kpi_content(form)
        name = instrument.title[instrument.default_language]
        with self.client(profile) as kpi:
            versions: dict[str, str] = {}
            if existing is not None:
                uid = existing.remote_id
                versions.update(existing.details.get("versions") or {})
                asset = kpi.get(f"/api/v2/assets/{uid}/", what=f"form {uid}")
                same = (
                    existing.instrument_version == instrument.version
                    and existing.easy_read == easy_read
                    and not update
                )
                if same and asset.get("has_deployment"):
                    if activate and not asset.get("deployment__active"):
                        kpi.json(
                            "PATCH",
                            f"/api/v2/assets/{uid}/deployment/",
                            json={"active": True},
                            what=f"the deployment of {uid}",
                        )
                        asset = kpi.get(f"/api/v2/assets/{uid}/", what=f"form {uid}")
                else:
                    asset = kpi.json(
                        "PATCH",
                        f"/api/v2/assets/{uid}/",
                        json={"content": content, "name": name},
                        what=f"form {uid}",
                    )
                    upload_form_media(kpi, uid, files)  # before the deployment
                    asset = self._deploy(kpi, asset, activate=activate)
            else:
                asset = kpi.json(
                    "POST",
                    "/api/v2/assets/",
                    json={"name": name, "asset_type": "survey", "content": content},
                    what="a new form",
                )
                upload_form_media(kpi, _asset_uid(asset), files)  # before the deployment
                asset = self._deploy(kpi, asset, activate=activate)
            uid = _asset_uid(asset)
            deployed = asset.get("deployed_version_id") or asset.get("version_id")
            if isinstance(deployed, str):
                versions.setdefault(deployed, instrument.version)
            shared = sorted(set(existing.details.get("shared_with", [])) if existing else set())
            for username in shares:
                self._share(kpi, uid, username)
                if username not in shared:
                    shared.append(username)
            collect = self._collect_server(kpi)
            deployment = _deployment(
                kpi,
                asset,
                instrument,
                profile=profile,
                round=round,
                subject=subject,
                created_at=existing.created_at if existing else datetime.now(timezone.utc),
                versions=versions,
                shared=sorted(shared),
                collect=collect,
                easy_read=easy_read,
            )
        return Pushed(deployment=deployment, handover=self.describe(deployment))

    def describe(self, deployment: Deployment) -> Handover:
        """What field workers need: the form's links, and how to get it on KoboCollect."""
        links = [Link(label="url", url=str(deployment.url))]
        links.extend(
            Link(label=label, url=str(value))
            for label, value in sorted((deployment.details.get("links") or {}).items())
        )
        notes = tuple(str(line) for line in deployment.details.get("instructions") or ())
        return Handover(links=tuple(links), notes=notes)

    @staticmethod
    def _deploy(kpi: KpiClient, asset: dict[str, Any], *, activate: bool) -> dict[str, Any]:
        uid = _asset_uid(asset)
        version_id = asset.get("version_id")
        where = f"/api/v2/assets/{uid}/deployment/"
        if asset.get("has_deployment"):
            if asset.get("deployed_version_id") != version_id:
                kpi.json(
                    "PATCH",
                    where,
                    json={"active": activate, "version_id": version_id},
                    what=f"the deployment of {uid}",
                )
            elif bool(asset.get("deployment__active")) != activate:
                kpi.json("PATCH", where, json={"active": activate}, what=f"the deployment of {uid}")
        else:
            kpi.json("POST", where, json={"active": activate}, what=f"the deployment of {uid}")
        fresh: dict[str, Any] = kpi.get(f"/api/v2/assets/{uid}/", what=f"form {uid}")
        return fresh

    @staticmethod
    def _share(kpi: KpiClient, uid: str, username: str) -> None:
        base = kpi.base_url
        user = f"{base}/api/v2/users/{username}/"
        try:
            kpi.get(f"/api/v2/users/{username}/", what=f"the account {username!r}")
        except PlatformError as exc:
            if exc.status_code == 404:
                msg = f"KoboToolbox at {base} has no account called {username!r} to share with"
                raise ConfigError(msg, hint="check the spelling of --share") from exc
            raise
        for permission in SHARE_PERMISSIONS:
            kpi.json(
                "POST",
                f"/api/v2/assets/{uid}/permission-assignments/",
                json={"user": user, "permission": f"{base}/api/v2/permissions/{permission}/"},
                what=f"sharing {uid} with {username}",
            )

    @staticmethod
    def _collect_server(kpi: KpiClient) -> str:
        known = COLLECT_SERVERS.get(kpi.base_url)
        if known:
            return known
        try:
            environment = kpi.get("/api/v2/environment/", what="the server settings")
        except PlatformError:
            return kpi.base_url
        server = environment.get("open_rosa_server") if isinstance(environment, dict) else None
        return str(server).rstrip("/") if server else kpi.base_url

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
        """Submissions after ``since`` (an ``_id``), sorted by ``_id``, a page at a time.

        Pages are read by ``_id`` ranges (``{"_id": {"$gt": last}}``) rather than by
        offsets, so a submission deleted during a pull cannot make the next page
        skip one. ``next`` only tells us whether there is more. A pull with nothing
        new is one request.

        While a page is converted and stored, the next one is already on its way
        (one request ahead, in a helper thread; ``prefetch=False`` turns it off).
        A page is only yielded whole and checked: a reply that is not a list of
        submissions with whole-number ``_id`` values raises a PlatformError before
        anything of it is stored, and a failure fetching page n+1 surfaces only
        after page n was handed over.
        """
        start = (
            None if full else integer_cursor(since, platform="KoboToolbox", unit="a submission _id")
        )
        url = f"/api/v2/assets/{deployment.remote_id}/data/"
        with self.client(profile) as kpi, fewer_collections():

            def fetch(after: int | None) -> tuple[list[dict[str, Any]], list[int], bool]:
                params: dict[str, Any] = {
                    "format": "json",
                    "limit": self.page_size,
                    "sort": _SORT_BY_ID,
                }
                if after is not None:
                    params["query"] = json.dumps({"_id": {"$gt": after}})
                body = kpi.json("GET", url, params=params, what=f"the submissions of {url}")
                results, ids = _submissions(body, kpi.base_url, url)
                return results, ids, bool(body.get("next")) and bool(results)

            def fetched() -> Generator[tuple[list[dict[str, Any]], int | None], None, None]:
                cursor = start
                while True:
                    results, ids, more = fetch(cursor)
                    last = max(ids) if ids else cursor
                    if more and cursor is not None and last is not None and last <= cursor:
                        msg = (
                            f"KoboToolbox at {kpi.base_url} sent the same submissions again "
                            f"for _id > {cursor}: it ignored the query, and the pull would not end"
                        )
                        raise PlatformError(msg, hint="check the server runs KPI with API v2")
                    cursor = last
                    yield results, cursor
                    del results, ids
                    if not more:
                        return

            pages = fetched()
            read = self._reader(deployment, instrument)
            source = prefetch(pages, name="kobo-prefetch") if self.prefetch else pages
            with closing(source):
                for results, cursor in source:
                    page = Page.model_construct(
                        records=[read(s) for s in results],
                        cursor=None if cursor is None else str(cursor),
                        requests=1,
                    )
                    # hold one page (and the next one's JSON) at a time: memory stays flat
                    del results
                    yield page
                    del page

    def record(
        self, deployment: Deployment, instrument: Instrument, submission: dict[str, Any]
    ) -> PulledRecord:
        """One KPI submission as a record: raw, and a response unless it was not approved."""
        return self._reader(deployment, instrument)(submission)

    @classmethod
    def response(
        cls, deployment: Deployment, instrument: Instrument, submission: dict[str, Any]
    ) -> Response:
        """The response of one KPI submission."""
        return cls._responder(deployment, instrument)(submission)

    @classmethod
    def _reader(
        cls, deployment: Deployment, instrument: Instrument
    ) -> Callable[[dict[str, Any]], PulledRecord]:
        """:meth:`record` for one deployment and instrument (a pull reads every submission
        with it)."""
        respond = cls._responder(deployment, instrument)

        def read(submission: dict[str, Any]) -> PulledRecord:
            response = None if is_not_approved(submission) else respond(submission)
            # the submission is a JSON object and the response is built and validated:
            # no need to validate them again, field by field, for every record
            return construct(
                PulledRecord,
                {
                    "remote_response_id": str(submission.get("_id")),
                    "raw": submission,
                    "response": response,
                },
            )

        return read

    @staticmethod
    def _responder(
        deployment: Deployment, instrument: Instrument
    ) -> Callable[[dict[str, Any]], Response]:
        """:meth:`response` for one deployment and instrument, what they say read once."""
        versions = deployment.details.get("versions") or {}
        current = instrument.version
        languages = instrument.languages
        # build_response with what every submission of the deployment shares given once
        build = plan_for(instrument).builder(
            round=deployment.round,
            subject=deployment.subject,
            deployment=deployment.key,
            platform=PLATFORM,
            names=answer_code,
        )

        def respond(submission: dict[str, Any]) -> Response:
            version, flags = version_of(submission, versions, current)
            raw_when = submitted_raw(submission)
            response = build(
                submission,
                response_id(submission),
                parse_timestamp(raw_when),
                raw_when,
                language_of(submission, languages),
                flags,
            )
            if version != response.instrument_version:
                response = response.model_copy(update={"instrument_version": version})
            return response

        return respond

    # -- status -----------------------------------------------------------------------

    def status(self, deployment: Deployment, profile: Profile) -> DeploymentStatus:
        """Whether the form is deployed and open, its submission count and its links."""
        with self.client(profile) as kpi:
            uid = deployment.remote_id
            asset = kpi.get(f"/api/v2/assets/{uid}/", what=f"form {uid}")
        urls = {k: v for k, v in _links(asset).items() if isinstance(v, str)}
        urls["form"] = _form_page(kpi.base_url, uid)
        collect = deployment.details.get("collect_server_url")
        if collect:
            urls["collect_server"] = str(collect)
        count = asset.get("deployment__submission_count")
        live = bool(asset.get("has_deployment") and asset.get("deployment__active"))
        return DeploymentStatus(
            live=live,
            responses=int(count) if isinstance(count, int) else None,
            urls=urls,
            message=str(asset.get("deployment_status") or "") or None,
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
        """Download every submission's attachments into ``folder/<_id>/<file name>``.

        Files already there (same name and size) are not downloaded again.
        """
        written: list[Path] = []
        with self.client(profile) as kpi:
            url = f"/api/v2/assets/{deployment.remote_id}/data/"
            params: dict[str, Any] = {
                "format": "json",
                "sort": json.dumps({"_id": 1}),
                "fields": json.dumps(["_id", "_attachments"]),
            }
            after = integer_cursor(since, platform="KoboToolbox", unit="a submission _id")
            if after is not None:
                params["query"] = json.dumps({"_id": {"$gt": after}})
            for page in kpi.pages(url, params, page_size=self.page_size):
                for submission in page:
                    for attachment in submission.get("_attachments") or ():
                        path = self._attachment(kpi, folder, submission, attachment)
                        if path is not None:
                            written.append(path)
        return written

    @staticmethod
    def _attachment(
        kpi: KpiClient, folder: Path, submission: dict[str, Any], attachment: dict[str, Any]
    ) -> Path | None:
        if attachment.get("is_deleted"):
            return None
        url = attachment.get("download_url")
        if not isinstance(url, str) or not url:
            return None
        name = _safe_name(
            str(attachment.get("media_file_basename") or attachment.get("filename") or "")
        )
        target = confined(folder, _safe_name(str(submission.get("_id"))), name, what="attachment")
        target_dir = target.parent
        size = attachment.get("bytes") or attachment.get("size")
        if target.exists() and (not isinstance(size, int) or target.stat().st_size == size):
            return target
        target_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with partial.open("wb") as handle:
            kpi.download(url, handle)
        partial.replace(target)
        return target

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
        """Responses from a KoboToolbox CSV or XLSX data export (XML values and headers)."""
        from coprod_kobotoolbox.exports import read_export

        return read_export(path, instrument, round=round, subject=subject, deployment=deployment)


# --- helpers ---------------------------------------------------------------------------


def _share_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(v).strip() for v in items if str(v).strip()]
    for name in names:
        if not _USERNAME.fullmatch(name):
            msg = f"{name!r} is not a KoboToolbox username"
            raise ConfigError(msg, hint="give account names separated by commas")
    return list(dict.fromkeys(names))


def _submissions(body: Any, server: str, url: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The submissions of a data page and their ``_id`` values, or a PlatformError."""
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        msg = f"KoboToolbox at {server} answered {url} with something that is not submissions"
        raise PlatformError(msg, hint="check the server runs KPI with API v2")
    ids: list[int] = []
    for submission in results:
        value = submission.get("_id") if isinstance(submission, dict) else None
        if not isinstance(value, int) or isinstance(value, bool):
            shown = repr(value)[:40] if isinstance(submission, dict) else "not an object"
            msg = (
                f"KoboToolbox at {server} sent a submission whose _id is not a whole "
                f"number ({shown}) from {url}; nothing of that page was stored"
            )
            raise PlatformError(
                msg, hint="try again later; if it persists, tell the server's administrator"
            )
        ids.append(value)
    return results, ids


_ASSET_UID = re.compile(r"[A-Za-z0-9]{1,64}")


def _asset_uid(asset: Mapping[str, Any]) -> str:
    """The form's uid from a KPI reply, checked before it goes into a URL, the store or a
    file name: KPI uids are letters and digits (``aBc123...``)."""
    uid = asset.get("uid") if isinstance(asset, Mapping) else None
    if not isinstance(uid, str) or not _ASSET_UID.fullmatch(uid):
        msg = f"KoboToolbox sent the form id {printable(str(uid), 60)!r}, which is not a KPI uid"
        raise PlatformError(msg, hint="nothing was recorded; check the server is KoboToolbox")
    return uid


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")
    return cleaned or "attachment"


def _links(asset: dict[str, Any]) -> dict[str, Any]:
    links = asset.get("deployment__links")
    return dict(links) if isinstance(links, dict) else {}


def _instructions(details: dict[str, Any], instrument: Instrument) -> list[str]:
    """What to tell field workers, one line each (the CLI prints them after a push)."""
    title = instrument.title[instrument.default_language]
    who = ", ".join(details["shared_with"]) or "the owner's account"
    lines = [
        (
            f"KoboCollect: server URL {details['collect_server_url']}; sign in with "
            f"a KoboToolbox account the form is shared with ({who}), then Download form "
            f'"{title}". It works with no connection; Send finalized forms when back online.'
        ),
        f"KoboCollect (the owner's forms only): server URL {details['collect_owner_url']}",
    ]
    links = details["links"]
    if links.get("offline_url"):
        lines.append(f"Web form that keeps working offline once opened: {links['offline_url']}")
    lines.append(f"Manage the form and its data: {details['form_page']}")
    return lines


def _form_page(base: str, uid: str) -> str:
    return f"{base}/#/forms/{uid}/summary"


def _deployment(
    kpi: KpiClient,
    asset: dict[str, Any],
    instrument: Instrument,
    *,
    profile: Profile,
    round: str,  # noqa: A002
    subject: str | None,
    created_at: datetime,
    versions: dict[str, str],
    shared: list[str],
    collect: str,
    easy_read: bool = False,
) -> Deployment:
    uid = _asset_uid(asset)
    base = kpi.base_url
    links = {k: v for k, v in _links(asset).items() if isinstance(v, str)}
    owner = str(asset.get("owner__username") or "")
    deployed = asset.get("deployed_version_id") or asset.get("version_id")
    details: dict[str, Any] = {
        "server": base,
        "asset_uid": uid,
        "asset_url": f"{base}/api/v2/assets/{uid}/",
        "form_page": _form_page(base, uid),
        "owner": owner,
        # KPI deploys every form under its asset uid: the XForm's id and the
        # ``_xform_id_string`` of every submission.
        "xform_id_string": uid,
        "deployed_version_id": deployed,
        "versions": versions,
        "links": links,
        # What a KoboCollect user enters as the server: the OpenRosa server. With
        # their own account they see the forms shared with them; ``<server>/<owner>``
        # lists the owner's forms.
        "collect_server_url": collect,
        "collect_owner_url": f"{collect}/{owner}" if owner else collect,
        "shared_with": shared,
    }
    if easy_read:
        details["easy_read"] = True
    details["instructions"] = _instructions(details, instrument)
    url = links.get("url") or links.get("offline_url") or _form_page(base, uid)
    return Deployment(
        platform=PLATFORM,
        profile=profile.name,
        remote_id=uid,
        instrument=instrument.id,
        instrument_version=instrument.version,
        round=round,
        subject=subject,
        url=url,
        created_at=created_at,
        details=details,
    )


__all__ = ["PLATFORM", "SHARE_PERMISSIONS", "KoboPushOptions", "KoboToolboxConnector"]
