"""The async client's sharded transport: it never holds more connections than configured, keeps reusing
keep-alive connections, and frees its in-flight count on every way a request can end."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from faultserver import ACC, FaultServer, Reset, running

from thingspace_fota import APIConnectionError, AsyncFotaClient
from thingspace_fota._transports import SHARD_SIZE, ShardedAsyncTransport


@pytest.mark.parametrize("limit", [1, 7, 8, 9, 16, 63, 64, 100])
def test_shard_sizes_add_up_to_the_limit(limit: int) -> None:
    transport = ShardedAsyncTransport(limit)
    sizes = [shard._pool._max_connections for shard in transport._shards]
    assert sum(sizes) == limit
    assert max(sizes) <= SHARD_SIZE
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.anyio
@pytest.mark.timeout(60)
async def test_pool_limit_holds_and_counts_return_to_zero() -> None:
    with running() as server:
        fota = AsyncFotaClient(base_url=server.url, access_token="t" * 12, m2m_token="m" * 12, max_connections=12)
        transport = fota._http._transport
        assert isinstance(transport, ShardedAsyncTransport)
        async with fota:
            results = await asyncio.gather(*(fota.report_device_firmware(ACC, f"35{n:013d}") for n in range(300)))
            assert len(results) == 300
            assert server.max_open_connections <= 12
            assert transport._in_flight == [0] * len(transport._in_flight)
            # Sequential calls reuse one keep-alive connection instead of opening new ones.
            before = server.connections_total
            for n in range(20):
                await fota.report_device_firmware(ACC, f"35{n:013d}")
            assert server.connections_total - before <= 1
        assert server.wait_until_no_connections()


@pytest.mark.anyio
async def test_in_flight_count_is_freed_when_the_connection_fails() -> None:
    server: FaultServer
    with running() as server:
        server.script(Reset(), Reset(), Reset())
        async with AsyncFotaClient(
            base_url=server.url, access_token="t" * 12, m2m_token="m" * 12, max_retries=2
        ) as fota:
            transport = fota._http._transport
            assert isinstance(transport, ShardedAsyncTransport)
            with pytest.raises(APIConnectionError):
                await fota.report_device_firmware(ACC, "990013907835573")
            assert transport._in_flight == [0] * len(transport._in_flight)
            assert server.count == 3


@pytest.mark.anyio
async def test_streamed_response_frees_its_place_once_closed() -> None:
    with running() as server:
        transport = ShardedAsyncTransport(8)
        async with httpx.AsyncClient(transport=transport) as http:
            async with http.stream("PUT", f"{server.url}/firmware/{ACC}/async/1") as response:
                assert transport._in_flight == [1]
                await response.aread()
            assert transport._in_flight == [0]
