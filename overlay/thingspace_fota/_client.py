"""FotaClient and AsyncFotaClient: the three FOTA v3 operations with validation, auth, retries and batching.

Each operation is a plain method per client with its docstring, as openai-python writes its resources;
``with_raw_response`` wraps those methods (``_response.py``), so the two cannot drift apart.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

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
from ._base_client import Call, send, send_async
from ._batching import (
    ProgressHook,
    call_progress,
    chunk_progress,
    chunks,
    merge_chunks,
    run_each,
    run_each_async,
    stop_on_any,
    stop_on_repeating,
)
from ._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    MAX_BATCH_SIZE,
)
from ._env import client_kwargs_from_env
from ._exceptions import FotaError, InvalidInputError
from ._generated import Operation
from ._models import APIResponse, DeviceFirmwareList, FirmwarePackage, FirmwareReportRequest, Protocol
from ._operations import (
    LIST_AVAILABLE_FIRMWARE,
    REPORT_DEVICE_FIRMWARE,
    SYNCHRONIZE_DEVICE_FIRMWARE,
    list_request,
    report_request,
    synchronize_request,
)
from ._ratelimit import RateGate
from ._reading import DriftCheck, drift_check
from ._response import (
    async_to_raw_chunks_wrapper,
    async_to_raw_response_wrapper,
    merged,
    parsed,
    to_raw_chunks_wrapper,
    to_raw_response_wrapper,
)
from ._settings import ClientSettings, RequestOptions

T = TypeVar("T")


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
        strict: object = False,
    ) -> StaticTokens | Credentials:
        """Keep the settings; check ``http_client`` and the auth arguments (all before anything is sent)."""
        self._settings = settings
        # Shared by every call, thread and task of this client; no Retry-After holds them beyond max_retry_wait.
        self._gate = RateGate(settings.max_rate, max_pause=settings.max_retry_wait)
        _check_http_client(http_client, http_type)
        self._drift_check = drift_check(strict)
        return resolve_auth(**auth)

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        """A client configured from THINGSPACE_* environment variables (see the README); keyword arguments
        override them. Reads the credentials (THINGSPACE_CLIENT_ID, THINGSPACE_CLIENT_SECRET,
        THINGSPACE_USERNAME, THINGSPACE_PASSWORD, THINGSPACE_AUTH_BASE_URL) or the tokens
        (THINGSPACE_ACCESS_TOKEN, THINGSPACE_M2M_TOKEN), THINGSPACE_FOTA_BASE_URL, THINGSPACE_FOTA_STRICT and
        THINGSPACE_FOTA_MAX_RATE; token or credential keyword arguments replace the environment's. Raises
        InvalidInputError naming each missing variable."""
        return cls(**client_kwargs_from_env(overrides=overrides))

    @property
    def base_url(self) -> str:
        """The FOTA v3 base URL the client talks to."""
        return self._settings.base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _with_drift_check(self, check: DriftCheck) -> Self:
        """The same client (connection pool, auth, rate gate, settings) with its own drift check, for ``verify`` and
        the command line's note. ``self`` is left as it is, so other threads using it keep theirs. Close only one
        of the two: they share the pool and the auth."""
        view = copy.copy(self)
        view.__dict__.pop("with_raw_response", None)  # the cached wrapper is bound to self
        view._drift_check = check
        return view


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
        strict: Raise :class:`ResponseValidationError` (with ``.drift``) for any answer that deviates from the
            spec, instead of reading it tolerantly (default False; ``THINGSPACE_FOTA_STRICT=1`` for from_env).
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
        strict: bool = False,
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
            strict,
        )
        self._owns_http = http_client is None
        self._http = http_client or self._settings.own_http_client(httpx.Client, sync=True)
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
        """Close the connection pool (unless it was passed in as ``http_client``); forget any cached tokens."""
        self._auth.close()
        if self._owns_http:
            self._http.close()

    @functools.cached_property
    def with_raw_response(self) -> FotaClientWithRawResponse:
        """The same methods, returning :class:`APIResponse` objects with status and headers."""
        return FotaClientWithRawResponse(self)

    def list_available_firmware(
        self,
        account_id: str,
        *,
        protocol: Protocol | str = Protocol.ALL,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[FirmwarePackage]:
        """List the firmware packages available to an account, filtered by ``protocol`` (default: all).

        ``protocol`` is a :class:`Protocol` or its name or wire value in any case. ``max_retries``, ``timeout``
        and ``extra_headers`` override the client's settings for this call.
        """
        options = self._settings.options(max_retries, timeout, extra_headers)
        request = list_request(check.identifier(account_id, "account_id"), check.protocol(protocol))
        return parsed(self._request(LIST_AVAILABLE_FIRMWARE, request, options))

    def synchronize_device_firmware(
        self,
        account_id: str,
        device_ids: Iterable[str],
        *,
        batch_size: int = MAX_BATCH_SIZE,
        on_progress: ProgressHook | None = None,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> DeviceFirmwareList:
        """Synchronize ThingSpace with the FOTA server for any number of devices and return their firmware.

        Duplicate ids are sent once. Ids go in chunks of ``batch_size`` (at most 100, the API's limit), one after
        another; the results are merged in request order. If a chunk fails after others succeeded,
        :class:`PartialSyncError` carries the results that arrived and the ids still to synchronise.
        ``on_progress(device_ids, error)`` is called after each chunk with its ids and None, or the error it
        ended with.
        """
        options = self._settings.options(max_retries, timeout, extra_headers)
        account, planned = chunks(account_id, device_ids, batch_size)
        done = chunk_progress(on_progress)

        def sync_chunk(chunk: list[str]) -> APIResponse[DeviceFirmwareList]:
            return self._request(SYNCHRONIZE_DEVICE_FIRMWARE, synchronize_request(account, chunk), options)

        outcomes = run_each(planned, sync_chunk, stop=stop_on_any, done=done)
        return merged(merge_chunks(planned, outcomes))

    def report_device_firmware(
        self,
        account_id: str,
        device_id: str,
        *,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> FirmwareReportRequest:
        """Ask one device to report its firmware asynchronously; the result carries the request id."""
        options = self._settings.options(max_retries, timeout, extra_headers)
        request = report_request(check.identifier(account_id, "account_id"), check.identifier(device_id, "device_id"))
        return parsed(self._request(REPORT_DEVICE_FIRMWARE, request, options))

    def report_device_firmware_many(
        self,
        account_id: str,
        device_ids: Iterable[str],
        *,
        on_progress: ProgressHook | None = None,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, FirmwareReportRequest | FotaError]:
        """:meth:`report_device_firmware` for each device (duplicates once), one after another.

        Returns each device's result or error, in request order. A failure about one device (such as a 404) does
        not stop the others; after one that every later call would repeat (authentication, permission,
        connection, rate limit) no new call is made, and the ids not asked are missing from the result.
        ``on_progress([device_id], error)`` is called after each call. Every id and option is checked before
        anything is sent.
        """
        options = self._settings.options(max_retries, timeout, extra_headers)
        account = check.identifier(account_id, "account_id")
        ids = check.device_ids(device_ids)
        done = call_progress(on_progress)

        def report(device_id: str) -> FirmwareReportRequest:
            # .parsed, not parsed(): a fan-out has no with_raw_response twin to hand its responses to
            return self._request(REPORT_DEVICE_FIRMWARE, report_request(account, device_id), options).parsed

        outcomes = run_each(ids, report, stop=stop_on_repeating, done=done)
        return {device_id: o for device_id, o in zip(ids, outcomes, strict=True) if o is not None}

    def _request(self, operation: Operation[T], request: dict[str, Any], options: RequestOptions) -> APIResponse[T]:
        call = Call(operation, request, options, self._settings.base_url, self._drift_check)
        return send(self._http, call, self._auth, gate=self._gate)


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
        strict: bool = False,
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
            strict,
        )
        self._max_concurrency = check.positive_int(max_concurrency, "max_concurrency")
        self._owns_http = http_client is None
        self._http = http_client or self._settings.own_http_client(httpx.AsyncClient)
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
        """Close the connection pool (unless it was passed in as ``http_client``); forget any cached tokens."""
        await self._auth.aclose()
        if self._owns_http:
            await self._http.aclose()

    @functools.cached_property
    def with_raw_response(self) -> AsyncFotaClientWithRawResponse:
        """The same methods, returning :class:`APIResponse` objects with status and headers."""
        return AsyncFotaClientWithRawResponse(self)

    async def list_available_firmware(
        self,
        account_id: str,
        *,
        protocol: Protocol | str = Protocol.ALL,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[FirmwarePackage]:
        """List the firmware packages available to an account, filtered by ``protocol`` (default: all).

        ``protocol`` is a :class:`Protocol` or its name or wire value in any case. ``max_retries``, ``timeout``
        and ``extra_headers`` override the client's settings for this call.
        """
        options = self._settings.options(max_retries, timeout, extra_headers)
        request = list_request(check.identifier(account_id, "account_id"), check.protocol(protocol))
        return parsed(await self._request(LIST_AVAILABLE_FIRMWARE, request, options))

    async def synchronize_device_firmware(
        self,
        account_id: str,
        device_ids: Iterable[str],
        *,
        batch_size: int = MAX_BATCH_SIZE,
        on_progress: ProgressHook | None = None,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> DeviceFirmwareList:
        """Synchronize ThingSpace with the FOTA server for any number of devices and return their firmware.

        Duplicate ids are sent once. Ids go in chunks of ``batch_size`` (at most 100, the API's limit), at most
        ``max_concurrency`` chunks at once; the results are merged in request order. After a failure no new
        chunk is started; if others succeeded, :class:`PartialSyncError` carries the results that arrived and
        the ids still to synchronise. ``on_progress(device_ids, error)`` is called after each chunk with its
        ids and None, or the error it ended with.
        """
        options = self._settings.options(max_retries, timeout, extra_headers)
        account, planned = chunks(account_id, device_ids, batch_size)
        done = chunk_progress(on_progress)

        async def sync_chunk(chunk: list[str]) -> APIResponse[DeviceFirmwareList]:
            return await self._request(SYNCHRONIZE_DEVICE_FIRMWARE, synchronize_request(account, chunk), options)

        outcomes = await run_each_async(
            planned, sync_chunk, max_concurrency=self._max_concurrency, stop=stop_on_any, done=done
        )
        return merged(merge_chunks(planned, outcomes))

    async def report_device_firmware(
        self,
        account_id: str,
        device_id: str,
        *,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> FirmwareReportRequest:
        """Ask one device to report its firmware asynchronously; the result carries the request id."""
        options = self._settings.options(max_retries, timeout, extra_headers)
        request = report_request(check.identifier(account_id, "account_id"), check.identifier(device_id, "device_id"))
        return parsed(await self._request(REPORT_DEVICE_FIRMWARE, request, options))

    async def report_device_firmware_many(
        self,
        account_id: str,
        device_ids: Iterable[str],
        *,
        on_progress: ProgressHook | None = None,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, FirmwareReportRequest | FotaError]:
        """:meth:`report_device_firmware` for each device (duplicates once), at most ``max_concurrency`` at once.

        Returns each device's result or error, in request order. A failure about one device (such as a 404) does
        not stop the others; after one that every later call would repeat (authentication, permission,
        connection, rate limit) no new call is started, and the ids not asked are missing from the result.
        ``on_progress([device_id], error)`` is called after each call. Every id and option is checked before
        anything is sent.
        """
        options = self._settings.options(max_retries, timeout, extra_headers)
        account = check.identifier(account_id, "account_id")
        ids = check.device_ids(device_ids)
        done = call_progress(on_progress)

        async def report(device_id: str) -> FirmwareReportRequest:
            # .parsed, not parsed(): a fan-out has no with_raw_response twin to hand its responses to
            response = await self._request(REPORT_DEVICE_FIRMWARE, report_request(account, device_id), options)
            return response.parsed

        outcomes = await run_each_async(
            ids, report, max_concurrency=self._max_concurrency, stop=stop_on_repeating, done=done
        )
        return {device_id: o for device_id, o in zip(ids, outcomes, strict=True) if o is not None}

    async def _request(
        self, operation: Operation[T], request: dict[str, Any], options: RequestOptions
    ) -> APIResponse[T]:
        call = Call(operation, request, options, self._settings.base_url, self._drift_check)
        return await send_async(self._http, call, self._auth, gate=self._gate)


class FotaClientWithRawResponse:
    """``FotaClient.with_raw_response``: the three operations, with the same arguments, each returning
    :class:`APIResponse` (the parsed result plus the HTTP status, headers and request id); the chunked
    synchronize returns one per chunk, in order."""

    def __init__(self, client: FotaClient) -> None:
        self.list_available_firmware = to_raw_response_wrapper(client.list_available_firmware)
        self.synchronize_device_firmware = to_raw_chunks_wrapper(client.synchronize_device_firmware)
        self.report_device_firmware = to_raw_response_wrapper(client.report_device_firmware)


class AsyncFotaClientWithRawResponse:
    """``AsyncFotaClient.with_raw_response``: the async twin of :class:`FotaClientWithRawResponse`."""

    def __init__(self, client: AsyncFotaClient) -> None:
        self.list_available_firmware = async_to_raw_response_wrapper(client.list_available_firmware)
        self.synchronize_device_firmware = async_to_raw_chunks_wrapper(client.synchronize_device_firmware)
        self.report_device_firmware = async_to_raw_response_wrapper(client.report_device_firmware)
