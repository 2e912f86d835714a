"""Where the two tokens of every FOTA call come from.

A FOTA call needs ``Authorization: Bearer <OAuth access token>`` and ``VZ-M2M-Token: <session token>``.
An auth source gives the headers for a request and is told when the API answered 401, so that it can renew
what it can; the client then retries that call once.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol as _Protocol

from ._exceptions import InvalidInputError

Headers = Mapping[str, str]
TokenSource = str | Callable[[], str]
AsyncTokenSource = str | Callable[[], str] | Callable[[], Awaitable[str]]

M2M_HEADER = "VZ-M2M-Token"


class SyncAuth(_Protocol):
    """The auth source of a FotaClient."""

    def headers(self) -> Headers:
        """The auth headers for the next request."""
        ...

    def renew(self, rejected: Headers) -> bool:
        """The API answered 401 to ``rejected``; renew and say whether a retry may succeed."""
        ...

    def close(self) -> None:
        """Release what the source holds."""
        ...


class AsyncAuth(_Protocol):
    """The auth source of an AsyncFotaClient."""

    async def headers(self) -> Headers:
        """The auth headers for the next request."""
        ...

    async def renew(self, rejected: Headers) -> bool:
        """The API answered 401 to ``rejected``; renew and say whether a retry may succeed."""
        ...

    async def aclose(self) -> None:
        """Release what the source holds."""
        ...


def auth_headers(access_token: str, m2m_token: str) -> dict[str, str]:
    """The two headers of a FOTA call."""
    return {"Authorization": f"Bearer {access_token}", M2M_HEADER: m2m_token}


def checked_token(value: object, argument: str) -> str:
    """A token value must be a non-empty string without whitespace or control characters.

    The message never quotes the value.
    """
    if not isinstance(value, str):
        raise InvalidInputError(argument, f"must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidInputError(argument, "must not be empty")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise InvalidInputError(argument, "must not contain whitespace or control characters")
    return value


def check_token_source(value: object, argument: str) -> None:
    """A static token or a callable that supplies one."""
    if callable(value):
        return
    checked_token(value, argument)


class TokenCallablesAuth:
    """Static tokens, or callables that supply them (called before every request and again after a 401)."""

    def __init__(self, access_token: TokenSource, m2m_token: TokenSource) -> None:
        self._access = access_token
        self._m2m = m2m_token

    def headers(self) -> Headers:
        access = self._access() if callable(self._access) else self._access
        m2m = self._m2m() if callable(self._m2m) else self._m2m
        return auth_headers(checked_token(access, "access_token"), checked_token(m2m, "m2m_token"))

    def renew(self, rejected: Headers) -> bool:
        # Only a callable can hand out a new token; retrying a static one would be refused again.
        return callable(self._access) or callable(self._m2m)

    def close(self) -> None:
        return None


class AsyncTokenCallablesAuth:
    """The async twin of TokenCallablesAuth; the callables may be plain functions or coroutine functions."""

    def __init__(self, access_token: AsyncTokenSource, m2m_token: AsyncTokenSource) -> None:
        self._access = access_token
        self._m2m = m2m_token

    @staticmethod
    async def _get(source: AsyncTokenSource, argument: str) -> str:
        value: object = source() if callable(source) else source
        if inspect.isawaitable(value):
            value = await value
        return checked_token(value, argument)

    async def headers(self) -> Headers:
        return auth_headers(await self._get(self._access, "access_token"), await self._get(self._m2m, "m2m_token"))

    async def renew(self, rejected: Headers) -> bool:
        return callable(self._access) or callable(self._m2m)

    async def aclose(self) -> None:
        return None
