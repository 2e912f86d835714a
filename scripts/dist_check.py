"""Install a built wheel alone in a fresh venv outside the clone and run its CLI against a Prism mock.

Usage: ``.venv/bin/python scripts/dist_check.py dist/thingspace_fota-X-py3-none-any.whl`` (``make dist-check``
builds the wheel and runs this). What a user gets from ``pip install thingspace-fota``, nothing from the clone:
the venv is made by the base interpreter in a temporary folder, only the wheel (and its dependencies, resolved
from the index as for a user) is installed in it, and every command runs there. Prism comes from the clone's
``node_modules`` on a free loopback port and is stopped (its whole process group) before this script returns.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mockserver import ROOT, running_prism

ACCOUNT = "0000123456-00001"
UV = Path(sys.executable).parent / "uv"
# The interpreter the user would have: the base one behind this venv (or $PYTHON, as the Makefile gives it).
PYTHON = os.environ.get("PYTHON") or getattr(sys, "_base_executable", sys.executable)


def _step(text: str) -> None:
    print(f"dist-check: {text}", flush=True)


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.exit(f"dist-check: {' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].endswith(".whl"):
        sys.exit("usage: dist_check.py WHEEL")
    wheel = Path(argv[0]).resolve()
    work = Path(tempfile.mkdtemp(prefix="thingspace-fota-dist-"))
    try:
        venv = work / "venv"
        _step(f"fresh venv in {venv} ({PYTHON}), outside the clone")
        _run([PYTHON, "-m", "venv", "--without-pip", str(venv)], cwd=work)
        _step(f"installing only {wheel.name} (dependencies from the index, as a user gets them)")
        _run([str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)], cwd=work)
        # No variable of the clone's environment reaches the installed CLI: no PYTHONPATH, no THINGSPACE_* settings.
        env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8"}
        probe = (
            "import importlib.metadata as m, json, thingspace_fota as t; "
            "print(json.dumps([t.__file__, t.__version__, m.version('thingspace-fota'), "
            "[str(f) for f in m.files('thingspace-fota') if 'licenses' in str(f)]]))"
        )
        where, version, metadata_version, licenses = json.loads(
            _run([str(venv / "bin" / "python"), "-c", probe], cwd=work, env=env)
        )
        if not Path(where).is_relative_to(venv) or Path(where).is_relative_to(ROOT):
            sys.exit(f"dist-check: thingspace_fota was imported from {where}, not from the fresh venv")
        if version != metadata_version:
            sys.exit(f"dist-check: __version__ {version} != installed metadata {metadata_version}")
        if not any(name.endswith("/LICENSE") for name in licenses):
            sys.exit(f"dist-check: the wheel installed no LICENSE (dist-info licenses: {licenses})")
        cli_version = _run([str(venv / "bin" / "thingspace-fota"), "--version"], cwd=work, env=env).split()
        if cli_version != ["thingspace-fota", version]:
            sys.exit(f"dist-check: thingspace-fota --version printed {cli_version}, expected version {version}")
        _step(f"thingspace_fota {version} imported from {Path(where).relative_to(work)}, LICENSE installed")
        with running_prism() as base_url:
            _step(f"Prism mock of openapi/fota-v3.yaml at {base_url}")
            tokens = {"THINGSPACE_ACCESS_TOKEN": "static-oauth-token", "THINGSPACE_M2M_TOKEN": "static-m2m-token"}
            cli_env = {**env, **tokens}
            command = ["thingspace-fota", "list", ACCOUNT, "--base-url", base_url, "--json"]
            _step("$ " + " ".join(command))
            output = _run([str(venv / "bin" / "thingspace-fota"), *command[1:]], cwd=work, env=cli_env)
            print(output.rstrip(), flush=True)
            packages = json.loads(output).get("packages")
            if not isinstance(packages, list) or not packages or "firmware_name" not in packages[0]:
                sys.exit(f"dist-check: unexpected output of the installed CLI: {output!r}")
        _step(f"the installed CLI listed {len(packages)} firmware package(s) from the mock; Prism stopped")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
