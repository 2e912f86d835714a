"""The scripts in examples/ run as a user would run them (subprocesses configured by environment variables),
against Prism running the FOTA spec; the example test file runs with pytest in a user's project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from userpytest import run_user_pytest

ROOT = Path(__file__).resolve().parent.parent
ACC = "0000123456-00001"
DEVICES = ["990013907835573", "990013907884259"]
ACCESS = "example-ACCESS-4d1c9e"
M2M = "example-M2M-a07f3b"
REQUEST_ID = "7a3c5e0e-31c3-4b1b-9a0f-2b6a2d3c9e11"  # the spec's example


def run_example(name: str, base_url: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINGSPACE_")}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT / "overlay"), str(ROOT / "generated")]),
            "THINGSPACE_ACCESS_TOKEN": ACCESS,
            "THINGSPACE_M2M_TOKEN": M2M,
            "THINGSPACE_FOTA_BASE_URL": base_url,
            **extra_env,
        }
    )
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    for secret in (ACCESS, M2M):
        assert secret not in proc.stdout + proc.stderr
    return proc


def test_sync_example(prism_url: str) -> None:
    proc = run_example("sync_example.py", prism_url, ACC, *DEVICES)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == [
        "package BG96MAR04A04M1G -> BG96MAR04A04M1G_BETA0130B (Verizon Smart Communities LCO-277C4N)",
        f"device {DEVICES[0]} runs SR1.2.0.0-10657 (FirmwareVersionUpdateSuccess)",
        f"device {DEVICES[1]} runs SR1.2.0.0-10657 (FirmwareVersionUpdateSuccess)",
        f"report of {DEVICES[0]} requested: {REQUEST_ID}",
    ]


def test_async_example(prism_url: str) -> None:
    proc = run_example("async_example.py", prism_url, ACC, *DEVICES)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == [
        *(f"device {d}: report requested, request id {REQUEST_ID}" for d in DEVICES),
        f"synchronized 2 device(s) of account {ACC}",
    ]


def test_examples_stop_with_a_clean_message_when_misconfigured(prism_url: str) -> None:
    # No session token: the examples stop with the library's message, not a traceback.
    for name in ("sync_example.py", "async_example.py"):
        proc = run_example(name, prism_url, ACC, DEVICES[0], THINGSPACE_M2M_TOKEN="")
        assert proc.returncode == 1
        assert proc.stderr.startswith("InvalidInputError: environment: THINGSPACE_M2M_TOKEN")
        assert "Traceback" not in proc.stderr


def test_the_pytest_example_passes_in_a_users_project(tmp_path: Path) -> None:
    # Copied out of the repository: the fixtures come from the installed package's pytest11 entry point alone.
    shutil.copy(ROOT / "examples" / "test_fleet_with_fake.py", tmp_path)
    proc = run_user_pytest(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout
