"""The FOTA v3 operations: their requests (built by the generated code, through ``_generated``) and their readers.

Answers are read by ``_reading.py``'s field tables (tied to the spec's schemas by a test) into the overlay's own
frozen models, tolerantly, with every deviation from the spec recorded as ``Drift``; ``Call.parse`` in
``_base_client`` is the only place that calls the readers.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ._generated import Operation, load
from ._models import Protocol
from ._reading import LIST_OPERATION, REPORT_OPERATION, SYNC_OPERATION, read_device_list, read_packages, read_report


def models() -> ModuleType:
    """The generated FOTA models (imported on first use)."""
    return load("thingspace_fota_generated.models")


_API = "thingspace_fota_generated.api.firmware."
LIST_AVAILABLE_FIRMWARE = Operation(LIST_OPERATION, _API + "list_available_firmware", read_packages)
SYNCHRONIZE_DEVICE_FIRMWARE = Operation(SYNC_OPERATION, _API + "synchronize_device_firmware", read_device_list)
REPORT_DEVICE_FIRMWARE = Operation(REPORT_OPERATION, _API + "report_device_firmware", read_report)
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
