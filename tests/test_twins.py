"""The sync and async clients agree: the same auth and close scenarios, run against both (the ``kind`` fixture)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from faultserver import ACC, ACCESS_TOKEN, M2M_TOKEN, call, reply_json, running
from test_auth_support import DEVICE, FakeThingSpace, credentials

import thingspace_fota as tf
from thingspace_fota._auth import AsyncTokenCallablesAuth, TokenCallablesAuth

REFUSED = reply_json({"errorCode": "UnAuthorized", "errorMessage": "Invalid or expired token."}, 401)


@pytest.fixture
def fake() -> Iterator[FakeThingSpace]:
    with FakeThingSpace() as server:
        yield server


def test_static_tokens_are_checked_once_and_make_one_headers_object_in_both_twins() -> None:
    async def async_headers() -> tuple[object, object]:
        auth = AsyncTokenCallablesAuth(ACCESS_TOKEN, M2M_TOKEN)
        return await auth.headers(), await auth.headers()

    sync_auth = TokenCallablesAuth(ACCESS_TOKEN, M2M_TOKEN)
    first, second = asyncio.run(async_headers())
    assert sync_auth.headers() is sync_auth.headers()
    assert first is second
    assert first == sync_auth.headers() == {"Authorization": f"Bearer {ACCESS_TOKEN}", "VZ-M2M-Token": M2M_TOKEN}


def test_static_tokens_refused_with_401_are_not_retried(kind: str) -> None:
    with running() as server:
        server.script(REFUSED)
        with pytest.raises(tf.AuthenticationError):
            call(kind, server.url, "report_device_firmware", ACC, DEVICE)
        assert server.count == 1  # a static token would be refused again


def test_token_callables_are_asked_before_every_attempt_and_retried_once_after_401(kind: str) -> None:
    asked: list[str] = []

    def access() -> str:
        asked.append("access")
        return f"{ACCESS_TOKEN}-{len(asked)}"

    with running() as server:
        server.script(REFUSED)
        result = call(kind, server.url, "report_device_firmware", ACC, DEVICE, client={"access_token": access})
        assert result.account_name == ACC
        assert len(asked) == 2
        sent = [r.headers["authorization"] for r in server.requests]
        assert sent == [f"Bearer {ACCESS_TOKEN}-1", f"Bearer {ACCESS_TOKEN}-2"]


def run_while_logging_in(kind: str, fake: FakeThingSpace, close: Callable[[Any], Any]) -> list[object]:
    """Start a call, close the client while its login is in flight, then call again: the outcomes, in order.

    The client uses a caller's httpx client, which close() leaves open, so the client can still be used after.
    """
    fake.login_delay = 0.6
    outcomes: list[object] = []

    def login_started() -> bool:
        deadline = time.monotonic() + 10
        while fake.count("token") == 0 and time.monotonic() < deadline:  # bounded: the token comes first
            time.sleep(0.01)
        time.sleep(0.2)  # the login request is now on the wire, answered after login_delay
        return fake.count("login") == 0

    if kind == "sync":
        with httpx.Client() as http:
            fota = tf.FotaClient(**credentials(fake), http_client=http)

            def first() -> None:
                try:
                    outcomes.append(fota.report_device_firmware(ACC, DEVICE))
                except Exception as exc:  # the test asserts on it
                    outcomes.append(exc)

            worker = threading.Thread(target=first)
            worker.start()
            assert login_started()
            close(fota)
            worker.join(timeout=30)
            outcomes.append(fota.report_device_firmware(ACC, DEVICE))
        return outcomes

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            fota = tf.AsyncFotaClient(**credentials(fake), http_client=http)
            task = asyncio.create_task(fota.report_device_firmware(ACC, DEVICE))
            assert await asyncio.to_thread(login_started)
            await close(fota)
            outcomes.extend(await asyncio.gather(task, return_exceptions=True))
            outcomes.append(await fota.report_device_firmware(ACC, DEVICE))

    asyncio.run(scenario())
    return outcomes


def test_close_waits_for_a_login_in_flight_and_forgets_the_tokens(kind: str, fake: FakeThingSpace) -> None:
    def close(fota: Any) -> Any:
        return fota.close() if kind == "sync" else fota.aclose()

    first, second = run_while_logging_in(kind, fake, close)
    assert isinstance(first, tf.FirmwareReportRequest), first  # the call in flight was not broken by close()
    assert isinstance(second, tf.FirmwareReportRequest)
    assert fake.count("token") == fake.count("login") == 2  # close() forgot the tokens: the next call logs in


def test_closing_twice_and_using_a_closed_own_pool_behave_alike(kind: str) -> None:
    with running() as server:
        if kind == "sync":
            fota = tf.FotaClient(base_url=server.url, access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN)
            fota.close()
            fota.close()
            with pytest.raises(tf.APIConnectionError, match="the client is closed"):
                fota.report_device_firmware(ACC, DEVICE)
            assert server.count == 0
            return

        async def scenario() -> None:
            client = tf.AsyncFotaClient(base_url=server.url, access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN)
            await client.aclose()
            await client.aclose()
            with pytest.raises(tf.APIConnectionError, match="the client is closed"):
                await client.report_device_firmware(ACC, DEVICE)

        asyncio.run(scenario())
        assert server.count == 0
