"""Helpers of the auth tests (no test here): a fake ThingSpace on 127.0.0.1 and sync/async client drivers.

The fake serves the OAuth token endpoint, the M2M session login and the three FOTA v3 calls on one port, with the
rules of the real service: HTTP Basic client credentials, a login that needs a valid bearer token, FOTA calls that
need a valid bearer token and a valid session. Tests change its state (expire sessions, revoke tokens, lock the
contact, script answers) and count what it received. Every issued token is distinctive, so that tests can search
logs and error texts for it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from thingspace_fota import AsyncFotaClient, FirmwareReportRequest, FotaClient

CLIENT_ID = "app-client-4d1e"
CLIENT_SECRET = "cs-SECRET-7f3a91e2"
USERNAME = "fota-user"
PASSWORD = "pw-SECRET-c0ffee42"
ACC = "0000123456-00001"
DEVICE = "990013907835573"
TOKEN_PATH = "/ts/v1/oauth2/token"
LOGIN_PATH = "/m2m/v1/session/login"
FOTA_PREFIX = "/fota/v3"


@dataclass(frozen=True)
class Seen:
    """One request the fake received, and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int

    @property
    def kind(self) -> str:
        if self.path == TOKEN_PATH:
            return "token"
        if self.path == LOGIN_PATH:
            return "login"
        return "fota" if self.path.startswith(FOTA_PREFIX) else "other"


class FakeThingSpace:
    """The fake service; a context manager that runs a threading HTTP server on a free loopback port."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.expires_in: Any = 3600  # None: the token answer has no expires_in
        self.token_delay = 0.0
        self.login_delay = 0.0
        self.client_secret = CLIENT_SECRET
        self.password = PASSWORD
        self.locked = False
        self.failed_logins = 0
        self.valid_access: set[str] = set()
        self.valid_sessions: set[str] = set()
        self.issued: list[str] = []
        self.scripts: dict[str, deque[tuple[int, Any]]] = {"token": deque(), "login": deque(), "fota": deque()}
        self._numbers = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._handle(self)

            def do_PUT(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self._server.daemon_threads = True
        self._server.request_queue_size = 256
        self._server.server_bind()
        self._server.server_activate()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-thingspace", daemon=True)

    # -- lifecycle and inspection ----------------------------------------------------------------------------------

    def __enter__(self) -> FakeThingSpace:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def fota_url(self) -> str:
        return self.url + FOTA_PREFIX

    def requests(self, kind: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.kind == kind]

    def count(self, kind: str) -> int:
        return len(self.requests(kind))

    def secrets(self) -> list[str]:
        """Every value that must never be shown: the client secret, the password and every issued token."""
        with self.lock:
            return [CLIENT_SECRET, PASSWORD, *self.issued]

    def script(self, kind: str, *answers: tuple[int, Any]) -> None:
        """Answer the next requests of ``kind`` with these (status, JSON body) pairs, before any rule."""
        with self.lock:
            self.scripts[kind].extend(answers)

    def expire_sessions(self) -> None:
        with self.lock:
            self.valid_sessions.clear()

    def revoke_access_tokens(self) -> None:
        with self.lock:
            self.valid_access.clear()

    # -- the service ---------------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        path = handler.path.split("?", 1)[0]
        probe = Seen(handler.command, path, headers, body, 0)
        delay = {"token": self.token_delay, "login": self.login_delay}.get(probe.kind, 0.0)
        if delay:
            time.sleep(delay)
        with self.lock:
            status, answer = self._answer(probe)
            self.seen.append(Seen(handler.command, path, headers, body, status))
        payload = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(self, request: Seen) -> tuple[int, Any]:
        script = self.scripts.get(request.kind)
        if script:
            return script.popleft()
        if request.kind == "token":
            return self._token(request)
        if request.kind == "login":
            return self._login(request)
        if request.kind == "fota":
            return self._fota(request)
        return 404, {"errorCode": "NotFound", "errorMessage": "no such path"}

    def _issue(self, prefix: str) -> str:
        token = f"{prefix}-TOKEN-{next(self._numbers):04d}-{time.monotonic_ns() % 1_000_000:06d}"
        self.issued.append(token)
        return token

    def _token(self, request: Seen) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{self.client_secret}".encode()).decode()
        if request.method != "POST" or request.headers.get("authorization") != expected:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed."}
        form = parse_qs(request.body.decode())
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded") or form.get(
            "grant_type"
        ) != ["client_credentials"]:
            return 400, {"error": "invalid_request", "error_description": "grant_type must be client_credentials."}
        token = self._issue("at")
        self.valid_access.add(token)
        answer: dict[str, Any] = {"access_token": token, "token_type": "bearer", "scope": "fota:read"}
        if self.expires_in is not None:
            answer["expires_in"] = self.expires_in
        return 200, answer

    def _bearer(self, request: Seen) -> str | None:
        value = request.headers.get("authorization", "")
        return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None

    def _login(self, request: Seen) -> tuple[int, Any]:
        if self._bearer(request) not in self.valid_access:
            return 401, {"errorCode": "UnAuthorized", "errorMessage": "Invalid or expired access token."}
        if self.locked:
            return 403, {"errorCode": "UnifiedWebService.Contact.Locked", "errorMessage": "The contact is locked."}
        try:
            credentials = json.loads(request.body)
        except ValueError:
            credentials = None
        if credentials != {"username": USERNAME, "password": self.password}:
            self.failed_logins += 1
            self.locked = self.failed_logins >= 5
            return 400, {"errorCode": "UnifiedWebService.Input.Invalid", "errorMessage": "Invalid user or password."}
        session = self._issue("st")
        self.valid_sessions.add(session)
        return 200, {"sessionToken": session}

    def _fota(self, request: Seen) -> tuple[int, Any]:
        if self._bearer(request) not in self.valid_access or request.headers.get("vz-m2m-token") not in (
            self.valid_sessions
        ):
            return 401, {"errorCode": "UnAuthorized", "errorMessage": "Invalid or expired token."}
        parts = request.path.removeprefix(FOTA_PREFIX).strip("/").split("/")
        if request.method == "PUT" and len(parts) == 4 and parts[2] == "async":
            return 200, {"accountName": parts[1], "requestId": f"req-{len(self.seen)}"}
        if request.method == "PUT" and len(parts) == 3 and parts[2] == "devices":
            devices = json.loads(request.body)["deviceList"]
            versions = [{"deviceId": d, "firmwareVersion": "SR1.2.0.0-10657"} for d in devices]
            return 200, {"accountName": parts[1], "deviceFirmwarVersionList": versions}
        if request.method == "GET" and len(parts) == 2:
            return 200, []
        return 404, {"errorCode": "NotFound", "errorMessage": "no such operation"}


def credentials(server: FakeThingSpace, **overrides: Any) -> dict[str, Any]:
    """Constructor arguments of a client that authenticates with credentials against the fake."""
    return {
        "base_url": server.fota_url,
        "auth_base_url": server.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
        **overrides,
    }


class SyncDriver:
    """A FotaClient and ways to call it once or from many threads at the same moment."""

    kind = "sync"

    def __init__(self, **kwargs: Any) -> None:
        self.client = FotaClient(**kwargs)

    def call(self) -> FirmwareReportRequest:
        return self.client.report_device_firmware(ACC, DEVICE)

    def outcome(self) -> object:
        """The result, or the exception the call raised."""
        try:
            return self.call()
        except Exception as exc:
            return exc

    def many(self, n: int) -> list[object]:
        """``n`` calls started together from ``n`` threads: each result or exception."""
        barrier = threading.Barrier(n)

        def one() -> object:
            barrier.wait(timeout=30)
            return self.outcome()

        with ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(lambda _: one(), range(n)))

    def close(self) -> None:
        self.client.close()


class AsyncDriver:
    """An AsyncFotaClient on one event loop that lives as long as the driver, with the same methods."""

    kind = "async"

    def __init__(self, **kwargs: Any) -> None:
        self.runner = asyncio.Runner()
        self.client = AsyncFotaClient(**kwargs)

    def _run(self, coroutine: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        return self.runner.run(asyncio.wait_for(coroutine(), timeout=60))

    def call(self) -> FirmwareReportRequest:
        result: FirmwareReportRequest = self._run(lambda: self.client.report_device_firmware(ACC, DEVICE))
        return result

    def outcome(self) -> object:
        try:
            return self.call()
        except Exception as exc:
            return exc

    def many(self, n: int) -> list[object]:
        async def all_of() -> list[object]:
            calls = (self.client.report_device_firmware(ACC, DEVICE) for _ in range(n))
            return list(await asyncio.gather(*calls, return_exceptions=True))

        outcomes: list[object] = self._run(all_of)
        return outcomes

    def close(self) -> None:
        try:
            self.runner.run(self.client.aclose())
        finally:
            self.runner.close()


Driver = SyncDriver | AsyncDriver


@contextlib.contextmanager
def open_driver(kind: str, **kwargs: Any) -> Iterator[Driver]:
    """A driver of ``kind`` ("sync" or "async"), closed on exit."""
    made: Driver = SyncDriver(**kwargs) if kind == "sync" else AsyncDriver(**kwargs)
    try:
        yield made
    finally:
        made.close()
