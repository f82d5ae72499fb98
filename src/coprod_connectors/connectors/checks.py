"""The contract checks, for the core's contract suite and for anyone writing a connector.

Each function returns the problems it found (empty: the connector keeps that
part of the contract), so a connector's own tests can run them::

    from coprod_connectors.connectors.checks import all_problems

    def test_my_connector_keeps_the_contract():
        assert all_problems(MyConnector) == []

The core's ``tests/test_contract.py`` runs them over every installed connector.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from coprod_connectors.connectors.capabilities import (
    SupportsAttachments,
    SupportsDescribe,
    SupportsExportImport,
    SupportsParticipants,
)
from coprod_connectors.connectors.contract import Connector, LiveConnector, PushOptions
from coprod_connectors.instruments.model import Instrument


def _params(func: Callable[..., Any]) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(func).parameters.values() if p.name != "self"]


def signature_problems(
    name: str, actual: Callable[..., Any], wanted: Callable[..., Any], *, strict: bool
) -> list[str]:
    """How ``actual`` differs from the protocol's ``wanted``: the same parameters, of the
    same kinds and defaults, in the same order; unless ``strict``, extra keyword-only
    parameters with defaults may follow."""
    have, want = _params(actual), _params(wanted)
    problems = []
    for index, expected in enumerate(want):
        if index >= len(have):
            problems.append(f"{name}() lacks the parameter {expected.name!r}")
            continue
        got = have[index]
        if (got.name, got.kind) != (expected.name, expected.kind):
            problems.append(
                f"{name}() parameter {index + 1} is {got.name!r} ({got.kind.description}), "
                f"not {expected.name!r} ({expected.kind.description})"
            )
        elif got.default != expected.default:
            problems.append(
                f"{name}() parameter {got.name!r} defaults to {got.default!r}, "
                f"not {expected.default!r}"
            )
    for extra in have[len(want) :]:
        if strict:
            problems.append(f"{name}() has a parameter the contract does not: {extra.name!r}")
        elif extra.kind is not inspect.Parameter.KEYWORD_ONLY or extra.default is extra.empty:
            problems.append(f"{name}() extra parameter {extra.name!r} must be keyword-only")
    return problems


def declaration_problems(cls: type[Connector], name: str | None = None) -> list[str]:
    """What the connector class says about itself (and, given, its entry-point name)."""
    problems = []
    if name is not None and cls.name != name:
        problems.append(f"its name is {cls.name!r} but it is registered as {name!r}")
    if not cls.title:
        problems.append("it has no title")
    if not cls.artefact_suffixes or not all(s.startswith(".") for s in cls.artefact_suffixes):
        problems.append(f"artefact_suffixes {cls.artefact_suffixes!r} are not like ('.ext',)")
    instance: object = cls()
    if not isinstance(instance, Connector):
        problems.append("an instance is not a Connector")
    if isinstance(instance, LiveConnector):
        problems.extend(live_declaration_problems(instance))
    return problems


def live_declaration_problems(connector: LiveConnector) -> list[str]:
    """A live connector's declared facts and method signatures."""
    problems = []
    if not connector.credential_label.strip():
        problems.append("credential_label is empty")
    for alias, url in connector.server_aliases.items():
        if "://" in alias or "://" not in url:
            problems.append(f"server alias {alias!r} -> {url!r} is not a name for a URL")
    options: type[object] = connector.push_options
    if not issubclass(options, PushOptions):
        problems.append("push_options is not a PushOptions model")
    else:
        if options.model_config.get("extra") != "forbid":
            problems.append("push_options must refuse unknown options (extra='forbid')")
        for field, info in options.model_fields.items():
            if not info.description:
                problems.append(f"push option {field!r} has no description for --help")
        try:
            options()
        except ValidationError:
            problems.append("push_options cannot be made with no options given")
    methods: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
        ("push", connector.push, LiveConnector.push),
        ("pull", connector.pull, LiveConnector.pull),
        ("status", connector.status, LiveConnector.status),
        ("check", connector.check, LiveConnector.check),
    ]
    for name, actual, wanted in methods:
        problems.extend(signature_problems(name, actual, wanted, strict=False))
    return problems


def capability_problems(connector: object) -> list[str]:
    """Every capability the connector has keeps its protocol's one signature."""
    found: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = []
    if isinstance(connector, SupportsParticipants):
        found.append(
            ("add_participants", connector.add_participants, SupportsParticipants.add_participants)
        )
    if isinstance(connector, SupportsExportImport):
        found.append(
            (
                "import_export_file",
                connector.import_export_file,
                SupportsExportImport.import_export_file,
            )
        )
    if isinstance(connector, SupportsAttachments):
        found.append(
            (
                "download_attachments",
                connector.download_attachments,
                SupportsAttachments.download_attachments,
            )
        )
    if isinstance(connector, SupportsDescribe):
        found.append(("describe", connector.describe, SupportsDescribe.describe))
    problems = []
    for name, actual, wanted in found:
        problems.extend(signature_problems(name, actual, wanted, strict=True))
    return problems


def render_problems(cls: type[Connector], instruments: Iterable[Instrument]) -> list[str]:
    """``render`` is deterministic, gives content, a known suffix and a media type."""
    problems = []
    connector = cls()
    for instrument in instruments:
        for suffix in cls.artefact_suffixes:
            options = {"format": suffix.lstrip(".")}
            first = connector.render(instrument, options)
            again = connector.render(instrument, options)
            where = f"render({instrument.id}, format={suffix})"
            if not first.content:
                problems.append(f"{where} gave no content")
            if first.content != again.content:
                problems.append(f"{where} is not deterministic")
            if Path(first.filename).suffix not in cls.artefact_suffixes:
                problems.append(f"{where} wrote {first.filename!r}, not a declared suffix")
            if not first.media_type:
                problems.append(f"{where} gave no media type")
    return problems


def private_imports(package: Path) -> list[str]:
    """Imports of the core's submodules (``from coprod_connectors.x import ...``) in the
    source below ``package``: a connector uses only what ``coprod_connectors`` exports."""
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            found.extend(
                f"{path.relative_to(package.parent)}:{node.lineno}: {module}"
                for module in modules
                if module.startswith("coprod_connectors.")
            )
    return found


def all_problems(
    cls: type[Connector], instruments: Iterable[Instrument] = (), name: str | None = None
) -> list[str]:
    """Every check above, for one connector class."""
    return [
        *declaration_problems(cls, name),
        *capability_problems(cls()),
        *render_problems(cls, instruments),
    ]


__all__ = [
    "all_problems",
    "capability_problems",
    "declaration_problems",
    "live_declaration_problems",
    "private_imports",
    "render_problems",
    "signature_problems",
]
