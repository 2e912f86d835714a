"""DefaultAioHttpClient: an ``httpx.AsyncClient`` whose requests travel on aiohttp (the ``aiohttp`` extra).

httpx's own async stack costs about three times aiohttp's CPU per call, which caps fleet jobs at high concurrency
(bench/README.md). This is our own thin transport rather than the ``httpx-aiohttp`` package, which (measured here)
reports a refused port and a dropped connection as timeouts, bounds only each read, and lets aiohttp re-send a
GET or PUT on a dropped keep-alive connection by itself (``max_retries=1`` sent 4 requests). Here:

- every aiohttp error becomes the httpx exception of the same kind (connect, read, protocol, timeout), so the
  client's retries and typed errors work as with httpx's transports;
- aiohttp never re-sends a request: retrying is the client's decision (``max_retries``);
- httpx's ``Timeout`` maps onto aiohttp's (``pool`` + ``connect`` for a connection, ``read`` per read), and an
  attempt lasts at most its read timeout from its first byte sent to its last byte received (the deadline);
- proxies come from ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY`` read as httpx reads them, and the
  direct and proxied routes share one aiohttp connection pool of ``max_connections``;
- ``verify`` and ``cert`` make the aiohttp session's TLS context as httpx makes its own; the httpx arguments that
  would route requests around aiohttp, or that it could not honour (``proxy``, ``mounts``, ``transport``,
  ``limits``, ``http1``, ``http2``), are refused rather than silently ignored.

aiohttp is imported when a DefaultAioHttpClient is made, never by ``import thingspace_fota``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ._constants import DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT
from ._exceptions import InvalidInputError
from ._redact import mask_userinfo
from ._transports import deadline_message, environment_proxies, routes

if TYPE_CHECKING:
    import aiohttp

# httpx's ``cert``: a file with the certificate and key, (certificate, key) or (certificate, key, password).
CertTypes = str | tuple[str, str] | tuple[str, str, str]

INSTALL_HINT = "DefaultAioHttpClient needs aiohttp: pip install 'thingspace-fota[aiohttp]'"

# httpx.AsyncClient arguments that DefaultAioHttpClient refuses, and why: each would make httpx send requests
# around aiohttp (its own transport for a proxy or a mount) or be silently ignored by the aiohttp session.
REFUSED = {
    "proxy": "not supported: DefaultAioHttpClient reads HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY instead",
    "mounts": "not supported: DefaultAioHttpClient routes every request through aiohttp",
    "transport": "not supported: DefaultAioHttpClient's transport is aiohttp (use httpx.AsyncClient for your own)",
    "limits": "not supported: use max_connections",
    "http1": "not supported: DefaultAioHttpClient speaks HTTP/1.1 (aiohttp)",
    "http2": "not supported: DefaultAioHttpClient speaks HTTP/1.1 (aiohttp)",
}


def _import_aiohttp() -> Any:
    try:
        import aiohttp  # noqa: PLC0415 - only when asked for: aiohttp is an optional extra
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return aiohttp


def _ssl_context(verify: object, cert: CertTypes | None, *, trust_env: bool) -> ssl.SSLContext:
    """The aiohttp session's TLS context, made by httpx from ``verify`` and ``cert`` as for its own transports."""
    if not isinstance(verify, bool | str | ssl.SSLContext):
        raise InvalidInputError("verify", "must be True, False, the path of CA certificates or an ssl.SSLContext")
    try:
        context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
    except OSError as exc:  # a missing or unreadable CA file (ssl.SSLError is an OSError)
        raise InvalidInputError("verify", f"cannot load the CA certificates ({exc})") from None
    if cert:
        try:
            context = httpx.create_ssl_context(verify=context, cert=cert)
        except (OSError, TypeError, ValueError) as exc:  # unreadable, or not a path or a (path, path) pair
            raise InvalidInputError("cert", f"cannot load the client certificate ({exc})") from None
    return context


def _describe(exc: BaseException, default: str = "") -> str:
    """The text of the httpx error made from aiohttp's ``exc``: never a URL's userinfo (a proxy password)."""
    from aiohttp import ClientResponseError  # noqa: PLC0415 - loaded already: the error is aiohttp's

    if isinstance(exc, ClientResponseError):  # a proxy's 407, a malformed answer: its str() adds the URL
        return f"{exc.status or ''} {exc.message}".strip() or type(exc).__name__
    return mask_userinfo(str(exc)) or default or type(exc).__name__


def _cause(exc: BaseException) -> BaseException | None:
    """``exc`` as the cause of the httpx error, or None (no cause in a traceback) when its text shows a secret."""
    text = str(exc)
    return exc if mask_userinfo(text) == text else None


class _Attempt:
    """The deadline of one request, started by aiohttp's "request headers sent" trace."""

    __slots__ = ("limit", "scope")

    def __init__(self, limit: float | None, scope: asyncio.Timeout) -> None:
        self.limit = limit
        self.scope = scope


async def _headers_sent(session: object, context: Any, params: object) -> None:
    attempt: _Attempt | None = context.trace_request_ctx
    if attempt is not None and attempt.limit is not None:
        attempt.scope.reschedule(asyncio.get_running_loop().time() + attempt.limit)


class _Session:
    """The one aiohttp session of a DefaultAioHttpClient, shared by its routes; made in the running event loop."""

    def __init__(self, max_connections: int, ssl_context: ssl.SSLContext) -> None:
        self.aiohttp = _import_aiohttp()
        self.max_connections = max_connections
        self.ssl_context = ssl_context
        self.session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout] = {}

    def get(self) -> aiohttp.ClientSession:
        if self.session is None:
            aiohttp = self.aiohttp
            trace = aiohttp.TraceConfig()
            trace.on_request_headers_sent.append(_headers_sent)
            trace.freeze()
            connector = aiohttp.TCPConnector(limit=self.max_connections, limit_per_host=0, ssl=self.ssl_context)
            self.session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies
                auto_decompress=False,  # httpx decodes the body
                trust_env=False,  # proxies are the routes' (as httpx reads the environment)
                trace_configs=[trace],
            )
            self.session._retry_connection = False  # never re-send by itself: retries are the client's call
        return self.session

    def timeout(self, timeout: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
        connect, pool, read = timeout.get("connect"), timeout.get("pool"), timeout.get("read")
        key = (connect, pool, read)
        found = self._timeouts.get(key)
        if found is None:
            # aiohttp's `connect` covers waiting for a pooled connection and making a new one.
            acquire = None if connect is None or pool is None else connect + pool
            found = self.aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=connect, sock_read=read)
            self._timeouts[key] = found
        return found

    async def aclose(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            await session.close()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One route (direct, or through ``proxy``) of a DefaultAioHttpClient.

    It reads each answer in full before returning it (the FOTA API answers small JSON documents), which frees the
    connection at once and keeps the whole attempt under its deadline.
    """

    def __init__(self, shared: _Session, proxy: str | None = None) -> None:
        self._shared = shared
        self._proxy = proxy
        self._url_class = shared.aiohttp.client.URL

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shared = self._shared
        aiohttp = shared.aiohttp
        session = shared.session or shared.get()
        timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
        body = await request.aread()
        try:
            async with asyncio.timeout(None) as scope:
                attempt = _Attempt(timeouts.get("read"), scope)
                async with session.request(
                    request.method,
                    self._url_class(str(request.url), encoded=True),
                    headers=request.headers.multi_items(),
                    data=body or None,
                    allow_redirects=False,
                    timeout=shared.timeout(timeouts),
                    proxy=self._proxy,
                    trace_request_ctx=attempt,
                ) as answer:
                    content = await answer.read()
        except TimeoutError as exc:
            if scope.expired() and attempt.limit is not None:
                raise httpx.ReadTimeout(deadline_message(attempt.limit), request=request) from None
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise httpx.ConnectTimeout(_describe(exc, "timed out connecting"), request=request) from _cause(exc)
            raise httpx.ReadTimeout(_describe(exc, "timed out reading"), request=request) from _cause(exc)
        except aiohttp.ClientConnectorError as exc:  # refused, unreachable, DNS, TLS, proxy refused
            raise httpx.ConnectError(_describe(exc), request=request) from _cause(exc)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError) as exc:
            raise httpx.RemoteProtocolError(_describe(exc), request=request) from _cause(exc)
        except aiohttp.ClientError as exc:  # reset, payload cut short, other OS errors
            raise httpx.ReadError(_describe(exc), request=request) from _cause(exc)
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (answer.reason or "").encode("ascii", "replace")},
        )

    async def aclose(self) -> None:
        await self._shared.aclose()


class DefaultAioHttpClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose requests travel on aiohttp: about a third of httpx's CPU per async call.

    Needs the ``aiohttp`` extra (``pip install 'thingspace-fota[aiohttp]'``); without it, making one raises
    ImportError. Pass it to the async client and close it yourself, e.g. as a context manager::

        async with DefaultAioHttpClient() as http, AsyncFotaClient(..., http_client=http) as fota:
            ...

    Timeouts, connection errors, retries and the deadline per attempt behave as with the default client.
    ``max_connections`` bounds the connections open at once across the direct route and the proxied ones
    (``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY`` unless ``trust_env=False``; http(s) proxies only).
    ``verify`` and ``cert`` set up TLS as they do for ``httpx.AsyncClient``. Other keyword arguments go to
    ``httpx.AsyncClient``, except ``proxy``, ``mounts``, ``transport``, ``limits``, ``http1`` and ``http2``, which
    raise InvalidInputError: aiohttp could not honour them.
    """

    def __init__(
        self,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        **kwargs: Any,
    ) -> None:
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise InvalidInputError("max_connections", "must be a whole number of at least 1")
        for name, problem in REFUSED.items():
            if name in kwargs:
                raise InvalidInputError(name, problem)
        shared = _Session(max_connections, _ssl_context(verify, cert, trust_env=trust_env))

        def make(proxy: str | None) -> httpx.AsyncBaseTransport:
            if proxy is not None and not proxy.startswith(("http://", "https://")):
                raise InvalidInputError("the proxy environment variables", "aiohttp supports http(s) proxies only")
            return AiohttpTransport(shared, proxy)

        direct, mounts = routes(environment_proxies() if trust_env else {}, make)
        kwargs.setdefault("follow_redirects", False)
        super().__init__(timeout=timeout, transport=direct, mounts=mounts, trust_env=trust_env, **kwargs)
