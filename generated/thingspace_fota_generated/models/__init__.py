"""Contains all the data models used in inputs/outputs"""

from .device_firmware_list import DeviceFirmwareList
from .device_firmware_version import DeviceFirmwareVersion
from .device_firmware_version_update_result import DeviceFirmwareVersionUpdateResult
from .firmware_imei import FirmwareIMEI
from .firmware_package import FirmwarePackage
from .firmware_protocol import FirmwareProtocol
from .fota_v3_error import FotaV3Error
from .undocumented_error import UndocumentedError

__all__ = (
    "DeviceFirmwareList",
    "DeviceFirmwareVersion",
    "DeviceFirmwareVersionUpdateResult",
    "FirmwareIMEI",
    "FirmwarePackage",
    "FirmwareProtocol",
    "FotaV3Error",
    "UndocumentedError",
)
