"""DefaultAioHttpClient: an optional extra that `import thingspace_fota` never loads, a clear ImportError without
it, and an aiohttp transport that never re-sends a request by itself. (Its reliability, load, proxy and deadline
behaviour is proven in those suites, which run against it too.)"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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
    assert set(tf.__all__) <= set(dir(tf))  # the lazily loaded name too
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


# -- TLS: verify and cert reach the aiohttp session; arguments aiohttp cannot honour are refused ------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key (made with the openssl command line)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", key, "-out", cert),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return cert, key


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def tls_server(cert: str, key: str, *, client_ca: str | None = None) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 serving ``cert``; with ``client_ca`` it requires a client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


async def _get(url: str, **kwargs: Any) -> int:
    async with DefaultAioHttpClient(timeout=10, **kwargs) as http:
        return (await http.get(url)).status_code


def test_tls_verification_is_on_by_default_and_verify_false_turns_it_off(self_signed: tuple[str, str]) -> None:
    with tls_server(*self_signed) as url:
        with pytest.raises(httpx.ConnectError, match="certificate"):
            asyncio.run(_get(url))
        assert asyncio.run(_get(url, verify=False)) == 200


def test_verify_takes_an_ssl_context_of_your_ca(self_signed: tuple[str, str]) -> None:
    cert, _ = self_signed
    with tls_server(*self_signed) as url:
        assert asyncio.run(_get(url, verify=ssl.create_default_context(cafile=cert))) == 200


def test_cert_presents_a_client_certificate(self_signed: tuple[str, str]) -> None:
    cert, key = self_signed
    trusting = ssl.create_default_context(cafile=cert)
    with tls_server(cert, key, client_ca=cert) as url:
        with pytest.raises(httpx.TransportError):
            asyncio.run(_get(url, verify=trusting))  # no client certificate: the server refuses
        with pytest.warns(DeprecationWarning, match="cert"):  # httpx's own warning, as for httpx.AsyncClient
            assert asyncio.run(_get(url, verify=ssl.create_default_context(cafile=cert), cert=(cert, key))) == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("proxy", "http://127.0.0.1:9"),
        ("mounts", {}),
        ("transport", httpx.AsyncHTTPTransport()),
        ("limits", httpx.Limits(max_connections=4)),
        ("http1", True),
        ("http2", True),
    ],
)
def test_arguments_that_would_bypass_aiohttp_are_refused(name: str, value: object) -> None:
    with pytest.raises(tf.InvalidInputError, match=f"^{name}: ") as caught:
        DefaultAioHttpClient(**{name: value})
    assert caught.value.argument == name


def test_bad_verify_and_cert_are_named(self_signed: tuple[str, str], tmp_path: Path) -> None:
    with pytest.raises(tf.InvalidInputError, match=r"^verify: "):
        DefaultAioHttpClient(verify=123)  # type: ignore[arg-type]
    with pytest.raises(tf.InvalidInputError, match=r"^verify: "), pytest.warns(DeprecationWarning):
        DefaultAioHttpClient(verify=str(tmp_path / "missing.pem"))
    with pytest.raises(tf.InvalidInputError, match=r"^cert: "), pytest.warns(DeprecationWarning):
        DefaultAioHttpClient(cert=str(tmp_path / "missing.pem"))
