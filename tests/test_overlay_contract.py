"""Contract tests of the public overlay, each run against Prism on the spec and against
thingspace_fota.testing.FakeFota (whose every answer is checked against the same spec): every method, sync and
async, and every declared error status mapped to its exception class."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import pytest
from backends import ACC, DEVICES, Backend
from typing_usage import use_async, use_credentials, use_sync

import thingspace_fota as tf
from thingspace_fota import Protocol

ERROR_CLASSES: dict[int, type[tf.APIStatusError]] = {
    400: tf.BadRequestError,
    401: tf.AuthenticationError,
    403: tf.PermissionDeniedError,
    404: tf.NotFoundError,
    429: tf.RateLimitError,
    500: tf.InternalServerError,
    502: tf.InternalServerError,
    503: tf.InternalServerError,
    504: tf.InternalServerError,
}
SPEC_REQUEST_ID = "7a3c5e0e-31c3-4b1b-9a0f-2b6a2d3c9e11"  # the report example of the spec
UNKNOWN_DEVICES = ["990013907800001", "990013907800002"]


def test_list_available_firmware(backend: Backend) -> None:
    with backend.client() as fota:
        [package] = fota.list_available_firmware(ACC, protocol=Protocol.LWM2M)
    assert package.firmware_name.startswith("VerizonSmartCommunities_")
    assert (package.firmware_from, package.firmware_to) == ("BG96MAR04A04M1G", "BG96MAR04A04M1G_BETA0130B")
    assert package.launch_date == datetime(2012, 4, 23, 18, 25, 43, 511000, tzinfo=UTC)
    assert package.protocol is Protocol.LWM2M
    assert package.release_note == ""
    assert (package.make, package.model) == ("Verizon Smart Communities", "LCO-277C4N")


def test_list_go_zero_date_example(backend: Backend) -> None:
    with backend.client() as fota:
        [package] = fota.list_available_firmware(ACC, protocol="HTTP", extra_headers=backend.example("goZeroDate"))
    assert package.launch_date is None
    assert package.launch_date_raw == "0001-01-01 00:00:00 +0000 UTC"
    assert package.protocol is Protocol.HTTP


@pytest.mark.parametrize("protocol", [Protocol.ALL, "oma-dm", "OMD-DM", "http", "lwm2m"])
def test_every_protocol_spelling_is_accepted_by_the_mock(backend: Backend, protocol: str) -> None:
    # Prism and the fake check the query against the spec's enum, so a wrong wire value would be a 400 here.
    with backend.client() as fota:
        response = fota.with_raw_response.list_available_firmware(ACC, protocol=protocol)
    assert response.status_code == 200
    wire = response.http_response.request.url.params["protocol"]
    assert wire in {"all", "OMD-DM", "HTTP", "LWM2M"}
    if not backend.static:  # the fake filters: every package has the protocol asked for
        assert response.parsed
        assert all(wire in {"all", p.protocol} for p in response.parsed)


def test_synchronize_device_firmware(backend: Backend) -> None:
    with backend.client() as fota:
        result = fota.synchronize_device_firmware(ACC, DEVICES)
    assert result.account_name == ACC
    assert [d.device_id for d in result.devices] == DEVICES
    first, second = result.devices
    assert first.firmware_version == "SR1.2.0.0-10657"
    assert first.status == "FirmwareVersionUpdateSuccess"
    assert first.update_time == datetime(2016, 3, 13, 12, 52, 32, 123000, tzinfo=UTC)
    assert (second.reason, second.update_time, second.update_time_raw) == (None, None, None)


def test_synchronize_without_device_list_in_answer(backend: Backend) -> None:
    # Prism: the spec's "minimal" example; the fake: devices it does not know are not in the answer.
    with backend.client() as fota:
        result = fota.synchronize_device_firmware(ACC, UNKNOWN_DEVICES, extra_headers=backend.example("minimal"))
    assert result.account_name == ACC
    assert result.devices == []


def test_synchronize_sends_chunks_the_mock_accepts(backend: Backend) -> None:
    # The spec says maxItems 100; Prism and the fake would answer 400 to a bigger chunk.
    devices = [str(990013907835573 + i) for i in range(250)]
    with backend.client() as fota:
        responses = fota.with_raw_response.synchronize_device_firmware(ACC, devices)
    assert [r.status_code for r in responses] == [200, 200, 200]
    sent = [len(httpx.Response(200, content=r.http_response.request.content).json()["deviceList"]) for r in responses]
    assert sent == [100, 100, 50]


def test_report_device_firmware(backend: Backend) -> None:
    with backend.client() as fota:
        request = fota.report_device_firmware(ACC, DEVICES[0])
        again = fota.report_device_firmware(ACC, DEVICES[0])
    assert request.account_name == ACC
    if backend.static:
        assert request.request_id == SPEC_REQUEST_ID
    else:  # a fresh request id each time
        assert request.request_id and again.request_id and request.request_id != again.request_id


@pytest.mark.anyio
async def test_async_client_all_three_operations(backend: Backend) -> None:
    devices = [str(990013907835573 + i) for i in range(230)]
    async with backend.async_client() as fota:
        packages = await fota.list_available_firmware(ACC, protocol="OMA-DM")
        result = await fota.synchronize_device_firmware(ACC, devices)
        request = await fota.report_device_firmware(ACC, DEVICES[1])
        raw = await fota.with_raw_response.report_device_firmware(ACC, DEVICES[1])
    # Prism answers its LWM2M example whatever the filter; the fake filters.
    assert packages[0].protocol is (Protocol.LWM2M if backend.static else Protocol.OMA_DM)
    assert len(result.devices) == backend.synchronized_count(devices, chunks=3)
    assert request.request_id
    assert raw.status_code == 200
    assert raw.parsed.account_name == request.account_name == ACC


@pytest.mark.parametrize(("code", "error_class"), sorted(ERROR_CLASSES.items()))
def test_declared_errors_map_to_their_class(backend: Backend, code: int, error_class: type[tf.APIStatusError]) -> None:
    with backend.client(max_retries=0) as fota, pytest.raises(error_class) as caught:
        fota.report_device_firmware(ACC, DEVICES[0], extra_headers=backend.error(code))
    error = caught.value
    assert type(error) is error_class
    assert error.status_code == code
    assert error.error_code and error.error_message
    assert error.error_message in str(error)
    assert "contract-access" not in str(error) and "contract-session" not in str(error)


@pytest.mark.anyio
@pytest.mark.parametrize("code", [400, 404, 429, 503])
async def test_declared_errors_map_to_their_class_async(backend: Backend, code: int) -> None:
    async with backend.async_client(max_retries=0) as fota:
        with pytest.raises(ERROR_CLASSES[code]) as caught:
            await fota.list_available_firmware(ACC, extra_headers=backend.error(code))
    assert caught.value.status_code == code


def test_rate_limit_carries_retry_after_from_the_mock(backend: Backend) -> None:
    with backend.client(max_retries=0) as fota, pytest.raises(tf.RateLimitError) as caught:
        fota.list_available_firmware(ACC, extra_headers=backend.error(429))
    assert caught.value.retry_after == 2.0


@pytest.mark.parametrize(
    "headers",
    [
        {"VZ-M2M-Token": "session-only"},
        {"Authorization": "Bearer access-only"},
        {"Authorization": "Basic dXNlcjpwYXNz", "VZ-M2M-Token": "session"},
    ],
    ids=["no-bearer", "no-m2m-token", "basic-instead-of-bearer"],
)
def test_mock_refuses_a_request_missing_either_auth_header(backend: Backend, headers: dict[str, str]) -> None:
    with backend.http() as http:
        response = http.get(f"/firmware/{ACC}", params={"protocol": "all"}, headers=headers)
    assert response.status_code == 401


def test_the_client_sends_both_auth_headers(backend: Backend) -> None:
    with backend.client() as fota:
        raw = fota.with_raw_response.list_available_firmware(ACC)
    sent = raw.http_response.request.headers
    assert sent["Authorization"] == "Bearer contract-access"
    assert sent["VZ-M2M-Token"] == "contract-session"
    assert sent["Accept"] == "application/json"


def test_typed_usage_file_runs(prism_url: str, auth_prism_url: str) -> None:
    packages, result, report = use_sync(prism_url)
    assert packages and result.devices and report.request_id
    assert anyio.run(use_async, prism_url).account_name == ACC
    assert use_credentials(prism_url, auth_prism_url).account_name == ACC


def sync_client(url: str, **kwargs: object) -> tf.FotaClient:
    return tf.FotaClient(base_url=url, access_token="contract-access", m2m_token="contract-session", **kwargs)  # type: ignore[arg-type]


def async_client(url: str, **kwargs: object) -> tf.AsyncFotaClient:
    return tf.AsyncFotaClient(base_url=url, access_token="contract-access", m2m_token="contract-session", **kwargs)  # type: ignore[arg-type]


# The sparse answers the spec allows (named examples Prism serves on request): read without drift, even by a
# strict client, sync and async.
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_sparse_examples_read_without_drift_by_a_strict_client(prism_url: str, kind: str) -> None:
    def run() -> tuple[
        tf.APIResponse[list[tf.FirmwarePackage]],
        list[tf.APIResponse[tf.DeviceFirmwareList]],
        list[tf.APIResponse[tf.DeviceFirmwareList]],
    ]:
        if kind == "sync":
            with sync_client(prism_url, strict=True) as fota:
                raw = fota.with_raw_response
                return (
                    raw.list_available_firmware(ACC, extra_headers={"Prefer": "example=empty"}),
                    raw.synchronize_device_firmware(ACC, DEVICES, extra_headers={"Prefer": "example=sparse"}),
                    raw.synchronize_device_firmware(ACC, DEVICES, extra_headers={"Prefer": "example=emptyList"}),
                )

        async def arun() -> Any:
            async with async_client(prism_url, strict=True) as fota:
                raw = fota.with_raw_response
                return (
                    await raw.list_available_firmware(ACC, extra_headers={"Prefer": "example=empty"}),
                    await raw.synchronize_device_firmware(ACC, DEVICES, extra_headers={"Prefer": "example=sparse"}),
                    await raw.synchronize_device_firmware(ACC, DEVICES, extra_headers={"Prefer": "example=emptyList"}),
                )

        result: Any = anyio.run(arun)
        return result  # type: ignore[no-any-return]

    empty, [sparse], [empty_list] = run()
    assert (empty.parsed, empty.drift) == ([], ())
    assert sparse.drift == ()
    first, second = sparse.parsed.devices
    assert (first.device_id, first.firmware_version, first.status, first.reason) == (
        DEVICES[0],
        "SR1.2.0.0-10657",
        None,
        None,
    )
    assert (second.device_id, second.firmware_version) == (DEVICES[1], "")
    assert sparse.parsed.unanswered_device_ids == []
    assert (empty_list.parsed.devices, empty_list.drift) == ([], ())
    assert empty_list.parsed.unanswered_device_ids == DEVICES


def test_undocumented_error_body_without_fields(prism_url: str) -> None:
    with sync_client(prism_url, max_retries=0) as fota, pytest.raises(tf.InternalServerError) as caught:
        fota.list_available_firmware(ACC, extra_headers={"Prefer": "code=500, example=empty"})
    error = caught.value
    assert (error.status_code, error.error_code, error.error_message, error.body) == (500, None, None, {})


def test_every_documented_example_is_read_without_drift_by_a_strict_client(prism_url: str) -> None:
    with sync_client(prism_url, strict=True) as fota:
        raw = fota.with_raw_response
        for example in ("documented", "goZeroDate", "empty"):
            assert raw.list_available_firmware(ACC, extra_headers={"Prefer": f"example={example}"}).drift == ()
        for example in ("documented", "minimal", "sparse", "emptyList"):
            [chunk] = raw.synchronize_device_firmware(ACC, DEVICES, extra_headers={"Prefer": f"example={example}"})
            assert chunk.drift == ()
        assert raw.report_device_firmware(ACC, DEVICES[0]).drift == ()
