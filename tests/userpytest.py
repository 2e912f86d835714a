"""Run pytest the way a user's project does: test files in a temporary directory outside this repository,
the installed package (the editable install in .venv registers the ``pytest11`` entry point), a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_user_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in ``directory`` with this interpreter's environment, plugins auto-loaded, no repository config."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
        and not k.startswith("THINGSPACE_")
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(directory), *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
