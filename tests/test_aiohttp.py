"""DefaultAioHttpClient: an optional extra that `import thingspace_fota` never loads, a clear ImportError without
it, and an aiohttp transport that never re-sends a request by itself. (Its reliability, load, proxy and deadline
behaviour is proven in those suites, which run against it too.)"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from faultserver import ACC, Drop, FaultServer, async_client

import thingspace_fota as tf
from thingspace_fota import DefaultAioHttpClient


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)


def test_import_thingspace_fota_does_not_load_aiohttp() -> None:
    result = run_python("import sys, thingspace_fota; print('aiohttp' in sys.modules, '_aiohttp' in str(sys.modules))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_without_aiohttp_making_one_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['aiohttp'] = None\n"  # what Python does for a package that is not installed
        "from thingspace_fota import DefaultAioHttpClient\n"
        "try:\n    DefaultAioHttpClient()\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "pip install 'thingspace-fota[aiohttp]'" in result.stdout


def test_it_is_exported_and_listed() -> None:
    assert "DefaultAioHttpClient" in tf.__all__
    assert tf.DefaultAioHttpClient is DefaultAioHttpClient
    with pytest.raises(AttributeError):
        tf.NoSuchName  # noqa: B018


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "8"])
def test_bad_max_connections(value: object) -> None:
    with pytest.raises(tf.InvalidInputError, match="max_connections"):
        DefaultAioHttpClient(max_connections=value)  # type: ignore[arg-type]


def test_a_socks_proxy_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(tf.InvalidInputError, match="http"):
        DefaultAioHttpClient()


@pytest.mark.parametrize("method", ["list_available_firmware", "report_device_firmware"])
def test_a_dropped_keep_alive_connection_is_not_resent_by_aiohttp(method: str) -> None:
    # aiohttp re-sends a GET or PUT once when a reused connection drops, unless told not to: with max_retries=0
    # the server must see exactly one request for the failing call.
    args = (ACC,) if method == "list_available_firmware" else (ACC, "990013907835573")

    async def main() -> None:
        async with async_client("aiohttp", server.url, max_retries=0) as fota:
            await getattr(fota, method)(*args)  # opens the keep-alive connection
            server.script(Drop())
            with pytest.raises(tf.APIConnectionError):
                await getattr(fota, method)(*args)

    with FaultServer() as server:
        asyncio.run(main())
        assert server.count == 2
        assert server.connections_total == 1


def test_closing_it_closes_the_aiohttp_session() -> None:
    async def main() -> None:
        async with DefaultAioHttpClient() as http:
            response = await http.get(f"{server.url}/firmware/{ACC}")
            assert response.status_code == 200
            assert response.json()[0]["protocol"] == "LWM2M"
            session = http._transport._shared.session  # type: ignore[attr-defined]
            assert session is not None
            assert not session.closed
        assert session.closed

    with FaultServer() as server:
        asyncio.run(main())
        assert server.wait_until_no_connections()
