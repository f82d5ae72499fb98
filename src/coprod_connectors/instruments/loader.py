"""Load instruments from YAML, with errors that name the file, the line and the field."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from coprod_connectors.errors import InstrumentError, Problem
from coprod_connectors.instruments.model import Instrument

BUILTIN_IDS = ("self-reflection", "checklist", "ladder-check")


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping."""


if TYPE_CHECKING:
    _QuickLoader = yaml.SafeLoader
else:  # libyaml's parser where PyYAML was built with it (ten times quicker), else PyYAML's own
    _QuickLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _OwnLoader(_QuickLoader):
    """:class:`_StrictLoader` with libyaml's parser, for this package's own files only:
    libyaml builds the node tree by recursion in C, which a text nested a hundred thousand
    levels deep crashes; PyYAML's parser stops at Python's recursion limit."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found the key {key!r} twice (first on line {seen[key].start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node)


for _loader in (_StrictLoader, _OwnLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


#: Bounds on a YAML file from outside: nodes counted with every alias expanded (so an
#: alias bomb is refused before it is built), and nesting depth.
YAML_MAX_NODES = 200_000
YAML_MAX_DEPTH = 64


class YamlTooBigError(ValueError):
    """A YAML document past :data:`YAML_MAX_NODES` or :data:`YAML_MAX_DEPTH`."""


def _check_tree(root: yaml.Node | None) -> None:
    """Refuse a node tree too big or too deep, walking it without recursion."""
    stack: list[tuple[yaml.Node, int]] = [] if root is None else [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > YAML_MAX_NODES:
            msg = f"more than {YAML_MAX_NODES:,} values (with aliases expanded)"
            raise YamlTooBigError(msg)
        if depth > YAML_MAX_DEPTH:
            msg = f"nested more than {YAML_MAX_DEPTH} levels deep"
            raise YamlTooBigError(msg)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)


def load_yaml(text: str, *, ours: bool = False) -> tuple[yaml.Node | None, Any]:
    """YAML from outside as (node tree, data): safe tags only, no key twice, bounded in size
    and depth (:class:`YamlTooBigError`); other faults are ``yaml.YAMLError``.

    ``ours``: the text is one of this package's own files (a built-in instrument or
    ladder), read by libyaml's quicker parser where there is one."""
    loader = (_OwnLoader if ours else _StrictLoader)(text)
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:
            msg = "nested too deeply to read"
            raise YamlTooBigError(msg) from None
        _check_tree(root)
        # built from the tree just checked: the text is parsed once
        data = None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()
    return root, data


def _loc_to_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _path_to_loc(path: str) -> list[int | str]:
    loc: list[int | str] = []
    for dotted in path.split("."):
        name, _, rest = dotted.partition("[")
        if name:
            loc.append(name)
        if rest:
            loc.extend(int(index) for index in rest.rstrip("]").split("]["))
    return loc


def _line_of(root: yaml.Node | None, loc: Iterable[int | str]) -> int | None:
    """The 1-based line of the YAML node at ``loc``, or of its nearest existing parent."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def problems_from_validation(
    error: ValidationError, root: yaml.Node | None = None
) -> list[Problem]:
    """Turn pydantic's errors into problems with a readable path (and a line, given YAML)."""
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        ctx = item.get("ctx") or {}
        if item["type"] == "instrument" and "problems" in ctx:
            for path, message in ctx["problems"]:
                problems.append(Problem(path, message, _line_of(root, _path_to_loc(path))))
            continue
        loc = [p for p in item["loc"] if not _is_union_tag(p)]
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but missing"
        elif item["type"] == "extra_forbidden":
            message = "is not a field here (check the spelling)"
        problems.append(Problem(_loc_to_path(loc), message, _line_of(root, loc)))
    return problems


def _is_union_tag(part: int | str) -> bool:
    return isinstance(part, str) and part in {"AnswerIn", "Answered", "AllOf", "AnyOf", "Not"}


def parse_instrument(text: str, *, source: str = "<instrument>", ours: bool = False) -> Instrument:
    """Parse and validate an instrument from YAML (or JSON) text (``ours``: a built-in's,
    see :func:`load_yaml`)."""
    try:
        root, data = load_yaml(text, ours=ours)
    except YamlTooBigError as exc:
        raise InstrumentError(
            [Problem("", f"too big to be an instrument: {exc}")], source=source
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        what = exc.problem or exc.context or "cannot be read"
        raise InstrumentError(
            [Problem("", f"YAML syntax error: {what}", line)], source=source
        ) from exc
    except yaml.YAMLError as exc:
        raise InstrumentError([Problem("", f"YAML error: {exc}")], source=source) from exc
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        raise InstrumentError(
            [Problem("", f"the file is {kind}; an instrument starts with 'id:', 'version:', ...")],
            source=source,
        )
    try:
        return Instrument.model_validate(data)
    except RecursionError:
        raise InstrumentError([Problem("", "nested too deeply to read")], source=source) from None
    except ValidationError as exc:
        raise InstrumentError(problems_from_validation(exc, root), source=source) from exc


def load_instrument(path: str | Path) -> Instrument:
    """Load an instrument from a YAML file, or a built-in one by its id."""
    path = Path(path)
    if not path.exists() and str(path) in BUILTIN_IDS:
        return builtin_instrument(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InstrumentError(
            [
                Problem(
                    "",
                    "no such file (give a path to a YAML file, or a built-in id: "
                    + ", ".join(BUILTIN_IDS)
                    + ")",
                )
            ],
            source=str(path),
        ) from exc
    except UnicodeDecodeError as exc:
        raise InstrumentError(
            [Problem("", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")],
            source=path.name,
        ) from exc
    except OSError as exc:
        raise InstrumentError(
            [Problem("", f"cannot be read: {exc.strerror}")], source=str(path)
        ) from exc
    # media files named in the instrument are found beside it
    return parse_instrument(text, source=path.name).located(path.resolve().parent)


@cache
def builtin_instrument(instrument_id: str) -> Instrument:
    """One of the instruments shipped with coprod-connectors."""
    if instrument_id not in BUILTIN_IDS:
        raise InstrumentError(
            [
                Problem(
                    "",
                    f"no built-in instrument {instrument_id!r}; "
                    f"the built-ins are {', '.join(BUILTIN_IDS)}",
                )
            ],
        )
    resource = (
        resources.files("coprod_connectors.instruments") / "builtin" / f"{instrument_id}.yaml"
    )
    text = resource.read_text(encoding="utf-8")
    return parse_instrument(text, source=f"{instrument_id}.yaml", ours=True)


def builtin_instruments() -> Iterator[Instrument]:
    """Every built-in instrument, in a fixed order."""
    for instrument_id in BUILTIN_IDS:
        yield builtin_instrument(instrument_id)


def resolve_instrument(ref: str) -> Instrument:
    """A built-in id, or the path of a YAML file."""
    if ref in BUILTIN_IDS and not Path(ref).is_file():
        return builtin_instrument(ref)
    return load_instrument(ref)
