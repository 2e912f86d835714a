"""The validated settings of a client, the options of each call, and the httpx client the library makes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
import httpx

from . import _validation as check
from ._constants import USER_AGENT
from ._ratelimit import checked_rate
from ._transports import client_transports

H = TypeVar("H", httpx.Client, httpx.AsyncClient)


@attrs.frozen
class RequestOptions:
    """Per-call settings, resolved from the client's defaults and the call's keyword arguments."""

    max_retries: int
    timeout: httpx.Timeout
    extra_headers: Mapping[str, str]
    max_retry_wait: float


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
        self.library_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self.user_headers = check.headers(default_headers, "default_headers")
        self._options_with(self.library_headers)

    def _options_with(self, library_headers: Mapping[str, str]) -> None:
        """Build the options of calls that override nothing, sending ``library_headers`` with each request."""
        # The headers of every FOTA call, under the call's own extra_headers.
        self.default_headers = {**library_headers, **self.user_headers}
        # The options of a call that overrides nothing: built once, not on every call.
        self.default_options = RequestOptions(self.max_retries, self.timeout, self.default_headers, self.max_retry_wait)
        # The token and login calls: the same settings, without the user's default_headers, which are for the
        # FOTA API (a mock's `Prefer` header, an API gateway's key) and are not the auth server's business.
        self.auth_options = RequestOptions(self.max_retries, self.timeout, library_headers, self.max_retry_wait)

    def own_http_client(self, cls: type[H], *, sync: bool = False) -> H:
        """The httpx client (``cls``) a client makes when the user passes none, from :meth:`httpx_args`.

        It sends the library's headers (Accept, User-Agent) itself, as its defaults, so the calls no longer add
        them to each request: httpx merges every per-request header into the client's, one by one, about 4 µs a
        header. The headers sent are the same.
        """
        http = cls(**self.httpx_args(sync=sync))
        self._options_with({})
        return http

    def httpx_args(self, *, sync: bool = False) -> dict[str, Any]:
        """Arguments of the httpx client the library makes when the user does not pass one.

        With ``sync=True`` (for an ``httpx.Client``) the transport lets at most ``max_connections`` requests into
        the connection pool at once (:class:`GatedTransport`); otherwise (for an ``httpx.AsyncClient``) the
        ``max_connections`` are split into small pools (:class:`ShardedAsyncTransport`). Behind a proxy from the
        environment, every route gets the same protections and they share ``max_connections``.
        """
        transports = client_transports(self.max_connections, sync=sync)
        return {"timeout": self.timeout, "follow_redirects": False, "headers": self.library_headers, **transports}

    def options(
        self,
        max_retries: int | None,
        timeout: float | httpx.Timeout | None,
        extra_headers: Mapping[str, str] | None,
    ) -> RequestOptions:
        """The options of one call: the client's, with what the call overrides."""
        if max_retries is None and timeout is None and extra_headers is None:
            return self.default_options
        return RequestOptions(
            max_retries=self.max_retries
            if max_retries is None
            else check.positive_int(max_retries, "max_retries", minimum=0),
            timeout=self.timeout if timeout is None else check.timeout(timeout),
            extra_headers={**self.default_headers, **check.headers(extra_headers, "extra_headers")},
            max_retry_wait=self.max_retry_wait,
        )
