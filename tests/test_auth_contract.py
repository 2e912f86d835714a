"""The credentials flow against Prism mocks of openapi/thingspace-auth.yaml and openapi/fota-v3.yaml.

Prism validates every request against the specs (HTTP Basic on the token call, a form body with the grant, a
bearer token and a JSON body on the login, both FOTA security schemes) and answers with the specs' examples, so
these tests show that the client speaks the contract: token, then login, then each FOTA call with the tokens it got.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import thingspace_fota as tf

# The examples of openapi/thingspace-auth.yaml that Prism answers with.
ACCESS_TOKEN = "89ba225e1438e95bd05c3cc288d3591"
SESSION_TOKEN = "bcce3ea6-fe4f-4952-bacf-eadd80718e83"
ACC = "0000123456-00001"
DEVICES = ["990013907835573", "990013907884259"]
CREDENTIALS = {"client_id": "app-1", "client_secret": "cs-SECRET-1", "username": "user", "password": "pw-SECRET-1"}


class Recorder:
    """Records each request and its status through httpx's event hooks (the client's own code is untouched)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, httpx.Headers, int]] = []

    def record(self, response: httpx.Response) -> None:
        request = response.request
        self.sent.append((request.method, request.url.path, request.headers, response.status_code))
        assert "sl-violations" not in response.headers, response.headers["sl-violations"]

    async def arecord(self, response: httpx.Response) -> None:
        self.record(response)

    def paths(self) -> list[tuple[str, str, int]]:
        return [(method, path, status) for method, path, _, status in self.sent]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    yield Recorder()


def urls(prism_url: str, auth_prism_url: str) -> dict[str, Any]:
    return {"base_url": prism_url, "auth_base_url": auth_prism_url, "max_retries": 0}


def check_flow(recorder: Recorder) -> None:
    assert recorder.paths() == [
        ("POST", "/ts/v1/oauth2/token", 200),
        ("POST", "/m2m/v1/session/login", 200),
        ("GET", f"/firmware/{ACC}", 200),
        ("PUT", f"/firmware/{ACC}/devices", 200),
        ("PUT", f"/firmware/{ACC}/async/{DEVICES[0]}", 200),
    ]
    token_headers, login_headers = recorder.sent[0][2], recorder.sent[1][2]
    assert token_headers["authorization"].startswith("Basic ")
    assert login_headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    for _, _, headers, _ in recorder.sent[2:]:
        assert headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
        assert headers["vz-m2m-token"] == SESSION_TOKEN


def test_sync_flow_against_prism(prism_url: str, auth_prism_url: str, recorder: Recorder) -> None:
    http = httpx.Client(event_hooks={"response": [recorder.record]}, timeout=30)
    with http, tf.FotaClient(**CREDENTIALS, **urls(prism_url, auth_prism_url), http_client=http) as fota:
        packages = fota.list_available_firmware(ACC, protocol=tf.Protocol.LWM2M)
        result = fota.synchronize_device_firmware(ACC, DEVICES)
        report = fota.report_device_firmware(ACC, DEVICES[0])
    assert packages[0].firmware_from == "BG96MAR04A04M1G"
    assert [d.device_id for d in result.devices] == DEVICES
    assert report.request_id
    check_flow(recorder)


@pytest.mark.anyio
async def test_async_flow_against_prism(prism_url: str, auth_prism_url: str, recorder: Recorder) -> None:
    http = httpx.AsyncClient(event_hooks={"response": [recorder.arecord]}, timeout=30)
    async with http, tf.AsyncFotaClient(**CREDENTIALS, **urls(prism_url, auth_prism_url), http_client=http) as fota:
        packages = await fota.list_available_firmware(ACC, protocol=tf.Protocol.LWM2M)
        result = await fota.synchronize_device_firmware(ACC, DEVICES)
        report = await fota.report_device_firmware(ACC, DEVICES[0])
    assert packages[0].firmware_from == "BG96MAR04A04M1G"
    assert [d.device_id for d in result.devices] == DEVICES
    assert report.request_id
    check_flow(recorder)


@pytest.mark.parametrize(("code", "error_code"), [(401, "invalid_client"), (400, "invalid_request")])
def test_token_endpoint_errors_of_the_contract(
    prism_url: str, auth_prism_url: str, recorder: Recorder, code: int, error_code: str
) -> None:
    # Prism answers the token call with the spec's example of this status. The header is the httpx client's own,
    # so it goes to every request; the library's default_headers would go to the FOTA calls only.
    prefer = {"Prefer": f"code={code}"}
    http = httpx.Client(event_hooks={"response": [recorder.record]}, timeout=30, headers=prefer)
    with (
        http,
        tf.FotaClient(**CREDENTIALS, **urls(prism_url, auth_prism_url), http_client=http) as c,
        pytest.raises(tf.ClientCredentialsRefusedError) as caught,
    ):
        c.list_available_firmware(ACC)
    assert (caught.value.status_code, caught.value.error_code) == (code, error_code)
    assert recorder.paths() == [("POST", "/ts/v1/oauth2/token", code)]


def test_prism_checks_what_the_client_must_send(auth_prism_url: str) -> None:
    """The contract tests are not vacuous: the mock refuses a missing security scheme or a wrong body."""
    bearer = {"Authorization": "Bearer x"}
    with httpx.Client(base_url=auth_prism_url, timeout=30) as http:
        no_basic = http.post("/ts/v1/oauth2/token", data={"grant_type": "client_credentials"})
        wrong_grant = http.post("/ts/v1/oauth2/token", data={"grant_type": "password"}, auth=("app-1", "s"))
        json_grant = http.post("/ts/v1/oauth2/token", json={"grant_type": "client_credentials"}, auth=("app-1", "s"))
        no_bearer = http.post("/m2m/v1/session/login", json={"username": "u", "password": "p"})
        no_password = http.post("/m2m/v1/session/login", json={"username": "u"}, headers=bearer)
    assert [r.status_code for r in (no_basic, wrong_grant, json_grant, no_bearer, no_password)] == [
        401,
        400,
        400,
        401,
        400,
    ]
