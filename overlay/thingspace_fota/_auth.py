"""Where the two tokens of every FOTA call come from.

A FOTA call needs ``Authorization: Bearer <OAuth access token>`` and ``VZ-M2M-Token: <session token>``.
An auth source gives the headers for a request and is told when the API answered 401, so that it can renew
what it can; the client then retries that call once.

Three sources: static tokens, callables that supply them (:class:`TokenCallablesAuth`), and credentials, from
which :class:`CredentialsAuth` / :class:`AsyncCredentialsAuth` run the whole flow: an OAuth token from the client
id and secret, then an M2M session from the user name and password. Their token and login requests go through
the same ``Call`` machinery as FOTA calls (timeouts, logging, retries of connection errors and 5xx), except that
a refused login is never retried: ThingSpace locks a contact after 5 failed logins.

Why not Authlib or httpx-auth: neither covers the session login, which needs the same caching and single flight
as the OAuth token; both send the token request outside this library's retry, timeout and logging machinery and
raise their own exception types; Authlib's httpx clients replace the user's ``http_client``; httpx-auth keeps a
process-wide token cache. The flow is two POSTs, so it is written here, sync and async alike, with one state
machine (:class:`_TokenCache`) and two thin drivers, as ``Call`` does for FOTA calls.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Awaitable, Callable
from typing import Protocol as _Protocol

import attrs

from . import _validation as check
from ._base_client import AsyncCallAuth, CallAuth, Headers
from ._constants import DEFAULT_AUTH_BASE_URL
from ._exceptions import InvalidInputError

TokenSource = str | Callable[[], str]
AsyncTokenSource = str | Callable[[], str] | Callable[[], Awaitable[str]]

M2M_HEADER = "VZ-M2M-Token"
TOKEN_ARGUMENTS = ("access_token", "m2m_token")
CREDENTIAL_ARGUMENTS = ("client_id", "client_secret", "username", "password")


class SyncAuth(CallAuth, _Protocol):
    """The auth source of a FotaClient: what a call needs (:class:`CallAuth`), and ``close``."""

    def close(self) -> None:
        """Release what the source holds."""
        ...


class AsyncAuth(AsyncCallAuth, _Protocol):
    """The auth source of an AsyncFotaClient: what a call needs (:class:`AsyncCallAuth`), and ``aclose``."""

    async def aclose(self) -> None:
        """Release what the source holds."""
        ...


def auth_headers(access_token: str, m2m_token: str) -> dict[str, str]:
    """The two headers of a FOTA call."""
    return {"Authorization": f"Bearer {access_token}", M2M_HEADER: m2m_token}


def is_header_token(value: str) -> bool:
    """Whether ``value`` can go into an auth header as it is: non-empty visible ASCII, no space."""
    return bool(value) and value.isascii() and value.isprintable() and " " not in value


def checked_token(value: object, argument: str) -> str:
    """A token value must be a non-empty string without whitespace or control characters.

    The message never quotes the value.
    """
    if not isinstance(value, str):
        raise InvalidInputError(argument, f"must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidInputError(argument, "must not be empty")
    if not is_header_token(value):
        raise InvalidInputError(argument, "must be visible ASCII characters: no whitespace, control or non-ASCII")
    return value


def check_token_source(value: object, argument: str) -> None:
    """A static token or a callable that supplies one."""
    if callable(value):
        return
    checked_token(value, argument)


def _secret_text(value: object, argument: str) -> str:
    """A non-empty string without control characters; never quoted in the message."""
    if not isinstance(value, str):
        raise InvalidInputError(argument, f"must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidInputError(argument, "must not be empty")
    if any(not ch.isprintable() and not ch.isspace() for ch in value) or any(ch in "\r\n\t" for ch in value):
        raise InvalidInputError(argument, "must not contain control characters")
    return value


def names(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: argument or variable names for a message."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


class Credentials:
    """What the credentials flow needs. The repr shows the auth base URL only."""

    __slots__ = ("auth_base_url", "client_id", "client_secret", "password", "username")

    def __init__(self, client_id: str, client_secret: str, username: str, password: str, auth_base_url: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self.auth_base_url = auth_base_url

    def __repr__(self) -> str:
        return f"Credentials(auth_base_url={self.auth_base_url!r})"

    def basic_authorization(self) -> str:
        """``Basic base64(client_id:client_secret)``, as the ThingSpace docs and the Verizon SDK send it."""
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def secrets(self) -> tuple[str, str]:
        """The values that must never be shown (the tokens are added by the cache)."""
        return (self.client_secret, self.password)


@attrs.frozen
class StaticTokens:
    """The tokens (or token callables) the user passed."""

    access_token: object = attrs.field(repr=False)
    m2m_token: object = attrs.field(repr=False)


def resolve_auth(
    *,
    access_token: object,
    m2m_token: object,
    client_id: object,
    client_secret: object,
    username: object,
    password: object,
    auth_base_url: object,
) -> StaticTokens | Credentials:
    """Which way to authenticate, from the constructor's arguments; InvalidInputError names what is missing or
    extra, and never quotes a value."""
    tokens = {"access_token": access_token, "m2m_token": m2m_token}
    credentials = {"client_id": client_id, "client_secret": client_secret, "username": username, "password": password}
    given_tokens = [name for name, value in tokens.items() if value is not None]
    given_credentials = [name for name, value in credentials.items() if value is not None]
    if given_tokens and given_credentials:
        raise InvalidInputError(
            names(given_tokens),
            f"cannot be combined with {names(given_credentials)}: authenticate with tokens (access_token and "
            "m2m_token) or with credentials (client_id, client_secret, username and password), not both",
        )
    if given_credentials:
        missing = [name for name in CREDENTIAL_ARGUMENTS if credentials[name] is None]
        if missing:
            raise InvalidInputError(
                names(missing),
                f"required with {names(given_credentials)}: the credentials flow needs client_id, "
                "client_secret, username and password",
            )
        checked_id = checked_token(client_id, "client_id")
        if ":" in checked_id:
            raise InvalidInputError("client_id", "must not contain ':' (it separates the id from the secret)")
        return Credentials(
            checked_id,
            _secret_text(client_secret, "client_secret"),
            _secret_text(username, "username"),
            _secret_text(password, "password"),
            DEFAULT_AUTH_BASE_URL if auth_base_url is None else check.base_url(auth_base_url, "auth_base_url"),
        )
    if auth_base_url is not None:
        raise InvalidInputError(
            "auth_base_url", "only applies with credentials (client_id, client_secret, username and password)"
        )
    if not given_tokens:
        raise InvalidInputError(
            "access_token and m2m_token",
            "required: give both tokens (strings or callables), or client_id, client_secret, username and password",
        )
    missing = [name for name in TOKEN_ARGUMENTS if tokens[name] is None]
    if missing:
        raise InvalidInputError(names(missing), "required: both tokens must be given (a string or a callable)")
    check_token_source(access_token, "access_token")
    check_token_source(m2m_token, "m2m_token")
    return StaticTokens(access_token, m2m_token)


class _TokenSources:
    """What the sync and async token-callables sources share: the two sources, the static headers, the repr."""

    def __init__(self, access_token: AsyncTokenSource, m2m_token: AsyncTokenSource) -> None:
        self._access = access_token
        self._m2m = m2m_token
        # Two static tokens make the same headers for every request: checked and built once.
        self._static: Headers | None = None
        if not callable(access_token) and not callable(m2m_token):
            self._static = auth_headers(
                checked_token(access_token, "access_token"), checked_token(m2m_token, "m2m_token")
            )

    def __repr__(self) -> str:
        kinds = ("callable" if callable(s) else "static" for s in (self._access, self._m2m))
        return "{}(access_token={}, m2m_token={})".format(type(self).__name__, *kinds)

    def _renewable(self) -> bool:
        # Only a callable can hand out a new token; retrying a static one would be refused again.
        return callable(self._access) or callable(self._m2m)

    def accepted(self, headers: Headers) -> None:
        return None


class TokenCallablesAuth(_TokenSources):
    """Static tokens, or callables that supply them (called before every request and again after a 401)."""

    def __init__(self, access_token: TokenSource, m2m_token: TokenSource) -> None:
        super().__init__(access_token, m2m_token)

    def headers(self) -> Headers:
        if self._static is not None:
            return self._static
        access = self._access() if callable(self._access) else self._access
        m2m = self._m2m() if callable(self._m2m) else self._m2m
        return auth_headers(checked_token(access, "access_token"), checked_token(m2m, "m2m_token"))

    def renew(self, rejected: Headers) -> bool:
        return self._renewable()

    def close(self) -> None:
        return None


class AsyncTokenCallablesAuth(_TokenSources):
    """The async twin of TokenCallablesAuth; the callables may be plain functions or coroutine functions."""

    @staticmethod
    async def _get(source: AsyncTokenSource, argument: str) -> str:
        value: object = source() if callable(source) else source
        if inspect.isawaitable(value):
            value = await value
        return checked_token(value, argument)

    async def headers(self) -> Headers:
        if self._static is not None:
            return self._static
        return auth_headers(await self._get(self._access, "access_token"), await self._get(self._m2m, "m2m_token"))

    async def renew(self, rejected: Headers) -> bool:
        return self._renewable()

    async def aclose(self) -> None:
        return None
