"""`make check-api` (scripts/check_api.py with griffe) against temporary copies of the package: it fails, naming
the change, on a renamed public method, a removed constructor keyword, a changed default and a parameter made
required; it passes an added public function and a renamed private helper; and the tree matches the baseline."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "overlay" / "thingspace_fota"
SCRIPT = ROOT / "scripts" / "check_api.py"


def check_api(search_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "check", "--search-path", str(search_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def edited_copy(tmp_path: Path, module: str, pattern: str, replacement: str, count: int = 0) -> Path:
    """A copy of the package in tmp_path with ``pattern`` replaced in ``module`` (the tree is never touched)."""
    shutil.copytree(PACKAGE, tmp_path / "thingspace_fota", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "thingspace_fota" / module
    text, replaced = re.subn(pattern, replacement, target.read_text(), count=count, flags=re.MULTILINE)
    assert replaced, f"{pattern!r} not found in {module}"
    target.write_text(text)
    return tmp_path


def test_the_tree_matches_the_baseline() -> None:
    run = check_api(ROOT / "overlay")
    assert run.returncode == 0, run.stderr


def test_a_renamed_public_method_fails(tmp_path: Path) -> None:
    copy = edited_copy(tmp_path, "_client.py", r"def report_device_firmware\(", "def report_firmware(")
    run = check_api(copy)
    assert run.returncode == 1
    assert "FotaClient.report_device_firmware: Public object was removed" in run.stderr
    assert "AsyncFotaClient.report_device_firmware: Public object was removed" in run.stderr


def test_a_removed_constructor_keyword_fails(tmp_path: Path) -> None:
    copy = edited_copy(tmp_path, "_client.py", r"^        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,\n", "", 1)
    run = check_api(copy)
    assert run.returncode == 1
    assert "FotaClient.__init__(max_retry_wait): Parameter was removed" in run.stderr
    assert "AsyncFotaClient" not in run.stderr  # only the sync constructor lost it


def test_a_changed_default_and_a_parameter_made_required_fail(tmp_path: Path) -> None:
    copy = edited_copy(tmp_path, "_client.py", r"batch_size: int = MAX_BATCH_SIZE,", "batch_size: int = 50,", 1)
    run = check_api(copy)
    assert run.returncode == 1
    assert "synchronize_device_firmware(batch_size): Parameter default was changed: MAX_BATCH_SIZE -> 50" in run.stderr

    copy = edited_copy(
        tmp_path / "2", "_client.py", r"protocol: Protocol \| str = Protocol.ALL,", "protocol: Protocol | str,", 1
    )
    run = check_api(copy)
    assert run.returncode == 1
    assert "list_available_firmware(protocol): Parameter is now required" in run.stderr


def test_a_new_public_function_passes(tmp_path: Path) -> None:
    copy = edited_copy(
        tmp_path,
        "__init__.py",
        r"^_setup_logging\(\)$",
        '_setup_logging()\n\n\ndef hello() -> str:\n    """New."""\n    return "hi"',
    )
    text = (copy / "thingspace_fota" / "__init__.py").read_text()
    (copy / "thingspace_fota" / "__init__.py").write_text(
        text.replace('    "__version__",\n', '    "__version__",\n    "hello",\n')
    )
    run = check_api(copy)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    ("module", "pattern", "replacement"),
    [
        ("_client.py", r"_check_http_client", "_check_http"),  # a private helper of a public class's module
        ("_batching.py", r"def run_each\(", "def run_all("),  # a module no public name comes from
    ],
)
def test_private_renames_pass(tmp_path: Path, module: str, pattern: str, replacement: str) -> None:
    run = check_api(edited_copy(tmp_path, module, pattern, replacement))
    assert run.returncode == 0, run.stderr
