"""Ask many devices to report their firmware at once, with the AsyncFotaClient and a bound on concurrency.

Configuration comes from the environment (see sync_example.py).

    python examples/async_example.py ACCOUNT_ID DEVICE_ID [DEVICE_ID ...]
"""

from __future__ import annotations

import asyncio
import sys

from thingspace_fota import AsyncFotaClient, FirmwareReportRequest, FotaError

MAX_IN_FLIGHT = 8


async def main(account_id: str, device_ids: list[str]) -> int:
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)

    async with AsyncFotaClient.from_env() as fota:

        async def report(device_id: str) -> FirmwareReportRequest | FotaError:
            async with limit:
                try:
                    return await fota.report_device_firmware(account_id, device_id)
                except FotaError as exc:  # one device failing does not cancel the others
                    return exc

        outcomes = await asyncio.gather(*(report(d) for d in device_ids))
        synced = await fota.synchronize_device_firmware(account_id, device_ids)  # chunks run concurrently too

    failures = 0
    for device_id, outcome in zip(device_ids, outcomes, strict=True):
        if isinstance(outcome, FotaError):
            failures += 1
            print(f"device {device_id}: {type(outcome).__name__}: {outcome}", file=sys.stderr)
        else:
            print(f"device {device_id}: report requested, request id {outcome.request_id}")
    print(f"synchronized {len(synced.devices)} device(s) of account {synced.account_name}")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    try:
        sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2:])))
    except FotaError as exc:
        sys.exit(f"{type(exc).__name__}: {exc}")
