"""The LimeSurvey end page's summary: its Expression Manager expressions, evaluated.

The expressions are read back out of the rendered .lss (the end text in each
language) and run by a small evaluator of the part of Expression Manager they
use (strings, ``==``, ``and``, ``or``, ``!``, ``if``, ``join``, ``sum``,
``is_empty``, ``NAME.NAOK``), over each synthetic respondent's answers as
LimeSurvey holds them; the text must equal the core's summary, which
``tests/test_summary.py`` shows agrees with the scorer. The live round trip
shows LimeSurvey itself printing the same lines on the end page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import pytest

from coprod_connectors.instruments import builtin_instrument
from coprod_connectors.summary import summary_for
from coprod_connectors.synthetic import demo_responses
from coprod_limesurvey.expressions import em_places
from coprod_limesurvey.render import render_lss

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"[^"]*")|(?P<num>\d+)|(?P<op>==|!=|[(),!])|(?P<name>[A-Za-z_][A-Za-z0-9_.]*))'
)


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        assert found, f"cannot read {text[pos : pos + 20]!r}"
        out.append(found.group(found.lastgroup or 0))
        pos = found.end()
        if not text[pos:].strip():
            break
    return out


class _Evaluator:
    """Recursive descent over the tokens: or > and > ! > == > call / value."""

    def __init__(self, tokens: list[str], values: Mapping[str, str]) -> None:
        self.tokens = tokens
        self.at = 0
        self.values = values

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.at]
        if expected is not None:
            assert token == expected, (token, expected)
        self.at += 1
        return token

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def expression(self) -> Any:
        value = self.conjunction()
        while self.peek() == "or":
            self.take()
            right = self.conjunction()
            value = bool(value) or bool(right)
        return value

    def conjunction(self) -> Any:
        value = self.negation()
        while self.peek() == "and":
            self.take()
            right = self.negation()
            value = bool(value) and bool(right)
        return value

    def negation(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not self.negation()
        return self.comparison()

    def comparison(self) -> Any:
        left = self.primary()
        if self.peek() in {"==", "!="}:
            op = self.take()
            right = self.primary()
            return (str(left) == str(right)) == (op == "==")
        return left

    def primary(self) -> Any:
        token = self.take()
        if token == "(":
            value = self.expression()
            self.take(")")
            return value
        if token.startswith('"'):
            return token[1:-1]
        if token.isdigit():
            return int(token)
        if self.peek() == "(":
            self.take("(")
            args = []
            while self.peek() != ")":
                args.append(self.expression())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            return self.call(token, args)
        assert token.endswith(".NAOK"), token
        return self.values.get(token.removesuffix(".NAOK"), "")

    @staticmethod
    def call(name: str, args: list[Any]) -> Any:
        if name == "if":
            return args[1] if args[0] else args[2]
        if name == "join":
            return "".join(str(a) for a in args)
        if name == "sum":
            return sum(int(a) for a in args)
        assert name == "is_empty", name
        return args[0] in ("", None)


def evaluate(expression: str, values: Mapping[str, str]) -> str:
    evaluator = _Evaluator(_tokens(expression), values)
    value = evaluator.expression()
    assert evaluator.peek() is None
    return str(value)


def _end_texts(instrument_id: str) -> dict[str, str]:
    root = ET.fromstring(render_lss(builtin_instrument(instrument_id))[0].encode("utf-8"))
    return {
        row.findtext("surveyls_language") or "": row.findtext("surveyls_endtext") or ""
        for row in root.findall("surveys_languagesettings/rows/row")
    }


@pytest.mark.parametrize("instrument_id", ["self-reflection", "checklist", "ladder-check"])
def test_the_end_pages_summary_equals_the_cores_for_every_synthetic_respondent(
    instrument_id: str,
) -> None:
    instrument = builtin_instrument(instrument_id)
    places = em_places(instrument)
    expressions = {
        lang: re.findall(r"<li>\{(.*?)\}</li>", text)
        for lang, text in _end_texts(instrument_id).items()
    }
    assert set(expressions) == {"en", "cy"}
    responses = [r for r in demo_responses() if r.instrument == instrument_id]
    assert responses
    for response in responses:
        values = {
            places[code]: str(value)
            for code, value in response.answers.items()
            if code in places and not isinstance(value, list)
        }
        for lang, found in expressions.items():
            summary = summary_for(instrument, lang)
            assert summary is not None
            assert len(found) == len(summary.lines)
            got = [evaluate(e, values) for e in found]
            assert [g for g in got if g] == summary.render(response.answers), (
                response.response_id,
                lang,
            )


def test_the_end_page_thanks_and_says_what_next_without_the_references() -> None:
    instrument = builtin_instrument("self-reflection")
    for lang, text in _end_texts("self-reflection").items():
        assert instrument.end is not None
        assert instrument.end[lang].split("\n")[0].replace("'", "&#39;") in text
        assert "Edgar Cahn" not in text
