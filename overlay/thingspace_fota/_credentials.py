"""The credentials flow: an OAuth token from the client id and secret, then an M2M session from the user name
and password, cached, renewed once for all callers, never leaked (see the docstring of ``_auth.py``).

Imported only by clients made with credentials, so that ``import thingspace_fota`` does not load the generated
auth client.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, Literal

import httpx

from ._auth import Credentials, auth_headers
from ._auth_operations import GET_ACCESS_TOKEN, LOG_IN, AccessToken, access_token_request, login_request
from ._base_client import Call, Done, Headers, Renew, Retry, send, send_async
from ._exceptions import (
    AuthenticationError,
    ClientCredentialsRefusedError,
    FotaError,
    LoginRefusedError,
    make_auth_error,
)
from ._generated import Operation
from ._logs import logger
from ._settings import ClientSettings, RequestOptions

# The access token is renewed this long before it runs out (or halfway through a shorter lifetime).
RENEW_MARGIN = 60.0


def renew_after(expires_in: float | None) -> float | None:
    """Seconds after it was issued at which an access token is renewed: ``RENEW_MARGIN`` (60 s) before it runs
    out, or halfway through a lifetime shorter than two margins; None (kept until refused) without a lifetime."""
    if expires_in is None:
        return None
    return max(expires_in - RENEW_MARGIN, expires_in / 2)


class AuthCall(Call[Any]):
    """A token or login request through the FOTA call machinery, with a form body or JSON, and the statuses that
    mean "refused" raised at once as a typed error (never retried, never renewed)."""

    # Bodies are never logged: the form carries the grant only, the login JSON carries the password.
    log_request_body = False

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
        self.refused = refused
        self.error = error
        self.hint = hint
        self.secrets = secrets

    def answered(self, response: httpx.Response) -> Done[Any] | Retry | Renew:
        if response.status_code not in self.refused:
            return super().answered(response)
        self.log_answer(response)
        raise make_auth_error(self.error, response, what=self.operation.what, hint=self.hint, secrets=self.secrets)


class FixedAuth:
    """The auth of one token or login call: the same ``Authorization`` on every attempt, never renewed (a 401
    from these endpoints is a refusal, which :class:`AuthCall` raises)."""

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def headers(self) -> Headers:
        return self._headers

    def renew(self, rejected: Headers) -> bool:
        return False

    def accepted(self, headers: Headers) -> None:
        return None


class AsyncFixedAuth:
    """The async twin of :class:`FixedAuth`."""

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    async def headers(self) -> Headers:
        return self._headers

    async def renew(self, rejected: Headers) -> bool:
        return False

    def accepted(self, headers: Headers) -> None:
        return None


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
        # Whether a call has succeeded with the current tokens, or they did not come from a 401's re-login.
        self.proven = True
        self.relogin = False  # the renewal under way was caused by a 401

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
            if not self.proven:
                # These tokens came from a login that a 401 caused, and no call has succeeded with them: the API
                # refuses the credentials for this call (a 401 "not your account"), it is not an expired session.
                # Logging in again would make one login per call.
                logger.info("the API refused the tokens of the last re-login too (HTTP 401): not logging in again")
                return None  # the caller gets the rejected headers back: no renewal, the call raises
            self.relogin = True
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
        self.proven, self.relogin = not self.relogin, False
        self.finished += 1
        self.failure = None

    def _store_access(self, token: AccessToken) -> None:
        after = renew_after(token.expires_in)
        self.access = token.value
        self.access_renew_at = None if after is None else self.clock() + after
        lifetime = "no stated lifetime" if token.expires_in is None else f"expires in {token.expires_in:.0f} s"
        logger.info("got a new OAuth access token (%s)", lifetime)

    def accepted(self, headers: Headers) -> None:
        """A call succeeded with ``headers``: if they are the current tokens, they are proven."""
        snapshot = self.snapshot
        if snapshot is not None and headers is snapshot[0]:
            self.proven = True

    def failed(self, error: FotaError) -> None:
        self.finished += 1
        self.failure = error

    def call(self, step: Step) -> tuple[AuthCall, Headers]:
        """The request of a step and its Authorization header."""
        options = self.settings.auth_options
        credentials = self.credentials
        secrets = (*credentials.secrets(), *(t for t in (self.access, self.session) if t))
        if step == "token":
            call = AuthCall(
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
        call = AuthCall(
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
        return self._renew(rejected) is not rejected

    def accepted(self, headers: Headers) -> None:
        self._cache.accepted(headers)

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
        return send(self._http, call, FixedAuth(auth)).parsed


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
        return await self._renew(rejected) is not rejected

    def accepted(self, headers: Headers) -> None:
        self._cache.accepted(headers)

    async def aclose(self) -> None:
        # As close(): wait for a renewal under way, so that it does not store tokens after the clear.
        async with self._loop_lock():
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
        return (await send_async(self._http, call, AsyncFixedAuth(auth))).parsed
