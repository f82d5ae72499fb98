"""Bring every recorded deployment up to date: ``coprod sync``.

Each deployment is pulled through its connector from the cursor stored after
the last whole page. A page and its cursor are committed together, so a sync
stopped anywhere resumes where it stopped. Deployments run several at a time
(bounded); one that fails is reported and the others still complete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from coprod_connectors.config import Profile
from coprod_connectors.connectors import Deployment, LiveConnector, Registry
from coprod_connectors.errors import ConfigError, CoprodError
from coprod_connectors.store import Store

logger = logging.getLogger(__name__)

#: Called after each stored page: (deployment key, responses so far in this run).
Progress = Callable[[str, int], None]


@dataclass
class DeploymentSync:
    """The outcome of syncing one deployment."""

    deployment: str
    platform: str
    new: int = 0
    updated: int = 0
    deleted: int = 0
    pages: int = 0
    requests: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, object]:
        return {
            "deployment": self.deployment,
            "platform": self.platform,
            "ok": self.ok,
            "new": self.new,
            "updated": self.updated,
            "deleted": self.deleted,
            "pages": self.pages,
            "requests": self.requests,
            "error": self.error,
        }


@dataclass
class SyncReport:
    results: list[DeploymentSync] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


ConnectorFactory = Callable[[str], LiveConnector]


def registry_factory(registry: Registry) -> ConnectorFactory:
    """Connector instances from the entry-point registry, checked to talk to servers."""
    return registry.live


def sync_deployment(
    store: Store,
    connector: LiveConnector,
    deployment: Deployment,
    profile: Profile,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> DeploymentSync:
    """Pull one deployment into the store; failures are caught and reported in the result."""
    outcome = DeploymentSync(deployment.key, deployment.platform)
    run_id = store.start_run(deployment.key, full=full)
    try:
        instrument = store.instrument_for(deployment.key)
        since = None if full else store.cursor(deployment.key)
        for page in connector.pull(
            deployment, profile, instrument=instrument, since=since, full=full
        ):
            result = store.apply_page(deployment.key, page, run_id=run_id)
            outcome.new += result.new
            outcome.updated += result.updated
            outcome.pages += 1
            outcome.requests += page.requests
            if progress is not None:
                progress(deployment.key, outcome.new + outcome.updated)
        if full:
            outcome.deleted = store.mark_unseen_deleted(deployment.key, run_id=run_id)
    except CoprodError as exc:
        outcome.error = str(exc)
        logger.warning("sync of %s failed: %s", deployment.key, exc)
    except Exception as exc:
        outcome.error = f"unexpected {type(exc).__name__}: {exc}"
        logger.exception("sync of %s failed unexpectedly", deployment.key)
    try:
        store.finish_run(run_id, outcome="ok" if outcome.ok else "failed", error=outcome.error)
    except CoprodError as exc:  # pragma: no cover - the store itself went away
        outcome.error = outcome.error or str(exc)
    return outcome


def sync_all(
    store: Store,
    deployments: Iterable[Deployment],
    profiles: dict[str, Profile],
    connectors: ConnectorFactory,
    *,
    full: bool = False,
    workers: int = 4,
    progress: Progress | None = None,
) -> SyncReport:
    """Sync several deployments, at most ``workers`` at once."""
    report = SyncReport()
    jobs: list[tuple[Deployment, Profile, LiveConnector]] = []
    for deployment in deployments:
        profile = profiles.get(deployment.profile)
        try:
            if profile is None:
                msg = f"no profile {deployment.profile!r} in the configuration"
                raise ConfigError(msg, hint="coprod profiles add ...")
            jobs.append((deployment, profile, connectors(deployment.platform)))
        except CoprodError as exc:
            report.results.append(
                DeploymentSync(deployment.key, deployment.platform, error=str(exc))
            )
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="sync") as pool:
        futures = [
            pool.submit(sync_deployment, store, c, d, p, full=full, progress=progress)
            for d, p, c in jobs
        ]
        report.results.extend(f.result() for f in futures)
    report.results.sort(key=lambda r: r.deployment)
    return report
