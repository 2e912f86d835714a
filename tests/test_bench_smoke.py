"""The benchmark cannot rot: `bench/run.py --quick` runs end to end, and its server answers and stops as documented.

Speed targets are printed by the benchmark, never asserted here: these tests check that every measurement is
made and recorded, not how fast anything is.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SERVER = BENCH / "server.py"

OPERATIONS = {"list", "synchronize", "synchronize_100", "report"}
CLIENTS = {
    "raw_httpx",
    "generated",
    "FotaClient",
    "raw_httpx_async",
    "AsyncFotaClient",
    "raw_aiohttp",
    "AsyncFotaClient_aiohttp",
    "verizon_sdk",
}
FLEET_RUNS = {
    "AsyncFotaClient c=1",
    "AsyncFotaClient c=8",
    "AsyncFotaClient c=32",
    "raw httpx async c=32",
    "raw aiohttp c=32",
    "AsyncFotaClient + aiohttp c=32",
    "Verizon SDK sequential",
}
MEMORY = {"raw_httpx", "FotaClient", "AsyncFotaClient c=8", "AsyncFotaClient c=32", "verizon_sdk"}
IMPORTS = {"httpx", "thingspace_fota", "thingspace_fota_generated", "verizon.verizon_client"}


def positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def server_processes() -> list[int]:
    """Pids of running bench servers of this checkout."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(SERVER).encode() in cmdline:
            found.append(int(entry.name))
    return found


def gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return True
        if state == "Z":  # exited, not yet reaped by its parent
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    try:
        import verizon  # noqa: F401
    except ImportError:
        pytest.fail("Verizon's SDK is not installed: make setup (it installs the bench dependency group)")
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    markdown = BENCH / "RESULTS.md"
    before = markdown.read_bytes() if markdown.exists() else None
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    after = markdown.read_bytes() if markdown.exists() else None
    assert after == before, "a quick run must not overwrite the committed bench/RESULTS.md"
    return json.loads(out.read_text()), done.stdout


@pytest.mark.timeout(300)
def test_quick_run_records_every_measurement(quick_run: tuple[dict[str, Any], str]) -> None:
    results, stdout = quick_run
    assert results["mode"] == "quick"
    assert set(results["machine"]) >= {"cpu_model", "cores", "python", "httpx", "sdksio_verizon_apis_sdk"}
    assert results["machine"]["sdksio_verizon_apis_sdk"] == "2.0.0"

    assert set(results["per_call"]) == OPERATIONS
    for op, by_client in results["per_call"].items():
        assert set(by_client) == CLIENTS, op
        for client, numbers in by_client.items():
            assert positive(numbers["wall_us"]) and positive(numbers["cpu_us"]), (op, client, numbers)
        ratios = results["per_call_ratios"][op]
        for kind in ("cpu", "wall"):
            assert set(ratios[kind]) >= {"FotaClient/raw_httpx", "FotaClient/generated", "FotaClient/verizon_sdk"}
            assert all(positive(v) for v in ratios[kind].values()), (op, kind)
        batches = results["per_call_batches"][op]
        assert all(len(batches[client]) == results["settings"]["batches"] for client in CLIENTS)
        pairs = zip(batches["FotaClient"], batches["raw_httpx"], strict=True)
        paired = [f["cpu_us"] / r["cpu_us"] for f, r in pairs]
        assert ratios["cpu"]["FotaClient/raw_httpx"] == pytest.approx(statistics.median(paired))
        assert by_client["FotaClient"]["cpu_us"] == pytest.approx(
            statistics.median(b["cpu_us"] for b in batches["FotaClient"])
        )

    settings = results["settings"]
    for job, devices, requests in (
        ("report", settings["report_devices"], settings["report_devices"]),
        ("synchronize", settings["sync_devices"], math.ceil(settings["sync_devices"] / 100)),
    ):
        fleet = results["fleet"][job]
        assert (fleet["devices"], fleet["requests"]) == (devices, requests)
        assert set(fleet["runs"]) == FLEET_RUNS, job
        for name, run in fleet["runs"].items():
            for key in ("seconds", "client_cpu_s", "limit_s", "ratio", "rounds_floor_s", "ratio_to_rounds_floor"):
                assert positive(run[key]), (job, name, key)
            concurrency = run["concurrency"]
            assert run["limit_s"] == pytest.approx(requests * settings["fleet_latency_s"] / concurrency)
            assert run["ratio"] == pytest.approx(run["seconds"] / run["limit_s"])
            # The server counted the requests in flight: never above the concurrency asked for.
            assert 1 <= run["max_in_flight"] <= concurrency, (job, name, run)
            # A job cannot beat whole rounds of simulated latency (1 % slack for timer granularity).
            assert run["seconds"] >= 0.99 * run["rounds_floor_s"], (job, name, run)

    imports = results["import"]
    assert set(imports["modules_ms"]) == IMPORTS
    assert all(positive(ms) for ms in imports["modules_ms"].values())
    assert positive(imports["baseline_interpreter_ms"]) and positive(imports["thingspace_fota/httpx"])

    assert set(results["memory"]) == MEMORY
    for name, numbers in results["memory"].items():
        assert numbers["devices"] == settings["sync_devices"], name
        assert positive(numbers["peak_mib"]) and positive(numbers["peak_rss_mib"]), name

    names = [t["name"] for t in results["targets"]]
    assert len(names) == 2 * len(OPERATIONS) + 4
    assert all(isinstance(t["pass"], bool) and positive(t["value"]) for t in results["targets"])
    for heading in ("Client CPU µs/call", "Fleet jobs", "Import time", "Peak memory", "Targets"):
        assert heading in stdout


@pytest.mark.timeout(300)
def test_quick_run_leaves_no_server_running(quick_run: tuple[dict[str, Any], str]) -> None:
    assert server_processes() == []


def test_server_answers_like_the_spec_and_requires_both_tokens() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from server import running_server
    finally:
        sys.path.remove(str(BENCH))
    auth = {"Authorization": "Bearer t", "VZ-M2M-Token": "s"}
    with running_server() as url, httpx.Client(base_url=url + "/api/fota/v3", timeout=10) as http:
        listed = http.get("/firmware/0000123456-00001", params={"protocol": "LWM2M"}, headers=auth)
        assert listed.status_code == 200 and listed.json()[0]["protocol"] == "LWM2M"
        assert http.get("/firmware/0000123456-00001", headers=auth).status_code == 400  # protocol is required
        ids = ["990013907835573", "990013907884259", "3"]
        synced = http.put("/firmware/acc%2F1/devices", json={"deviceList": ids}, headers=auth)
        assert synced.status_code == 200
        body = synced.json()
        assert body["accountName"] == "acc/1"
        assert [d["deviceId"] for d in body["deviceFirmwarVersionList"]] == ids
        reported = http.put("/firmware/acc/async/990013907835573", headers=auth)
        assert reported.status_code == 200 and reported.json()["accountName"] == "acc"
        assert http.put("/firmware/acc/async/1", headers={"Authorization": "Bearer t"}).status_code == 401
        assert http.put("/firmware/acc/async/1", headers={"VZ-M2M-Token": "s"}).status_code == 401
        assert http.get("/firmware/acc/async/1", headers=auth).status_code == 405
        token = http.post(url + "/api/ts/v1/oauth2/token", auth=("id", "secret"), data={"grant_type": "x"})
        assert token.status_code == 200 and token.json()["expires_in"] == 3600
        stats = http.get(url + "/__bench/stats").json()
        assert stats["requests"]["list"] == 2 and stats["requests"]["unauthorized"] == 2


def test_server_stops_by_itself_when_orphaned() -> None:
    # A parent that starts the server and exits at once without stopping it: the server must notice and exit.
    parent = (
        "import os, subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, {str(SERVER)!r}, '--parent-pid', str(os.getpid())],"
        " stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
        "print(p.pid, p.stdout.readline().decode().strip(), flush=True)\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, timeout=30, check=True)
    pid_text, ready, _port = done.stdout.split()
    assert ready == "PORT"
    assert gone(int(pid_text), within=15), "the orphaned bench server is still running"


def test_server_stops_by_itself_after_max_seconds() -> None:
    proc = subprocess.Popen([sys.executable, str(SERVER), "--max-seconds", "0.5"], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith(b"PORT ")
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
