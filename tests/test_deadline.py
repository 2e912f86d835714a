"""The deadline per attempt: from its first byte sent to its last byte received, an attempt lasts at most its read
timeout, however the server spaces out its head or body. Waiting for a pooled connection is not part of it.

Before it, a 70-byte answer trickled a byte every 0.25 s was returned after 22.8 s with timeout=2.0 (issue 12)."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from faultserver import ACC, KINDS, FaultServer, Reply, Seen, Trickle, async_client, fota_answer, make_client, timed

import thingspace_fota as tf
from thingspace_fota import FotaClient

DEVICE = "990013907835573"
SLACK = 0.05


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def trickled(request: Seen) -> Trickle:
    """The default answer (about 200 bytes with its head), a byte every 0.25 s: about 50 s in all."""
    return Trickle(fota_answer(request, 1), every=0.25, step=1)


def report(kind: str, url: str, **kwargs: Any) -> tuple[Any, float]:
    return timed(kind, url, "report_device_firmware", ACC, DEVICE, **kwargs)


def test_a_trickled_answer_ends_at_the_read_timeout(kind: str) -> None:
    with FaultServer(trickled) as server:
        outcome, elapsed = report(kind, server.url, client={"timeout": 2.0}, max_retries=0)
    assert type(outcome) is tf.APITimeoutError, repr(outcome)
    assert "timed out" in str(outcome)
    assert server.count == 1
    assert 2.0 - SLACK <= elapsed < 6.0


def test_the_deadline_is_the_read_value_of_an_httpx_timeout(kind: str) -> None:
    with FaultServer(trickled) as server:
        outcome, elapsed = report(kind, server.url, timeout=httpx.Timeout(30, read=0.8), max_retries=0)
    assert type(outcome) is tf.APITimeoutError, repr(outcome)
    assert 0.8 - SLACK <= elapsed < 5.0


def test_a_missed_deadline_is_retried_as_a_timeout(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="thingspace_fota")
    with FaultServer() as server:
        server.script(Trickle(Reply(200, {"accountName": ACC, "requestId": "slow"}), every=0.25))
        outcome, elapsed = report(kind, server.url, timeout=1.0, max_retries=1)
    assert isinstance(outcome, tf.FirmwareReportRequest), repr(outcome)
    assert outcome.request_id.startswith(f"req-{DEVICE}-")  # the second answer, not the trickled one
    assert server.count == 2
    assert any("retrying" in r.getMessage() and "timed out" in r.getMessage() for r in caplog.records)
    assert 1.0 - SLACK <= elapsed < 8.0


def test_an_answer_trickled_within_the_deadline_is_fine(kind: str) -> None:
    with FaultServer(lambda request: Trickle(fota_answer(request, 1), every=0.005, step=16)) as server:
        outcome, _ = report(kind, server.url, timeout=5.0, max_retries=0)
    assert isinstance(outcome, tf.FirmwareReportRequest), repr(outcome)


def late(request: Seen) -> Reply:
    answer = fota_answer(request, 0)
    return Reply(answer.status, answer.body, answer.headers, delay=0.6)


@pytest.mark.timeout(60)
def test_waiting_for_a_pooled_connection_is_not_part_of_the_deadline(kind: str) -> None:
    # One connection, two calls of 0.6 s each: the second waits 0.6 s for the connection, then its attempt takes
    # 0.6 s, within its read timeout of 1 s; 1.2 s in all.
    timeout = httpx.Timeout(5, read=1.0)
    with FaultServer(late) as server:
        started = time.monotonic()
        if kind == "sync":
            fota = make_client("sync", server.url, max_connections=1, timeout=timeout, max_retries=0)
            assert isinstance(fota, FotaClient)
            with fota, ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda n: fota.report_device_firmware(ACC, f"35{n:013d}"), range(2)))
        else:

            async def main() -> list[tf.FirmwareReportRequest]:
                async with async_client(kind, server.url, max_connections=1, timeout=timeout, max_retries=0) as fota:
                    return await asyncio.gather(*(fota.report_device_firmware(ACC, f"35{n:013d}") for n in range(2)))

            results = asyncio.run(main())
        elapsed = time.monotonic() - started
    assert [r.account_name for r in results] == [ACC, ACC]
    assert server.count == 2
    assert server.max_open_connections == 1
    assert elapsed >= 1.2 - SLACK
