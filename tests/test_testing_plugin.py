"""The pytest plugin of thingspace_fota.testing, loaded as in a user's project: an installed package, a test file
in a temporary directory outside the repository, pytest in a subprocess."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

from userpytest import run_user_pytest

import thingspace_fota

USER_TESTS = """
import asyncio

import pytest

from thingspace_fota import AsyncFotaClient, FotaClient, NotFoundError, RateLimitError
from thingspace_fota.testing import FakeFota

ACC = "0000123456-00001"


def test_fixtures_are_wired(fota_fake, fota_client):
    assert isinstance(fota_fake, FakeFota) and isinstance(fota_client, FotaClient)
    fota_fake.add_account(ACC)
    fota_fake.add_device(ACC, "990013907835573", firmware_version="1.0")
    [device] = fota_client.synchronize_device_firmware(ACC, ["990013907835573"]).devices
    assert device.firmware_version == "1.0"
    assert [r.operation for r in fota_fake.requests] == ["synchronize_device_firmware"]


def test_each_test_gets_a_fresh_fake(fota_fake, fota_client):
    assert fota_fake.requests == []
    with pytest.raises(NotFoundError):
        fota_client.list_available_firmware(ACC)


def test_faults_reach_the_client(fota_fake, fota_client):
    fota_fake.add_account(ACC)
    fota_fake.fail_next(429, times=3, retry_after=0)
    with pytest.raises(RateLimitError):
        fota_client.list_available_firmware(ACC)
    assert len(fota_fake.requests) == 3


def test_the_async_client_is_returned_unopened(fota_fake, async_fota_client):
    assert isinstance(async_fota_client, AsyncFotaClient)
    fota_fake.add_account(ACC)
    fota_fake.add_device(ACC, "990013907835573", firmware_version="1.0")

    async def main():
        async with async_fota_client as fota:
            return await fota.report_device_firmware(ACC, "990013907835573")

    assert asyncio.run(main()).account_name == ACC


def test_a_failing_assertion_on_headers_leaks_no_token(fota_fake, fota_client):
    fota_fake.add_account(ACC)
    fota_client.list_available_firmware(ACC)
    assert fota_fake.requests[0].headers == {"accept": "application/json"}
"""


def _write(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "user-project"
    project.mkdir()
    (project / "test_fleet.py").write_text(textwrap.dedent(source))
    return project


def test_the_entry_point_is_registered() -> None:
    [entry] = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "thingspace_fota"]
    assert entry.value == "thingspace_fota.testing.pytest_plugin"
    assert entry.load().fota_fake is not None


def test_the_plugin_loads_by_itself_in_a_users_project(tmp_path: Path) -> None:
    project = _write(tmp_path, USER_TESTS)
    assert not project.resolve().is_relative_to(Path(thingspace_fota.__file__).resolve().parents[2])
    proc = run_user_pytest(project, "-vv")  # -vv: pytest's fullest explanation of the failed assertion
    assert "1 failed, 4 passed" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 1
    # The deliberate failure prints the recorded headers, masked.
    assert "test_a_failing_assertion_on_headers_leaks_no_token" in proc.stdout
    assert "'vz-m2m-token': '[redacted]'" in proc.stdout
    assert "fake-access-token" not in proc.stdout and "fake-m2m-session-token" not in proc.stdout


def test_the_fixtures_are_listed_and_can_be_turned_off(tmp_path: Path) -> None:
    project = _write(tmp_path, "def test_uses(fota_client):\n    assert fota_client\n")
    listed = run_user_pytest(project, "--fixtures")
    for name in ("fota_fake", "fota_client", "async_fota_client"):
        assert name in listed.stdout
    off = run_user_pytest(project, "-p", "no:thingspace_fota")
    assert off.returncode == 1
    assert "fixture 'fota_client' not found" in off.stdout


PAGE = Path(__file__).resolve().parent.parent / "docs" / "testing-your-code.md"


def _documented_code(start: str, end: str) -> str:
    page = PAGE.read_text()
    section = page[page.index(start) : page.index(end)]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_documented_example_without_pytest_runs(tmp_path: Path) -> None:
    code = _documented_code("## Without pytest", "## What a `FakeFota` offers")
    script = tmp_path / "example.py"
    script.write_text(code + "\nprint([r.operation for r in fake.requests])\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    # The 429 it injects is retried: two synchronize requests reached the fake.
    assert done.stdout.strip() == str(["synchronize_device_firmware"] * 2)


def test_the_documented_example_passes(tmp_path: Path) -> None:
    code = _documented_code("## The pytest fixtures", "## Without pytest")
    project = _write(tmp_path, code)
    proc = run_user_pytest(project)
    assert "1 passed" in proc.stdout, proc.stdout + proc.stderr
