"""A small synchronous client for ODK Central's API v1, over httpx.

- **Login**: by default a session (``POST /v1/sessions`` with the e-mail and
  password, then ``Authorization: Bearer <token>``), ended with ``DELETE
  /v1/sessions/current`` when the client closes; a session that expires during
  a long run is renewed once. With ``auth="basic"`` the password goes with every
  request instead (Central accepts that only over https, so the client refuses
  it over http). Neither the password nor a token is ever shown: both are
  :class:`~pydantic.SecretStr` or hidden in the auth object's ``repr``.
- **Where requests go**: only to the profile's server. OData ``nextLink`` URLs
  are built by Central from its configured domain; only their path and query
  are kept.
- **HTTP**: the core's :class:`HttpPolicy` (:data:`POLICY`): timeouts and a
  deadline per call, safe calls retried (a dropped connection, 429/502/503/504, a
  reply cut short), a capped ``Retry-After``, bounded error pages. A login is
  never retried (a password is not sent twice).
- **Errors**: every failure goes through :func:`coprod_odk.errors.error_for`.
- A versioned User-Agent, an injectable transport, a count of requests made
  (``requests``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any, Literal, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from coprod_connectors import (
    ConfigError,
    CoprodError,
    HttpPolicy,
    PlatformError,
    TransientReplyError,
    UnavailableError,
    read_json,
    user_agent,
)
from coprod_odk.errors import PLATFORM, error_for, one_line, problem_of
from coprod_odk.models import (
    AppUser,
    Form,
    FormAttachment,
    FormVersion,
    Project,
    Role,
    Session,
    SubmissionAttachment,
    User,
)

logger = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AuthMode = Literal["session", "basic"]
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


USER_AGENT = user_agent("coprod-connectors-odk")
#: The core's HTTP policy, as ODK Central is talked to. An XLSForm upload waits for
#: pyxform and ODK Validate on the server (seconds), hence the longer read time-out.
POLICY = HttpPolicy(
    name=PLATFORM,
    user_agent=USER_AGENT,
    timeout=httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0),
    deadline=120.0,
)


class _SessionEndedError(Exception):
    """Central no longer takes the session token (it expired): log in again."""


def _itself(response: httpx.Response) -> httpx.Response:
    return response


def server_url(value: str) -> str:
    """Central's base URL for a profile's ``url`` (no trailing slash, no ``/v1``)."""
    url = value.strip().rstrip("/").removesuffix("/v1").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        msg = f"{one_line(value, 100)!r} is not an ODK Central server address"
        raise ConfigError(
            msg, hint="give the address you open Central at, e.g. https://central.example.org"
        )
    return url


def segment(value: str | int) -> str:
    """One URL path segment (a form id, an instance id with its ``uuid:``)."""
    return quote(str(value), safe="")


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <session token>`` (never shown in ``repr``)."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(token=<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request


@dataclass(frozen=True)
class ODataPage:
    """One OData reply: its rows, Central's ``Date`` (its clock, for cursors), the next link."""

    rows: list[dict[str, Any]]
    server_time: datetime | None
    next_link: str | None
    count: int | None = None


def server_time(response: httpx.Response) -> datetime | None:
    """The server's clock from the ``Date`` header (UTC), or None without a usable one."""
    value = response.headers.get("date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(timezone.utc) if when.tzinfo else None


class CentralClient:
    """A session with one Central server. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        email: str,
        password: str | SecretStr,
        *,
        auth: AuthMode = "session",
        transport: httpx.BaseTransport | None = None,
        policy: HttpPolicy = POLICY,
    ) -> None:
        self.base_url = server_url(base_url)
        if not email:
            msg = "an ODK Central profile needs the e-mail address you log in with"
            raise ConfigError(msg, hint="set the profile's user, e.g. --user you@example.org")
        self._email = email
        self._password = password if isinstance(password, SecretStr) else SecretStr(password)
        if auth == "basic" and not self.base_url.startswith("https://"):
            msg = "Basic auth sends the password with every request, so only over https"
            raise ConfigError(msg, hint="use the https:// address, or the default session login")
        self.auth_mode: AuthMode = auth
        self.requests = 0
        self._session: Session | None = None
        self.policy = policy
        self._client = policy.client(
            base_url=self.base_url, transport=transport, headers={"Accept": "application/json"}
        )
        self._role_ids: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"CentralClient({self.base_url!r}, {self._email!r})"

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the session (if one was opened) and release the connection pool."""
        try:
            if self._session is not None:
                self._session = None
                try:
                    self.policy.send(
                        self._client,
                        "DELETE",
                        "/v1/sessions/current",
                        what="logging out",
                        on_attempt=self._count,
                    )
                except CoprodError as exc:  # the token expires on its own in 24 h
                    logger.info("%s: could not end the session: %s", PLATFORM, type(exc).__name__)
        finally:
            self._client.close()

    # -- auth --------------------------------------------------------------------------

    def _authenticate(self) -> None:
        """Make the client's requests carry credentials: a session (logged in if there is
        none yet), or the password (Basic)."""
        if self.auth_mode == "basic":
            self._client.auth = httpx.BasicAuth(self._email, self._password.get_secret_value())
        elif self._session is None:
            self._client.auth = httpx.Auth()  # none: a login carries no stale token
            self._session = self._login()
            self._client.auth = BearerAuth(self._session.token)

    def _login(self) -> Session:
        body = {"email": self._email, "password": self._password.get_secret_value()}

        def parse(response: httpx.Response) -> Session:
            if response.status_code != 200:
                raise error_for(response, server=self.base_url, what="logging in")
            return self._read(TypeAdapter(Session), response, "logging in")

        # a password is never sent twice: a login is not retried
        return self.policy.call(
            self._client,
            "POST",
            "/v1/sessions",
            parse=parse,
            retry="never",
            what="logging in",
            on_attempt=self._count,
            json=body,
        )

    def _count(self) -> None:
        self.requests += 1

    # -- requests ----------------------------------------------------------------------

    def call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        read: Callable[[httpx.Response], T],
        ok: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> T:
        """``read(response)`` of one authenticated request, sent through the core's HTTP
        policy (safe calls retried; a reply cut short asked again); any other answer than
        ``ok`` is the core's exception, from :func:`~coprod_odk.errors.error_for`.

        A session that Central no longer accepts (401 after a successful login: it
        expired, or was ended elsewhere) is renewed once and the request sent again.
        """
        for renew in (True, False):
            self._authenticate()

            def parse(response: httpx.Response, renew: bool = renew) -> T:
                if response.status_code in ok:
                    return read(response)
                if response.status_code == 401 and self._session is not None and renew:
                    problem = problem_of(response)
                    if problem is not None and problem.subcode == "401.2":
                        raise _SessionEndedError
                raise error_for(response, server=self.base_url, what=what)

            try:
                return self.policy.call(
                    self._client,
                    method,
                    self.local(url),
                    parse=parse,
                    what=what,
                    on_attempt=self._count,
                    **kwargs,
                )
            except _SessionEndedError:
                logger.info("%s: session expired; logging in again", PLATFORM)
                self._session = None
        raise AssertionError  # pragma: no cover - the second try never renews

    def request(
        self, method: str, url: str, *, what: str, ok: tuple[int, ...] = (200,), **kwargs: Any
    ) -> httpx.Response:
        """The response to one authenticated request (see :meth:`call`)."""
        return self.call(method, url, what=what, read=_itself, ok=ok, **kwargs)

    def json(self, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        return self.call(method, url, what=what, read=self._json_reader(what), **kwargs)

    def _json_reader(self, what: str) -> Callable[[httpx.Response], Any]:
        def read(response: httpx.Response) -> Any:
            try:
                return response.json()
            except ValueError as exc:
                raise TransientReplyError(
                    f"{PLATFORM} at {self.base_url} did not answer {what} with JSON",
                    hint="check the profile's url is the Central server's address",
                    platform_message=one_line(response.text, 200) or None,
                    status_code=response.status_code,
                ) from exc

        return read

    def _read(self, adapter: TypeAdapter[T], response: httpx.Response, what: str) -> T:
        """The reply as ``adapter``'s type: a reply that is not whole JSON is transient (a
        safe call asks again), one of another shape is not."""
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            kind = exc.errors()[0].get("type") if exc.errors() else None
            error = TransientReplyError if kind == "json_invalid" else UnavailableError
            raise error(
                f"{PLATFORM} at {self.base_url} answered {what} with something unexpected",
                hint="check the profile's url is the Central server's address",
                platform_message=one_line(str(exc), 300),
                status_code=response.status_code,
            ) from exc

    def _model(self, model: type[M], response: httpx.Response, what: str) -> M:
        return self._read(TypeAdapter(model), response, what)

    def get_model(self, model: type[M], url: str, *, what: str, **kwargs: Any) -> M:
        adapter = TypeAdapter(model)
        return self.call(
            "GET", url, what=what, read=lambda r: self._read(adapter, r, what), **kwargs
        )

    def get_list(self, model: type[M], url: str, *, what: str, **kwargs: Any) -> list[M]:
        adapter: TypeAdapter[list[M]] = TypeAdapter(list[model])  # type: ignore[valid-type]
        return self.call(
            "GET", url, what=what, read=lambda r: self._read(adapter, r, what), **kwargs
        )

    def local(self, url: str) -> str:
        """``url`` re-rooted on this server (Central's absolute links use its own domain)."""
        parts = urlsplit(url)
        if not parts.scheme:
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    # -- users and roles -----------------------------------------------------------------

    def current_user(self) -> User:
        return self.get_model(User, "/v1/users/current", what="the logged-in user")

    def role_id(self, system: str) -> int:
        """The id of the role whose system name is ``system`` (e.g. ``app-user``)."""
        if not self._role_ids:
            roles = self.get_list(Role, "/v1/roles", what="the list of roles")
            self._role_ids = {r.system: r.id for r in roles if r.system}
        try:
            return self._role_ids[system]
        except KeyError:
            msg = f"{PLATFORM} at {self.base_url} has no {system!r} role"
            raise PlatformError(
                msg, hint="this Central is not one coprod knows; report it"
            ) from None

    # -- projects --------------------------------------------------------------------------

    def projects(self) -> list[Project]:
        return self.get_list(Project, "/v1/projects", what="the list of projects")

    def project(self, project_id: int) -> Project:
        return self.get_model(Project, f"/v1/projects/{project_id}", what=f"project {project_id}")

    def find_project(self, name: str) -> Project | None:
        """The one (not archived) project called ``name``; a PlatformError if several are."""
        found = [p for p in self.projects() if p.name == name and not p.archived]
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            msg = f"{PLATFORM} at {self.base_url} has {len(found)} projects called {name!r} ({ids})"
            raise PlatformError(msg, hint="rename all but one, or give another --project name")
        return found[0] if found else None

    def create_project(self, name: str) -> Project:
        response = self.request(
            "POST", "/v1/projects", what=f"creating project {name!r}", json={"name": name}
        )
        return self._model(Project, response, "creating a project")

    def ensure_project(self, name: str) -> Project:
        """The project called ``name``, made if there is none."""
        return self.find_project(name) or self.create_project(name)

    # -- forms -------------------------------------------------------------------------------

    def _forms(self, project_id: int) -> str:
        return f"/v1/projects/{project_id}/forms"

    def _form(self, project_id: int, form_id: str) -> str:
        return f"{self._forms(project_id)}/{segment(form_id)}"

    def forms(self, project_id: int) -> list[Form]:
        return self.get_list(
            Form,
            self._forms(project_id),
            what=f"the forms of project {project_id}",
            headers={"X-Extended-Metadata": "true"},
        )

    def form(self, project_id: int, form_id: str, *, extended: bool = False) -> Form:
        headers = {"X-Extended-Metadata": "true"} if extended else {}
        return self.get_model(
            Form, self._form(project_id, form_id), what=f"form {form_id!r}", headers=headers
        )

    def find_form(self, project_id: int, form_id: str) -> Form | None:
        """Form ``form_id`` of the project (published or a draft only), or None."""
        for form in self.forms(project_id):
            if form.xml_form_id == form_id:
                return form
        return None

    def create_form(
        self,
        project_id: int,
        xlsx: bytes,
        *,
        form_id: str,
        publish: bool = True,
        ignore_warnings: bool = False,
    ) -> Form:
        """Upload an XLSForm as a new form (published unless ``publish=False``)."""
        params = {"publish": "true"} if publish else {}
        if ignore_warnings:
            params["ignoreWarnings"] = "true"
        response = self.request(
            "POST",
            self._forms(project_id),
            what=f"creating form {form_id!r}",
            params=params,
            content=xlsx,
            headers={"Content-Type": XLSX_TYPE, "X-XlsForm-FormId-Fallback": form_id},
        )
        return self._model(Form, response, "creating a form")

    def create_draft(
        self, project_id: int, form_id: str, xlsx: bytes | None, *, ignore_warnings: bool = False
    ) -> None:
        """A new draft of the form: from ``xlsx``, or (None) a copy of the published one."""
        params = {"ignoreWarnings": "true"} if ignore_warnings else {}
        headers = {"X-XlsForm-FormId-Fallback": form_id}
        if xlsx is not None:
            headers["Content-Type"] = XLSX_TYPE
        self.request(
            "POST",
            f"{self._form(project_id, form_id)}/draft",
            what=f"a new draft of form {form_id!r}",
            params=params,
            content=xlsx if xlsx is not None else b"",
            headers=headers,
        )

    def draft(self, project_id: int, form_id: str) -> Form:
        return self.get_model(
            Form, f"{self._form(project_id, form_id)}/draft", what=f"the draft of form {form_id!r}"
        )

    def draft_attachments(self, project_id: int, form_id: str) -> list[FormAttachment]:
        return self.get_list(
            FormAttachment,
            f"{self._form(project_id, form_id)}/draft/attachments",
            what=f"the media files of form {form_id!r}",
        )

    def upload_draft_attachment(
        self, project_id: int, form_id: str, name: str, content: bytes, media_type: str
    ) -> None:
        self.request(
            "POST",
            f"{self._form(project_id, form_id)}/draft/attachments/{segment(name)}",
            what=f"media file {name!r} of form {form_id!r}",
            content=content,
            headers={"Content-Type": media_type},
        )

    def publish_draft(self, project_id: int, form_id: str, version: str | None = None) -> None:
        """Publish the draft (as ``version`` if given: Central rewrites it in the XForm)."""
        self.request(
            "POST",
            f"{self._form(project_id, form_id)}/draft/publish",
            what=f"publishing form {form_id!r} version {version}",
            params={"version": version} if version else None,
        )

    def discard_draft(self, project_id: int, form_id: str) -> None:
        self.request(
            "DELETE",
            f"{self._form(project_id, form_id)}/draft",
            what=f"the draft of form {form_id!r}",
        )

    def versions(self, project_id: int, form_id: str) -> list[FormVersion]:
        """The published versions of a form, newest first."""
        return self.get_list(
            FormVersion,
            f"{self._form(project_id, form_id)}/versions",
            what=f"the versions of form {form_id!r}",
        )

    def form_xml(self, project_id: int, form_id: str) -> bytes:
        return self.request(
            "GET", f"{self._form(project_id, form_id)}.xml", what=f"the XForm of {form_id!r}"
        ).content

    # -- app users and form access ----------------------------------------------------------

    def app_users(self, project_id: int) -> list[AppUser]:
        return self.get_list(
            AppUser,
            f"/v1/projects/{project_id}/app-users",
            what=f"the app users of project {project_id}",
        )

    def create_app_user(self, project_id: int, display_name: str) -> AppUser:
        response = self.request(
            "POST",
            f"/v1/projects/{project_id}/app-users",
            what=f"creating app user {display_name!r}",
            json={"displayName": display_name},
        )
        return self._model(AppUser, response, "creating an app user")

    def ensure_app_user(self, project_id: int, display_name: str) -> AppUser:
        """The (not revoked) app user called ``display_name``, made if there is none."""
        for user in self.app_users(project_id):
            if user.display_name == display_name and user.token is not None:
                return user
        return self.create_app_user(project_id, display_name)

    def form_app_users(self, project_id: int, form_id: str) -> list[int]:
        """Ids of the app users that may fill in the form."""
        rows = self.json(
            "GET",
            f"{self._form(project_id, form_id)}/assignments/app-user",
            what=f"who may fill in form {form_id!r}",
        )
        return [r["id"] for r in rows if isinstance(r, Mapping) and isinstance(r.get("id"), int)]

    def grant_form_access(self, project_id: int, form_id: str, app_user_id: int) -> None:
        """Let app user ``app_user_id`` fill in the form (nothing to do if it already may)."""
        if app_user_id in self.form_app_users(project_id, form_id):
            return
        role = self.role_id("app-user")
        self.request(
            "POST",
            f"{self._form(project_id, form_id)}/assignments/{role}/{app_user_id}",
            what=f"giving app user {app_user_id} access to form {form_id!r}",
        )

    # -- submissions --------------------------------------------------------------------------

    def odata(
        self,
        project_id: int,
        form_id: str,
        *,
        filter: str | None = None,  # noqa: A002 - OData's own word
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: bool = True,
        count: bool = False,
        select: str | None = None,
    ) -> ODataPage:
        """One page of ``Submissions`` (repeats inlined with ``$expand=*``)."""
        params: dict[str, str] = {}
        if filter:
            params["$filter"] = filter
        if orderby:
            params["$orderby"] = orderby
        if top is not None:
            params["$top"] = str(top)
        if skip:
            params["$skip"] = str(skip)
        if expand:
            params["$expand"] = "*"
        if count:
            params["$count"] = "true"
        if select:
            params["$select"] = select
        url = f"{self._form(project_id, form_id)}.svc/Submissions"
        return self.call(
            "GET",
            url,
            what=f"the submissions of form {form_id!r}",
            params=params,
            read=lambda response: self._odata_page(response, form_id),
        )

    def _odata_page(self, response: httpx.Response, form_id: str) -> ODataPage:
        try:
            body = read_json(response.content)  # response.json(), sooner
        except ValueError as exc:  # cut short on the way: asked again
            raise TransientReplyError(
                f"{PLATFORM} at {self.base_url} sent the submissions of form {form_id!r} "
                "cut short (not whole JSON)",
                hint="try again; if it keeps happening, check the connection to the server",
                platform_message=one_line(response.text, 200) or None,
                status_code=response.status_code,
            ) from exc
        rows = body.get("value") if isinstance(body, Mapping) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise UnavailableError(
                f"{PLATFORM} at {self.base_url} answered the submissions of form {form_id!r} "
                "with something that is not a list of submissions",
                hint="check the profile's url is the Central server's address",
                platform_message=one_line(response.text, 200) or None,
                status_code=response.status_code,
            )
        assert isinstance(body, Mapping)
        following = body.get("@odata.nextLink")
        total = body.get("@odata.count")
        return ODataPage(
            rows=rows,
            server_time=server_time(response),
            next_link=following if isinstance(following, str) else None,
            count=total if isinstance(total, int) else None,
        )

    def submission_count(self, project_id: int, form_id: str) -> int:
        page = self.odata(project_id, form_id, top=0, count=True, expand=False)
        return page.count or 0

    def submission_attachments(
        self, project_id: int, form_id: str, instance_id: str
    ) -> list[SubmissionAttachment]:
        return self.get_list(
            SubmissionAttachment,
            f"{self._form(project_id, form_id)}/submissions/{segment(instance_id)}/attachments",
            what=f"the files of submission {instance_id}",
        )

    def delete_submission(self, project_id: int, form_id: str, instance_id: str) -> None:
        """Delete a submission (Central keeps it 30 days, restorable, out of every list)."""
        self.request(
            "DELETE",
            f"{self._form(project_id, form_id)}/submissions/{segment(instance_id)}",
            what=f"submission {instance_id}",
        )

    def set_review_state(self, project_id: int, form_id: str, instance_id: str, state: str) -> None:
        self.request(
            "PATCH",
            f"{self._form(project_id, form_id)}/submissions/{segment(instance_id)}",
            what=f"the review state of submission {instance_id}",
            json={"reviewState": state},
        )

    # -- files ------------------------------------------------------------------------------

    def download(
        self, url: str, target: IO[bytes], *, what: str, params: Mapping[str, str] | None = None
    ) -> int:
        """Stream a file from this server into ``target`` (through the core's policy: its
        deadline grows with the bytes received; not retried); returns the bytes written."""

        def check(response: httpx.Response) -> None:
            if response.status_code != 200:
                raise error_for(response, server=self.base_url, what=what)

        self._authenticate()
        self._count()
        return self.policy.download(
            self._client,
            self.local(url),
            target.write,
            check=check,
            what=what,
            params=params,
            headers={"Accept": "*/*"},
        )

    def download_attachment(
        self, project_id: int, form_id: str, instance_id: str, name: str, target: IO[bytes]
    ) -> int:
        url = (
            f"{self._form(project_id, form_id)}/submissions/{segment(instance_id)}"
            f"/attachments/{segment(name)}"
        )
        return self.download(url, target, what=f"file {name!r} of submission {instance_id}")

    def fetch_attachment(
        self, project_id: int, form_id: str, instance_id: str, name: str, target: Path
    ) -> bool:
        """Download a submission's file to ``target`` unless the file there is the same one
        (Central's ETag is the file's MD5); True if it was written."""
        url = (
            f"{self._form(project_id, form_id)}/submissions/{segment(instance_id)}"
            f"/attachments/{segment(name)}"
        )
        headers = {"Accept": "*/*"}
        if target.is_file():
            digest = hashlib.md5(target.read_bytes(), usedforsecurity=False).hexdigest()
            headers["If-None-Match"] = f'"{digest}"'
        response = self.request(
            "GET",
            url,
            what=f"file {name!r} of submission {instance_id}",
            ok=(200, 304),
            headers=headers,
        )
        if response.status_code == 304:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(response.content)
        partial.replace(target)
        return True

    def download_export(
        self, project_id: int, form_id: str, target: IO[bytes], *, attachments: bool = True
    ) -> int:
        """The CSV export zip Central's "Download" button gives (with media unless told not)."""
        return self.download(
            f"{self._form(project_id, form_id)}/submissions.csv.zip",
            target,
            what=f"the export of form {form_id!r}",
            params=None if attachments else {"attachments": "false"},
        )


__all__ = [
    "POLICY",
    "USER_AGENT",
    "XLSX_TYPE",
    "AuthMode",
    "BearerAuth",
    "CentralClient",
    "ODataPage",
    "segment",
    "server_time",
    "server_url",
]
