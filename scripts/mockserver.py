"""Start and stop Prism mock servers for the tests, the demo and `make mock`.

Prism is run as ``node_modules/.bin/prism`` (never through ``npx``, whose ``npm exec`` parent leaves the node
server orphaned when signalled) in a new session, so that stopping it kills the whole process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "node_modules" / ".bin" / "prism"
FOTA_SPEC = ROOT / "openapi" / "fota-v3.yaml"
AUTH_SPEC = ROOT / "openapi" / "thingspace-auth.yaml"
START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def running_prism(spec: Path = FOTA_SPEC, port: int | None = None) -> Iterator[str]:
    """Run ``prism mock SPEC`` on loopback and yield its base URL; stop its process group on exit."""
    if not PRISM.exists():
        raise RuntimeError(f"{PRISM} is missing: run `make setup` (npm ci) first")
    port = port or free_port()
    log = tempfile.NamedTemporaryFile(prefix="prism-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [str(PRISM), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port):
            if proc.poll() is not None:
                raise RuntimeError(f"Prism exited with {proc.returncode}: {Path(log.name).read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Prism did not listen on port {port} within {START_TIMEOUT} s")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
        os.unlink(log.name)
