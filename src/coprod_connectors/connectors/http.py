"""The one HTTP policy every connector uses: timeouts, deadlines, retries, error pages.

::

    policy = HttpPolicy(name="SurveyX", user_agent=user_agent("coprod-connectors-surveyx"))
    with policy.client() as client:
        result = policy.call(client, "POST", url, parse=my_parse, retry="safe", json=payload)

What it guarantees, whatever the server does:

- **Timeouts**: explicit connect, read, write and pool timeouts, and a wall-clock
  ``deadline`` for the whole call, retries and waits included. The body is
  streamed and the deadline checked after every chunk, so a server that sends a
  byte every few seconds (the read timeout never fires) is cut off at the
  deadline; the per-request timeouts shrink to what is left of it, and on a
  real connection a watchdog shuts the socket at the deadline, so a read
  blocked on a silent server ends then too.
- **Retries of safe calls only.** A call is ``"safe"`` (repeating it is harmless:
  GET, HEAD, OPTIONS by default, or what the connector marks safe, such as
  JSON-RPC reads), ``"unsent"`` (the default for other methods: retried only
  when the request never reached the server, a connection refused or a
  connect time-out) or ``"never"`` (a login: a password is never sent twice).
  A safe call is retried after a dropped connection or a time-out, after HTTP
  429, 502, 503 or 504 (``retry_statuses``; 500 is an application error that
  usually repeats, a connector may add it), and after a reply its ``parse``
  judged cut short (:class:`~coprod_connectors.errors.TransientReplyError`).
- **Waits**: exponential back-off with full jitter (a random wait between 0 and
  ``backoff * 2**(attempt-1)``, at most ``max_backoff``); a ``Retry-After``
  (seconds or an HTTP date) is honoured up to ``max_retry_after``; a server that
  asks for longer is not waited for: the call fails at once and says how long
  the server asked for. At most ``max_retries`` retries, at most
  ``max_total_wait`` seconds of waiting, and never past the deadline: with the
  defaults the longest a call can take on a dead or hostile server is the
  deadline, 45 s (leaving room under a minute for a last short call, such as
  releasing a session).
- **Error pages are read bounded**: at most ``max_error_body`` bytes of a
  non-2xx body are read; :func:`error_page_text` turns them into a line of text
  in time proportional to their size.

The policy raises the core's exceptions for what happens below HTTP
(:class:`~coprod_connectors.errors.UnavailableError`,
:class:`~coprod_connectors.errors.TimedOutError`); what an HTTP status or a
reply means is the connector's ``parse``, its one error-mapping boundary.
Everything that waits (``clock``, ``sleep``, ``random``, ``now``) is
injectable, so tests never sleep.
"""

from __future__ import annotations

import html
import logging
import random as _random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from functools import cache
from importlib import metadata
from typing import Any, Literal, TypeVar

import httpx

from coprod_connectors import __version__ as _core_version
from coprod_connectors.errors import TimedOutError, TransientReplyError, UnavailableError
from coprod_connectors.safety import printable

T = TypeVar("T")
logger = logging.getLogger(__name__)

#: How a call may be repeated: see :class:`HttpPolicy`.
Retry = Literal["safe", "unsent", "never"]

#: Methods that are safe to repeat unless the caller says otherwise.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Statuses after which a safe call is asked again.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)

# a request that failed before any of it reached the server
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def user_agent(distribution: str | None = None) -> str:
    """``coprod-connectors/<version>``, followed by ``<distribution>/<version>`` if given."""
    agent = f"coprod-connectors/{_core_version}"
    if distribution is None:
        return agent
    try:
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        version = "0"
    return f"{agent} {distribution}/{version}"


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every client shares (made once: loading the CA certificates
    takes tens of milliseconds, and a sync opens a client per deployment)."""
    create: Callable[[], ssl.SSLContext] | None = getattr(httpx, "create_ssl_context", None)
    if create is not None:  # httpx >= 0.28
        return create()
    import certifi  # httpx 0.27 (certifi is one of its dependencies)

    return ssl.create_default_context(cafile=certifi.where())


class _DeadlinePassedError(Exception):
    """The call's deadline passed while the body was still arriving."""


@dataclass(frozen=True)
class HttpPolicy:
    """How a connector talks HTTP; frozen, with :meth:`with_` for per-connector changes."""

    #: The platform's name, as messages show it ("SurveyX").
    name: str = "the server"
    user_agent: str = field(default_factory=user_agent)
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    #: Wall-clock seconds for one call: every attempt, every wait, every byte.
    deadline: float = 45.0
    max_retries: int = 3
    retry_statuses: frozenset[int] = RETRY_STATUSES
    #: The first back-off's ceiling (seconds); it doubles with each attempt.
    backoff: float = 1.0
    max_backoff: float = 8.0
    #: The longest ``Retry-After`` waited for; a server asking for more gets an error.
    max_retry_after: float = 10.0
    #: The most seconds one call spends waiting between attempts.
    max_total_wait: float = 30.0
    #: The most bytes read of a non-2xx body.
    max_error_body: int = 64 * 1024
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    #: A number in [0, 1) for the jitter.
    random: Callable[[], float] = _random.random
    #: The time of day (seconds since the epoch), for ``Retry-After`` given as a date.
    now: Callable[[], float] = time.time

    def with_(self, **changes: Any) -> HttpPolicy:
        """A copy with ``changes`` (e.g. ``policy.with_(sleep=fake.sleep)`` in tests)."""
        return replace(self, **changes)

    # -- clients ---------------------------------------------------------------------

    def client(
        self,
        *,
        base_url: str = "",
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Client:
        """An ``httpx.Client`` with this policy's User-Agent and timeouts; redirects are
        not followed (a redirect to a login page must not pass for an answer)."""
        return httpx.Client(
            base_url=base_url,
            verify=tls_context() if transport is None else True,
            auth=auth,
            headers={"User-Agent": self.user_agent, **(headers or {})},
            timeout=self.timeout,
            transport=transport,
            follow_redirects=False,
        )

    # -- waits -----------------------------------------------------------------------

    def backoff_delay(self, attempt: int) -> float:
        """The wait after failed attempt ``attempt`` (1, 2, ...): full jitter."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return ceiling * self.random()

    def retry_after(self, response: httpx.Response) -> float | None:
        """Seconds a ``Retry-After`` header asks for (see :func:`retry_after`)."""
        return retry_after(response, now=self.now)

    # -- calls -----------------------------------------------------------------------

    def send(
        self,
        client: httpx.Client,
        method: str,
        url: str | httpx.URL,
        *,
        retry: Retry | None = None,
        what: str | None = None,
        deadline: float | None = None,
        on_attempt: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The response to a request, retried as the policy says (body read; a non-2xx
        body capped at ``max_error_body``). Statuses are left to the caller."""
        return self.call(
            client,
            method,
            url,
            parse=_itself,
            retry=retry,
            what=what,
            deadline=deadline,
            on_attempt=on_attempt,
            **kwargs,
        )

    def call(
        self,
        client: httpx.Client,
        method: str,
        url: str | httpx.URL,
        *,
        parse: Callable[[httpx.Response], T],
        retry: Retry | None = None,
        what: str | None = None,
        deadline: float | None = None,
        on_attempt: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> T:
        """``parse(response)`` for a request, retried as the policy says.

        ``parse`` is the connector's error-mapping boundary: it raises the core's
        exception for a status or a reply it does not accept, or
        :class:`TransientReplyError` for a reply cut short (asked again if the call
        is safe). ``retry`` defaults to ``"safe"`` for GET, HEAD and OPTIONS and
        ``"unsent"`` for the rest; ``what`` names the call in messages;
        ``deadline`` (seconds) replaces the policy's for this call; ``on_attempt``
        is called before each attempt (to count requests).
        """
        mode: Retry = retry or ("safe" if method.upper() in SAFE_METHODS else "unsent")
        what = what or f"{method.upper()} {httpx.URL(str(url)).path or '/'}"
        budget = self.deadline if deadline is None else deadline
        end = self.clock() + budget
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            wait: float | None = None
            try:
                if on_attempt is not None:
                    on_attempt()
                response = self._attempt(client, method, url, end, kwargs)
                status = response.status_code
                if mode == "safe" and status in self.retry_statuses:
                    asked = self.retry_after(response)
                    if asked is None:
                        wait = self.backoff_delay(attempt)
                    elif asked <= self.max_retry_after:
                        wait = asked
                if wait is None:
                    return parse(response)
            except TransientReplyError:
                if mode != "safe":
                    raise
                wait = self.backoff_delay(attempt)
                if not self._may_wait(attempt, wait, waited, end):
                    raise
            except _DeadlinePassedError:
                raise self._timed_out(client, url, what, budget) from None
            except httpx.TimeoutException as exc:
                if mode == "never" or (mode == "unsent" and not isinstance(exc, _UNSENT)):
                    raise self._timed_out(client, url, what, budget) from exc
                wait = self.backoff_delay(attempt)
                if not self._may_wait(attempt, wait, waited, end):
                    raise self._timed_out(client, url, what, budget) from exc
            except httpx.TransportError as exc:
                if mode == "never" or (mode == "unsent" and not isinstance(exc, _UNSENT)):
                    raise self._unreachable(client, url, what, exc) from exc
                wait = self.backoff_delay(attempt)
                if not self._may_wait(attempt, wait, waited, end):
                    raise self._unreachable(client, url, what, exc) from exc
            else:
                if wait is None or not self._may_wait(attempt, wait, waited, end):
                    return parse(response)
            logger.info(
                "%s: asking again for %s in %.1f s (attempt %d)", self.name, what, wait, attempt + 1
            )
            self.sleep(wait)
            waited += wait

    def download(
        self,
        client: httpx.Client,
        url: str | httpx.URL,
        write: Callable[[bytes], object],
        *,
        check: Callable[[httpx.Response], None],
        what: str | None = None,
        min_rate: float = 64 * 1024,
        **kwargs: Any,
    ) -> int:
        """Stream a GET into ``write`` (not retried: part may be written); returns bytes.

        ``check(response)`` sees the response before its body (a non-2xx one with
        its body read, capped) and raises to refuse it. A file takes time: the
        deadline grows by one second for every ``min_rate`` bytes received, so a
        large file on a good line arrives whole and a trickle is still cut off.
        """
        what = what or f"GET {httpx.URL(str(url)).path or '/'}"
        start = self.clock()
        timeout = httpx.Timeout(
            connect=_within(self.timeout.connect, self.deadline),
            read=_within(self.timeout.read, self.deadline),
            write=_within(self.timeout.write, self.deadline),
            pool=_within(self.timeout.pool, self.deadline),
        )
        try:
            with client.stream("GET", url, timeout=timeout, **kwargs) as response:
                if not response.is_success:
                    body = self._read(response, start + self.deadline, self.max_error_body)
                    refused = httpx.Response(
                        response.status_code,
                        headers=_plain(response.headers),
                        content=body,
                        request=response.request,
                    )
                    check(refused)
                    return 0
                check(response)
                written = self._pour(response, write, start, min_rate)
        except _DeadlinePassedError:
            raise self._timed_out(client, url, what, self.clock() - start) from None
        except httpx.TimeoutException as exc:
            raise self._timed_out(client, url, what, self.clock() - start) from exc
        except httpx.TransportError as exc:
            raise self._unreachable(client, url, what, exc) from exc
        return written

    def _pour(
        self,
        response: httpx.Response,
        write: Callable[[bytes], object],
        start: float,
        min_rate: float,
    ) -> int:
        written = 0
        for chunk in response.iter_bytes():
            write(chunk)
            written += len(chunk)
            if self.clock() > start + self.deadline + written / min_rate:
                raise _DeadlinePassedError
        return written

    def _may_wait(self, attempt: int, wait: float, waited: float, end: float) -> bool:
        """Whether one more attempt fits: retries, total wait and the deadline."""
        return (
            attempt <= self.max_retries
            and waited + wait <= self.max_total_wait
            and self.clock() + wait < end
        )

    def _attempt(
        self,
        client: httpx.Client,
        method: str,
        url: str | httpx.URL,
        end: float,
        kwargs: dict[str, Any],
    ) -> httpx.Response:
        """One request; the body read as it streams in, within the deadline."""
        left = end - self.clock()
        if left <= 0:
            raise _DeadlinePassedError
        timeout = httpx.Timeout(
            connect=_within(self.timeout.connect, left),
            read=_within(self.timeout.read, left),
            write=_within(self.timeout.write, left),
            pool=_within(self.timeout.pool, left),
        )
        request = client.build_request(method, url, timeout=timeout, **kwargs)
        response = client.send(request, stream=True)
        watchdog = self._watchdog(response, end)
        try:
            limit = None if response.is_success else self.max_error_body
            body = self._read(response, end, limit)
        except httpx.TransportError:
            if self.clock() >= end:  # the watchdog cut the connection
                raise _DeadlinePassedError from None
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
            response.close()
        return httpx.Response(
            response.status_code,
            headers=_plain(response.headers),
            content=body,
            request=request,
            extensions=response.extensions,
        )

    def _watchdog(self, response: httpx.Response, end: float) -> threading.Timer | None:
        """A timer that shuts the connection at the deadline, so that a read blocked
        on a server sending nothing more ends then, not a read timeout later."""
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return None  # not a socket (a test transport): the checks between chunks do
        timer = threading.Timer(max(0.0, end - self.clock()), _shut, (sock,))
        timer.daemon = True
        timer.start()
        return timer

    def _read(self, response: httpx.Response, end: float, limit: int | None) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size >= limit:
                return b"".join(chunks)[:limit]
            if self.clock() > end:
                raise _DeadlinePassedError
        return b"".join(chunks)

    # -- messages --------------------------------------------------------------------

    def _server(self, client: httpx.Client, url: str | httpx.URL) -> str:
        full = client.base_url.join(str(url)) if client.base_url else httpx.URL(str(url))
        return f"{full.scheme}://{full.netloc.decode('ascii', 'replace')}"

    def _timed_out(
        self, client: httpx.Client, url: str | httpx.URL, what: str, budget: float
    ) -> TimedOutError:
        return TimedOutError(
            f"no answer in time from {self.name} at {self._server(client, url)} to {what} "
            f"(gave up after {budget:.0f} s)",
            hint="the server is slow or not answering; try again later, and if it keeps "
            "happening tell the server's administrator",
        )

    def _unreachable(
        self, client: httpx.Client, url: str | httpx.URL, what: str, exc: httpx.TransportError
    ) -> UnavailableError:
        server = self._server(client, url)
        if isinstance(exc, _UNSENT):
            message = f"could not reach {self.name} at {server} ({type(exc).__name__})"
        else:
            message = (
                f"the connection to {self.name} at {server} broke during {what} "
                f"({type(exc).__name__})"
            )
        return UnavailableError(
            message,
            hint="check the connection and the profile's url, then try again",
            platform_message=printable(str(exc), 300) or None,
        )


def retry_after(response: httpx.Response, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds a ``Retry-After`` header asks for (whole or decimal seconds, or an HTTP
    date), or None without a usable one. A date in the past is 0."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d*)?", value):
        return float(value)  # a huge number is a long wait, never waited for
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now())


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for a TLS socket: the blocked read gets an
    # error at once, and the TLS object stays as the reading thread expects it
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _plain(headers: httpx.Headers) -> httpx.Headers:
    """``headers`` for a body already decoded (no encoding or length of the wire's)."""
    dropped = {b"content-encoding", b"content-length", b"transfer-encoding"}
    # the raw bytes: a header value that is not ASCII (a hostile server's) stays as it came
    return httpx.Headers([(k, v) for k, v in headers.raw if k.lower() not in dropped])


def _itself(response: httpx.Response) -> httpx.Response:
    return response


def _within(value: float | None, left: float) -> float:
    return left if value is None else min(value, left)


# --- error pages -------------------------------------------------------------------------

_TAG_NAME = re.compile(r"/?([A-Za-z][A-Za-z0-9-]*)")
_SPACE = re.compile(r"\s+")


def strip_markup(page: str) -> str:
    """The text of an HTML page: tags, comments, scripts and styles removed, entities
    decoded. One pass over the page (time proportional to its length)."""
    lower = page.lower()
    out: list[str] = []
    i, n = 0, len(page)
    while i < n:
        lt = page.find("<", i)
        if lt == -1:
            out.append(page[i:])
            break
        out.append(page[i:lt])
        out.append(" ")
        if page.startswith("<!--", lt):
            close = page.find("-->", lt + 4)
            i = n if close == -1 else close + 3
            continue
        gt = page.find(">", lt + 1)
        if gt == -1:
            break
        tag = _TAG_NAME.match(page, lt + 1)
        name = tag.group(1).lower() if tag else ""
        i = gt + 1
        if name in {"script", "style"} and not page.startswith("/", lt + 1):
            close = lower.find(f"</{name}", i)
            i = n if close == -1 else (lower.find(">", close) + 1 or n)
    return html.unescape("".join(out))


def error_page_text(response: httpx.Response | bytes, limit: int = 300) -> str:
    """What an error page says, as one printable line of at most ``limit`` characters:
    markup stripped if it looks like HTML, undecodable bytes replaced."""
    if isinstance(response, httpx.Response):
        encoding = response.encoding or "utf-8"
        content = response.content
    else:
        encoding, content = "utf-8", response
    try:
        text = content.decode(encoding, errors="replace")
    except LookupError:
        text = content.decode("utf-8", errors="replace")
    if text.lstrip()[:1] == "<":
        text = strip_markup(text)
    return printable(_SPACE.sub(" ", text[: limit * 20]).strip(), limit)


__all__ = [
    "DEFAULT_TIMEOUT",
    "RETRY_STATUSES",
    "SAFE_METHODS",
    "HttpPolicy",
    "Retry",
    "error_page_text",
    "retry_after",
    "strip_markup",
    "tls_context",
    "user_agent",
]
