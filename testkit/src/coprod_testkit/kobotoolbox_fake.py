"""A fake KoboToolbox KPI for tests and benchmarks, in the shapes a real KPI sends.

:class:`FakeKpi` holds one deployed asset with ``count`` submissions of an
instrument (a built-in by default), generated deterministically from a seed,
and answers the parts of the KPI v2 API a pull uses, in the JSON shapes
recorded against a real KPI (2.026.30a, the round-trip cassettes):

- ``GET /api/v2/assets/<uid>/data/``: ``{"count", "next", "previous", "results"}``,
  honouring ``limit`` (capped like KPI's ``SUBMISSION_LIST_LIMIT``), ``start``
  (the offset ``next`` links use), ``sort``, ``query`` (Mongo-style:
  ``{"_id": {"$gt": N}}`` and friends) and ``fields``; ``next``/``previous`` are
  built the way Django REST framework builds them (parameters sorted, absolute);
- each submission as KPI writes it: ``_id``, ``formhub/uuid``, answers under
  their group paths (``about/role``, ``statements/diversity/d1``), repeats as
  lists of objects keyed by full paths, ``__version__``, ``meta/instanceID``,
  ``meta/rootUuid`` (``meta/deprecatedID`` after an edit), ``_uuid``,
  ``_attachments``, ``_status``, ``_geolocation``, ``_submission_time``,
  ``_validation_status``, ``_submitted_by``;
- ``GET /api/v2/assets/<uid>/``, ``GET /api/v2/assets/``, ``GET /me/``, a
  submission by id, its attachments, ``DELETE`` of a submission and ``PATCH`` of
  its validation status; ``401 {"detail": "Invalid token."}`` for a wrong token.

Use it as an ``httpx.MockTransport`` (:meth:`FakeKpi.transport`) or as a real
HTTP server on 127.0.0.1 (:meth:`FakeKpi.serve`, a context manager). Change it
the way people change a real server: :meth:`add`, :meth:`edit` (a KoboCollect
edit: same ``_id``, new instance id), :meth:`delete`,
:meth:`set_validation_status`, :meth:`redeploy` (a new form version).

Submissions are not kept in memory: each is made from one of a few dozen
answer sets (from the core's one generator, :func:`coprod_connectors.synthetic.random_answers`,
seeded) and its ``_id`` when asked for, so serving 100,000 costs no more
memory than serving 100. ``python -m coprod_testkit.kobotoolbox_fake --count 10000``
serves one until interrupted. Free texts come from a few sentences, so many
submissions share one; with ``unique_texts`` (``--unique-texts``) each ends with
its submission's ``_id`` and a number of its own, as people's words differ.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from coprod_connectors import (
    Deployment,
    Instrument,
    Profile,
    Question,
    QuestionKind,
    build_xlsform,
    builtin_instrument,
    is_generated_name,
)
from coprod_connectors.synthetic import random_answers
from coprod_kobotoolbox.render import kpi_content
from coprod_testkit.texts import own_words

#: The token the fake accepts unless told otherwise (not a secret: a test value).
FAKE_TOKEN = "fake-kpi-token-not-a-secret"  # noqa: S105
OWNER = "admin"
#: KPI's default cap on ``limit`` for submissions (``SUBMISSION_LIST_LIMIT`` on hosted servers).
PAGE_CAP = 1000
VALIDATION_LABELS = {
    "validation_status_approved": "Approved",
    "validation_status_not_approved": "Not Approved",
    "validation_status_on_hold": "On Hold",
}

JSONValue = Any
Reply = tuple[int, dict[str, str], bytes]

_ID = "\x00INT_ID\x00"
_UUID = "\x00UUID\x00"
_TIME = "\x00TIME\x00"
_VERSION = "\x00VERSION\x00"
_ROOT = "\x00ROOT\x00"
#: The ROOT marker as it stands in JSON text, to fill a template and keep the hole.
_ROOT_HOLE = "\\u0000ROOT\\u0000"
#: After ``json.dumps``, a marker is ``\u0000NAME\u0000``; an ``INT_`` one fills a whole value.
_TOKEN = re.compile(r'"\\u0000(INT_\w+)\\u0000"|\\u0000(\w+)\\u0000')
_DATA = re.compile(r"^/api/v2/assets/(?P<uid>[^/]+)/data(?:/(?P<rest>.*))?$")
#: When the first submission arrived (KPI writes ``_submission_time`` in UTC, without a zone).
_BASE_TIME = datetime(2026, 11, 2, 8, 30)  # noqa: DTZ001
_VALIDATION_TIME = 1795464311


def _dumps(value: JSONValue) -> str:
    """JSON as Django REST framework renders it: compact, UTF-8 (not ``\\u`` escapes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Template:
    """A submission's JSON (UTF-8) with holes for the values that differ between submissions.

    Filled with ``bytes % values``: the fastest way Python has to stamp out text.
    """

    def __init__(self, text: str) -> None:
        pieces: list[str] = []
        position = 0
        for match in _TOKEN.finditer(text):
            pieces.append(text[position : match.start()].replace("%", "%%"))
            pieces.append(f"%({match.group(1) or match.group(2)})s")
            position = match.end()
        pieces.append(text[position:].replace("%", "%%"))
        self._format = "".join(pieces).encode("utf-8")

    def fill(self, values: Mapping[bytes, bytes]) -> bytes:
        return self._format % values


@dataclass(frozen=True)
class _Slot:
    """Where one question's answer goes in a submission: its XML path and the question."""

    path: str
    code: str
    question: Question
    inner: tuple[_Slot, ...] = ()


def _slots(instrument: Instrument) -> tuple[_Slot, ...]:
    """The answer slots in form order, from the XLSForm rows the connector deploys."""
    form = build_xlsform(instrument)
    stack: list[str] = []
    top: list[_Slot] = []
    repeats: list[tuple[str, str, list[_Slot]]] = []
    for row in form.survey:
        kind = row["type"]
        name = row.get("name", "")
        if kind == "begin_group":
            stack.append(name)
        elif kind == "begin_repeat":
            stack.append(name)
            repeats.append(("/".join(stack), name, []))
        elif kind == "end_group":
            stack.pop()
        elif kind == "end_repeat":
            stack.pop()
            path, code, inner = repeats.pop()
            slot = _Slot(path, code, instrument.question(code), tuple(inner))
            (repeats[-1][2] if repeats else top).append(slot)
        elif kind != "note" and not kind.startswith("calculate") and not is_generated_name(name):
            path = "/".join([*stack, name])
            slot = _Slot(path, name, instrument.question(name))
            (repeats[-1][2] if repeats else top).append(slot)
    return tuple(top)


def _mix(*parts: object) -> int:
    """A stable 64-bit number from the parts (the same on every run and machine)."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _uid(prefix: str, *parts: object) -> str:
    """A KPI-style uid (``a`` + 21 characters for an asset, ``v`` + 21 for a version)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    digest = hashlib.blake2b("/".join(map(str, (prefix, *parts))).encode()).digest()
    return prefix + "".join(alphabet[b % len(alphabet)] for b in digest[:21])


class FakeKpi:
    """One KPI server holding one deployed asset and its submissions (see the module doc)."""

    def __init__(
        self,
        count: int = 0,
        *,
        instrument: Instrument | str = "self-reflection",
        seed: int = 0,
        token: str = FAKE_TOKEN,
        uid: str | None = None,
        first_id: int = 1,
        page_cap: int = PAGE_CAP,
        variants: int = 64,
        base_url: str = "https://kf.kobotoolbox.org",
        latency: float = 0.0,
        unique_texts: bool = False,
    ) -> None:
        if isinstance(instrument, str):
            instrument = builtin_instrument(instrument)
        self.instrument = instrument
        self.seed = seed
        self.token = token
        self.uid = uid or _uid("a", "asset", instrument.id, seed)
        self.page_cap = page_cap
        #: Seconds each data page takes before it is sent (a real KPI's query time, roughly).
        self.latency = latency
        self.variants = max(1, variants)
        #: Every free text ends with its submission's ``_id`` and a number (``--unique-texts``).
        self.unique_texts = unique_texts
        self.base_url = base_url.rstrip("/")
        self.formhub_uuid = uuid.UUID(int=_mix("formhub", self.uid) << 64 | _mix(self.uid)).hex
        self._salt = _mix("variants", self.uid) % 1_000_003
        prefix = f"{_mix('uuid', self.uid):016x}"
        self._uuid_prefix = f"{prefix[:8]}-{prefix[8:12]}-4{prefix[13:16]}-a{seed % 4096:03x}-"
        self.first_id = first_id
        self.count = max(0, count)
        self.slots = _slots(instrument)
        #: KPI version uids in deployment order, and the first ``_id`` submitted on each.
        self._version_starts: list[int] = [first_id]
        self._version_ids: list[str] = [_uid("v", "version", self.uid, 0)]
        #: Which instrument version each KPI version uid runs (None: not deployed by coprod).
        self.version_map: dict[str, str | None] = {self._version_ids[0]: instrument.version}
        self._templates: dict[int, _Template] = {}
        self._overrides: dict[int, _Template] = {}
        self._deleted: set[int] = set()
        self._edits: dict[int, int] = {}
        self._lock = threading.RLock()
        #: Every request served, as ``"METHOD /path?query"`` (tests count them).
        self.log: list[str] = []

    # -- what is stored ---------------------------------------------------------------

    @property
    def last_id(self) -> int:
        return self.first_id + self.count - 1

    @property
    def deployed_version(self) -> str:
        return self._version_ids[-1]

    def ids(self) -> list[int]:
        """The ``_id`` of every submission the server has, ascending."""
        return [n for n in range(self.first_id, self.last_id + 1) if n not in self._deleted]

    def __len__(self) -> int:
        return self.count - len(self._deleted)

    def version_of(self, n: int) -> str:
        """The KPI version uid submission ``n`` was made on."""
        return self._version_ids[bisect.bisect_right(self._version_starts, n) - 1]

    def submission(self, n: int, *, root: str | None = None) -> dict[str, Any]:
        """Submission ``n`` as the API returns it (KeyError if there is none)."""
        value: dict[str, Any] = json.loads(self.encoded(n, root=root or self.base_url))
        return value

    def encoded(self, n: int, *, root: str) -> bytes:
        """Submission ``n`` as JSON (UTF-8), attachment URLs under ``root``."""
        if n in self._deleted or not self.first_id <= n <= self.last_id:
            raise KeyError(n)
        template = self._overrides.get(n)
        if template is None:
            template = self._template(((n * 2654435761 + self._salt) >> 5) % self.variants)
        when = _BASE_TIME + timedelta(seconds=97 * (n - self.first_id))
        return template.fill(
            {
                b"INT_ID": b"%d" % n,
                b"UUID": self._uuid(n).encode(),
                b"TIME": when.isoformat().encode(),
                b"VERSION": self.version_of(n).encode(),
                b"ROOT": root.encode(),
            }
        )

    def _uuid(self, n: int) -> str:
        """A version-4-shaped uuid, different for every submission of every fake."""
        return f"{self._uuid_prefix}{n:012x}"

    # -- changing it ------------------------------------------------------------------

    def add(self, count: int = 1) -> list[int]:
        """New submissions on the deployed form version; their ``_id`` values."""
        with self._lock:
            first = self.last_id + 1
            self.count += count
            return list(range(first, first + count))

    def delete(self, n: int) -> None:
        with self._lock:
            if n in self._deleted or not self.first_id <= n <= self.last_id:
                raise KeyError(n)
            self._deleted.add(n)

    def edit(self, n: int, **answers: Any) -> dict[str, Any]:
        """Edit submission ``n`` as KoboCollect or Enketo does: same ``_id`` and root uuid,
        a new instance id, ``meta/deprecatedID`` pointing at the old one.

        ``answers`` are keyed by instrument codes (``role="nosay"``); None removes one.
        """
        with self._lock:
            old = self._raw(n)
            paths = {slot.code: slot.path for slot in self.slots}
            changed: dict[str, Any] = {}
            for key, value in old.items():
                changed[key] = value
                if key == "meta/instanceID":
                    changed["meta/deprecatedID"] = value
            for code, value in answers.items():
                path = paths.get(code, code)
                if value is None:
                    changed.pop(path, None)
                else:
                    changed[path] = value
            self._edits[n] = self._edits.get(n, 0) + 1
            new_uuid = str(
                uuid.UUID(int=(_mix("edit", self.uid, n) << 64) | self._edits[n], version=4)
            )
            changed["meta/instanceID"] = f"uuid:{new_uuid}"
            changed["_uuid"] = new_uuid
            self._overrides[n] = _Template(_dumps(changed))
            return self.submission(n)

    def set_validation_status(self, n: int, status: str | None) -> dict[str, Any]:
        """A reviewer's status: ``validation_status_approved``, ``..._not_approved``,
        ``..._on_hold``, or None to clear it."""
        with self._lock:
            raw = self._raw(n)
            value: dict[str, Any] = {}
            if status is not None:
                value = {
                    "timestamp": _VALIDATION_TIME,
                    "uid": status,
                    "by_whom": OWNER,
                    "label": VALIDATION_LABELS.get(status, status),
                }
            raw["_validation_status"] = value
            self._overrides[n] = _Template(_dumps(raw))
            return value

    def replace(self, n: int, submission: Mapping[str, Any]) -> None:
        """Serve ``submission`` (any JSON object) as submission ``n``: for bad-reply tests."""
        with self._lock:
            if not self.first_id <= n <= self.last_id:
                raise KeyError(n)
            self._deleted.discard(n)
            self._overrides[n] = _Template(_dumps(dict(submission)))

    def redeploy(self, instrument_version: str | None = None) -> str:
        """Deploy a new form version; submissions added from now on carry its uid.

        ``instrument_version`` is what :meth:`deployment` maps it to; None leaves it
        out, like a form edited by hand on KoboToolbox.
        """
        with self._lock:
            version = _uid("v", "version", self.uid, len(self._version_ids))
            self._version_starts.append(self.last_id + 1)
            self._version_ids.append(version)
            self.version_map[version] = instrument_version
            return version

    def _raw(self, n: int) -> dict[str, Any]:
        """Submission ``n`` with the attachment URLs' server left as a marker."""
        value: dict[str, Any] = json.loads(self.encoded(n, root=_ROOT_HOLE))
        return value

    # -- generating -------------------------------------------------------------------

    def _template(self, variant: int) -> _Template:
        found = self._templates.get(variant)
        if found is None:
            found = _Template(_dumps(self._generate(variant)))
            self._templates[variant] = found
        return found

    def _generate(self, variant: int) -> dict[str, Any]:
        answers = random_answers(
            self.instrument, f"{self.seed}/{self.instrument.id}/{variant}", blank=0.08
        )
        if self.unique_texts:  # " #<_id>.<k>": the hole is filled as the submission is served
            answers = own_words(answers, f"#{_ID}", itertools.count())
        attachments: list[dict[str, Any]] = []
        record: dict[str, Any] = {"_id": _ID, "formhub/uuid": self.formhub_uuid}
        for slot in self.slots:
            value = answers.get(slot.code)
            if slot.question.kind is QuestionKind.REPEAT:
                items = []
                for row in value or ():
                    item = {
                        inner.path: self._wire(inner, row[inner.code], attachments)
                        for inner in slot.inner
                        if inner.code in row
                    }
                    if item:
                        items.append(item)
                if items:
                    record[slot.path] = items
            elif value is not None:
                record[slot.path] = self._wire(slot, value, attachments)
        record.update(
            {
                "__version__": _VERSION,
                "meta/instanceID": f"uuid:{_UUID}",
                "_xform_id_string": self.uid,
                "_uuid": _UUID,
                "meta/rootUuid": f"uuid:{_UUID}",
                "_attachments": attachments,
                "_status": "submitted_via_web",
                "_geolocation": [None, None],
                "_submission_time": _TIME,
                "_validation_status": {},
                "_submitted_by": OWNER,
            }
        )
        return record

    def _wire(self, slot: _Slot, value: Any, attachments: list[dict[str, Any]]) -> str:
        """An answer as KPI stores it: text; a multiple choice's codes joined by spaces."""
        kind = slot.question.kind
        if kind is QuestionKind.MULTIPLE_CHOICE:
            return " ".join(value)
        if kind in {QuestionKind.AUDIO, QuestionKind.IMAGE}:
            audio = kind is QuestionKind.AUDIO
            attachments.append(self._attachment(slot.path, value, len(attachments), audio=audio))
        return str(value)

    def _attachment(self, xpath: str, name: str, index: int, *, audio: bool) -> dict[str, Any]:
        uid = f"att{_ID}x{index}"
        url = f"{_ROOT}/api/v2/assets/{self.uid}/data/{_ID}/attachments/{uid}/"
        found: dict[str, Any] = {
            "download_url": url,
            "mimetype": "audio/mp4" if audio else "image/jpeg",
            "filename": f"{OWNER}/attachments/{self.formhub_uuid}/{_UUID}/{name}",
            "media_file_basename": name,
            "uid": uid,
            "is_deleted": False,
        }
        if not audio:
            for size in ("large", "medium", "small"):
                found[f"download_{size}_url"] = f"{url}{size}/"
        found["question_xpath"] = xpath
        return found

    # -- what the API says ------------------------------------------------------------

    def asset(self, root: str | None = None) -> dict[str, Any]:
        """The asset detail (``GET /api/v2/assets/<uid>/``), in KPI's shape."""
        root = root or self.base_url
        url = f"{root}/api/v2/assets/{self.uid}/"
        name = self.instrument.title[self.instrument.default_language]
        versions = [
            {
                "uid": version,
                "url": f"{url}versions/{version}/",
                "content_hash": hashlib.sha1(version.encode()).hexdigest(),  # noqa: S324
                "date_deployed": "2026-11-01T09:00:00.000000Z",
                "date_modified": "2026-11-01T09:00:00.000000Z",
            }
            for version in reversed(self._version_ids)
        ]
        return {
            "url": url,
            "owner": f"{root}/api/v2/users/{OWNER}/",
            "owner__username": OWNER,
            "parent": None,
            "settings": {"sector": {}, "country": [], "description": "", "organization": ""},
            "asset_type": "survey",
            "date_created": "2026-11-01T08:59:58.000000Z",
            "date_modified": "2026-11-01T09:00:00.000000Z",
            "date_deployed": "2026-11-01T09:00:00.000000Z",
            "version_id": self.deployed_version,
            "version__content_hash": versions[0]["content_hash"],
            "version_count": len(versions),
            "has_deployment": True,
            "deployed_version_id": self.deployed_version,
            "deployed_versions": {
                "count": len(versions),
                "next": None,
                "previous": None,
                "results": versions,
            },
            "deployment__links": {},
            "deployment__active": True,
            "deployment__data_download_links": {
                kind: f"{root}/api/v2/assets/{self.uid}/export-settings/{kind}/"
                for kind in ("csv", "xls", "geojson", "spss_labels")
            },
            "deployment__submission_count": len(self),
            "deployment__last_submission_time": None,
            "deployment__encrypted": False,
            "deployment__uuid": self.formhub_uuid,
            "deployment_status": "deployed",
            "content": kpi_content(build_xlsform(self.instrument)),
            "name": name,
            "uid": self.uid,
            "kind": "asset",
            "xls_link": f"{url}xls/",
            "xform_link": f"{url}xform/",
            "data": f"{url}data/",
            "status": "private",
        }

    def deployment(
        self,
        profile: str = "kpi",
        *,
        round: str = "2026-H2",  # noqa: A002
        subject: str | None = None,
        url: str | None = None,
    ) -> Deployment:
        """The deployment a push of this asset would have recorded."""
        base = (url or self.base_url).rstrip("/")
        versions = {k: v for k, v in self.version_map.items() if v is not None}
        return Deployment(
            platform="kobotoolbox",
            profile=profile,
            remote_id=self.uid,
            instrument=self.instrument.id,
            instrument_version=self.version_map[self.deployed_version] or self.instrument.version,
            round=round,
            subject=subject,
            url=f"{base}/#/forms/{self.uid}/summary",
            created_at=datetime(2026, 11, 1, 9, tzinfo=timezone.utc),
            details={
                "server": base,
                "asset_uid": self.uid,
                "asset_url": f"{base}/api/v2/assets/{self.uid}/",
                "form_page": f"{base}/#/forms/{self.uid}/summary",
                "owner": OWNER,
                "xform_id_string": self.uid,
                "deployed_version_id": self.deployed_version,
                "versions": versions,
                "links": {},
                "collect_server_url": base,
                "collect_owner_url": f"{base}/{OWNER}",
                "shared_with": [],
            },
        )

    def profile(self, name: str = "kpi", *, url: str | None = None) -> Profile:
        """A profile for this server with the token it accepts."""
        return Profile(name=name, platform="kobotoolbox", url=url or self.base_url).with_secret(
            self.token
        )

    # -- HTTP -------------------------------------------------------------------------

    def respond(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, root: str
    ) -> Reply:
        """Answer one request: ``target`` is the path and query, ``root`` the server's URL."""
        with self._lock:
            self.log.append(f"{method} {target}")
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization")
        if not auth:
            return _json(401, {"detail": "Authentication credentials were not provided."})
        if auth != f"Token {self.token}":
            return _json(401, {"detail": "Invalid token."})
        parts = urlsplit(target)
        path = parts.path
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path == "/me/":
            return _json(200, {"username": OWNER, "email": f"{OWNER}@example.com"})
        if path == "/api/v2/assets/":
            return self._assets(method, root, target, params)
        if path == f"/api/v2/assets/{self.uid}/":
            if method != "GET":
                return _not_allowed(method)
            return _json(200, self.asset(root))
        found = _DATA.match(path)
        if found is None or found["uid"] != self.uid:
            return _json(404, {"detail": "Not found."})
        rest = (found["rest"] or "").strip("/")
        if not rest:
            if method != "GET":
                return _not_allowed(method)
            return self._data(root, target, params)
        return self._one(method, rest, body, root)

    def _assets(self, method: str, root: str, target: str, params: dict[str, str]) -> Reply:
        if method != "GET":
            return _not_allowed(method)
        item = {
            k: v
            for k, v in self.asset(root).items()
            if k not in {"content", "deployed_versions", "deployment__data_download_links"}
        }
        limit, error = _limit(params.get("limit"), 100, 100)
        if error is not None:
            return error
        start = _offset(params.get("start"))
        results = [item][start : start + limit]
        return _json(200, _paginated(f"{root}{target}", 1, start, limit, results))

    def _one(self, method: str, rest: str, body: bytes, root: str) -> Reply:
        pieces = rest.split("/")
        try:
            n = int(pieces[0])
        except ValueError:
            return _json(404, {"detail": "Not found."})
        with self._lock:
            try:
                text = self.encoded(n, root=root)
            except KeyError:
                return _json(404, {"detail": "Not found."})
            if len(pieces) == 1:
                if method == "GET":
                    return 200, {"content-type": "application/json"}, text
                if method == "DELETE":
                    self.delete(n)
                    return 204, {}, b""
                return _not_allowed(method)
            if pieces[1] == "validation_status" and len(pieces) == 2:
                if method == "GET":
                    return _json(200, json.loads(text)["_validation_status"])
                if method == "PATCH":
                    try:
                        status = json.loads(body or b"{}").get("validation_status.uid")
                    except (ValueError, AttributeError):
                        status = None
                    if status not in VALIDATION_LABELS:
                        return _json(400, {"detail": "Invalid validation status"})
                    return _json(200, self.set_validation_status(n, status))
                if method == "DELETE":
                    self.set_validation_status(n, None)
                    return 204, {}, b""
                return _not_allowed(method)
            if pieces[1] == "attachments" and len(pieces) >= 3 and method == "GET":
                for attachment in json.loads(text)["_attachments"]:
                    if attachment["uid"] == pieces[2]:
                        content = f"fake {attachment['media_file_basename']}".encode()
                        return 200, {"content-type": attachment["mimetype"]}, content
        return _json(404, {"detail": "Not found."})

    def _data(self, root: str, target: str, params: dict[str, str]) -> Reply:
        limit, error = _limit(params.get("limit"), self.page_cap, self.page_cap)
        if error is not None:
            return error
        start = _offset(params.get("start"))
        parsed: dict[str, Any] = {}
        for name in ("query", "sort", "fields"):
            if name in params:
                try:
                    parsed[name] = json.loads(params[name])
                except ValueError:
                    return _json(400, {name: "Value must be valid JSON."})
        query = parsed.get("query") or {}
        sort = parsed.get("sort") or {}
        fields = parsed.get("fields")
        if not isinstance(query, dict) or not isinstance(sort, dict):
            return _json(400, {"detail": "Unsupported query"})
        if fields is not None and not (
            isinstance(fields, list) and all(isinstance(f, str) for f in fields)
        ):
            return _json(400, {"fields": "Value must be a list of field names."})
        with self._lock:
            fast = self._by_id_range(query, sort)
            if fast is not None and fields is None:
                count = len(fast)
                texts = [self.encoded(n, root=root) for n in fast[start : start + limit]]
            else:
                rows = self._matching(query, sort, root)
                count = len(rows)
                page = rows[start : start + limit]
                if fields is not None:
                    page = [_project(row, fields) for row in page]
                texts = [_dumps(row).encode() for row in page]
        if self.latency:
            time.sleep(self.latency)
        envelope = _paginated(f"{root}{target}", count, start, limit, [])
        head = _dumps({k: v for k, v in envelope.items() if k != "results"})
        body = b"".join([head[:-1].encode(), b',"results":[', b",".join(texts), b"]}"])
        return 200, {"content-type": "application/json"}, body

    def _by_id_range(
        self, query: Mapping[str, Any], sort: Mapping[str, Any]
    ) -> Sequence[int] | None:
        """The ids matching an ``_id``-only query, in order, without building submissions."""
        if set(query) - {"_id"} or set(sort) - {"_id"}:
            return None
        low, high = self.first_id, self.last_id
        condition = query.get("_id")
        if condition is not None:
            if _is_int(condition):
                low, high = max(low, condition), min(high, condition)
            elif (
                isinstance(condition, dict)
                and condition
                and all(
                    op in {"$gt", "$gte", "$lt", "$lte"} and _is_int(v)
                    for op, v in condition.items()
                )
            ):
                for op, value in condition.items():
                    if op == "$gt":
                        low = max(low, value + 1)
                    elif op == "$gte":
                        low = max(low, value)
                    elif op == "$lt":
                        high = min(high, value - 1)
                    else:
                        high = min(high, value)
            else:
                return None
        ids: Sequence[int] = range(low, high + 1) if low <= high else range(0)
        if self._deleted:
            ids = [n for n in ids if n not in self._deleted]
        if sort.get("_id", 1) == -1:
            ids = ids[::-1]
        return ids

    def _matching(
        self, query: Mapping[str, Any], sort: Mapping[str, Any], root: str
    ) -> list[dict[str, Any]]:
        rows = [self.submission(n, root=root) for n in self.ids()]
        rows = [row for row in rows if _matches(row, query)]
        for key, direction in reversed(list(sort.items())):
            rows.sort(key=_sorting_by(key), reverse=direction == -1)
        return rows

    def handler(self, request: httpx.Request) -> httpx.Response:
        """An ``httpx.MockTransport`` handler."""
        url = request.url
        target = url.raw_path.decode("ascii")
        root = f"{url.scheme}://{url.netloc.decode('ascii')}"
        status, headers, content = self.respond(
            request.method, target, dict(request.headers), request.read(), root
        )
        return httpx.Response(status, headers=headers, content=content, request=request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[FakeKpiServer]:
        """Serve over real HTTP on ``host`` (an ephemeral port by default) until the block ends."""
        server = FakeKpiServer(self, host, port)
        server.start()
        try:
            yield server
        finally:
            server.stop()


class FakeKpiServer:
    """A :class:`FakeKpi` behind a real HTTP server (``http.server``, one thread a request)."""

    def __init__(self, fake: FakeKpi, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(fake))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def profile(self, name: str = "kpi") -> Profile:
        return self.fake.profile(name, url=self.url)

    def deployment(self, profile: str = "kpi", **kwargs: Any) -> Deployment:
        return self.fake.deployment(profile, url=self.url, **kwargs)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _handler_for(fake: FakeKpi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "gunicorn"
        sys_version = ""

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            host = self.headers.get("host") or "127.0.0.1"
            status, headers, content = fake.respond(
                self.command, self.path, dict(self.headers.items()), body, f"http://{host}"
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PATCH(self) -> None:
            self._answer()

        def do_DELETE(self) -> None:
            self._answer()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            del format, args

    return Handler


# --- helpers ---------------------------------------------------------------------------


def _json(status: int, value: JSONValue) -> Reply:
    return status, {"content-type": "application/json"}, _dumps(value).encode()


def _not_allowed(method: str) -> Reply:
    return _json(405, {"detail": f'Method "{method}" not allowed.'})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _limit(value: str | None, default: int, cap: int) -> tuple[int, Reply | None]:
    """KPI's ``limit``: a positive integer, silently capped; anything else is a 400."""
    if value is None:
        return default, None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        return 0, _json(400, {"limit": "A positive integer is required"})
    return min(number, cap), None


def _offset(value: str | None) -> int:
    """Django REST framework's offset: a bad one is 0."""
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _replace(url: str, key: str, value: int | None) -> str:
    """``replace_query_param``/``remove_query_param`` of Django REST framework."""
    scheme, netloc, path, query, _ = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    if value is None:
        params.pop(key, None)
    else:
        params[key] = [str(value)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), ""))


def _paginated(url: str, count: int, start: int, limit: int, results: list[Any]) -> dict[str, Any]:
    following = None
    if start + limit < count:
        following = _replace(_replace(url, "limit", limit), "start", start + limit)
    previous = None
    if start > 0:
        base = _replace(url, "limit", limit)
        previous = (
            _replace(base, "start", None)
            if start - limit <= 0
            else _replace(base, "start", start - limit)
        )
    return {"count": count, "next": following, "previous": previous, "results": results}


def _project(row: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """What KPI returns for ``fields``: those, plus the ids it always adds (as recorded)."""
    wanted = [f for f in fields if f not in {"_id", "_validation_status"}]
    out: dict[str, Any] = {}
    for key in ("_uuid", "meta/rootUuid", *wanted, "_id", "_validation_status"):
        if key in row and key not in out:
            value = row[key]
            if key == "_attachments" and isinstance(value, list):
                value = [{**a, "question_xpath": ""} for a in value]
            out[key] = value
    return out


_Test = Callable[[Any, Any], bool]
_OPERATORS: dict[str, _Test] = {
    "$gt": lambda a, b: a is not None and _comparable(a, b) and a > b,
    "$gte": lambda a, b: a is not None and _comparable(a, b) and a >= b,
    "$lt": lambda a, b: a is not None and _comparable(a, b) and a < b,
    "$lte": lambda a, b: a is not None and _comparable(a, b) and a <= b,
    "$ne": lambda a, b: a != b,
    "$in": lambda a, b: a in b,
    "$nin": lambda a, b: a not in b,
    "$exists": lambda a, b: (a is not None) == bool(b),
}


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or type(a) is type(b)


def _matches(row: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    """A small Mongo query matcher: equality, comparisons, ``$in``, ``$and``/``$or``."""
    for key, condition in query.items():
        if key == "$and":
            if not all(_matches(row, q) for q in condition):
                return False
            continue
        if key == "$or":
            if not any(_matches(row, q) for q in condition):
                return False
            continue
        value = row.get(key)
        if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
            for op, operand in condition.items():
                test = _OPERATORS.get(op)
                if test is None or not test(value, operand):
                    return False
        elif value != condition:
            return False
    return True


def _sorting_by(key: str) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    def sort_key(row: Mapping[str, Any]) -> tuple[int, Any]:
        return _sort_key(row.get(key))

    return sort_key


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a fake KPI until interrupted (for trying a client or a benchmark by hand)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--instrument", default="self-reflection")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per data page")
    parser.add_argument(
        "--unique-texts", action="store_true", help="no two submissions share a free text"
    )
    args = parser.parse_args(argv)
    fake = FakeKpi(
        args.count,
        instrument=args.instrument,
        seed=args.seed,
        latency=args.latency,
        unique_texts=args.unique_texts,
    )
    with fake.serve(port=args.port) as server:
        print(f"fake KPI at {server.url}, asset {fake.uid}, token {fake.token}", flush=True)  # noqa: T201
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()


__all__ = ["FAKE_TOKEN", "PAGE_CAP", "FakeKpi", "FakeKpiServer"]
