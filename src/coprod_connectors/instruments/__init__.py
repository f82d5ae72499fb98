"""Instrument definitions: the pydantic model, the YAML loader and the built-ins."""

from coprod_connectors.instruments.loader import (
    BUILTIN_IDS,
    builtin_instrument,
    builtin_instruments,
    load_instrument,
    parse_instrument,
    resolve_instrument,
)
from coprod_connectors.instruments.media import (
    InstrumentMedia,
    instrument_media,
    pictograms,
    resolve_media,
)
from coprod_connectors.instruments.model import (
    Choice,
    Condition,
    Instrument,
    Question,
    QuestionKind,
    Row,
    Section,
    language_name,
)

__all__ = [
    "BUILTIN_IDS",
    "Choice",
    "Condition",
    "Instrument",
    "InstrumentMedia",
    "Question",
    "QuestionKind",
    "Row",
    "Section",
    "builtin_instrument",
    "builtin_instruments",
    "instrument_media",
    "language_name",
    "load_instrument",
    "parse_instrument",
    "pictograms",
    "resolve_instrument",
    "resolve_media",
]
