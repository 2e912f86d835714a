"""The clients :meth:`FakeFota.client` and :meth:`FakeFota.async_client` return when they make the httpx client.

A FotaClient never closes an ``http_client`` it was given (the caller owns it). The fake makes one for each client
it returns, and nobody else holds it: these subclasses close it when the client is closed.
"""

from __future__ import annotations

from typing import Any

import httpx

from .._client import AsyncFotaClient, FotaClient


class _FakeFotaClient(FotaClient):
    """A FotaClient on the fake's transport that closes its httpx client when it is closed."""

    def __init__(self, *, http_client: httpx.Client, **kwargs: Any) -> None:
        super().__init__(http_client=http_client, **kwargs)
        self._fake_http = http_client

    def close(self) -> None:
        """Close the client and the httpx client the fake made for it."""
        try:
            super().close()
        finally:
            self._fake_http.close()


class _AsyncFakeFotaClient(AsyncFotaClient):
    """The async twin of :class:`_FakeFotaClient`."""

    def __init__(self, *, http_client: httpx.AsyncClient, **kwargs: Any) -> None:
        super().__init__(http_client=http_client, **kwargs)
        self._fake_http = http_client

    async def aclose(self) -> None:
        """Close the client and the httpx client the fake made for it."""
        try:
            await super().aclose()
        finally:
            await self._fake_http.aclose()


def fake_client(kwargs: dict[str, Any], transport: httpx.BaseTransport) -> FotaClient:
    """A FotaClient from ``kwargs``; without an ``http_client`` in them, on one of its own over ``transport``."""
    if kwargs.get("http_client") is not None:
        return FotaClient(**kwargs)
    http = httpx.Client(transport=transport)
    try:
        return _FakeFotaClient(**{**kwargs, "http_client": http})
    except BaseException:  # bad input: nothing will close it otherwise
        http.close()
        raise


def async_fake_client(kwargs: dict[str, Any], transport: httpx.AsyncBaseTransport) -> AsyncFotaClient:
    """The async twin of :func:`fake_client`."""
    if kwargs.get("http_client") is not None:
        return AsyncFotaClient(**kwargs)
    # On bad input the httpx client is dropped unclosed: its transport is the fake's, which holds no connection,
    # and aclose would need an event loop.
    return _AsyncFakeFotaClient(**{**kwargs, "http_client": httpx.AsyncClient(transport=transport)})
