"""List firmware, synchronize a few devices and ask one to report, with the synchronous FotaClient.

Configuration comes from the environment, as for the command line: THINGSPACE_ACCESS_TOKEN and
THINGSPACE_M2M_TOKEN (or the credentials FotaClient.from_env() reads), and THINGSPACE_FOTA_BASE_URL for a mock.

    python examples/sync_example.py ACCOUNT_ID IMEI [IMEI ...]
"""

from __future__ import annotations

import sys

from thingspace_fota import FotaClient, FotaError, PartialSyncError, Protocol


def main(account_id: str, imeis: list[str]) -> int:
    with FotaClient.from_env() as fota:
        for package in fota.list_available_firmware(account_id, protocol=Protocol.LWM2M):
            print(f"package {package.firmware_from} -> {package.firmware_to} ({package.make} {package.model})")
        try:
            result = fota.synchronize_device_firmware(account_id, imeis)
        except PartialSyncError as error:  # some chunks failed: keep what arrived, retry the rest later
            result = error.result
            print(f"not synchronized: {' '.join(error.pending_device_ids)} ({error.error})", file=sys.stderr)
        for device in result.devices:
            print(f"device {device.device_id} runs {device.firmware_version} ({device.status or 'no status'})")
        request = fota.report_device_firmware(account_id, imeis[0])
        print(f"report of {imeis[0]} requested: {request.request_id}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    try:
        sys.exit(main(sys.argv[1], sys.argv[2:]))
    except FotaError as exc:  # messages never contain a token
        sys.exit(f"{type(exc).__name__}: {exc}")
