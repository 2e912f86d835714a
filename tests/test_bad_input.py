"""Bad input: every argument of every public method and constructor, with empty, None, wrong types, whitespace,
control and invisible characters, ``..`` and ``/``. Each must raise InvalidInputError naming the argument, and the
local server must see no request (and no connection). Large and duplicated device lists must be chunked right.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from faultserver import ACC, ACCESS_TOKEN, M2M_TOKEN, FaultServer, call, make_client

import thingspace_fota as tf
from thingspace_fota import AsyncFotaClient, FotaClient, Protocol

KINDS = ["sync", "async"]
DEVICE = "990013907835573"
METHODS = ["list_available_firmware", "synchronize_device_firmware", "report_device_firmware"]


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def clients(server: FaultServer) -> Iterator[dict[str, FotaClient | AsyncFotaClient]]:
    """One client of each kind for the whole module (making an httpx client costs ~20 ms of TLS setup)."""
    made = {kind: make_client(kind, server.url) for kind in KINDS}
    yield made
    for client in made.values():
        if isinstance(client, FotaClient):
            client.close()
        else:
            asyncio.run(client.aclose())


def invoke(client: FotaClient | AsyncFotaClient, method: str, *args: Any, **kwargs: Any) -> Any:
    target: Any = client
    for part in method.split("."):
        target = getattr(target, part)
    if isinstance(client, FotaClient):
        return target(*args, **kwargs)
    return asyncio.run(target(*args, **kwargs))


# Values that are not an account or device id, by what is wrong with them.
BAD_IDS: dict[str, Any] = {
    "empty": "",
    "None": None,
    "int": 990013907835573,
    "bytes": b"990013907835573",
    "list": ["990013907835573"],
    "blank": "   ",
    "inner space": "0000123456 00001",
    "leading space": " 0000123456-00001",
    "trailing newline": "0000123456-00001\n",
    "tab": "00001\t23456",
    "CR LF": "0000\r\n123456",
    "NUL": "0000\x00123456",
    "DEL": "0000\x7f",
    "C1 control": "0000\x85",
    "escape": "\x1b[31m0000",
    "zero-width space": "0000\u200b123456",
    "byte order mark": "\ufeff0000123456",
    "line separator": "0000\u2028",
    "no-break space": "0000\u00a0123456",
    "lone surrogate": "0000\ud800",
    "dot": ".",
    "dot dot": "..",
    "slash": "0000123456/00001",
    "only a slash": "/",
    "traversal": "../../admin",
    "too long": "9" * 257,
}

BAD_DEVICE_LISTS: dict[str, Any] = {
    "None": None,
    "a single string": DEVICE,
    "bytes": b"990013907835573",
    "int": 42,
    "float": 1.5,
    "empty list": [],
    "empty tuple": (),
    "empty set": set(),
    "empty generator": (d for d in []),
}

BAD_PROTOCOLS: dict[str, Any] = {
    "empty": "",
    "None": None,
    "int": 5,
    "bytes": b"LWM2M",
    "list": ["LWM2M"],
    "unknown": "SNMP",
    "blank": "  ",
    "leading space": " LWM2M",
    "trailing newline": "LWM2M\n",
    "inner space": "LW M2M",
    "NUL": "LWM2M\x00",
    "zero-width space": "\u200bLWM2M",
    "dot dot": "..",
    "slash": "/",
    "traversal": "LWM2M/../x",
}

BAD_RETRIES: dict[str, Any] = {"negative": -1, "str": "2", "float": 1.0, "bool": True, "list": [2]}

BAD_TIMEOUTS: dict[str, Any] = {
    "zero": 0,
    "negative": -1,
    "str": "5",
    "nan": math.nan,
    "inf": math.inf,
    "bool": True,
    "tuple": (1, 2),
    "no timeout": httpx.Timeout(None),
    "no connect timeout": httpx.Timeout(5, connect=None),
    "zero parts": httpx.Timeout(0),
    "negative read": httpx.Timeout(5, read=-1),
}

BAD_HEADERS: dict[str, Any] = {
    "str": "X-Trace: 1",
    "list": [("X-Trace", "1")],
    "int": 5,
    "Authorization": {"Authorization": "Bearer other"},
    "authorization lower case": {"authorization": "Bearer other"},
    "VZ-M2M-Token": {"VZ-M2M-Token": "other"},
    "int name": {1: "x"},
    "int value": {"X-Trace": 1},
    "None value": {"X-Trace": None},
    "empty name": {"": "x"},
    "space in name": {"X Trace": "x"},
    "colon in name": {"X-Trace:": "x"},
    "CR LF injection": {"X-Trace": "1\r\nVZ-M2M-Token: other"},
    "newline": {"X-Trace": "1\n"},
    "NUL": {"X-Trace": "1\x00"},
    "non-ASCII": {"X-Trace": "caf\u00e9"},
    "zero-width": {"X-Trace": "\u200b"},
}


def _cases() -> Iterator[Any]:
    """(method, args, kwargs, argument named) for every bad value of every argument of the three methods."""
    good_args = {
        "list_available_firmware": (ACC,),
        "synchronize_device_firmware": (ACC, [DEVICE]),
        "report_device_firmware": (ACC, DEVICE),
    }
    for method in METHODS:
        for label, value in BAD_IDS.items():
            args = (value, *good_args[method][1:])
            yield pytest.param(method, args, {}, "account_id", id=f"{method}-account_id-{label}")
        for label, value in BAD_RETRIES.items():
            yield pytest.param(
                method, good_args[method], {"max_retries": value}, "max_retries", id=f"{method}-max_retries-{label}"
            )
        for label, value in BAD_TIMEOUTS.items():
            yield pytest.param(method, good_args[method], {"timeout": value}, "timeout", id=f"{method}-timeout-{label}")
        for label, value in BAD_HEADERS.items():
            yield pytest.param(
                method, good_args[method], {"extra_headers": value}, "extra_headers", id=f"{method}-headers-{label}"
            )
    for label, value in BAD_IDS.items():
        yield pytest.param(
            "report_device_firmware", (ACC, value), {}, "device_id", id=f"report_device_firmware-device_id-{label}"
        )
        yield pytest.param(
            "synchronize_device_firmware",
            (ACC, [DEVICE, value]),
            {},
            "device_ids[1]",
            id=f"synchronize_device_firmware-device_ids-element-{label}",
        )
    for label, value in BAD_DEVICE_LISTS.items():
        yield pytest.param(
            "synchronize_device_firmware", (ACC, value), {}, "device_ids", id=f"synchronize-device_ids-{label}"
        )
    for label, value in BAD_PROTOCOLS.items():
        yield pytest.param(
            "list_available_firmware", (ACC,), {"protocol": value}, "protocol", id=f"list-protocol-{label}"
        )
    for label, value in {
        "None": None,
        "zero": 0,
        "negative": -1,
        "above 100": 101,
        "str": "10",
        "float": 10.0,
        "bool": True,
    }.items():
        yield pytest.param(
            "synchronize_device_firmware",
            (ACC, [DEVICE]),
            {"batch_size": value},
            "batch_size",
            id=f"synchronize-batch_size-{label}",
        )


@pytest.mark.parametrize(("method", "args", "kwargs", "argument"), list(_cases()))
def test_bad_argument_is_refused_before_anything_is_sent(  # noqa: PLR0917 - parametrized
    server: FaultServer,
    clients: dict[str, FotaClient | AsyncFotaClient],
    kind: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    argument: str,
) -> None:
    requests, connections = server.count, server.connections_total
    with pytest.raises(tf.InvalidInputError) as caught:
        invoke(clients[kind], method, *args, **kwargs)
    error = caught.value
    assert error.argument == argument or error.argument.startswith(f"{argument}["), error.argument
    assert str(error).startswith(f"{error.argument}: ")
    assert (server.count, server.connections_total) == (requests, connections)  # nothing sent, not even a connect


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("argument", "value"), [("account_id", ""), ("account_id", ".."), ("timeout", 0)])
def test_raw_response_methods_validate_too(  # noqa: PLR0917 - parametrized
    server: FaultServer,
    clients: dict[str, FotaClient | AsyncFotaClient],
    kind: str,
    method: str,
    argument: str,
    value: Any,
) -> None:
    before = server.count
    args: tuple[Any, ...] = {
        "list_available_firmware": (ACC,),
        "synchronize_device_firmware": (ACC, [DEVICE]),
        "report_device_firmware": (ACC, DEVICE),
    }[method]
    kwargs: dict[str, Any] = {}
    if argument == "account_id":
        args = (value, *args[1:])
    else:
        kwargs[argument] = value
    with pytest.raises(tf.InvalidInputError) as caught:
        invoke(clients[kind], f"with_raw_response.{method}", *args, **kwargs)
    assert caught.value.argument == argument
    assert server.count == before


def test_a_bad_id_at_the_end_of_10000_refuses_the_whole_call(kind: str) -> None:
    ids = [f"35{n:013d}" for n in range(9_999)] + ["35 bad"]
    with FaultServer() as server:
        with pytest.raises(tf.InvalidInputError) as caught:
            call(kind, server.url, "synchronize_device_firmware", ACC, ids)
        assert caught.value.argument == "device_ids[9999]"
        assert server.count == 0  # validation happens before the first chunk is sent


# -- constructors ---------------------------------------------------------------------------------------------------

BAD_CONSTRUCTOR_ARGS: dict[str, dict[str, Any]] = {
    "base_url": {
        "empty": "",
        "None": None,
        "int": 5,
        "blank": "   ",
        "ftp": "ftp://127.0.0.1/fota",
        "no scheme": "127.0.0.1:4010",
        "relative": "/api/fota/v3",
        "no host": "http://",
        "credentials": "http://user:pw@127.0.0.1/fota",
        "query": "http://127.0.0.1/fota?x=1",
        "fragment": "http://127.0.0.1/fota#x",
    },
    "access_token": {"None": None, "empty": "", "int": 5, "blank": "  ", "space": "tok en", "newline": "tok\n"},
    "m2m_token": {"None": None, "empty": "", "int": 5, "blank": "  ", "space": "tok en", "NUL": "tok\x00"},
    "timeout": {"None": None, **BAD_TIMEOUTS},
    "max_retries": {"None": None, **BAD_RETRIES},
    "max_retry_wait": {"None": None, "zero": 0, "negative": -1, "str": "60", "nan": math.nan, "inf": math.inf},
    "max_connections": {"None": None, "zero": 0, "negative": -1, "str": "64", "float": 1.5, "bool": True},
    "default_headers": BAD_HEADERS,
    "http_client": {"str": "client", "int": 5, "transport": httpx.MockTransport(lambda r: httpx.Response(200))},
}


def _constructor_cases() -> Iterator[Any]:
    for argument, values in BAD_CONSTRUCTOR_ARGS.items():
        for label, value in values.items():
            yield pytest.param(argument, value, id=f"{argument}-{label}")


@pytest.mark.parametrize(("argument", "value"), list(_constructor_cases()))
def test_bad_constructor_argument(server: FaultServer, kind: str, argument: str, value: Any) -> None:
    with pytest.raises(tf.InvalidInputError) as caught:
        make_client(kind, server.url, **{argument: value})
    assert argument in caught.value.argument, caught.value.argument
    assert server.count == 0


@pytest.mark.parametrize("value", [None, 0, -1, "8", True, 1.5])
def test_bad_max_concurrency(server: FaultServer, value: Any) -> None:
    with pytest.raises(tf.InvalidInputError) as caught:
        AsyncFotaClient(base_url=server.url, access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN, max_concurrency=value)
    assert caught.value.argument == "max_concurrency"


def test_http_client_of_the_other_kind_is_refused() -> None:
    async def main() -> None:
        async with httpx.AsyncClient() as async_http:
            with pytest.raises(tf.InvalidInputError) as caught:
                FotaClient(access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN, http_client=async_http)  # type: ignore[arg-type]
            assert caught.value.argument == "http_client"
        with httpx.Client() as sync_http:
            with pytest.raises(tf.InvalidInputError) as caught:
                AsyncFotaClient(access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN, http_client=sync_http)  # type: ignore[arg-type]
            assert caught.value.argument == "http_client"

    asyncio.run(main())


def test_messages_never_quote_a_bad_token_or_header_value(server: FaultServer) -> None:
    secret = "tok\nSECRET-VALUE-0042"
    with pytest.raises(tf.InvalidInputError) as caught:
        FotaClient(base_url=server.url, access_token=secret, m2m_token=M2M_TOKEN)
    assert "SECRET-VALUE-0042" not in str(caught.value)
    assert caught.value.argument == "access_token"
    with pytest.raises(tf.InvalidInputError) as caught:
        FotaClient(
            base_url=server.url,
            access_token=ACCESS_TOKEN,
            m2m_token=M2M_TOKEN,
            default_headers={"X-Api-Key": "key\r\nSECRET-VALUE-0042"},
        )
    assert "SECRET-VALUE-0042" not in str(caught.value)


# -- valid but awkward input: duplicates and large lists ------------------------------------------------------------


def _sync_bodies(server: FaultServer) -> list[list[str]]:
    bodies = [r.json()["deviceList"] for r in server.requests if r.path.endswith("/devices")]
    return sorted(bodies, key=lambda chunk: chunk[0])  # the async client sends chunks concurrently


def test_duplicates_are_sent_once_in_first_occurrence_order(kind: str) -> None:
    with FaultServer() as server:
        result = call(kind, server.url, "synchronize_device_firmware", ACC, ["b", "a", "b", "c", "a"])
        assert [r.json() for r in server.requests] == [{"deviceList": ["b", "a", "c"]}]
    assert [d.device_id for d in result.devices] == ["b", "a", "c"]


def test_10000_devices_go_in_100_chunks_of_100(kind: str) -> None:
    ids = [f"35{n:013d}" for n in range(10_000)]
    with FaultServer() as server:
        result = call(kind, server.url, "synchronize_device_firmware", ACC, ids)
        bodies = _sync_bodies(server)
    assert len(bodies) == 100
    assert all(len(chunk) == 100 for chunk in bodies)
    assert [i for chunk in bodies for i in chunk] == ids
    assert [d.device_id for d in result.devices] == ids  # merged in request order


def test_10000_devices_with_every_id_twice_from_a_generator(kind: str) -> None:
    ids = [f"35{n:013d}" for n in range(5_000)]
    with FaultServer() as server:
        result = call(kind, server.url, "synchronize_device_firmware", ACC, (i for i in ids + ids[::-1]))
        bodies = _sync_bodies(server)
    assert len(bodies) == 50
    assert [i for chunk in bodies for i in chunk] == ids
    assert [d.device_id for d in result.devices] == ids


@pytest.mark.parametrize(("count", "batch_size", "sizes"), [(20, 7, [7, 7, 6]), (100, 100, [100]), (1, 1, [1])])
def test_batch_size(kind: str, count: int, batch_size: int, sizes: list[int]) -> None:
    ids = [f"35{n:013d}" for n in range(count)]
    with FaultServer() as server:
        raw = call(kind, server.url, "with_raw_response.synchronize_device_firmware", ACC, ids, batch_size=batch_size)
        bodies = _sync_bodies(server)
    assert [len(chunk) for chunk in bodies] == sizes
    assert [len(response.parsed.devices) for response in raw] == sizes
    assert all(response.status_code == 200 for response in raw)


@pytest.mark.parametrize("spelling", ["LWM2M", "lwm2m", "OMA-DM", "OMD-DM", "oma_dm", "http", "ALL", Protocol.ALL])
def test_good_protocol_spellings_are_sent_as_the_wire_value(kind: str, spelling: str) -> None:
    with FaultServer() as server:
        call(kind, server.url, "list_available_firmware", ACC, protocol=spelling)
        [request] = server.requests
    assert request.query == f"protocol={Protocol(spelling).value}"


def test_ids_with_url_characters_stay_in_their_path_segment(kind: str) -> None:
    odd = "a?b#c%2e%2e\\d;e"
    with FaultServer() as server:
        result = call(kind, server.url, "report_device_firmware", ACC, odd)
        [request] = server.requests
    assert request.path == f"/firmware/{ACC}/async/{odd}"
    assert request.query == ""
    assert result.account_name == ACC


def test_client_construction_makes_no_connection(kind: str) -> None:
    with FaultServer() as server:
        client = make_client(kind, server.url)
        if isinstance(client, FotaClient):
            client.close()
        else:
            asyncio.run(client.aclose())
        assert server.connections_total == 0
