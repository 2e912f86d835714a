"""thingspace_fota: a typed, retrying, sync and async client of the Verizon ThingSpace FOTA v3 firmware API.

from thingspace_fota import FotaClient, Protocol

with FotaClient(client_id="...", client_secret="...", username="...", password="...") as fota:
    packages = fota.list_available_firmware("0000123456-00001", protocol=Protocol.LWM2M)
"""

from typing import TYPE_CHECKING, Any

from ._client import AsyncFotaClient, FotaClient
from ._constants import DEFAULT_AUTH_BASE_URL, DEFAULT_BASE_URL, STAGING_AUTH_BASE_URL, STAGING_BASE_URL
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientCredentialsRefusedError,
    ConflictError,
    FotaError,
    InternalServerError,
    InvalidInputError,
    LoginRefusedError,
    NotFoundError,
    PartialSyncError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UnprocessableEntityError,
)
from ._logs import setup_from_env as _setup_logging
from ._models import (
    APIResponse,
    DeviceFirmware,
    DeviceFirmwareList,
    Drift,
    DriftKind,
    FirmwarePackage,
    FirmwareReportRequest,
    Protocol,
)
from ._version import __version__

if TYPE_CHECKING:
    from ._aiohttp import DefaultAioHttpClient

__all__ = [
    "DEFAULT_AUTH_BASE_URL",
    "DEFAULT_BASE_URL",
    "STAGING_AUTH_BASE_URL",
    "STAGING_BASE_URL",
    "APIConnectionError",
    "APIResponse",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFotaClient",
    "AuthenticationError",
    "BadRequestError",
    "ClientCredentialsRefusedError",
    "ConflictError",
    "DefaultAioHttpClient",
    "DeviceFirmware",
    "DeviceFirmwareList",
    "Drift",
    "DriftKind",
    "FirmwarePackage",
    "FirmwareReportRequest",
    "FotaClient",
    "FotaError",
    "InternalServerError",
    "InvalidInputError",
    "LoginRefusedError",
    "NotFoundError",
    "PartialSyncError",
    "PermissionDeniedError",
    "Protocol",
    "RateLimitError",
    "ResponseValidationError",
    "UnprocessableEntityError",
    "__version__",
]

_setup_logging()


def __getattr__(name: str) -> Any:
    # DefaultAioHttpClient lives in a module of its own, loaded on first use: `import thingspace_fota` loads
    # neither it nor aiohttp (an optional extra).
    if name == "DefaultAioHttpClient":
        from ._aiohttp import DefaultAioHttpClient  # noqa: PLC0415

        return DefaultAioHttpClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazily loaded names too, so that dir() and completion list every public name.
    return sorted(set(globals()) | set(__all__))
