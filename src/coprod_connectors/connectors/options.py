"""Push options from the command line: ``--option NAME=VALUE``, checked by the connector's model.

The core knows no option by name. It reads the connector's
:class:`~coprod_connectors.connectors.contract.PushOptions` model: the field
names (``_`` or ``-``), their types (a ``bool`` may be given without a value;
a list field takes ``a,b`` or the option repeated) and their descriptions,
which :func:`options_help` turns into the text of ``coprod push --help``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from coprod_connectors.connectors.contract import PushOptions
from coprod_connectors.errors import ConfigError

_SEQUENCES = (list, tuple, set, frozenset)


def _bare(annotation: Any) -> Any:
    """``X`` for ``X | None`` / ``Optional[X]``; the annotation itself otherwise."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _bare(args[0])
    if typing.get_origin(annotation) is typing.Annotated:
        return _bare(typing.get_args(annotation)[0])
    return annotation


def _is_sequence(info: FieldInfo) -> bool:
    return typing.get_origin(_bare(info.annotation)) in _SEQUENCES


def _is_flag(info: FieldInfo) -> bool:
    return _bare(info.annotation) is bool


def _cli_name(field: str) -> str:
    return field.replace("_", "-")


def _type_name(info: FieldInfo) -> str:
    bare = _bare(info.annotation)
    if _is_sequence(info):
        return "list"
    if typing.get_origin(bare) is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(bare))
    name = getattr(bare, "__name__", None)
    return str(name or bare).lower()


def parse_push_options(
    model: type[PushOptions], given: Iterable[str], *, platform: str
) -> PushOptions:
    """``NAME=VALUE`` strings as an instance of ``model``; a ConfigError (exit 2) says
    in one line which option is wrong and why."""
    fields = model.model_fields
    by_cli = {_cli_name(name): name for name in fields} | {name: name for name in fields}
    values: dict[str, Any] = {}
    for item in given:
        raw_name, has_value, value = item.partition("=")
        name = by_cli.get(raw_name.strip().removeprefix("--"))
        if name is None:
            known = ", ".join(_cli_name(n) for n in fields) or "none"
            msg = (
                f"the {platform} connector has no push option {raw_name.strip()!r} "
                f"(its options: {known})"
            )
            raise ConfigError(msg, hint="see coprod push --help")
        info = fields[name]
        if not has_value:
            if not _is_flag(info):
                msg = f"push option {_cli_name(name)} needs a value: --option {_cli_name(name)}=..."
                raise ConfigError(msg)
            value = "true"
        if _is_sequence(info):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            values.setdefault(name, []).extend(parts)
        elif name in values:
            msg = f"push option {_cli_name(name)} is given twice"
            raise ConfigError(msg)
        else:
            values[name] = value.strip()
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = _cli_name(str(first.get("loc", ("?",))[0]))
        given_value = first.get("input")
        shown = f"={given_value!r}" if isinstance(given_value, str) else ""
        msg = f"push option {where}{shown}: {first['msg']}"
        raise ConfigError(msg, hint="see coprod push --help") from None


def options_help(
    models: Mapping[str, type[PushOptions]],
) -> list[tuple[str, list[tuple[str, str]]]]:
    """For each platform, its options as (``name=TYPE``, description with the default)."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for platform in sorted(models):
        rows: list[tuple[str, str]] = []
        for name, info in models[platform].model_fields.items():
            label = (
                _cli_name(name)
                if _is_flag(info)
                else f"{_cli_name(name)}={_type_name(info).upper()}"
            )
            text = info.description or ""
            default = info.get_default(call_default_factory=True)
            if default not in (None, False, [], ()):
                text = f"{text} (default: {default})".strip()
            rows.append((label, text))
        sections.append((platform, rows))
    return sections


__all__ = ["options_help", "parse_push_options"]
