"""The httpx transports of the clients the library makes for itself (not of an ``http_client`` you pass in).

They work around httpcore 1.0.x connection-pool problems and add a deadline, without changing what a request does:

- :class:`GatedTransport` (sync): the pool, shared by more threads than it has connections, can close a
  connection it has just assigned to a queued request (encode/httpcore#1110). Threads wait at a first come, first
  served :class:`FairGate` instead, which hands a freed connection to the longest waiting thread.
- :class:`ShardedAsyncTransport` (async): the pool scans all its connections, polling each idle socket, on every
  request and every response, so its CPU cost per request grows with its size; with 32 or more requests in
  flight the client spends most of its time there (see pydantic/httpx2#1169). Small pools keep each scan short.
- The deadline per attempt: httpx bounds each read by the read timeout, so a server trickling its answer a byte at
  a time holds a call for as long as it likes. The network streams of these transports (:class:`_DeadlineBackend`)
  also bound the attempt as a whole: from its first byte sent to its last byte received, at most its read timeout.
- Behind a proxy (``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY``, read as httpx reads them) every route
  gets the same transports, mounted as httpx mounts its own, and the routes share one limit of ``max_connections``.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpcore
import httpx
from httpcore._utils import is_socket_readable
from httpx._utils import get_environment_proxies

if TYPE_CHECKING:
    import asyncio
    import ssl

# Connections per shard of the async pool: small enough for cheap scans, large enough to keep reusing
# keep-alive connections when few requests are in flight.
SHARD_SIZE = 8

Route = TypeVar("Route")


# -- the deadline per attempt ---------------------------------------------------------------------------------------


class Attempt:
    """The deadline of one request: ``limit`` seconds from its first byte sent (None: no deadline)."""

    __slots__ = ("ends", "limit")

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.ends: float | None = None

    def bound(self, timeout: float | None, error: type[Exception]) -> float | None:
        """``timeout`` for the next read or write, shortened to what is left of the attempt; raises ``error``
        when nothing is left. The first call starts the clock."""
        if self.limit is None:
            return timeout
        if self.ends is None:
            self.ends = time.monotonic() + self.limit
            left = self.limit
        else:
            left = self.ends - time.monotonic()
            if left <= 0:
                raise error(deadline_message(self.limit))
        return left if timeout is None or left < timeout else timeout


def deadline_message(limit: float) -> str:
    """The text of the timeout error when an attempt outlasts its deadline (all the transports use it)."""
    return f"the answer took longer than the read timeout of {limit:g} s"


# The attempt of the request the current thread (sync) or task (async) is sending. Set by the transports below
# when a request enters them; read by the network streams of their connections, which do their I/O in that same
# thread or task (httpcore 1.0 has no background I/O).
CURRENT: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar("thingspace_fota_attempt", default=None)


def start_attempt(request: httpx.Request) -> None:
    timeout: Mapping[str, float | None] = request.extensions.get("timeout", {})
    CURRENT.set(Attempt(timeout.get("read")))


def _bound(timeout: float | None, error: type[Exception]) -> float | None:
    attempt = CURRENT.get()
    return timeout if attempt is None else attempt.bound(timeout, error)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, whose streams bound every read and write by the current attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncDeadlineStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: Any = _UNKNOWN

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _bound(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _bound(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncDeadlineStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        # The pool asks "is_readable" of its connections several times per request. httpcore's anyio stream
        # answers by having anyio build its whole dict of extra attributes to find the raw socket, each time
        # (about 5 % of the client's CPU in a fleet job). A stream's socket never changes: it is looked up once,
        # and the answer is the check httpcore's anyio stream makes on it.
        if info == "is_readable":
            if self._socket is _UNKNOWN:
                self._socket = _anyio_socket(self._inner)
            if self._socket is not _NOT_ANYIO:
                return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


_UNKNOWN: Any = object()
_NOT_ANYIO: Any = object()


def _anyio_socket(stream: httpcore.AsyncNetworkStream) -> Any:
    """The raw socket of httpcore's anyio stream (None if it has none), or ``_NOT_ANYIO`` for any other stream
    (trio's, a test's mock), which keeps answering for itself."""
    from httpcore._backends.anyio import AnyIOStream  # noqa: PLC0415 - loaded with anyio, by the first request

    return stream.get_extra_info("socket") if isinstance(stream, AnyIOStream) else _NOT_ANYIO


class _AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    """The async twin of :class:`_DeadlineBackend`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _AsyncDeadlineStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncDeadlineStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def http_transport(limit: int, proxy: str | None = None) -> httpx.HTTPTransport:
    """httpx's sync transport with ``limit`` connections, through ``proxy`` if given, its streams under the
    attempt's deadline."""
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
    transport = httpx.HTTPTransport(limits=limits, proxy=proxy)
    # httpx does not take a network backend; httpcore's pool (direct or proxy) keeps it in this attribute.
    transport._pool._network_backend = _DeadlineBackend(transport._pool._network_backend)
    return transport


def async_http_transport(limit: int, proxy: str | None = None) -> httpx.AsyncHTTPTransport:
    """The async twin of :func:`http_transport`."""
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
    transport = httpx.AsyncHTTPTransport(limits=limits, proxy=proxy)
    transport._pool._network_backend = _AsyncDeadlineBackend(transport._pool._network_backend)
    return transport


# -- sync: the fair gate --------------------------------------------------------------------------------------------


class FairGate:
    """A semaphore that serves waiting threads first come, first served.

    ``release`` hands the place straight to the longest waiting thread (it never becomes free in between), so the
    thread that just released cannot take it back ahead of the ones waiting.
    """

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._lock = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float | None) -> bool:
        """Take a place, waiting at most ``timeout`` seconds (None: no limit); False if none came."""
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        try:
            if waiter.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
                return True  # handed over by release()
        except BaseException:  # interrupted (Ctrl-C, an exception from a signal handler): leave the queue
            with self._lock:
                try:
                    self._waiters.remove(waiter)
                except ValueError:  # release() had handed it over already: pass the place on, or it is lost
                    self._hand_on()
            raise
        with self._lock:
            try:
                self._waiters.remove(waiter)
            except ValueError:  # release() handed it over just as the wait ended: the place is ours
                return True
        return False

    def release(self) -> None:
        with self._lock:
            self._hand_on()

    def _hand_on(self) -> None:
        """Give a place to the longest waiting thread, or free it (called with the lock held)."""
        if self._waiters:
            self._waiters.popleft().release()
        else:
            self._free += 1


class GatedTransport(httpx.BaseTransport):
    """A sync transport that lets at most ``limit`` requests into the wrapped transport's pool at once.

    httpcore 1.0.x's sync pool, shared by more threads than it has connections, can close a connection that it has
    just assigned to a queued request (encode/httpcore#1110): that request then fails with EBADF, or hangs until
    its read timeout. With ``limit`` equal to the pool's ``max_connections`` no request ever queues in the pool, so
    the race cannot happen; threads wait here instead, first come first served, for at most the request's pool
    timeout. Several transports (one per proxy route) may share one :class:`FairGate`.
    """

    def __init__(self, inner: httpx.BaseTransport, limit: int | FairGate) -> None:
        self._inner = inner
        self._gate = limit if isinstance(limit, FairGate) else FairGate(limit)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout: Mapping[str, float | None] = request.extensions.get("timeout", {})
        if not self._gate.acquire(timeout.get("pool")):
            raise httpx.PoolTimeout("no connection became free within the pool timeout", request=request)
        try:
            start_attempt(request)
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

    def __init__(self, inner: httpx.SyncByteStream | httpx.AsyncByteStream, gate: FairGate) -> None:
        assert isinstance(inner, httpx.SyncByteStream)  # noqa: S101 - a sync transport returns sync streams
        self._inner = inner
        self._gate: FairGate | None = gate

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            gate, self._gate = self._gate, None
            if gate is not None:
                gate.release()


class AsyncLimit:
    """One limit of in-flight requests shared by the async routes (direct and proxied) of one client.

    Only used behind a proxy: with a single route the shards' own sizes already add up to the limit. The asyncio
    semaphore is made on first use, so that ``import thingspace_fota`` need not load asyncio.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._semaphore: asyncio.Semaphore | None = None

    async def acquire(self, request: httpx.Request) -> None:
        import asyncio  # noqa: PLC0415 - lazily, as above

        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._limit)
        timeout: Mapping[str, float | None] = request.extensions.get("timeout", {})
        try:
            async with asyncio.timeout(timeout.get("pool")):
                await self._semaphore.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection became free within the pool timeout", request=request) from None

    def release(self) -> None:
        assert self._semaphore is not None  # noqa: S101 - released only after acquire
        self._semaphore.release()


class ShardedAsyncTransport(httpx.AsyncBaseTransport):
    """An async transport that splits ``max_connections`` over pools of at most ``SHARD_SIZE`` connections and
    sends each request through the pool with the fewest requests in flight.

    The sizes add up to ``max_connections``, so the client never holds more connections than configured. With a
    ``proxy`` the pools connect through it; ``shared`` is the limit that this route shares with the client's others.
    """

    def __init__(self, max_connections: int, proxy: str | None = None, shared: AsyncLimit | None = None) -> None:
        count = -(-max_connections // SHARD_SIZE)
        sizes = [max_connections // count + (1 if i < max_connections % count else 0) for i in range(count)]
        self._shards = [async_http_transport(size, proxy) for size in sizes]
        self._in_flight = [0] * count
        self._shared = shared

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shared = self._shared
        if shared is not None:
            await shared.acquire(request)
        index = min(range(len(self._in_flight)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            start_attempt(request)
            response = await self._shards[index].handle_async_request(request)
        except BaseException:
            self._in_flight[index] -= 1
            if shared is not None:
                shared.release()
            raise
        response.stream = _CountedStream(response.stream, self._in_flight, index, shared)
        return response

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


class _CountedStream(httpx.AsyncByteStream):
    """A response stream that takes its request off its shard's in-flight count once, when it is closed."""

    def __init__(
        self,
        inner: httpx.SyncByteStream | httpx.AsyncByteStream,
        counts: list[int],
        index: int,
        shared: AsyncLimit | None,
    ) -> None:
        assert isinstance(inner, httpx.AsyncByteStream)  # noqa: S101 - an async transport returns async streams
        self._inner = inner
        self._counts: list[int] | None = counts
        self._index = index
        self._shared = shared

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
                if self._shared is not None:
                    self._shared.release()


# -- the routes: direct and through the environment's proxies ---------------------------------------------------------


def environment_proxies() -> dict[str, str | None]:
    """httpx's reading of ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY``: mount patterns (``"http://"``,
    ``"all://*example.com"``) and the proxy URL of each, or None for the hosts to reach directly."""
    return get_environment_proxies()


def routes(
    proxies: Mapping[str, str | None], make: Callable[[str | None], Route]
) -> tuple[Route, dict[str, Route | None]]:
    """The direct route and the mounts of ``proxies`` (as :func:`environment_proxies` gives them).

    ``make(proxy)`` makes the transport of a route (``None``: direct); each proxy URL gets one transport, whatever
    the number of patterns using it. A pattern without a proxy (``NO_PROXY``) mounts None, which httpx reads as
    the client's default transport: the direct route, so those hosts share its pool.
    """
    made: dict[str | None, Route] = {}

    def route(proxy: str | None) -> Route:
        if proxy not in made:
            made[proxy] = make(proxy)
        return made[proxy]

    direct = route(None)
    return direct, {pattern: None if url is None else route(url) for pattern, url in proxies.items()}


def client_transports(max_connections: int, *, sync: bool) -> dict[str, Any]:
    """The ``transport`` and ``mounts`` arguments of the httpx client the library makes for itself.

    Without proxies in the environment: one route (:class:`GatedTransport` for sync, :class:`ShardedAsyncTransport`
    for async). With them: one route per proxy URL, mounted on httpx's patterns as httpx itself would mount them
    (an httpx client given a ``transport`` ignores the environment's proxies), sharing one limit of
    ``max_connections`` requests in flight with the direct route.
    """
    proxies = environment_proxies()
    gate = FairGate(max_connections)
    shared = AsyncLimit(max_connections) if any(proxies.values()) else None

    def make(proxy: str | None) -> httpx.BaseTransport | httpx.AsyncBaseTransport:
        if sync:
            return GatedTransport(http_transport(max_connections, proxy), gate)
        return ShardedAsyncTransport(max_connections, proxy, shared)

    direct, mounts = routes(proxies, make)
    return {"transport": direct, "mounts": mounts} if mounts else {"transport": direct}
