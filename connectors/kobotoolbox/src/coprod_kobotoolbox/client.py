"""A small synchronous client for the KoboToolbox KPI API v2, over httpx.

- the server comes from the profile: ``kf`` (https://kf.kobotoolbox.org),
  ``eu`` (https://eu.kobotoolbox.org) or any self-hosted KPI URL;
- the token travels as ``Authorization: Token ...`` (:class:`TokenAuth`), and
  only ever to that server: ``next`` links and attachment URLs are re-rooted on
  it before they are followed;
- explicit timeouts, a versioned User-Agent, an injectable transport;
- 429 is honoured with ``Retry-After`` (bounded, with an injectable ``sleep``);
  dropped connections, 5xx answers and bodies cut short are retried for GET only;
- every failure is translated, in :func:`error_for`, into one of the core's
  exceptions with a message that says what to do and the server's own words
  in ``platform_message``.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from email.utils import parsedate_to_datetime
from functools import cache
from importlib import metadata
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from coprod_connectors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    PlatformError,
    RateLimitedError,
    UnavailableError,
)
from coprod_connectors import __version__ as core_version

logger = logging.getLogger(__name__)

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
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Never wait longer than this for one Retry-After; beyond it, give up and say so.
MAX_RETRY_AFTER = 120.0
TOKEN_HINT = "check the token: Account settings > Security > API key"  # noqa: S105 - a hint
_RETRY_STATUSES = frozenset({500, 502, 503, 504})


def _package_version() -> str:
    try:
        return metadata.version("coprod-connectors-kobotoolbox")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed in practice
        return "0"


USER_AGENT = f"coprod-connectors/{core_version} coprod-connectors-kobotoolbox/{_package_version()}"


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
        text = " ".join(response.text.split())
        return text[:500]
    return _flatten_message(data)[:1000]


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
    return response.content.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


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
    start = text.lower().find("<title>")
    end = text.lower().find("</title>")
    if start == -1 or end <= start:
        return None
    return " ".join(text[start + 7 : end].split())[:200] or None


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# --- the client ----------------------------------------------------------------------


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every client shares (httpx's defaults, made once: loading the
    CA certificates takes tens of milliseconds, and a sync opens a client per form)."""
    create: Callable[[], ssl.SSLContext] | None = getattr(httpx, "create_ssl_context", None)
    if create is not None:
        return create()
    import certifi  # httpx < 0.28 (certifi is one of its dependencies)

    return ssl.create_default_context(cafile=certifi.where())


class KpiClient:
    """A session with one KPI server. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = server_url(base_url)
        self.max_retries = max_retries
        self._sleep = sleep
        self.requests = 0
        self._client = httpx.Client(
            base_url=self.base_url,
            verify=tls_context() if transport is None else True,
            auth=TokenAuth(token),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
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
        """One request, retried within one budget of attempts; with ``decode``, its JSON.

        A GET answered with a body cut short or empty (a proxy or a connection that
        gave up half-way) counts as a failed attempt, like a dropped connection.
        """
        safe = method.upper() in {"GET", "HEAD", "OPTIONS"}
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = self._client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                # A request that never connected can be retried whatever its method.
                retryable = safe or isinstance(exc, httpx.ConnectError)
                if retryable and attempt <= self.max_retries:
                    self._backoff(attempt, None)
                    continue
                server = self.base_url
                raise UnavailableError(
                    f"no answer from KoboToolbox at {server} ({type(exc).__name__})",
                    hint="check the connection and the profile's url, then try again",
                    platform_message=str(exc) or None,
                ) from exc
            status = response.status_code
            if status == 429 and attempt <= self.max_retries:
                wait = retry_after(response)
                if wait is None or wait <= MAX_RETRY_AFTER:
                    self._backoff(attempt, wait)
                    continue
            if status in _RETRY_STATUSES and safe and attempt <= self.max_retries:
                self._backoff(attempt, retry_after(response))
                continue
            if status >= 300:
                raise error_for(response, what=what)
            if expect_json and _is_html(response):
                raise error_for(response, what=what)
            if not decode or status == 204 or (not response.content and not safe):
                return response, None
            try:
                return response, response.json()
            except ValueError as exc:
                if safe and attempt <= self.max_retries:
                    self._backoff(attempt, None)
                    continue
                raise UnavailableError(
                    f"KoboToolbox at {self.base_url} did not answer with JSON to {method} {url}",
                    hint="check the profile's url points at the KPI server",
                    platform_message=response.text[:200] or None,
                    status_code=status,
                ) from exc

    def _backoff(self, attempt: int, wait: float | None) -> None:
        delay = wait if wait is not None else min(2.0 ** (attempt - 1), 30.0)
        logger.info("KoboToolbox: retrying in %.1f s (attempt %d)", delay, attempt + 1)
        self._sleep(delay)

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
            body = self.json("GET", capped_next(self.local_url(following)), what=what)

    def download(self, url: str, target: Any) -> int:
        """Stream a file from this server into ``target`` (a binary file); returns bytes written."""
        local = self.local_url(url)
        written = 0
        self.requests += 1
        try:
            with self._client.stream("GET", local, headers={"Accept": "*/*"}) as response:
                if response.status_code >= 300:
                    response.read()
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
                for chunk in response.iter_bytes():
                    target.write(chunk)
                    written += len(chunk)
        except httpx.TransportError as exc:
            raise UnavailableError(
                f"the download from KoboToolbox at {self.base_url} failed ({type(exc).__name__})",
                hint="check the connection and try again",
                platform_message=str(exc) or None,
            ) from exc
        return written


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
    "TOKEN_HINT",
    "USER_AGENT",
    "KpiClient",
    "TokenAuth",
    "cap_page_size",
    "capped_next",
    "error_for",
    "platform_message",
    "retry_after",
    "server_url",
]
