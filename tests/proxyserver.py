"""A small forwarding HTTP proxy on 127.0.0.1 for the proxy tests (plain http:// targets, keep-alive both ways).

It reads absolute-form requests (``GET http://127.0.0.1:PORT/path HTTP/1.1``), forwards each in origin form on
one upstream connection per client connection, and relays the answer (``Content-Length`` bodies, as the fault
server sends). It records every target it forwarded and counts the client connections open at once. It runs on
its own event loop in a background thread, like the fault server.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit


class ForwardingProxy:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self.forwarded: list[str] = []
        self.open_connections = 0
        self.max_open_connections = 0
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.forwarded)

    def __enter__(self) -> Self:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=256), self._loop
        ).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self.open_connections += 1
            self.max_open_connections = max(self.max_open_connections, self.open_connections)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ", 2)
                url = urlsplit(target)
                kept = [line for line in lines[1:] if line and not line.lower().startswith("proxy-")]
                length = next(
                    (int(line.split(":", 1)[1]) for line in kept if line.lower().startswith("content-length:")), 0
                )
                body = await reader.readexactly(length)
                with self._lock:
                    self.forwarded.append(target)
                if upstream is None:
                    upstream = await asyncio.open_connection(url.hostname, url.port)
                up_reader, up_writer = upstream
                origin_form = url.path + (f"?{url.query}" if url.query else "")
                up_writer.write(f"{method} {origin_form} {version}\r\n".encode("latin-1"))
                up_writer.write(("\r\n".join(kept) + "\r\n\r\n").encode("latin-1") + body)
                await up_writer.drain()
                answer = await up_reader.readuntil(b"\r\n\r\n")
                answer_lines = answer.decode("latin-1").lower().split("\r\n")
                size = next(
                    (int(line.split(":", 1)[1]) for line in answer_lines if line.startswith("content-length:")), 0
                )
                writer.write(answer + await up_reader.readexactly(size))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            with self._lock:
                self.open_connections -= 1
            if upstream is not None:
                upstream[1].close()
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            self._tasks.discard(task)
