"""A small synchronous client for the KoboToolbox KPI API v2, over httpx.

- the server comes from the profile: ``kf`` (https://kf.kobotoolbox.org),
  ``eu`` (https://eu.kobotoolbox.org) or any self-hosted KPI URL;
- the token travels as ``Authorization: Token ...`` (:class:`TokenAuth`), and
  only ever to that server: ``next`` links and attachment URLs are re-rooted on
  it before they are followed;
- timeouts, the deadline, retries and ``Retry-After`` are the core's
  :class:`~coprod_connectors.HttpPolicy` (:data:`POLICY`): GETs are retried
  after dropped connections, time-outs, 429, 500, 502, 503, 504 and bodies cut
  short; other requests only when they never reached the server;
- every failure is translated, in :func:`error_for`, into one of the core's
  exceptions with a message that says what to do and the server's own words
  in ``platform_message``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from coprod_connectors import (
    AuthenticationError,
    ConfigError,
    HttpPolicy,
    NotFoundError,
    PermissionDeniedError,
    PlatformError,
    RateLimitedError,
    TransientReplyError,
    UnavailableError,
    error_page_text,
    printable,
    read_json,
    retry_after,
    user_agent,
)

#: Named KoboToolbox servers a profile's ``url`` may give instead of a URL.
KPI_SERVERS: dict[str, str] = {
    "kf": "https://kf.kobotoolbox.org",
    "eu": "https://eu.kobotoolbox.org",
}
#: The OpenRosa ("KoboCollect server") URL of each hosted server.
COLLECT_SERVERS: dict[str, str] = {
    "https://kf.kobotoolbox.org": "https://kc.kobotoolbox.org",
    "https://eu.kobotoolbox.org": "https://kc-eu.kobotoolbox.org",
}
#: The hosted servers refuse pages larger than this.
MAX_PAGE_SIZE = 1000
TOKEN_HINT = "check the token: Account settings > Security > API key"  # noqa: S105 - a hint
USER_AGENT = user_agent("coprod-connectors-kobotoolbox")
#: The core's policy; KPI behind uWSGI also answers a passing 500, so GETs retry it too.
POLICY = HttpPolicy(
    name="KoboToolbox",
    user_agent=USER_AGENT,
    retry_statuses=HttpPolicy().retry_statuses | {500},
)
DEFAULT_TIMEOUT = POLICY.timeout


def server_url(value: str) -> str:
    """The KPI base URL for a profile's ``url``: ``kf``, ``eu`` or a URL (no trailing slash)."""
    named = KPI_SERVERS.get(value.strip().lower())
    if named is not None:
        return named
    url = value.strip().rstrip("/")
    for suffix in ("/api/v2", "/api"):
        url = url.removesuffix(suffix)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        msg = f"{value!r} is not a KoboToolbox server"
        raise ConfigError(
            msg, hint="use kf, eu, or the address of your own server, e.g. https://kf.example.org"
        )
    return url


class TokenAuth(httpx.Auth):
    """``Authorization: Token <key>``, the KPI API token (never shown in ``repr``)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "TokenAuth(token=<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Token {self._token}"
        yield request


# --- errors --------------------------------------------------------------------------


def platform_message(response: httpx.Response) -> str:
    """What the server said, as one line of text (JSON ``detail`` or field errors if any)."""
    try:
        data = response.json()
    except ValueError:
        return error_page_text(response, 500)
    # the server's words, on one line, without escape sequences for the terminal
    return printable(_flatten_message(data), 1000)


def _flatten_message(data: Any, prefix: str = "") -> str:
    if isinstance(data, Mapping):
        if "detail" in data and len(data) == 1:
            return _flatten_message(data["detail"], prefix)
        parts = [_flatten_message(v, f"{prefix}{k}: ") for k, v in data.items()]
        return "; ".join(p for p in parts if p)
    if isinstance(data, list):
        return prefix + ", ".join(_flatten_message(v) for v in data)
    return f"{prefix}{data}"


def _is_html(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    if "html" in content_type:
        return True
    content = response.content
    head = content[:1024].lstrip()  # not a copy of a whole page of submissions
    if len(head) < 15 and len(content) > 1024:
        head = content.lstrip()
    return head[:15].lower().startswith((b"<!doctype html", b"<html"))


def _looks_like_login(response: httpx.Response) -> bool:
    location = response.headers.get("location", "")
    if "login" in location:
        return True
    return _is_html(response) and b"login" in response.content[:20000].lower()


def error_for(response: httpx.Response, *, what: str | None = None) -> PlatformError:
    """The core exception for a failed (or unusable) KPI answer."""
    status = response.status_code
    server = f"{response.request.url.scheme}://{response.request.url.netloc.decode()}"
    thing = what or f"{response.request.method} {response.request.url.path}"
    message = platform_message(response)
    kwargs: dict[str, Any] = {"platform_message": message or None, "status_code": status}
    if status == 401 or (status in {301, 302, 303, 307, 308} and _looks_like_login(response)):
        return AuthenticationError(
            f"KoboToolbox at {server} did not accept the token", hint=TOKEN_HINT, **kwargs
        )
    if status == 403:
        return PermissionDeniedError(
            f"this account may not do that on KoboToolbox at {server}: {thing}",
            hint="ask the project's owner to share it with this account, or use the owner's token",
            **kwargs,
        )
    if status == 404:
        return NotFoundError(
            f"KoboToolbox at {server} has no {thing}",
            hint="check the server URL and that the form was not deleted; "
            "`coprod status` lists the deployments",
            **kwargs,
        )
    if status == 429:
        return RateLimitedError(
            f"KoboToolbox at {server} asked us to slow down",
            retry_after=retry_after(response),
            hint="wait a few minutes and run the command again",
            **kwargs,
        )
    if _is_html(response):
        if _looks_like_login(response):
            return AuthenticationError(
                f"KoboToolbox at {server} answered with its login page, not the API",
                hint=TOKEN_HINT,
                platform_message=None,
                status_code=status,
            )
        return UnavailableError(
            f"{server} answered with a web page (HTTP {status}), not the KoboToolbox API",
            hint="check the profile's url points at the KPI server (e.g. "
            "https://kf.kobotoolbox.org), or try again later if the server is down",
            platform_message=_html_title(response),
            status_code=status,
        )
    if status >= 500:
        return UnavailableError(
            f"KoboToolbox at {server} failed (HTTP {status}) on {thing}",
            hint="try again later; if it keeps failing, tell the server's administrator",
            **kwargs,
        )
    if status == 400:
        return PlatformError(
            f"KoboToolbox at {server} refused {thing}: {message}",
            hint="the server's message says what it did not accept",
            **kwargs,
        )
    return PlatformError(
        f"KoboToolbox at {server} answered HTTP {status} to {thing}: {message}", **kwargs
    )


def _html_title(response: httpx.Response) -> str | None:
    text = response.text
    lowered = text.lower()
    start = lowered.find("<title>")
    end = lowered.find("</title>", start)
    if start == -1 or end <= start:
        return None
    return error_page_text(text[start + 7 : end].encode(), 200) or None


# --- the client ----------------------------------------------------------------------


class KpiClient:
    """A session with one KPI server. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        max_retries: int | None = None,
        sleep: Callable[[float], None] | None = None,
        policy: HttpPolicy = POLICY,
    ) -> None:
        self.base_url = server_url(base_url)
        changes: dict[str, Any] = {"timeout": timeout, "max_retries": max_retries, "sleep": sleep}
        self.policy = policy.with_(**{k: v for k, v in changes.items() if v is not None})
        self.requests = 0
        self._client = self.policy.client(
            base_url=self.base_url,
            transport=transport,
            auth=TokenAuth(token),
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"KpiClient({self.base_url!r})"

    def __enter__(self) -> KpiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- URLs ---------------------------------------------------------------------

    def local_url(self, url: str) -> str:
        """``url`` re-rooted on this server, so the token never goes anywhere else.

        KPI behind a proxy may write ``http://`` or an internal host name into
        ``next`` links and download URLs; only the path and query are kept.
        """
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    # -- requests -----------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str | None = None,
        expect_json: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request with retries; raise the core's exception on failure."""
        response, _ = self._send(method, url, what=what, expect_json=expect_json, **kwargs)
        return response

    def _send(
        self,
        method: str,
        url: str,
        *,
        what: str | None,
        expect_json: bool,
        decode: bool = False,
        **kwargs: Any,
    ) -> tuple[httpx.Response, Any]:
        """One request, retried by the policy; with ``decode``, its JSON.

        A GET answered with a body cut short or empty (a proxy or a connection that
        gave up half-way) counts as a failed attempt, like a dropped connection.
        """
        safe = method.upper() in {"GET", "HEAD", "OPTIONS"}

        def parse(response: httpx.Response) -> tuple[httpx.Response, Any]:
            status = response.status_code
            if status >= 300:
                raise error_for(response, what=what)
            if expect_json and _is_html(response):
                raise error_for(response, what=what)
            if not decode or status == 204 or (not response.content and not safe):
                return response, None
            try:
                return response, read_json(response.content)  # response.json(), sooner
            except ValueError as exc:
                raise (TransientReplyError if safe else UnavailableError)(
                    f"KoboToolbox at {self.base_url} did not answer with JSON to {method} {url}",
                    hint="check the profile's url points at the KPI server",
                    platform_message=error_page_text(response, 200) or None,
                    status_code=status,
                ) from exc

        return self.policy.call(
            self._client,
            method,
            url,
            parse=parse,
            what=what,
            on_attempt=self._count,
            **kwargs,
        )

    def _count(self) -> None:
        self.requests += 1

    def json(self, method: str, url: str, *, what: str | None = None, **kwargs: Any) -> Any:
        """The JSON body of a request (an UnavailableError if it is not JSON)."""
        _, body = self._send(method, url, what=what, expect_json=True, decode=True, **kwargs)
        return body

    def get(self, url: str, *, what: str | None = None, **params: Any) -> Any:
        return self.json("GET", url, what=what, params=params or None)

    def pages(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int = MAX_PAGE_SIZE,
        what: str | None = None,
    ) -> Iterator[list[Any]]:
        """The ``results`` of a paginated list, page by page, following ``next`` links."""
        query = dict(params or {})
        query["limit"] = cap_page_size(page_size)
        body = self.json("GET", url, what=what, params=query)
        seen: set[str] = set()
        while True:
            if not isinstance(body, Mapping) or not isinstance(body.get("results"), list):
                raise UnavailableError(
                    f"KoboToolbox at {self.base_url} answered {url} with something "
                    "that is not a list of results",
                    hint="check the server is KoboToolbox (KPI) with API v2",
                )
            yield body["results"]
            following = body.get("next")
            if not following:
                return
            link = capped_next(self.local_url(str(following)))
            if link in seen or not body["results"]:
                # progress guard: an empty page that points on, or a link seen before,
                # would keep the listing going forever
                raise PlatformError(
                    f"KoboToolbox at {self.base_url} sent "
                    + (
                        "an empty page that points to another"
                        if not body["results"]
                        else "a page link it had sent before"
                    )
                    + f" while listing {url}: the listing would not end",
                    hint="check the server is KoboToolbox (KPI) with API v2",
                )
            seen.add(link)
            body = self.json("GET", link, what=what)

    def download(self, url: str, target: Any) -> int:
        """Stream a file from this server into ``target`` (a binary file); returns bytes written."""
        self.requests += 1
        return self.policy.download(
            self._client,
            self.local_url(url),
            target.write,
            check=self._downloadable,
            what="that attachment",
            headers={"Accept": "*/*"},
        )

    def _downloadable(self, response: httpx.Response) -> None:
        if response.status_code >= 300:
            raise error_for(response, what="that attachment")
        if "x-accel-redirect" in response.headers:
            # KPI hands files to its web server (nginx) with this header; if it
            # reaches us, nothing in front of KPI served the file.
            raise UnavailableError(
                f"KoboToolbox at {self.base_url} did not send the file: its web "
                "server did not act on X-Accel-Redirect",
                hint="the server's nginx must serve KPI's /protected/ location; "
                "tell the server's administrator",
                platform_message=response.headers["x-accel-redirect"],
                status_code=response.status_code,
            )


def cap_page_size(size: int) -> int:
    """A page size between 1 and :data:`MAX_PAGE_SIZE`."""
    return max(1, min(int(size), MAX_PAGE_SIZE))


def capped_next(url: str) -> str:
    """A ``next`` link whose ``limit`` (if any) is at most :data:`MAX_PAGE_SIZE`."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    changed = False
    capped: list[tuple[str, str]] = []
    for key, value in query:
        if key in {"limit", "page_size"} and value.isdigit() and int(value) > MAX_PAGE_SIZE:
            value = str(MAX_PAGE_SIZE)
            changed = True
        capped.append((key, value))
    if not changed:
        return url
    return urlunsplit(parts._replace(query=urlencode(capped)))


__all__ = [
    "COLLECT_SERVERS",
    "DEFAULT_TIMEOUT",
    "KPI_SERVERS",
    "MAX_PAGE_SIZE",
    "POLICY",
    "TOKEN_HINT",
    "USER_AGENT",
    "KpiClient",
    "TokenAuth",
    "cap_page_size",
    "capped_next",
    "error_for",
    "platform_message",
    "server_url",
]
