"""`make bench`: thingspace_fota against raw httpx, the generated client and Verizon's SDK, on one loopback server.

    .venv/bin/python bench/run.py            # the full run (about 3 minutes); writes bench/RESULTS.md
    .venv/bin/python bench/run.py --quick    # tiny counts, a few seconds: the smoke test runs this

Measures, against the same keep-alive HTTP/1.1 server (bench/server.py, its own process):

1. per call, for each operation: median wall time and client CPU time (``time.process_time``) per call of raw
   httpx, the generated client, FotaClient, AsyncFotaClient and Verizon's SDK;
2. fleet jobs with simulated latency: report firmware for 1,000 devices and synchronise 10,000 devices (100
   chunks) with AsyncFotaClient at concurrency 1, 8 and 32, against the limit ``N x latency / concurrency``,
   and Verizon's SDK doing the same jobs one call after another;
3. import time of ``thingspace_fota`` against ``import httpx`` (fresh interpreters);
4. peak memory (tracemalloc, fresh process) of the 10,000-device synchronise.

Prints the tables and the targets (PASS/MISS) and writes them as JSON (bench/results/latest.json) and, for a
full run, as Markdown (bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clients as c  # noqa: E402 - after the path set-up above
from ratelimited import section as rate_limited_section  # noqa: E402 - issue 13's table
from server import running_server  # noqa: E402

DEFAULT_JSON = HERE / "results" / "latest.json"
DEFAULT_MARKDOWN = HERE / "RESULTS.md"
CONCURRENCIES = (1, 8, 32)
IMPORT_MODULES = ("httpx", "thingspace_fota", "thingspace_fota_generated", "verizon.verizon_client")
MEMORY_CLIENTS = (
    ("raw_httpx", 1),
    ("FotaClient", 1),
    ("AsyncFotaClient", 8),
    ("AsyncFotaClient", 32),
    ("verizon_sdk", 1),
)
# Fleet runs longer than this are measured once (the sequential ones take 20 s and more).
LONG_RUN_SECONDS = 5.0

TARGETS = {
    "cpu_vs_raw": 1.10,
    "sync_100_vs_raw": 1.5,
    "cpu_vs_verizon": 0.75,
    "fleet_c32_vs_limit": 1.25,
    "fleet_aiohttp_vs_raw_aiohttp": 1.10,
    "import_vs_httpx": 1.5,
}


class Settings:
    def __init__(self, quick: bool, calls: int | None, repeats: int | None, latency: float) -> None:
        self.quick = quick
        self.calls = calls or (5 if quick else 100)
        self.repeats = repeats or (2 if quick else 9)
        self.warmup = 3 if quick else 30
        self.latency = latency
        self.report_devices = 40 if quick else 1_000
        self.sync_devices = 500 if quick else 10_000
        self.fleet_repeats = 1 if quick else 3
        self.import_runs = 3 if quick else 15

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls_per_batch": self.calls,
            "batches": self.repeats,
            "warmup_calls": self.warmup,
            "fleet_latency_s": self.latency,
            "report_devices": self.report_devices,
            "sync_devices": self.sync_devices,
            "sync_chunk": 100,
            "concurrency": list(CONCURRENCIES),
            "fleet_repeats": self.fleet_repeats,
            "import_runs": self.import_runs,
        }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- machine ---------------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return {
        "cpu_model": cpu,
        "cores": os.cpu_count() or 0,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "httpx": httpx.__version__,
        "thingspace_fota": version("thingspace-fota"),
        "sdksio_verizon_apis_sdk": version("sdksio-verizon-apis-sdk"),
        "apimatic_core": version("apimatic-core"),
        "requests": version("requests"),
    }


# --- 1. per call -----------------------------------------------------------------------------------------------------


def _time_batch(fn: Callable[[], Any], calls: int) -> tuple[float, float]:
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - wall0) / calls, (time.process_time() - cpu0) / calls


Batches = dict[str, dict[str, list[dict[str, float]]]]  # operation -> client -> one entry per batch


def per_call(settings: Settings) -> tuple[dict[str, dict[str, dict[str, float]]], Batches]:
    """Median µs per call of each client and operation, and the per-batch numbers they come from."""
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {op: {n: [] for n in c.CLIENTS} for op in c.OPERATIONS}
    with running_server(0.0) as url:
        sync_ops: dict[str, c.SyncOps] = {}
        closers: list[Callable[[], None]] = []
        for name, factory in c.SYNC_FACTORIES.items():
            ops, close = factory(url)
            sync_ops[name] = ops
            closers.append(close)
        loop = asyncio.new_event_loop()

        async def make_async() -> tuple[dict[str, c.AsyncOps], list[Callable[[], Awaitable[None]]]]:
            made = {
                "raw_httpx_async": c.raw_httpx_async(url),
                "AsyncFotaClient": c.async_fota_client(url),
                "raw_aiohttp": c.raw_aiohttp(url),
                "AsyncFotaClient_aiohttp": c.async_fota_client(url, aiohttp=True),
            }
            return {name: m[0] for name, m in made.items()}, [m[1] for m in made.values()]

        async_ops, async_closers = loop.run_until_complete(make_async())

        async def run_async(fn: Callable[[], Awaitable[Any]], calls: int) -> None:
            for _ in range(calls):
                await fn()

        def time_async(fn: Callable[[], Awaitable[Any]], calls: int) -> tuple[float, float]:
            gc.collect()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            loop.run_until_complete(run_async(fn, calls))
            return (time.perf_counter() - wall0) / calls, (time.process_time() - cpu0) / calls

        def time_one(name: str, op: str, calls: int) -> tuple[float, float]:
            if name in async_ops:
                return time_async(async_ops[name][op], calls)
            return _time_batch(sync_ops[name][op], calls)

        try:
            # Warm-up: connections, the Verizon SDK's token fetch, lazy imports; and proof that each client parses
            # the full answer.
            for op in c.OPERATIONS:
                for name in c.CLIENTS:
                    if name in async_ops:
                        c.check(op, loop.run_until_complete(async_ops[name][op]()))
                    else:
                        c.check(op, sync_ops[name][op]())
                    time_one(name, op, settings.warmup)
            order = list(c.CLIENTS)
            for batch in range(settings.repeats):
                log(f"  per-call batch {batch + 1}/{settings.repeats}")
                order = order[1:] + order[:1]  # rotate so that no client always runs right after another
                for op in c.OPERATIONS:
                    for name in order:
                        samples[op][name].append(time_one(name, op, settings.calls))
        finally:
            for aclose in async_closers:
                loop.run_until_complete(aclose())
            loop.close()
            for close in closers:
                close()
    batches: Batches = {
        op: {name: [{"wall_us": w * 1e6, "cpu_us": u * 1e6} for w, u in runs] for name, runs in by_client.items()}
        for op, by_client in samples.items()
    }
    table = {
        op: {
            name: {kind: statistics.median(b[kind] for b in runs) for kind in ("wall_us", "cpu_us")}
            for name, runs in by_client.items()
        }
        for op, by_client in batches.items()
    }
    return table, batches


def per_call_ratios(batches: Batches) -> dict[str, dict[str, dict[str, float]]]:
    """Median over batches of the ratio within each batch: the clients of one batch run back to back, so a
    change of load on the machine between batches cancels out of the ratio."""
    pairs = (
        ("FotaClient", "raw_httpx"),
        ("FotaClient", "generated"),
        ("FotaClient", "verizon_sdk"),
        ("AsyncFotaClient", "raw_httpx_async"),
        ("AsyncFotaClient", "verizon_sdk"),
        ("AsyncFotaClient_aiohttp", "raw_aiohttp"),
    )
    return {
        op: {
            kind: {
                f"{a}/{b}": statistics.median(
                    x[f"{kind}_us"] / y[f"{kind}_us"] for x, y in zip(runs[a], runs[b], strict=True)
                )
                for a, b in pairs
            }
            for kind in ("cpu", "wall")
        }
        for op, runs in batches.items()
    }


# --- 2. fleet jobs ---------------------------------------------------------------------------------------------------


def _stats(url: str, reset: bool = False) -> dict[str, Any]:
    with httpx.Client() as http:
        if reset:
            http.post(f"{url}/__bench/reset").raise_for_status()
            return {}
        response = http.get(f"{url}/__bench/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


async def _bounded(concurrency: int, calls: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run the calls with at most ``concurrency`` at a time (a semaphore); results in order."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


class Fleet:
    """The two fleet jobs, each run by AsyncFotaClient at every concurrency, a bare httpx.AsyncClient at the
    highest one (the floor), and Verizon's SDK one call after another."""

    def __init__(self, settings: Settings, url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings
        self.url = url
        self.loop = loop
        self.latency = settings.latency
        self.report_ids = c.device_ids(settings.report_devices)
        self.sync_ids = c.device_ids(settings.sync_devices)
        self.chunks = [self.sync_ids[i : i + 100] for i in range(0, len(self.sync_ids), 100)]
        self.requests = {"report": len(self.report_ids), "synchronize": len(self.chunks)}
        self.results: dict[str, Any] = {
            "report": {"devices": len(self.report_ids), "requests": len(self.report_ids), "runs": {}},
            "synchronize": {"devices": len(self.sync_ids), "requests": len(self.chunks), "runs": {}},
        }

    def check_reports(self, out: list[Any]) -> None:
        ids = [r["requestId"] if isinstance(r, dict) else r.request_id for r in out]
        assert len(ids) == len(self.report_ids) and all(i.startswith("7a3c5e0e-") for i in ids)

    def check_devices(self, devices: list[Any]) -> None:
        got = [d["deviceId"] if isinstance(d, dict) else d.device_id for d in devices]
        assert got == self.sync_ids, f"{len(got)} devices came back, expected {len(self.sync_ids)} in order"

    def measure(
        self, job: str, key: str, concurrency: int, run: Callable[[], Any], check: Callable[[Any], None]
    ) -> None:
        """Time ``run`` (wall and client CPU), check its result and the server's request count, record it."""
        requests = self.requests[job]
        limit = requests * self.latency / concurrency
        walls: list[float] = []
        cpus: list[float] = []
        stats: dict[str, Any] = {}
        for _ in range(1 if limit >= LONG_RUN_SECONDS else self.settings.fleet_repeats):
            _stats(self.url, reset=True)
            gc.collect()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            out = run()
            walls.append(time.perf_counter() - wall0)
            cpus.append(time.process_time() - cpu0)
            check(out)
            stats = _stats(self.url)
            if stats["requests"].get(job) != requests:
                raise RuntimeError(f"{job}: the server saw {stats['requests']}, expected {requests} requests")
        floor = -(-requests // concurrency) * self.latency  # whole rounds of `concurrency` requests
        median = statistics.median(walls)
        self.results[job]["runs"][key] = {
            "concurrency": concurrency,
            "seconds": median,
            "client_cpu_s": statistics.median(cpus),
            "runs": len(walls),
            "limit_s": limit,
            "ratio": median / limit,
            "rounds_floor_s": floor,
            "ratio_to_rounds_floor": median / floor,
            "max_in_flight": stats["max_in_flight"],
        }
        log(f"  fleet {job} {key}: {median:.3f} s (limit {limit:.3f} s)")

    def async_fota(self, concurrency: int, aiohttp: bool = False) -> None:
        async def make() -> Any:
            return c.async_fota_client(self.url, max_concurrency=concurrency, aiohttp=aiohttp)

        _ops, aclose, fota = self.loop.run_until_complete(make())

        def reports(ids: list[str]) -> list[Callable[[], Awaitable[Any]]]:
            return [lambda d=d: fota.report_device_firmware(c.ACCOUNT, d) for d in ids]

        key = f"AsyncFotaClient{' + aiohttp' if aiohttp else ''} c={concurrency}"
        try:
            # Warm the pool with `concurrency` connections, outside the measurement.
            self.loop.run_until_complete(_bounded(concurrency, reports(c.device_ids(concurrency))))
            calls = reports(self.report_ids)
            self.measure(
                "report",
                key,
                concurrency,
                lambda: self.loop.run_until_complete(_bounded(concurrency, calls)),
                self.check_reports,
            )
            self.measure(
                "synchronize",
                key,
                concurrency,
                lambda: self.loop.run_until_complete(fota.synchronize_device_firmware(c.ACCOUNT, self.sync_ids)),
                lambda out: self.check_devices(out.devices),
            )
        finally:
            self.loop.run_until_complete(aclose())

    def raw_async(self, concurrency: int, aiohttp: bool = False) -> None:
        async def make() -> Any:
            return c.raw_aiohttp(self.url) if aiohttp else c.raw_httpx_async(self.url)

        _ops, aclose, raw = self.loop.run_until_complete(make())
        key = f"raw {'aiohttp' if aiohttp else 'httpx async'} c={concurrency}"
        try:
            warm = [lambda d=d: raw.report(d) for d in c.device_ids(concurrency)]
            self.loop.run_until_complete(_bounded(concurrency, warm))
            calls = [lambda d=d: raw.report(d) for d in self.report_ids]
            self.measure(
                "report",
                key,
                concurrency,
                lambda: self.loop.run_until_complete(_bounded(concurrency, calls)),
                self.check_reports,
            )
            puts = [lambda ch=ch: raw.put_chunk(ch) for ch in self.chunks]
            self.measure(
                "synchronize",
                key,
                concurrency,
                lambda: self.loop.run_until_complete(_bounded(concurrency, puts)),
                lambda out: self.check_devices([d for body in out for d in body["deviceFirmwarVersionList"]]),
            )
        finally:
            self.loop.run_until_complete(aclose())

    def verizon_sequential(self) -> None:
        from verizon.models.firmware_imei import FirmwareIMEI

        firmware = c.verizon_client(self.url).firmware_v3
        firmware.report_device_firmware(c.ACCOUNT, c.REPORT_DEVICE)  # warm-up: token fetch and connection
        self.measure(
            "report",
            "Verizon SDK sequential",
            1,
            lambda: [firmware.report_device_firmware(c.ACCOUNT, d).body for d in self.report_ids],
            self.check_reports,
        )
        self.measure(
            "synchronize",
            "Verizon SDK sequential",
            1,
            lambda: [
                firmware.synchronize_device_firmware(c.ACCOUNT, FirmwareIMEI(device_list=ch)).body for ch in self.chunks
            ],
            lambda out: self.check_devices([d for body in out for d in body.device_firmwar_version_list]),
        )


def fleet(settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fleet results, and the memory results (measured against the same server)."""
    with running_server(settings.latency) as url:
        loop = asyncio.new_event_loop()
        try:
            jobs = Fleet(settings, url, loop)
            for concurrency in CONCURRENCIES:
                jobs.async_fota(concurrency)
            top = CONCURRENCIES[-1]
            # aiohttp side by side with the default at the highest concurrency: raw first, then on our client.
            jobs.raw_async(top)
            jobs.raw_async(top, aiohttp=True)
            jobs.async_fota(top, aiohttp=True)
        finally:
            loop.close()
        jobs.verizon_sequential()
        return jobs.results, memory(settings, url)


# --- 3. import time --------------------------------------------------------------------------------------------------


def import_times(settings: Settings) -> dict[str, Any]:
    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 - our own interpreter, fixed code
        return time.perf_counter() - start

    codes = {"baseline": "pass", **{m: f"import {m}" for m in IMPORT_MODULES}}
    for code in codes.values():  # compile the .pyc files once, outside the measurement
        run(code)
    samples: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(settings.import_runs):
        for name, code in codes.items():  # interleaved, so that load changes hit every module alike
            samples[name].append(run(code))
    baseline = statistics.median(samples.pop("baseline"))
    modules = {name: max((statistics.median(s) - baseline) * 1000, 0.001) for name, s in samples.items()}
    return {
        "baseline_interpreter_ms": baseline * 1000,
        "modules_ms": modules,
        "thingspace_fota/httpx": modules["thingspace_fota"] / modules["httpx"],
    }


# --- 4. memory -------------------------------------------------------------------------------------------------------


def memory(settings: Settings, url: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for client, concurrency in MEMORY_CLIENTS:
        argv = [
            sys.executable,
            str(HERE / "memory_probe.py"),
            "--url",
            url,
            "--client",
            client,
            "--devices",
            str(settings.sync_devices),
            "--concurrency",
            str(concurrency),
        ]
        done = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300)  # noqa: S603
        probe = json.loads(done.stdout.strip().splitlines()[-1])
        key = f"{client} c={concurrency}" if client == "AsyncFotaClient" else client
        out[key] = {
            "devices": probe["devices"],
            "peak_mib": probe["peak_bytes"] / 2**20,
            "peak_rss_mib": probe["peak_rss_kib"] / 1024,
        }
        log(f"  memory {key}: {out[key]['peak_mib']:.2f} MiB")
    return out


# --- targets and output ----------------------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for op, ratios in results["per_call_ratios"].items():
        for key, limit in (
            ("FotaClient/raw_httpx", TARGETS["sync_100_vs_raw" if op == "synchronize_100" else "cpu_vs_raw"]),
            ("FotaClient/verizon_sdk", TARGETS["cpu_vs_verizon"]),
        ):
            value = ratios["cpu"][key]
            note = f"generated/raw: {ratios['cpu']['FotaClient/raw_httpx'] / ratios['cpu']['FotaClient/generated']:.2f}"
            found.append(_target(f"CPU/call {key} {op}", value, limit, note if key.endswith("raw_httpx") else ""))
    for job, data in results["fleet"].items():
        runs = data["runs"]
        entry = runs["AsyncFotaClient c=32"]
        limit = TARGETS["fleet_c32_vs_limit"]
        raw = runs["raw httpx async c=32"]
        note = f"raw httpx async c=32: {raw['ratio']:.2f}; peak in flight {entry['max_in_flight']}"
        floor = entry["rounds_floor_s"] / entry["limit_s"]
        if floor > limit:
            note += f"; unreachable: whole rounds alone take {floor:.2f}x the limit"
        found.append(_target(f"fleet {job} c=32 time/limit", entry["ratio"], limit, note))
        if job == "report":
            aio, raw_aio = runs["AsyncFotaClient + aiohttp c=32"], runs["raw aiohttp c=32"]
            note = f"time/limit: {aio['ratio']:.2f} vs raw aiohttp {raw_aio['ratio']:.2f}; client CPU s "
            note += f"{aio['client_cpu_s']:.3f} vs {raw_aio['client_cpu_s']:.3f}"
            value = aio["seconds"] / raw_aio["seconds"]
            limit = TARGETS["fleet_aiohttp_vs_raw_aiohttp"]
            found.append(_target("fleet report c=32 AsyncFotaClient+aiohttp/raw aiohttp", value, limit, note))
    imports = results["import"]
    modules = imports["modules_ms"]
    note = f"thingspace_fota_generated/httpx: {modules['thingspace_fota_generated'] / modules['httpx']:.2f}"
    found.append(
        _target("import thingspace_fota/httpx", imports["thingspace_fota/httpx"], TARGETS["import_vs_httpx"], note)
    )
    return found


def _target(name: str, value: float, limit: float, note: str) -> dict[str, Any]:
    return {"name": name, "value": value, "limit": limit, "pass": value <= limit, "note": note}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    s = results["settings"]
    lines = [
        f"Machine: {m['cpu_model']}, {m['cores']} cores, {m['os']}; Python {m['python']}, httpx {m['httpx']}, "
        f"requests {m['requests']}, sdksio-verizon-apis-sdk {m['sdksio_verizon_apis_sdk']} "
        f"(apimatic-core {m['apimatic_core']}). Mode: {results['mode']}, run {results['date']}.",
        "",
        "Reproduce: `make bench` (or `.venv/bin/python bench/run.py`). Server: bench/server.py on 127.0.0.1, "
        "HTTP/1.1 keep-alive, its own process.",
        "",
        f"**Per call**: median over {s['batches']} batches of {s['calls_per_batch']} sequential calls, no added "
        "latency; client CPU is `time.process_time()` of the client process (µs per call). Ratios are the median "
        "of the ratios within each batch (the clients of a batch run back to back).",
        "",
    ]
    names = list(c.CLIENTS)
    for kind, title in (("cpu", "Client CPU µs/call"), ("wall", "Wall µs/call")):
        lines.append(
            _row(
                [
                    title,
                    *(c.CLIENT_LABELS[n] for n in names),
                    "Fota/raw",
                    "Fota/generated",
                    "Fota/Verizon",
                    "Async/raw async",
                    "Async+aiohttp/raw aiohttp",
                ]
            )
        )
        lines.append(_row(["---"] + ["---:"] * (len(names) + 5)))
        for op in c.OPERATIONS:
            row = results["per_call"][op]
            ratios = results["per_call_ratios"][op][kind]
            lines.append(
                _row(
                    [
                        c.OPERATION_LABELS[op],
                        *(f"{row[n][f'{kind}_us']:.0f}" for n in names),
                        f"{ratios['FotaClient/raw_httpx']:.2f}",
                        f"{ratios['FotaClient/generated']:.2f}",
                        f"{ratios['FotaClient/verizon_sdk']:.2f}",
                        f"{ratios['AsyncFotaClient/raw_httpx_async']:.2f}",
                        f"{ratios['AsyncFotaClient_aiohttp/raw_aiohttp']:.2f}",
                    ]
                )
            )
        lines.append("")
    lines += [
        f"**Fleet jobs**: {s['fleet_latency_s'] * 1000:.0f} ms added per request; limit = N x latency / concurrency; "
        "rounds floor = ceil(N / concurrency) x latency. Median of "
        f"{s['fleet_repeats']} runs (1 for runs of {LONG_RUN_SECONDS:.0f} s or more).",
        "",
        _row(
            [
                "Job",
                "Client",
                "Time s",
                "Limit s",
                "Time/limit",
                "Rounds floor s",
                "Time/floor",
                "Client CPU s",
                "Peak in flight",
            ]
        ),
        _row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ]
    for job, data in results["fleet"].items():
        label = (
            f"report {data['devices']:,} devices"
            if job == "report"
            else f"synchronize {data['devices']:,} devices ({data['requests']} chunks)"
        )
        for name, e in data["runs"].items():
            lines.append(
                _row(
                    [
                        label,
                        name.replace("verizon_sdk", "Verizon SDK"),
                        f"{e['seconds']:.3f}",
                        f"{e['limit_s']:.3f}",
                        f"{e['ratio']:.2f}",
                        f"{e['rounds_floor_s']:.3f}",
                        f"{e['ratio_to_rounds_floor']:.2f}",
                        f"{e['client_cpu_s']:.3f}",
                        str(e["max_in_flight"]),
                    ]
                )
            )
    imp = results["import"]
    lines += [
        "",
        f"**Import time** (fresh interpreter, median of {s['import_runs']}, minus `python -c pass` = "
        f"{imp['baseline_interpreter_ms']:.0f} ms):",
        "",
        _row(["Module", "ms"]),
        _row(["---", "---:"]),
        *(_row([f"`{name}`", f"{ms:.1f}"]) for name, ms in imp["modules_ms"].items()),
        "",
        f"**Peak memory** of synchronising {s['sync_devices']:,} devices (tracemalloc, fresh process, results kept):",
        "",
        _row(["Client", "Peak MiB (tracemalloc)", "Peak RSS MiB (whole process)"]),
        _row(["---", "---:", "---:"]),
        *(
            _row(
                [
                    name.replace("verizon_sdk", "Verizon SDK").replace("raw_httpx", "raw httpx"),
                    f"{v['peak_mib']:.2f}",
                    f"{v['peak_rss_mib']:.1f}",
                ]
            )
            for name, v in results["memory"].items()
        ),
        "",
        "**Targets**:",
        "",
        _row(["Target", "Value", "Limit", "", "Context"]),
        _row(["---", "---:", "---:", "---", "---"]),
        *(
            _row([t["name"], f"{t['value']:.2f}", f"<= {t['limit']:.2f}", "PASS" if t["pass"] else "MISS", t["note"]])
            for t in results["targets"]
        ),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="thingspace_fota benchmarks (see bench/README.md)")
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks that the benchmark runs")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"JSON output (default {DEFAULT_JSON})")
    parser.add_argument(
        "--markdown", type=Path, default=None, help=f"Markdown output (default: {DEFAULT_MARKDOWN} for a full run)"
    )
    parser.add_argument("--calls", type=int, default=None, help="calls per timed batch")
    parser.add_argument("--repeats", type=int, default=None, help="timed batches per client and operation")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per request in the fleet jobs")
    args = parser.parse_args(argv)
    settings = Settings(args.quick, args.calls, args.repeats, args.latency)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "settings": settings.as_dict(),
    }
    log("1/4 per call")
    results["per_call"], batches = per_call(settings)
    results["per_call_ratios"] = per_call_ratios(batches)
    results["per_call_batches"] = batches
    log("2/4 fleet jobs, 4/4 memory")
    results["fleet"], results["memory"] = fleet(settings)
    log("3/4 import time")
    results["import"] = import_times(settings)
    results["targets"] = targets(results)
    results["elapsed_s"] = time.perf_counter() - started
    text = markdown(results)
    text += rate_limited_section(results, args.quick)
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {args.json}")
    markdown_path = args.markdown or (None if args.quick else DEFAULT_MARKDOWN)
    if markdown_path is not None:
        markdown_path.write_text("# Benchmark results\n\n" + text)
        log(f"wrote {markdown_path}")
    log(f"done in {results['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
