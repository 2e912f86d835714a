"""Smoke tests of the generated client against Prism: the spec, the generator and the mock agree."""

from __future__ import annotations

import httpx
import pytest

from thingspace_fota_generated import AuthenticatedClient
from thingspace_fota_generated.api.firmware import (
    list_available_firmware,
    report_device_firmware,
    synchronize_device_firmware,
)
from thingspace_fota_generated.models import (
    DeviceFirmwareList,
    DeviceFirmwareVersionUpdateResult,
    FirmwareIMEI,
    FirmwarePackage,
    FotaV3Error,
    UndocumentedError,
)

ACC = "0000123456-00001"


def client(url: str, **headers: str) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=url,
        token="test-access-token",
        headers={"VZ-M2M-Token": "test-session-token", **headers},
        timeout=httpx.Timeout(10.0),
    )


def test_list_available_firmware(prism_url: str) -> None:
    with client(prism_url) as c:
        response = list_available_firmware.sync_detailed(ACC, client=c, protocol="LWM2M")
    assert response.status_code == 200
    assert isinstance(response.parsed, list)
    [package] = response.parsed
    assert isinstance(package, FirmwarePackage)
    assert package.firmware_from == "BG96MAR04A04M1G"
    assert package.protocol == "LWM2M"
    assert package.release_note == ""


def test_synchronize_device_firmware_keeps_misspelt_key(prism_url: str) -> None:
    body = FirmwareIMEI(device_list=["990013907835573", "990013907884259"])
    with client(prism_url) as c:
        response = synchronize_device_firmware.sync_detailed(ACC, client=c, body=body)
    assert response.status_code == 200
    assert isinstance(response.parsed, DeviceFirmwareList)
    assert b"deviceFirmwarVersionList" in response.content
    versions = response.parsed.device_firmwar_version_list
    assert isinstance(versions, list)
    assert [v.device_id for v in versions] == ["990013907835573", "990013907884259"]


def test_report_device_firmware(prism_url: str) -> None:
    with client(prism_url) as c:
        response = report_device_firmware.sync_detailed(ACC, "990013907835573", client=c)
    assert response.status_code == 200
    assert isinstance(response.parsed, DeviceFirmwareVersionUpdateResult)
    assert response.parsed.account_name == ACC
    assert response.parsed.request_id


@pytest.mark.parametrize("code", [400, 401, 403, 404, 429, 500, 502, 503, 504])
def test_forced_error_returns_error_body(prism_url: str, code: int) -> None:
    with client(prism_url, Prefer=f"code={code}") as c:
        response = list_available_firmware.sync_detailed(ACC, client=c, protocol="all")
    assert response.status_code == code
    # Only the 400 body is documented (FotaV3Error, both fields required); the others require nothing.
    assert isinstance(response.parsed, FotaV3Error if code == 400 else UndocumentedError)
    assert response.parsed.error_code
    assert response.parsed.error_message


def test_request_without_session_token_is_refused(prism_url: str) -> None:
    with AuthenticatedClient(base_url=prism_url, token="only-oauth") as c:
        response = list_available_firmware.sync_detailed(ACC, client=c, protocol="all")
    assert response.status_code == 401


def test_invalid_request_gets_400_from_prism(prism_url: str) -> None:
    with client(prism_url) as c:
        response = synchronize_device_firmware.sync_detailed(ACC, client=c, body=FirmwareIMEI(device_list=[]))
    assert response.status_code == 400
    assert "minItems" in response.headers["sl-violations"]
