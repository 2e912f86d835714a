from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FirmwarePackage")


@_attrs_define
class FirmwarePackage:
    """One firmware package available to the account."""

    firmware_name: str
    """ Name of the firmware package. """
    firmware_from: str
    """ The firmware currently on the device. """
    firmware_to: str
    """ The firmware the device is upgraded to. """
    launch_date: str
    """ Launch date. RFC 3339 in the SDK docs, but the ThingSpace docs show Go's default format (`0001-01-01
    00:00:00 +0000 UTC`), so this is a plain string: a strict `date-time` would make clients fail on a real
    response. """
    release_note: str
    """ Release note; reserved for future use and usually empty. """
    model: str
    """ Device model the firmware is for. """
    make: str
    """ Device make the firmware is for. """
    protocol: str
    """ Protocol of the firmware: LWM2M, OMD-DM or HTTP today. A plain string, not an enum, so that a protocol the
    server adds later never makes a response unreadable. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        firmware_name = self.firmware_name

        firmware_from = self.firmware_from

        firmware_to = self.firmware_to

        launch_date = self.launch_date

        release_note = self.release_note

        model = self.model

        make = self.make

        protocol = self.protocol

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "firmwareName": firmware_name,
                "firmwareFrom": firmware_from,
                "firmwareTo": firmware_to,
                "launchDate": launch_date,
                "releaseNote": release_note,
                "model": model,
                "make": make,
                "protocol": protocol,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        firmware_name = d.pop("firmwareName")

        firmware_from = d.pop("firmwareFrom")

        firmware_to = d.pop("firmwareTo")

        launch_date = d.pop("launchDate")

        release_note = d.pop("releaseNote")

        model = d.pop("model")

        make = d.pop("make")

        protocol = d.pop("protocol")

        firmware_package = cls(
            firmware_name=firmware_name,
            firmware_from=firmware_from,
            firmware_to=firmware_to,
            launch_date=launch_date,
            release_note=release_note,
            model=model,
            make=make,
            protocol=protocol,
        )

        firmware_package.additional_properties = d
        return firmware_package

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
