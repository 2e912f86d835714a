"""`make check-generated` semantics: it passes on the committed tree and fails, with a readable diff, after a
one-word change to the spec. Runs the real scripts on a copy of the repository's generation inputs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    for folder in ("openapi", "scripts", "generated"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return tmp_path


def check(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "scripts/check-generated.sh"], cwd=repo, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.timeout(240)
def test_check_generated_passes_then_fails_after_a_one_word_spec_change(repo_copy: Path) -> None:
    clean = check(repo_copy)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "up to date" in clean.stdout

    spec = repo_copy / "openapi" / "fota-v3.yaml"
    text = spec.read_text()
    assert "description: The system-assigned identifier of the request." in text
    spec.write_text(text.replace("The system-assigned identifier", "The server-assigned identifier"))
    stale = check(repo_copy)
    assert stale.returncode == 1
    assert "server-assigned identifier" in stale.stdout
    assert "device_firmware_version_update_result.py" in stale.stdout
    assert "make generate" in stale.stderr


def test_generated_package_has_every_operation() -> None:
    api = ROOT / "generated" / "thingspace_fota_generated" / "api" / "firmware"
    assert sorted(p.name for p in api.glob("*.py") if p.name != "__init__.py") == [
        "list_available_firmware.py",
        "report_device_firmware.py",
        "synchronize_device_firmware.py",
    ]
