"""The httpx transports of the clients the library makes for itself (not of an ``http_client`` you pass in).

Both work around httpcore 1.0.x connection-pool problems without changing what a request does:

- :class:`GatedTransport` (sync): the pool, shared by more threads than it has connections, can close a
  connection it has just assigned to a queued request (encode/httpcore#1110).
- :class:`ShardedAsyncTransport` (async): the pool scans all its connections, polling each idle socket, on every
  request and every response, so its CPU cost per request grows with its size; with 32 or more requests in
  flight the client spends most of its time there (see pydantic/httpx2#1169). Small pools keep each scan short.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Mapping

import httpx

# Connections per shard of the async pool: small enough for cheap scans, large enough to keep reusing
# keep-alive connections when few requests are in flight.
SHARD_SIZE = 8


class GatedTransport(httpx.BaseTransport):
    """A sync transport that lets at most ``limit`` requests into the wrapped transport's pool at once.

    httpcore 1.0.x's sync pool, shared by more threads than it has connections, can close a connection that it has
    just assigned to a queued request (encode/httpcore#1110): that request then fails with EBADF, or hangs until
    its read timeout. With ``limit`` equal to the pool's ``max_connections`` no request ever queues in the pool, so
    the race cannot happen; threads wait here instead, for at most the request's pool timeout.
    """

    def __init__(self, inner: httpx.BaseTransport, limit: int) -> None:
        self._inner = inner
        self._gate = threading.BoundedSemaphore(limit)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout: Mapping[str, float | None] = request.extensions.get("timeout", {})
        pool_timeout = timeout.get("pool")
        if not self._gate.acquire(timeout=pool_timeout):
            raise httpx.PoolTimeout("no connection became free within the pool timeout", request=request)
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            self._gate.release()
            raise
        if response.is_closed:  # already read (a response made with content=...): nothing holds a connection
            self._gate.release()
        else:
            response.stream = _ReleasingStream(response.stream, self._gate)
        return response

    def close(self) -> None:
        self._inner.close()


class _ReleasingStream(httpx.SyncByteStream):
    """A response stream that frees its place at the gate once, when it is closed."""

    def __init__(self, inner: httpx.SyncByteStream | httpx.AsyncByteStream, gate: threading.BoundedSemaphore) -> None:
        assert isinstance(inner, httpx.SyncByteStream)  # noqa: S101 - a sync transport returns sync streams
        self._inner = inner
        self._gate: threading.BoundedSemaphore | None = gate

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            gate, self._gate = self._gate, None
            if gate is not None:
                gate.release()


class ShardedAsyncTransport(httpx.AsyncBaseTransport):
    """An async transport that splits ``max_connections`` over pools of at most ``SHARD_SIZE`` connections and
    sends each request through the pool with the fewest requests in flight.

    The sizes add up to ``max_connections``, so the client never holds more connections than configured.
    """

    def __init__(self, max_connections: int) -> None:
        count = -(-max_connections // SHARD_SIZE)
        sizes = [max_connections // count + (1 if i < max_connections % count else 0) for i in range(count)]
        self._shards = [
            httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=size, max_keepalive_connections=size))
            for size in sizes
        ]
        self._in_flight = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._in_flight)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            response = await self._shards[index].handle_async_request(request)
        except BaseException:
            self._in_flight[index] -= 1
            raise
        response.stream = _CountedStream(response.stream, self._in_flight, index)
        return response

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


class _CountedStream(httpx.AsyncByteStream):
    """A response stream that takes its request off its shard's in-flight count once, when it is closed."""

    def __init__(self, inner: httpx.SyncByteStream | httpx.AsyncByteStream, counts: list[int], index: int) -> None:
        assert isinstance(inner, httpx.AsyncByteStream)  # noqa: S101 - an async transport returns async streams
        self._inner = inner
        self._counts: list[int] | None = counts
        self._index = index

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            counts, self._counts = self._counts, None
            if counts is not None:
                counts[self._index] -= 1
