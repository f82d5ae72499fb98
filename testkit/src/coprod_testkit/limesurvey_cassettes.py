"""Recording RemoteControl traffic safely: cassette filters and a request matcher for vcrpy.

Used by this connector's tests, and by any test that replays its cassettes
(the sync store's interruption test, for one)::

    @pytest.fixture
    def vcr_config():
        return coprod_testkit.limesurvey_cassettes.vcr_config()

    def pytest_recording_configure(config, vcr):
        coprod_testkit.limesurvey_cassettes.register(vcr)

What is filtered before anything is written: the user name and password
(``get_session_key``'s params), every session key (the first param of every
other call, and ``get_session_key``'s result), participant tokens (in JSON
results and inside base64 exports), cookies, and any ``token``, ``password``
or ``sessionkey`` in a query string. Replay matches requests on method, URI
and the JSON-RPC method and params with the session key ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import lru_cache
from typing import Any

FILTERED = "FILTERED"
#: What LimeSurvey's session keys look like (Yii's generateRandomString(32)).
SESSION_KEY = re.compile(r"[A-Za-z0-9_~-]{32}")
_SECRET_KEYS = frozenset({"token", "password", "sessionkey", "session_key", "ssessionkey"})


def _json(body: Any) -> Any:
    if body is None:
        return None
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(body, str) or not body.strip().startswith("{"):
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return None


def scrub_request_payload(payload: Any) -> Any:
    """A JSON-RPC request with the credentials and the session key replaced."""
    if not isinstance(payload, dict) or not isinstance(payload.get("params"), list):
        return payload
    params = list(payload["params"])
    if payload.get("method") == "get_session_key":
        params = [FILTERED for _ in params[:2]] + params[2:]
    elif params:
        params[0] = FILTERED
    return {**payload, "params": _scrub(params)}


def _scrub(value: Any) -> Any:
    """``value`` with every secret-looking key's value replaced."""
    if isinstance(value, dict):
        return {
            k: (FILTERED if k.lower() in _SECRET_KEYS and v not in (None, "") else _scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str) and len(value) > 40:
        return _scrub_base64(value)
    return value


def _scrub_base64(value: str) -> str:
    """A base64 JSON export with its tokens replaced (other strings unchanged)."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value
    document = _json(decoded)
    if document is None:
        return value
    return base64.b64encode(json.dumps(_scrub(document)).encode("utf-8")).decode("ascii")


def _scrub_query(uri: str) -> str:
    if "?" not in uri:
        return uri
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(uri)
    query = [
        (k, FILTERED if k.lower() in _SECRET_KEYS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def before_record_request(request: Any) -> Any:
    """vcrpy hook: scrub the JSON-RPC body, cookies and query string of a request."""
    payload = _json(request.body)
    if payload is not None:
        request.body = json.dumps(scrub_request_payload(payload)).encode("utf-8")
    request.uri = _scrub_query(request.uri)
    for header in ("Cookie", "cookie", "Authorization", "authorization"):
        if header in request.headers:
            del request.headers[header]
    return request


def scrub_response_payload(payload: Any, *, request_method: str | None = None) -> Any:
    """A JSON-RPC reply with session keys and tokens replaced."""
    if not isinstance(payload, dict):
        return payload
    result = payload.get("result")
    if request_method == "get_session_key" or (
        isinstance(result, str) and SESSION_KEY.fullmatch(result)
    ):
        return {**payload, "result": FILTERED}
    return {**payload, "result": _scrub(result)}


def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy hook: scrub the reply body and drop cookies."""
    headers = response.get("headers") or {}
    for header in list(headers):
        if header.lower() in {"set-cookie", "cookie"}:
            del headers[header]
    body = response.get("body") or {}
    payload = _json(body.get("string"))
    if payload is not None:
        body["string"] = json.dumps(scrub_response_payload(payload)).encode("utf-8")
    return response


@lru_cache(maxsize=4096)
def _call_of(body: bytes | str) -> str | None:
    """The JSON-RPC method and params of a request body, session key scrubbed, as a
    comparable string (None if the body is not JSON-RPC). Cached: vcrpy compares each
    request with every recorded one, several times."""
    payload = _json(body)
    if payload is None:
        return None
    scrubbed = scrub_request_payload(payload)
    return json.dumps([scrubbed.get("method"), scrubbed.get("params")], sort_keys=True)


def rpc_body(r1: Any, r2: Any) -> None:
    """vcrpy matcher: same JSON-RPC method and params, session key and request id ignored."""
    first = _call_of(r1.body) if isinstance(r1.body, (bytes, str)) else None
    second = _call_of(r2.body) if isinstance(r2.body, (bytes, str)) else None
    if first is None or second is None:
        if r1.body != r2.body:
            msg = "request bodies differ"
            raise AssertionError(msg)
        return
    if first != second:
        msg = f"JSON-RPC calls differ: {json.loads(first)[0]} vs {json.loads(second)[0]}"
        raise AssertionError(msg)


def vcr_config() -> dict[str, Any]:
    """The keyword arguments for ``vcr.use_cassette`` (pytest-recording's ``vcr_config``)."""
    return {
        "before_record_request": before_record_request,
        "before_record_response": before_record_response,
        "filter_headers": ["cookie", "set-cookie", "authorization"],
        "match_on": ["method", "uri", "rpc_body"],
        "decode_compressed_response": True,
    }


def register(vcr: Any) -> None:
    """Register the ``rpc_body`` matcher on a ``vcr.VCR`` object."""
    vcr.register_matcher("rpc_body", rpc_body)


__all__ = [
    "FILTERED",
    "before_record_request",
    "before_record_response",
    "register",
    "rpc_body",
    "scrub_request_payload",
    "scrub_response_payload",
    "vcr_config",
]
