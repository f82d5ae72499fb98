"""No secret is in a cassette: no token, session cookie, password or credential header."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CASSETTES = sorted((Path(__file__).parent / "cassettes").rglob("*.yaml"))
TOKEN = re.compile(r"(?<![A-Za-z0-9!$])[A-Za-z0-9!$]{64}(?![A-Za-z0-9!$])")
HEX = re.compile(r"[0-9a-f]{64}")
#: Binary bodies (uploaded workbooks and photos, downloaded zips) as YAML writes them.
BINARY = re.compile(r"!!binary \|\n(?:[ ]+[A-Za-z0-9+/=]+\n)+")


def test_there_are_cassettes() -> None:
    assert len(CASSETTES) >= 3


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: p.stem)
def test_no_secret_in_a_cassette(path: Path) -> None:
    text = BINARY.sub("<binary>\n", path.read_text(encoding="utf-8"))
    tokens = [t for t in TOKEN.findall(text) if not HEX.fullmatch(t)]
    assert tokens == [], "a token-like string is in the cassette"
    assert not re.search(r"(?i)set-cookie|\bcookie:", text)
    assert not re.search(r'"password"\s*:\s*"(?!<filtered>")', text)
    assert not re.search(r'"(token|csrf|draftToken)"\s*:\s*"(?!FILTEREDTOKEN")', text)
    assert not re.search(r"/v1/key/(?!FILTEREDTOKEN/)", text)
    for line in re.findall(r"(?im)^\s*authorization:\n\s*- (.*)$", text):
        assert line == "<filtered>"
    secret = os.environ.get("ODK_PASSWORD")
    if secret:
        assert secret not in text
