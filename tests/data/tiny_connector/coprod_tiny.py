"""A tiny connector, built into a throwaway wheel by tests/test_contract.py.

It keeps the whole contract without a server: push and pull work on nothing.
It declares what a third-party connector would: an "app-user key" as its
secret, a server alias and one typed push option.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from coprod_connectors import (
    Artefact,
    ConfigError,
    Deployment,
    DeploymentStatus,
    Handover,
    Instrument,
    Link,
    MediaFile,
    Page,
    Profile,
    Pushed,
    PushOptions,
)


class TinyPushOptions(PushOptions):
    colour: Literal["red", "blue"] = Field(default="red", description="The form's colour.")
    copies: int = Field(default=1, ge=1, le=9, description="How many copies to print.")


class TinyConnector:
    name: ClassVar[str] = "tiny"
    title: ClassVar[str] = "Tiny test platform"
    artefact_suffixes: ClassVar[tuple[str, ...]] = (".txt",)
    credential_label: ClassVar[str] = "app-user key"
    server_aliases: ClassVar[Mapping[str, str]] = {"home": "https://tiny.example.org"}
    push_options: ClassVar[type[PushOptions]] = TinyPushOptions

    def render(self, instrument: Instrument, options: Mapping[str, Any] | None = None) -> Artefact:
        easy = " (easy read)" if (options or {}).get("easy_read") else ""
        text = f"{instrument.id} {instrument.version}{easy}: "
        text += f"{instrument.question_count()} questions\n"
        return Artefact(text.encode(), f"{instrument.id}.txt", "text/plain")

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
        del existing, update, activate
        chosen = TinyPushOptions.of(options)
        profile.require_secret(self.credential_label)
        if media:
            raise ConfigError("the tiny connector takes no media")
        deployment = Deployment(
            platform=self.name,
            profile=profile.name,
            remote_id=f"{instrument.id}-{chosen.colour}",
            instrument=instrument.id,
            instrument_version=instrument.version,
            round=round,
            subject=subject,
            url=f"{profile.url}/f/{instrument.id}",
            created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            details={"easy_read": True} if easy_read else {},
        )
        files: tuple[Path, ...] = ()
        if handover_dir is not None:
            card = handover_dir / f"{instrument.id}-card.txt"
            card.write_text(f"{chosen.copies} x {chosen.colour}\n", encoding="utf-8")
            files = (card,)
        handover = Handover(
            summary=f"tiny form {deployment.remote_id}",
            links=(Link(label="form", url=str(deployment.url)),),
            notes=(f"print {chosen.copies} {chosen.colour} copies",),
            qr_payload=f"tiny://{deployment.remote_id}",
            qr_label="Scan in the Tiny app",
            files=files,
        )
        return Pushed(deployment=deployment, handover=handover)

    def pull(
        self,
        deployment: Deployment,
        profile: Profile,
        *,
        instrument: Instrument,
        since: str | None = None,
        full: bool = False,
    ) -> Iterator[Page]:
        del deployment, profile, instrument, since, full
        return iter(())

    def status(self, deployment: Deployment, profile: Profile) -> DeploymentStatus:
        del profile
        return DeploymentStatus(live=True, responses=0, urls={"form": str(deployment.url)})

    def check(self, profile: Profile) -> str:
        profile.require_secret(self.credential_label)
        return "tiny: nothing to log in to"

    def describe(self, deployment: Deployment) -> Handover:
        return Handover(links=(Link(label="form", url=str(deployment.url)),))
