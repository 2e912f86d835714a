"""Bounded load against the local server (loopback only; fixed counts; stops by itself): every call completes,
the connection pool never holds more connections than its limit, and no socket stays open afterwards."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from faultserver import ACC, FaultServer, make_client

from thingspace_fota import AsyncFotaClient, FirmwareReportRequest, FotaClient

CALLS = 2_000
CONCURRENCY = 64
FD_DIR = Path("/proc/self/fd")


def open_sockets() -> int:
    """Sockets this process holds open (client and server side alike)."""
    count = 0
    for entry in FD_DIR.iterdir():
        try:
            count += os.readlink(entry).startswith("socket:")
        except FileNotFoundError:  # closed while listing
            continue
    return count


def sockets_back_to(baseline: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    now = open_sockets()
    while now > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
        now = open_sockets()
    return now


def device(n: int) -> str:
    return f"35{n:013d}"


def check_results(results: list[FirmwareReportRequest], server: FaultServer, calls: int) -> None:
    assert len(results) == calls
    assert all(r.account_name == ACC for r in results)
    # Each result answers its own call: the request id names the device it was made for, and is unique.
    assert [r.request_id.split("-")[1] for r in results] == [device(n) for n in range(calls)]
    assert len({r.request_id for r in results}) == calls
    assert server.count == calls  # no call needed a retry
    assert sorted(r.path.rsplit("/", 1)[1] for r in server.requests) == [device(n) for n in range(calls)]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("max_connections", [64, 16])
def test_2000_async_reports_at_concurrency_64(max_connections: int) -> None:
    assert FD_DIR.is_dir(), "the socket count needs /proc (Linux)"
    with FaultServer() as server:
        baseline = open_sockets()
        peak_in_flight = 0

        async def main() -> list[FirmwareReportRequest]:
            nonlocal peak_in_flight
            in_flight = 0
            gate = asyncio.Semaphore(CONCURRENCY)
            fota = make_client("async", server.url, max_connections=max_connections)
            assert isinstance(fota, AsyncFotaClient)

            async def one(n: int) -> FirmwareReportRequest:
                nonlocal in_flight, peak_in_flight
                async with gate:
                    in_flight += 1
                    peak_in_flight = max(peak_in_flight, in_flight)
                    try:
                        return await fota.report_device_firmware(ACC, device(n))
                    finally:
                        in_flight -= 1

            async with fota:
                return await asyncio.gather(*(one(n) for n in range(CALLS)))

        started = time.monotonic()
        results = asyncio.run(main())
        elapsed = time.monotonic() - started

        check_results(results, server, CALLS)
        assert peak_in_flight == CONCURRENCY
        assert 2 <= server.max_open_connections <= max_connections
        assert server.connections_total <= CALLS
        assert server.wait_until_no_connections(5.0), server.open_connections
        assert sockets_back_to(baseline) <= baseline
        assert elapsed < 90.0


@pytest.mark.timeout(120)
def test_400_sync_reports_from_16_threads_share_a_pool_of_8() -> None:
    calls, threads, limit = 400, 16, 8
    with FaultServer() as server:
        baseline = open_sockets()
        fota = make_client("sync", server.url, max_connections=limit)
        assert isinstance(fota, FotaClient)
        with fota, ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(lambda n: fota.report_device_firmware(ACC, device(n)), range(calls)))
        check_results(results, server, calls)
        assert 2 <= server.max_open_connections <= limit
        assert server.wait_until_no_connections(5.0), server.open_connections
        assert sockets_back_to(baseline) <= baseline
