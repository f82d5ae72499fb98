"""An httpx transport that injects faults, for the connectors' fault suites."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import httpx

FAULT_KINDS = (
    "connect",
    "timeout",
    "500",
    "502",
    "503",
    "429",
    "truncated",
    "html",
    "empty",
)


@dataclass
class FaultTransport(httpx.BaseTransport):
    """An httpx transport that wraps another and, with a seeded chance, fails a request.

    Faults: a dropped connection, a read time-out, a 500/502/503, a 429 with
    ``Retry-After``, a body cut short, an HTML error page, an empty body. The
    kinds and the rate are the test's to choose; ``injected`` counts them.
    """

    inner: httpx.BaseTransport
    seed: int
    rate: float = 0.2
    kinds: tuple[str, ...] = FAULT_KINDS
    injected: dict[str, int] = field(default_factory=dict)
    requests: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311 - seeded test faults, not security

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self._rng.random() >= self.rate:
            return self.inner.handle_request(request)
        kind = self._rng.choice(self.kinds)
        self.injected[kind] = self.injected.get(kind, 0) + 1
        if kind == "connect":
            msg = "injected: connection dropped"
            raise httpx.ConnectError(msg, request=request)
        if kind == "timeout":
            msg = "injected: read timed out"
            raise httpx.ReadTimeout(msg, request=request)
        if kind in {"500", "502", "503"}:
            return httpx.Response(int(kind), text=f"injected {kind}", request=request)
        if kind == "429":
            return httpx.Response(
                429, headers={"Retry-After": "0"}, json={"detail": "slow down"}, request=request
            )
        if kind == "html":
            return httpx.Response(
                502,
                headers={"Content-Type": "text/html"},
                text="<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                request=request,
            )
        if kind == "empty":
            return httpx.Response(200, content=b"", request=request)
        real = self.inner.handle_request(request)
        real.read()
        body = real.content[: max(1, len(real.content) // 2)]
        return httpx.Response(
            real.status_code, headers=dict(real.headers), content=body, request=request
        )

    def close(self) -> None:
        self.inner.close()


__all__ = ["FAULT_KINDS", "FaultTransport"]
