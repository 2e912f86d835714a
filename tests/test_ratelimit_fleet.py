"""Issue 13's fleet job against a local rate-limited server (tests/ratelimitserver.py: a token bucket admitting
100 requests/s, 429 with Retry-After: 1 beyond): 1,000 report_device_firmware calls at concurrency 64 through one
client (async tasks, or 64 threads sharing a FotaClient) lose no call, and few of the answers are 429.

Counts only; the job's time against N / rate is the bench's "rate-limited fleet job" table (bench/ratelimited.py).
"""

from __future__ import annotations

import pytest
from ratelimitserver import RATE, fleet_job, rate_limited

CALLS = 1_000
CONCURRENCY = 64


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("max_rate", "max_refused_share"), [(RATE, 0.02), (None, 0.20)], ids=["max_rate", "adaptive"])
def test_a_rate_limited_fleet_job_loses_no_call(kind: str, max_rate: float | None, max_refused_share: float) -> None:
    with rate_limited(RATE) as (server, limit):
        job = fleet_job(kind, server.url, CALLS, CONCURRENCY, max_rate=max_rate)
    assert job.lost == []
    assert job.done == CALLS
    assert limit.admitted == CALLS  # every call got through exactly once
    assert server.count == limit.admitted + limit.refused
    assert limit.refused_share <= max_refused_share, (limit.refused, limit.admitted)
