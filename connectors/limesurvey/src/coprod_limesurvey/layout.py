"""How an instrument's codes become LimeSurvey codes and response columns, and back.

The instrument's codes are used unchanged wherever LimeSurvey allows it:

==================  ====================================  ==========================
instrument          LimeSurvey                            export column (code heading)
==================  ====================================  ==========================
question ``q``      question ``q``                        ``q``
grid ``g`` row      array ``g``, subquestion ``r``        ``g[r]``
multiple ``m``      multiple choice ``m``, subquestion    ``m[c]`` = ``Y`` or empty
                    ``c`` per choice
repeat ``rep``      row *n* of ``max_count``: a text      ``inner{n}`` (``inner{n}[c]``
with inner ``i``    display ``rep{n}`` and questions      for a multiple choice)
                    ``i{n}``
==================  ====================================  ==========================

A repeat's rows become numbered questions because LimeSurvey has no repeating
groups; row *n + 1* is shown only once row *n* has an answer. :func:`assemble`
turns an export row back into answers keyed by the instrument's codes, with a
repeat as a list of objects.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from coprod_connectors import (
    MEDIA_KINDS,
    Instrument,
    InstrumentError,
    Problem,
    Question,
    QuestionKind,
)

#: LimeSurvey's limit on question codes.
CODE_MAX = 20

#: Columns every response table has, which are not answers.
META_COLUMNS = frozenset(
    {
        "id",
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "token",
        "startdate",
        "datestamp",
        "ipaddr",
        "refurl",
    }
)

#: What a multiple choice column holds when the choice is not ticked ("full answers"
#: exports write "N/A"; LimeSurvey itself writes an empty cell or "N").
UNTICKED = frozenset({"N", "NO", "0", "N/A"})

#: Codes LimeSurvey's Expression Manager reserves for top-level questions.
RESERVED_CODES = frozenset(
    {"LANG", "SID", "SAVEDID", "TOKEN", "QID", "GID", "SGQ", "self", "that", "this"}
)


def row_code(code: str, row: int) -> str:
    """The LimeSurvey code of a repeat's inner question (or its header) in row ``row`` (1-based)."""
    return f"{code}{row}"


@dataclass(frozen=True)
class Target:
    """Where one export column goes in the answers.

    ``code`` is the instrument's answer code (a question, a grid row, or a
    repeat's inner question); ``repeat`` and ``row`` (0-based) place an inner
    answer; ``choice`` is set for a multiple choice's Y/N column.
    """

    code: str
    repeat: str | None = None
    row: int | None = None
    choice: str | None = None
    media: bool = False


def _question_columns(
    instrument: Instrument, question: Question, ls_code: str
) -> Iterator[tuple[str, str | None, str | None]]:
    """(column, answer code, choice) for one question placed as ``ls_code``."""
    kind = question.kind
    if kind is QuestionKind.MATRIX:
        for row in question.rows or ():
            yield f"{ls_code}[{row.code}]", row.code, None
    elif kind is QuestionKind.MULTIPLE_CHOICE:
        for choice in instrument.choices_for(question):
            yield f"{ls_code}[{choice.code}]", question.code, choice.code
    elif kind not in {QuestionKind.NOTE, QuestionKind.REPEAT}:
        yield ls_code, question.code, None


def columns(instrument: Instrument) -> dict[str, Target]:
    """Every answer column the rendered survey has, and where it goes."""
    found: dict[str, Target] = {}
    for section in instrument.sections:
        for question in section.questions:
            if question.kind is QuestionKind.REPEAT:
                for n in range(1, (question.max_count or 1) + 1):
                    for inner in question.questions or ():
                        for column, code, choice in _question_columns(
                            instrument, inner, row_code(inner.code, n)
                        ):
                            found[column] = Target(
                                code=code or inner.code,
                                repeat=question.code,
                                row=n - 1,
                                choice=choice,
                                media=inner.kind in MEDIA_KINDS,
                            )
            else:
                for column, code, choice in _question_columns(instrument, question, question.code):
                    found[column] = Target(
                        code=code or question.code,
                        choice=choice,
                        media=question.kind in MEDIA_KINDS,
                    )
    return found


def generated_codes(instrument: Instrument) -> Iterator[tuple[str, str]]:
    """(LimeSurvey code, what it stands for) for every top-level LimeSurvey question."""
    for s, section in enumerate(instrument.sections):
        for q, question in enumerate(section.questions):
            path = f"sections[{s}].questions[{q}]"
            if question.kind is QuestionKind.REPEAT:
                for n in range(1, (question.max_count or 1) + 1):
                    yield row_code(question.code, n), f"{path} (row {n} heading)"
                    for j, inner in enumerate(question.questions or ()):
                        yield row_code(inner.code, n), f"{path}.questions[{j}] (row {n})"
            else:
                yield question.code, path


def _free_code(instrument: Instrument, stem: str, suffix: str) -> str:
    """``stem + suffix``, or with a number when an instrument code has that name."""
    taken = {code.lower() for code, _ in generated_codes(instrument)}
    code = f"{stem}{suffix}"[:CODE_MAX]
    n = 1
    while code.lower() in taken:
        n += 1
        code = f"{stem[: CODE_MAX - len(suffix) - 1]}{suffix}{n}"
    return code


def intro_code(instrument: Instrument, section_code: str) -> str:
    """The code of the text display that opens a section when a page holds one question."""
    return _free_code(instrument, section_code, "Intro")


def language_code(instrument: Instrument) -> str:
    """The code of the hidden equation that keeps the language a person finished in."""
    return _free_code(instrument, "answer", "Lang")


def check_codes(instrument: Instrument) -> None:
    """Raise an InstrumentError if a generated LimeSurvey code is too long, reserved or taken."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for code, where in generated_codes(instrument):
        if len(code) > CODE_MAX:
            problems.append(
                Problem(
                    where,
                    f"becomes the LimeSurvey code {code!r}, longer than {CODE_MAX} characters; "
                    "shorten the code",
                )
            )
        if code in RESERVED_CODES:
            problems.append(Problem(where, f"{code!r} is a reserved word in LimeSurvey"))
        key = code.lower()
        if key in seen:
            problems.append(
                Problem(where, f"becomes the LimeSurvey code {code!r}, also used by {seen[key]}")
            )
        else:
            seen[key] = where
    if problems:
        raise InstrumentError(problems, source=f"{instrument.id} {instrument.version}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


#: A file upload question's second column: how many files came with the answer
#: (``code[filecount]`` in an export with code headings, ``..._filecount`` in the database).
FILECOUNT_SUFFIXES = ("[filecount]", "_filecount")


def is_filecount(column: str, targets: Mapping[str, Target]) -> bool:
    """True for the file count column of a file upload question the survey has."""
    for suffix in FILECOUNT_SUFFIXES:
        if column.endswith(suffix):
            target = targets.get(column[: -len(suffix)])
            return target is not None and target.media
    return False


def uploaded_file_names(value: Any) -> list[str]:
    """The file names in a file upload answer (LimeSurvey keeps a JSON list of files).

    Answers are the uploaded files' own names, as KoboToolbox answers are: the
    names ``coprod attachments`` saves them under. A value that is not such a
    list is returned as it came, so that it is flagged, not lost.
    """
    files: Any = value
    if not isinstance(value, list):
        try:
            files = json.loads(str(value))
        except ValueError:
            return [str(value)]
    if not isinstance(files, list):
        return [str(value)]
    names = []
    for item in files:
        if isinstance(item, Mapping):
            name = item.get("name") or item.get("filename")
            if isinstance(name, str) and name:
                names.append(name)
    return names


class Assembler:
    """:func:`assemble` for one instrument, its columns looked at once (build once per pull)."""

    def __init__(
        self,
        instrument: Instrument,
        targets: Mapping[str, Target] | None = None,
        *,
        ignore: Collection[str] = (),
    ) -> None:
        self.targets = columns(instrument) if targets is None else targets
        #: columns that are never answers: LimeSurvey's own, and ``ignore``
        self.skipped = META_COLUMNS | frozenset(ignore)
        #: columns that hold one answer to one code as it is (most of them)
        self.simple: dict[str, str] = {}
        #: the others: a multiple choice's columns, a repeat's, a file upload's
        self.placed: dict[str, Target] = {}
        for column, target in self.targets.items():
            if column in self.skipped:
                continue
            if target.repeat is None and target.choice is None and not target.media:
                self.simple[column] = target.code
            else:
                self.placed[column] = target

    def __call__(self, row: Mapping[str, Any]) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        repeats: dict[str, dict[int, dict[str, Any]]] = {}
        simple, placed = self.simple, self.placed
        for column, value in row.items():
            # blank cells are left out (``_blank``, written out: this runs for every cell)
            if type(value) is str:
                if not value.strip():
                    continue
            elif value is None or _blank(value):
                continue
            code = simple.get(column)
            if code is not None:
                answers[code] = value
                continue
            target = placed.get(column)
            if target is None:
                if column not in self.skipped and not is_filecount(column, self.targets):
                    answers[column] = value
                continue
            if target.media:
                names = uploaded_file_names(value)
                if not names:
                    continue
                value = names[0] if len(names) == 1 else names
            if target.repeat is not None:
                slot = repeats.setdefault(target.repeat, {}).setdefault(target.row or 0, {})
            else:
                slot = answers
            if target.choice is not None:
                if str(value).strip().upper() not in UNTICKED:
                    slot.setdefault(target.code, []).append(target.choice)
            else:
                slot[target.code] = value
        for repeat, rows in repeats.items():
            answers[repeat] = [rows[n] for n in sorted(rows) if rows[n]]
        return answers


def assemble(
    instrument: Instrument, row: Mapping[str, Any], targets: Mapping[str, Target] | None = None
) -> dict[str, Any]:
    """An export row (code headings) as raw answers keyed by the instrument's codes.

    Blank cells are left out; a multiple choice becomes the list of its ticked
    choices; a repeat becomes a list of row objects (rows with no answer are
    dropped); a file upload becomes the uploaded file's name (a list of names
    for several); its file count column is left out. A column the instrument
    does not know is kept under its own name so that it is flagged, not lost.
    (For many rows, build an :class:`Assembler` once.)
    """
    return Assembler(instrument, targets)(row)


def disassemble(instrument: Instrument, answers: Mapping[str, Any]) -> dict[str, str]:
    """Answers keyed by the instrument's codes as export columns (the inverse of :func:`assemble`).

    Used to write answers into LimeSurvey (add_response wants them per column)
    and to check that a round trip gives back what was sent.
    """
    targets = columns(instrument)
    by_place: dict[tuple[str | None, int | None, str, str | None], str] = {
        (t.repeat, t.row, t.code, t.choice): column for column, t in targets.items()
    }
    cells: dict[str, str] = {}

    def put(repeat: str | None, row: int | None, code: str, value: Any) -> None:
        if isinstance(value, list):
            for choice in value:
                column = by_place.get((repeat, row, code, str(choice)))
                if column is None:
                    raise KeyError(f"{code}: no column for choice {choice!r}")
                cells[column] = "Y"
            return
        column = by_place.get((repeat, row, code, None))
        if column is None:
            raise KeyError(f"no column for {code!r}")
        cells[column] = str(value)

    repeats = {q.code for _, _, q in instrument.iter_questions() if q.kind is QuestionKind.REPEAT}
    for code, value in answers.items():
        if code in repeats:
            for row, item in enumerate(value):
                for inner, inner_value in item.items():
                    put(code, row, inner, inner_value)
        else:
            put(None, None, code, value)
    return cells


__all__ = [
    "CODE_MAX",
    "FILECOUNT_SUFFIXES",
    "META_COLUMNS",
    "RESERVED_CODES",
    "Assembler",
    "Target",
    "assemble",
    "check_codes",
    "columns",
    "disassemble",
    "generated_codes",
    "intro_code",
    "is_filecount",
    "language_code",
    "row_code",
    "uploaded_file_names",
]
