"""An in-memory platform and connector that satisfy the connector contract.

For the core's tests of the store, the sync engine and the CLI, and a small
example for anyone writing a connector: :class:`MemoryConnector` renders JSON,
pushes to a :class:`MemoryPlatform`, and pulls pages in id order with a cursor,
like the real connectors do. It uses only what ``coprod_connectors`` exports.
Not registered under the entry-point group: tests bind it themselves.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from coprod_connectors import (
    Artefact,
    AuthenticationError,
    Deployment,
    DeploymentStatus,
    Handover,
    Instrument,
    Link,
    MediaFile,
    NoPushOptions,
    NotFoundError,
    Page,
    Profile,
    PulledRecord,
    Pushed,
    PushOptions,
    build_response,
    easy_read,
)


@dataclass
class MemoryPlatform:
    """A survey server in memory: surveys holding submissions keyed by an increasing id."""

    secret: str = "memory-secret"  # noqa: S105 - the test platform's own, not a real one
    surveys: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    next_id: int = 1
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def create(self, title: str) -> str:
        with self.lock:
            for survey_id, existing in self.titles.items():
                if existing == title:
                    return survey_id
            survey_id = f"s{len(self.surveys) + 1}"
            self.surveys[survey_id] = {}
            self.titles[survey_id] = title
            return survey_id

    def submit(self, survey_id: str, answers: dict[str, Any], submitted_at: str) -> int:
        with self.lock:
            record_id = self.next_id
            self.next_id += 1
            self.surveys[survey_id][record_id] = {
                "_id": record_id,
                "submitted": submitted_at,
                **answers,
            }
            return record_id

    def edit(self, survey_id: str, record_id: int, **changes: Any) -> None:
        self.surveys[survey_id][record_id].update(changes)

    def delete(self, survey_id: str, record_id: int) -> None:
        del self.surveys[survey_id][record_id]

    def page(self, survey_id: str, after: int, limit: int) -> list[dict[str, Any]]:
        with self.lock:
            self.requests += 1
            if survey_id not in self.surveys:
                msg = f"survey {survey_id} not found"
                raise NotFoundError(msg, platform_message="Not found.")
            ids = sorted(i for i in self.surveys[survey_id] if i > after)[:limit]
            return [dict(self.surveys[survey_id][i]) for i in ids]


class MemoryConnector:
    """A connector for :class:`MemoryPlatform` (platform name ``memory``)."""

    name: ClassVar[str] = "memory"
    title: ClassVar[str] = "In-memory test platform"
    artefact_suffixes: ClassVar[tuple[str, ...]] = (".json",)
    credential_label: ClassVar[str] = "secret"
    server_aliases: ClassVar[Mapping[str, str]] = {"memory": "https://memory.invalid"}
    push_options: ClassVar[type[PushOptions]] = NoPushOptions

    def __init__(
        self,
        platform: MemoryPlatform | None = None,
        *,
        page_size: int = 100,
        before_page: Callable[[int], None] | None = None,
    ) -> None:
        self.platform = platform or MemoryPlatform()
        self.page_size = page_size
        self.before_page = before_page

    def render(self, instrument: Instrument, options: Mapping[str, Any] | None = None) -> Artefact:
        if (options or {}).get("easy_read"):
            instrument = easy_read(instrument)
        content = instrument.model_dump_json(by_alias=True, exclude_none=True, indent=2)
        return Artefact(content.encode(), f"{instrument.id}.json", "application/json")

    def _login(self, profile: Profile) -> None:
        if profile.require_secret(self.credential_label) != self.platform.secret:
            msg = f"the memory platform did not accept the secret for profile {profile.name!r}"
            raise AuthenticationError(msg, platform_message="Invalid token.")

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
        """The platform holds no form, so another presentation only changes the record."""
        del update, activate, media, handover_dir
        NoPushOptions.of(options)
        self._login(profile)
        details = {"easy_read": True} if easy_read else {}
        if (
            existing is not None
            and existing.instrument_version == instrument.version
            and existing.remote_id in self.platform.surveys
        ):
            deployment = existing.model_copy(update={"details": details})
            return Pushed(deployment=deployment, handover=self._handover(deployment))
        survey_id = self.platform.create(f"{instrument.id} {instrument.version} {round}")
        deployment = Deployment(
            platform=self.name,
            profile=profile.name,
            remote_id=survey_id,
            instrument=instrument.id,
            instrument_version=instrument.version,
            round=round,
            subject=subject,
            url=f"memory://{survey_id}",
            created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            details=details,
        )
        return Pushed(deployment=deployment, handover=self._handover(deployment))

    @staticmethod
    def _handover(deployment: Deployment) -> Handover:
        return Handover(links=(Link(label="url", url=str(deployment.url)),))

    def pull(
        self,
        deployment: Deployment,
        profile: Profile,
        *,
        instrument: Instrument,
        since: str | None = None,
        full: bool = False,
    ) -> Iterator[Page]:
        self._login(profile)
        after = 0 if full or since is None else int(since)
        page_number = 0
        while True:
            if self.before_page is not None:
                self.before_page(page_number)
            rows = self.platform.page(deployment.remote_id, after, self.page_size)
            if not rows:
                return
            records = []
            for row in rows:
                answers = {k: v for k, v in row.items() if k not in {"_id", "submitted"}}
                response = build_response(
                    instrument,
                    answers,
                    response_id=str(row["_id"]),
                    submitted_at=datetime.fromisoformat(row["submitted"]),
                    round=deployment.round,
                    subject=deployment.subject,
                    deployment=deployment.key,
                    platform=self.name,
                )
                records.append(
                    PulledRecord(
                        remote_response_id=str(row["_id"]),
                        raw=json.loads(json.dumps(row)),
                        response=response,
                    )
                )
            after = rows[-1]["_id"]
            yield Page(records=records, cursor=str(after))
            page_number += 1
            if len(rows) < self.page_size:
                return

    def check(self, profile: Profile) -> str:
        self._login(profile)
        return f"logged in; {len(self.platform.surveys)} surveys"

    def status(self, deployment: Deployment, profile: Profile) -> DeploymentStatus:
        self._login(profile)
        rows = self.platform.surveys.get(deployment.remote_id)
        if rows is None:
            msg = f"survey {deployment.remote_id} not found"
            raise NotFoundError(msg)
        return DeploymentStatus(live=True, responses=len(rows), urls={"form": deployment.url or ""})


__all__ = ["MemoryConnector", "MemoryPlatform"]
