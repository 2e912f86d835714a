"""The request machinery shared by FotaClient and AsyncFotaClient, modelled on openai-python's _base_client.py.

One ``_Call`` holds the state of one API call across its attempts and decides, from each answer, whether the call
is done, must be retried after a delay, or needs renewed tokens. The sync and async loops only do the I/O and
the sleeping, so both clients behave the same by construction.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import re
import time
import urllib.request  # already imported by httpx
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import attrs
import httpx

from . import _validation as check
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    FotaError,
    InvalidInputError,
    PartialSyncError,
    ResponseValidationError,
    make_status_error,
    request_id_of,
)
from ._logs import REDACTED, logger, redact
from ._models import APIResponse, DeviceFirmwareList
from ._operations import Operation, ShapeError
from ._ratelimit import MAX_FREE_RETRIES, RateGate, checked_rate
from ._transports import GatedTransport, ShardedAsyncTransport
from ._version import __version__

T = TypeVar("T")

DEFAULT_BASE_URL = "https://thingspace.verizon.com/api/fota/v3"
STAGING_BASE_URL = "https://staging.thingspace.verizon.com/api/fota/v3"
DEFAULT_AUTH_BASE_URL = "https://thingspace.verizon.com/api"
STAGING_AUTH_BASE_URL = "https://staging.thingspace.verizon.com/api"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_WAIT = 60.0
DEFAULT_MAX_CONNECTIONS = 64
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
JITTER = 0.25
USER_AGENT = f"thingspace-fota/{__version__} python-httpx/{httpx.__version__}"


@attrs.frozen
class RequestOptions:
    """Per-call settings, resolved from the client's defaults and the call's keyword arguments."""

    max_retries: int
    timeout: httpx.Timeout
    extra_headers: Mapping[str, str]
    max_retry_wait: float


@attrs.frozen
class _Done(Generic[T]):
    response: APIResponse[T]


@attrs.frozen
class _Retry:
    delay: float


@attrs.frozen
class _Renew:
    """The API answered 401: renew the tokens and try once more, or raise ``error``."""

    error: APIStatusError


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``; None if absent."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return max(value, 0.0)
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max((when - datetime.now(UTC)).total_seconds(), 0.0)
    return max(value, 0.0) if math.isfinite(value) else None


def backoff_delay(retries_done: int) -> float:
    """Exponential backoff with jitter: ``min(0.5 * 2**n, 8)`` seconds, less up to 25 %."""
    base: float = min(INITIAL_RETRY_DELAY * 2**retries_done, MAX_RETRY_DELAY)
    return base * (1 - JITTER * random.random())  # noqa: S311 - jitter, not cryptography


class _Call(Generic[T]):
    """One API call across its attempts: builds each request and judges each answer."""

    # JSON request bodies are logged at DEBUG (redacted); the auth calls, which carry secrets, turn this off.
    log_request_body = True

    def __init__(
        self, operation: Operation[T], request: dict[str, Any], options: RequestOptions, base_url: str
    ) -> None:
        self.operation = operation
        self.options = options
        self.method: str = request["method"].upper()
        self.url = base_url + request["url"]
        self.params: Mapping[str, Any] | None = request.get("params") or None
        self.json: Any = request.get("json")
        self.data: Mapping[str, Any] | None = request.get("data")  # a form body
        self.headers: Mapping[str, str] = request.get("headers") or {}  # e.g. the body's content type
        self.attempt = 0
        self.retries_done = 0
        self.renewed = False
        self.started = 0.0
        # Set by the rate gate: the last answer refused this call with others of the client; waiting that out
        # costs none of the call's retries (at most MAX_FREE_RETRIES times).
        self.shared = False
        self.free_retries = 0
        # Values of the auth headers sent: masked in logged bodies and error messages should the server echo one.
        self.secrets: tuple[str, ...] = ()

    @property
    def attempts(self) -> int:
        """Attempts this call may make: the retries, plus one after renewed tokens."""
        return self.options.max_retries + 1 + self.renewed + self.free_retries

    def build(self, http: httpx.Client | httpx.AsyncClient, auth: Mapping[str, str]) -> httpx.Request:
        self.attempt += 1
        self.secrets = _secrets_of(auth, self.secrets)
        if self.log_request_body and self.json is not None and self.attempt == 1 and logger.isEnabledFor(logging.DEBUG):
            body = mask(json.dumps(redact(self.json)), self.secrets)
            logger.debug("%s request body: %s", self.operation.what, body)
        request = http.build_request(
            self.method,
            self.url,
            params=self.params,
            json=self.json,
            data=self.data,
            headers={**self.options.extra_headers, **self.headers, **auth},
            timeout=self.options.timeout,
        )
        self.started = time.monotonic()
        return request

    def _log(self, outcome: str, response: httpx.Response | None = None) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        elapsed_ms = (time.monotonic() - self.started) * 1000
        request_id = request_id_of(response) if response is not None else None
        logger.info(
            "%s -> %s in %.1f ms (attempt %d/%d%s)",
            self.operation.what,
            outcome,
            elapsed_ms,
            self.attempt,
            self.attempts,
            f", request id {request_id}" if request_id else "",
        )

    def _log_answer(self, response: httpx.Response) -> None:
        """The request line at INFO; the body at DEBUG, redacted and with any echoed auth value masked."""
        self._log(str(response.status_code), response)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s response body: %s", self.operation.what, mask(_loggable_body(response), self.secrets))

    def _retry(self, reason: str, server_wait: float | None = None) -> _Retry | None:
        """A retry after ``reason``, or None when the call has used all its retries."""
        free, self.shared = self.shared and self.free_retries < MAX_FREE_RETRIES, False
        if not free and self.retries_done >= self.options.max_retries:
            return None
        delay = server_wait if server_wait is not None else backoff_delay(self.retries_done)
        if free:
            self.free_retries += 1
        else:
            self.retries_done += 1
        logger.info(
            "%s: retrying in %.2f s because of %s (attempt %d/%d next)",
            self.operation.what,
            delay,
            reason,
            self.attempt + 1,
            self.attempts,
        )
        return _Retry(delay)

    def failed(self, exc: httpx.RequestError) -> _Retry:
        """The request got no answer; retry or raise APIConnectionError / APITimeoutError."""
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection error"
        self._log(f"{kind} ({type(exc).__name__})")
        retry = self._retry(f"{kind} ({type(exc).__name__})")
        if retry is not None:
            return retry
        detail = mask(str(exc), self.secrets)[:200] or type(exc).__name__
        message = f"{self.operation.what} {kind} after {self.attempt} attempt(s): {detail}"
        error_cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        raise error_cls(message, request=exc.request if _has_request(exc) else None) from exc

    def answered(self, response: httpx.Response) -> _Done[T] | _Retry | _Renew:
        """Judge an answer: parse a 2xx, retry a retryable status, renew on 401, raise anything else."""
        status = response.status_code
        self._log_answer(response)
        if 200 <= status < 300:
            return _Done(APIResponse(self._parse(response), response))
        what = self.operation.what
        if status == 401 and not self.renewed:
            self.renewed = True
            return _Renew(self._status_error(response))
        if status in RETRY_STATUSES:
            server_wait = parse_retry_after(response.headers)
            if server_wait is not None and server_wait > self.options.max_retry_wait:
                logger.info(
                    "%s: server asks to wait %.1f s, above the cap of %.1f s; not retrying",
                    what,
                    server_wait,
                    self.options.max_retry_wait,
                )
                raise self._status_error(response, server_wait)
            retry = self._retry(f"HTTP {status}", server_wait)
            if retry is not None:
                return retry
            raise self._status_error(response, server_wait)
        raise self._status_error(response)

    def _status_error(self, response: httpx.Response, retry_after: float | None = None) -> APIStatusError:
        """The typed error of a non-2xx answer, with any auth header value the server echoed masked."""
        error = make_status_error(response, what=self.operation.what, retry_after=retry_after)
        if self.secrets:
            error.args = tuple(mask(a, self.secrets) if isinstance(a, str) else a for a in error.args)
            error.error_code = mask_optional(error.error_code, self.secrets)
            error.error_message = mask_optional(error.error_message, self.secrets)
        return error

    def _parse(self, response: httpx.Response) -> T:
        what = self.operation.what
        if not response.content:
            raise ResponseValidationError(
                f"{what} returned HTTP {response.status_code} with an empty body", response=response
            )
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise ResponseValidationError(
                f"{what} returned HTTP {response.status_code} with a body that is not JSON", response=response
            ) from None
        try:
            return self.operation.parse(data)
        except ShapeError as exc:
            raise ResponseValidationError(
                f"{what} returned a body that does not fit the contract: {exc}", response=response
            ) from None


def _has_request(exc: httpx.RequestError) -> bool:
    try:
        exc.request  # noqa: B018 - httpx raises RuntimeError when no request is attached
    except RuntimeError:
        return False
    return True


# Shorter values are not masked: replacing every occurrence of a short word would garble messages, and a real
# access or session token is far longer.
MIN_MASKED_LENGTH = 8


def _secrets_of(auth: Mapping[str, str], known: tuple[str, ...]) -> tuple[str, ...]:
    """``known`` plus the auth header values, each also without its scheme (``Bearer``), longest first."""
    found = set(known)
    for value in auth.values():
        found.add(value)
        scheme, _, credential = value.partition(" ")
        if credential and scheme.isalpha():
            found.add(credential.strip())
    return tuple(sorted((s for s in found if len(s) >= MIN_MASKED_LENGTH), key=len, reverse=True))


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[redacted]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def mask_optional(text: str | None, secrets: Iterable[str]) -> str | None:
    return None if text is None else mask(text, secrets)


def _loggable_body(response: httpx.Response) -> str:
    try:
        return json.dumps(redact(response.json()))[:4000]
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return f"<{len(response.content)} bytes of {response.headers.get('content-type', 'unknown type')}>"


class ClientSettings:
    """Validated settings common to both clients, and the per-call option resolution."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float | httpx.Timeout,
        max_retries: int,
        max_retry_wait: float,
        max_connections: int,
        default_headers: Mapping[str, str] | None,
        max_rate: float | None = None,
    ) -> None:
        self.base_url = check.base_url(base_url)
        self.max_rate = None if max_rate is None else checked_rate(max_rate)
        self.timeout = check.timeout(timeout)
        self.max_retries = check.positive_int(max_retries, "max_retries", minimum=0)
        self.max_retry_wait = check.seconds(max_retry_wait, "max_retry_wait")
        self.max_connections = check.positive_int(max_connections, "max_connections")
        library_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self.default_headers = {**library_headers, **_headers(default_headers, "default_headers")}
        # The options of a call that overrides nothing: built once, not on every call.
        self.default_options = RequestOptions(self.max_retries, self.timeout, self.default_headers, self.max_retry_wait)
        # The token and login calls: the same settings, without the user's default_headers, which are for the
        # FOTA API (a mock's `Prefer` header, an API gateway's key) and are not the auth server's business.
        self.auth_options = RequestOptions(self.max_retries, self.timeout, library_headers, self.max_retry_wait)

    def httpx_args(self, *, sync: bool = False) -> dict[str, Any]:
        """Arguments of the httpx client the library makes when the user does not pass one.

        With ``sync=True`` (for an ``httpx.Client``) the transport lets at most ``max_connections`` requests into
        the connection pool at once (:class:`GatedTransport`); otherwise (for an ``httpx.AsyncClient``) the
        ``max_connections`` are split into small pools (:class:`ShardedAsyncTransport`).
        """
        if any(scheme != "no" for scheme in urllib.request.getproxies_environment()):
            # An httpx client given a transport ignores HTTP(S)_PROXY/ALL_PROXY: behind a proxy, keep httpx's own
            # transports (and its proxy handling) rather than the pool work-arounds below.
            limits = httpx.Limits(max_connections=self.max_connections, max_keepalive_connections=self.max_connections)
            return {"timeout": self.timeout, "limits": limits, "follow_redirects": False}
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport
        if sync:
            limits = httpx.Limits(max_connections=self.max_connections, max_keepalive_connections=self.max_connections)
            transport = GatedTransport(httpx.HTTPTransport(limits=limits), self.max_connections)
        else:
            transport = ShardedAsyncTransport(self.max_connections)
        return {"timeout": self.timeout, "transport": transport, "follow_redirects": False}

    def options(
        self,
        max_retries: int | None,
        timeout: float | httpx.Timeout | None,
        extra_headers: Mapping[str, str] | None,
    ) -> RequestOptions:
        if max_retries is None and timeout is None and extra_headers is None:
            return self.default_options
        return RequestOptions(
            max_retries=self.max_retries
            if max_retries is None
            else check.positive_int(max_retries, "max_retries", minimum=0),
            timeout=self.timeout if timeout is None else check.timeout(timeout),
            extra_headers={**self.default_headers, **_headers(extra_headers, "extra_headers")},
            max_retry_wait=self.max_retry_wait,
        )


_RESERVED_HEADERS = frozenset({"authorization", "vz-m2m-token"})
# RFC 9110 field names are tokens; values are visible ASCII, spaces and tabs (no CR, LF or NUL: no injection).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?")  # and no space at either end


def _headers(value: Mapping[str, str] | None, argument: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(argument, f"must be a mapping of header names to values, not {type(value).__name__}")
    result: dict[str, str] = {}
    for name, header_value in value.items():
        if not isinstance(name, str) or not isinstance(header_value, str):
            raise InvalidInputError(argument, "header names and values must be strings")
        if not _HEADER_NAME.fullmatch(name):
            raise InvalidInputError(argument, f"{name[:40]!r} is not a valid header name")
        where = f"{argument}[{name!r}]"
        if name.lower() in _RESERVED_HEADERS:
            raise InvalidInputError(where, "auth headers are set by the client; pass access_token/m2m_token instead")
        # The value is never quoted: it may be a secret.
        if not _HEADER_VALUE.fullmatch(header_value):
            raise InvalidInputError(
                where, "a header value must be printable ASCII, without line breaks or spaces at either end"
            )
        result[name] = header_value
    return result


def chunked(device_ids: Sequence[str], batch_size: int) -> list[list[str]]:
    """Consecutive chunks of at most ``batch_size`` ids."""
    return [list(device_ids[i : i + batch_size]) for i in range(0, len(device_ids), batch_size)]


def merge_chunks(
    chunks: Sequence[Sequence[str]],
    outcomes: Sequence[APIResponse[DeviceFirmwareList] | FotaError | None],
    account_id: str,
) -> list[APIResponse[DeviceFirmwareList]]:
    """The chunk responses in order, or the error that keeps every result and every id not synchronised.

    ``outcomes[i]`` is chunk i's response, its error, or None when it was never sent (an earlier chunk failed).
    """
    done = [o for o in outcomes if isinstance(o, APIResponse)]
    errors = [o for o in outcomes if isinstance(o, FotaError)]
    if not errors:
        return done
    if not done:
        raise errors[0]
    pending = [i for chunk, o in zip(chunks, outcomes, strict=True) if not isinstance(o, APIResponse) for i in chunk]
    partial = merge_results(done)
    raise PartialSyncError(result=partial, pending_device_ids=pending, error=errors[0]) from errors[0]


def merge_results(responses: Sequence[APIResponse[DeviceFirmwareList]]) -> DeviceFirmwareList:
    """One DeviceFirmwareList from the chunk results, devices in request order."""
    # Never empty: the device list is checked non-empty before anything is sent, and every chunk answers.
    return DeviceFirmwareList(
        account_name=responses[0].parsed.account_name,
        devices=[device for r in responses for device in r.parsed.devices],
    )


def send(
    http: httpx.Client,
    call: _Call[T],
    headers: Callable[[], Mapping[str, str]],
    renew: Callable[[Mapping[str, str]], bool],
    accepted: Callable[[Mapping[str, str]], None] | None = None,
    *,
    gate: RateGate | None = None,
) -> APIResponse[T]:
    """Run one call to its end on a sync client: every attempt gets fresh auth ``headers()``; after a 401,
    ``renew(the rejected headers)`` says whether one more attempt may succeed; ``accepted(headers)`` hears
    of each success; the client's rate ``gate`` lets each attempt go and hears of each answer."""
    while True:
        if gate is not None:
            gate.wait()
        auth = headers()
        request = call.build(http, auth)
        step: _Done[T] | _Retry | _Renew
        try:
            response = http.send(request, follow_redirects=False)  # never carry the tokens elsewhere
        except httpx.RequestError as exc:
            step = call.failed(exc)
        else:
            if gate is not None:
                call.shared = gate.observe(response.status_code, response.headers, call.started)
            step = call.answered(response)
        if isinstance(step, _Done):
            if accepted is not None:
                accepted(auth)
            return step.response
        if isinstance(step, _Renew):
            if not renew(auth):
                raise step.error
            continue
        time.sleep(step.delay)


async def send_async(
    http: httpx.AsyncClient,
    call: _Call[T],
    headers: Callable[[], Awaitable[Mapping[str, str]]],
    renew: Callable[[Mapping[str, str]], Awaitable[bool]],
    accepted: Callable[[Mapping[str, str]], None] | None = None,
    *,
    gate: RateGate | None = None,
) -> APIResponse[T]:
    """The async twin of :func:`send`."""
    import asyncio  # noqa: PLC0415 - lazily: `import thingspace_fota` need not load asyncio

    while True:
        if gate is not None:
            await gate.wait_async()
        auth = await headers()
        request = call.build(http, auth)
        step: _Done[T] | _Retry | _Renew
        try:
            response = await http.send(request, follow_redirects=False)  # never carry the tokens elsewhere
        except httpx.RequestError as exc:
            step = call.failed(exc)
        else:
            if gate is not None:
                call.shared = gate.observe(response.status_code, response.headers, call.started)
            step = call.answered(response)
        if isinstance(step, _Done):
            if accepted is not None:
                accepted(auth)
            return step.response
        if isinstance(step, _Renew):
            if not await renew(auth):
                raise step.error
            continue
        await asyncio.sleep(step.delay)
