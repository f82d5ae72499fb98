"""The cassette filters: no password, session key or token is ever written to a cassette."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr.request import Request

from coprod_testkit import limesurvey_cassettes as testing

CASSETTES = Path(__file__).parent / "cassettes"
KEY = "Ab3~x_9-" * 4


def _request(
    method: str, params: list[Any], uri: str = "http://ls/index.php/admin/remotecontrol"
) -> Request:
    body = json.dumps({"method": method, "params": params, "id": 1}).encode()
    return Request("POST", uri, body, {"Cookie": "PHPSESSID=abc"})


def test_login_credentials_and_session_keys_are_replaced() -> None:
    login = testing.before_record_request(_request("get_session_key", ["admin", "hunter2"]))
    assert json.loads(login.body)["params"] == ["FILTERED", "FILTERED"]
    assert "Cookie" not in login.headers
    call = testing.before_record_request(_request("list_surveys", [KEY]))
    assert json.loads(call.body)["params"] == ["FILTERED"]


def test_query_string_secrets_are_replaced() -> None:
    request = testing.before_record_request(
        _request("list_surveys", [KEY], uri="http://ls/index.php/1?token=abc&lang=cy")
    )
    assert "token=FILTERED" in request.uri
    assert "lang=cy" in request.uri


def test_session_key_results_tokens_and_cookies_are_replaced() -> None:
    response = {
        "status": {"code": 200},
        "headers": {"Set-Cookie": ["YII_CSRF_TOKEN=x"], "Content-Type": ["application/json"]},
        "body": {"string": json.dumps({"id": 1, "result": KEY, "error": None}).encode()},
    }
    cleaned = testing.before_record_response(response)
    assert "Set-Cookie" not in cleaned["headers"]
    assert json.loads(cleaned["body"]["string"])["result"] == "FILTERED"
    participants = {
        "status": {"code": 200},
        "headers": {},
        "body": {
            "string": json.dumps(
                {"result": [{"tid": 1, "token": "secret-token", "email": "a@x.org"}]}
            ).encode()
        },
    }
    text = testing.before_record_response(participants)["body"]["string"].decode()
    assert "secret-token" not in text
    assert "a@x.org" in text


def test_tokens_inside_base64_exports_are_replaced() -> None:
    document = {"responses": [{"id": 1, "token": "secret-token", "q": "x"}]}
    encoded = base64.b64encode(json.dumps(document).encode()).decode()
    response = {
        "status": {"code": 200},
        "headers": {},
        "body": {"string": json.dumps({"result": encoded}).encode()},
    }
    result = json.loads(testing.before_record_response(response)["body"]["string"])["result"]
    decoded = json.loads(base64.b64decode(result))
    assert decoded["responses"][0]["token"] == "FILTERED"
    assert decoded["responses"][0]["q"] == "x"


def test_matcher_ignores_session_key_and_id_but_not_params() -> None:
    a = _request("get_summary", ["key-one", 1, "all"])
    b = _request("get_summary", ["FILTERED", 1, "all"])
    testing.rpc_body(a, b)
    with pytest.raises(AssertionError):
        testing.rpc_body(a, _request("get_summary", ["key-one", 2, "all"]))


@pytest.mark.parametrize("path", sorted(CASSETTES.rglob("*.yaml")), ids=lambda p: p.stem)
def test_recorded_cassettes_hold_no_secrets(path: Path) -> None:
    """Every request's key is FILTERED, every login result too; no cookies anywhere."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for interaction in data["interactions"]:
        request = interaction["request"]
        payload = json.loads(request["body"]) if request["body"] else None
        assert not any(h.lower() == "cookie" for h in request["headers"])
        assert not any(h.lower() == "set-cookie" for h in interaction["response"]["headers"])
        if payload is None:
            continue
        params = payload["params"]
        if payload["method"] == "get_session_key":
            assert params[:2] == ["FILTERED", "FILTERED"]
            reply = json.loads(interaction["response"]["body"]["string"])
            assert reply["result"] == "FILTERED" or isinstance(reply["result"], dict)
        else:
            assert params[0] == "FILTERED"
