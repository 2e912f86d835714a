"""`make demo`: the three FOTA v3 operations through thingspace_fota against a local Prism mock of the spec."""

from __future__ import annotations

from mockserver import running_prism
from thingspace_fota import FotaClient, Protocol

ACCOUNT = "0000123456-00001"
DEVICES = ["990013907835573", "990013907884259"]


def main() -> None:
    with running_prism() as url, FotaClient(base_url=url, access_token="demo-token", m2m_token="demo-session") as fota:
        print(f"Prism mock of openapi/fota-v3.yaml on {url}\n")
        print(f"list_available_firmware({ACCOUNT!r}, protocol=Protocol.LWM2M):")
        for package in fota.list_available_firmware(ACCOUNT, protocol=Protocol.LWM2M):
            print(f"  {package.firmware_from} -> {package.firmware_to}  {package.make} {package.model}")
            print(f"    protocol={package.protocol!s} launched={package.launch_date}")
        print(f"\nsynchronize_device_firmware({ACCOUNT!r}, {DEVICES!r}):")
        result = fota.synchronize_device_firmware(ACCOUNT, DEVICES)
        for device in result.devices:
            print(f"  {device.device_id}: {device.firmware_version} ({device.status})")
        print(f"\nreport_device_firmware({ACCOUNT!r}, {DEVICES[0]!r}):")
        request = fota.report_device_firmware(ACCOUNT, DEVICES[0])
        print(f"  account {request.account_name}, request id {request.request_id}")


if __name__ == "__main__":
    main()
