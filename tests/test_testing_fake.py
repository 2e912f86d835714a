"""thingspace_fota.testing.FakeFota: every rule of the contract and every scripted fault, through FotaClient and
AsyncFotaClient (the ``kind`` fixture) and through plain httpx. Unless a test plays a malformed body on purpose,
every answer passes through a transport that checks it against the specs (tests/specschema.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from specschema import AsyncCheckingTransport, CheckingTransport, SpecChecker

import thingspace_fota as tf
from thingspace_fota import DEFAULT_BASE_URL, STAGING_BASE_URL, Protocol
from thingspace_fota.testing import FakeFota, RecordedHeaders

ACC = "0000123456-00001"
DEV = ["990013907835573", "990013907884259", "990013907800003"]
FAST = {"max_retries": 2}  # with fail_next(..., retry_after=0) retries do not sleep
DID_NOT_HANG = 5.0  # seconds: a generous upper bound for calls that must not wait out a stall


class Kit:
    """A seeded fake and clients whose every answer is checked against the specs."""

    def __init__(self) -> None:
        self.fake = FakeFota()
        self.checker = SpecChecker()
        self.fake.add_account(ACC)
        self.fake.add_firmware(
            ACC, firmware_name="lw", firmware_from="A1", firmware_to="A2", make="Acme", model="M1", protocol="LWM2M"
        )
        self.fake.add_firmware(
            ACC, firmware_name="om", firmware_from="B1", firmware_to="B2", make="Acme", model="M2", protocol="OMA-DM"
        )
        self.fake.add_firmware(
            ACC, firmware_name="ht", firmware_from="C1", firmware_to="C2", make="Acme", model="M3", protocol="HTTP"
        )
        self.fake.add_firmware(  # a protocol the server may add later: listed under "all" only
            ACC, firmware_name="nx", firmware_from="D1", firmware_to="D2", make="Acme", model="M4", protocol="NEXT"
        )
        self.fake.add_device(ACC, DEV[0], firmware_version="1.0")
        self.fake.add_device(ACC, DEV[1], firmware_version="2.0", status=None)

    def http(self, base_url: str = DEFAULT_BASE_URL) -> httpx.Client:
        return httpx.Client(transport=CheckingTransport(self.fake.transport, self.checker), base_url=base_url)

    def client(self, **kwargs: Any) -> tf.FotaClient:
        http = httpx.Client(transport=CheckingTransport(self.fake.transport, self.checker))
        return self.fake.client(http_client=http, **kwargs)

    def async_client(self, **kwargs: Any) -> tf.AsyncFotaClient:
        http = httpx.AsyncClient(transport=AsyncCheckingTransport(self.fake.async_transport, self.checker))
        return self.fake.async_client(http_client=http, **kwargs)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.fake.access_token}", "VZ-M2M-Token": self.fake.m2m_token}

    def call(self, kind: str, method: str, *args: Any, client: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Run one client method with FotaClient (kind "sync") or AsyncFotaClient ("async")."""
        if kind == "sync":
            with self.client(**(client or {})) as fota:
                return getattr(fota, method)(*args, **kwargs)

        async def run() -> Any:
            async with self.async_client(**(client or {})) as fota:
                return await getattr(fota, method)(*args, **kwargs)

        return asyncio.run(run())


@pytest.fixture
def kit() -> Iterator[Kit]:
    kit = Kit()
    yield kit
    assert kit.checker.checked, "no answer was checked against the spec"


# -- the rules of the contract ----------------------------------------------------------------------------------


def test_every_operation_with_both_tokens(kit: Kit, kind: str) -> None:
    packages = kit.call(kind, "list_available_firmware", ACC, protocol=Protocol.ALL)
    result = kit.call(kind, "synchronize_device_firmware", ACC, DEV[:2])
    report = kit.call(kind, "report_device_firmware", ACC, DEV[0])
    assert [p.firmware_name for p in packages] == ["lw", "om", "ht", "nx"]
    assert packages[3].protocol == "NEXT"  # kept as a plain string by the client
    assert [(d.device_id, d.firmware_version, d.status) for d in result.devices] == [
        (DEV[0], "1.0", "FirmwareVersionUpdateSuccess"),
        (DEV[1], "2.0", None),
    ]
    assert report.account_name == ACC and report.request_id
    assert kit.checker.checked == ["listAvailableFirmware", "synchronizeDeviceFirmware", "reportDeviceFirmware"]


@pytest.mark.parametrize(
    "drop", [("Authorization",), ("VZ-M2M-Token",), ("Authorization", "VZ-M2M-Token")], ids=["bearer", "m2m", "both"]
)
def test_a_missing_token_is_401(kit: Kit, drop: tuple[str, ...]) -> None:
    headers = {k: v for k, v in kit.auth_headers().items() if k not in drop}
    with kit.http() as http:
        answers = [
            http.get(f"/firmware/{ACC}", params={"protocol": "all"}, headers=headers),
            http.put(f"/firmware/{ACC}/devices", json={"deviceList": DEV[:1]}, headers=headers),
            http.put(f"/firmware/{ACC}/async/{DEV[0]}", headers=headers),
        ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert answers[0].json() == {"errorCode": "UnAuthorized", "errorMessage": "Invalid or expired token."}


def test_a_wrong_token_or_scheme_is_401(kit: Kit, kind: str) -> None:
    with pytest.raises(tf.AuthenticationError) as caught:
        kit.call(kind, "report_device_firmware", ACC, DEV[0], client={"m2m_token": "not-the-session"})
    assert caught.value.status_code == 401
    basic = {**kit.auth_headers(), "Authorization": f"Basic {kit.fake.access_token}"}
    with kit.http() as http:
        assert http.get(f"/firmware/{ACC}", params={"protocol": "all"}, headers=basic).status_code == 401


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("list_available_firmware", ()),
        ("synchronize_device_firmware", ([DEV[0]],)),
        ("report_device_firmware", (DEV[0],)),
    ],
)
def test_an_unknown_account_is_404(kit: Kit, kind: str, method: str, args: tuple[Any, ...]) -> None:
    with pytest.raises(tf.NotFoundError) as caught:
        kit.call(kind, method, "0000999999-00009", *args)
    assert (caught.value.error_code, caught.value.error_message) == ("NotFound", "Account not found.")


def test_an_unknown_device_report_is_404(kit: Kit, kind: str) -> None:
    with pytest.raises(tf.NotFoundError) as caught:
        kit.call(kind, "report_device_firmware", ACC, "990000000000000")
    assert caught.value.error_message == "Device not found."


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"deviceList": [str(990013907800000 + i) for i in range(100)]}, 200),
        ({"deviceList": [str(990013907800000 + i) for i in range(101)]}, 400),
        ({"deviceList": []}, 400),
        ({"deviceList": ["ok", ""]}, 400),
        ({"deviceList": [990013907835573]}, 400),
        ({"deviceList": "990013907835573"}, 400),
        ({}, 400),
        ([DEV[0]], 400),
    ],
    ids=["100", "101", "empty", "empty-id", "number", "string", "no-list", "array"],
)
def test_synchronize_takes_1_to_100_ids(kit: Kit, body: Any, status: int) -> None:
    with kit.http() as http:
        answer = http.put(f"/firmware/{ACC}/devices", json=body, headers=kit.auth_headers())
    assert answer.status_code == status
    if status == 400:
        assert answer.json()["errorCode"] == "BadRequest"
    else:
        assert answer.json() == {"accountName": ACC, "deviceFirmwarVersionList": []}


def test_synchronize_answers_only_known_devices_in_request_order(kit: Kit, kind: str) -> None:
    unknown = "990013907899999"
    result = kit.call(kind, "synchronize_device_firmware", ACC, [DEV[1], unknown, DEV[0]], client={"max_retries": 0})
    assert [d.device_id for d in result.devices] == [DEV[1], DEV[0]]


def test_synchronize_many_devices_in_chunks(kit: Kit, kind: str) -> None:
    ids = [str(990010000000000 + i) for i in range(250)]
    for device in ids[::2]:
        kit.fake.add_device(ACC, device, firmware_version="3.0")
    result = kit.call(kind, "synchronize_device_firmware", ACC, ids)
    assert [d.device_id for d in result.devices] == ids[::2]
    assert [len(r.json["deviceList"]) for r in kit.fake.requests] == [100, 100, 50]


@pytest.mark.parametrize(
    ("protocol", "names"),
    [
        (Protocol.ALL, ["lw", "om", "ht", "nx"]),
        (Protocol.LWM2M, ["lw"]),
        (Protocol.OMA_DM, ["om"]),
        (Protocol.HTTP, ["ht"]),
    ],
)
def test_the_list_filters_by_protocol(kit: Kit, kind: str, protocol: Protocol, names: list[str]) -> None:
    packages = kit.call(kind, "list_available_firmware", ACC, protocol=protocol)
    assert [p.firmware_name for p in packages] == names
    assert kit.fake.requests[-1].params == {"protocol": protocol.value}


@pytest.mark.parametrize("params", [{}, {"protocol": "lwm2m"}, {"protocol": "OMA-DM"}, {"protocol": "ALL"}])
def test_the_list_needs_a_protocol_of_the_spec(kit: Kit, params: dict[str, str]) -> None:
    with kit.http() as http:
        answer = http.get(f"/firmware/{ACC}", params=params, headers=kit.auth_headers())
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == "BadRequest"


def test_the_package_fields_on_the_wire(kit: Kit) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    kit.fake.add_account("acc-2")
    when = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    kit.fake.add_firmware(
        "acc-2", firmware_name="n", firmware_from="f", firmware_to="t", make="mk", model="md", launch_date=when
    )
    with kit.client() as fota:
        [package] = fota.list_available_firmware("acc-2")
    assert package.launch_date_raw == "2024-05-06T05:08:09.123Z"
    assert package.launch_date == datetime(2024, 5, 6, 5, 8, 9, 123000, tzinfo=UTC)
    assert (package.protocol, package.release_note) == (Protocol.LWM2M, "")
    with kit.http() as http:
        [wire] = http.get("/firmware/acc-2", params={"protocol": "all"}, headers=kit.auth_headers()).json()
    assert set(wire) == {
        "firmwareName",
        "firmwareFrom",
        "firmwareTo",
        "launchDate",
        "releaseNote",
        "model",
        "make",
        "protocol",
    }


def test_report_returns_a_fresh_request_id_each_time(kit: Kit, kind: str) -> None:
    ids = {kit.call(kind, "report_device_firmware", ACC, DEV[0]).request_id for _ in range(5)}
    assert len(ids) == 5


def test_a_replaced_device_answers_its_new_firmware(kit: Kit) -> None:
    with kit.client() as fota:
        before = fota.synchronize_device_firmware(ACC, [DEV[0]]).devices[0].firmware_version
        kit.fake.add_device(ACC, DEV[0], firmware_version="9.9", reason="upgraded", update_time="2025-01-02T03:04:05Z")
        after = fota.synchronize_device_firmware(ACC, [DEV[0]]).devices[0]
    assert (before, after.firmware_version, after.reason, after.update_time_raw) == (
        "1.0",
        "9.9",
        "upgraded",
        "2025-01-02T03:04:05Z",
    )


def test_unknown_paths_and_methods(kit: Kit) -> None:
    with kit.http() as http:
        assert http.get("/nothing/here", headers=kit.auth_headers()).status_code == 404
        wrong = http.delete(f"/firmware/{ACC}", headers=kit.auth_headers())
        kit.checker.check("GET", f"/api/fota/v3/firmware/{ACC}", http.get(f"/firmware/{ACC}?protocol=all"))
    assert wrong.status_code == 405
    assert wrong.json()["errorCode"] == "MethodNotAllowed"


@pytest.mark.parametrize(
    "base_url", [DEFAULT_BASE_URL, STAGING_BASE_URL, "http://127.0.0.1:4010", "https://gateway.example/x/fota/v3/"]
)
def test_the_transport_routes_on_the_path_whatever_the_host(kit: Kit, base_url: str) -> None:
    with kit.http(base_url) as http:
        answer = http.put(f"/firmware/{ACC}/async/{DEV[0]}", headers=kit.auth_headers())
    assert answer.status_code == 200 and answer.json()["accountName"] == ACC
    with kit.client(base_url=base_url.rstrip("/")) as fota:
        assert fota.report_device_firmware(ACC, DEV[0]).account_name == ACC
    prefix = httpx.URL(base_url).path.rstrip("/")
    assert [r.path for r in kit.fake.requests] == [f"{prefix}/firmware/{ACC}/async/{DEV[0]}"] * 2


def test_ids_are_percent_decoded(kit: Kit) -> None:
    kit.fake.add_account("acc:é")
    kit.fake.add_device("acc:é", "dev%1", firmware_version="1")
    with kit.client() as fota:
        assert fota.report_device_firmware("acc:é", "dev%1").account_name == "acc:é"
    assert kit.fake.requests[-1].path == "/api/fota/v3/firmware/acc:é/async/dev%1"


# -- scripted faults --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 502, 503, 504])
def test_fail_next_answers_the_declared_error_body(kit: Kit, kind: str, status: int) -> None:
    kit.fake.fail_next(status)
    with pytest.raises(tf.APIStatusError) as caught:
        kit.call(kind, "synchronize_device_firmware", ACC, [DEV[0]], client={"max_retries": 0})
    error = caught.value
    assert error.status_code == status
    assert isinstance(error.body, dict) and set(error.body) == {"errorCode", "errorMessage"}
    assert error.error_code and error.error_message


def test_fail_next_then_success_through_the_retries(kit: Kit, kind: str) -> None:
    kit.fake.fail_next(503, times=2, retry_after=0)
    result = kit.call(kind, "synchronize_device_firmware", ACC, [DEV[0]], client=FAST)
    assert [d.device_id for d in result.devices] == [DEV[0]]
    assert len(kit.fake.requests) == 3


def test_fail_next_more_times_than_retries(kit: Kit, kind: str) -> None:
    kit.fake.fail_next(429, times=3, retry_after=0)
    with pytest.raises(tf.RateLimitError) as caught:
        kit.call(kind, "report_device_firmware", ACC, DEV[0], client=FAST)
    assert caught.value.retry_after == 0.0
    assert len(kit.fake.requests) == 3
    assert kit.call(kind, "report_device_firmware", ACC, DEV[0]).request_id  # the faults are used up


@pytest.mark.parametrize(("retry_after", "header"), [(2, "2"), (1.5, "1.5"), ("Wed, 21 Oct 2015 07:28:00 GMT", None)])
def test_retry_after_header(kit: Kit, retry_after: float | str, header: str | None) -> None:
    kit.fake.fail_next(429, retry_after=retry_after)
    with kit.http() as http:
        answer = http.put(f"/firmware/{ACC}/async/{DEV[0]}", headers=kit.auth_headers())
    assert answer.headers["Retry-After"] == (header or retry_after)


def test_a_retry_after_above_the_cap_raises_at_once(kit: Kit, kind: str) -> None:
    kit.fake.fail_next(429, retry_after=120)
    with pytest.raises(tf.RateLimitError) as caught:
        kit.call(kind, "list_available_firmware", ACC, client={"max_retry_wait": 10})
    assert caught.value.retry_after == 120.0
    assert len(kit.fake.requests) == 1


def test_a_fault_for_one_operation_leaves_the_others(kit: Kit) -> None:
    kit.fake.fail_next(500, operation="report_device_firmware", error_code="Boom", error_message="It broke.")
    with kit.client(max_retries=0) as fota:
        assert fota.list_available_firmware(ACC)
        assert fota.synchronize_device_firmware(ACC, [DEV[0]]).devices
        with pytest.raises(tf.InternalServerError) as caught:
            fota.report_device_firmware(ACC, DEV[0])
    assert (caught.value.error_code, caught.value.error_message) == ("Boom", "It broke.")


def test_faults_are_used_in_the_order_they_were_scripted(kit: Kit) -> None:
    kit.fake.fail_next(502)
    kit.fake.fail_next(404)
    with kit.client(max_retries=0) as fota:
        with pytest.raises(tf.InternalServerError):
            fota.list_available_firmware(ACC)
        with pytest.raises(tf.NotFoundError):
            fota.list_available_firmware(ACC)
        assert fota.list_available_firmware(ACC)


def test_a_short_stall_delays_the_answer(kit: Kit, kind: str) -> None:
    kit.fake.stall_next(0.2)
    started = time.monotonic()
    report = kit.call(kind, "report_device_firmware", ACC, DEV[0], client={"timeout": 5})
    assert time.monotonic() - started >= 0.2
    assert report.request_id


def test_a_stall_past_the_read_timeout_is_a_timeout(kit: Kit, kind: str) -> None:
    kit.fake.stall_next(60, times=2)
    started = time.monotonic()
    with pytest.raises(tf.APITimeoutError) as caught:
        kit.call(kind, "synchronize_device_firmware", ACC, [DEV[0]], client={"timeout": 0.1, "max_retries": 1})
    elapsed = time.monotonic() - started
    assert "timed out after 2 attempt(s)" in str(caught.value)
    assert 0.2 <= elapsed < DID_NOT_HANG  # two read timeouts of 0.1 s, never the stall's 60 s
    assert len(kit.fake.requests) == 2
    assert kit.call(kind, "report_device_firmware", ACC, DEV[0]).request_id  # and then it answers again


def test_a_stall_then_a_retry_succeeds(kit: Kit, kind: str) -> None:
    kit.fake.stall_next(60)
    result = kit.call(kind, "synchronize_device_firmware", ACC, [DEV[0]], client={"timeout": 0.1, "max_retries": 1})
    assert [d.device_id for d in result.devices] == [DEV[0]]


def test_a_malformed_body_is_a_validation_error(kind: str) -> None:
    fake = FakeFota()
    fake.add_account(ACC)
    fake.malformed_next()
    with pytest.raises(tf.ResponseValidationError) as caught:
        Kit.call(_Plain(fake), kind, "list_available_firmware", ACC)  # type: ignore[arg-type]
    assert caught.value.status_code == 200
    assert len(fake.requests) == 1  # not retried


def test_a_proxy_error_page(kind: str) -> None:
    fake = FakeFota()
    fake.add_account(ACC)
    fake.malformed_next(status=502, body=b"<html>Bad gateway</html>", content_type="text/html", times=3)
    with pytest.raises(tf.InternalServerError) as caught:
        Kit.call(_Plain(fake), kind, "list_available_firmware", ACC, client={"max_retries": 0})  # type: ignore[arg-type]
    assert (caught.value.status_code, caught.value.body, caught.value.error_code) == (
        502,
        "<html>Bad gateway</html>",
        None,
    )


class _Plain:
    """Kit.call on a bare fake, without the spec check (for answers that are off-spec on purpose)."""

    def __init__(self, fake: FakeFota) -> None:
        self.client = fake.client
        self.async_client = fake.async_client


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda f: f.fail_next(200), "status"),
        (lambda f: f.fail_next(True), "status"),
        (lambda f: f.fail_next(503, times=0), "times"),
        (lambda f: f.fail_next(503, retry_after=-1), "retry_after"),
        (lambda f: f.fail_next(503, operation="list"), "operation"),
        (lambda f: f.stall_next(0), "seconds"),
        (lambda f: f.stall_next(float("inf")), "seconds"),
        (lambda f: f.malformed_next(body="text"), "body"),
        (lambda f: f.add_account(ACC), "account_id"),
        (lambda f: f.add_account("has space"), "account_id"),
        (lambda f: f.add_device("nope", DEV[0], firmware_version="1"), "account_id"),
        (lambda f: f.add_device(ACC, "a/b", firmware_version="1"), "device_id"),
        (lambda f: f.add_device(ACC, DEV[0], firmware_version=1), "firmware_version"),
        (
            lambda f: f.add_firmware(
                ACC, firmware_name="n", firmware_from="a", firmware_to="b", make="m", model="x", protocol="all"
            ),
            "protocol",
        ),
        (
            lambda f: f.add_firmware(
                ACC, firmware_name="n", firmware_from="a", firmware_to="b", make="m", model="x", launch_date=1
            ),
            "launch_date",
        ),
    ],
)
def test_bad_setup_raises_invalid_input_naming_the_argument(call: Any, argument: str) -> None:
    fake = FakeFota()
    fake.add_account(ACC)
    with pytest.raises(tf.InvalidInputError) as caught:
        call(fake)
    assert caught.value.argument == argument


# -- the token and login endpoints ------------------------------------------------------------------------------


def test_the_credentials_flow_and_token_renewal(kit: Kit, kind: str) -> None:
    credentials = kit.fake.credentials
    assert kit.call(kind, "report_device_firmware", ACC, DEV[0], client=credentials).request_id
    assert [r.operation for r in kit.fake.requests] == ["get_access_token", "log_in", "report_device_firmware"]
    token_request, login = kit.fake.requests[:2]
    assert token_request.content == b"grant_type=client_credentials"
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert login.json == {"username": credentials["username"], "password": credentials["password"]}
    assert login.headers["Authorization"] == f"Bearer {kit.fake.access_token}"
    assert "getAccessToken" in kit.checker.checked and "logIn" in kit.checker.checked


def test_expired_tokens_are_renewed_by_the_credentials_flow(kit: Kit) -> None:
    with kit.client(**kit.fake.credentials) as fota:
        fota.report_device_firmware(ACC, DEV[0])
        old = (kit.fake.access_token, kit.fake.m2m_token)
        kit.fake.expire_tokens()
        kit.fake.clear_requests()
        assert fota.report_device_firmware(ACC, DEV[0]).request_id
    assert (kit.fake.access_token, kit.fake.m2m_token) != old
    assert [(r.operation, r.headers["Authorization"].startswith("Basic")) for r in kit.fake.requests] == [
        ("report_device_firmware", False),  # 401: both tokens expired
        ("log_in", False),  # 401: the access token expired too
        ("get_access_token", True),
        ("log_in", False),
        ("report_device_firmware", False),
    ]


def test_expired_static_tokens_are_refused(kit: Kit, kind: str) -> None:
    kit.fake.expire_tokens()
    with pytest.raises(tf.AuthenticationError):
        kit.call(kind, "list_available_firmware", ACC, client={"access_token": "fake-access-token"})


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"client_secret": "wrong-secret"}, tf.ClientCredentialsRefusedError),
        ({"password": "wrong-password"}, tf.LoginRefusedError),
    ],
)
def test_refused_credentials(kit: Kit, kind: str, override: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        kit.call(kind, "report_device_firmware", ACC, DEV[0], client={**kit.fake.credentials, **override})
    assert kit.fake.requests[-1].operation in {"get_access_token", "log_in"}  # never retried, FOTA never called


def test_five_failed_logins_lock_the_contact(kit: Kit) -> None:
    bearer = {"Authorization": f"Bearer {kit.fake.access_token}"}
    wrong = {"username": "fake-user", "password": "nope"}
    with kit.http("https://thingspace.verizon.com/api") as http:
        statuses = [http.post("/m2m/v1/session/login", json=wrong, headers=bearer).status_code for _ in range(6)]
        right = http.post("/m2m/v1/session/login", json=kit.fake.credentials, headers=bearer)
        no_bearer = http.post("/m2m/v1/session/login", json=kit.fake.credentials)
        bad_grant = http.post(
            "/ts/v1/oauth2/token", data={"grant_type": "password"}, auth=("fake-client-id", "fake-client-secret")
        )
    assert statuses == [400] * 5 + [403]
    assert right.status_code == 403 and no_bearer.status_code == 401 and bad_grant.status_code == 400


def test_fail_next_on_the_token_endpoint(kit: Kit) -> None:
    kit.fake.fail_next(503, operation="get_access_token", retry_after=0)
    with kit.client(**kit.fake.credentials) as fota:
        assert fota.report_device_firmware(ACC, DEV[0]).request_id
    assert [r.operation for r in kit.fake.requests] == [
        "get_access_token",
        "get_access_token",
        "log_in",
        "report_device_firmware",
    ]


# -- what the fake records, and secrets ------------------------------------------------------------------------


def test_requests_are_recorded(kit: Kit) -> None:
    with kit.client(default_headers={"X-Trace": "t1"}) as fota:
        fota.list_available_firmware(ACC, protocol="OMA-DM")
        fota.synchronize_device_firmware(ACC, DEV[:2])
    listed, synced = kit.fake.requests
    assert (listed.method, listed.path, listed.operation) == (
        "GET",
        f"/api/fota/v3/firmware/{ACC}",
        "list_available_firmware",
    )
    assert listed.params == {"protocol": "OMD-DM"}
    assert (listed.json, listed.content) == (None, b"")
    assert (synced.method, synced.operation, synced.json) == (
        "PUT",
        "synchronize_device_firmware",
        {"deviceList": DEV[:2]},
    )
    assert synced.headers["x-trace"] == synced.headers["X-TRACE"] == "t1"
    assert synced.headers["vz-m2m-token"] == kit.fake.m2m_token
    assert "Authorization" in synced.headers and "Nope" not in synced.headers
    kit.fake.clear_requests()
    assert kit.fake.requests == []


def test_reprs_hide_every_secret(kit: Kit) -> None:
    credentials = kit.fake.credentials
    with kit.client(**credentials) as fota:
        fota.report_device_firmware(ACC, DEV[0])
    shown = repr(kit.fake.requests) + str(kit.fake.requests[0].headers) + repr(kit.fake)
    import base64

    basic = base64.b64encode(f"{credentials['client_id']}:{credentials['client_secret']}".encode()).decode()
    for secret in (
        kit.fake.access_token,
        kit.fake.m2m_token,
        credentials["client_secret"],
        credentials["password"],
        basic,
    ):
        assert secret not in shown
    assert shown.count("[redacted]") >= 6  # Basic, Bearer (login), password, Bearer and token (report)
    assert "fota/v3/firmware" in shown and "fake-user" in shown  # the rest stays readable


def test_recorded_headers_compare_as_a_mapping() -> None:
    headers = RecordedHeaders([("Accept", "a"), ("X-Many", "1"), ("x-many", "2")])
    assert headers == {"accept": "a", "X-MANY": "1, 2"}
    assert headers != {"accept": "b", "x-many": "1, 2"}
    assert headers != [("accept", "a")]
    assert dict(headers) == {"accept": "a", "x-many": "1, 2"}


# -- threads, speed and imports ---------------------------------------------------------------------------------


def test_one_client_shared_by_threads(kit: Kit) -> None:
    kit.fake.fail_next(503, times=10, retry_after=0)
    ids: list[str] = []
    lock = threading.Lock()
    with kit.client(max_retries=10) as fota:

        def work() -> None:
            for _ in range(25):
                request_id = fota.report_device_firmware(ACC, DEV[0]).request_id
                with lock:
                    ids.append(request_id)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DID_NOT_HANG * 6)
    assert len(ids) == len(set(ids)) == 200
    assert len(kit.fake.requests) == 210  # every request recorded once, the ten faults used exactly once


@pytest.mark.anyio
async def test_async_tasks_share_one_client(kit: Kit) -> None:
    async with kit.async_client() as fota:
        reports = await asyncio.gather(*(fota.report_device_firmware(ACC, DEV[i % 2]) for i in range(50)))
    assert len({r.request_id for r in reports}) == 50


def test_ten_thousand_devices_through_fotaclient() -> None:
    fake = FakeFota()
    fake.add_account(ACC)
    ids = [str(990000000000000 + i) for i in range(10_000)]
    for device in ids:
        fake.add_device(ACC, device, firmware_version="1.0")
    with fake.client() as fota:
        started = time.perf_counter()
        result = fota.synchronize_device_firmware(ACC, ids)
        elapsed = time.perf_counter() - started
    print(f"\nFakeFota: synchronize of 10,000 devices through FotaClient in {elapsed * 1000:.0f} ms")
    assert [d.device_id for d in result.devices] == ids
    assert len(fake.requests) == 100


def test_import_thingspace_fota_loads_neither_the_kit_nor_pytest() -> None:
    code = (
        "import sys, thingspace_fota; "
        "print(sorted(m for m in sys.modules if m.startswith(('thingspace_fota.testing', 'pytest', '_pytest'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
    code = "import sys, thingspace_fota.testing; print(sorted(m for m in sys.modules if 'pytest' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_method_of_the_kit_has_a_docstring() -> None:
    import thingspace_fota.testing as kit

    missing = []
    for exported in kit.__all__:
        owner = getattr(kit, exported)
        if not isinstance(owner, type):
            continue
        for name, member in vars(owner).items():
            function = member.fget if isinstance(member, property) else member
            if not name.startswith("_") and callable(function) and not function.__doc__:
                missing.append(f"{exported}.{name}")
    assert missing == []


class ClosedSpy(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The fake's transports, counting how often the httpx client on them closes them."""

    def __init__(self, fake: FakeFota) -> None:
        self._sync, self._async = fake.transport, fake.async_transport
        self.closed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.closed += 1


def test_closing_the_client_closes_the_httpx_client_the_fake_made() -> None:
    fake = FakeFota()
    fake.add_account(ACC)
    fake.transport = fake.async_transport = spy = ClosedSpy(fake)
    with fake.client() as fota:
        assert fota.list_available_firmware(ACC) == []
        assert spy.closed == 0
    assert spy.closed == 1

    async def main() -> None:
        async with fake.async_client() as fota:
            assert await fota.list_available_firmware(ACC) == []
            assert spy.closed == 1
        assert spy.closed == 2

    asyncio.run(main())


def test_an_http_client_you_pass_stays_open() -> None:
    fake = FakeFota()
    fake.add_account(ACC)
    with httpx.Client(transport=fake.transport) as http:
        with fake.client(http_client=http) as fota:
            fota.list_available_firmware(ACC)
        assert not http.is_closed
