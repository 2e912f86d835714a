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
    "Drift",
    "DriftKind",
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


class DriftKind(StrEnum):
    """How an answer differs from ``openapi/fota-v3.yaml``; members compare equal to their values."""

    MISSING = "missing"
    """A field the spec requires is absent."""
    NULL = "null"
    """A field is ``null``; the spec allows no null."""
    WRONG_TYPE = "wrong_type"
    """A value of another JSON type than the spec's (or an empty string where the spec wants one character)."""
    RENAMED = "renamed"
    """A known field's key differs only in letter case (``Reason``); it was read as the field."""
    UNKNOWN_FIELD = "unknown_field"
    """A field the spec does not declare; its value is kept in the model's ``extra``."""


@attrs.frozen
class Drift:
    """One deviation of an answer from the spec, found while reading it (see ``APIResponse.drift``).

    ``detail`` names JSON types and field names only, never a value from the body (values hold device ids).
    """

    operation: str
    """The method that got the answer, e.g. ``list_available_firmware``."""
    location: str
    """JSON path of the value, e.g. ``$[3].releaseNote`` or ``$.deviceFirmwarVersionList[0].firmwareVersion``."""
    kind: DriftKind
    """What kind of deviation it is."""
    detail: str
    """What was expected and found, and what the library made of it."""


@attrs.frozen
class FirmwarePackage:
    """A firmware package available to an account (one element of ``list_available_firmware``).

    Fields are ``None`` when the server left them out, sent ``null`` or a value of the wrong type (each such
    deviation is recorded as :class:`Drift`); a number sent for a name or version is read as its decimal string.
    """

    firmware_name: str | None
    """Name of the package."""
    firmware_from: str | None
    """The firmware the device runs now."""
    firmware_to: str | None
    """The firmware the device is upgraded to."""
    launch_date: datetime | None
    """Launch date, timezone-aware; ``None`` when the server's value is absent, not a string, unparseable or
    Go's zero time."""
    launch_date_raw: str | None
    """The launch date as the server sent it (a number as its JSON text); ``None`` when absent, null or of
    another type."""
    release_note: str | None
    """Release note (reserved for future use by ThingSpace, usually empty)."""
    model: str | None
    """Device model."""
    make: str | None
    """Device make."""
    protocol: Protocol | str | None
    """Protocol; a plain ``str`` when the server sends a value no ``Protocol`` member knows."""
    extra: Mapping[str, object] = attrs.field(factory=dict, repr=False)
    """Fields the server sent that this version of the library does not know."""


@attrs.frozen
class DeviceFirmware:
    """The firmware one device reported (one element of ``DeviceFirmwareList.devices``).

    An entry without a usable ``deviceId`` is never guessed at: it is skipped and recorded as :class:`Drift`.
    """

    device_id: str
    """Device IMEI (a number sent by the server is read as its decimal string)."""
    firmware_version: str | None
    """Firmware version the device runs; ``None`` when the server did not say (e.g. status ``DeviceNotFound``)."""
    status: str | None = None
    """Free-text status such as ``FirmwareVersionUpdateSuccess``, when sent."""
    reason: str | None = None
    """Reason for the status, when sent (also read from ``Reason``, as ThingSpace's docs spell it)."""
    update_time: datetime | None = None
    """Time of the most recent upgrade, timezone-aware, when sent and parseable."""
    update_time_raw: str | None = None
    """The update time as the server sent it (a number as its JSON text)."""
    extra: Mapping[str, object] = attrs.field(factory=dict, repr=False)
    """Fields the server sent that this version of the library does not know."""


@attrs.frozen
class DeviceFirmwareList:
    """Result of ``synchronize_device_firmware``: the firmware each device reported, in request order."""

    account_name: str | None
    """Account identifier (``None`` when the server left it out)."""
    devices: list[DeviceFirmware]
    """One entry per device the server reported on (the wire's misspelt ``deviceFirmwarVersionList``)."""
    unanswered_device_ids: list[str] = attrs.field(factory=list)
    """The requested ids the answer did not mention (after merging chunks), in request order."""


@attrs.frozen
class FirmwareReportRequest:
    """Result of ``report_device_firmware``: the device was asked to report; read the firmware later."""

    account_name: str | None
    """Account identifier (``None`` when the server left it out)."""
    request_id: str
    """The system-assigned id of the request (an answer without a usable one raises ResponseValidationError)."""


@attrs.frozen
class APIResponse(Generic[T]):
    """A parsed result together with the HTTP response it came from (see ``with_raw_response``)."""

    parsed: T
    """The same value the plain method returns."""
    http_response: httpx.Response = attrs.field(repr=False)
    """The final ``httpx.Response`` (after retries)."""
    drift: tuple[Drift, ...] = ()
    """Every deviation of this answer from the spec (empty for a conforming answer)."""

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
