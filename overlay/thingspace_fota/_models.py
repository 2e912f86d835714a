"""The public result models and the open ``Protocol`` enum.

These are the overlay's own frozen attrs classes: a spec change that renames a generated class changes only the
converters in ``_operations.py``, never what users import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, TypeVar

import attrs
import httpx

from ._exceptions import request_id_of

__all__ = [
    "APIResponse",
    "DeviceFirmware",
    "DeviceFirmwareList",
    "FirmwarePackage",
    "FirmwareReportRequest",
    "Protocol",
    "parse_timestamp",
]

T = TypeVar("T")


class Protocol(StrEnum):
    """Firmware protocol, an open enum.

    Members compare equal to their wire values. As input, a member or any string that names one (in any case;
    ``"OMA-DM"`` too) is accepted. In results, a value that no member knows is kept as the plain ``str`` the
    server sent, so result fields are typed ``Protocol | str``.
    """

    LWM2M = "LWM2M"
    """Lightweight M2M."""
    OMA_DM = "OMD-DM"
    """OMA Device Management; ``OMD-DM`` is Verizon's own spelling on the wire."""
    HTTP = "HTTP"
    """Firmware delivered over HTTP."""
    ALL = "all"
    """Every protocol (a filter of ``list_available_firmware`` only; lowercase on the wire)."""

    @classmethod
    def _missing_(cls, value: object) -> Protocol | None:
        if isinstance(value, str):
            return _PROTOCOL_ALIASES.get(value.strip().upper().replace("_", "-"))
        return None


_PROTOCOL_ALIASES: dict[str, Protocol] = {
    **{member.value.upper(): member for member in Protocol},
    **{member.name.upper().replace("_", "-"): member for member in Protocol},
}


def protocol_from_wire(value: str) -> Protocol | str:
    """The member for a protocol the server sent, or the string itself when no member knows it."""
    try:
        return Protocol(value)
    except ValueError:
        return value


# Go's time.Time default format, e.g. "2021-08-25 10:00:00.123456789 +0000 UTC" (contract §8.5); an optional
# fraction, a numeric offset, an optional zone abbreviation and an optional monotonic-clock suffix "m=+0.1".
_GO_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?"
    r" (?P<offset>[+-]\d{4})(?: [A-Za-z]{1,5})?(?: m=[+-]\d+(?:\.\d+)?)?$"
)


def parse_timestamp(raw: str | None) -> datetime | None:
    """A timezone-aware datetime from an RFC 3339 or Go-format timestamp.

    ``None`` for a missing, empty or unparseable value, and for Go's zero time (year 1), which the API sends when
    the date is unknown. Naive timestamps are taken as UTC.
    """
    if not raw:
        return None
    text = raw.strip()
    match = _GO_TIME.match(text)
    if match:
        frac = (match["frac"] or "")[:6]
        text = f"{match['date']}T{match['time']}{'.' + frac if frac else ''}{match['offset']}"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.year == 1:
        return None
    return value


@attrs.frozen
class FirmwarePackage:
    """A firmware package available to an account (one element of ``list_available_firmware``)."""

    firmware_name: str
    """Name of the package."""
    firmware_from: str
    """The firmware the device runs now."""
    firmware_to: str
    """The firmware the device is upgraded to."""
    launch_date: datetime | None
    """Launch date, timezone-aware; ``None`` when the server's value is empty, unparseable or Go's zero time."""
    launch_date_raw: str
    """The launch date exactly as the server sent it."""
    release_note: str
    """Release note (reserved for future use by ThingSpace, usually empty)."""
    model: str
    """Device model."""
    make: str
    """Device make."""
    protocol: Protocol | str
    """Protocol; a plain ``str`` when the server sends a value no ``Protocol`` member knows."""
    extra: Mapping[str, object] = attrs.field(factory=dict, repr=False)
    """Fields the server sent that this version of the library does not know."""


@attrs.frozen
class DeviceFirmware:
    """The firmware one device reported (one element of ``DeviceFirmwareList.devices``)."""

    device_id: str
    """Device IMEI."""
    firmware_version: str
    """Firmware version the device runs."""
    status: str | None = None
    """Free-text status such as ``FirmwareVersionUpdateSuccess``, when sent."""
    reason: str | None = None
    """Reason for the status, when sent."""
    update_time: datetime | None = None
    """Time of the most recent upgrade, timezone-aware, when sent and parseable."""
    update_time_raw: str | None = None
    """The update time exactly as the server sent it."""
    extra: Mapping[str, object] = attrs.field(factory=dict, repr=False)
    """Fields the server sent that this version of the library does not know."""


@attrs.frozen
class DeviceFirmwareList:
    """Result of ``synchronize_device_firmware``: the firmware each device reported, in request order."""

    account_name: str
    """Account identifier."""
    devices: list[DeviceFirmware]
    """One entry per device the server reported on (the wire's misspelt ``deviceFirmwarVersionList``)."""


@attrs.frozen
class FirmwareReportRequest:
    """Result of ``report_device_firmware``: the device was asked to report; read the firmware later."""

    account_name: str
    """Account identifier."""
    request_id: str
    """The system-assigned id of the request."""


@attrs.frozen
class APIResponse(Generic[T]):
    """A parsed result together with the HTTP response it came from (see ``with_raw_response``)."""

    parsed: T
    """The same value the plain method returns."""
    http_response: httpx.Response = attrs.field(repr=False)
    """The final ``httpx.Response`` (after retries)."""

    @property
    def status_code(self) -> int:
        """HTTP status code."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """Response headers."""
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The server's request id, when it sent one."""
        return request_id_of(self.http_response)
