"""Regression tests for defects a review found in the core request machinery; each failed before its fix.

Against the tests' own server on 127.0.0.1 (faultserver), sync and async.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from faultserver import ACC, ACCESS_TOKEN, M2M_TOKEN, Reply, call, make_client, running

import thingspace_fota as tf

DEVICE = "990013907835573"

# Valid JSON that Python will not decode: an integer longer than the int conversion limit (4300 digits) makes
# json.loads raise a plain ValueError, which escaped as a non-FotaError before.
HUGE_INT_BODY = b'{"accountName": "a", "requestId": ' + b"1" * 5000 + b"}"


def huge_int_reply(status: int) -> Reply:
    return Reply(status, HUGE_INT_BODY, content_type="application/json")


def test_a_2xx_with_an_integer_beyond_pythons_limit_is_a_response_validation_error(kind: str) -> None:
    with running() as server:
        server.script(huge_int_reply(200))
        with pytest.raises(tf.ResponseValidationError, match="not JSON"):
            call(kind, server.url, "report_device_firmware", ACC, DEVICE)


def test_an_error_status_with_an_integer_beyond_pythons_limit_keeps_its_type(kind: str) -> None:
    with running() as server:
        server.script(huge_int_reply(400))
        with pytest.raises(tf.BadRequestError) as caught:
            call(kind, server.url, "report_device_firmware", ACC, DEVICE)
    assert caught.value.body == HUGE_INT_BODY.decode()  # the text, as for any body that is not JSON
    assert "a non-JSON body: application/json" in str(caught.value)


def test_the_debug_log_of_a_body_with_an_integer_beyond_pythons_limit(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with running() as server, caplog.at_level(logging.DEBUG, logger="thingspace_fota"):
        server.script(huge_int_reply(400))
        with pytest.raises(tf.BadRequestError):
            call(kind, server.url, "report_device_firmware", ACC, DEVICE, client={"max_retries": 0})
    bodies = [r.getMessage() for r in caplog.records if "response body" in r.getMessage()]
    assert bodies == [
        f"PUT /firmware/{{acc}}/async/{{deviceId}} response body: <{len(HUGE_INT_BODY)} bytes of application/json>"
    ]


# -- a closed client -----------------------------------------------------------------------------------------------


def test_a_call_on_a_closed_sync_client_is_a_connection_error() -> None:
    with running() as server:
        fota = make_client("sync", server.url)
        assert isinstance(fota, tf.FotaClient)
        fota.close()
        with pytest.raises(tf.APIConnectionError, match="the client is closed"):
            fota.list_available_firmware(ACC)
        outcomes = fota.report_device_firmware_many(ACC, [DEVICE, "990013907835574"])
        assert list(outcomes) == [DEVICE]  # a repeating failure: the fan-out stops at the first
        assert isinstance(outcomes[DEVICE], tf.APIConnectionError)
        assert server.count == 0


def test_a_call_on_a_closed_async_client_is_a_connection_error() -> None:
    async def main(url: str) -> None:
        fota = make_client("async", url)
        assert isinstance(fota, tf.AsyncFotaClient)
        await fota.aclose()
        with pytest.raises(tf.APIConnectionError, match="the client is closed"):
            await fota.list_available_firmware(ACC)
        with pytest.raises(tf.APIConnectionError, match="the client is closed"):
            await fota.synchronize_device_firmware(ACC, [DEVICE])

    with running() as server:
        asyncio.run(main(server.url))
        assert server.count == 0


def test_a_call_through_a_closed_http_client_of_the_users_is_a_connection_error(kind: str) -> None:
    with running() as server:
        if kind == "sync":
            http = httpx.Client()
            http.close()
            with pytest.raises(tf.APIConnectionError, match="the client is closed"):
                tf.FotaClient(
                    base_url=server.url, access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN, http_client=http
                ).list_available_firmware(ACC)
        else:

            async def main() -> None:
                http = httpx.AsyncClient()
                await http.aclose()
                fota = tf.AsyncFotaClient(
                    base_url=server.url, access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN, http_client=http
                )
                with pytest.raises(tf.APIConnectionError, match="the client is closed"):
                    await fota.list_available_firmware(ACC)

            asyncio.run(main())
        assert server.count == 0
