"""Answers keyed by codes -> typed answers and flags: a plan compiled once per instrument version.

Every connector turns a platform's record into answers keyed by the
instrument's codes and hands them to :func:`~coprod_connectors.responses.build_response`,
which runs the :class:`ConversionPlan` of that instrument version. The plan
looks at the instrument once (which code is which question, its kind, the
choices it offers, its range) and keeps one small converter per code, so a
pull of a hundred thousand records does not ask the instrument the same
questions a hundred thousand times.

The rules are those of the interchange format (see ``responses``): blank
answers are left out, values are converted to the question's type, and what
does not fit is kept as it came and flagged. The :class:`Response` is built
as ``model_construct`` builds it (:func:`construct`, without its per-field
loop) once the plan has checked every field the model's validation would
check; anything unusual (a value of another type, a bad round name, an empty
id...) goes through the model's full validation instead, so the result, and
any error, is exactly what validation gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import from_json

from coprod_connectors.instruments.model import Instrument, Question, QuestionKind
from coprod_connectors.responses import (
    _ROUND,
    Flag,
    FlagKind,
    Response,
    build_response,
    default_round,
)

#: A converter: (the code or path to name in a flag, the value, the flags to add to) -> value.
Converter = Callable[[str, Any, list[Flag]], Any]
#: What :meth:`ConversionPlan.builder` gives: (raw_answers, response_id, submitted_at,
#: submitted_raw, language, extra_flags) -> Response.
ResponseBuilder = Callable[..., Response]

_UTC = timezone.utc
_STR = frozenset({str})
_TEXT_KINDS = frozenset(
    {QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT, QuestionKind.AUDIO, QuestionKind.IMAGE}
)
#: Stands for "any text" among the choices a code accepts.
_ANY_TEXT: frozenset[str] = frozenset({"\x00any"})


class _DateText(frozenset[str]):
    """What a date's code accepts as it is: no text (a date is converted), but dates read
    before are known (:data:`_DATES`)."""


#: Stands for "a date" among the choices a code accepts: holds no text, so a loop that
#: takes what it holds as it is takes none and converts every date as it did.
_A_DATE: frozenset[str] = _DateText()
#: Dates read before: the text (stripped) and what it gives (the year, month and day).
_DATES: dict[str, str] = {}
_DATES_MAX = 4096
_UNKNOWN: Any = object()
_CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MATRIX})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _scalar_text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


_DICT = frozenset({dict})


def _objects(items: list[Any]) -> bool:
    """Whether every item is a mapping (a repeat's rows): dicts told at once."""
    return {*map(type, items)} <= _DICT or all(isinstance(v, Mapping) for v in items)


def _invalid(code: str, value: Any, message: str) -> Flag:
    return Flag(code=code, kind=FlagKind.INVALID_VALUE, value=value, message=message)


def _choice(offered: frozenset[str]) -> Converter:
    listed = ", ".join(sorted(offered))

    def convert(code: str, value: Any, flags: list[Flag]) -> Any:
        text = value.strip() if type(value) is str else _scalar_text(value)
        if text not in offered:
            flags.append(_invalid(code, value, f"{text!r} is not one of the choices ({listed})"))
        return text

    return convert


def _multiple(offered: frozenset[str]) -> Converter:
    def convert(code: str, value: Any, flags: list[Flag]) -> Any:
        items = value.split() if isinstance(value, str) else [_scalar_text(v) for v in value]
        bad = [i for i in items if i not in offered]
        if bad:
            flags.append(
                _invalid(code, value, f"{', '.join(map(repr, bad))} not among the choices")
            )
        return sorted(set(items), key=items.index)

    return convert


def _integer(low: int | None, high: int | None) -> Converter:
    def convert(code: str, value: Any, flags: list[Flag]) -> Any:
        number = value if type(value) is int else _whole_number(value)
        if number is None:
            flags.append(_invalid(code, value, "not a whole number"))
            return value
        if (low is not None and number < low) or (high is not None and number > high):
            flags.append(
                Flag(
                    code=code,
                    kind=FlagKind.OUT_OF_RANGE,
                    value=number,
                    message=f"{number} is outside {low}..{high}",
                )
            )
        return number

    return convert


def _date(code: str, value: Any, flags: list[Flag]) -> Any:
    text = value.strip() if type(value) is str else _scalar_text(value)
    found = _DATES.get(text)
    if found is not None:
        return found
    try:
        found = date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        flags.append(_invalid(code, value, "not a date (YYYY-MM-DD)"))
        return text
    if len(_DATES) >= _DATES_MAX:
        _DATES.clear()
    _DATES[text] = found  # a survey's dates are mostly a few hundred days
    return found


def _text(code: str, value: Any, flags: list[Flag]) -> Any:
    del code, flags
    return value.strip() if type(value) is str else _scalar_text(value)


def _not_in_repeat(path: str, code: str, inner_code: str, value: Any) -> Flag:
    return Flag(
        code=path,
        kind=FlagKind.UNKNOWN_CODE,
        value=value,
        message=f"{code} has no question {inner_code!r}",
    )


def _too_many(code: str, count: int, max_count: int | None) -> Flag:
    return Flag(
        code=code,
        kind=FlagKind.OUT_OF_RANGE,
        value=count,
        message=f"{count} rows; the instrument allows {max_count}",
    )


class _Repeat:
    """A repeat's converter, and what it is made of: the inner converters, the text each
    inner code takes as it is, and the most rows."""

    __slots__ = ("accepts", "code", "inner", "max_count", "step")

    def __init__(
        self,
        code: str,
        step: Converter,
        inner: dict[str, Converter],
        accepts: dict[str, frozenset[str]],
        max_count: int | None,
    ) -> None:
        self.code = code
        #: the repeat's converter (of its rows keyed by codes), made of the rest
        self.step = step
        self.inner = inner
        self.accepts = accepts
        self.max_count = max_count


def _offered(
    instrument: Instrument, question: Question, offered: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """The choice codes ``question`` offers."""
    choices = offered.get(question.code)
    if choices is None:  # pragma: no cover - every question of the instrument is there
        choices = frozenset(c.code for c in instrument.choices_for(question))
    return choices


class ConversionPlan:
    """How to convert the answers to one instrument version (build with :func:`plan_for`).

    ``convert(raw)`` is :func:`~coprod_connectors.responses.normalise_answers`
    and ``response(raw, ...)`` is :func:`~coprod_connectors.responses.build_response`,
    for this instrument.
    """

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        offered: dict[str, frozenset[str]] = {
            q.code: frozenset(c.code for c in instrument.choices_for(q))
            for _, _, q in instrument.iter_questions()
        }
        index: dict[str, Question] = {}
        for _, repeat, question in instrument.iter_questions():
            if repeat is not None:
                continue
            if question.kind is QuestionKind.MATRIX:
                for row in question.rows or ():
                    index[row.code] = question
            else:
                index[question.code] = question
        made: dict[int, Converter | None] = {}
        #: each repeat's converter of rows keyed by a platform's names (see _repeat)
        self._by_names: dict[str, Callable[[str, list[Any], list[Flag], _Names], Any]] = {}
        self._steps: dict[str, Converter | None] = {}
        #: each repeat's inner converters, by its code
        self._repeats: dict[str, _Repeat] = {}
        #: the text a code takes as it is (stripped): its choices, or any text
        self._accepts: dict[str, frozenset[str]] = {}
        for code, question in index.items():
            step = made.get(id(question))
            if id(question) not in made:
                step = made[id(question)] = self._step(question, offered)
            self._steps[code] = step
            if question.kind in _CHOICE_KINDS:
                self._accepts[code] = offered[question.code]
            elif question.kind in _TEXT_KINDS:
                self._accepts[code] = _ANY_TEXT
            elif question.kind is QuestionKind.DATE:
                self._accepts[code] = _A_DATE
        self._id = instrument.id
        self._version = instrument.version
        self._language = instrument.default_language
        #: what the plan learnt of each platform's names, by the function that names codes
        self._named: dict[Callable[[str], str | None], _Names] = {}
        #: the same for records of nested groups (``nested=True``)
        self._trees: dict[Callable[[str], str | None], _Tree] = {}

    def _step(self, question: Question, offered: Mapping[str, frozenset[str]]) -> Converter | None:
        """The converter of a top-level question (None for a note: never an answer)."""
        if question.kind is QuestionKind.NOTE:
            return None
        if question.kind is QuestionKind.REPEAT:
            return self._repeat(question, offered)
        return self._converter(question, offered)

    def _converter(self, question: Question, offered: Mapping[str, frozenset[str]]) -> Converter:
        kind = question.kind
        choices = _offered(self.instrument, question, offered)
        if kind in _CHOICE_KINDS:
            return _choice(choices)
        if kind is QuestionKind.MULTIPLE_CHOICE:
            return _multiple(choices)
        if kind is QuestionKind.INTEGER:
            return _integer(question.min, question.max)
        if kind is QuestionKind.DATE:
            return _date
        return _text

    def _repeat(self, question: Question, offered: Mapping[str, frozenset[str]]) -> Converter:
        inner: dict[str, Converter] = {
            q.code: self._converter(q, offered) for q in question.questions or ()
        }
        # the text each inner code takes as it is (stripped), as ``_accepts`` at the top
        accepts: dict[str, frozenset[str]] = {}
        for q in question.questions or ():
            if q.kind in _CHOICE_KINDS:
                accepts[q.code] = _offered(self.instrument, q, offered)
            elif q.kind in _TEXT_KINDS:
                accepts[q.code] = _ANY_TEXT
            elif q.kind is QuestionKind.DATE:
                accepts[q.code] = _A_DATE
        max_count = question.max_count

        def convert(code: str, value: Any, flags: list[Flag]) -> Any:
            if not (isinstance(value, list) and _objects(value)):
                flags.append(_invalid(code, value, "a repeat must be a list of objects"))
                return value
            return rows_of(code, value, flags, None, None)

        def by_names(code: str, value: list[Any], flags: list[Flag], table: _Names) -> Any:
            """``convert(code, _rows_by_code(value, ...), flags)`` for rows (objects) keyed
            by the platform's names, in one pass; ``_AGAIN`` (and no flag added) when
            two names of a row give one code (the two passes decide)."""
            shared = table.row_shared
            if shared and not all(map(shared.isdisjoint, value)):
                return _AGAIN
            mark = len(flags)
            found = rows_of(code, value, flags, table.row_codes, table.learn_row)
            if found is _AGAIN:
                del flags[mark:]
            return found

        def rows_of(
            code: str,
            value: list[Any],
            flags: list[Flag],
            codes: dict[str, Any] | None,
            learn: Callable[[str], Any] | None,
        ) -> Any:
            """The rows converted; ``codes``: each name's code (None: the names are codes),
            ``learn`` a name's code not known yet, or ``_AGAIN``."""
            rows: list[dict[str, Any]] = []
            for i, item in enumerate(value):
                row: dict[str, Any] = {}
                for inner_code, inner_value in item.items():
                    if codes is not None:  # a name: its code
                        try:
                            inner_code = codes[inner_code]
                        except KeyError:
                            inner_code = learn(inner_code)  # type: ignore[misc]
                            if inner_code is _AGAIN:
                                return _AGAIN
                        if inner_code is None:
                            continue
                    if type(inner_value) is str:
                        text = inner_value.strip()
                        if not text:
                            continue
                        # what the converters would do with text that fits, written out
                        taken = accepts.get(inner_code)
                        if taken is not None and (taken is _ANY_TEXT or text in taken):
                            row[inner_code] = text
                            continue
                        if taken is _A_DATE and text in _DATES:  # a date read before
                            row[inner_code] = _DATES[text]
                            continue
                    elif inner_value is None or _blank(inner_value):
                        continue
                    step = inner.get(inner_code)
                    path = f"{code}[{i}].{inner_code}"
                    if step is None:
                        row[inner_code] = inner_value
                        flags.append(_not_in_repeat(path, code, inner_code, inner_value))
                    else:
                        row[inner_code] = step(path, inner_value, flags)
                if row:
                    rows.append(row)
            if len(rows) > (max_count or len(rows)):
                flags.append(_too_many(code, len(rows), max_count))
            return rows

        self._by_names[question.code] = by_names
        # for the one walk of nested records (``_walk_rows``), which converts as it walks
        self._repeats[question.code] = _Repeat(question.code, convert, inner, accepts, max_count)
        return convert

    def _unknown(self, code: str, value: Any) -> Flag:
        return Flag(
            code=code,
            kind=FlagKind.UNKNOWN_CODE,
            value=value,
            message=f"{self._id} {self._version} has no question {code!r}",
        )

    def convert(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Flag]]:
        """Answers converted to their types, and the flags of what did not fit."""
        flags: list[Flag] = []
        answers: dict[str, Any] = {}
        steps, accepts = self._steps, self._accepts
        for code, value in raw.items():
            # what the converters would do, written out for the common case (text that
            # fits) as this runs for every answer; blank answers are left out
            if type(value) is str:
                text = value.strip()
                if not text:
                    continue
                taken = accepts.get(code)
                if taken is not None and (taken is _ANY_TEXT or text in taken):
                    answers[code] = text
                    continue
                if taken is _A_DATE and text in _DATES:  # a date read before
                    answers[code] = _DATES[text]
                    continue
            elif value is None or _blank(value):
                continue
            step = steps.get(code, _UNKNOWN)
            if step is _UNKNOWN:
                answers[code] = value
                flags.append(self._unknown(code, value))
            elif step is not None:  # None: a note, never an answer
                answers[code] = step(code, value, flags)
        return answers, flags

    def _names(self, names: Callable[[str], str | None]) -> _Names:
        table = self._named.get(names)
        if (
            table is None
            or len(table.entries) + len(table.rows) + len(table.row_codes) > _NAMES_MAX
        ):
            if len(self._named) >= _NAMERS_MAX:
                self._named.clear()
            table = self._named[names] = _Names(names)
        return table

    def _learn(self, table: _Names, raw: Mapping[str, Any]) -> None:
        """What the names in ``raw`` stand for, those not known yet; a name whose code is
        not text, or is another name's too, is noted as shared: records holding one take
        :func:`by_code`'s way."""
        entries, first = table.entries, table.first
        for name in raw:
            if name in entries:
                continue
            code = table.names(name)
            entries[name] = None
            if code is None:
                continue
            if type(code) is not str:
                table.shared.add(name)
                continue
            earlier = first.setdefault(code, name)
            if earlier != name:
                table.shared.update((earlier, name))
            entries[name] = (code, self._accepts.get(code), self._steps.get(code, _UNKNOWN))

    def _convert_named(
        self, raw: Mapping[str, Any], names: Callable[[str], str | None]
    ) -> tuple[dict[str, Any], list[Flag], bool]:
        """:meth:`convert` of ``raw`` keyed by the platform's names, in one pass; and whether
        every code is known to be text (the names' codes were checked once, when learnt)."""
        table = self._names(names)
        if table.shared and not table.shared.isdisjoint(raw):
            return (*self.convert(by_code(raw, names)), False)
        entries = table.entries
        any_text = _ANY_TEXT
        flags: list[Flag] = []
        answers: dict[str, Any] = {}
        for name, value in raw.items():
            try:
                entry = entries[name]
            except KeyError:  # a name not seen before: learn them all, start again
                self._learn(table, raw)
                return self._convert_named(raw, names)
            if entry is None:  # a name that holds no answer
                continue
            code, taken, step = entry
            # as in convert, and a repeat's rows keyed by codes first, as by_code does
            if type(value) is str:
                text = value.strip()
                if not text:
                    continue
                if taken is any_text or (taken is not None and text in taken):
                    answers[code] = text
                    continue
                if taken is _A_DATE and text in _DATES:  # a date read before
                    answers[code] = _DATES[text]
                    continue
            elif value is None or _blank(value):
                continue
            elif isinstance(value, list) and _objects(value):
                repeat = self._by_names.get(code)
                if repeat is not None and step is not None:
                    found = repeat(code, value, flags, table)  # the rows read in one pass
                    if found is not _AGAIN:
                        answers[code] = found
                        continue
                value = _rows_by_code(value, table.rows, names)
            if step is _UNKNOWN:
                answers[code] = value
                flags.append(self._unknown(code, value))
            elif step is not None:  # None: a note, never an answer
                answers[code] = step(code, value, flags)
        return answers, flags, True

    def _tree(self, names: Callable[[str], str | None]) -> _Tree:
        tree = self._trees.get(names)
        if tree is None or tree.size > _NAMES_MAX:
            if len(self._trees) >= _NAMERS_MAX:
                self._trees.clear()
            tree = self._trees[names] = _Tree(names)
        return tree

    def _learn_nested(
        self, tree: _Tree, table: dict[str, Any], name: str, repeat: _Repeat | None
    ) -> Any:
        """What ``name`` stands for in the group ``table`` (learnt once): None (no answer),
        a group's entry, a code's entry, or :data:`_SHARED` for a code that another place
        in the record gives too (or that is not text): records holding it take
        ``by_code(..., nested=True)``'s way. In a row of ``repeat`` (not None), a code's
        entry holds the repeat's own converter, and "another place" is in its rows."""
        tree.size += 1
        code = tree.names(name)
        entry: Any
        if code is None:
            entry = None
        elif type(code) is not str:
            entry = _SHARED
        elif code == GROUP:
            entry = (None, None, None, {})
        else:
            first = tree.first if repeat is None else tree.rows_first.setdefault(repeat.code, {})
            earlier = first.setdefault(code, (table, name))
            if earlier[0] is not table or earlier[1] != name:
                earlier[0][earlier[1]] = _SHARED
                entry = _SHARED
            elif repeat is None:
                entry = (code, self._accepts.get(code), self._steps.get(code, _UNKNOWN), {})
            else:
                entry = (code, repeat.accepts.get(code), repeat.inner.get(code, _UNKNOWN), {})
        table[name] = entry
        return entry

    def _walk(
        self,
        node: Mapping[str, Any],
        table: dict[str, Any],
        tree: _Tree,
        answers: dict[str, Any],
        flags: list[Flag],
        repeat: _Repeat | None = None,
        i: int = 0,
    ) -> bool:
        """:meth:`convert` of the answers in ``node`` and the groups in it, in one walk;
        False (and the walk stops) at a code another place gives too.

        With ``repeat``: ``node`` is its ``i``-th row (or a group in it), converted into
        ``answers`` as the repeat's converter converts a row ``by_code`` made."""
        any_text, shared = _ANY_TEXT, _SHARED
        for name, value in node.items():
            try:
                entry = table[name]
            except KeyError:  # a name not seen here before
                entry = self._learn_nested(tree, table, name, repeat)
            if entry is None:  # a name that holds no answer
                continue
            if entry is shared:
                return False
            if value is None:  # blank (or a group's name with nothing in it)
                continue
            code, taken, step, inner = entry
            cls = type(value)
            # as in convert: text that fits taken as it is, blanks left out
            if cls is str:
                if code is None:
                    continue
                text = value.strip()
                if not text:
                    continue
                if taken is any_text or (taken is not None and text in taken):
                    answers[code] = text
                    continue
            elif cls is dict:  # a group: its answers are the record's (or the row's)
                if not self._walk(value, inner, tree, answers, flags, repeat, i):
                    return False
                continue
            elif code is None:
                continue
            elif cls is list:  # a repeat: its rows' objects, keyed by codes
                found = self._repeats.get(code) if repeat is None else None
                if found is not None and found.step is step:  # converted as they are walked
                    rows = self._walk_rows(value, code, found, tree, flags)
                    if rows is None:
                        return False
                    if rows is not _NO_ROWS:
                        answers[code] = rows
                    continue
                value = [_nested_row(item, tree) for item in value if type(item) is dict]
                if not value:
                    continue
            elif _blank(value):
                continue
            if repeat is not None:  # in a row: what the repeat's converter does
                path = f"{repeat.code}[{i}].{code}"
                if step is _UNKNOWN:
                    answers[code] = value
                    flags.append(_not_in_repeat(path, repeat.code, code, value))
                else:
                    answers[code] = step(path, value, flags)
            elif step is _UNKNOWN:
                answers[code] = value
                flags.append(self._unknown(code, value))
            elif step is not None:  # None: a note, never an answer
                answers[code] = step(code, value, flags)
        return True

    def _walk_rows(
        self, items: list[Any], code: str, repeat: _Repeat, tree: _Tree, flags: list[Flag]
    ) -> Any:
        """The repeat ``code``'s converter on its rows keyed by codes (its objects, each
        read as ``by_code(..., nested=True)`` reads a row), in one walk: the rows, or
        :data:`_NO_ROWS` when no item is an object (the repeat is left out, as blank),
        or None at a code another place in a row gives too."""
        table = tree.repeats.get(code)
        if table is None:
            table = tree.repeats[code] = {}
        rows: list[dict[str, Any]] = []
        i = 0
        for item in items:
            if type(item) is not dict:
                continue
            row: dict[str, Any] = {}
            if not self._walk(item, table, tree, row, flags, repeat, i):
                return None
            if row:
                rows.append(row)
            i += 1
        if not i:
            return _NO_ROWS
        max_count = repeat.max_count
        if len(rows) > (max_count or len(rows)):
            flags.append(_too_many(code, len(rows), max_count))
        return rows

    def _convert_nested(
        self, raw: Mapping[str, Any], names: Callable[[str], str | None]
    ) -> tuple[dict[str, Any], list[Flag], bool]:
        """:meth:`convert` of ``by_code(raw, names, nested=True)``, in one walk when no code
        is given by two places; and whether every code is known to be text."""
        tree = self._tree(names)
        answers: dict[str, Any] = {}
        flags: list[Flag] = []
        if self._walk(raw, tree.root, tree, answers, flags):
            return answers, flags, True
        answers, flags = self.convert(by_code(raw, names, nested=True))
        return answers, flags, {*map(type, answers)} <= _STR

    def response(
        self,
        raw_answers: Mapping[str, Any],
        *,
        response_id: str,
        submitted_at: datetime,
        round: str,  # noqa: A002 - the interchange format's own name
        language: str | None = None,
        subject: str | None = None,
        deployment: str | None = None,
        platform: str | None = None,
        complete: bool = True,
        extra_flags: Iterable[Flag] = (),
        names: Callable[[str], str | None] | None = None,
        nested: bool = False,
    ) -> Response:
        """A :class:`Response` from answers keyed by codes, converted and flagged.

        ``subject`` fixed by a deployment wins over the answer to ``subject``.
        With ``names``, ``raw_answers`` is keyed by the platform's own names
        (see :func:`by_code`, and its ``nested``), converted in one pass.
        """
        return self._made(
            raw_answers,
            response_id,
            submitted_at,
            round,
            language,
            subject,
            deployment,
            platform,
            complete,
            extra_flags,
            names,
            nested,
        )

    def builder(
        self,
        *,
        round: str | None,  # noqa: A002 - the interchange format's own name
        subject: str | None = None,
        deployment: str | None = None,
        platform: str | None = None,
        complete: bool = True,
        names: Callable[[str], str | None] | None = None,
        nested: bool = False,
    ) -> ResponseBuilder:
        """:func:`~coprod_connectors.responses.build_response` for this instrument with the
        arguments a pull gives every record fixed: ``build(raw_answers, response_id,
        submitted_at, submitted_raw=None, language=None, extra_flags=())`` gives the same
        Response (or error) as ``build_response`` given them all, with less to pass and
        check for each record."""
        made, instrument = self._made, self.instrument

        def build(
            raw_answers: Mapping[str, Any],
            response_id: str,
            submitted_at: datetime | str | None,
            submitted_raw: Any = None,
            language: str | None = None,
            extra_flags: Iterable[Flag] = (),
        ) -> Response:
            if type(submitted_at) is not datetime or submitted_at.tzinfo is not _UTC:
                # text, another zone, none: build_response's own rules for the time
                return build_response(
                    instrument,
                    raw_answers,
                    response_id=response_id,
                    submitted_at=submitted_at,
                    round=round,
                    submitted_raw=submitted_raw,
                    language=language,
                    subject=subject,
                    deployment=deployment,
                    platform=platform,
                    complete=complete,
                    extra_flags=extra_flags,
                    names=names,
                    nested=nested,
                )
            return made(
                raw_answers,
                response_id,
                submitted_at,
                round if round is not None else default_round(submitted_at),
                language,
                subject,
                deployment,
                platform,
                complete,
                extra_flags,
                names,
                nested,
            )

        return build

    def _made(
        self,
        raw_answers: Mapping[str, Any],
        response_id: str,
        submitted_at: datetime,
        round: str,  # noqa: A002 - the interchange format's own name
        language: str | None,
        subject: str | None,
        deployment: str | None,
        platform: str | None,
        complete: bool,
        extra_flags: Iterable[Flag],
        names: Callable[[str], str | None] | None,
        nested: bool = False,
    ) -> Response:
        """:meth:`response` with every argument given in order (a call for each record of
        a pull: keywords cost more to pass)."""
        if names is None:
            answers, flags = self.convert(raw_answers)
            text_keys = {*map(type, answers)} <= _STR
        elif nested:
            answers, flags, text_keys = self._convert_nested(raw_answers, names)
        else:
            answers, flags, text_keys = self._convert_named(raw_answers, names)
        role = answers.get("role")
        if extra_flags:
            flags.extend(extra_flags)
        if not subject:
            found = answers.get("subject")
            subject = found if isinstance(found, str) and found else None
        language = language or self._language
        fields: dict[str, Any] = {
            "instrument": self._id,
            "instrument_version": self._version,
            "response_id": response_id,
            "submitted_at": submitted_at,
            "language": language,
            "round": round,
            "subject": subject,
            "role": role if isinstance(role, str) else None,
            "deployment": deployment,
            "platform": platform,
            "complete": complete,
            "answers": answers,
            "flags": flags,
        }
        # whether Response's validation would take the fields as they are (but the
        # date's zone): only exact types pass; a subclass, or a value validation would
        # convert, is left to the validation
        if not (
            text_keys
            and type(response_id) is str
            and response_id != ""
            and type(submitted_at) is datetime
            and type(language) is str
            and type(round) is str
            and (_ROUNDS.get(round) or _round_name(round))
            and type(subject) in _TEXT_OR_NONE
            and type(fields["role"]) in _TEXT_OR_NONE
            and type(deployment) in _TEXT_OR_NONE
            and type(platform) in _TEXT_OR_NONE
            and type(complete) is bool
            and (not flags or all(type(f) is Flag for f in flags))
        ):
            # something unusual: the model's own validation decides (and explains)
            return Response(**fields)
        zone = submitted_at.tzinfo
        if zone is not _UTC:  # a time already in UTC is kept (astimezone makes an equal copy)
            fields["submitted_at"] = (
                submitted_at.replace(tzinfo=_UTC) if zone is None else submitted_at.astimezone(_UTC)
            )
        if not _MADE_PLAIN:  # pragma: no cover - Response's fields are the ones above
            return construct(Response, fields)
        return _response_of(fields)  # every field is there, in the model's order


_TEXT_OR_NONE = frozenset({str, type(None)})
#: round names seen to be good ones (a pull gives the same one to every record)
_ROUNDS: dict[str, bool] = {}


def _round_name(value: str) -> bool:
    """Whether ``value`` is a round name Response takes (remembered when it is)."""
    good = _ROUND.fullmatch(value) is not None
    if good:
        if len(_ROUNDS) > _NAMES_MAX:
            _ROUNDS.clear()
        _ROUNDS[value] = True
    return good


#: Read it again, the long way (see ConversionPlan._repeat's by_names).
_AGAIN: Any = object()
#: names a plan remembers for one function that names codes, and how many such functions
_NAMES_MAX = 8192
_NAMERS_MAX = 8


class _Names:
    """What a plan learnt of one platform's names (see :meth:`ConversionPlan.response`)."""

    __slots__ = (
        "entries",
        "first",
        "names",
        "row_codes",
        "row_first",
        "row_shared",
        "rows",
        "shared",
    )

    def __init__(self, names: Callable[[str], str | None]) -> None:
        self.names = names
        #: a name's code, the text it takes as it is and its converter (None: no answer)
        self.entries: dict[str, tuple[str, frozenset[str] | None, Any] | None] = {}
        #: the codes of the names in a repeat's rows
        self.rows: dict[str, str | None] = {}
        #: the name that gave each code first
        self.first: dict[str, str] = {}
        #: names that share their code with another name (or give one that is not text)
        self.shared: set[str] = set()
        #: the codes of the names in a repeat's rows read in one pass, the name that gave
        #: each code first, and the names that give a code another name gives too
        self.row_codes: dict[str, Any] = {}
        self.row_first: dict[Any, str] = {}
        self.row_shared: set[str] = set()

    def learn_row(self, name: str) -> Any:
        """The code of a name in a repeat's rows, learnt; ``_AGAIN`` when another name
        gives that code too (rows holding both take two passes)."""
        code = self.row_codes[name] = self.names(name)
        if code is not None:
            first = self.row_first.setdefault(code, name)
            if first != name:
                self.row_shared.update((first, name))
                return _AGAIN
        return code


#: What ``names`` gives, with ``nested``, for a name that holds no answer itself but whose
#: object is a group of answers (walked into); anything else under it is left out.
GROUP = ""
#: A name whose code another place in a record gives too (see ConversionPlan._learn_nested).
_SHARED: Any = object()
#: A repeat none of whose items is an object (see ConversionPlan._walk_rows).
_NO_ROWS: Any = object()


class _Tree:
    """What a plan learnt of one platform's names in records of nested groups: a table
    of entries for each group (by its place in the record), and each name's code."""

    __slots__ = ("codes", "first", "names", "repeats", "root", "rows_first", "size")

    def __init__(self, names: Callable[[str], str | None]) -> None:
        self.names = names
        #: the top level's entries (a group's own table is in its entry)
        self.root: dict[str, Any] = {}
        #: each repeat's (by its code) table of its rows' entries
        self.repeats: dict[str, dict[str, Any]] = {}
        #: ... and for each, the table and name that gave each code of a row first
        self.rows_first: dict[str, dict[str, tuple[dict[str, Any], str]]] = {}
        #: the table and name that gave each code first
        self.first: dict[str, tuple[dict[str, Any], str]] = {}
        #: what ``names`` said of each name (for repeats' rows)
        self.codes: dict[str, str | None] = {}
        self.size = 0


def by_code(
    raw: Mapping[str, Any], names: Callable[[str], str | None], *, nested: bool = False
) -> dict[str, Any]:
    """A record keyed by a platform's names (such as group paths) keyed by codes instead.

    ``names(name)`` is the code a name holds the answer to, or None for a name
    that holds none (the platform's metadata, a note); it must give a name the
    same code every time. A list of objects (a repeat) has its rows keyed by
    codes too. A code given by more than one name takes the first one's value.

    ``nested``: the record's groups are objects in it (``{"about": {"role": "staff"}}``):
    an object (a dict) under a name ``names`` gives a code or :data:`GROUP` is a group,
    whose names are read as the record's own, and what ``names`` says of a group's name
    holds nothing else; a list under a code is a repeat, its rows the objects in it
    (anything else in it is left out), read the same way. A code given twice takes the
    first value, but a repeat takes the last.
    """
    if nested:
        answers: dict[str, Any] = {}
        _nested_into(raw, names, {}, answers)
        return answers
    answers = {}
    rows: dict[str, str | None] = {}
    for name, value in raw.items():
        code = names(name)
        if code is None:
            continue
        if isinstance(value, list) and _objects(value):
            value = _rows_by_code(value, rows, names)
        answers.setdefault(code, value)
    return answers


def _nested_into(
    node: Mapping[str, Any],
    names: Callable[[str], str | None],
    codes: dict[str, str | None],
    answers: dict[str, Any],
) -> None:
    """The answers in ``node`` and the groups in it into ``answers`` (see :func:`by_code`);
    ``codes`` remembers what ``names`` said."""
    for name, value in node.items():
        try:
            code = codes[name]
        except KeyError:
            code = codes[name] = names(name)
        if code is None:
            continue
        cls = type(value)
        if cls is dict:
            _nested_into(value, names, codes, answers)
        elif code == GROUP:
            continue
        elif cls is list:
            rows = []
            for item in value:
                if type(item) is dict:
                    row: dict[str, Any] = {}
                    _nested_into(item, names, codes, row)
                    rows.append(row)
            answers[code] = rows
        elif code not in answers:
            answers[code] = value


def _nested_row(item: Mapping[str, Any], tree: _Tree) -> dict[str, Any]:
    """A repeat's row of a nested record, keyed by codes (what ``names`` said remembered)."""
    row: dict[str, Any] = {}
    codes = tree.codes
    if len(codes) > _NAMES_MAX:
        codes.clear()
    _nested_into(item, tree.names, codes, row)
    return row


def _rows_by_code(
    value: list[Mapping[str, Any]],
    codes: dict[str, str | None],
    names: Callable[[str], str | None],
) -> list[dict[str, Any]]:
    """A repeat's rows keyed by codes (``codes`` remembers what ``names`` said)."""
    rows: list[dict[str, Any]] = []
    for item in value:
        row: dict[str, Any] = {}
        for name, inner in item.items():
            try:
                code = codes[name]
            except KeyError:
                code = codes[name] = names(name)
            if code is not None:
                row[code] = inner
        rows.append(row)
    return rows


_M = TypeVar("_M", bound=BaseModel)
_PLAIN: dict[type[BaseModel], tuple[str, ...] | None] = {}


def _plain_fields(cls: type[BaseModel]) -> tuple[str, ...] | None:
    """The field names of a model ``construct`` can build directly, or None (use model_construct).

    Directly: no aliases, no extra fields kept, no private attributes, nothing run after init.
    """
    if cls not in _PLAIN:
        fields = cls.model_fields
        plain = (
            not cls.__pydantic_root_model__
            and not cls.__pydantic_post_init__
            and not cls.__private_attributes__
            and cls.model_config.get("extra") != "allow"
            and all(f.alias is None and f.validation_alias is None for f in fields.values())
        )
        _PLAIN[cls] = tuple(fields) if plain else None
    return _PLAIN[cls]


def construct(cls: type[_M], fields: dict[str, Any]) -> _M:
    """``cls.model_construct(**fields)``, the same object, made quicker when ``fields`` has
    every field of ``cls`` in the model's order (and the model is plain: no aliases...).

    Like ``model_construct`` it checks nothing: only for values already checked.
    pydantic's ``model_construct`` walks every field's aliases and defaults in
    Python and costs more than validating a small model; here the instance's
    ``__dict__`` is ``fields`` itself, as ``model_construct`` would make it.
    """
    names = _PLAIN.get(cls, _UNKNOWN)
    if names is _UNKNOWN:
        names = _plain_fields(cls)
    if names is None or tuple(fields) != names:
        return cls.model_construct(**fields)
    return _made(cls, fields, names)


_new = object.__new__
# pydantic's own slots, which every model has; their descriptors are called directly
# (``object.__setattr__`` would look each one up through the class first)
_slots = BaseModel.__dict__
_set_dict = _slots["__dict__"].__set__
_set_fields_set = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__


def _made(cls: type[_M], fields: dict[str, Any], names: Iterable[str]) -> _M:
    """An instance of ``cls`` holding ``fields`` as ``model_construct`` leaves it: the
    fields as its ``__dict__``, ``names`` as the fields set, no extra, no private."""
    made: _M = _new(cls)
    _set_dict(made, fields)
    _set_fields_set(made, set(names))
    _set_extra(made, None)
    _set_private(made, None)
    return made


# --- reading a Response back from its JSON ------------------------------------------------

_RESPONSE_FIELDS = tuple(Response.model_fields)
_RESPONSE_NAMES = frozenset(_RESPONSE_FIELDS)
#: whether ConversionPlan._made's fields are Response's, in order, for construct's way
_MADE_PLAIN = _plain_fields(Response) == (
    "instrument",
    "instrument_version",
    "response_id",
    "submitted_at",
    "language",
    "round",
    "subject",
    "role",
    "deployment",
    "platform",
    "complete",
    "answers",
    "flags",
)
_FLAG_FIELDS = tuple(Flag.model_fields)
_FLAG_KINDS = {kind.value: kind for kind in FlagKind}
#: A time in UTC as :meth:`Response.to_json` writes it (ASCII digits only: ``\d`` would take
#: any script's digits).
_WRITTEN_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?Z")


def response_from_json(text: str | bytes) -> Response:
    """``Response.model_validate_json(text)``: the same response, or the same error.

    Quicker for JSON in the form :meth:`Response.to_json` writes (every field, in
    the model's order, the time in UTC with ``Z``), such as a store's rows:
    the text is parsed by pydantic's own JSON parser (so numbers, nesting and
    escapes read exactly as validation reads them), every field's type is
    checked as validation would check it, and the response is built without a
    second validation. Anything else (a field missing, added or of another
    type, another form of time, a round or flag validation would refuse, text
    that is not JSON) goes through the model's full validation, which decides
    and explains.
    """
    made = _as_written(text)
    return Response.model_validate_json(text) if made is None else made


def _as_written(text: Any) -> Response | None:
    """The response ``text`` holds when it is in the form ``to_json`` writes and would pass
    validation unchanged (but the time, read here exactly as validation reads it); else None."""
    if type(text) is not str and type(text) is not bytes:
        return None
    try:
        data = from_json(text)
    except ValueError:
        return None
    if type(data) is not dict or tuple(data) != _RESPONSE_FIELDS:
        return None
    (
        instrument,
        version,
        response_id,
        submitted_at,
        language,
        round_,
        subject,
        role,
        deployment,
        platform,
        complete,
        answers,
        flags,
    ) = data.values()
    if not (
        type(instrument) is str
        and type(version) is str
        and type(response_id) is str
        and response_id != ""
        and type(language) is str
        and type(round_) is str
        and type(subject) in _TEXT_OR_NONE
        and type(role) in _TEXT_OR_NONE
        and type(deployment) in _TEXT_OR_NONE
        and type(platform) in _TEXT_OR_NONE
        and type(complete) is bool
        and type(answers) is dict
        and type(flags) is list
        and type(submitted_at) is str
        and _WRITTEN_TIME.fullmatch(submitted_at) is not None
        and _ROUND.fullmatch(round_) is not None
    ):
        return None
    try:  # the form is checked above; what remains is whether the date exists
        data["submitted_at"] = datetime.fromisoformat(submitted_at[:-1] + "+00:00")
    except ValueError:
        return None
    if flags:
        made = [_flag_as_written(f) for f in flags]
        if not all(made):
            return None
        data["flags"] = made
    return _response_of(data)


def _response_of(fields: dict[str, Any]) -> Response:
    """``construct(Response, fields)`` without its checks, for ``fields`` known to hold every
    field of Response in its order (and checked)."""
    return _made(Response, fields, _RESPONSE_NAMES)


def _flag_as_written(item: Any) -> Flag | None:
    if type(item) is not dict or tuple(item) != _FLAG_FIELDS:
        return None
    code, kind, value, message = item.values()
    if type(code) is not str or type(kind) is not str or type(message) is not str:
        return None
    found = _FLAG_KINDS.get(kind)
    if found is None:
        return None
    return construct(Flag, {"code": code, "kind": found, "value": value, "message": message})


# Instruments are frozen, so their plans never go stale; keyed by id() and
# checked by identity, since a model with dict fields cannot be hashed.
_PLANS: dict[int, ConversionPlan] = {}
_PLANS_MAX = 64


def plan_for(instrument: Instrument) -> ConversionPlan:
    """The conversion plan of ``instrument`` (made on first use, then reused)."""
    found = _PLANS.get(id(instrument))
    if found is None or found.instrument is not instrument:
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        found = _PLANS[id(instrument)] = ConversionPlan(instrument)
    return found


__all__ = [
    "GROUP",
    "ConversionPlan",
    "Converter",
    "ResponseBuilder",
    "by_code",
    "construct",
    "plan_for",
    "response_from_json",
]
