"""FotaClient and AsyncFotaClient: the three FOTA v3 operations with validation, auth, retries and batching."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

import httpx

from . import _validation as check
from ._auth import (
    AsyncAuth,
    AsyncTokenCallablesAuth,
    AsyncTokenSource,
    Credentials,
    StaticTokens,
    SyncAuth,
    TokenCallablesAuth,
    TokenSource,
    resolve_auth,
)
from ._base_client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    ClientSettings,
    RequestOptions,
    _Call,
    chunked,
    merge_chunks,
    merge_results,
    send,
    send_async,
)
from ._env import client_kwargs_from_env
from ._exceptions import FotaError, InvalidInputError
from ._models import APIResponse, DeviceFirmwareList, FirmwarePackage, FirmwareReportRequest, Protocol
from ._operations import (
    LIST_AVAILABLE_FIRMWARE,
    REPORT_DEVICE_FIRMWARE,
    SYNCHRONIZE_DEVICE_FIRMWARE,
    Operation,
    list_request,
    report_request,
    synchronize_request,
)
from ._ratelimit import RateGate
from ._validation import MAX_BATCH_SIZE

T = TypeVar("T")
_S = TypeVar("_S")
_R = TypeVar("_R")
_P = ParamSpec("_P")
DEFAULT_MAX_CONCURRENCY = 8
_Outcome = APIResponse[DeviceFirmwareList] | FotaError | None


# Each operation is written once per client, as the method that returns APIResponse (what with_raw_response
# exposes); the plain public method is derived from it, with the same signature, so the two cannot drift apart.
def _describe(method: Callable[..., Any], raw: Callable[..., Any], name: str, doc: str, returns: str) -> None:
    """Give a derived method its public name, docstring and signature (for help() and IDEs)."""
    method.__name__ = name
    method.__qualname__ = raw.__qualname__.replace(raw.__name__, name)
    method.__doc__ = doc
    method.__signature__ = inspect.signature(raw).replace(return_annotation=returns)  # type: ignore[attr-defined]


def _parsed(
    raw: Callable[Concatenate[_S, _P], APIResponse[_R]], name: str, doc: str, returns: str
) -> Callable[Concatenate[_S, _P], _R]:
    def method(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return raw(self, *args, **kwargs).parsed

    _describe(method, raw, name, doc, returns)
    return method


def _aparsed(
    raw: Callable[Concatenate[_S, _P], Awaitable[APIResponse[_R]]], name: str, doc: str, returns: str
) -> Callable[Concatenate[_S, _P], Coroutine[Any, Any, _R]]:
    async def method(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return (await raw(self, *args, **kwargs)).parsed

    _describe(method, raw, name, doc, returns)
    return method


def _merged(
    raw: Callable[Concatenate[_S, _P], list[APIResponse[DeviceFirmwareList]]], doc: str
) -> Callable[Concatenate[_S, _P], DeviceFirmwareList]:
    def method(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> DeviceFirmwareList:
        responses = raw(self, *args, **kwargs)
        return merge_results(responses)

    _describe(method, raw, "synchronize_device_firmware", doc, "DeviceFirmwareList")
    return method


def _amerged(
    raw: Callable[Concatenate[_S, _P], Awaitable[list[APIResponse[DeviceFirmwareList]]]], doc: str
) -> Callable[Concatenate[_S, _P], Coroutine[Any, Any, DeviceFirmwareList]]:
    async def method(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> DeviceFirmwareList:
        responses = await raw(self, *args, **kwargs)
        return merge_results(responses)

    _describe(method, raw, "synchronize_device_firmware", doc, "DeviceFirmwareList")
    return method


_LIST_DOC = """List the firmware packages available to an account, filtered by ``protocol`` (default: all)."""
_SYNC_DOC = """Synchronize ThingSpace with the FOTA server for any number of devices and return their firmware.

Duplicate ids are sent once. Ids go in chunks of ``batch_size`` (at most 100, the API's limit); the results are
merged in request order. If a chunk fails after others succeeded, :class:`PartialSyncError` carries the results
that arrived and the ids still to synchronise."""
_REPORT_DOC = """Ask one device to report its firmware asynchronously; the result carries the request id."""


def _check_http_client(value: object, expected: type[Any]) -> None:
    if value is not None and not isinstance(value, expected):
        raise InvalidInputError("http_client", f"must be an {expected.__module__}.{expected.__name__}")


class _ClientBase:
    """What FotaClient and AsyncFotaClient share: validated settings, the choice of auth, from_env, repr."""

    _settings: ClientSettings

    def _configure(
        self,
        http_type: type[Any],
        http_client: object,
        settings: ClientSettings,
        auth: dict[str, Any],
    ) -> StaticTokens | Credentials:
        """Keep the settings; check ``http_client`` and the auth arguments (all before anything is sent)."""
        self._settings = settings
        self._gate = RateGate(settings.max_rate)  # shared by every call, thread and task of this client
        _check_http_client(http_client, http_type)
        return resolve_auth(**auth)

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        """A client configured from THINGSPACE_* environment variables (see the README); keyword arguments
        override them. Reads the credentials (THINGSPACE_CLIENT_ID, THINGSPACE_CLIENT_SECRET,
        THINGSPACE_USERNAME, THINGSPACE_PASSWORD, THINGSPACE_AUTH_BASE_URL) or the tokens
        (THINGSPACE_ACCESS_TOKEN, THINGSPACE_M2M_TOKEN), THINGSPACE_FOTA_BASE_URL and THINGSPACE_FOTA_MAX_RATE;
        token or credential keyword arguments replace the environment's. Raises InvalidInputError naming each
        missing variable."""
        return cls(**client_kwargs_from_env(overrides=overrides))

    @property
    def base_url(self) -> str:
        """The FOTA v3 base URL the client talks to."""
        return self._settings.base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class FotaClient(_ClientBase):
    """Synchronous client of the ThingSpace FOTA v3 firmware API.

    Use it as a context manager (or call :meth:`close`); it holds one pooled ``httpx.Client`` that is safe to
    share between threads.

    Args:
        base_url: The full FOTA v3 base: production (the default), ``STAGING_BASE_URL``, or a mock.
        access_token: OAuth 2 access token, or a callable that returns one (called before every request).
        m2m_token: ``VZ-M2M-Token`` session token, or a callable that returns one.
        client_id: OAuth client id (the application's key). With ``client_secret``, ``username`` and
            ``password`` instead of the tokens, the client gets and renews both tokens itself.
        client_secret: OAuth client secret.
        username: ThingSpace user name of the M2M session login.
        password: Its password. A refused login is never retried (5 failed logins lock the contact).
        auth_base_url: Base of the token and login endpoints (credentials only); default
            ``https://thingspace.verizon.com/api``, or staging, or a mock.
        timeout: Seconds or an ``httpx.Timeout``; the default is 60 s, 5 s to connect. Never unlimited.
        max_retries: Retries after connection errors, timeouts, 408, 429, 500, 502, 503, 504 (default 2).
        max_retry_wait: The longest ``Retry-After`` the client sleeps for (default 60 s); a longer one raises.
        max_connections: Size of the connection pool (default 64).
        max_rate: Requests per second at most, shared by every call, thread and task of the client (default:
            none). Without it the client paces itself only after a 429 (see "Rate limits" in the README).
        default_headers: Extra headers sent with every request.
        http_client: Your own ``httpx.Client`` (transport, proxies, TLS); the client does not close it.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        access_token: TokenSource | None = None,
        m2m_token: TokenSource | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        auth_base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_rate: float | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        way = self._configure(
            httpx.Client,
            http_client,
            ClientSettings(
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                max_retry_wait=max_retry_wait,
                max_connections=max_connections,
                default_headers=default_headers,
                max_rate=max_rate,
            ),
            dict(
                access_token=access_token,
                m2m_token=m2m_token,
                client_id=client_id,
                client_secret=client_secret,
                username=username,
                password=password,
                auth_base_url=auth_base_url,
            ),
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(**self._settings.httpx_args(sync=True))
        self._auth: SyncAuth
        if isinstance(way, StaticTokens):
            self._auth = TokenCallablesAuth(way.access_token, way.m2m_token)  # type: ignore[arg-type]
        else:
            from ._credentials import CredentialsAuth  # noqa: PLC0415 - only clients with credentials load it

            self._auth = CredentialsAuth(way, self._http, self._settings)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as ``http_client``)."""
        self._auth.close()
        if self._owns_http:
            self._http.close()

    @property
    def with_raw_response(self) -> FotaClientWithRawResponse:
        """The same methods, returning :class:`APIResponse` objects with status and headers."""
        return FotaClientWithRawResponse(self)

    def _list_raw(
        self,
        account_id: str,
        *,
        protocol: Protocol | str = Protocol.ALL,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[list[FirmwarePackage]]:
        """As ``list_available_firmware``, with the HTTP response."""
        options = self._settings.options(max_retries, timeout, extra_headers)
        request = list_request(check.identifier(account_id, "account_id"), check.protocol(protocol))
        return self._request(LIST_AVAILABLE_FIRMWARE, request, options)

    def _synchronize_raw(
        self,
        account_id: str,
        device_ids: Iterable[str],
        *,
        batch_size: int = MAX_BATCH_SIZE,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[APIResponse[DeviceFirmwareList]]:
        """As ``synchronize_device_firmware``, with one HTTP response per chunk; the chunks go one after another."""
        options = self._settings.options(max_retries, timeout, extra_headers)
        account, chunks = _chunks(account_id, device_ids, batch_size)
        outcomes: list[_Outcome] = [None] * len(chunks)
        for index, chunk in enumerate(chunks):
            try:
                outcomes[index] = self._request(
                    SYNCHRONIZE_DEVICE_FIRMWARE, synchronize_request(account, chunk), options
                )
            except FotaError as exc:
                outcomes[index] = exc
                break
        return merge_chunks(chunks, outcomes, account)

    def _report_raw(
        self,
        account_id: str,
        device_id: str,
        *,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[FirmwareReportRequest]:
        """As ``report_device_firmware``, with the HTTP response."""
        options = self._settings.options(max_retries, timeout, extra_headers)
        request = report_request(check.identifier(account_id, "account_id"), check.identifier(device_id, "device_id"))
        return self._request(REPORT_DEVICE_FIRMWARE, request, options)

    list_available_firmware = _parsed(_list_raw, "list_available_firmware", _LIST_DOC, "list[FirmwarePackage]")
    synchronize_device_firmware = _merged(_synchronize_raw, _SYNC_DOC)
    report_device_firmware = _parsed(_report_raw, "report_device_firmware", _REPORT_DOC, "FirmwareReportRequest")

    def _request(self, operation: Operation[T], request: dict[str, Any], options: RequestOptions) -> APIResponse[T]:
        call = _Call(operation, request, options, self._settings.base_url)
        return send(self._http, call, self._auth.headers, self._auth.renew, self._auth.accepted, gate=self._gate)


class AsyncFotaClient(_ClientBase):
    """Asynchronous client of the ThingSpace FOTA v3 firmware API; the same arguments and methods as
    :class:`FotaClient`, as coroutines.

    ``synchronize_device_firmware`` sends its chunks concurrently, at most ``max_concurrency`` (default 8) at a
    time. Token callables may be plain functions or coroutine functions. With credentials, concurrent tasks share
    one token request and one login.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        access_token: AsyncTokenSource | None = None,
        m2m_token: AsyncTokenSource | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        auth_base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_rate: float | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        way = self._configure(
            httpx.AsyncClient,
            http_client,
            ClientSettings(
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                max_retry_wait=max_retry_wait,
                max_connections=max_connections,
                default_headers=default_headers,
                max_rate=max_rate,
            ),
            dict(
                access_token=access_token,
                m2m_token=m2m_token,
                client_id=client_id,
                client_secret=client_secret,
                username=username,
                password=password,
                auth_base_url=auth_base_url,
            ),
        )
        self._max_concurrency = check.positive_int(max_concurrency, "max_concurrency")
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(**self._settings.httpx_args())
        self._auth: AsyncAuth
        if isinstance(way, StaticTokens):
            self._auth = AsyncTokenCallablesAuth(way.access_token, way.m2m_token)  # type: ignore[arg-type]
        else:
            from ._credentials import AsyncCredentialsAuth  # noqa: PLC0415 - only with credentials

            self._auth = AsyncCredentialsAuth(way, self._http, self._settings)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in as ``http_client``)."""
        await self._auth.aclose()
        if self._owns_http:
            await self._http.aclose()

    @property
    def with_raw_response(self) -> AsyncFotaClientWithRawResponse:
        """The same methods, returning :class:`APIResponse` objects with status and headers."""
        return AsyncFotaClientWithRawResponse(self)

    async def _list_raw(
        self,
        account_id: str,
        *,
        protocol: Protocol | str = Protocol.ALL,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[list[FirmwarePackage]]:
        """As ``list_available_firmware``, with the HTTP response."""
        options = self._settings.options(max_retries, timeout, extra_headers)
        request = list_request(check.identifier(account_id, "account_id"), check.protocol(protocol))
        return await self._request(LIST_AVAILABLE_FIRMWARE, request, options)

    async def _synchronize_raw(
        self,
        account_id: str,
        device_ids: Iterable[str],
        *,
        batch_size: int = MAX_BATCH_SIZE,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[APIResponse[DeviceFirmwareList]]:
        """As ``synchronize_device_firmware``, with one HTTP response per chunk; at most ``max_concurrency``
        chunks are in flight at once, and after a failure no new chunk is started."""
        import asyncio  # noqa: PLC0415 - lazily: `import thingspace_fota` need not load asyncio

        options = self._settings.options(max_retries, timeout, extra_headers)
        account, chunks = _chunks(account_id, device_ids, batch_size)
        outcomes: list[_Outcome] = [None] * len(chunks)
        semaphore = asyncio.Semaphore(self._max_concurrency)
        stop = False

        async def send(index: int) -> None:
            nonlocal stop
            async with semaphore:
                if stop:  # an earlier chunk failed: leave this one pending rather than pile on
                    return
                request = synchronize_request(account, chunks[index])
                try:
                    outcomes[index] = await self._request(SYNCHRONIZE_DEVICE_FIRMWARE, request, options)
                except FotaError as exc:
                    outcomes[index] = exc
                    stop = True

        await asyncio.gather(*(send(index) for index in range(len(chunks))))
        return merge_chunks(chunks, outcomes, account)

    async def _report_raw(
        self,
        account_id: str,
        device_id: str,
        *,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[FirmwareReportRequest]:
        """As ``report_device_firmware``, with the HTTP response."""
        options = self._settings.options(max_retries, timeout, extra_headers)
        request = report_request(check.identifier(account_id, "account_id"), check.identifier(device_id, "device_id"))
        return await self._request(REPORT_DEVICE_FIRMWARE, request, options)

    list_available_firmware = _aparsed(_list_raw, "list_available_firmware", _LIST_DOC, "list[FirmwarePackage]")
    synchronize_device_firmware = _amerged(_synchronize_raw, _SYNC_DOC + " Chunks are sent concurrently.")
    report_device_firmware = _aparsed(_report_raw, "report_device_firmware", _REPORT_DOC, "FirmwareReportRequest")

    async def _request(
        self, operation: Operation[T], request: dict[str, Any], options: RequestOptions
    ) -> APIResponse[T]:
        call = _Call(operation, request, options, self._settings.base_url)
        return await send_async(
            self._http, call, self._auth.headers, self._auth.renew, self._auth.accepted, gate=self._gate
        )


class FotaClientWithRawResponse:
    """``FotaClient.with_raw_response``: the same methods, with the same arguments, each returning
    :class:`APIResponse` (the parsed result plus the HTTP status, headers and request id); the chunked
    synchronize returns one per chunk, in order."""

    def __init__(self, client: FotaClient) -> None:
        self.list_available_firmware = client._list_raw
        self.synchronize_device_firmware = client._synchronize_raw
        self.report_device_firmware = client._report_raw


class AsyncFotaClientWithRawResponse:
    """``AsyncFotaClient.with_raw_response``: the async twin of :class:`FotaClientWithRawResponse`."""

    def __init__(self, client: AsyncFotaClient) -> None:
        self.list_available_firmware = client._list_raw
        self.synchronize_device_firmware = client._synchronize_raw
        self.report_device_firmware = client._report_raw


def _chunks(account_id: str, device_ids: Iterable[str], batch_size: int) -> tuple[str, list[list[str]]]:
    """The checked account and the device ids in chunks; every input is checked before anything is sent."""
    account = check.identifier(account_id, "account_id")
    size = check.positive_int(batch_size, "batch_size", maximum=MAX_BATCH_SIZE)
    return account, chunked(check.device_ids(device_ids), size)
