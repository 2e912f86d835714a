"""The clients measured, each doing the same FOTA v3 calls against the bench server.

Every client gets the same operations as zero-argument callables (coroutine functions for the async client), and
``check`` verifies at warm-up that each one really parsed a full answer, so that no client can look fast by
doing less work.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import httpx

ACCOUNT = "0000123456-00001"
FOTA_PATH = "/api/fota/v3"
ACCESS_TOKEN = "bench-access-token"
M2M_TOKEN = "bench-session-token"
REPORT_DEVICE = "990013907835573"
# The spec's example request (two IMEIs), and a full chunk of 100 (the API's limit per call).
SYNC_SMALL = ["990013907835573", "990013907884259"]
SYNC_CHUNK = [f"9900139{i:08d}" for i in range(100)]

OPERATIONS = ("list", "synchronize", "synchronize_100", "report")
OPERATION_LABELS = {
    "list": "list_available_firmware",
    "synchronize": "synchronize_device_firmware (2 ids)",
    "synchronize_100": "synchronize_device_firmware (100 ids)",
    "report": "report_device_firmware",
}
SYNC_CLIENTS = ("raw_httpx", "generated", "FotaClient", "verizon_sdk")
ASYNC_CLIENTS = ("raw_httpx_async", "AsyncFotaClient", "raw_aiohttp", "AsyncFotaClient_aiohttp")
CLIENTS = ("raw_httpx", "generated", "FotaClient", *ASYNC_CLIENTS, "verizon_sdk")
CLIENT_LABELS = {
    "raw_httpx": "raw httpx",
    "raw_httpx_async": "raw httpx async",
    "generated": "generated",
    "FotaClient": "FotaClient",
    "AsyncFotaClient": "AsyncFotaClient",
    "raw_aiohttp": "raw aiohttp",
    "AsyncFotaClient_aiohttp": "AsyncFotaClient + aiohttp",
    "verizon_sdk": "Verizon SDK",
}

SyncOps = dict[str, Callable[[], Any]]
AsyncOps = dict[str, Callable[[], Awaitable[Any]]]


def device_ids(count: int) -> list[str]:
    """``count`` distinct 15-digit IMEIs."""
    return [f"35{i:013d}" for i in range(count)]


def fota_url(server_url: str) -> str:
    """The FOTA v3 base URL on the bench server."""
    return server_url + FOTA_PATH


# --- raw httpx: the floor ------------------------------------------------------------------------------------------


RAW_HEADERS = {"Authorization": f"Bearer {ACCESS_TOKEN}", "VZ-M2M-Token": M2M_TOKEN, "Accept": "application/json"}


def _ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    return json.loads(response.content)


def _raw_urls(server_url: str) -> tuple[str, str, str]:
    base = f"{fota_url(server_url)}/firmware/{ACCOUNT}"
    return base, f"{base}/devices", f"{base}/async/{REPORT_DEVICE}"


def raw_httpx(server_url: str) -> tuple[SyncOps, Callable[[], None]]:
    """One ``httpx.Client`` sending the same requests; ``json.loads`` of each body."""
    http = httpx.Client(headers=RAW_HEADERS)
    list_url, sync_url, report_url = _raw_urls(server_url)
    ok = _ok
    ops: SyncOps = {
        "list": lambda: ok(http.get(list_url, params={"protocol": "LWM2M"})),
        "synchronize": lambda: ok(http.put(sync_url, json={"deviceList": SYNC_SMALL})),
        "synchronize_100": lambda: ok(http.put(sync_url, json={"deviceList": SYNC_CHUNK})),
        "report": lambda: ok(http.put(report_url)),
    }
    return ops, http.close


class RawAsync(NamedTuple):
    """The raw async client's two calls of the fleet jobs."""

    report: Callable[[str], Awaitable[Any]]
    put_chunk: Callable[[list[str]], Awaitable[Any]]


def raw_httpx_async(server_url: str) -> tuple[AsyncOps, Callable[[], Awaitable[None]], RawAsync]:
    """One ``httpx.AsyncClient`` sending the same requests (the floor of AsyncFotaClient); call it in a loop."""
    http = httpx.AsyncClient(headers=RAW_HEADERS, limits=httpx.Limits(max_connections=64))
    list_url, sync_url, report_url = _raw_urls(server_url)

    async def list_() -> Any:
        return _ok(await http.get(list_url, params={"protocol": "LWM2M"}))

    async def sync(ids: list[str]) -> Any:
        return _ok(await http.put(sync_url, json={"deviceList": ids}))

    async def report(device: str | None = None) -> Any:
        url = report_url if device is None else f"{list_url}/async/{device}"
        return _ok(await http.put(url))

    ops: AsyncOps = {
        "list": list_,
        "synchronize": lambda: sync(SYNC_SMALL),
        "synchronize_100": lambda: sync(SYNC_CHUNK),
        "report": report,
    }
    return ops, http.aclose, RawAsync(report=report, put_chunk=sync)


def raw_aiohttp(server_url: str) -> tuple[AsyncOps, Callable[[], Awaitable[None]], RawAsync]:
    """One ``aiohttp.ClientSession`` sending the same requests, ``json.loads`` of each body (the floor of
    DefaultAioHttpClient); call it in a running loop."""
    import aiohttp

    session = aiohttp.ClientSession(headers=RAW_HEADERS, connector=aiohttp.TCPConnector(limit=64))
    list_url, sync_url, report_url = _raw_urls(server_url)

    async def ok(answer: Any) -> Any:
        async with answer as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            return json.loads(await response.read())

    async def list_() -> Any:
        return await ok(session.get(list_url, params={"protocol": "LWM2M"}))

    async def sync(ids: list[str]) -> Any:
        return await ok(session.put(sync_url, json={"deviceList": ids}))

    async def report(device: str | None = None) -> Any:
        url = report_url if device is None else f"{list_url}/async/{device}"
        return await ok(session.put(url))

    ops: AsyncOps = {
        "list": list_,
        "synchronize": lambda: sync(SYNC_SMALL),
        "synchronize_100": lambda: sync(SYNC_CHUNK),
        "report": report,
    }
    return ops, session.close, RawAsync(report=report, put_chunk=sync)


# --- the generated client ------------------------------------------------------------------------------------------


def generated(server_url: str) -> tuple[SyncOps, Callable[[], None]]:
    """``thingspace_fota_generated`` with an ``AuthenticatedClient`` (``api.firmware.*.sync_detailed``)."""
    from thingspace_fota_generated import AuthenticatedClient
    from thingspace_fota_generated.api.firmware import (
        list_available_firmware,
        report_device_firmware,
        synchronize_device_firmware,
    )
    from thingspace_fota_generated.models import FirmwareIMEI

    client = AuthenticatedClient(base_url=fota_url(server_url), token=ACCESS_TOKEN, headers={"VZ-M2M-Token": M2M_TOKEN})

    def ok(response: Any) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        return response.parsed

    ops: SyncOps = {
        "list": lambda: ok(list_available_firmware.sync_detailed(ACCOUNT, client=client, protocol="LWM2M")),
        "synchronize": lambda: ok(
            synchronize_device_firmware.sync_detailed(ACCOUNT, client=client, body=FirmwareIMEI(device_list=SYNC_SMALL))
        ),
        "synchronize_100": lambda: ok(
            synchronize_device_firmware.sync_detailed(ACCOUNT, client=client, body=FirmwareIMEI(device_list=SYNC_CHUNK))
        ),
        "report": lambda: ok(report_device_firmware.sync_detailed(ACCOUNT, REPORT_DEVICE, client=client)),
    }
    return ops, lambda: client.get_httpx_client().close()


# --- this library ----------------------------------------------------------------------------------------------------


def fota_client(server_url: str) -> tuple[SyncOps, Callable[[], None]]:
    """``thingspace_fota.FotaClient`` with static tokens."""
    from thingspace_fota import FotaClient, Protocol

    fota = FotaClient(base_url=fota_url(server_url), access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN)
    ops: SyncOps = {
        "list": lambda: fota.list_available_firmware(ACCOUNT, protocol=Protocol.LWM2M),
        "synchronize": lambda: fota.synchronize_device_firmware(ACCOUNT, SYNC_SMALL),
        "synchronize_100": lambda: fota.synchronize_device_firmware(ACCOUNT, SYNC_CHUNK),
        "report": lambda: fota.report_device_firmware(ACCOUNT, REPORT_DEVICE),
    }
    return ops, fota.close


def async_fota_client(
    server_url: str, max_concurrency: int = 8, aiohttp: bool = False
) -> tuple[AsyncOps, Callable[[], Awaitable[None]], Any]:
    """``thingspace_fota.AsyncFotaClient`` with static tokens, on ``DefaultAioHttpClient`` if ``aiohttp``; also
    returns the client itself (for fleet jobs).

    Call it inside a running event loop: the httpx.AsyncClient binds to it.
    """
    from thingspace_fota import AsyncFotaClient, DefaultAioHttpClient, Protocol

    http = DefaultAioHttpClient() if aiohttp else None
    fota = AsyncFotaClient(
        base_url=fota_url(server_url),
        access_token=ACCESS_TOKEN,
        m2m_token=M2M_TOKEN,
        max_concurrency=max_concurrency,
        http_client=http,
    )

    async def aclose() -> None:
        await fota.aclose()
        if http is not None:
            await http.aclose()

    ops: AsyncOps = {
        "list": lambda: fota.list_available_firmware(ACCOUNT, protocol=Protocol.LWM2M),
        "synchronize": lambda: fota.synchronize_device_firmware(ACCOUNT, SYNC_SMALL),
        "synchronize_100": lambda: fota.synchronize_device_firmware(ACCOUNT, SYNC_CHUNK),
        "report": lambda: fota.report_device_firmware(ACCOUNT, REPORT_DEVICE),
    }
    return ops, aclose, fota


# --- Verizon's published SDK -----------------------------------------------------------------------------------------


def verizon_client(server_url: str) -> Any:
    """Verizon's ``VerizonClient`` with every server of its PRODUCTION table moved to the bench server.

    OAuth is the SDK's own client-credentials flow: it fetches a token from the bench server's
    ``/api/ts/v1/oauth2/token`` on its first call (a warm-up call, outside the timed part) and reuses it.
    The M2M session token is given statically, as the SDK's documentation shows.
    """
    from verizon.configuration import Configuration, Environment
    from verizon.http.auth.thingspace_oauth import ThingspaceOauthCredentials
    from verizon.http.auth.vz_m2m_token import VZM2mTokenCredentials
    from verizon.verizon_client import VerizonClient

    config = Configuration(
        environment=Environment.PRODUCTION,
        thingspace_oauth_credentials=ThingspaceOauthCredentials(
            oauth_client_id="bench-client-id", oauth_client_secret="bench-client-secret"
        ),
        vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token=M2M_TOKEN),
    )
    production = Configuration.environments[Environment.PRODUCTION]
    # An instance attribute shadows the class's table; get_base_uri reads self.environments.
    config.environments = {  # type: ignore[misc]
        Environment.PRODUCTION: {
            server: url.replace("https://thingspace.verizon.com", server_url) for server, url in production.items()
        }
    }
    return VerizonClient(config=config)


def verizon_sdk(server_url: str) -> tuple[SyncOps, Callable[[], None]]:
    """``sdksio-verizon-apis-sdk`` 2.0.0: ``client.firmware_v3`` on ``requests``."""
    from verizon.models.firmware_imei import FirmwareIMEI
    from verizon.models.firmware_protocol_enum import FirmwareProtocolEnum

    client = verizon_client(server_url)
    firmware = client.firmware_v3

    def ok(response: Any) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        return response.body

    ops: SyncOps = {
        "list": lambda: ok(firmware.list_available_firmware(ACCOUNT, FirmwareProtocolEnum.LW_M2M)),
        "synchronize": lambda: ok(firmware.synchronize_device_firmware(ACCOUNT, FirmwareIMEI(device_list=SYNC_SMALL))),
        "synchronize_100": lambda: ok(
            firmware.synchronize_device_firmware(ACCOUNT, FirmwareIMEI(device_list=SYNC_CHUNK))
        ),
        "report": lambda: ok(firmware.report_device_firmware(ACCOUNT, REPORT_DEVICE)),
    }
    return ops, lambda: None


SYNC_FACTORIES: dict[str, Callable[[str], tuple[SyncOps, Callable[[], None]]]] = {
    "raw_httpx": raw_httpx,
    "generated": generated,
    "FotaClient": fota_client,
    "verizon_sdk": verizon_sdk,
}


# --- result checks ---------------------------------------------------------------------------------------------------


def _get(obj: Any, *names: str) -> Any:
    """The first of ``names`` found as a key or attribute of ``obj``."""
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if not isinstance(obj, dict) and hasattr(obj, name):
            return getattr(obj, name)
    raise AssertionError(f"none of {names} in {type(obj).__name__}")


def check(op: str, result: Any) -> None:
    """Fail unless ``result`` is the full parsed answer of ``op`` (whatever the client's result type)."""
    if op == "list":
        packages = result if isinstance(result, list) else [result]
        assert len(packages) == 1, packages
        assert _get(packages[0], "model") == "LCO-277C4N"
        return
    if op == "report":
        assert _get(result, "request_id", "requestId").startswith("7a3c5e0e-")
        return
    expected = SYNC_SMALL if op == "synchronize" else SYNC_CHUNK
    if isinstance(result, dict) and "deviceFirmwarVersionList" in result:
        devices = result["deviceFirmwarVersionList"]
    else:
        devices = _get(result, "devices", "device_firmwar_version_list")
    ids = [_get(d, "device_id", "deviceId") for d in devices]
    assert ids == expected, ids[:3]
    assert all(_get(d, "firmware_version", "firmwareVersion") == "SR1.2.0.0-10657" for d in devices)
