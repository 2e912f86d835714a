"""A scriptable HTTP/1.1 server on 127.0.0.1 for the reliability tests (not Prism, and no patched client code).

The server is an asyncio server on its own event loop in a background thread, so one implementation serves the
sync and the async client alike and holds 64 concurrent keep-alive connections without a thread each.

What it does with each request, in this order of precedence:

1. ``server.handler(request)`` when a handler is set and returns an action;
2. the next action queued with ``server.script(...)``;
3. the default: a well-formed FOTA v3 answer for the three operations (404 for anything else).

Actions: :class:`Reply` (status, headers, body, an optional delay), :class:`Trickle` (an answer sent a few bytes at
a time, each within the read timeout), :class:`Reset` (headers and part of the body, then a TCP reset),
:class:`Stall` (read the request, answer nothing for N seconds, then close) and :class:`Drop` (close without any
answer). Every request is recorded (method, target, headers, body, connection number) and the server counts the
connections open at once. ``stop()`` cancels stalled handlers, so a test never waits for a stall to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import httpx

from thingspace_fota import AsyncFotaClient, DefaultAioHttpClient, FotaClient

ACCESS_TOKEN = "acc-TOKEN-5e1f9c0d2b7a"  # distinctive values: tests search logs and errors for them
M2M_TOKEN = "m2m-TOKEN-83ab47d6e210"
TOKENS = (ACCESS_TOKEN, M2M_TOKEN)
ACC = "0000123456-00001"
FIRMWARE_VERSION = "SR1.2.0.0-10657"
PACKAGE = {
    "firmwareName": "FW_LCO-277C4N_BG96MAR04A04M1G_BETA0130B",
    "firmwareFrom": "BG96MAR04A04M1G",
    "firmwareTo": "BG96MAR04A04M1G_BETA0130B",
    "launchDate": "2012-04-23T18:25:43.511Z",
    "releaseNote": "",
    "model": "LCO-277C4N",
    "make": "Verizon Smart Communities",
    "protocol": "LWM2M",
}
MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Seen:
    """One request the server read."""

    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    connection: int

    @property
    def path(self) -> str:
        """The percent-decoded path, without the query."""
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> str:
        return urlsplit(self.target).query

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """Answer with ``status``; a ``body`` that is not bytes or str is sent as JSON."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0  # seconds before answering, without blocking other connections

    def encoded(self) -> tuple[bytes, str | None]:
        if isinstance(self.body, bytes):
            return self.body, self.content_type
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), self.content_type or "application/json"


@dataclass(frozen=True)
class Trickle:
    """Answer ``reply``, its head and body sent ``step`` bytes at a time, ``every`` seconds apart."""

    reply: Reply
    every: float = 0.25
    step: int = 1


@dataclass(frozen=True)
class Reset:
    """Send a 200 head promising ``promised`` bytes, then ``partial`` of them, then reset the connection."""

    partial: bytes = b'{"accountName": "0000123456'
    promised: int = 4096


@dataclass(frozen=True)
class Stall:
    """Read the request, answer nothing for ``seconds`` (cancelled when the server stops), then close."""

    seconds: float


@dataclass(frozen=True)
class Drop:
    """Read the request and close the connection without answering."""


Action = Reply | Trickle | Reset | Stall | Drop
Handler = Callable[[Seen], Action | None]


def reply_json(body: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status, body, dict(headers))


_DEVICES = re.compile(r"^/firmware/([^/]+)/devices$")
_ASYNC = re.compile(r"^/firmware/([^/]+)/async/([^/]+)$")
_LIST = re.compile(r"^/firmware/([^/]+)$")


def fota_answer(request: Seen, number: int) -> Reply:
    """A well-formed answer of the FOTA v3 API to ``request`` (the ``number``-th request the server saw)."""
    headers = {"x-request-id": f"srv-{number}"}
    path = request.path.removeprefix("/api/fota/v3")
    if request.method == "PUT" and (match := _DEVICES.match(path)):
        devices = request.json()["deviceList"]
        body: Any = {
            "accountName": match[1],
            "deviceFirmwarVersionList": [
                {"deviceId": d, "firmwareVersion": FIRMWARE_VERSION, "status": "FirmwareVersionUpdateSuccess"}
                for d in devices
            ],
        }
        return Reply(200, body, headers)
    if request.method == "PUT" and (match := _ASYNC.match(path)):
        return Reply(200, {"accountName": match[1], "requestId": f"req-{match[2]}-{number}"}, headers)
    if request.method == "GET" and _LIST.match(path):
        return Reply(200, [PACKAGE], headers)
    return Reply(404, {"errorCode": "NOT_FOUND", "errorMessage": "no such operation"}, headers)


class FaultServer:
    """The scriptable server; use it as a context manager (or ``start()``/``stop()``)."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self._queue: deque[Action] = deque()
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faultserver", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.connections_total = 0
        self.open_connections = 0
        self.max_open_connections = 0

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def start(self) -> Self:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._connection, "127.0.0.1", 0, limit=MAX_HEAD, backlog=256)

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_closed() and not self._thread.is_alive():
            self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what the tests use ----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *actions: Action) -> None:
        """Queue actions for the next requests (after the handler, before the default answer)."""
        with self._lock:
            self._queue.extend(actions)

    @property
    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._seen)

    def wait_until_no_connections(self, timeout: float = 5.0) -> bool:
        """Whether every connection was closed (by either side) within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.open_connections == 0:
                return True
            time.sleep(0.02)
        return self.open_connections == 0

    # -- the server ------------------------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self.connections_total += 1
            number = self.connections_total
            self.open_connections += 1
            self.max_open_connections = max(self.max_open_connections, self.open_connections)
        aborted = False
        try:
            while True:
                request = await _read_request(reader, number)
                if request is None:
                    break
                action = self._action_for(request)
                keep_open, aborted = await _perform(action, writer)
                if not keep_open:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            aborted = True
            writer.transport.abort()
        finally:
            with self._lock:
                self.open_connections -= 1
            if not aborted:
                writer.close()
                with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                    await writer.wait_closed()
            self._tasks.discard(task)

    def _action_for(self, request: Seen) -> Action:
        with self._lock:
            self._seen.append(request)
            number = len(self._seen)
        if self.handler is not None:
            action = self.handler(request)
            if action is not None:
                return action
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return fota_answer(request, number)


async def _read_request(reader: asyncio.StreamReader, connection: int) -> Seen | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed the connection between requests
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Seen(method, target, headers, body, connection)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Error"


def _encode(reply: Reply) -> bytes:
    body, content_type = reply.encoded()
    head = [f"HTTP/1.1 {reply.status} {_reason(reply.status)}", f"Content-Length: {len(body)}"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    head += [f"{name}: {value}" for name, value in reply.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def _perform(action: Action, writer: asyncio.StreamWriter) -> tuple[bool, bool]:
    """Carry out an action; returns (keep the connection open, the connection was aborted)."""
    if isinstance(action, Reply):
        if action.delay:
            await asyncio.sleep(action.delay)
        writer.write(_encode(action))
        await writer.drain()
        return action.headers.get("Connection", "").lower() != "close", False
    if isinstance(action, Trickle):
        data = _encode(action.reply)
        for start in range(0, len(data), action.step):
            writer.write(data[start : start + action.step])
            await writer.drain()
            if start + action.step < len(data):
                await asyncio.sleep(action.every)
        return False, False
    if isinstance(action, Reset):
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {action.promised}\r\n\r\n"
        writer.write(head.encode("latin-1") + action.partial)
        await writer.drain()
        await asyncio.sleep(0.05)  # let the client read the head and start on the body
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST, not FIN
        writer.transport.abort()
        return False, True
    if isinstance(action, Stall):
        await asyncio.sleep(action.seconds)
        return False, False
    return False, False  # Drop


@contextlib.contextmanager
def running(handler: Handler | None = None) -> Iterator[FaultServer]:
    with FaultServer(handler) as server:
        yield server


# -- running one call through either client -------------------------------------------------------------------------


# The kinds of client a test can drive: FotaClient, AsyncFotaClient on its own httpx transport, and AsyncFotaClient
# on DefaultAioHttpClient (aiohttp).
KINDS = ("sync", "async", "aiohttp")


def make_client(kind: str, url: str, **kwargs: Any) -> FotaClient | AsyncFotaClient:
    """A FotaClient (``kind == "sync"``) or AsyncFotaClient on ``url`` with the distinctive static tokens.

    For ``kind == "aiohttp"`` use :func:`async_client`, which also closes the DefaultAioHttpClient."""
    options: dict[str, Any] = {"base_url": url, "access_token": ACCESS_TOKEN, "m2m_token": M2M_TOKEN, **kwargs}
    return FotaClient(**options) if kind == "sync" else AsyncFotaClient(**options)


@contextlib.asynccontextmanager
async def async_client(kind: str, url: str, **kwargs: Any) -> AsyncIterator[AsyncFotaClient]:
    """An open AsyncFotaClient: on httpx's transport (``"async"``) or on a DefaultAioHttpClient (``"aiohttp"``,
    given the ``max_connections`` asked for), closed afterwards with its http client."""
    if kind == "aiohttp":
        aio = DefaultAioHttpClient(max_connections=kwargs.pop("max_connections", 64))
        async with (
            aio,
            AsyncFotaClient(
                base_url=url, access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN, http_client=aio, **kwargs
            ) as fota,
        ):
            yield fota
        return
    fota = make_client("async", url, **kwargs)
    assert isinstance(fota, AsyncFotaClient)
    async with fota:
        yield fota


def _method(client: object, name: str) -> Any:
    """``client.<name>``, where a dotted name such as ``with_raw_response.list_available_firmware`` is followed."""
    target: Any = client
    for part in name.split("."):
        target = getattr(target, part)
    return target


def call(kind: str, url: str, method: str, *args: Any, client: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Run ``method(*args, **kwargs)`` on a fresh client of ``kind`` and close it; returns or raises as the call."""
    if kind == "sync":
        sync_client = make_client("sync", url, **(client or {}))
        assert isinstance(sync_client, FotaClient)
        with sync_client:
            return _method(sync_client, method)(*args, **kwargs)

    async def run() -> Any:
        async with async_client(kind, url, **(client or {})) as fota:
            return await _method(fota, method)(*args, **kwargs)

    return asyncio.run(run())


def timed(kind: str, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``call`` returning (result or raised FotaError-or-other exception, elapsed seconds)."""
    started = time.monotonic()
    try:
        outcome: Any = call(kind, url, method, *args, **kwargs)
    except Exception as exc:  # the tests assert on the exception
        outcome = exc
    return outcome, time.monotonic() - started


def timeouts_seen(kind: str, method: str, *args: Any, client: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """The ``timeout`` extension of the request a call builds, captured by an httpx MockTransport."""
    captured: list[dict[str, float | None]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        captured.append(request.extensions["timeout"])
        return fota_httpx_answer(request)

    options = dict(client or {})
    if kind == "sync":
        options["http_client"] = httpx.Client(transport=httpx.MockTransport(handle))
        with options["http_client"]:
            call("sync", "http://fota.test", method, *args, client=options, **kwargs)
    else:

        async def run() -> None:
            http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
            async with http, make_client("async", "http://fota.test", http_client=http, **options) as fota:
                assert isinstance(fota, AsyncFotaClient)
                await getattr(fota, method)(*args, **kwargs)

        asyncio.run(run())
    return captured


def fota_httpx_answer(request: httpx.Request) -> httpx.Response:
    """``fota_answer`` for an httpx MockTransport."""
    seen = Seen(request.method, str(request.url.raw_path, "ascii"), dict(request.headers), request.content, 0)
    reply = fota_answer(seen, 1)
    body, content_type = reply.encoded()
    return httpx.Response(reply.status, content=body, headers={**reply.headers, "content-type": content_type or ""})
