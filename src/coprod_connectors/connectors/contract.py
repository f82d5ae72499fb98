"""The contract every connector satisfies, and what a connector declares about itself.

A connector is a class with a no-argument constructor, registered under the
entry-point group ``coprod_connectors.platforms``. Every connector renders
(:class:`Connector`); one that talks to a server is a :class:`LiveConnector`
and also declares:

- ``credential_label``: what its secret is called where people see it
  ("password", "API token", "app-user key"...);
- ``server_aliases``: short names a profile's ``url`` may give instead of an
  address (e.g. ``{"eu": "https://eu.example.org"}``);
- ``push_options``: a :class:`PushOptions` model of its own push options.
  ``coprod push`` lists them in ``--help`` and accepts them as
  ``--option NAME=VALUE``, validated by that model.

What only some platforms do is in :mod:`coprod_connectors.connectors.capabilities`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from coprod_connectors.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from coprod_connectors.config import Profile
    from coprod_connectors.connectors.types import (
        Artefact,
        Deployment,
        DeploymentStatus,
        MediaFile,
        Page,
        Pushed,
    )
    from coprod_connectors.errors import Problem
    from coprod_connectors.instruments.model import Instrument

_Options = TypeVar("_Options", bound="PushOptions")


class PushOptions(BaseModel):
    """The base of every connector's push options: frozen, unknown names refused.

    Subclass it with one field per option, each with a ``description`` (shown in
    ``coprod push --help``) and a default. Fields of type ``bool``, ``int``,
    ``str``, ``Path``/``FilePath``, an enum or ``Literal``, their ``| None``, and
    ``list[str]`` (given as ``a,b`` or by repeating the option) can be set
    from the command line.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def of(cls: type[_Options], value: PushOptions | Mapping[str, Any] | None) -> _Options:
        """``value`` as this connector's options: None gives the defaults; a mapping is
        validated; options of another connector are a ConfigError."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, PushOptions):
            msg = f"push options of type {type(value).__name__} given where {cls.__name__} is used"
            raise ConfigError(msg)
        try:
            return cls.model_validate(dict(value))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            msg = f"push option {where or '?'}: {first['msg']}"
            raise ConfigError(msg) from None


class NoPushOptions(PushOptions):
    """For a connector without push options of its own."""


@runtime_checkable
class Connector(Protocol):
    """What every platform connector provides.

    ``render`` is pure: it turns an instrument into the platform's own file
    and never touches the network; ``options`` are the connector's own (the CLI
    passes ``{"format": suffix}`` with a suffix from ``artefact_suffixes``:
    ``format`` always means the file type, so a connector names its own
    settings otherwise).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    artefact_suffixes: ClassVar[tuple[str, ...]]

    def render(self, instrument: Instrument, options: Mapping[str, Any] | None = None) -> Artefact:
        """The platform file for ``instrument``."""
        ...


@runtime_checkable
class LiveConnector(Connector, Protocol):
    """A connector that also talks to a server.

    - ``push`` is idempotent: given the deployment the store already has for the
      same profile, instrument and round (``existing``), it reuses it (or, for a
      new instrument version, updates or replaces it as the platform allows).
      ``options`` is an instance of the connector's ``push_options`` (None: the
      defaults); ``media`` the files that go with the form; a connector that
      cannot carry them raises ConfigError. Files written for people go in
      ``handover_dir`` (none are written when it is None) and are listed in the
      returned handover.
    - ``easy_read``: push the easy-read presentation (what ``render`` gives with
      the option ``easy_read``: pictures first, one idea per screen, big
      choices). Every connector supports it. The deployment records it as
      ``details["easy_read"] = True`` (absent or False: the standard one), so a
      later push can keep it. Pushing the same instrument version again in the
      other presentation updates the form, or raises ConfigError saying what to
      do where the platform cannot change a live form.
    - ``pull`` streams pages after ``since`` (the cursor of the last stored page);
      with ``full=True`` it reads everything again.
    - every failure is one of the core's exceptions, with the platform's message kept.
    """

    credential_label: ClassVar[str]
    server_aliases: ClassVar[Mapping[str, str]]
    push_options: ClassVar[type[PushOptions]]

    def push(
        self,
        instrument: Instrument,
        profile: Profile,
        *,
        round: str,  # noqa: A002
        existing: Deployment | None = None,
        subject: str | None = None,
        update: bool = False,
        activate: bool = True,
        options: PushOptions | None = None,
        media: Sequence[MediaFile] = (),
        handover_dir: Path | None = None,
        easy_read: bool = False,
    ) -> Pushed:
        """Create (or reuse) a live deployment of ``instrument``."""
        ...

    def pull(
        self,
        deployment: Deployment,
        profile: Profile,
        *,
        instrument: Instrument,
        since: str | None = None,
        full: bool = False,
    ) -> Iterator[Page]:
        """Responses after ``since``, page by page, with the cursor after each page."""
        ...

    def status(self, deployment: Deployment, profile: Profile) -> DeploymentStatus:
        """Whether the deployment is live, how many responses it has, and its URLs."""
        ...

    def check(self, profile: Profile) -> str:
        """Log in with ``profile`` and say what worked (e.g. "logged in as x; 3 surveys")."""
        ...


def resolve_server(connector: type[LiveConnector], url: str) -> str:
    """A profile's ``url``: one of the connector's ``server_aliases``, or the address given."""
    aliases = {k.lower(): v for k, v in connector.server_aliases.items()}
    return aliases.get(url.strip().lower(), url.strip())


__all__ = [
    "Connector",
    "LiveConnector",
    "NoPushOptions",
    "PushOptions",
    "resolve_server",
]


def reserved_code_problems(instrument: Instrument, connector: Connector) -> list[Problem]:
    """Where ``instrument`` uses a code ``connector``'s platform keeps for itself (none
    when the connector declares no :class:`SupportsReservedCodes`)."""
    from coprod_connectors.connectors.capabilities import SupportsReservedCodes
    from coprod_connectors.errors import Problem

    if not isinstance(connector, SupportsReservedCodes):
        return []
    reserved = {code.lower() for code in connector.reserved_codes}
    problems = []
    for s, section in enumerate(instrument.sections):
        places = [(f"sections[{s}].code", section.code)]
        for q, question in enumerate(section.questions):
            path = f"sections[{s}].questions[{q}]"
            places.append((f"{path}.code", question.code))
            places.extend(
                (f"{path}.rows[{j}].code", r.code) for j, r in enumerate(question.rows or ())
            )
            places.extend(
                (f"{path}.questions[{j}].code", inner.code)
                for j, inner in enumerate(question.questions or ())
            )
        for where, code in places:
            if code.lower() in reserved:
                problems.append(
                    Problem(
                        where,
                        f"{code!r} is a name {connector.name} keeps for itself "
                        "(its answers would be lost); choose another code",
                    )
                )
    return problems
