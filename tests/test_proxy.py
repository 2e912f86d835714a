"""Behind a proxy from the environment, the clients keep their protections (the sync gate, the async shards, the
deadline) and one limit of max_connections across the direct and the proxied routes. Proven through a small
forwarding proxy on loopback (tests/proxyserver.py): every call answered, and the proxy saw them all."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from faultserver import ACC, KINDS, FaultServer, Reply, Seen, Trickle, async_client, fota_answer, make_client, timed
from proxyserver import ForwardingProxy

import thingspace_fota as tf
from thingspace_fota import FirmwareReportRequest, FotaClient
from thingspace_fota._redact import mask_userinfo
from thingspace_fota._settings import ClientSettings
from thingspace_fota._transports import GatedTransport, ShardedAsyncTransport

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "request_method")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


@pytest.fixture
def proxy() -> Iterator[ForwardingProxy]:
    with ForwardingProxy() as running_proxy:
        yield running_proxy


def device(n: int) -> str:
    return f"35{n:013d}"


def slow(request: Seen) -> Reply:
    """The default answer, 10 ms late."""
    answer = fota_answer(request, 0)
    return Reply(answer.status, answer.body, answer.headers, delay=0.01)


def check(results: list[FirmwareReportRequest], calls: int, server: FaultServer, proxy: ForwardingProxy) -> None:
    assert [r.request_id.split("-")[1] for r in results] == [device(n) for n in range(calls)]
    assert server.count == calls
    assert proxy.count == calls  # every call went through the proxy
    assert all(target.startswith(f"{server.url}/firmware/{ACC}/async/") for target in proxy.forwarded)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
def test_threaded_sync_load_through_the_proxy(
    clean_env: pytest.MonkeyPatch, proxy: ForwardingProxy, variable: str
) -> None:
    clean_env.setenv(variable, proxy.url)
    calls, threads, limit = 400, 32, 4
    with FaultServer(slow) as server:
        fota = make_client("sync", server.url, max_connections=limit, max_retries=0)
        assert isinstance(fota, FotaClient)
        # The proxied route is gated like the direct one.
        assert any(isinstance(t, GatedTransport) for t in fota._http._mounts.values())
        with fota, ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(lambda n: fota.report_device_firmware(ACC, device(n)), range(calls)))
        check(results, calls, server, proxy)
        assert 1 <= proxy.max_open_connections <= limit


@pytest.mark.timeout(120)
@pytest.mark.parametrize("transport", ["async", "aiohttp"])
def test_async_load_through_the_proxy(clean_env: pytest.MonkeyPatch, proxy: ForwardingProxy, transport: str) -> None:
    clean_env.setenv("HTTP_PROXY", proxy.url)
    calls, concurrency, limit = 600, 32, 8

    async def main() -> list[FirmwareReportRequest]:
        gate = asyncio.Semaphore(concurrency)
        async with async_client(transport, server.url, max_connections=limit, max_retries=0) as fota:
            if transport == "async":
                assert any(isinstance(t, ShardedAsyncTransport) for t in fota._http._mounts.values())

            async def one(n: int) -> FirmwareReportRequest:
                async with gate:
                    return await fota.report_device_firmware(ACC, device(n))

            return await asyncio.gather(*(one(n) for n in range(calls)))

    with FaultServer(slow) as server:
        results = asyncio.run(main())
        check(results, calls, server, proxy)
        assert 2 <= proxy.max_open_connections <= limit


@pytest.mark.parametrize("kind", ["sync", "async", "aiohttp"])
def test_no_proxy_hosts_are_reached_directly(clean_env: pytest.MonkeyPatch, proxy: ForwardingProxy, kind: str) -> None:
    clean_env.setenv("ALL_PROXY", proxy.url)
    clean_env.setenv("NO_PROXY", "example.com,127.0.0.1")
    with FaultServer() as server:
        for n in range(3):
            if kind == "sync":
                fota = make_client("sync", server.url)
                assert isinstance(fota, FotaClient)
                with fota:
                    fota.report_device_firmware(ACC, device(n))
            else:

                async def one(n: int = n) -> None:
                    async with async_client(kind, server.url) as fota:
                        await fota.report_device_firmware(ACC, device(n))

                asyncio.run(one())
        assert server.count == 3
        assert proxy.count == 0


@pytest.mark.parametrize("kind", ["sync", "async", "aiohttp"])
def test_the_deadline_holds_behind_the_proxy(clean_env: pytest.MonkeyPatch, proxy: ForwardingProxy, kind: str) -> None:
    clean_env.setenv("HTTP_PROXY", proxy.url)
    with FaultServer(lambda request: Trickle(fota_answer(request, 1), every=0.05, step=1)) as server:
        outcome, elapsed = timed(kind, server.url, "report_device_firmware", ACC, device(1), max_retries=0, timeout=1.0)
    assert type(outcome) is tf.APITimeoutError, repr(outcome)
    assert proxy.count == 1
    assert 1.0 - 0.05 <= elapsed < 5.0  # the whole answer would take several seconds


def test_one_limit_across_the_direct_and_the_proxied_route(
    clean_env: pytest.MonkeyPatch, proxy: ForwardingProxy
) -> None:
    # localhost goes through the proxy, 127.0.0.1 directly: with max_connections=2, one request held open on each
    # route leaves no place for a third on either.
    clean_env.setenv("HTTP_PROXY", proxy.url)
    clean_env.setenv("NO_PROXY", "127.0.0.1")
    settings = ClientSettings(
        base_url="http://127.0.0.1",
        timeout=httpx.Timeout(5, pool=0.3),
        max_retries=0,
        max_retry_wait=1,
        max_connections=2,
        default_headers=None,
    )
    with FaultServer() as server, httpx.Client(**settings.httpx_args(sync=True)) as http:
        proxied_url = f"http://localhost:{server.port}/firmware/{ACC}"
        direct_url = f"{server.url}/firmware/{ACC}"
        held = [http.send(http.build_request("GET", url), stream=True) for url in (proxied_url, direct_url)]
        for url in (proxied_url, direct_url):
            with pytest.raises(httpx.PoolTimeout):
                http.get(url)
        for response in held:
            response.close()
        assert [http.get(url).status_code for url in (proxied_url, direct_url)] == [200, 200]
        assert proxy.count == 2  # the held one and the last one; the timed-out ones never left the client
        assert server.count == 4


# -- a proxy's password stays secret --------------------------------------------------------------------------------

PROXY_PASSWORD = "S3cretProxyPass-9d1f"  # a distinctive value the test searches for


@contextlib.contextmanager
def refusing_proxy() -> Iterator[int]:
    """A proxy on 127.0.0.1 that answers every request (a CONNECT included) 407 and closes; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def test_mask_userinfo() -> None:
    text = "407, url='http://user:pa%20ss@127.0.0.1:8080' and https://u@h/x, http://host/p@q"
    assert (
        mask_userinfo(text) == "407, url='http://[redacted]@127.0.0.1:8080' and https://[redacted]@h/x, http://host/p@q"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_proxy_password_is_in_no_error_or_log(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    with refusing_proxy() as port, caplog.at_level(logging.DEBUG):
        clean_env.setenv("HTTPS_PROXY", f"http://proxyuser:{PROXY_PASSWORD}@127.0.0.1:{port}")
        error, _ = timed(kind, "https://fota.test", "list_available_firmware", ACC, client={"max_retries": 0})
    assert isinstance(error, tf.APIConnectionError)
    assert "407" in str(error)
    shown = [str(error), repr(error), "".join(traceback.format_exception(error)), caplog.text]
    shown += [record.getMessage() for record in caplog.records]
    assert not [text for text in shown if PROXY_PASSWORD in text]
