"""The benchmark server: a small, fast HTTP/1.1 keep-alive server on 127.0.0.1 with canned FOTA v3 answers.

It runs in its own process (``running_server`` starts it with ``subprocess``) so that it never competes with the
measured client for the GIL. Each request is parsed, routed and answered from bodies shaped like the examples of
``openapi/fota-v3.yaml``; ``--latency`` delays every answer by that many seconds with a timer on the event loop,
so a slow answer never holds up other connections.

Paths (the same layout as ThingSpace, so that Verizon's SDK finds them from its own server table):

- ``GET  /api/fota/v3/firmware/{acc}?protocol=...``   the documented list example (one package)
- ``PUT  /api/fota/v3/firmware/{acc}/devices``        one device entry per id of ``deviceList``, in order
- ``PUT  /api/fota/v3/firmware/{acc}/async/{id}``     ``{accountName, requestId}``
- ``POST /api/ts/v1/oauth2/token``                   a client-credentials token (Basic auth required)
- ``POST /api/m2m/v1/session/login``                 a session token (Bearer auth required)
- ``GET  /__bench/stats`` and ``POST /__bench/reset``  request counts and the peak of requests in flight

The FOTA paths answer 401 unless both ``Authorization: Bearer ...`` and ``VZ-M2M-Token`` are sent, so every
client measured really does its auth work. The server stops by itself when its parent process goes away, after
``--max-seconds``, and on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

FOTA_PREFIX = "/api/fota/v3"
TOKEN_PATH = "/api/ts/v1/oauth2/token"
LOGIN_PATH = "/api/m2m/v1/session/login"
STATS_PATH = "/__bench/stats"
RESET_PATH = "/__bench/reset"
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024
START_TIMEOUT = 20.0
DEFAULT_MAX_SECONDS = 1800.0

# The documented example of the list operation (openapi/fota-v3.yaml, "documented").
FIRMWARE_PACKAGE = {
    "firmwareName": "VerizonSmartCommunities_LCO-277C4N_BG96MAR04A04M1G_BG96MAR04A04M1G_BETA0130B",
    "firmwareFrom": "BG96MAR04A04M1G",
    "firmwareTo": "BG96MAR04A04M1G_BETA0130B",
    "launchDate": "2012-04-23T18:25:43.511Z",
    "releaseNote": "",
    "model": "LCO-277C4N",
    "make": "Verizon Smart Communities",
    "protocol": "LWM2M",
}
LIST_BODY = json.dumps([FIRMWARE_PACKAGE]).encode()


def device_entry(device_id: str) -> dict[str, str]:
    """One element of ``deviceFirmwarVersionList``: the documented example, with the optional fields filled in."""
    return {
        "deviceId": device_id,
        "status": "FirmwareVersionUpdateSuccess",
        "firmwareVersion": "SR1.2.0.0-10657",
        "reason": "",
        "firmwareVersionUpdateTime": "2016-03-13T12:52:32.123Z",
    }


def _error(code: str, message: str) -> bytes:
    return json.dumps({"errorCode": code, "errorMessage": message}).encode()


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
_REASONS |= {411: "Length Required", 413: "Payload Too Large", 431: "Request Header Fields Too Large"}


class _State:
    """Counters shared by all connections (one event loop, so no locks)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.counts: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.report_counter = 0
        self.sync_cache: dict[bytes, bytes] = {}

    def stats(self) -> bytes:
        return json.dumps(
            {"requests": self.counts, "max_in_flight": self.max_in_flight, "latency_s": self.latency}
        ).encode()

    def reset(self) -> None:
        self.counts = {}
        self.max_in_flight = 0


class _Request:
    __slots__ = ("body", "headers", "method", "target")

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body


Answer = tuple[str, int, bytes]  # (route name for the counters, status, JSON body)


def _method_not_allowed(name: str, allowed: str) -> Answer:
    return name, 405, _error("MethodNotAllowed", f"use {allowed}")


def _stats(state: _State, req: _Request) -> Answer:
    return ("stats", 200, state.stats()) if req.method == "GET" else _method_not_allowed("stats", "GET")


def _reset(state: _State, req: _Request) -> Answer:
    if req.method != "POST":
        return _method_not_allowed("reset", "POST")
    state.reset()
    return "reset", 200, b"{}"


def _token(state: _State, req: _Request) -> Answer:
    if req.method != "POST":
        return _method_not_allowed("token", "POST")
    if not req.headers.get("authorization", "").startswith("Basic "):
        return "token", 401, _error("invalid_client", "client credentials are required")
    token = {"access_token": "bench-access-token", "token_type": "bearer", "expires_in": 3600, "scope": ""}
    return "token", 200, json.dumps(token).encode()


def _login(state: _State, req: _Request) -> Answer:
    if req.method != "POST":
        return _method_not_allowed("login", "POST")
    if not req.headers.get("authorization", "").startswith("Bearer "):
        return "login", 401, _error("UnAuthorized", "a bearer token is required")
    return "login", 200, b'{"sessionToken": "bench-session-token"}'


_EXACT_ROUTES = {STATS_PATH: _stats, RESET_PATH: _reset, TOKEN_PATH: _token, LOGIN_PATH: _login}
_FIRMWARE = FOTA_PREFIX + "/firmware/"


def _firmware(state: _State, req: _Request, path: str, query: str) -> Answer:
    if not req.headers.get("authorization", "").startswith("Bearer ") or not req.headers.get("vz-m2m-token"):
        return "unauthorized", 401, _error("UnAuthorized", "both the bearer token and VZ-M2M-Token are required")
    segments = [unquote(s) for s in path[len(_FIRMWARE) :].split("/")]
    if len(segments) == 1 and segments[0]:
        return _list(req, query) if req.method == "GET" else _method_not_allowed("list", "GET")
    if len(segments) == 2 and segments[1] == "devices":
        return (
            _synchronize(state, segments[0], req) if req.method == "PUT" else _method_not_allowed("synchronize", "PUT")
        )
    if len(segments) == 3 and segments[1] == "async" and segments[2]:
        return _report(state, segments[0]) if req.method == "PUT" else _method_not_allowed("report", "PUT")
    return "unknown", 404, _error("NotFound", "no such path")


def route(state: _State, req: _Request) -> Answer:
    """The answer to one request."""
    parts = urlsplit(req.target)
    handler = _EXACT_ROUTES.get(parts.path)
    if handler is not None:
        return handler(state, req)
    if parts.path.startswith(_FIRMWARE):
        return _firmware(state, req, parts.path, parts.query)
    return "unknown", 404, _error("NotFound", "no such path")


def _list(req: _Request, query: str) -> Answer:
    if not parse_qs(query).get("protocol"):
        return "list", 400, _error("MissingProtocol", "the protocol query parameter is required")
    return "list", 200, LIST_BODY


def _report(state: _State, account: str) -> Answer:
    state.report_counter += 1
    request_id = f"7a3c5e0e-31c3-4b1b-9a0f-{state.report_counter:012x}"
    return "report", 200, json.dumps({"accountName": account, "requestId": request_id}).encode()


def _synchronize(state: _State, account: str, req: _Request) -> Answer:
    key = account.encode() + b"\0" + req.body
    cached = state.sync_cache.get(key)
    if cached is not None:
        return "synchronize", 200, cached
    try:
        data = json.loads(req.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "synchronize", 400, _error("InvalidBody", "the body is not JSON")
    ids = data.get("deviceList") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return "synchronize", 400, _error("InvalidBody", "deviceList must be a non-empty array of strings")
    answer = json.dumps({"accountName": account, "deviceFirmwarVersionList": [device_entry(i) for i in ids]}).encode()
    if len(state.sync_cache) >= 4096:
        state.sync_cache.clear()
    state.sync_cache[key] = answer
    return "synchronize", 200, answer


class _Connection(asyncio.Protocol):
    """One keep-alive connection; requests on it are answered one at a time, in order."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.buffer = bytearray()
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def _next(self) -> None:
        parsed = self._parse()
        if parsed is None:
            return
        if isinstance(parsed, int):  # a malformed request: answer and close
            self._write(parsed, _error("BadRequest", "malformed request"), close=True)
            return
        state = self.state
        name, status, body = route(state, parsed)
        close = parsed.headers.get("connection", "").lower() == "close"
        if name in {"stats", "reset"} or state.latency <= 0:
            state.counts[name] = state.counts.get(name, 0) + 1
            self._write(status, body, close)
            return
        state.counts[name] = state.counts.get(name, 0) + 1
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        self.busy = True
        asyncio.get_running_loop().call_later(state.latency, self._delayed, status, body, close)

    def _delayed(self, status: int, body: bytes, close: bool) -> None:
        self.state.in_flight -= 1
        self.busy = False
        self._write(status, body, close)

    def _write(self, status: int, body: bytes, close: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n"
        )
        transport.write(head.encode() + body)
        if close:
            transport.close()
            return
        if self.buffer:
            self._next()

    def _parse(self) -> _Request | int | None:
        """The next complete request in the buffer, None when it is incomplete, or an error status."""
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return 431 if len(buffer) > MAX_HEADER_BYTES else None
        try:
            lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "transfer-encoding" in headers:
                return 411
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return 400
        if length < 0 or length > MAX_BODY_BYTES:
            return 413
        start = end + 4
        if len(buffer) < start + length:
            return None
        body = bytes(buffer[start : start + length])
        del buffer[: start + length]
        return _Request(method, target, headers, body)


async def serve(port: int, latency: float, max_seconds: float, parent_pid: int | None) -> None:
    """Serve on 127.0.0.1 until SIGTERM/SIGINT, the parent's exit, or ``max_seconds``."""
    loop = asyncio.get_running_loop()
    state = _State(latency)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await loop.create_server(lambda: _Connection(state), "127.0.0.1", port, backlog=512)
    actual_port = server.sockets[0].getsockname()[1]
    print(f"PORT {actual_port}", flush=True)
    deadline = time.monotonic() + max_seconds

    async def watchdog() -> None:
        while not stop.is_set():
            orphaned = parent_pid is not None and os.getppid() != parent_pid
            if orphaned or time.monotonic() > deadline:
                stop.set()
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    watcher = asyncio.create_task(watchdog())
    async with server:
        await stop.wait()
    watcher.cancel()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS, help="stop after this long")
    parser.add_argument("--parent-pid", type=int, default=None, help="stop when this parent process exits")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.latency, args.max_seconds, args.parent_pid))


@contextlib.contextmanager
def running_server(latency: float = 0.0, max_seconds: float = DEFAULT_MAX_SECONDS) -> Iterator[str]:
    """Start the server in a child process and yield its base URL (``http://127.0.0.1:PORT``); stop it on exit."""
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--latency",
            repr(latency),
            "--max-seconds",
            repr(max_seconds),
            "--parent-pid",
            str(os.getpid()),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        line = proc.stdout.readline().decode() if ready else ""
        if not line.startswith("PORT "):
            raise RuntimeError(f"the bench server did not start within {START_TIMEOUT} s (exit code {proc.poll()})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


if __name__ == "__main__":
    main()
