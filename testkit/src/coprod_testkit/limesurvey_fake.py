"""A fake LimeSurvey 6 RemoteControl server for tests and benchmarks, in the real reply shapes.

:class:`FakeLimeSurvey` holds one survey (a built-in instrument by default,
with the response columns the connector's rendered .lss produces) and
``count`` responses generated deterministically from a seed. It answers the
JSON-RPC calls at ``/index.php/admin/remotecontrol`` that a pull, a status and
a profile check make, with the bytes LimeSurvey 6.14 sends (checked against the
recorded cassettes, ``tests/data/replies`` and a live server):

- ``get_session_key``: a 32-character key, or ``{"status": "Invalid user name or
  password"}``; after three failed logins, LimeSurvey's lock-out message, even
  for the right password; ``release_session_key``: always ``"OK"``;
- ``list_surveys``, ``get_survey_properties``, ``get_language_properties``,
  ``get_summary`` (``[]`` before activation, ``{"status": "Invalid surveyid"}``
  for another survey);
- ``export_responses`` as ``json`` with ``code`` headings: the completion
  status, ``iFromResponseID``/``iToResponseID`` and the field list are honoured;
  the document is base64 of ``{"responses": [{...},...]}`` written as PHP's
  ``json_encode`` writes it (``\\/``, ``\\uXXXX``, ``"id":1`` a number), in the
  envelope ``{"id":1, "result":"...", "error":null}``; "No Data, could not get
  max id." when there is no response at all, "No Data, survey table does not
  exist." before activation, "No permission" for another survey;
- ``{"status": "Invalid session key"}`` for a key that was released or has
  expired; with ``expire_rate``, keys expire at random (seeded) before a call;
- an unknown method is LimeSurvey's HTTP 500 HTML page; a body that is not
  JSON gets ``{"id":null,"result":null,"error":"unable to decode malformed json"}``.

Response columns, in the order LimeSurvey exports them: ``id``,
``submitdate``, ``lastpage``, ``startlanguage``, ``seed``, ``startdate``,
``datestamp``, then every question of the rendered survey: ``role``,
``diversity[d1]`` for a grid row, ``contact[email]`` (``"Y"`` or ``null``) for a
multiple choice, ``actions1``, ``actWhat1``... for row 1 of a repeat, and text
displays as columns that are always ``null``. Numbers and dates come as strings
(``"7"``, ``"2026-01-10 00:00:00"``), unanswered questions as ``null``.

Responses are not kept in memory: each is made from one of a few dozen answer
sets (from the core's one generator, :func:`coprod_connectors.synthetic.random_answers`,
seeded), its id and its dates when asked for, so serving 100,000 costs no more
memory than serving 100 (the one-call export of everything still has to be
built in memory, as LimeSurvey builds it). Change the survey the way people
do: :meth:`FakeLimeSurvey.add`, :meth:`~FakeLimeSurvey.complete`,
:meth:`~FakeLimeSurvey.edit`, :meth:`~FakeLimeSurvey.delete`.

Use it as an ``httpx.MockTransport`` (:meth:`FakeLimeSurvey.transport`) or as a
real HTTP server on 127.0.0.1 (:meth:`FakeLimeSurvey.serve`, a context
manager). ``python -m coprod_testkit.limesurvey_fake --count 10000`` serves one until
interrupted and prints its URL.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import random
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from coprod_connectors import (
    MEDIA_KINDS,
    Deployment,
    Instrument,
    Profile,
    Question,
    QuestionKind,
    builtin_instrument,
)
from coprod_connectors.synthetic import random_answers
from coprod_limesurvey.layout import intro_code, language_code, row_code
from coprod_limesurvey.rpc import ENDPOINT, INVALID_SESSION_KEY

#: The account the fake accepts unless told otherwise (test values, not secrets).
FAKE_USER = "admin"
FAKE_PASSWORD = "fake-limesurvey-password"  # noqa: S105 - the fake's own test value
DEFAULT_SID = 123456
#: LimeSurvey's default ``maxLoginAttempt``: after this many failures it locks the account out.
MAX_LOGIN_ATTEMPTS = 3
LOCKED_OUT = (
    "You have exceeded the number of maximum login attempts. "
    "Please wait 10 minutes before trying again."
)
WRONG_PASSWORD = "Invalid user name or password"  # noqa: S105 - the message, not one
MALFORMED = b'{"id":null,"result":null,"error":"unable to decode malformed json"}'
#: The columns every response table starts with, in LimeSurvey's order.
META_HEADINGS = ("id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp")
#: How many different answer sets the rows are made from.
VARIANTS = 61
#: What people write as the subject (the service they reflect on): a few, so scores group.
SUBJECTS = ("Day centre", "Youth service", "Libraries", "Housing support", "Carers' café")
_HEADERS = {
    "content-type": "application/json",
    "cache-control": "no-store, no-cache, must-revalidate",
    "pragma": "no-cache",
    "x-powered-by": "PHP/8.2.36",
}
_SERVER_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
    <meta http-equiv="content-type" content="text/html; charset=UTF-8"/>
    <title>500: Internal Server Error</title>
</head>
<body>
<div class="container">
    <h1>500: Internal Server Error</h1>
    <p>{message}</p>
    <p>An internal error occurred while the Web server was processing your request.
    Please contact Your Name to report this problem.</p>
</div>
</body>
</html>
"""


def php_json(value: Any) -> bytes:
    """``value`` as PHP's json_encode writes it: compact, ``\\uXXXX`` escapes, ``\\/``."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def server_error_page(message: str) -> bytes:
    """LimeSurvey's HTTP 500 page (as for an unknown RemoteControl method)."""
    return _SERVER_ERROR_PAGE.format(message=html.escape(message)).encode()


# --- the survey's columns -------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One response column of the rendered survey and what it holds.

    ``kind``: ``choice`` (one of ``choices``), ``tick`` (``"Y"`` or ``null``),
    ``integer``, ``date``, ``text``, or ``empty`` (a text display: always ``null``).
    ``repeat`` and ``row`` (0-based) place a repeat's inner question. ``answer`` is the
    code the cell's answer is keyed by (a grid's row code); ``option``, a tick's choice.
    """

    name: str
    kind: str
    choices: tuple[str, ...] = ()
    required: bool = False
    low: int = 0
    high: int = 100
    repeat: str | None = None
    row: int | None = None
    rows: int = 0
    answer: str = ""
    option: str | None = None


def _columns_of(
    instrument: Instrument,
    question: Question,
    code: str,
    repeat: Question | None = None,
    row: int | None = None,
) -> Iterator[Column]:
    place: dict[str, Any] = {}
    if repeat is not None:
        place = {"repeat": repeat.code, "row": row, "rows": repeat.max_count or 1}
    kind = question.kind
    choices = tuple(c.code for c in instrument.choices_for(question))
    place["answer"] = question.code
    if kind is QuestionKind.MATRIX:
        for grid_row in question.rows or ():
            cell = {**place, "answer": grid_row.code}
            yield Column(f"{code}[{grid_row.code}]", "choice", choices, question.required, **cell)
    elif kind is QuestionKind.MULTIPLE_CHOICE:
        for choice in choices:
            yield Column(f"{code}[{choice}]", "tick", option=choice, **place)
    elif kind is QuestionKind.SINGLE_CHOICE:
        yield Column(code, "choice", choices, question.required, **place)
    elif kind is QuestionKind.INTEGER:
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else low + 100
        yield Column(code, "integer", (), question.required, low, high, **place)
    elif kind is QuestionKind.DATE:
        yield Column(code, "date", (), question.required, **place)
    elif kind is QuestionKind.NOTE:
        yield Column(code, "empty", **place)
    elif kind in MEDIA_KINDS:  # a file upload: the files, then how many there are
        yield Column(code, "text", (), question.required, **place)
        yield Column(f"{code}[filecount]", "empty", **place)
    else:  # short and long text
        yield Column(code, "text", (), question.required, **place)


def survey_columns(instrument: Instrument) -> list[Column]:
    """Every column of the rendered survey's response table after the meta columns, in order."""
    found: list[Column] = []
    for section in instrument.sections:
        if section.description is not None:  # a question a page: the section's opening text
            found.append(Column(intro_code(instrument, section.code), "empty"))
        for question in section.questions:
            if question.kind is not QuestionKind.REPEAT:
                found.extend(_columns_of(instrument, question, question.code))
                continue
            for n in range(1, (question.max_count or 1) + 1):
                found.append(
                    Column(
                        row_code(question.code, n),
                        "empty",
                        repeat=question.code,
                        row=n - 1,
                        rows=question.max_count or 1,
                    )
                )
                for inner in question.questions or ():
                    found.extend(
                        _columns_of(instrument, inner, row_code(inner.code, n), question, n - 1)
                    )
    # the hidden equation on the last page: the language the person finished in
    found.append(Column(language_code(instrument), "empty"))
    return found


def headings(instrument: Instrument) -> list[str]:
    """The column headings ("question code" headings) of the survey's responses, in order."""
    return [*META_HEADINGS, *(c.name for c in survey_columns(instrument))]


# --- rows ---------------------------------------------------------------------------------


def _cell(column: Column, answers: Mapping[str, Any]) -> Any:
    """What LimeSurvey exports in ``column`` for answers keyed by codes (a Response's)."""
    if column.kind == "empty":
        return None
    if column.repeat is not None:
        rows = answers.get(column.repeat) or []
        row = column.row or 0
        value = rows[row].get(column.answer) if row < len(rows) else None
    else:
        value = answers.get(column.answer)
    if value is None:
        return None
    if column.kind == "tick":
        return "Y" if column.option in value else None
    if column.kind == "date":
        return f"{value} 00:00:00"
    return str(value)


class _Template:
    """One row's JSON bytes with holes for its id, dates and number."""

    def __init__(self, encoded: bytes) -> None:
        pieces = encoded.split(b"@@")
        self.literals = pieces[0::2]
        self.keys = pieces[1::2]

    def fill(self, values: Mapping[bytes, bytes]) -> bytes:
        out = [self.literals[0]]
        for key, literal in zip(self.keys, self.literals[1:], strict=True):
            out.append(values[key])
            out.append(literal)
        return b"".join(out)


def _mix(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class FakeLimeSurvey:
    """One LimeSurvey survey with ``count`` responses, answering RemoteControl calls.

    Responses have ids ``1..count``; every ``incomplete_every``-th one is
    unfinished (no ``submitdate``). ``expire_rate`` is the chance (drawn from
    ``expire_seed``, default ``seed``) that the session key expires just before
    a call that uses it; with ``expire_after``, a key expires after that many
    calls (as LimeSurvey's session time-out would, sooner). ``latency`` and
    ``row_cost``: seconds to wait before each export_responses answer, and more
    for each row in it (a real server's PHP and database take time; LimeSurvey
    6.14 under ``php -S`` with MariaDB took about 0.027 s + 0.00022 s a row
    here). The counters
    (``requests``, ``calls``, ``logins``, ``failed_logins``, ``expired``,
    ``exports``) say what clients did.
    """

    def __init__(
        self,
        count: int = 0,
        *,
        instrument: Instrument | None = None,
        sid: int = DEFAULT_SID,
        seed: int = 0,
        incomplete_every: int = 0,
        expire_rate: float = 0.0,
        expire_seed: int | None = None,
        expire_after: int | None = None,
        latency: float = 0.0,
        row_cost: float = 0.0,
        active: bool = True,
        user: str = FAKE_USER,
        password: str = FAKE_PASSWORD,
        start: datetime = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc),
    ) -> None:
        self.instrument = instrument or builtin_instrument("checklist")
        self.columns = survey_columns(self.instrument)
        self.headings = [*META_HEADINGS, *(c.name for c in self.columns)]
        self.sid = sid
        self.seed = seed
        self.incomplete_every = incomplete_every
        self.expire_rate = expire_rate
        self.expire_after = expire_after
        self.latency = latency
        self.row_cost = row_cost
        self.active = active
        self.user = user
        self.password = password
        self.start = start
        self.title = self.instrument.title[self.instrument.default_language]
        self.last_id = count
        self._deleted: set[int] = set()
        self._finished: dict[int, bool] = {}
        self._edits: dict[int, dict[str, Any]] = {}
        self._templates: dict[int, _Template] = {}
        self._keys: dict[str, int] = {}  # session key -> calls made with it
        self._issued = 0
        self._expire_rng = random.Random(seed if expire_seed is None else expire_seed)  # noqa: S311
        self._lock = threading.RLock()
        self.requests = 0
        self.calls: list[str] = []
        self.logins = 0
        self.failed_logins = 0
        self.expired = 0
        self.exports: list[tuple[str, int | None, int | None, tuple[str, ...] | None]] = []

    # -- the survey's state --------------------------------------------------------------

    def ids(self, status: str = "all") -> list[int]:
        """The response ids there are now (``complete``, ``incomplete`` or ``all``)."""
        return list(self._ids_between(1, self.last_id, status))

    def __len__(self) -> int:
        return self.last_id - len(self._deleted)

    def is_complete(self, n: int) -> bool:
        if n in self._finished:
            return self._finished[n]
        return not (self.incomplete_every and n % self.incomplete_every == 0)

    def add(self, count: int = 1, *, complete: bool = True) -> list[int]:
        """New responses (the next ids), finished unless ``complete=False``."""
        with self._lock:
            new = list(range(self.last_id + 1, self.last_id + count + 1))
            self.last_id += count
            for n in new:
                if self.is_complete(n) != complete:
                    self._finished[n] = complete
            return new

    def complete(self, n: int) -> None:
        """Response ``n`` is finished now (it gets a ``submitdate``)."""
        with self._lock:
            self._finished[n] = True

    def delete(self, n: int) -> None:
        with self._lock:
            self._deleted.add(n)

    def edit(self, n: int, **cells: Any) -> None:
        """Change (or add: any name goes) columns of response ``n``, e.g. ``edit(3, role="x")``."""
        with self._lock:
            self._edits.setdefault(n, {}).update(cells)

    def expire_keys(self) -> None:
        """Every session key given out so far stops working (as after LimeSurvey's time-out)."""
        with self._lock:
            self.expired += len(self._keys)
            self._keys.clear()

    def unlock(self) -> None:
        """Forget the failed logins (the lock-out is over)."""
        with self._lock:
            self.failed_logins = 0

    # -- rows ----------------------------------------------------------------------------

    def row(self, n: int) -> dict[str, Any]:
        """Response ``n`` as export_responses gives it (decoded)."""
        decoded: dict[str, Any] = json.loads(self.encoded_row(n))
        return decoded

    def encoded_row(self, n: int) -> bytes:
        """Response ``n`` as the JSON bytes inside an export document."""
        complete = self.is_complete(n)
        started = self.start + timedelta(minutes=7 * n)
        submitted = started + timedelta(minutes=6)
        variant = _mix(self.seed, n) % VARIANTS
        sections = len(self.instrument.sections)
        encoded = self._template(variant).fill(
            {
                b"ID": str(n).encode(),
                b"N": str(n).encode(),
                b"SUBMIT": f'"{submitted:%Y-%m-%d %H:%M:%S}"'.encode() if complete else b"null",
                b"LAST": str(sections if complete else 1).encode(),
                b"START": f"{started:%Y-%m-%d %H:%M:%S}".encode(),
                b"STAMP": f"{submitted if complete else started:%Y-%m-%d %H:%M:%S}".encode(),
            }
        )
        edits = self._edits.get(n)
        if edits:
            row = json.loads(encoded)
            row.update(edits)
            encoded = php_json(row)
        return encoded

    def _template(self, variant: int) -> _Template:
        template = self._templates.get(variant)
        if template is None:
            template = _Template(self._encode_variant(variant))
            self._templates[variant] = template
        return template

    def _encode_variant(self, variant: int) -> bytes:
        answers = random_answers(
            self.instrument,
            _mix("answers", self.seed, variant),
            mark=" #@@N@@",  # the response's number, filled in per row
            media=False,  # LimeSurvey collects recordings and pictures as long text
            pick={"subject": SUBJECTS},
        )
        languages = self.instrument.languages
        row: dict[str, Any] = {
            "id": "@@ID@@",
            "submitdate": "@@SUBMIT@@",
            "lastpage": "@@LAST@@",
            "startlanguage": languages[variant % len(languages)],
            "seed": None,
            "startdate": "@@START@@",
            "datestamp": "@@STAMP@@",
        }
        for column in self.columns:
            row[column.name] = _cell(column, answers)
        encoded = php_json(row)
        for key in (b"ID", b"SUBMIT", b"LAST"):
            encoded = encoded.replace(b'"@@' + key + b'@@"', b"@@" + key + b"@@")
        return encoded

    def _ids_between(self, low: int, high: int, status: str) -> Iterator[int]:
        for n in range(max(low, 1), min(high, self.last_id) + 1):
            if n in self._deleted:
                continue
            if status == "complete" and not self.is_complete(n):
                continue
            if status == "incomplete" and self.is_complete(n):
                continue
            yield n

    def export_document(
        self,
        status: str = "all",
        low: int | None = None,
        high: int | None = None,
        fields: Sequence[str] | None = None,
    ) -> bytes:
        """The JSON document export_responses base64-encodes (before encoding)."""
        ids = self._ids_between(low or 1, self.last_id if high is None else high, status)
        if fields:
            wanted = [h for h in self.headings if h in set(fields)]
            if wanted == ["id"]:
                rows = [b'{"id":%d}' % n for n in ids]
            else:
                rows = []
                for n in ids:
                    full = self.row(n)
                    rows.append(php_json({h: full.get(h) for h in wanted}))
        else:
            rows = [self.encoded_row(n) for n in ids]
        return b'{"responses": [' + b",".join(rows) + b"]}"

    # -- JSON-RPC ------------------------------------------------------------------------

    def respond(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """(HTTP status, headers, body) for one JSON-RPC request body."""
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("method"), str):
            return 200, dict(_HEADERS), MALFORMED
        method: str = payload["method"]
        params = payload.get("params")
        params = list(params) if isinstance(params, list) else []
        request_id = payload.get("id")
        with self._lock:
            self.requests += 1
            self.calls.append(method)
        handler = getattr(self, f"_rpc_{method}", None)
        if handler is None:
            message = (
                "call_user_func_array(): Argument #1 ($callback) must be a valid callback, "
                f'class remotecontrol_handle does not have a method "{method}"'
            )
            headers = {**_HEADERS, "content-type": "text/html; charset=UTF-8"}
            return 500, headers, server_error_page(message)
        if method not in {"get_session_key", "release_session_key"}:
            refusal = self._check_key(params[0] if params else None)
            if refusal is not None:
                return 200, dict(_HEADERS), self._envelope(request_id, refusal)
        try:
            result = handler(*params)
        except (TypeError, ValueError) as exc:  # PHP would stop with an error page too
            headers = {**_HEADERS, "content-type": "text/html; charset=UTF-8"}
            return 500, headers, server_error_page(f"{type(exc).__name__}: {exc}")
        if isinstance(result, _Export):
            encoded = base64.b64encode(result.document)
            body = (
                b'{"id":' + php_json(request_id) + b', "result":"' + encoded + b'", "error":null}'
            )
            return 200, dict(_HEADERS), body
        return 200, dict(_HEADERS), self._envelope(request_id, result)

    @staticmethod
    def _envelope(request_id: Any, result: Any) -> bytes:
        return php_json({"id": request_id, "result": result, "error": None})

    def _check_key(self, key: Any) -> dict[str, str] | None:
        with self._lock:
            if not isinstance(key, str) or key not in self._keys:
                return {"status": INVALID_SESSION_KEY}
            self._keys[key] += 1
            worn_out = self.expire_after is not None and self._keys[key] > self.expire_after
            if worn_out or (self.expire_rate and self._expire_rng.random() < self.expire_rate):
                del self._keys[key]
                self.expired += 1
                return {"status": INVALID_SESSION_KEY}
        return None

    def _rpc_get_session_key(self, user: Any = None, password: Any = None, *_: Any) -> Any:
        with self._lock:
            if self.failed_logins >= MAX_LOGIN_ATTEMPTS:
                return {"status": LOCKED_OUT}
            if user != self.user or password != self.password:
                self.failed_logins += 1
                return {"status": WRONG_PASSWORD}
            self._issued += 1
            self.logins += 1
            key = hashlib.sha256(f"{self.seed}:{self._issued}".encode()).hexdigest()[:32]
            self._keys[key] = 0
            return key

    def _rpc_release_session_key(self, key: Any = None, *_: Any) -> Any:
        with self._lock:
            if isinstance(key, str):
                self._keys.pop(key, None)
        return "OK"

    def _is_ours(self, sid: Any) -> bool:
        try:
            return int(sid) == self.sid
        except (TypeError, ValueError):
            return False

    def _rpc_list_surveys(self, _key: Any = None, *_: Any) -> Any:
        return [
            {
                "sid": self.sid,
                "gsid": 1,
                "surveyls_title": self.title,
                "startdate": None,
                "expires": None,
                "active": "Y" if self.active else "N",
            }
        ]

    def _properties(self) -> dict[str, Any]:
        languages = self.instrument.languages
        return {
            "sid": self.sid,
            "active": "Y" if self.active else "N",
            "expires": None,
            "startdate": None,
            "language": languages[0],
            "additional_languages": " ".join(languages[1:]),
            "anonymized": "N",
            "datestamp": "Y",
            "usetokens": "N",
        }

    def _rpc_get_survey_properties(
        self, _key: Any = None, sid: Any = None, names: Any = None, *_: Any
    ) -> Any:
        if not self._is_ours(sid):
            return {"status": "Error: Invalid survey ID"}
        properties = self._properties()
        if not names:
            return properties
        picked = {n: properties[n] for n in names if n in properties}
        return picked or {"status": "No valid Data"}

    def _rpc_get_language_properties(
        self, _key: Any = None, sid: Any = None, names: Any = None, language: Any = None, *_: Any
    ) -> Any:
        if not self._is_ours(sid):
            return {"status": "Error: Invalid survey ID"}
        lang = language or self.instrument.default_language
        if lang not in self.instrument.languages:
            return {"status": "Error: No valid language"}
        description = self.instrument.description
        properties = {
            "surveyls_title": self.instrument.title[lang],
            "surveyls_description": description[lang] if description else "",
            "surveyls_language": lang,
        }
        if not names:
            return properties
        return {n: properties[n] for n in names if n in properties} or {"status": "No valid Data"}

    def _rpc_get_summary(
        self, _key: Any = None, sid: Any = None, stat: Any = "all", *_: Any
    ) -> Any:
        if not self._is_ours(sid):
            return {"status": "Invalid surveyid"}
        if not self.active:
            return []
        complete = sum(1 for _ in self._ids_between(1, self.last_id, "complete"))
        incomplete = sum(1 for _ in self._ids_between(1, self.last_id, "incomplete"))
        summary = {
            "completed_responses": complete,
            "incomplete_responses": incomplete,
            "full_responses": complete + incomplete,
        }
        if stat in (None, "all"):
            return summary
        return summary.get(str(stat), {"status": "Invalid summary key"})

    def _rpc_export_responses(
        self,
        _key: Any = None,
        sid: Any = None,
        document_type: Any = "json",
        language: Any = None,
        status: Any = "all",
        heading: Any = "code",
        response_type: Any = "short",
        low: Any = None,
        high: Any = None,
        fields: Any = None,
        *_: Any,
    ) -> Any:
        if not self._is_ours(sid):
            return {"status": "No permission"}
        if not self.active:
            return {"status": "No Data, survey table does not exist."}
        if len(self) == 0:
            return {"status": "No Data, could not get max id."}
        if language and language not in self.instrument.languages:
            return {"status": "Language code not found for this survey."}
        if document_type != "json" or heading not in (None, "code") or response_type != "short":
            return {"status": "The fake LimeSurvey only exports json with code headings"}
        status = status if status in {"complete", "incomplete", "all"} else "all"
        low_id = int(low) if low not in (None, "") else None
        high_id = int(high) if high not in (None, "") else None
        picked = tuple(str(f) for f in fields) if isinstance(fields, list) and fields else None
        with self._lock:
            self.exports.append((status, low_id, high_id, picked))
        document = self.export_document(status, low_id, high_id, picked)
        if self.latency or self.row_cost:
            rows = document.count(b'{"id":')
            time.sleep(self.latency + self.row_cost * rows)
        return _Export(document)

    # -- as a transport or a server --------------------------------------------------------

    def handler(self, request: httpx.Request) -> httpx.Response:
        """An ``httpx.MockTransport`` handler."""
        if request.url.path != ENDPOINT or request.method != "POST":
            return httpx.Response(404, text="<html><title>404 Not Found</title></html>")
        status, headers, body = self.respond(request.read())
        return httpx.Response(status, headers=headers, content=body)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def profile(
        self,
        name: str = "ls",
        *,
        url: str = "http://limesurvey.fake",
        options: Mapping[str, Any] | None = None,
    ) -> Profile:
        """A profile with the fake's account (and its password as the secret)."""
        return Profile(
            name=name,
            platform="limesurvey",
            url=url,
            user=self.user,
            options=dict(options or {}),
        ).with_secret(self.password)

    def deployment(
        self,
        profile: str = "ls",
        *,
        round: str = "2026-H1",  # noqa: A002
        subject: str | None = None,
        url: str = "http://limesurvey.fake",
    ) -> Deployment:
        """The deployment a push of this survey would have recorded."""
        return Deployment(
            platform="limesurvey",
            profile=profile,
            remote_id=str(self.sid),
            instrument=self.instrument.id,
            instrument_version=self.instrument.version,
            round=round,
            subject=subject,
            url=f"{url.rstrip('/')}/index.php/{self.sid}",
            created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            details={"survey_id": self.sid, "languages": self.instrument.languages},
        )

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[FakeServer]:
        """Serve over HTTP on ``host`` (an ephemeral port unless given) until the block ends."""
        server = FakeServer(self, host, port)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@dataclass(frozen=True)
class _Export:
    document: bytes


class FakeServer:
    """A :class:`FakeLimeSurvey` on a real socket (``http.server.ThreadingHTTPServer``)."""

    def __init__(self, fake: FakeLimeSurvey, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(fake))
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def profile(self, name: str = "ls", **kwargs: Any) -> Profile:
        return self.fake.profile(name, url=self.url, **kwargs)

    def deployment(self, profile: str = "ls", **kwargs: Any) -> Deployment:
        return self.fake.deployment(profile, url=self.url, **kwargs)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)


def _handler_for(fake: FakeLimeSurvey) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "Apache"
        sys_version = ""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path.split("?", 1)[0] != ENDPOINT:
                self._send(404, {"content-type": "text/html"}, b"<html>Not Found</html>")
                return
            self._send(*fake.respond(body))

        def do_GET(self) -> None:
            self._send(404, {"content-type": "text/html"}, b"<html>Not Found</html>")

        def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            del format, args

    return Handler


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a fake LimeSurvey until interrupted; print its URL first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000, help="responses (default 1000)")
    parser.add_argument("--instrument", default="checklist", help="a built-in instrument id")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sid", type=int, default=DEFAULT_SID)
    parser.add_argument("--incomplete-every", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per export")
    parser.add_argument("--row-cost", type=float, default=0.0, help="seconds per row exported")
    args = parser.parse_args(argv)
    fake = FakeLimeSurvey(
        args.count,
        instrument=builtin_instrument(args.instrument),
        seed=args.seed,
        sid=args.sid,
        incomplete_every=args.incomplete_every,
        latency=args.latency,
        row_cost=args.row_cost,
    )
    with fake.serve(port=args.port) as server:
        print(server.url, flush=True)  # noqa: T201 - the URL is this command's output
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()


__all__ = [
    "DEFAULT_SID",
    "FAKE_PASSWORD",
    "FAKE_USER",
    "Column",
    "FakeLimeSurvey",
    "FakeServer",
    "headings",
    "php_json",
    "server_error_page",
    "survey_columns",
]
