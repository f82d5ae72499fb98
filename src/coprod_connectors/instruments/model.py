"""The instrument model: one definition that every platform renders and the scorer reads.

An instrument is sections of questions. Every question, grid row and choice has
a ``code`` that is legal on every supported platform (the strictest rules the
connectors need: letters and digits, starting with a letter, at most 20
characters; choice codes at most 5; XLSForm names: XML names), so that a response maps back to the
instrument without guessing.

Structural rules (types, required fields, code syntax) are checked field by
field; rules that need the whole instrument (unique codes, every text in every
language, relevance pointing at earlier questions and real choices) are
checked by :meth:`Instrument._check_whole` and reported all at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from coprod_connectors.safety import control_characters

QUESTION_CODE_MAX = 20
CHOICE_CODE_MAX = 5
_QUESTION_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CHOICE_CODE = re.compile(r"[A-Za-z0-9]+")
_INSTRUMENT_ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,39}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
#: A built-in pictogram's name: lowercase words joined by hyphens, no file extension.
_PICTOGRAM = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
#: A media file's name inside the instrument's folder: plain folder and file names only.
_MEDIA_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,99}")
IMAGE_TYPES = frozenset({"png", "jpg", "jpeg", "svg", "webp", "gif"})
AUDIO_TYPES = frozenset({"mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "webm", "amr", "3gp"})

#: Names used where a platform wants a language's name as well as its code
#: (XLSForm columns such as ``label::Cymraeg (cy)``).
LANGUAGE_NAMES: dict[str, str] = {
    "ar": "العربية",
    "bn": "বাংলা",
    "cy": "Cymraeg",
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ga": "Gaeilge",
    "gd": "Gàidhlig",
    "gu": "ગુજરાતી",
    "pa": "ਪੰਜਾਬੀ",
    "pl": "Polski",
    "pt": "Português",
    "ro": "Română",
    "so": "Soomaali",
    "ur": "اردو",
}


def language_name(code: str) -> str:
    """The language's own name, or its code when this project does not know it."""
    return LANGUAGE_NAMES.get(code, code)


def _as_code_text(value: Any) -> Any:
    # YAML reads 1 as an int; a code is always text. YAML also reads yes, no,
    # on and off as true/false, which is never what an author meant by a code.
    if isinstance(value, bool):
        raise PydanticCustomError(
            "code_bool",
            "YAML read this code as {value}; put the code in quotes, e.g. 'yes'",
            {"value": str(value).lower()},
        )
    if isinstance(value, int):
        return str(value)
    return value


def _check_question_code(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not _QUESTION_CODE.fullmatch(value):
        raise PydanticCustomError(
            "code_syntax",
            "{value} must be letters and digits only, starting with a letter",
            {"value": repr(value)},
        )
    if len(value) > QUESTION_CODE_MAX:
        raise PydanticCustomError(
            "code_length",
            "{value} is {length} characters long; codes may have at most {limit}",
            {"value": repr(value), "length": len(value), "limit": QUESTION_CODE_MAX},
        )
    return value


def _check_choice_code(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not _CHOICE_CODE.fullmatch(value):
        raise PydanticCustomError(
            "code_syntax", "{value} must be letters and digits only", {"value": repr(value)}
        )
    if len(value) > CHOICE_CODE_MAX:
        raise PydanticCustomError(
            "code_length",
            "{value} is {length} characters long; choice codes may have at most {limit}",
            {"value": repr(value), "length": len(value), "limit": CHOICE_CODE_MAX},
        )
    return value


def _check_media(value: Any, types: frozenset[str], what: str) -> Any:
    """A built-in pictogram name, or a file beside the instrument (never outside its folder)."""
    if not isinstance(value, str):
        return value
    if _PICTOGRAM.fullmatch(value):
        return value
    if value.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", value) or "\\" in value:
        raise PydanticCustomError(
            "media_path",
            "{value} must be a file name relative to the instrument file, not an absolute path",
            {"value": repr(value)},
        )
    parts = value.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        raise PydanticCustomError(
            "media_path",
            "{value} must stay inside the instrument's folder (no '..', no empty parts)",
            {"value": repr(value)},
        )
    if not all(_MEDIA_PART.fullmatch(part) for part in parts):
        raise PydanticCustomError(
            "media_path",
            "{value} may only use letters, digits, spaces, '.', '_', '-' and '/'",
            {"value": repr(value)},
        )
    extension = value.rsplit(".", 1)[-1].lower() if "." in parts[-1] else ""
    if extension not in types:
        raise PydanticCustomError(
            "media_type",
            "{value} is not {what} file ({types}), nor a built-in pictogram name",
            {"value": repr(value), "what": what, "types": ", ".join(sorted(types))},
        )
    return value


def _image(value: Any) -> Any:
    return _check_media(value, IMAGE_TYPES, "an image")


def _audio(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _check_media(v, AUDIO_TYPES, "an audio") for k, v in value.items()}
    return _check_media(value, AUDIO_TYPES, "an audio")


#: A picture: a built-in pictogram name (``stage-1``) or an image file beside the instrument.
ImageRef = Annotated[str, BeforeValidator(_image)]
#: A sound: an audio file beside the instrument, or one per language (``{en: a.mp3, cy: b.mp3}``).
AudioRef = Annotated[str | dict[str, str], BeforeValidator(_audio)]

QuestionCode = Annotated[str, BeforeValidator(_check_question_code), BeforeValidator(_as_code_text)]
ChoiceCode = Annotated[str, BeforeValidator(_check_choice_code), BeforeValidator(_as_code_text)]

#: A text in every language of the instrument: ``{"en": "...", "cy": "..."}``.
Text = dict[str, Annotated[str, Field(min_length=1)]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class QuestionKind(str, Enum):
    """What kind of answer a question takes."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DATE = "date"
    NOTE = "note"
    AUDIO = "audio"
    IMAGE = "image"
    MATRIX = "matrix"
    REPEAT = "repeat"

    def __str__(self) -> str:
        return self.value


CHOICE_KINDS = frozenset(
    {QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.MATRIX}
)
#: Kinds that hold no answer of their own.
CONTAINER_KINDS = frozenset({QuestionKind.NOTE, QuestionKind.MATRIX, QuestionKind.REPEAT})
#: Kinds some platforms cannot collect; they fall back to a long text question there.
MEDIA_KINDS = frozenset({QuestionKind.AUDIO, QuestionKind.IMAGE})


# --- relevance ---------------------------------------------------------------


class AnswerIn(_Model):
    """True when ``question``'s answer is one of ``in`` (a multiple choice: any of them)."""

    question: QuestionCode
    in_: Annotated[list[ChoiceCode], Field(alias="in", min_length=1)]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def describe(self) -> str:
        return f"{self.question} is {' or '.join(self.in_)}"


class Answered(_Model):
    """True when ``question`` has any answer (or, with ``answered: false``, none)."""

    question: QuestionCode
    answered: bool = True

    def describe(self) -> str:
        return f"{self.question} is {'answered' if self.answered else 'not answered'}"


class AllOf(_Model):
    """True when every condition is true."""

    all: Annotated[list[Condition], Field(min_length=1)]

    def describe(self) -> str:
        return " and ".join(f"({c.describe()})" for c in self.all)


class AnyOf(_Model):
    """True when at least one condition is true."""

    any: Annotated[list[Condition], Field(min_length=1)]

    def describe(self) -> str:
        return " or ".join(f"({c.describe()})" for c in self.any)


class Not(_Model):
    """True when the condition is false."""

    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def describe(self) -> str:
        return f"not ({self.not_.describe()})"


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return type(value).__name__
    if not isinstance(value, Mapping):
        return None
    for key, tag in (("all", "AllOf"), ("any", "AnyOf"), ("not", "Not"), ("in", "AnswerIn")):
        if key in value:
            return tag
    if "question" in value:
        return "Answered"
    return None


Condition = Annotated[
    Annotated[AnswerIn, Tag("AnswerIn")]
    | Annotated[Answered, Tag("Answered")]
    | Annotated[AllOf, Tag("AllOf")]
    | Annotated[AnyOf, Tag("AnyOf")]
    | Annotated[Not, Tag("Not")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition",
        custom_error_message=(
            "a condition is {question: CODE, in: [CHOICES]}, {question: CODE, answered: true},"
            " {all: [...]}, {any: [...]} or {not: ...}"
        ),
    ),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


def condition_questions(condition: Condition) -> Iterator[AnswerIn | Answered]:
    """The leaf conditions of ``condition``, each naming one question."""
    if isinstance(condition, (AnswerIn, Answered)):
        yield condition
    elif isinstance(condition, AllOf):
        for c in condition.all:
            yield from condition_questions(c)
    elif isinstance(condition, AnyOf):
        for c in condition.any:
            yield from condition_questions(c)
    else:
        yield from condition_questions(condition.not_)


# --- questions -----------------------------------------------------------------


class Choice(_Model):
    """One answer a choice question offers.

    ``description`` is short enough to scan on a phone; ``details`` is the longer
    text, shown one tap away.
    """

    code: ChoiceCode
    label: Text
    description: Text | None = None
    details: Text | None = None
    image: ImageRef | None = None
    audio: AudioRef | None = None


class Row(_Model):
    """One statement of a grid (``matrix``) question; answers are keyed by its code."""

    code: QuestionCode
    label: Text
    hint: Text | None = None
    image: ImageRef | None = None
    audio: AudioRef | None = None


class Question(_Model):
    """A question, a display-only note, a grid of statements, or a repeated group."""

    code: QuestionCode
    kind: QuestionKind
    label: Text
    hint: Text | None = None
    image: ImageRef | None = None
    audio: AudioRef | None = None
    required: bool = False
    relevant: Condition | None = None
    choices: list[Choice] | None = None
    choice_list: str | None = None
    rows: Annotated[list[Row], Field(min_length=1)] | None = None
    questions: Annotated[list[Question], Field(min_length=1)] | None = None
    max_count: Annotated[int, Field(ge=1, le=50)] | None = None
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> Question:
        kind = self.kind
        if kind in CHOICE_KINDS:
            if (self.choices is None) == (self.choice_list is None):
                raise PydanticCustomError(
                    "choices",
                    "a {kind} question needs either choices or choice_list",
                    {"kind": kind},
                )
        elif self.choices is not None or self.choice_list is not None:
            raise PydanticCustomError(
                "choices", "a {kind} question cannot have choices", {"kind": kind}
            )
        if (kind is QuestionKind.MATRIX) != (self.rows is not None):
            raise PydanticCustomError(
                "rows", "rows belong to matrix questions, and every matrix question needs them", {}
            )
        if kind is QuestionKind.REPEAT:
            if self.questions is None or self.max_count is None:
                raise PydanticCustomError("repeat", "a repeat needs questions and max_count", {})
            if any(q.kind is QuestionKind.REPEAT for q in self.questions):
                raise PydanticCustomError("repeat", "a repeat cannot hold another repeat", {})
        elif self.questions is not None or self.max_count is not None:
            raise PydanticCustomError(
                "repeat", "questions and max_count belong to repeat questions only", {}
            )
        if kind is not QuestionKind.INTEGER and (self.min is not None or self.max is not None):
            raise PydanticCustomError("bounds", "min and max belong to integer questions only", {})
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError(
                "bounds",
                "min ({min}) is greater than max ({max})",
                {"min": self.min, "max": self.max},
            )
        if kind is QuestionKind.NOTE and self.required:
            raise PydanticCustomError("required", "a note cannot be required", {})
        return self

    @property
    def answer_codes(self) -> list[str]:
        """The codes answers to this question are keyed by (rows for a grid; none for a note)."""
        if self.kind is QuestionKind.MATRIX:
            return [r.code for r in self.rows or ()]
        if self.kind is QuestionKind.NOTE:
            return []
        return [self.code]


class Section(_Model):
    """A page or group of questions."""

    code: QuestionCode
    title: Text
    description: Text | None = None
    relevant: Condition | None = None
    questions: Annotated[list[Question], Field(min_length=1)]


class Instrument(_Model):
    """A questionnaire definition, validated as a whole.

    ``languages[0]`` is the default language; every text must be given in
    every language listed.
    """

    id: str
    version: Annotated[str, Field(min_length=1, max_length=40)]
    languages: Annotated[list[str], Field(min_length=1)]
    title: Text
    description: Text | None = None
    #: Shown at the end of the form: thanks, and what happens next.
    end: Text | None = None
    attribution: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    choice_lists: dict[str, Annotated[list[Choice], Field(min_length=1)]] = Field(
        default_factory=dict
    )
    sections: Annotated[list[Section], Field(min_length=1)]
    #: The folder media file names are relative to (set by the loader; None: the built-ins').
    _folder: Path | None = PrivateAttr(default=None)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def folder(self) -> Path | None:
        """The folder this instrument was loaded from (its media files live there)."""
        return self._folder

    def located(self, folder: Path | None) -> Instrument:
        """This instrument, with media file names read relative to ``folder``."""
        copy = self.model_copy()
        copy._folder = folder
        return copy

    def media(self) -> Iterator[tuple[str, str, str]]:
        """(where, ``image`` or ``audio``, reference) for every picture and sound, in order.

        A per-language sound yields one reference per language.
        """
        for path, item in _media_holders(self):
            if item.image is not None:
                yield path, "image", item.image
            audio = item.audio
            if isinstance(audio, str):
                yield path, "audio", audio
            elif audio is not None:
                for lang in self.languages:
                    if lang in audio:
                        yield f"{path}.audio.{lang}", "audio", audio[lang]

    # -- navigation ------------------------------------------------------------

    def iter_questions(self) -> Iterator[tuple[Section, Question | None, Question]]:
        """Every question in order as (section, enclosing repeat or None, question).

        A repeat is yielded before the questions inside it.
        """
        for section in self.sections:
            for question in section.questions:
                yield section, None, question
                for inner in question.questions or ():
                    yield section, question, inner

    def question(self, code: str) -> Question:
        """The question with ``code`` (a grid row's code gives its grid question)."""
        found = self._index().get(code)
        if found is None:
            raise KeyError(code)
        return found

    def choices_for(self, question: Question) -> list[Choice]:
        """The choices a question offers, resolving ``choice_list``."""
        if question.choices is not None:
            return question.choices
        if question.choice_list is not None:
            return self.choice_lists[question.choice_list]
        return []

    def answer_codes(self) -> list[str]:
        """Every code an answer can be keyed by, in order (repeats' inner codes included)."""
        return [code for _, _, q in self.iter_questions() for code in q.answer_codes]

    def question_count(self) -> int:
        """How many answerable questions there are (grid rows count one each; notes none)."""
        return sum(
            len(q.answer_codes)
            for _, _, q in self.iter_questions()
            if q.kind is not QuestionKind.REPEAT
        )

    def _index(self) -> dict[str, Question]:
        index: dict[str, Question] = {}
        for _, _, q in self.iter_questions():
            index.setdefault(q.code, q)
            for row in q.rows or ():
                index.setdefault(row.code, q)
        return index

    # -- whole-instrument checks -----------------------------------------------

    @model_validator(mode="after")
    def _check_whole(self) -> Instrument:
        problems = list(_whole_problems(self))
        if problems:
            raise PydanticCustomError(
                "instrument",
                "{count} problem(s) in the instrument",
                {"count": len(problems), "problems": problems},
            )
        return self


def _texts(instrument: Instrument) -> Iterator[tuple[str, Text | None]]:
    """(path, text) for every translatable text in the instrument."""
    yield "title", instrument.title
    yield "description", instrument.description
    yield "end", instrument.end
    for name, choices in instrument.choice_lists.items():
        for j, choice in enumerate(choices):
            yield f"choice_lists.{name}[{j}].label", choice.label
            yield f"choice_lists.{name}[{j}].description", choice.description
            yield f"choice_lists.{name}[{j}].details", choice.details
    for s, section in enumerate(instrument.sections):
        yield f"sections[{s}].title", section.title
        yield f"sections[{s}].description", section.description
        for q, question in enumerate(section.questions):
            yield from _question_texts(f"sections[{s}].questions[{q}]", question)


def _question_texts(path: str, question: Question) -> Iterator[tuple[str, Text | None]]:
    yield f"{path}.label", question.label
    yield f"{path}.hint", question.hint
    for j, choice in enumerate(question.choices or ()):
        yield f"{path}.choices[{j}].label", choice.label
        yield f"{path}.choices[{j}].description", choice.description
        yield f"{path}.choices[{j}].details", choice.details
    for j, row in enumerate(question.rows or ()):
        yield f"{path}.rows[{j}].label", row.label
        yield f"{path}.rows[{j}].hint", row.hint
    for j, inner in enumerate(question.questions or ()):
        yield from _question_texts(f"{path}.questions[{j}]", inner)


def _media_holders(
    instrument: Instrument,
) -> Iterator[tuple[str, Question | Choice | Row]]:
    for name, choices in instrument.choice_lists.items():
        for j, choice in enumerate(choices):
            yield f"choice_lists.{name}[{j}]", choice
    for s, section in enumerate(instrument.sections):
        for q, question in enumerate(section.questions):
            yield from _question_media(f"sections[{s}].questions[{q}]", question)


def _question_media(path: str, question: Question) -> Iterator[tuple[str, Question | Choice | Row]]:
    yield path, question
    for j, choice in enumerate(question.choices or ()):
        yield f"{path}.choices[{j}]", choice
    for j, row in enumerate(question.rows or ()):
        yield f"{path}.rows[{j}]", row
    for j, inner in enumerate(question.questions or ()):
        yield from _question_media(f"{path}.questions[{j}]", inner)


def _whole_problems(instrument: Instrument) -> Iterator[tuple[str, str]]:
    if not _INSTRUMENT_ID.fullmatch(instrument.id):
        yield "id", f"{instrument.id!r} must be lowercase letters, digits and hyphens"
    if not _VERSION.fullmatch(instrument.version) or ".." in instrument.version:
        yield (
            "version",
            (
                f"{instrument.version!r} must be letters, digits, '.', '_', '+' and '-' "
                "(e.g. 1.2.0), starting with a letter or digit"
            ),
        )
    for i, source in enumerate(instrument.attribution):
        yield from _control_problems(f"attribution[{i}]", source)
    seen_lang: set[str] = set()
    for i, lang in enumerate(instrument.languages):
        if not _LANGUAGE.fullmatch(lang):
            yield f"languages[{i}]", f"{lang!r} is not a language code such as 'en' or 'cy'"
        if lang in seen_lang:
            yield f"languages[{i}]", f"{lang!r} is listed twice"
        seen_lang.add(lang)
    languages = set(instrument.languages)
    for path, text in _texts(instrument):
        if text is None:
            continue
        for lang, value in text.items():
            yield from _control_problems(f"{path}.{lang}", value)
        missing = [lang for lang in instrument.languages if lang not in text]
        if missing:
            yield path, f"missing a translation for {', '.join(missing)}"
        extra = sorted(set(text) - languages)
        if extra:
            yield (
                path,
                (
                    f"has text in {', '.join(extra)}, which is not in languages "
                    f"({', '.join(instrument.languages)})"
                ),
            )

    for path, item in _media_holders(instrument):
        if isinstance(item.audio, dict):
            extra = sorted(set(item.audio) - languages)
            if extra:
                yield (
                    f"{path}.audio",
                    f"has a sound for {', '.join(extra)}, which is not in languages",
                )

    for name, choices in instrument.choice_lists.items():
        yield from _duplicate_choices(f"choice_lists.{name}", choices)

    codes: dict[str, str] = {}
    # code -> (question, choice codes) of the questions seen so far, for relevance
    earlier: dict[str, Question] = {}

    def claim(code: str, path: str) -> Iterator[tuple[str, str]]:
        key = code.lower()
        if key in codes:
            yield (
                path,
                f"{code!r} is already used at {codes[key]} (codes must be unique, ignoring case)",
            )
        else:
            codes[key] = path

    for s, section in enumerate(instrument.sections):
        spath = f"sections[{s}]"
        yield from claim(section.code, f"{spath}.code")
        if section.relevant is not None:
            yield from _relevance(instrument, section.relevant, f"{spath}.relevant", earlier)
        for q, question in enumerate(section.questions):
            qpath = f"{spath}.questions[{q}]"
            yield from _question_problems(instrument, question, qpath, claim, earlier)


def _question_problems(
    instrument: Instrument,
    question: Question,
    path: str,
    claim: Any,
    earlier: dict[str, Question],
) -> Iterator[tuple[str, str]]:
    yield from claim(question.code, f"{path}.code")
    if question.relevant is not None:
        yield from _relevance(instrument, question.relevant, f"{path}.relevant", earlier)
    if question.choice_list is not None and question.choice_list not in instrument.choice_lists:
        known = ", ".join(sorted(instrument.choice_lists)) or "none are defined"
        yield f"{path}.choice_list", f"no choice list named {question.choice_list!r} ({known})"
    if question.choices is not None:
        yield from _duplicate_choices(f"{path}.choices", question.choices)
    for j, row in enumerate(question.rows or ()):
        yield from claim(row.code, f"{path}.rows[{j}].code")
    earlier[question.code] = question
    for row in question.rows or ():
        earlier[row.code] = question
    for j, inner in enumerate(question.questions or ()):
        yield from _question_problems(instrument, inner, f"{path}.questions[{j}]", claim, earlier)


def _control_problems(path: str, value: str) -> Iterator[tuple[str, str]]:
    """Control characters no form (nor XML 1.0) can carry, nor a terminal show safely."""
    found = control_characters(value)
    if found:
        yield (
            path,
            f"holds control characters ({', '.join(found)}) that forms cannot carry; remove them",
        )


def _duplicate_choices(path: str, choices: list[Choice]) -> Iterator[tuple[str, str]]:
    seen: dict[str, int] = {}
    for j, choice in enumerate(choices):
        key = choice.code.lower()
        if key in seen:
            yield f"{path}[{j}].code", f"{choice.code!r} is already used by choice {seen[key]}"
        else:
            seen[key] = j


def _relevance(
    instrument: Instrument, condition: Condition, path: str, earlier: dict[str, Question]
) -> Iterator[tuple[str, str]]:
    for leaf in condition_questions(condition):
        target = earlier.get(leaf.question)
        if target is None:
            yield path, f"refers to {leaf.question!r}, which is not an earlier question"
            continue
        if isinstance(leaf, AnswerIn):
            if target.kind not in CHOICE_KINDS:
                yield (
                    path,
                    f"{leaf.question!r} is a {target.kind} question; 'in' needs a choice question",
                )
                continue
            if target.kind is QuestionKind.MATRIX and leaf.question == target.code:
                yield path, f"{leaf.question!r} is a grid; name one of its rows instead"
                continue
            offered = {c.code for c in _choices_or_empty(instrument, target)}
            for code in leaf.in_:
                if code not in offered:
                    yield path, f"{leaf.question!r} has no choice {code!r}"
        elif target.kind in {QuestionKind.NOTE, QuestionKind.REPEAT}:
            yield path, f"{leaf.question!r} is a {target.kind} and is never answered"


def _choices_or_empty(instrument: Instrument, question: Question) -> list[Choice]:
    if question.choice_list is not None and question.choice_list not in instrument.choice_lists:
        return []
    return instrument.choices_for(question)


Question.model_rebuild()

__all__ = [
    "AUDIO_TYPES",
    "CHOICE_KINDS",
    "IMAGE_TYPES",
    "LANGUAGE_NAMES",
    "MEDIA_KINDS",
    "AllOf",
    "AnswerIn",
    "Answered",
    "AnyOf",
    "AudioRef",
    "Choice",
    "Condition",
    "ImageRef",
    "Instrument",
    "Not",
    "Question",
    "QuestionKind",
    "Row",
    "Section",
    "Text",
    "condition_questions",
    "language_name",
]
