from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DeviceFirmwareVersion")


@_attrs_define
class DeviceFirmwareVersion:
    """The firmware one device reported."""

    device_id: str
    """ Device IMEI. """
    firmware_version: str
    """ Firmware version the device runs. """
    status: str | Unset = UNSET
    """ Free-text status, for example `FirmwareVersionUpdateSuccess`. """
    reason: str | Unset = UNSET
    """ Reason for the status, often empty. """
    firmware_version_update_time: str | Unset = UNSET
    """ Time of the most recent upgrade, RFC 3339 in the docs; a plain string for the same reason as `launchDate`.
    """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        device_id = self.device_id

        firmware_version = self.firmware_version

        status = self.status

        reason = self.reason

        firmware_version_update_time = self.firmware_version_update_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "deviceId": device_id,
                "firmwareVersion": firmware_version,
            }
        )
        if status is not UNSET:
            field_dict["status"] = status
        if reason is not UNSET:
            field_dict["reason"] = reason
        if firmware_version_update_time is not UNSET:
            field_dict["firmwareVersionUpdateTime"] = firmware_version_update_time

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        device_id = d.pop("deviceId")

        firmware_version = d.pop("firmwareVersion")

        status = d.pop("status", UNSET)

        reason = d.pop("reason", UNSET)

        firmware_version_update_time = d.pop("firmwareVersionUpdateTime", UNSET)

        device_firmware_version = cls(
            device_id=device_id,
            firmware_version=firmware_version,
            status=status,
            reason=reason,
            firmware_version_update_time=firmware_version_update_time,
        )

        device_firmware_version.additional_properties = d
        return device_firmware_version

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
