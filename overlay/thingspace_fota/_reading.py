"""Tolerant reading of FOTA v3 answers, and the record of every way an answer differs from the spec.

The answers are read straight from the decoded JSON by field tables that mirror the response schemas of
``openapi/fota-v3.yaml`` (``tests/test_reading_tables.py`` ties each table to its schema: same properties, same
JSON types, same ``required`` and ``minLength``). That is one pass over each object, cheaper than the generated
``from_dict`` followed by a conversion, and it never fails on what ``from_dict`` would raise for.

The rules (issue 10; the leniency matches Verizon's SDK 2.0.0, contract §8b):

- a missing, ``null`` or wrongly typed field becomes ``None``; a number sent for an id, a version or a name becomes
  its decimal string; a number sent for a date is not a date (``None``), and its raw value is kept;
- a known field whose key differs only in letter case (``Reason``) is read as that field, unless the exact spelling
  is also present, which wins (the other key is then an unknown field, kept in ``extra``);
- a single object where a list is expected is read as a list of one;
- an element that cannot be a package or a device entry is skipped, never guessed at;
- only an answer that carries nothing usable raises :class:`ShapeError` (the client's ResponseValidationError):
  a top-level value of the wrong kind, or a report without a usable ``requestId``.

Every deviation is recorded as a :class:`Drift`, whose detail names JSON types and field names only, never a
value from the body.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

import httpx

from ._exceptions import InvalidInputError, ResponseValidationError, describe_json
from ._logs import logger
from ._models import (
    DeviceFirmware,
    DeviceFirmwareList,
    Drift,
    DriftKind,
    FirmwarePackage,
    FirmwareReportRequest,
    parse_timestamp,
    protocol_from_wire,
)

LIST_OPERATION = "list_available_firmware"
SYNC_OPERATION = "synchronize_device_firmware"
REPORT_OPERATION = "report_device_firmware"

# How a field's value is read. TEXT: a string, anything else is None. ID: an id, version or name; a number is read
# as its decimal string. DATE: a timestamp string; a number is kept as the raw value only. LIST: a JSON array.
TEXT, ID, DATE, LIST = "text", "id", "date", "list"
_EXPECTED = {TEXT: "a string", ID: "a string", DATE: "a date string", LIST: "an array"}
_MISSING, _NULL, _WRONG = DriftKind.MISSING, DriftKind.NULL, DriftKind.WRONG_TYPE


class ShapeError(Exception):
    """A decoded answer carries nothing usable; the client turns it into ResponseValidationError.

    ``drift`` holds the deviations found before reading stopped.
    """

    def __init__(self, message: str, drift: Sequence[Drift] = ()) -> None:
        super().__init__(message)
        self.drift = tuple(drift)


class Field(NamedTuple):
    """One declared property of a response schema, and how to read it."""

    key: str
    """The JSON key, as the spec spells it."""
    attr: str
    """The model attribute it becomes."""
    kind: str
    """TEXT, ID, DATE or LIST."""
    required: bool
    """In the schema's ``required``."""
    min_length: int = 0
    """The schema's ``minLength`` (an empty string is then unusable)."""
    unusable: str = "read as None"
    """What becomes of the object when this field's value is unusable."""


class Table:
    """The fields of one response schema, looked up by key and by lower-case key."""

    def __init__(self, schema: str, fields: Sequence[Field]) -> None:
        self.schema = schema
        self.fields = tuple(fields)
        self.by_key = {f.key: f for f in fields}
        self.by_lower = {f.key.lower(): f for f in fields}


PACKAGE = Table(
    "FirmwarePackage",
    [
        Field("firmwareName", "firmware_name", ID, required=True),
        Field("firmwareFrom", "firmware_from", ID, required=True),
        Field("firmwareTo", "firmware_to", ID, required=True),
        Field("launchDate", "launch_date", DATE, required=True),
        Field("releaseNote", "release_note", TEXT, required=True),
        Field("model", "model", ID, required=True),
        Field("make", "make", ID, required=True),
        Field("protocol", "protocol", TEXT, required=True),
    ],
)
DEVICE = Table(
    "DeviceFirmwareVersion",
    [
        Field("deviceId", "device_id", ID, required=True, min_length=1, unusable="the entry is skipped"),
        Field("firmwareVersion", "firmware_version", ID, required=True),
        Field("status", "status", TEXT, required=False),
        Field("reason", "reason", TEXT, required=False),
        Field("firmwareVersionUpdateTime", "update_time", DATE, required=False),
    ],
)
DEVICE_LIST = Table(
    "DeviceFirmwareList",
    [
        Field("accountName", "account_name", ID, required=True),
        Field("deviceFirmwarVersionList", "devices", LIST, required=False),
    ],
)
REPORT = Table(
    "DeviceFirmwareVersionUpdateResult",
    [
        Field("accountName", "account_name", ID, required=True),
        Field("requestId", "request_id", ID, required=True, min_length=1, unusable="the answer is refused"),
    ],
)
TABLES = (PACKAGE, DEVICE, DEVICE_LIST, REPORT)


class _One(list[Any]):
    """A single object read as a list of one (its elements have no index in the JSON path)."""


class _NumberText(str):
    """The decimal text of a number sent for a date: kept as the raw value, never parsed as a date."""

    __slots__ = ()


def _decimal(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else repr(value)


# Where undeclared fields are recorded: their keys come from the body, so they are never part of a location.
UNDECLARED = "<undeclared field>"


def _loc(base: str, index: int | None, key: str) -> str:
    return f"{base}.{key}" if index is None else f"{base}[{index}].{key}"


def _element(base: str, index: int | None) -> str:
    return base if index is None else f"{base}[{index}]"


class Reader:
    """Reads the objects of one answer and collects its drift."""

    __slots__ = ("drift", "operation")

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.drift: list[Drift] = []

    def note(self, location: str, kind: DriftKind, detail: str) -> None:
        self.drift.append(Drift(self.operation, location, kind, detail))

    def read(
        self, obj: dict[str, Any], table: Table, base: str, index: int | None
    ) -> tuple[dict[str, Any], dict[str, object]]:
        """The values of ``obj`` by model attribute (absent ones left out), and its unknown fields."""
        values: dict[str, Any] = {}
        unknown: list[str] | None = None
        by_key = table.by_key
        for key, value in obj.items():
            field = by_key.get(key)
            if field is None:
                if unknown is None:
                    unknown = []
                unknown.append(key)
            elif value.__class__ is str and field.kind is not LIST and (value or not field.min_length):
                values[field.attr] = value
            else:
                values[field.attr] = self._odd(field, value, _loc(base, index, key))
        extra: dict[str, object] = {}
        if unknown is not None:
            extra = self._unknown(obj, table, base, index, keys=unknown, values=values)
        if len(values) < len(table.fields):
            for field in table.fields:
                if field.required and field.attr not in values:
                    where = _loc(base, index, field.key)
                    self.note(where, _MISSING, f"required field {field.key!r} is missing; {field.unusable}")
        return values, extra

    def _unknown(
        self,
        obj: dict[str, Any],
        table: Table,
        base: str,
        index: int | None,
        *,
        keys: list[str],
        values: dict[str, Any],
    ) -> dict[str, object]:
        """The keys of ``obj`` that the table does not spell: a known field in other letter case is read as that
        field; anything else stays in ``extra``. A key comes from the body (a server may key entries by device
        id), so no location or detail ever holds one: a case variant is named by the declared field it matches,
        the undeclared ones are only counted."""
        extra: dict[str, object] = {}
        undeclared = 0
        for key in keys:
            value = obj[key]
            field = table.by_lower.get(key.lower())
            if field is None:
                extra[key] = value
                undeclared += 1
                continue
            location = _loc(base, index, field.key)
            if field.key not in obj and field.attr not in values:
                self.note(location, DriftKind.RENAMED, f"sent with different letter case; read as {field.key!r}")
                ok = value.__class__ is str and field.kind is not LIST and (value or not field.min_length)
                values[field.attr] = value if ok else self._odd(field, value, location)
            else:
                extra[key] = value
                detail = f"another key for {field.key!r}, in different letter case, was also sent; kept in extra"
                self.note(location, DriftKind.UNKNOWN_FIELD, detail)
        if undeclared:
            self.note(
                _loc(base, index, UNDECLARED),
                DriftKind.UNKNOWN_FIELD,
                f"{undeclared} field(s) not declared in the spec; kept in extra",
            )
        return extra

    def _odd(self, field: Field, value: object, location: str) -> Any:  # noqa: PLR0911 - one return per case
        """The value of a field that is not a usable string, and the drift it is."""
        kind = field.kind
        if value is None:
            self.note(location, _NULL, f"null where {_EXPECTED[kind]} is expected; {field.unusable}")
            return None
        if kind == LIST:
            if value.__class__ is list:
                return value
            if value.__class__ is dict:
                self.note(location, _WRONG, "an object where an array is expected; read as a list of one")
                return _One([value])
            self.note(location, _WRONG, f"{describe_json(value)} where an array is expected; read as none")
            return None
        if value.__class__ is str:  # empty, where the spec says minLength
            self.note(location, _WRONG, f"an empty string where a non-empty string is expected; {field.unusable}")
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            if kind == ID:
                self.note(location, _WRONG, "a number where a string is expected; read as its decimal string")
                return _decimal(value)
            if kind == DATE:
                self.note(location, _WRONG, "a number where a date string is expected; read as None, raw value kept")
                return _NumberText(_decimal(value))
        self.note(location, _WRONG, f"{describe_json(value)} where {_EXPECTED[kind]} is expected; {field.unusable}")
        return None


def _raw_date(value: str | None) -> str | None:
    return None if value is None else str(value)  # a plain str, also of a _NumberText


def _objects(reader: Reader, data: object, base: str, what: str) -> list[tuple[dict[str, Any], int | None]]:
    """The objects of a list (or of a single object read as a list of one), each with its index in the path;
    other elements are skipped and recorded."""
    if isinstance(data, _One):
        return [(data[0], None)]
    found: list[tuple[dict[str, Any], int | None]] = []
    items: list[Any] = data  # type: ignore[assignment]
    for index, item in enumerate(items):
        if item.__class__ is dict:
            found.append((item, index))
        else:
            reader.note(f"{base}[{index}]", _WRONG, f"{describe_json(item)} where {what} is expected; skipped")
    return found


def read_packages(data: object, request_body: object = None) -> tuple[list[FirmwarePackage], tuple[Drift, ...]]:
    """The list answer: a bare JSON array of packages (a single object is read as a list of one, as Verizon's SDK
    does)."""
    reader = Reader(LIST_OPERATION)
    if data.__class__ is dict:
        reader.note("$", _WRONG, "an object where an array is expected; read as a list of one")
        data = _One([data])
    elif data.__class__ is not list:
        raise ShapeError(f"the firmware list must be a JSON array, got {describe_json(data)}")
    packages = []
    for obj, index in _objects(reader, data, "$", "a firmware package object"):
        values, extra = reader.read(obj, PACKAGE, "$", index)
        launch = values.get("launch_date")
        protocol = values.get("protocol")
        packages.append(
            FirmwarePackage(
                firmware_name=values.get("firmware_name"),
                firmware_from=values.get("firmware_from"),
                firmware_to=values.get("firmware_to"),
                launch_date=parse_timestamp(launch) if launch.__class__ is str else None,
                launch_date_raw=_raw_date(launch),
                release_note=values.get("release_note"),
                model=values.get("model"),
                make=values.get("make"),
                protocol=None if protocol is None else protocol_from_wire(protocol),
                extra=extra,
            )
        )
    return packages, tuple(reader.drift)


def read_device_list(data: object, request_body: object = None) -> tuple[DeviceFirmwareList, tuple[Drift, ...]]:
    """The synchronize answer; the misspelt ``deviceFirmwarVersionList`` becomes ``devices``, and the requested
    ids (from ``request_body``'s ``deviceList``) that it does not mention become ``unanswered_device_ids``."""
    reader = Reader(SYNC_OPERATION)
    if data.__class__ is not dict:
        raise ShapeError(f"the synchronize response must be a JSON object, got {describe_json(data)}")
    values, _extra = reader.read(data, DEVICE_LIST, "$", None)
    entries = values.get("devices")
    devices: list[DeviceFirmware] = []
    if entries:
        base = "$.deviceFirmwarVersionList"
        for obj, index in _objects(reader, entries, base, "a device entry object"):
            fields, extra = reader.read(obj, DEVICE, base, index)
            device_id = fields.get("device_id")
            if device_id is None:
                continue
            update = fields.get("update_time")
            devices.append(
                DeviceFirmware(
                    device_id=device_id,
                    firmware_version=fields.get("firmware_version"),
                    status=fields.get("status"),
                    reason=fields.get("reason"),
                    update_time=parse_timestamp(update) if update.__class__ is str else None,
                    update_time_raw=_raw_date(update),
                    extra=extra,
                )
            )
    requested = request_body.get("deviceList") if isinstance(request_body, dict) else None
    unanswered: list[str] = []
    if requested:
        answered = {device.device_id for device in devices}
        unanswered = [i for i in requested if i not in answered]
    return DeviceFirmwareList(values.get("account_name"), devices, unanswered), tuple(reader.drift)


def read_report(data: object, request_body: object = None) -> tuple[FirmwareReportRequest, tuple[Drift, ...]]:
    """The async report answer; without a usable ``requestId`` it carries nothing and is refused."""
    reader = Reader(REPORT_OPERATION)
    if data.__class__ is not dict:
        raise ShapeError(f"the report response must be a JSON object, got {describe_json(data)}")
    values, _extra = reader.read(data, REPORT, "$", None)
    request_id = values.get("request_id")
    if request_id is None:
        raise ShapeError("the report response has no usable 'requestId'", reader.drift)
    return FirmwareReportRequest(values.get("account_name"), request_id), tuple(reader.drift)


_INDEX = re.compile(r"\[\d+\]")


def collapse(location: str) -> str:
    """A location with its list indexes collapsed: ``$[3].make`` -> ``$[*].make``."""
    return _INDEX.sub("[*]", location)


class Summary(NamedTuple):
    """The deviations of one kind at one place (list indexes collapsed), with how often they occurred."""

    operation: str
    location: str
    """Collapsed: ``$[*].make``."""
    kind: str
    times: int
    detail: str
    """The detail of the first of them."""


def summarize(drift: Sequence[Drift]) -> list[Summary]:
    """``drift`` grouped by (operation, collapsed location, kind), in order of first occurrence: what the client's
    warning, the ``verify`` report and the command line's note show."""
    found: dict[tuple[str, str, str], list[Any]] = {}
    for d in drift:
        key = (d.operation, collapse(d.location), d.kind.value)
        entry = found.get(key)
        if entry is None:
            found[key] = [1, d.detail]
        else:
            entry[0] += 1
    return [Summary(*key, count, detail) for key, (count, detail) in found.items()]


# The distinct deviations a client remembers having logged. Locations hold no body-derived text, so the real
# number is bounded by the spec (operations x fields x kinds, a few hundred at most); this is a backstop.
MAX_SEEN = 1024


class DriftCheck:
    """What a client does with the drift of each answer: log each distinct deviation once (per client), and in
    strict mode refuse the answer."""

    def __init__(self, *, strict: bool = False, log: bool = True) -> None:
        self.strict = strict
        self.log = log
        self._seen: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def __call__(self, what: str, drift: tuple[Drift, ...], response: httpx.Response) -> None:
        if self.log:
            self._warn(drift)
        if self.strict:
            first = drift[0]
            raise ResponseValidationError(
                f"{what} returned an answer that deviates from the spec ({len(drift)} deviation(s); first: "
                f"{first.kind.value} at {first.location}: {first.detail})",
                response=response,
                drift=drift,
            )

    def _warn(self, drift: tuple[Drift, ...]) -> None:
        summary = summarize(drift)
        with self._lock:
            new = []
            for s in summary:
                key = (s.operation, s.location, s.kind)
                if key not in self._seen and len(self._seen) < MAX_SEEN:
                    self._seen.add(key)
                    new.append(s)
        for s in new:
            logger.warning(
                "%s: the answer deviates from the spec: %s at %s (%d time(s) in this answer): %s. "
                "Reported once per client; see APIResponse.drift",
                s.operation,
                s.kind,
                s.location,
                s.times,
                s.detail,
            )


def merge_unanswered(chunks: Sequence[DeviceFirmwareList], devices: Sequence[DeviceFirmware]) -> list[str]:
    """The ids no chunk's answer mentioned, in request order (a device may be answered in another chunk)."""
    unanswered = [i for chunk in chunks for i in chunk.unanswered_device_ids]
    if not unanswered:
        return unanswered
    answered = {device.device_id for device in devices}
    return [i for i in unanswered if i not in answered]


def drift_check(strict: object) -> DriftCheck:
    """A client's DriftCheck; ``strict`` must be a bool (InvalidInputError otherwise, before anything is sent)."""
    if not isinstance(strict, bool):
        raise InvalidInputError("strict", f"must be True or False, not {type(strict).__name__}")
    return DriftCheck(strict=strict)
