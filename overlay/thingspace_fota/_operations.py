"""The FOTA v3 operations: request building by the generated code, tolerant reading of the answers.

The generated modules' ``_get_kwargs`` build method, path (percent-encoded), query and JSON body straight from
the spec, so a path or parameter change in ``openapi/`` flows here by regeneration. Answers are read by
``_reading.py``'s field tables (tied to the spec's schemas by a test) into the overlay's own frozen models,
tolerantly, with every deviation from the spec recorded as ``Drift``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

import attrs

from ._exceptions import describe_json
from ._models import Drift, Protocol
from ._reading import (
    LIST_OPERATION,
    REPORT_OPERATION,
    SYNC_OPERATION,
    ShapeError,
    read_device_list,
    read_packages,
    read_report,
)

__all__ = ["ShapeError"]  # re-exported: the auth operations and the client import it from here

T = TypeVar("T")
Read = Callable[[Any, Any], tuple[T, tuple[Drift, ...]]]


@functools.cache
def generated() -> SimpleNamespace:
    """The generated FOTA modules, imported on first use, so that ``import thingspace_fota`` stays cheap."""
    from thingspace_fota_generated import models, types  # noqa: PLC0415
    from thingspace_fota_generated.api.firmware import (  # noqa: PLC0415
        list_available_firmware,
        report_device_firmware,
        synchronize_device_firmware,
    )
    from thingspace_fota_generated.models.firmware_protocol import check_firmware_protocol  # noqa: PLC0415

    return SimpleNamespace(
        list=list_available_firmware,
        sync=synchronize_device_firmware,
        report=report_device_firmware,
        models=models,
        Unset=types.Unset,
        check_firmware_protocol=check_firmware_protocol,
    )


@attrs.frozen
class Operation(Generic[T]):
    """One API operation: its name and path template (for logs and errors) and its response parser.

    ``parse(data)`` turns a decoded body into the result. The FOTA operations also have ``read(data, request_body)``,
    the tolerant reader of ``_reading.py``, which returns the result with its drift; the client uses it when set.
    """

    name: str
    method: str
    path_template: str
    parse: Callable[[Any], T]
    read: Read[T] | None = None

    @property
    def what(self) -> str:
        """``METHOD /path/{template}``: names the call in logs and errors without any id or secret."""
        return f"{self.method} {self.path_template}"


def _decode(model: Any, data: object, what: str) -> Any:
    if not isinstance(data, Mapping):
        raise ShapeError(f"{what} must be a JSON object, got {describe_json(data)}")
    try:
        return model.from_dict(data)
    except KeyError as exc:
        raise ShapeError(f"{what} lacks the required field {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ShapeError(f"{what} does not fit the contract ({type(exc).__name__})") from None


def _operation(name: str, method: str, path: str, read: Read[T]) -> Operation[T]:
    def parse(data: Any) -> T:
        return read(data, None)[0]

    return Operation(name, method, path, parse, read)


LIST_AVAILABLE_FIRMWARE = _operation(LIST_OPERATION, "GET", "/firmware/{acc}", read_packages)
SYNCHRONIZE_DEVICE_FIRMWARE = _operation(SYNC_OPERATION, "PUT", "/firmware/{acc}/devices", read_device_list)
REPORT_DEVICE_FIRMWARE = _operation(REPORT_OPERATION, "PUT", "/firmware/{acc}/async/{deviceId}", read_report)


def list_request(account: str, protocol: Protocol) -> dict[str, Any]:
    """httpx request arguments of the list operation."""
    gen = generated()
    request: dict[str, Any] = gen.list._get_kwargs(account, protocol=gen.check_firmware_protocol(protocol.value))
    return request


def synchronize_request(account: str, device_ids: list[str]) -> dict[str, Any]:
    """httpx request arguments of one synchronize call (at most 100 ids)."""
    gen = generated()
    request: dict[str, Any] = gen.sync._get_kwargs(account, body=gen.models.FirmwareIMEI(device_list=device_ids))
    return request


def report_request(account: str, device_id: str) -> dict[str, Any]:
    """httpx request arguments of the report operation."""
    request: dict[str, Any] = generated().report._get_kwargs(account, device_id)
    return request
