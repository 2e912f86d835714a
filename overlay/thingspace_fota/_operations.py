"""The FOTA v3 operations: their requests (built by the generated code, through ``_generated``) and the parsers
that turn a 2xx body into the overlay's models.

Responses are decoded by the generated models' ``from_dict`` and converted into the overlay's own frozen models;
anything that does not fit becomes ``ResponseValidationError`` instead of a ``KeyError`` or ``TypeError`` from
deep inside. The parsers below are the only place that knows the response shapes; ``Call.parse`` in
``_base_client`` is the only place that calls them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thingspace_fota_generated.models import DeviceFirmwareList as _GenDeviceFirmwareList
    from thingspace_fota_generated.models import DeviceFirmwareVersion as _GenDeviceFirmwareVersion
    from thingspace_fota_generated.models import DeviceFirmwareVersionUpdateResult as _GenReportResult
    from thingspace_fota_generated.models import FirmwarePackage as _GenFirmwarePackage

from ._exceptions import describe_json
from ._generated import Operation, load
from ._models import (
    DeviceFirmware,
    DeviceFirmwareList,
    FirmwarePackage,
    FirmwareReportRequest,
    Protocol,
    parse_timestamp,
    protocol_from_wire,
)


def models() -> ModuleType:
    """The generated FOTA models (imported on first use)."""
    return load("thingspace_fota_generated.models")


def _unset() -> type:
    unset: type = load("thingspace_fota_generated.types").Unset
    return unset


class ShapeError(Exception):
    """A decoded JSON body does not fit the contract; the client turns it into ResponseValidationError."""


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ShapeError(f"field {field!r} must be a string, got {describe_json(value)}")
    return value


def _optional_text(value: object, field: str) -> str | None:
    if value is None or isinstance(value, _unset()):
        return None
    return _text(value, field)


def decode(model: Any, data: object, what: str) -> Any:
    """A generated model decoded from ``data``; ShapeError (naming the field, never a value) when it does not fit."""
    if not isinstance(data, Mapping):
        raise ShapeError(f"{what} must be a JSON object, got {describe_json(data)}")
    try:
        return model.from_dict(data)
    except KeyError as exc:
        raise ShapeError(f"{what} lacks the required field {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ShapeError(f"{what} does not fit the contract ({type(exc).__name__})") from None


def _package(data: object) -> FirmwarePackage:
    gen: _GenFirmwarePackage = decode(models().FirmwarePackage, data, "a firmware package")
    launch_raw = _text(gen.launch_date, "launchDate")
    return FirmwarePackage(
        firmware_name=_text(gen.firmware_name, "firmwareName"),
        firmware_from=_text(gen.firmware_from, "firmwareFrom"),
        firmware_to=_text(gen.firmware_to, "firmwareTo"),
        launch_date=parse_timestamp(launch_raw),
        launch_date_raw=launch_raw,
        release_note=_text(gen.release_note, "releaseNote"),
        model=_text(gen.model, "model"),
        make=_text(gen.make, "make"),
        protocol=protocol_from_wire(_text(gen.protocol, "protocol")),
        extra=gen.additional_properties,
    )


def parse_package_list(data: object) -> list[FirmwarePackage]:
    """The list response: a bare JSON array of packages (a single object is taken as a list of one, as the
    Verizon SDK does)."""
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list):
        raise ShapeError(f"the firmware list must be a JSON array, got {describe_json(data)}")
    return [_package(item) for item in data]


def _device(gen: _GenDeviceFirmwareVersion) -> DeviceFirmware:
    update_raw = _optional_text(gen.firmware_version_update_time, "firmwareVersionUpdateTime")
    return DeviceFirmware(
        device_id=_text(gen.device_id, "deviceId"),
        firmware_version=_text(gen.firmware_version, "firmwareVersion"),
        status=_optional_text(gen.status, "status"),
        reason=_optional_text(gen.reason, "reason"),
        update_time=parse_timestamp(update_raw),
        update_time_raw=update_raw,
        extra=gen.additional_properties,
    )


def parse_device_firmware_list(data: object) -> DeviceFirmwareList:
    """The synchronize response; the misspelt ``deviceFirmwarVersionList`` becomes ``devices``."""
    if isinstance(data, Mapping):
        entries = data.get("deviceFirmwarVersionList")
        if entries is not None and not isinstance(entries, list):
            raise ShapeError(f"field 'deviceFirmwarVersionList' must be an array, got {describe_json(entries)}")
        for entry in entries or ():
            if not isinstance(entry, Mapping):
                raise ShapeError(f"a device entry must be a JSON object, got {describe_json(entry)}")
        if entries is None and "deviceFirmwarVersionList" in data:  # an explicit null means "none"
            data = {k: v for k, v in data.items() if k != "deviceFirmwarVersionList"}
    gen: _GenDeviceFirmwareList = decode(models().DeviceFirmwareList, data, "the synchronize response")
    versions = gen.device_firmwar_version_list
    return DeviceFirmwareList(
        account_name=_text(gen.account_name, "accountName"),
        devices=[_device(v) for v in versions] if isinstance(versions, list) else [],
    )


def parse_report(data: object) -> FirmwareReportRequest:
    """The async report response."""
    gen: _GenReportResult = decode(models().DeviceFirmwareVersionUpdateResult, data, "the report response")
    return FirmwareReportRequest(
        account_name=_text(gen.account_name, "accountName"),
        request_id=_text(gen.request_id, "requestId"),
    )


_API = "thingspace_fota_generated.api.firmware."
LIST_AVAILABLE_FIRMWARE = Operation("list_available_firmware", _API + "list_available_firmware", parse_package_list)
SYNCHRONIZE_DEVICE_FIRMWARE = Operation(
    "synchronize_device_firmware", _API + "synchronize_device_firmware", parse_device_firmware_list
)
REPORT_DEVICE_FIRMWARE = Operation("report_device_firmware", _API + "report_device_firmware", parse_report)
OPERATIONS = (LIST_AVAILABLE_FIRMWARE, SYNCHRONIZE_DEVICE_FIRMWARE, REPORT_DEVICE_FIRMWARE)


def list_request(account: str, protocol: Protocol) -> dict[str, Any]:
    """httpx request arguments of the list operation."""
    check_protocol = load("thingspace_fota_generated.models.firmware_protocol").check_firmware_protocol
    return LIST_AVAILABLE_FIRMWARE.build(account, protocol=check_protocol(protocol.value))


def synchronize_request(account: str, device_ids: list[str]) -> dict[str, Any]:
    """httpx request arguments of one synchronize call (at most 100 ids)."""
    return SYNCHRONIZE_DEVICE_FIRMWARE.build(account, body=models().FirmwareIMEI(device_list=device_ids))


def report_request(account: str, device_id: str) -> dict[str, Any]:
    """httpx request arguments of the report operation."""
    return REPORT_DEVICE_FIRMWARE.build(account, device_id)
