"""The overlay's handling of what a real server may send, through an httpx MockTransport (no patching):
unknown enum values, extra and missing fields, odd dates, non-JSON errors, non-standard statuses, chunking."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

import thingspace_fota as tf
from thingspace_fota import FotaClient, Protocol
from thingspace_fota._models import parse_timestamp

ACC = "0000123456-00001"
PACKAGE = {
    "firmwareName": "FW",
    "firmwareFrom": "A",
    "firmwareTo": "B",
    "launchDate": "2012-04-23T18:25:43.511Z",
    "releaseNote": "",
    "model": "M",
    "make": "K",
    "protocol": "LWM2M",
}

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, **kwargs: object) -> FotaClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return FotaClient(
        base_url="https://fota.test/api/fota/v3",
        access_token="secret-access-1234",
        m2m_token="secret-session-5678",
        http_client=http,
        max_retries=0,
        **kwargs,  # type: ignore[arg-type]
    )


def answer(status: int, body: object = None, *, content: bytes | None = None, **headers: str) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handle


def list_with(**changes: object) -> list[tf.FirmwarePackage]:
    package = {**PACKAGE, **changes}
    with client(answer(200, [{k: v for k, v in package.items() if v is not ...}])) as fota:
        return fota.list_available_firmware(ACC)


class TestProtocol:
    @pytest.mark.parametrize(
        ("given", "member"),
        [
            ("LWM2M", Protocol.LWM2M),
            ("lwm2m", Protocol.LWM2M),
            ("OMD-DM", Protocol.OMA_DM),
            ("OMA-DM", Protocol.OMA_DM),
            ("oma_dm", Protocol.OMA_DM),
            ("http", Protocol.HTTP),
            ("ALL", Protocol.ALL),
            ("all", Protocol.ALL),
        ],
    )
    def test_input_spellings(self, given: str, member: Protocol) -> None:
        assert Protocol(given) is member

    def test_wire_values(self) -> None:
        assert [p.value for p in Protocol] == ["LWM2M", "OMD-DM", "HTTP", "all"]
        assert Protocol.OMA_DM == "OMD-DM"

    def test_unknown_input_is_refused_before_sending(self) -> None:
        seen: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, json=[])

        with client(handle) as fota, pytest.raises(tf.InvalidInputError) as caught:
            fota.list_available_firmware(ACC, protocol="SNMP")
        assert caught.value.argument == "protocol"
        assert "'SNMP'" in str(caught.value)
        assert seen == []

    def test_unknown_value_from_server_is_kept(self) -> None:
        [package] = list_with(protocol="CoAP-FOTA")
        assert package.protocol == "CoAP-FOTA"
        assert not isinstance(package.protocol, Protocol)

    def test_known_value_from_server_becomes_member(self) -> None:
        [package] = list_with(protocol="OMD-DM")
        assert package.protocol is Protocol.OMA_DM


class TestDates:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("2012-04-23T18:25:43.511Z", datetime(2012, 4, 23, 18, 25, 43, 511000, tzinfo=UTC)),
            ("2020-08-24T21:45:43+02:00", datetime(2020, 8, 24, 21, 45, 43, tzinfo=timezone(timedelta(hours=2)))),
            ("2021-08-25 10:00:00 +0000 UTC", datetime(2021, 8, 25, 10, 0, tzinfo=UTC)),
            (
                "2021-08-25 10:00:00.123456789 -0500 EST",
                datetime(2021, 8, 25, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
            ),
            ("2021-08-25 10:00:00 +0000 UTC m=+0.000000001", datetime(2021, 8, 25, 10, 0, tzinfo=UTC)),
            ("2012-04-23", datetime(2012, 4, 23, tzinfo=UTC)),
            ("2012-04-23T18:25:43", datetime(2012, 4, 23, 18, 25, 43, tzinfo=UTC)),
            ("0001-01-01 00:00:00 +0000 UTC", None),
            ("0001-01-01T00:00:00Z", None),
            ("", None),
            ("not a date", None),
            ("23/04/2012", None),
        ],
    )
    def test_parse_timestamp(self, raw: str, expected: datetime | None) -> None:
        value = parse_timestamp(raw)
        assert value == expected
        if value is not None:
            assert value.tzinfo is not None

    @pytest.mark.parametrize("raw", ["", "0001-01-01 00:00:00 +0000 UTC", "garbage"])
    def test_unusable_launch_date_is_none_and_raw_is_kept(self, raw: str) -> None:
        [package] = list_with(launchDate=raw)
        assert package.launch_date is None
        assert package.launch_date_raw == raw


class TestShapes:
    def test_extra_fields_are_kept_not_fatal(self) -> None:
        [package] = list_with(newField={"a": 1}, launchChannel="beta")
        assert package.extra == {"newField": {"a": 1}, "launchChannel": "beta"}

    def test_single_object_instead_of_array(self) -> None:
        with client(answer(200, PACKAGE)) as fota:
            assert [p.firmware_name for p in fota.list_available_firmware(ACC)] == ["FW"]

    def test_missing_required_field_is_read_as_none(self) -> None:
        [package] = list_with(firmwareTo=...)
        assert package.firmware_to is None
        assert package.firmware_from == "A"

    def test_wrong_type_is_read_as_none(self) -> None:
        [package] = list_with(releaseNote=42, protocol=[1])
        assert (package.release_note, package.protocol) == (None, None)

    @pytest.mark.parametrize("body", [[], "text", 5, None])
    def test_bad_synchronize_bodies(self, body: object) -> None:
        with client(answer(200, body)) as fota, pytest.raises(tf.ResponseValidationError) as caught:
            fota.synchronize_device_firmware(ACC, ["1"])
        assert caught.value.status_code == 200

    @pytest.mark.parametrize(("body", "account"), [({"accountName": 5}, "5"), ({"deviceFirmwarVersionList": []}, None)])
    def test_odd_synchronize_bodies_are_read(self, body: object, account: str | None) -> None:
        with client(answer(200, body)) as fota:
            result = fota.synchronize_device_firmware(ACC, ["1"])
        assert (result.account_name, result.devices, result.unanswered_device_ids) == (account, [], ["1"])

    def test_misspelt_key_and_missing_optionals(self) -> None:
        body = {
            "accountName": ACC,
            "deviceFirmwarVersionList": [
                {"deviceId": "1", "firmwareVersion": "v1"},
                {
                    "deviceId": "2",
                    "firmwareVersion": "v2",
                    "status": "S",
                    "reason": "",
                    "firmwareVersionUpdateTime": "bad",
                    "new": 1,
                },
            ],
        }
        with client(answer(200, body)) as fota:
            result = fota.synchronize_device_firmware(ACC, ["1", "2"])
        first, second = result.devices
        assert (first.status, first.reason, first.update_time, first.update_time_raw) == (None, None, None, None)
        assert (second.status, second.reason, second.update_time, second.update_time_raw) == ("S", "", None, "bad")
        assert second.extra == {"new": 1}

    def test_correctly_spelt_key_is_not_the_device_list(self) -> None:
        body = {"accountName": ACC, "deviceFirmwareVersionList": [{"deviceId": "1", "firmwareVersion": "v"}]}
        with client(answer(200, body)) as fota:
            result = fota.synchronize_device_firmware(ACC, ["1"])
        assert result.devices == []

    def test_null_device_list_means_none(self) -> None:
        with client(answer(200, {"accountName": ACC, "deviceFirmwarVersionList": None})) as fota:
            assert fota.synchronize_device_firmware(ACC, ["1"]).devices == []

    @pytest.mark.parametrize(
        ("content", "problem"), [(b"", "empty body"), (b"{not json", "not JSON"), (b"\xff\xfe", "not JSON")]
    )
    def test_unreadable_2xx_bodies(self, content: bytes, problem: str) -> None:
        with client(answer(200, content=content)) as fota, pytest.raises(tf.ResponseValidationError, match=problem):
            fota.report_device_firmware(ACC, "1")


class TestErrors:
    @pytest.mark.parametrize(
        ("status", "error_class"),
        [
            (400, tf.BadRequestError),
            (401, tf.AuthenticationError),
            (403, tf.PermissionDeniedError),
            (404, tf.NotFoundError),
            (409, tf.ConflictError),
            (418, tf.APIStatusError),
            (422, tf.UnprocessableEntityError),
            (429, tf.RateLimitError),
            (500, tf.InternalServerError),
            (501, tf.InternalServerError),
            (520, tf.InternalServerError),
            (599, tf.InternalServerError),
        ],
    )
    def test_status_classes_with_html_body(self, status: int, error_class: type[tf.APIStatusError]) -> None:
        html = b"<html><body>proxy says no</body></html>"
        handler = answer(status, content=html, **{"content-type": "text/html", "x-request-id": "req-7"})
        with client(handler) as fota, pytest.raises(error_class) as caught:
            fota.report_device_firmware(ACC, "1")
        error = caught.value
        assert type(error) is error_class
        assert (error.status_code, error.error_code, error.error_message) == (status, None, None)
        assert error.body == html.decode()
        assert error.request_id == "req-7"
        assert "text/html" in str(error)
        assert str(status) in str(error)

    def test_json_error_body_fields(self) -> None:
        body = {"errorCode": "ACC_NOT_FOUND", "errorMessage": "No such account", "extra": 1}
        with client(answer(404, body)) as fota, pytest.raises(tf.NotFoundError) as caught:
            fota.list_available_firmware(ACC)
        error = caught.value
        assert (error.error_code, error.error_message, error.body) == ("ACC_NOT_FOUND", "No such account", body)
        assert str(error) == "GET /firmware/{acc} failed with HTTP 404 Not Found: ACC_NOT_FOUND: No such account"

    def test_every_error_is_a_fota_error_and_no_secret_in_text(self) -> None:
        with (
            client(answer(401, {"errorCode": "x", "errorMessage": "y"})) as fota,
            pytest.raises(tf.FotaError) as caught,
        ):
            fota.list_available_firmware(ACC)
        text = f"{caught.value} {caught.value!r}"
        assert "secret-access-1234" not in text and "secret-session-5678" not in text

    def test_invalid_input_is_a_value_error(self) -> None:
        assert issubclass(tf.InvalidInputError, ValueError)
        assert issubclass(tf.APITimeoutError, tf.APIConnectionError)


class TestChunking:
    def test_chunks_of_100_merged_in_order_with_duplicates_dropped(self) -> None:
        sent: list[list[str]] = []

        def handle(request: httpx.Request) -> httpx.Response:
            ids = json.loads(request.content)["deviceList"]
            sent.append(ids)
            return httpx.Response(
                200,
                json={
                    "accountName": ACC,
                    "deviceFirmwarVersionList": [{"deviceId": i, "firmwareVersion": "v"} for i in ids],
                },
            )

        devices = [str(i) for i in range(250)] + ["5", "17"]
        with client(handle) as fota:
            result = fota.synchronize_device_firmware(ACC, iter(devices))
        assert [len(chunk) for chunk in sent] == [100, 100, 50]
        assert [d.device_id for d in result.devices] == [str(i) for i in range(250)]

    def test_failure_in_the_middle_keeps_results_and_pending_ids(self) -> None:
        calls = 0

        def handle(request: httpx.Request) -> httpx.Response:
            nonlocal calls
            calls += 1
            ids = json.loads(request.content)["deviceList"]
            if calls == 2:
                return httpx.Response(400, json={"errorCode": "BAD", "errorMessage": "bad chunk"})
            return httpx.Response(
                200,
                json={
                    "accountName": ACC,
                    "deviceFirmwarVersionList": [{"deviceId": i, "firmwareVersion": "v"} for i in ids],
                },
            )

        devices = [str(i) for i in range(300)]
        with client(handle) as fota, pytest.raises(tf.PartialSyncError) as caught:
            fota.synchronize_device_firmware(ACC, devices)
        error = caught.value
        assert calls == 2  # the sync client stops at the first failed chunk
        assert [d.device_id for d in error.result.devices] == devices[:100]
        assert error.pending_device_ids == devices[100:]
        assert isinstance(error.error, tf.BadRequestError)
        assert error.__cause__ is error.error

    def test_failure_of_the_first_chunk_raises_the_error_itself(self) -> None:
        with client(answer(404, {"errorCode": "NF", "errorMessage": "no"})) as fota, pytest.raises(tf.NotFoundError):
            fota.synchronize_device_firmware(ACC, [str(i) for i in range(150)])

    @pytest.mark.parametrize("size", [0, 101, -1, True, 2.5])
    def test_batch_size_out_of_range(self, size: object) -> None:
        with client(answer(200, {})) as fota, pytest.raises(tf.InvalidInputError) as caught:
            fota.synchronize_device_firmware(ACC, ["1"], batch_size=size)  # type: ignore[arg-type]
        assert caught.value.argument == "batch_size"


def test_client_repr_has_no_secret() -> None:
    with client(answer(200, [])) as fota:
        assert repr(fota) == "FotaClient(base_url='https://fota.test/api/fota/v3')"


@pytest.mark.parametrize("header", ["Authorization", "vz-m2m-token"])
def test_auth_headers_cannot_be_overridden_by_extra_headers(header: str) -> None:
    with client(answer(200, [])) as fota, pytest.raises(tf.InvalidInputError):
        fota.list_available_firmware(ACC, extra_headers={header: "x"})
