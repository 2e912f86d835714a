"""Test your fleet automation without a network or a mock server: the fixtures of thingspace_fota.testing load
by themselves once thingspace-fota is installed.

    pytest examples/test_fleet_with_fake.py
"""

# ruff: noqa: S101 - pytest tests assert

from __future__ import annotations

import asyncio

import pytest

from thingspace_fota import AsyncFotaClient, FotaClient, InternalServerError
from thingspace_fota.testing import FakeFota

ACCOUNT = "0000123456-00001"
TARGET = "SR1.3.0.0"
FLEET = ["990013907835573", "990013907884259", "990013907800003"]


def ask_outdated_devices_to_report(fota: FotaClient, account_id: str, imeis: list[str]) -> list[str]:
    """The code under test: synchronize the fleet, and ask every device not on TARGET to report its firmware."""
    result = fota.synchronize_device_firmware(account_id, imeis)
    outdated = [device.device_id for device in result.devices if device.firmware_version != TARGET]
    for device_id in outdated:
        fota.report_device_firmware(account_id, device_id)
    return outdated


@pytest.fixture
def fleet(fota_fake: FakeFota) -> FakeFota:
    fota_fake.add_account(ACCOUNT)
    fota_fake.add_device(ACCOUNT, FLEET[0], firmware_version=TARGET)
    fota_fake.add_device(ACCOUNT, FLEET[1], firmware_version="SR1.2.0.0-10657")
    return fota_fake  # FLEET[2] is unknown to ThingSpace: the synchronize answer leaves it out


def test_only_outdated_devices_are_asked_to_report(fleet: FakeFota, fota_client: FotaClient) -> None:
    assert ask_outdated_devices_to_report(fota_client, ACCOUNT, FLEET) == [FLEET[1]]
    assert [r.operation for r in fleet.requests] == ["synchronize_device_firmware", "report_device_firmware"]
    assert fleet.requests[1].path.endswith(f"/firmware/{ACCOUNT}/async/{FLEET[1]}")


def test_a_rate_limit_is_retried(fleet: FakeFota, fota_client: FotaClient) -> None:
    fleet.fail_next(429, retry_after=0)
    assert ask_outdated_devices_to_report(fota_client, ACCOUNT, FLEET) == [FLEET[1]]
    assert len(fleet.requests) == 3  # the 429, its retry, the report


def test_an_outage_reaches_the_caller(fleet: FakeFota) -> None:
    fleet.fail_next(503, times=3, retry_after=0)  # the client's 2 retries are used up
    with fleet.client() as fota, pytest.raises(InternalServerError):
        ask_outdated_devices_to_report(fota, ACCOUNT, FLEET)


def test_the_async_client(fleet: FakeFota, async_fota_client: AsyncFotaClient) -> None:
    async def main() -> list[str]:
        async with async_fota_client as fota:
            result = await fota.synchronize_device_firmware(ACCOUNT, FLEET)
        return [device.firmware_version for device in result.devices]

    assert asyncio.run(main()) == [TARGET, "SR1.2.0.0-10657"]
