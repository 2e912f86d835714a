"""Bounded load against the local server (loopback only; fixed counts; stops by itself): every call completes,
the connection pool never holds more connections than its limit, and no socket stays open afterwards."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from faultserver import ACC, FaultServer, async_client, make_client

from thingspace_fota import FirmwareReportRequest, FotaClient
from thingspace_fota._constants import DEFAULT_TIMEOUT
from thingspace_fota._settings import ClientSettings
from thingspace_fota._transports import GatedTransport

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
@pytest.mark.parametrize("transport", ["async", "aiohttp"])
@pytest.mark.parametrize("max_connections", [64, 16])
def test_2000_async_reports_at_concurrency_64(max_connections: int, transport: str) -> None:
    assert FD_DIR.is_dir(), "the socket count needs /proc (Linux)"
    with FaultServer() as server:
        baseline = open_sockets()
        peak_in_flight = 0

        async def main() -> list[FirmwareReportRequest]:
            nonlocal peak_in_flight
            in_flight = 0
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(n: int) -> FirmwareReportRequest:
                nonlocal in_flight, peak_in_flight
                async with gate:
                    in_flight += 1
                    peak_in_flight = max(peak_in_flight, in_flight)
                    try:
                        return await fota.report_device_firmware(ACC, device(n))
                    finally:
                        in_flight -= 1

            async with async_client(transport, server.url, max_connections=max_connections) as fota:
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


def gated_http_client(max_connections: int) -> httpx.Client:
    """The httpx client FotaClient makes for itself (``ClientSettings.httpx_args(sync=True)``)."""
    settings = ClientSettings(
        base_url="http://127.0.0.1",
        timeout=DEFAULT_TIMEOUT,
        max_retries=0,
        max_retry_wait=1,
        max_connections=max_connections,
        default_headers=None,
    )
    return httpx.Client(**settings.httpx_args(sync=True))


@pytest.mark.timeout(120)
def test_800_sync_reports_from_32_threads_share_a_pool_of_8() -> None:
    # Without the gate in front of httpcore's sync pool (encode/httpcore#1110), one or two of these calls fail
    # with EBADF or hang until the read timeout in almost every run; the retries would then show as extra requests.
    calls, threads, limit = 800, 32, 8
    with FaultServer() as server:
        baseline = open_sockets()
        http = gated_http_client(limit)
        fota = make_client("sync", server.url, http_client=http, max_retries=0)
        assert isinstance(fota, FotaClient)
        with http, fota, ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(lambda n: fota.report_device_firmware(ACC, device(n)), range(calls)))
        check_results(results, server, calls)
        assert 2 <= server.max_open_connections <= limit
        assert server.wait_until_no_connections(5.0), server.open_connections
        assert sockets_back_to(baseline) <= baseline


class Recording(httpx.BaseTransport):
    """An inner transport that records how many requests are inside it at once; each answer takes ``delay``."""

    def __init__(self, delay: float = 0.02, fail: bool = False) -> None:
        self.delay, self.fail = delay, fail
        self.inside = self.peak = self.calls = 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.inside += 1
            self.calls += 1
            self.peak = max(self.peak, self.inside)
        time.sleep(self.delay)
        with self.lock:
            self.inside -= 1
        if self.fail:
            raise httpx.ReadError("boom", request=request)
        return httpx.Response(200, stream=httpx.ByteStream(b"{}"))  # a stream, as a network transport gives


def test_gated_transport_admits_at_most_its_limit() -> None:
    inner = Recording()
    with httpx.Client(transport=GatedTransport(inner, 3)) as http, ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda _: http.get("http://fota.test/").status_code, range(60)))
    assert statuses == [200] * 60
    assert inner.peak == 3


def test_gated_transport_frees_its_place_after_errors() -> None:
    inner = Recording(delay=0, fail=True)
    with httpx.Client(transport=GatedTransport(inner, 1)) as http:
        for _ in range(5):  # a leaked place would make the second request wait for the pool timeout
            with pytest.raises(httpx.ReadError):
                http.get("http://fota.test/", timeout=httpx.Timeout(5, pool=0.5))
    assert inner.calls == 5


def test_gated_transport_releases_a_response_that_was_already_read() -> None:
    transport = GatedTransport(httpx.MockTransport(lambda request: httpx.Response(200, content=b"{}")), 1)
    with httpx.Client(transport=transport) as http:
        for _ in range(3):
            assert http.get("http://fota.test/", timeout=httpx.Timeout(5, pool=0.5)).status_code == 200


def test_gated_transport_times_out_after_the_pool_timeout() -> None:
    transport = GatedTransport(Recording(delay=0), 1)
    with httpx.Client(transport=transport) as http:
        held = http.send(http.build_request("GET", "http://fota.test/"), stream=True)  # holds the only place
        started = time.monotonic()
        with pytest.raises(httpx.PoolTimeout):
            http.get("http://fota.test/", timeout=httpx.Timeout(5, pool=0.3))
        assert 0.3 - 0.05 <= time.monotonic() - started < 3.0
        held.close()
        assert http.get("http://fota.test/", timeout=httpx.Timeout(5, pool=0.3)).status_code == 200
