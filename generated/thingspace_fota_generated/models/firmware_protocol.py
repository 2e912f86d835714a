from typing import Literal

FirmwareProtocol = Literal["all", "HTTP", "LWM2M", "OMD-DM"]

FIRMWARE_PROTOCOL_VALUES: set[FirmwareProtocol] = {
    "all",
    "HTTP",
    "LWM2M",
    "OMD-DM",
}


def check_firmware_protocol(value: str) -> FirmwareProtocol:
    if value in FIRMWARE_PROTOCOL_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {FIRMWARE_PROTOCOL_VALUES!r}")
