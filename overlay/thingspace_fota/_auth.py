"""Where the two tokens of every FOTA call come from.

A FOTA call needs ``Authorization: Bearer <OAuth access token>`` and ``VZ-M2M-Token: <session token>``.
An auth source gives the headers for a request and is told when the API answered 401, so that it can renew
what it can; the client then retries that call once.

Three sources: static tokens, callables that supply them (:class:`TokenCallablesAuth`), and credentials, from
which :class:`CredentialsAuth` / :class:`AsyncCredentialsAuth` run the whole flow: an OAuth token from the client
id and secret, then an M2M session from the user name and password. Their token and login requests go through
the same ``_Call`` machinery as FOTA calls (timeouts, logging, retries of connection errors and 5xx), except that
a refused login is never retried: ThingSpace locks a contact after 5 failed logins.

Why not Authlib or httpx-auth: neither covers the session login, which needs the same caching and single flight
as the OAuth token; both send the token request outside this library's retry, timeout and logging machinery and
raise their own exception types; Authlib's httpx clients replace the user's ``http_client``; httpx-auth keeps a
process-wide token cache. The flow is two POSTs, so it is written here, sync and async alike, with one state
machine (:class:`_TokenCache`) and two thin drivers, as ``_Call`` does for FOTA calls.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, Literal
from typing import Protocol as _Protocol

import attrs
import httpx

from . import _validation as check
from ._auth_operations import (
    DEFAULT_AUTH_BASE_URL,
    GET_ACCESS_TOKEN,
    LOG_IN,
    AccessToken,
    access_token_request,
    login_request,
)
from ._base_client import ClientSettings, RequestOptions, _Call, _Done, _loggable_body, _Renew, _Retry
from ._exceptions import (
    AuthenticationError,
    ClientCredentialsRefusedError,
    FotaError,
    InvalidInputError,
    LoginRefusedError,
    make_auth_error,
)
from ._logs import logger
from ._operations import Operation

Headers = Mapping[str, str]
TokenSource = str | Callable[[], str]
AsyncTokenSource = str | Callable[[], str] | Callable[[], Awaitable[str]]

M2M_HEADER = "VZ-M2M-Token"
TOKEN_ARGUMENTS = ("access_token", "m2m_token")
CREDENTIAL_ARGUMENTS = ("client_id", "client_secret", "username", "password")
# The access token is renewed this long before it runs out (or halfway through a shorter lifetime).
RENEW_MARGIN = 60.0
_REDACTED = "[redacted]"


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
    if not (value.isascii() and value.isprintable()) or " " in value:
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


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


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
            _names(given_tokens),
            f"cannot be combined with {_names(given_credentials)}: authenticate with tokens (access_token and "
            "m2m_token) or with credentials (client_id, client_secret, username and password), not both",
        )
    if given_credentials:
        missing = [name for name in CREDENTIAL_ARGUMENTS if credentials[name] is None]
        if missing:
            raise InvalidInputError(
                _names(missing),
                f"required with {_names(given_credentials)}: the credentials flow needs client_id, "
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
        raise InvalidInputError(_names(missing), "required: both tokens must be given (a string or a callable)")
    check_token_source(access_token, "access_token")
    check_token_source(m2m_token, "m2m_token")
    return StaticTokens(access_token, m2m_token)


class TokenCallablesAuth:
    """Static tokens, or callables that supply them (called before every request and again after a 401)."""

    def __init__(self, access_token: TokenSource, m2m_token: TokenSource) -> None:
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
        return "TokenCallablesAuth(access_token={}, m2m_token={})".format(*kinds)

    def headers(self) -> Headers:
        if self._static is not None:
            return self._static
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

    def __repr__(self) -> str:
        kinds = ("callable" if callable(s) else "static" for s in (self._access, self._m2m))
        return "AsyncTokenCallablesAuth(access_token={}, m2m_token={})".format(*kinds)

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


# --- the credentials flow ------------------------------------------------------------------------------------------


def renew_after(expires_in: float | None) -> float | None:
    """Seconds after it was issued at which an access token is renewed: ``RENEW_MARGIN`` (60 s) before it runs
    out, or halfway through a lifetime shorter than two margins; None (kept until refused) without a lifetime."""
    if expires_in is None:
        return None
    return max(expires_in - RENEW_MARGIN, expires_in / 2)


class _AuthCall(_Call[Any]):
    """A token or login request through the FOTA call machinery, with a form body or JSON, and the statuses that
    mean "refused" raised at once as a typed error (never retried, never renewed)."""

    def __init__(
        self,
        operation: Operation[Any],
        request: dict[str, Any],
        options: RequestOptions,
        base_url: str,
        *,
        refused: frozenset[int],
        error: type[AuthenticationError],
        hint: str,
        secrets: tuple[str, ...],
    ) -> None:
        super().__init__(operation, request, options, base_url)
        self.data: Mapping[str, Any] | None = request.get("data")
        self.content_headers: Mapping[str, str] = request.get("headers") or {}
        self.refused = refused
        self.error = error
        self.hint = hint
        self.secrets = secrets

    def build(self, http: httpx.Client | httpx.AsyncClient, auth: Mapping[str, str]) -> httpx.Request:
        # Bodies are never logged: the form carries the grant only, the login JSON carries the password.
        self.attempt += 1
        request = http.build_request(
            self.method,
            self.url,
            data=self.data,
            json=self.json,
            headers={**self.options.extra_headers, **self.content_headers, **auth},
            timeout=self.options.timeout,
        )
        self.started = time.monotonic()
        return request

    def answered(self, response: httpx.Response) -> _Done[Any] | _Retry | _Renew:
        if response.status_code not in self.refused:
            return super().answered(response)
        self._log(str(response.status_code), response)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s response body: %s", self.operation.what, _mask(_loggable_body(response), self.secrets))
        raise make_auth_error(self.error, response, what=self.operation.what, hint=self.hint, secrets=self.secrets)


def _mask(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


Step = Literal["token", "login"]


class _TokenCache:
    """The cached tokens and the renewal plan, shared by the sync and async drivers; no I/O here.

    The headers handed out for one pair of tokens are one dict object, so ``renew(rejected)`` knows by identity
    whether the rejected request used the current tokens (renew) or older ones (someone renewed already: retry).
    ``finished`` counts the renewals that ended; a caller that arrived while one was in flight and finds, once it
    holds the lock, that it failed gets that renewal's error instead of starting another. So many callers cause
    one token request and one login, failures included.
    """

    def __init__(self, credentials: Credentials, settings: ClientSettings, clock: Callable[[], float]) -> None:
        self.credentials = credentials
        self.settings = settings
        self.clock = clock
        self.access: str | None = None
        self.access_renew_at: float | None = None
        self.session: str | None = None
        # (headers, renew_at): replaced as a whole, so the lock-free read in usable() sees a consistent pair.
        self.snapshot: tuple[dict[str, str], float | None] | None = None
        self.finished = 0
        self.failure: FotaError | None = None
        self.refused: LoginRefusedError | None = None

    def usable(self) -> Headers | None:
        snapshot = self.snapshot
        if snapshot is None:
            return None
        headers, renew_at = snapshot
        return headers if renew_at is None or self.clock() < renew_at else None

    def current(self) -> Headers:
        """The headers of the tokens just renewed (used even if a lifetime of 0 has already run out)."""
        assert self.snapshot is not None  # noqa: S101 - begin() found usable headers or a plan made them
        return self.snapshot[0]

    def begin(self, seen_finished: int, rejected: Headers | None) -> Generator[Step, Any, None] | None:
        """Under the lock: the renewal plan, None when nothing is left to do, or the error to raise."""
        if self.refused is not None:
            raise self.refused.with_traceback(None)
        snapshot = self.snapshot
        if rejected is not None and snapshot is not None and rejected is snapshot[0]:
            logger.info("the API refused the M2M session token (HTTP 401): logging in again")
            self.session = None
            self.snapshot = None
        elif self.finished != seen_finished and self.failure is not None:
            raise self.failure.with_traceback(None)
        if self.usable() is not None:
            return None
        return self._plan()

    def _plan(self) -> Generator[Step, Any, None]:
        fresh = False
        if self.access is None or (self.access_renew_at is not None and self.clock() >= self.access_renew_at):
            self._store_access((yield "token"))
            fresh = True
        while self.session is None:
            try:
                self.session = yield "login"
            except LoginRefusedError as error:
                if error.status_code == 401 and not fresh:
                    logger.info("the login refused the cached access token (HTTP 401): getting a new one")
                    self._store_access((yield "token"))
                    fresh = True
                    continue
                self.refused = error
                raise
            logger.info("logged in: new M2M session")
        assert self.access is not None  # noqa: S101 - set above
        self.snapshot = (auth_headers(self.access, self.session), self.access_renew_at)
        self.finished += 1
        self.failure = None

    def _store_access(self, token: AccessToken) -> None:
        after = renew_after(token.expires_in)
        self.access = token.value
        self.access_renew_at = None if after is None else self.clock() + after
        lifetime = "no stated lifetime" if token.expires_in is None else f"expires in {token.expires_in:.0f} s"
        logger.info("got a new OAuth access token (%s)", lifetime)

    def failed(self, error: FotaError) -> None:
        self.finished += 1
        self.failure = error

    def call(self, step: Step) -> tuple[_AuthCall, dict[str, str]]:
        """The request of a step and its Authorization header."""
        options = self.settings.options(None, None, None)
        credentials = self.credentials
        secrets = (*credentials.secrets(), *(t for t in (self.access, self.session) if t))
        if step == "token":
            call = _AuthCall(
                GET_ACCESS_TOKEN,
                access_token_request(),
                options,
                credentials.auth_base_url,
                refused=frozenset({400, 401}),
                error=ClientCredentialsRefusedError,
                hint="Check client_id and client_secret.",
                secrets=secrets,
            )
            return call, {"Authorization": credentials.basic_authorization()}
        assert self.access is not None  # noqa: S101 - the plan gets a token before it logs in
        call = _AuthCall(
            LOG_IN,
            login_request(credentials.username, credentials.password),
            options,
            credentials.auth_base_url,
            refused=frozenset({400, 401, 403}),
            error=LoginRefusedError,
            hint="Not retried, since ThingSpace locks a contact after 5 failed logins: check username and password.",
            secrets=secrets,
        )
        return call, {"Authorization": f"Bearer {self.access}"}

    def clear(self) -> None:
        self.access = self.session = None
        self.access_renew_at = None
        self.snapshot = None


class CredentialsAuth:
    """Runs the credentials flow for a FotaClient: tokens cached and shared across threads, renewed once for all
    waiting callers (a ``threading.Lock``)."""

    def __init__(
        self,
        credentials: Credentials,
        http: httpx.Client,
        settings: ClientSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache = _TokenCache(credentials, settings, clock)
        self._http = http
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CredentialsAuth(auth_base_url={self._cache.credentials.auth_base_url!r})"

    def headers(self) -> Headers:
        return self._cache.usable() or self._renew(None)

    def renew(self, rejected: Headers) -> bool:
        self._renew(rejected)
        return True

    def close(self) -> None:
        with self._lock:
            self._cache.clear()

    def _renew(self, rejected: Headers | None) -> Headers:
        seen = self._cache.finished
        with self._lock:
            plan = self._cache.begin(seen, rejected)
            if plan is not None:
                try:
                    self._run(plan)
                except FotaError as error:
                    self._cache.failed(error)
                    raise
            return self._cache.current()

    def _run(self, plan: Generator[Step, Any, None]) -> None:
        try:
            step = next(plan)
            while True:
                try:
                    result = self._send(step)
                except FotaError as error:
                    step = plan.throw(error)
                else:
                    step = plan.send(result)
        except StopIteration:
            return

    def _send(self, step: Step) -> Any:
        call, auth = self._cache.call(step)
        while True:
            request = call.build(self._http, auth)
            outcome: _Done[Any] | _Retry | _Renew
            try:
                response = self._http.send(request)
            except httpx.RequestError as exc:
                outcome = call.failed(exc)
            else:
                outcome = call.answered(response)
            if isinstance(outcome, _Done):
                return outcome.response.parsed
            if isinstance(outcome, _Renew):  # 401 is a refusal of these calls: answered() raised already
                raise outcome.error
            time.sleep(outcome.delay)


class AsyncCredentialsAuth:
    """The async twin of :class:`CredentialsAuth`: tokens shared across tasks, renewed once for all waiting tasks
    (an ``asyncio.Lock``, made for the running event loop when first needed)."""

    def __init__(
        self,
        credentials: Credentials,
        http: httpx.AsyncClient,
        settings: ClientSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache = _TokenCache(credentials, settings, clock)
        self._http = http
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"AsyncCredentialsAuth(auth_base_url={self._cache.credentials.auth_base_url!r})"

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def headers(self) -> Headers:
        return self._cache.usable() or await self._renew(None)

    async def renew(self, rejected: Headers) -> bool:
        await self._renew(rejected)
        return True

    async def aclose(self) -> None:
        self._cache.clear()

    async def _renew(self, rejected: Headers | None) -> Headers:
        seen = self._cache.finished
        async with self._loop_lock():
            plan = self._cache.begin(seen, rejected)
            if plan is not None:
                try:
                    await self._run(plan)
                except FotaError as error:
                    self._cache.failed(error)
                    raise
            return self._cache.current()

    async def _run(self, plan: Generator[Step, Any, None]) -> None:
        try:
            step = next(plan)
            while True:
                try:
                    result = await self._send(step)
                except FotaError as error:
                    step = plan.throw(error)
                else:
                    step = plan.send(result)
        except StopIteration:
            return

    async def _send(self, step: Step) -> Any:
        call, auth = self._cache.call(step)
        while True:
            request = call.build(self._http, auth)
            outcome: _Done[Any] | _Retry | _Renew
            try:
                response = await self._http.send(request)
            except httpx.RequestError as exc:
                outcome = call.failed(exc)
            else:
                outcome = call.answered(response)
            if isinstance(outcome, _Done):
                return outcome.response.parsed
            if isinstance(outcome, _Renew):
                raise outcome.error
            await asyncio.sleep(outcome.delay)
