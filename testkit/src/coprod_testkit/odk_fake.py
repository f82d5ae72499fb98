"""A fake ODK Central for the ODK connector's benchmark and tests: the OData feed only.

It answers what a pull asks, in the shapes recorded against a real Central
v2024.2 (``connectors/odk/tests/cassettes``): ``POST /v1/sessions``, ``DELETE
/v1/sessions/current`` and ``GET /v1/projects/<id>/forms/<form>.svc/Submissions``
with ``$filter`` (the ``__system/submissionDate`` and ``__system/updatedAt``
clauses the connector writes, joined by ``and``/``or`` with one level of
parentheses), ``$orderby=__system/submissionDate asc``, ``$top``, ``$skip``,
``$expand=*`` and ``$select``. A row is a group object per section, a grid a
group inside it, a repeat a list of objects each with its ``__id``, a
select-multiple answer its codes joined by spaces, every choice code a string,
``__system`` as Central writes it. Submissions are one second apart, none edited.
Their free texts come from a few sentences, so many submissions share the same
text; with ``unique_texts`` (``--unique-texts``) each text ends with its
submission's number and its own, as people's own words differ (a decoder that keeps the
strings it has already made is not flattered).

:func:`matches` (the filter) is also what the cursor's tests use as Central.

    python -m coprod_testkit.odk_fake --count 10000    # serve until interrupted
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import threading
import time
import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from coprod_connectors import (
    Deployment,
    Instrument,
    Profile,
    QuestionKind,
    builtin_instrument,
)
from coprod_connectors.synthetic import random_answers
from coprod_testkit.texts import own_words

FAKE_EMAIL = "fake@example.org"
FAKE_PASSWORD = "fake-password-not-a-secret"  # noqa: S105 - a test double's
FAKE_TOKEN = "FAKETOKEN" + "x" * 55
PROJECT = 1
START = datetime(2026, 11, 1, tzinfo=timezone.utc)
_CLAUSE = re.compile(r"__system/(submissionDate|updatedAt) (ge|gt|lt|le|eq) (\S+)")
_SVC = re.compile(r"^/v1/projects/(\d+)/forms/([^/]+)\.svc/Submissions$")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def matches(expression: str | None, system: Mapping[str, Any]) -> bool:
    """Whether a row's ``__system`` satisfies an OData ``$filter`` of the shapes the
    connector writes (dates compared as datetimes, as PostgreSQL does)."""
    if expression is None:
        return True
    expression = expression.strip()
    if " and (" in expression:
        left, right = expression.split(" and (", 1)
        return matches(left, system) and matches(right.removesuffix(")"), system)
    if " or " in expression:
        return any(matches(part.strip(), system) for part in expression.split(" or "))
    if " and " in expression:
        return all(matches(part.strip(), system) for part in expression.split(" and "))
    found = _CLAUSE.fullmatch(expression.strip("()"))
    if found is None:
        msg = f"the fake Central cannot filter by {expression!r}"
        raise ValueError(msg)
    value = system.get(found[1])
    if value is None:
        return False
    have, mark = _time(value) if isinstance(value, str) else value, _time(found[3])
    return {
        "ge": have >= mark,
        "gt": have > mark,
        "lt": have < mark,
        "le": have <= mark,
        "eq": have == mark,
    }[found[2]]


def odata_row(
    instrument: Instrument, answers: Mapping[str, Any], system: Mapping[str, Any], instance: str
) -> dict[str, Any]:
    """A submission as Central's OData feed writes it (``$expand=*``)."""
    row: dict[str, Any] = {}
    for section in instrument.sections:
        group: dict[str, Any] = {f"{section.code}_note": None} if section.description else {}
        for question in section.questions:
            if question.kind is QuestionKind.MATRIX:
                group[question.code] = {
                    r.code: _value(answers.get(r.code)) for r in question.rows or ()
                }
            elif question.kind is QuestionKind.REPEAT:
                items = answers.get(question.code) or []
                group[f"{question.code}@odata.navigationLink"] = (
                    f"Submissions('{instance.replace(':', '%3A')}')/{section.code}/{question.code}"
                )
                group[question.code] = [
                    {
                        **{q.code: _value(item.get(q.code)) for q in question.questions or ()},
                        "__id": uuid.uuid5(uuid.NAMESPACE_URL, f"{instance}/{i}").hex,
                    }
                    for i, item in enumerate(items)
                ]
            else:
                group[question.code] = _value(answers.get(question.code))
        row[section.code] = group
    row["meta"] = {"instanceID": instance}
    row["__id"] = instance
    row["__system"] = dict(system)
    return row


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if value is None or isinstance(value, int):
        return value
    return str(value)


class FakeCentral:
    """``count`` submissions to one form, one second apart, none edited (see the module)."""

    def __init__(
        self,
        count: int,
        *,
        instrument: str = "self-reflection",
        seed: int = 2026,
        latency: float = 0.0,
        unique_texts: bool = False,
    ) -> None:
        self.instrument = builtin_instrument(instrument)
        self.form_id = f"{self.instrument.id}-2026-H2"
        self.latency = latency
        self.dates: list[datetime] = []
        self.rows: list[bytes] = []
        self.systems: list[dict[str, Any]] = []
        for n in range(count):
            when = START + timedelta(seconds=n, milliseconds=n % 1000)
            instance = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{seed}/{n}')}"
            system = {
                "submissionDate": when.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{when.microsecond // 1000:03d}Z",
                "updatedAt": None,
                "submitterId": "16",
                "submitterName": "coprod field workers",
                "attachmentsPresent": 0,
                "attachmentsExpected": 0,
                "status": None,
                "reviewState": None,
                "deviceId": "collect:fake",
                "edits": 0,
                "formVersion": self.instrument.version,
            }
            answers = random_answers(self.instrument, f"{seed}/{n}", media=False)
            if unique_texts:
                answers = own_words(answers, f"#{n}", itertools.count())
            row = odata_row(self.instrument, answers, system, instance)
            self.dates.append(when)
            self.systems.append(system)
            self.rows.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())

    def profile(self, url: str, name: str = "central") -> Profile:
        return Profile(name=name, platform="odk", url=url, user=FAKE_EMAIL).with_secret(
            FAKE_PASSWORD
        )

    def deployment(self, profile: str = "central") -> Deployment:
        version = self.instrument.version
        return Deployment(
            platform="odk",
            profile=profile,
            remote_id=f"{PROJECT}/{self.form_id}",
            instrument=self.instrument.id,
            instrument_version=version,
            round="2026-H2",
            created_at=START,
            details={
                "project_id": PROJECT,
                "form_id": self.form_id,
                "versions": {version: version},
            },
        )

    # -- answering ---------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> tuple[int, bytes]:
        parts = urlsplit(target)
        if (method, parts.path) == ("POST", "/v1/sessions"):
            return 200, json.dumps({"token": FAKE_TOKEN, "csrf": "x"}).encode()
        if (method, parts.path) == ("DELETE", "/v1/sessions/current"):
            return 200, b'{"success":true}'
        if headers.get("authorization") != f"Bearer {FAKE_TOKEN}":
            return (
                404,
                b'{"message":"Could not find the resource you were looking for.","code":404.1}',
            )
        found = _SVC.match(parts.path)
        if method != "GET" or found is None or found[2] != self.form_id:
            return (
                404,
                b'{"message":"Could not find the resource you were looking for.","code":404.1}',
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if self.latency:
            time.sleep(self.latency)
        return 200, self._page(query)

    def _page(self, query: Mapping[str, str]) -> bytes:
        expression = query.get("$filter")
        top = int(query.get("$top", "1000000000"))
        skip = int(query.get("$skip", "0"))
        # rows are in date order and none was edited: start at the lowest date asked for
        lows = [_time(m[3]) for m in _CLAUSE.finditer(expression or "") if m[1] == "submissionDate"]
        start = bisect_left(self.dates, min(lows)) if lows else 0
        picked: list[bytes] = []
        for index in range(start, len(self.rows)):
            if not matches(expression, self.systems[index]):
                continue
            if skip:
                skip -= 1
                continue
            picked.append(self.rows[index])
            if len(picked) >= top:
                break
        context = b'"@odata.context":"http://fake/v1/$metadata#Submissions"'
        return b'{"value":[' + b",".join(picked) + b"]," + context + b"}"

    # -- serving ------------------------------------------------------------------------

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve over real HTTP until the block ends; yields the URL."""
        httpd = ThreadingHTTPServer((host, port), _handler_for(self.respond))
        httpd.daemon_threads = True
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield f"http://{host}:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


Responder = Callable[[str, str, Mapping[str, str]], tuple[int, bytes]]


def _handler_for(respond: Responder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "central"
        sys_version = ""

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, content = respond(self.command, self.path, headers)
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.send_header("Date", format_datetime(datetime.now(timezone.utc), usegmt=True))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_DELETE = _answer  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a fake Central until interrupted (for a benchmark, or trying a client by hand)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--instrument", default="self-reflection")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per data page")
    parser.add_argument(
        "--unique-texts", action="store_true", help="no two submissions share a free text"
    )
    args = parser.parse_args(argv)
    fake = FakeCentral(
        args.count,
        instrument=args.instrument,
        seed=args.seed,
        latency=args.latency,
        unique_texts=args.unique_texts,
    )
    with fake.serve(port=args.port) as url:
        print(f"fake Central at {url}, form {fake.form_id}", flush=True)  # noqa: T201
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()


__all__ = ["FAKE_EMAIL", "FAKE_PASSWORD", "FAKE_TOKEN", "FakeCentral", "matches", "odata_row"]
