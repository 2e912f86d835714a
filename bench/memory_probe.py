"""Peak memory of one fleet-sized synchronize, measured with ``tracemalloc`` in a fresh process.

``python bench/memory_probe.py --url URL --client NAME --devices N [--concurrency C]`` imports the client,
starts ``tracemalloc``, builds the client, synchronises N device ids in chunks of 100 while keeping every result,
checks that all N came back, and prints one JSON line: ``{"client", "devices", "peak_bytes", "peak_rss_kib"}``.
``run.py`` starts it once per client so that no earlier measurement's allocations are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clients as c

PROBE_CLIENTS = ("raw_httpx", "FotaClient", "AsyncFotaClient", "verizon_sdk")


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + 100] for i in range(0, len(ids), 100)]


def _run_raw(url: str, ids: list[str]) -> list[str]:
    import httpx

    headers = {"Authorization": f"Bearer {c.ACCESS_TOKEN}", "VZ-M2M-Token": c.M2M_TOKEN}
    bodies: list[Any] = []
    with httpx.Client(headers=headers) as http:
        for chunk in _chunks(ids):
            response = http.put(f"{c.fota_url(url)}/firmware/{c.ACCOUNT}/devices", json={"deviceList": chunk})
            response.raise_for_status()
            bodies.append(json.loads(response.content))
    return [d["deviceId"] for body in bodies for d in body["deviceFirmwarVersionList"]]


def _run_fota(url: str, ids: list[str]) -> list[str]:
    from thingspace_fota import FotaClient

    with FotaClient(base_url=c.fota_url(url), access_token=c.ACCESS_TOKEN, m2m_token=c.M2M_TOKEN) as fota:
        result = fota.synchronize_device_firmware(c.ACCOUNT, ids)
    return [d.device_id for d in result.devices]


def _run_async(url: str, ids: list[str], concurrency: int) -> list[str]:
    async def job() -> list[str]:
        _ops, aclose, fota = c.async_fota_client(url, max_concurrency=concurrency)
        try:
            result = await fota.synchronize_device_firmware(c.ACCOUNT, ids)
        finally:
            await aclose()
        return [d.device_id for d in result.devices]

    return asyncio.run(job())


def _run_verizon(url: str, ids: list[str]) -> list[str]:
    from verizon.models.firmware_imei import FirmwareIMEI

    firmware = c.verizon_client(url).firmware_v3
    bodies = [firmware.synchronize_device_firmware(c.ACCOUNT, FirmwareIMEI(device_list=ch)).body for ch in _chunks(ids)]
    return [d.device_id for body in bodies for d in body.device_firmwar_version_list]


def _peak_rss_kib() -> int:
    """The process's peak resident set (VmHWM): unlike ``ru_maxrss``, it starts afresh at exec, so it does not
    include the RSS of the parent that started this probe."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--client", required=True, choices=PROBE_CLIENTS)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if not args.url.startswith("http://127.0.0.1:"):
        parser.error("--url must be the loopback bench server")
    ids = c.device_ids(args.devices)
    # Import everything first: the peak is that of the job, not of importing the library.
    import httpx  # noqa: F401

    if args.client in {"FotaClient", "AsyncFotaClient"}:
        import thingspace_fota  # noqa: F401
    if args.client == "verizon_sdk":
        import verizon.models.firmware_imei
        import verizon.verizon_client  # noqa: F401

    tracemalloc.start()
    if args.client == "raw_httpx":
        got = _run_raw(args.url, ids)
    elif args.client == "FotaClient":
        got = _run_fota(args.url, ids)
    elif args.client == "AsyncFotaClient":
        got = _run_async(args.url, ids, args.concurrency)
    else:
        got = _run_verizon(args.url, ids)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if got != ids:
        raise SystemExit(f"{args.client}: {len(got)} devices came back, expected {len(ids)} in order")
    print(json.dumps({"client": args.client, "devices": len(got), "peak_bytes": peak, "peak_rss_kib": _peak_rss_kib()}))


if __name__ == "__main__":
    main()
