"""The request machinery shared by FotaClient and AsyncFotaClient, modelled on openai-python's _base_client.py.

One :class:`Call` holds the state of one API call across its attempts and decides, from each answer, whether the
call is done (:class:`Done`), must be retried after a delay (:class:`Retry`), or needs renewed tokens
(:class:`Renew`). :func:`send` and :func:`send_async` only do the I/O and the sleeping, with one auth object
(:class:`CallAuth`) that gives the headers of each attempt, so both clients behave the same by construction.
Each loop has one place before each attempt (``call.build``) and one after each answer (``call.answered`` or
``call.failed``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, Generic, Protocol, TypeVar

import attrs
import httpx

from ._constants import RETRY_STATUSES
from ._decode import NotJSONError, decode_json
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ResponseValidationError,
    make_status_error,
    request_id_of,
)
from ._generated import Operation
from ._logs import logger
from ._models import APIResponse
from ._ratelimit import MAX_FREE_RETRIES, RateGate
from ._reading import DriftCheck, ShapeError
from ._redact import loggable_body, mask, mask_optional, redact, secrets_of
from ._retries import backoff_delay, parse_retry_after
from ._settings import RequestOptions

T = TypeVar("T")
Headers = Mapping[str, str]


class CallAuth(Protocol):
    """Where the auth headers of a call's attempts come from (sync)."""

    def headers(self) -> Headers:
        """The auth headers for the next attempt."""
        ...

    def renew(self, rejected: Headers) -> bool:
        """The API answered 401 to ``rejected``; renew and say whether one more attempt may succeed."""
        ...

    def accepted(self, headers: Headers) -> None:
        """A call succeeded with ``headers``."""
        ...


class AsyncCallAuth(Protocol):
    """The async twin of :class:`CallAuth`."""

    async def headers(self) -> Headers:
        """The auth headers for the next attempt."""
        ...

    async def renew(self, rejected: Headers) -> bool:
        """The API answered 401 to ``rejected``; renew and say whether one more attempt may succeed."""
        ...

    def accepted(self, headers: Headers) -> None:
        """A call succeeded with ``headers``."""
        ...


@attrs.frozen
class Done(Generic[T]):
    """The call is over: its response."""

    response: APIResponse[T]


@attrs.frozen
class Retry:
    """Try again after ``delay`` seconds."""

    delay: float


@attrs.frozen
class Renew:
    """The API answered 401: renew the tokens and try once more, or raise ``error``."""

    error: APIStatusError


Step = Done[Any] | Retry | Renew


class Call(Generic[T]):
    """One API call across its attempts: builds each request and judges each answer."""

    # JSON request bodies are logged at DEBUG (redacted); the auth calls, which carry secrets, turn this off.
    log_request_body = True
    # The seconds of the last answer's Retry-After (None without one, or for a status that is not retried): read
    # once per answer by the send loop (:func:`_observe`), for the rate gate and for :meth:`answered`.
    server_wait: float | None = None

    def __init__(
        self,
        operation: Operation[T],
        request: dict[str, Any],
        options: RequestOptions,
        base_url: str,
        drift_check: DriftCheck | None = None,
    ) -> None:
        self.operation = operation
        self.drift_check = drift_check  # the client's: logs each deviation once, refuses drift when strict
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
        self.secrets = secrets_of(auth, self.secrets)
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

    def log_answer(self, response: httpx.Response) -> None:
        """The request line at INFO; the body at DEBUG, redacted and with any echoed auth value masked."""
        self._log(str(response.status_code), response)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s response body: %s", self.operation.what, mask(loggable_body(response), self.secrets))

    def _retry(self, reason: str, server_wait: float | None = None) -> Retry | None:
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
        return Retry(delay)

    def failed(self, exc: httpx.RequestError) -> Retry:
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

    def answered(self, response: httpx.Response) -> Done[T] | Retry | Renew:
        """Judge an answer: parse a 2xx, retry a retryable status, renew on 401, raise anything else."""
        status = response.status_code
        self.log_answer(response)
        if 200 <= status < 300:
            return Done(self.parse(response))
        what = self.operation.what
        if status == 401 and not self.renewed:
            self.renewed = True
            return Renew(self._status_error(response))
        if status in RETRY_STATUSES:
            server_wait = self.server_wait
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

    def parse(self, response: httpx.Response) -> APIResponse[T]:
        """The one place where a 2xx body becomes the result: JSON decoding, then the operation's reader, whose
        drift (every deviation from the spec) goes to the client's ``drift_check`` and into the response."""
        what = self.operation.what
        if not response.content:
            raise ResponseValidationError(
                f"{what} returned HTTP {response.status_code} with an empty body", response=response
            )
        try:
            data = decode_json(response)
        except NotJSONError:
            raise ResponseValidationError(
                f"{what} returned HTTP {response.status_code} with a body that is not JSON", response=response
            ) from None
        try:
            parsed, drift = self.operation.read(data, self.json)
        except ShapeError as exc:
            raise ResponseValidationError(
                f"{what} returned a body that does not fit the contract: {exc}", response=response, drift=exc.drift
            ) from None
        if drift and self.drift_check is not None:
            self.drift_check(what, drift, response)
        return APIResponse(parsed, response, drift)


def _has_request(exc: httpx.RequestError) -> bool:
    try:
        exc.request  # noqa: B018 - httpx raises RuntimeError when no request is attached
    except RuntimeError:
        return False
    return True


def _refuse_if_closed(http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> None:
    """A closed client (``close()``/``aclose()``, or a closed ``http_client``) sends nothing: a FotaError rather
    than httpx's bare RuntimeError."""
    if http.is_closed:
        raise APIConnectionError(f"{call.operation.what} was not sent: the client is closed")


def _observe(call: Call[Any], response: httpx.Response, gate: RateGate | None) -> None:
    """Before the call judges an answer: read its ``Retry-After`` once (for a retryable status only) and let the
    client's rate gate learn from the answer."""
    status = response.status_code
    call.server_wait = parse_retry_after(response.headers) if status in RETRY_STATUSES else None
    if gate is not None:
        call.shared = gate.observe(status, call.server_wait, call.started)


def send(http: httpx.Client, call: Call[T], auth: CallAuth, *, gate: RateGate | None = None) -> APIResponse[T]:
    """Run one call to its end on a sync client: every attempt gets fresh ``auth.headers()``; after a 401,
    ``auth.renew(the rejected headers)`` says whether one more attempt may succeed; ``auth.accepted(headers)``
    hears of the success; the client's rate ``gate`` lets each attempt go and hears of each answer (the token
    and login calls have none)."""
    while True:
        _refuse_if_closed(http, call)
        if gate is not None:
            gate.wait()
        headers = auth.headers()
        request = call.build(http, headers)
        step: Done[T] | Retry | Renew
        try:
            response = http.send(request, follow_redirects=False)  # never carry the tokens elsewhere
        except httpx.RequestError as exc:
            step = call.failed(exc)
        else:
            _observe(call, response, gate)
            step = call.answered(response)
        if isinstance(step, Done):
            auth.accepted(headers)
            return step.response
        if isinstance(step, Renew):
            if not auth.renew(headers):
                raise step.error
            continue
        time.sleep(step.delay)


async def send_async(
    http: httpx.AsyncClient, call: Call[T], auth: AsyncCallAuth, *, gate: RateGate | None = None
) -> APIResponse[T]:
    """The async twin of :func:`send`."""
    import asyncio  # noqa: PLC0415 - lazily: `import thingspace_fota` need not load asyncio

    while True:
        _refuse_if_closed(http, call)
        if gate is not None:
            await gate.wait_async()
        headers = await auth.headers()
        request = call.build(http, headers)
        step: Done[T] | Retry | Renew
        try:
            response = await http.send(request, follow_redirects=False)  # never carry the tokens elsewhere
        except httpx.RequestError as exc:
            step = call.failed(exc)
        else:
            _observe(call, response, gate)
            step = call.answered(response)
        if isinstance(step, Done):
            auth.accepted(headers)
            return step.response
        if isinstance(step, Renew):
            if not await auth.renew(headers):
                raise step.error
            continue
        await asyncio.sleep(step.delay)
