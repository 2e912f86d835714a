"""FakeFota: an in-process fake of the three ThingSpace FOTA v3 operations and of the token and login endpoints.

Every rule below comes from ``/work/shared/reference/fota-v3-contract.md`` and ``openapi/fota-v3.yaml`` (the
wire contract the library is written against) unless it says "assumed":

- both ``Authorization: Bearer <token>`` and ``VZ-M2M-Token`` are required, else 401 (contract §6);
- an unknown account (or, for the report, an unknown device) is 404 (spec ``NotFound``: "The account or device
  is not known");
- a synchronize of more than 100 ids, or none, is 400 (contract §7: "for up to 100 devices"; spec ``maxItems``);
- the list filters on ``protocol`` (LWM2M, OMD-DM, HTTP; ``all`` = every package; the parameter is required,
  contract §3 and the spec);
- synchronize answers only the devices the account has (assumed: the contract documents no error for an
  unknown IMEI);
- the report answers ``{accountName, requestId}`` with a fresh request id (contract §7);
- errors are ``{"errorCode", "errorMessage"}`` (contract §4); the codes are the spec's examples (assumed: the
  real codes are on a ThingSpace page no source quotes);
- the checks run in this order: scripted faults, tokens (401), account and device (404), request (400) (assumed).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import attrs
import httpx

from .. import _validation as check
from .._constants import DEFAULT_BASE_URL
from .._exceptions import InvalidInputError
from .._models import Protocol
from ._records import RecordedHeaders, RecordedRequest

if TYPE_CHECKING:
    from .._client import AsyncFotaClient, FotaClient

FOTA_OPERATIONS = ("list_available_firmware", "synchronize_device_firmware", "report_device_firmware")
AUTH_OPERATIONS = ("get_access_token", "log_in")
# Query values of the list filter, exactly as the spec's FirmwareProtocol enum spells them (contract §3).
PROTOCOL_FILTERS = frozenset({"LWM2M", "OMD-DM", "HTTP", "all"})
MAX_SYNC_IDS = 100
# Go's zero time in Go's default format: what the ThingSpace docs show for an unknown launch date (contract §8.5).
GO_ZERO_TIME = "0001-01-01 00:00:00 +0000 UTC"
TOKEN_LIFETIME = 3600  # seconds; "valid for 1 hour" (contract §6)
MAX_FAILED_LOGINS = 5  # "5 consecutive failed logins lock the contact record" (contract §6)
# The fake's default tokens and credentials: not secrets, and long enough (>= 8 characters) that the library
# masks them in its messages as it would real ones.
FAKE_ACCESS_TOKEN = "fake-access-token"  # noqa: S105
FAKE_M2M_TOKEN = "fake-m2m-session-token"  # noqa: S105
FAKE_CLIENT_ID = "fake-client-id"
FAKE_CLIENT_SECRET = "fake-client-secret"  # noqa: S105
FAKE_USERNAME = "fake-user"
FAKE_PASSWORD = "fake-password"  # noqa: S105

# errorCode and errorMessage of each status, from the spec's examples (components/responses).
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Bad request."),
    401: ("UnAuthorized", "Invalid or expired token."),
    403: ("Forbidden", "Access to the account is not allowed."),
    404: ("NotFound", "Account or device not found."),
    405: ("MethodNotAllowed", "Method not allowed."),
    429: ("TooManyRequests", "Rate limit exceeded."),
    500: ("InternalServerError", "Internal server error."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "Service unavailable."),
    504: ("GatewayTimeout", "Gateway timeout."),
}

# A FOTA path after any prefix (the host and base path do not matter): /firmware/{acc}, .../devices,
# .../async/{deviceId}. The prefix is non-greedy so that an account named "firmware" still routes right.
_FOTA_PATH = re.compile(rb"^.*?/firmware/(?P<acc>[^/]+)(?:(?P<devices>/devices)|/async/(?P<device>[^/]+))?/?$")
_TOKEN_PATH = re.compile(rb"^.*/ts/v1/oauth2/token/?$")
_LOGIN_PATH = re.compile(rb"^.*/m2m/v1/session/login/?$")


@attrs.define
class _Fault:
    kind: Literal["status", "stall", "malformed"]
    operation: str | None
    remaining: int
    status: int = 200
    retry_after: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    seconds: float = 0.0
    body: bytes = b""
    content_type: str = "application/json"


@attrs.define
class _Account:
    firmware: list[dict[str, str]] = attrs.Factory(list)
    devices: dict[str, dict[str, str]] = attrs.Factory(dict)


@attrs.frozen
class _Outcome:
    """What the transports do with one request: wait ``delay`` seconds, then raise a read timeout or answer."""

    response: httpx.Response
    delay: float = 0.0
    timed_out: bool = False


def _wire_time(value: datetime | str, argument: str) -> str:
    """RFC 3339 with milliseconds in UTC, as the SDK docs' examples (``2016-03-13T12:52:32.123Z``); a string is
    sent as it is, so tests can reproduce odd server formats."""
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        raise InvalidInputError(argument, f"must be a datetime or a string, not {type(value).__name__}")
    when = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _text(value: object, argument: str) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(argument, f"must be a string, not {type(value).__name__}")
    return value


def _package_protocol(value: object) -> str:
    """The wire value of a package's protocol: a member's value, or any other non-empty string as it is (a
    protocol the server adds later)."""
    if isinstance(value, str) and value:
        try:
            member = Protocol(value)
        except ValueError:
            return value
        if member is Protocol.ALL:
            raise InvalidInputError("protocol", "'all' is a list filter, not the protocol of a package")
        return member.value
    raise InvalidInputError("protocol", "must be a Protocol or a non-empty string")


class FakeFota:
    """An in-process fake of ThingSpace FOTA v3 with state, for testing code built on this library.

    It serves the three operations (and the OAuth token and M2M login endpoints) through httpx transports, with
    no socket and no thread, and keeps the rules of the real service: both tokens or 401, unknown account 404,
    at most 100 ids per synchronize or 400, the protocol filter, ``{errorCode, errorMessage}`` error bodies.
    Every answer it gives validates against the project's OpenAPI description. It is thread-safe.

    Example::

        fake = FakeFota()
        fake.add_account("0000123456-00001")
        fake.add_device("0000123456-00001", "990013907835573", firmware_version="1.0")
        with fake.client() as fota:
            result = fota.synchronize_device_firmware("0000123456-00001", ["990013907835573"])

    Args:
        access_token: The OAuth token the fake accepts (and issues at its token endpoint).
        m2m_token: The ``VZ-M2M-Token`` session token it accepts (and issues at its login endpoint).
        client_id: The client id its token endpoint accepts, with ``client_secret``.
        client_secret: The client secret its token endpoint accepts.
        username: The user name its login endpoint accepts, with ``password``.
        password: The password its login endpoint accepts.
    """

    def __init__(
        self,
        *,
        access_token: str = FAKE_ACCESS_TOKEN,
        m2m_token: str = FAKE_M2M_TOKEN,
        client_id: str = FAKE_CLIENT_ID,
        client_secret: str = FAKE_CLIENT_SECRET,
        username: str = FAKE_USERNAME,
        password: str = FAKE_PASSWORD,
    ) -> None:
        self._lock = threading.Lock()
        self._access_token = _text(access_token, "access_token")
        self._m2m_token = _text(m2m_token, "m2m_token")
        self._credentials = {
            "client_id": _text(client_id, "client_id"),
            "client_secret": _text(client_secret, "client_secret"),
            "username": _text(username, "username"),
            "password": _text(password, "password"),
        }
        self._generation = 0
        self._failed_logins = 0
        self._accounts: dict[str, _Account] = {}
        self._faults: list[_Fault] = []
        self._requests: list[RecordedRequest] = []
        self.transport: httpx.BaseTransport = _SyncTransport(self)
        """An ``httpx`` transport to the fake: ``httpx.Client(transport=fake.transport, base_url=...)``."""
        self.async_transport: httpx.AsyncBaseTransport = _AsyncTransport(self)
        """The same for ``httpx.AsyncClient``."""

    def __repr__(self) -> str:
        with self._lock:
            return f"FakeFota(accounts={len(self._accounts)}, requests={len(self._requests)})"

    # -- tokens -------------------------------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        """The OAuth access token the fake accepts now."""
        return self._access_token

    @property
    def m2m_token(self) -> str:
        """The ``VZ-M2M-Token`` session token the fake accepts now."""
        return self._m2m_token

    @property
    def credentials(self) -> dict[str, str]:
        """``client_id``, ``client_secret``, ``username`` and ``password`` that the fake's token and login
        endpoints accept: ``fake.client(**fake.credentials)`` runs the library's whole credentials flow."""
        return dict(self._credentials)

    def expire_tokens(self) -> None:
        """Make the current access and session tokens invalid (the next FOTA call gets 401) and issue new ones
        from now on, as when both have expired at ThingSpace."""
        with self._lock:
            self._generation += 1
            self._access_token = f"{self._access_token.split('~')[0]}~{self._generation}"
            self._m2m_token = f"{self._m2m_token.split('~')[0]}~{self._generation}"

    # -- state --------------------------------------------------------------------------------------------------

    def add_account(self, account_id: str) -> None:
        """Add an account (without firmware or devices); any other account id is answered 404."""
        account = check.identifier(account_id, "account_id")
        with self._lock:
            if account in self._accounts:
                raise InvalidInputError("account_id", "this account was already added")
            self._accounts[account] = _Account()

    def add_firmware(
        self,
        account_id: str,
        *,
        firmware_name: str,
        firmware_from: str,
        firmware_to: str,
        make: str,
        model: str,
        protocol: Protocol | str = Protocol.LWM2M,
        launch_date: datetime | str | None = None,
        release_note: str = "",
    ) -> None:
        """Add a firmware package to an account's list.

        ``protocol`` is a :class:`Protocol` (not ``ALL``) or any other string, sent as it is (a protocol the
        server might add later). ``launch_date`` is a ``datetime`` (sent as RFC 3339), a string sent as it is, or
        None for Go's zero time ``0001-01-01 00:00:00 +0000 UTC``, which ThingSpace shows for an unknown date.
        """
        package = {
            "firmwareName": _text(firmware_name, "firmware_name"),
            "firmwareFrom": _text(firmware_from, "firmware_from"),
            "firmwareTo": _text(firmware_to, "firmware_to"),
            "launchDate": GO_ZERO_TIME if launch_date is None else _wire_time(launch_date, "launch_date"),
            "releaseNote": _text(release_note, "release_note"),
            "model": _text(model, "model"),
            "make": _text(make, "make"),
            "protocol": _package_protocol(protocol),
        }
        with self._lock:
            self._account(account_id).firmware.append(package)

    def add_device(
        self,
        account_id: str,
        device_id: str,
        *,
        firmware_version: str,
        status: str | None = "FirmwareVersionUpdateSuccess",
        reason: str | None = None,
        update_time: datetime | str | None = None,
    ) -> None:
        """Add a device to an account, or replace it (a device that now runs other firmware).

        ``status`` defaults to ``FirmwareVersionUpdateSuccess``, the only value the sources document; ``status``,
        ``reason`` and ``update_time`` are optional in the contract and left out of the answer when None.
        """
        device = check.identifier(device_id, "device_id")
        entry = {"deviceId": device, "firmwareVersion": _text(firmware_version, "firmware_version")}
        if status is not None:
            entry["status"] = _text(status, "status")
        if reason is not None:
            entry["reason"] = _text(reason, "reason")
        if update_time is not None:
            entry["firmwareVersionUpdateTime"] = _wire_time(update_time, "update_time")
        with self._lock:
            self._account(account_id).devices[device] = entry

    def _account(self, account_id: str) -> _Account:
        account = check.identifier(account_id, "account_id")
        try:
            return self._accounts[account]
        except KeyError:
            raise InvalidInputError("account_id", "unknown account: call add_account() first") from None

    # -- faults -------------------------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        operation: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Answer the next ``times`` FOTA requests with HTTP ``status`` (400 to 599) and a
        ``{errorCode, errorMessage}`` body, whatever they ask.

        Args:
            status: The status, e.g. 429 or 503.
            times: How many requests fail (each retry of the client is a request).
            retry_after: A ``Retry-After`` header: seconds, or a string sent as it is (an HTTP date).
            operation: Only requests of this operation fail (``list_available_firmware``,
                ``synchronize_device_firmware``, ``report_device_firmware``, or ``get_access_token`` and
                ``log_in`` for the token and login endpoints); by default the next FOTA requests of any kind.
            error_code: The ``errorCode`` (default: the spec's example for the status).
            error_message: The ``errorMessage`` (default: the spec's example for the status).
        """
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise InvalidInputError("status", f"must be an HTTP error status from 400 to 599, not {status!r}")
        wait: str | None = None
        if isinstance(retry_after, str):
            wait = retry_after
        elif retry_after is not None:
            if isinstance(retry_after, bool) or not isinstance(retry_after, int | float) or not retry_after >= 0:
                raise InvalidInputError("retry_after", f"must be seconds >= 0 or a string, not {retry_after!r}")
            wait = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        code = None if error_code is None else _text(error_code, "error_code")
        message = None if error_message is None else _text(error_message, "error_message")
        self._add_fault(
            _Fault("status", operation, times, status=status, retry_after=wait, error_code=code, error_message=message),
            times,
        )

    def stall_next(self, seconds: float, *, times: int = 1, operation: str | None = None) -> None:
        """Hold the next ``times`` FOTA requests for ``seconds`` before answering them normally.

        The client's read timeout is honoured: a stall at least as long as the request's read timeout waits that
        long and then raises ``httpx.ReadTimeout`` (the client's ``APITimeoutError``, after its retries), so a
        test with ``timeout=0.1`` takes a tenth of a second, not ``seconds``. ``operation`` as for
        :meth:`fail_next`.
        """
        self._add_fault(_Fault("stall", operation, times, seconds=check.seconds(seconds, "seconds")), times)

    def malformed_next(
        self,
        *,
        times: int = 1,
        status: int = 200,
        body: bytes = b'{"accountName": "0000123456-00001", "deviceFirmwarVersionList": [',
        content_type: str = "application/json",
        operation: str | None = None,
    ) -> None:
        """Answer the next ``times`` FOTA requests with ``body`` as it is: by default a 200 whose JSON is cut off
        (the client's ``ResponseValidationError``); pass an HTML page and a 502 to play a proxy's error page.
        ``operation`` as for :meth:`fail_next`."""
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise InvalidInputError("status", f"must be an HTTP status, not {status!r}")
        if not isinstance(body, bytes):
            raise InvalidInputError("body", f"must be bytes, not {type(body).__name__}")
        fault = _Fault("malformed", operation, times, status=status, body=body, content_type=content_type)
        self._add_fault(fault, times)

    def _add_fault(self, fault: _Fault, times: int) -> None:
        fault.remaining = check.positive_int(times, "times")
        if fault.operation is not None and fault.operation not in FOTA_OPERATIONS + AUTH_OPERATIONS:
            raise InvalidInputError(
                "operation", f"must be one of {', '.join(FOTA_OPERATIONS + AUTH_OPERATIONS)}, not {fault.operation!r}"
            )
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, operation: str) -> _Fault | None:
        """The first scripted fault for ``operation`` (called with the lock held), used up one time."""
        for index, fault in enumerate(self._faults):
            if fault.operation == operation or (fault.operation is None and operation in FOTA_OPERATIONS):
                fault.remaining -= 1
                if fault.remaining == 0:
                    del self._faults[index]
                return fault
        return None

    # -- what it received ---------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request the fake received, oldest first (a copy, which later requests do not change)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    # -- clients ------------------------------------------------------------------------------------------------

    def client(self, **kwargs: Any) -> FotaClient:
        """A :class:`~thingspace_fota.FotaClient` wired to the fake: production ``base_url``, the fake's static
        tokens, the library's defaults otherwise. Keyword arguments override them; credentials
        (``**fake.credentials``) replace the tokens, and a given ``http_client`` replaces the fake's. Closing the
        client closes the httpx client the fake made for it (one you pass stays yours to close)."""
        from ._clients import fake_client  # noqa: PLC0415 - loads the client module only when a client is asked for

        return fake_client(self._client_kwargs(kwargs), self.transport)

    def async_client(self, **kwargs: Any) -> AsyncFotaClient:
        """An :class:`~thingspace_fota.AsyncFotaClient` wired to the fake, as :meth:`client`."""
        from ._clients import async_fake_client  # noqa: PLC0415

        return async_fake_client(self._client_kwargs(kwargs), self.async_transport)

    def _client_kwargs(self, overrides: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"base_url": DEFAULT_BASE_URL}
        if not any(name in overrides for name in self._credentials):
            kwargs.update(access_token=self._access_token, m2m_token=self._m2m_token)
        kwargs.update(overrides)
        return kwargs

    # -- serving ------------------------------------------------------------------------------------------------

    def _serve(self, request: httpx.Request, content: bytes) -> _Outcome:
        """Record ``request`` and decide its answer (both transports call this)."""
        raw_path = request.url.raw_path.split(b"?", 1)[0]
        operation, args = _route(request.method, raw_path)
        recorded = RecordedRequest(
            method=request.method,
            path=urllib.parse.unquote(raw_path.decode("ascii")),
            operation=operation,
            params=dict(request.url.params),
            headers=RecordedHeaders(list(request.headers.items())),
            json=_json_or_none(content),
            content=content,
        )
        with self._lock:
            self._requests.append(recorded)
            fault = self._take_fault(operation) if operation else None
            # A stalled request is answered as it would have been when it arrived.
            response = self._answer(operation, args, recorded) if fault is None or fault.kind == "stall" else None
        if response is not None and fault is None:
            return _Outcome(response)
        if response is not None and fault is not None:  # a stall
            read_timeout = request.extensions.get("timeout", {}).get("read")
            if read_timeout is not None and fault.seconds >= read_timeout:
                return _Outcome(response, delay=read_timeout, timed_out=True)
            return _Outcome(response, delay=fault.seconds)
        assert fault is not None  # noqa: S101 - a fault, and not a stall, took the place of the answer
        if fault.kind == "malformed":
            return _Outcome(_response(fault.status, fault.body, fault.content_type))
        default_code, default_message = ERRORS.get(fault.status, ("Error", f"HTTP {fault.status}."))
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        body = {"errorCode": fault.error_code or default_code, "errorMessage": fault.error_message or default_message}
        return _Outcome(_json_response(fault.status, body, headers))

    def _answer(self, operation: str | None, args: dict[str, str], request: RecordedRequest) -> httpx.Response:
        """The answer of the service's rules (called with the lock held)."""
        if operation is None:
            return _error(405 if args.get("known_path") else 404)
        if operation in AUTH_OPERATIONS:
            return self._token(request) if operation == "get_access_token" else self._login(request)
        if not self._authorized(request.headers):
            return _error(401)
        account = self._accounts.get(args["acc"])
        if account is None:
            return _error(404, "Account not found.")
        return self._operation(operation, args, account, request)

    def _operation(
        self, operation: str, args: dict[str, str], account: _Account, request: RecordedRequest
    ) -> httpx.Response:
        if operation == "list_available_firmware":
            return self._list(account, request)
        if operation == "synchronize_device_firmware":
            return self._synchronize(args["acc"], account, request)
        return self._report(args["acc"], account, args["device"])

    @staticmethod
    def _list(account: _Account, request: RecordedRequest) -> httpx.Response:
        wanted = request.params.get("protocol")
        if wanted not in PROTOCOL_FILTERS:
            return _error(400, "protocol must be one of LWM2M, OMD-DM, HTTP, all.")
        return _json_response(200, [p for p in account.firmware if wanted in {"all", p["protocol"]}])

    @staticmethod
    def _synchronize(account_id: str, account: _Account, request: RecordedRequest) -> httpx.Response:
        body = request.json
        ids = body.get("deviceList") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            return _error(400, "deviceList must be a non-empty array of device ids.")
        if len(ids) > MAX_SYNC_IDS:
            return _error(400, f"deviceList may hold at most {MAX_SYNC_IDS} devices.")
        devices = account.devices
        found = [devices[i] for i in ids if i in devices]
        return _json_response(200, {"accountName": account_id, "deviceFirmwarVersionList": found})

    @staticmethod
    def _report(account_id: str, account: _Account, device_id: str) -> httpx.Response:
        if device_id not in account.devices:
            return _error(404, "Device not found.")
        return _json_response(200, {"accountName": account_id, "requestId": str(uuid.uuid4())})

    def _authorized(self, headers: RecordedHeaders) -> bool:
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        bearer_ok = scheme.lower() == "bearer" and token.strip() == self._access_token
        return bearer_ok and headers.get("vz-m2m-token") == self._m2m_token

    def _token(self, request: RecordedRequest) -> httpx.Response:
        """POST /ts/v1/oauth2/token: HTTP Basic client credentials, form ``grant_type=client_credentials``."""
        scheme, _, encoded = (request.headers.get("authorization") or "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = secret = ""
        given = (scheme.lower(), client_id, secret)
        if given != ("basic", self._credentials["client_id"], self._credentials["client_secret"]):
            return _json_response(
                401, {"error": "invalid_client", "error_description": "Client authentication failed."}
            )
        form = urllib.parse.parse_qs(request.content.decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            body = {"error": "invalid_request", "error_description": "The grant_type is missing or not supported."}
            return _json_response(400, body)
        token = {"access_token": self._access_token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME}
        return _json_response(200, {**token, "scope": "discovery:read serviceprofile:read"})

    def _login(self, request: RecordedRequest) -> httpx.Response:
        """POST /m2m/v1/session/login: the bearer access token, JSON ``{username, password}``."""
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self._access_token:
            return _json_response(
                401, {"errorCode": "UnAuthorized", "errorMessage": "Invalid or expired access token."}
            )
        if self._failed_logins >= MAX_FAILED_LOGINS:
            return _json_response(
                403, {"errorCode": "UnifiedWebService.Contact.Locked", "errorMessage": "The contact is locked."}
            )
        body = request.json
        given = (body.get("username"), body.get("password")) if isinstance(body, dict) else (None, None)
        if given != (self._credentials["username"], self._credentials["password"]):
            self._failed_logins += 1
            return _json_response(
                400, {"errorCode": "UnifiedWebService.Input.Invalid", "errorMessage": "Invalid user name or password."}
            )
        self._failed_logins = 0
        return _json_response(200, {"sessionToken": self._m2m_token})


def _route(method: str, raw_path: bytes) -> tuple[str | None, dict[str, str]]:
    """The operation a request asks for and its path arguments; (None, {"known_path": "1"}) for a wrong method."""
    found = _FOTA_PATH.match(raw_path)
    if found:
        args = {"acc": urllib.parse.unquote(found["acc"].decode("ascii"))}
        if found["device"] is not None:
            args["device"] = urllib.parse.unquote(found["device"].decode("ascii"))
            operation, wanted = "report_device_firmware", "PUT"
        elif found["devices"] is not None:
            operation, wanted = "synchronize_device_firmware", "PUT"
        else:
            operation, wanted = "list_available_firmware", "GET"
    elif _TOKEN_PATH.match(raw_path):
        operation, wanted, args = "get_access_token", "POST", {}
    elif _LOGIN_PATH.match(raw_path):
        operation, wanted, args = "log_in", "POST", {}
    else:
        return None, {}
    if method != wanted:
        return None, {"known_path": "1"}
    return operation, args


def _json_or_none(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def _response(
    status: int, content: bytes, content_type: str, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": content_type, "X-Request-Id": str(uuid.uuid4()), **(headers or {})},
        content=content,
    )


def _json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return _response(status, json.dumps(body).encode(), "application/json", headers)


def _error(status: int, message: str | None = None) -> httpx.Response:
    code, default_message = ERRORS[status]
    return _json_response(status, {"errorCode": code, "errorMessage": message or default_message})


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, fake: FakeFota) -> None:
        self._fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        outcome = self._fake._serve(request, request.read())
        if outcome.delay:
            time.sleep(outcome.delay)
        if outcome.timed_out:
            raise httpx.ReadTimeout("the fake stalled past the read timeout", request=request)
        return outcome.response


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, fake: FakeFota) -> None:
        self._fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        outcome = self._fake._serve(request, await request.aread())
        if outcome.delay:
            import anyio  # noqa: PLC0415 - httpx's own dependency; works under asyncio and trio alike

            await anyio.sleep(outcome.delay)
        if outcome.timed_out:
            raise httpx.ReadTimeout("the fake stalled past the read timeout", request=request)
        return outcome.response
