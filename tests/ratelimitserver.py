"""A rate-limited FOTA server on 127.0.0.1 (the tests' FaultServer with a token-bucket handler), and the fleet job
the rate-limit tests and ``bench/ratelimited.py`` run against it.

The server admits ``rate`` requests per second with a burst of ``burst`` (default: one second's worth), as an API
gateway's token bucket does, and answers ``429`` with ``Retry-After: 1`` beyond that (the behaviour issue 13
measured). It counts what it admitted and what it refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from faultserver import ACC, Action, FaultServer, Reply, Seen, make_client

from thingspace_fota import AsyncFotaClient, FotaClient, FotaError

RATE = 100.0
RETRY_AFTER = "1"


class TokenBucketLimit:
    """A FaultServer handler: the default FOTA answer while a token is left, else 429 with ``Retry-After``."""

    def __init__(self, rate: float = RATE, burst: float | None = None, retry_after: str = RETRY_AFTER) -> None:
        self.rate = rate
        self.burst = rate if burst is None else burst
        self.retry_after = retry_after
        self.tokens = self.burst
        self.last = time.monotonic()
        self.admitted = 0
        self.refused = 0

    def __call__(self, request: Seen) -> Action | None:
        # Runs on the server's single event-loop thread: no lock needed.
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.admitted += 1
            return None  # the default answer
        self.refused += 1
        body = {"errorCode": "TOO_MANY_REQUESTS", "errorMessage": "rate limit exceeded"}
        return Reply(429, body, {"Retry-After": self.retry_after})

    @property
    def refused_share(self) -> float:
        """The share of the answers that were 429."""
        answers = self.admitted + self.refused
        return self.refused / answers if answers else 0.0


@contextlib.contextmanager
def rate_limited(rate: float = RATE, burst: float | None = None) -> Iterator[tuple[FaultServer, TokenBucketLimit]]:
    limit = TokenBucketLimit(rate, burst)
    with FaultServer(limit) as server:
        yield server, limit


@dataclass
class Job:
    """The outcome of a fleet job: calls that succeeded, calls that raised, and the wall time."""

    done: int
    lost: list[FotaError]
    elapsed: float


def device(n: int) -> str:
    return f"35{n:013d}"


def fleet_job(kind: str, url: str, calls: int, concurrency: int, **client: Any) -> Job:
    """``report_device_firmware`` for ``calls`` devices through one client, ``concurrency`` at a time (tasks of one
    AsyncFotaClient, or threads sharing one FotaClient)."""
    lost: list[FotaError] = []
    started = time.monotonic()
    if kind == "sync":
        fota = make_client("sync", url, **client)
        assert isinstance(fota, FotaClient)

        def one(n: int) -> bool:
            try:
                fota.report_device_firmware(ACC, device(n))
            except FotaError as exc:
                lost.append(exc)
                return False
            return True

        with fota, ThreadPoolExecutor(concurrency) as pool:
            done = sum(pool.map(one, range(calls)))
    else:

        async def main() -> int:
            gate = asyncio.Semaphore(concurrency)
            fota = make_client("async", url, **client)
            assert isinstance(fota, AsyncFotaClient)

            async def one(n: int) -> bool:
                async with gate:
                    try:
                        await fota.report_device_firmware(ACC, device(n))
                    except FotaError as exc:
                        lost.append(exc)
                        return False
                    return True

            async with fota:
                return sum(await asyncio.gather(*(one(n) for n in range(calls))))

        done = asyncio.run(main())
    return Job(done, lost, time.monotonic() - started)
