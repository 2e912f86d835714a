"""Uses the public API as a user would; `make lint` runs mypy --strict on it, so a typing regression fails CI.

It is also imported by tests/test_overlay_contract.py, which runs ``use_sync`` and ``use_async`` against Prism.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from thingspace_fota import (
    APIResponse,
    APIStatusError,
    AsyncFotaClient,
    ClientCredentialsRefusedError,
    DeviceFirmwareList,
    FirmwarePackage,
    FirmwareReportRequest,
    FotaClient,
    FotaError,
    LoginRefusedError,
    PartialSyncError,
    Protocol,
    RateLimitError,
)


def use_sync(base_url: str) -> tuple[list[FirmwarePackage], DeviceFirmwareList, FirmwareReportRequest]:
    with FotaClient(base_url=base_url, access_token="token", m2m_token="session", max_retries=0) as fota:
        packages: list[FirmwarePackage] = fota.list_available_firmware("0000123456-00001", protocol=Protocol.LWM2M)
        for package in packages:
            launched: datetime | None = package.launch_date
            protocol: Protocol | str | None = package.protocol  # None when the server left it out (drift)
            assert launched is None or launched.tzinfo is not None
            assert isinstance(protocol, str)
        try:
            result = fota.synchronize_device_firmware("0000123456-00001", ["990013907835573", "990013907884259"])
        except PartialSyncError as error:
            result = error.result
        for device in result.devices:
            version: str | None = device.firmware_version  # None for e.g. status DeviceNotFound
            assert version
        unanswered: list[str] = result.unanswered_device_ids
        assert unanswered == []
        raw: APIResponse[FirmwareReportRequest] = fota.with_raw_response.report_device_firmware(
            "0000123456-00001", "990013907835573"
        )
        status: int = raw.status_code
        assert status == 200
        assert raw.drift == ()
        return packages, result, raw.parsed


async def use_async(base_url: str) -> FirmwareReportRequest:
    async with AsyncFotaClient(base_url=base_url, access_token="token", m2m_token="session") as fota:
        try:
            return await fota.report_device_firmware("0000123456-00001", "990013907835573")
        except RateLimitError as error:
            wait: float | None = error.retry_after
            raise RuntimeError(f"rate limited, retry after {wait}") from error
        except APIStatusError as error:
            code: str | None = error.error_code
            raise RuntimeError(f"failed: {code}") from error


def use_credentials(base_url: str, auth_base_url: str) -> FirmwareReportRequest:
    with FotaClient(
        base_url=base_url,
        auth_base_url=auth_base_url,
        client_id="client",
        client_secret="secret",
        username="user",
        password="password",
    ) as fota:
        try:
            return fota.report_device_firmware("0000123456-00001", "990013907835573")
        except LoginRefusedError as error:
            raise RuntimeError("fix the credentials and make a new client") from error
        except ClientCredentialsRefusedError as error:
            raise RuntimeError("check client id and secret") from error


async def use_progress_and_fan_out(base_url: str) -> dict[str, FirmwareReportRequest | FotaError]:
    """Type-checked only: the progress hook, the report fan-out and the raw chunk responses."""
    done: list[str] = []

    def on_progress(device_ids: Sequence[str], error: FotaError | None) -> None:
        if error is None:
            done.extend(device_ids)

    async with AsyncFotaClient(base_url=base_url, access_token="token", m2m_token="session") as fota:
        chunks: list[APIResponse[DeviceFirmwareList]] = await fota.with_raw_response.synchronize_device_firmware(
            "0000123456-00001", ["990013907835573"], batch_size=50, on_progress=on_progress
        )
        assert chunks[0].parsed.devices
        return await fota.report_device_firmware_many("0000123456-00001", done, on_progress=on_progress)
