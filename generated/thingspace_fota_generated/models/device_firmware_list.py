from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.device_firmware_version import DeviceFirmwareVersion


T = TypeVar("T", bound="DeviceFirmwareList")


@_attrs_define
class DeviceFirmwareList:
    """The firmware the devices reported."""

    account_name: str
    """ Account identifier. """
    device_firmwar_version_list: list[DeviceFirmwareVersion] | Unset = UNSET
    """ One entry per device. The key is misspelt on the wire (no "e" in "Firmwar") and must stay so. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_name = self.account_name

        device_firmwar_version_list: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.device_firmwar_version_list, Unset):
            device_firmwar_version_list = []
            for device_firmwar_version_list_item_data in self.device_firmwar_version_list:
                device_firmwar_version_list_item = device_firmwar_version_list_item_data.to_dict()
                device_firmwar_version_list.append(device_firmwar_version_list_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "accountName": account_name,
            }
        )
        if device_firmwar_version_list is not UNSET:
            field_dict["deviceFirmwarVersionList"] = device_firmwar_version_list

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.device_firmware_version import DeviceFirmwareVersion

        d = dict(src_dict)
        account_name = d.pop("accountName")

        _device_firmwar_version_list = d.pop("deviceFirmwarVersionList", UNSET)
        device_firmwar_version_list: list[DeviceFirmwareVersion] | Unset = UNSET
        if _device_firmwar_version_list is not UNSET:
            device_firmwar_version_list = []
            for device_firmwar_version_list_item_data in _device_firmwar_version_list:
                device_firmwar_version_list_item = DeviceFirmwareVersion.from_dict(
                    device_firmwar_version_list_item_data
                )

                device_firmwar_version_list.append(device_firmwar_version_list_item)

        device_firmware_list = cls(
            account_name=account_name,
            device_firmwar_version_list=device_firmwar_version_list,
        )

        device_firmware_list.additional_properties = d
        return device_firmware_list

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
