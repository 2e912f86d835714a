"""The exception hierarchy of thingspace_fota, modelled on openai-python's ``_exceptions.py``.

Every error the library raises is a :class:`FotaError`. No message holds a token, secret or password: messages
are built from the method, the path, the status and the server's ``errorCode``/``errorMessage`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import httpx

from ._decode import NotJSONError, decode_json
from ._redact import mask_optional

if TYPE_CHECKING:
    from ._models import DeviceFirmwareList, Drift

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientCredentialsRefusedError",
    "ConflictError",
    "FotaError",
    "InternalServerError",
    "InvalidInputError",
    "LoginRefusedError",
    "NotFoundError",
    "PartialSyncError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "UnprocessableEntityError",
]

# Response headers that may carry a server-side request id, in the order they are looked up.
REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id", "x-amzn-requestid")


class FotaError(Exception):
    """Base class of every error raised by thingspace_fota."""


class InvalidInputError(FotaError, ValueError):
    """An argument is not acceptable; raised before anything is sent.

    ``argument`` names the offending argument (for example ``"device_ids[3]"``).
    """

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self.argument = argument
        self.problem = problem


class APIConnectionError(FotaError):
    """The request could not be completed: connection refused or reset, DNS failure, protocol error."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The server did not answer within the timeout."""


class ResponseValidationError(FotaError):
    """A 2xx response whose body cannot be read (empty, not JSON, a top-level value of the wrong kind, a report
    without a usable ``requestId``), or, with ``strict=True``, any answer that deviates from the spec.

    ``drift`` holds every deviation found in that answer (see :class:`Drift`).
    """

    def __init__(self, message: str, *, response: httpx.Response, drift: Sequence[Drift] = ()) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = response.content
        self.drift: tuple[Drift, ...] = tuple(drift)


class APIStatusError(FotaError):
    """The server answered with a non-2xx status.

    Attributes: ``status_code``; ``error_code`` and ``error_message`` from the ThingSpace error body when it has
    them; ``body`` (the decoded JSON, or the text when the body is not JSON); ``headers``; ``request_id`` when
    the server sent one; ``retry_after`` in seconds when the server sent ``Retry-After``.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        error_code: str | None,
        error_message: str | None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.body = body
        self.error_code = error_code
        self.error_message = error_message
        self.retry_after = retry_after
        self.request_id = request_id_of(response)


class BadRequestError(APIStatusError):
    """HTTP 400: the API refused the request (the only error ThingSpace documents for FOTA v3)."""


class AuthenticationError(APIStatusError):
    """HTTP 401: a token is missing, invalid or expired, and renewing it did not help.

    Its subclasses are the failures of the credentials flow: :class:`ClientCredentialsRefusedError` and
    :class:`LoginRefusedError`.
    """


class ClientCredentialsRefusedError(AuthenticationError):
    """The OAuth token endpoint refused the client id and secret (HTTP 400 or 401).

    ``error_code`` and ``error_message`` hold the server's ``error`` and ``error_description`` (for example
    ``invalid_client``). The next API call asks for a token again.
    """


class LoginRefusedError(AuthenticationError):
    """The M2M session login was refused (HTTP 400, 401 or 403): a wrong user name or password, a locked
    contact, or an access token the login does not accept.

    ThingSpace locks a contact after 5 failed logins, so a refused login is never retried: every later call of
    the same client raises this same error without sending anything. Fix the credentials and make a new client.
    """


class PermissionDeniedError(APIStatusError):
    """HTTP 403."""


class NotFoundError(APIStatusError):
    """HTTP 404: the account or device is not known."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429; ``retry_after`` holds the server's wait in seconds when it sent one."""


class InternalServerError(APIStatusError):
    """Any status >= 500, non-standard ones such as 520 or 599 included."""


class PartialSyncError(FotaError):
    """A chunked ``synchronize_device_firmware`` failed after some chunks had succeeded.

    Nothing is lost: ``result`` holds every device result that arrived, ``pending_device_ids`` the ids that were
    not synchronised (run them again to finish the job), and ``error`` (also ``__cause__``) the first failure.
    """

    def __init__(self, *, result: DeviceFirmwareList, pending_device_ids: Sequence[str], error: FotaError) -> None:
        done = len(result.devices)
        super().__init__(
            f"synchronized {done} device(s), {len(pending_device_ids)} not synchronized because of "
            f"{type(error).__name__}: {error}"
        )
        self.result = result
        self.pending_device_ids = list(pending_device_ids)
        self.error = error


_STATUS_CLASSES: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def request_id_of(response: httpx.Response) -> str | None:
    """The request id the server sent in a response header, if any."""
    for name in REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # non-standard statuses such as 520 have no phrase
        return "Non-standard status"


def decode_error_body(response: httpx.Response) -> tuple[object, str | None, str | None]:
    """The body of an error response (JSON when it is, else text) and its ``errorCode``/``errorMessage``."""
    try:
        body: object = decode_json(response)
    except NotJSONError:
        return response.text, None, None
    if isinstance(body, dict):
        code, message = body.get("errorCode"), body.get("errorMessage")
        return body, code if isinstance(code, str) else None, message if isinstance(message, str) else None
    return body, None, None


def make_status_error(response: httpx.Response, *, what: str, retry_after: float | None = None) -> APIStatusError:
    """The right :class:`APIStatusError` subclass for a non-2xx response to ``what`` (e.g. ``GET /firmware/{acc}``)."""
    status = response.status_code
    body, error_code, error_message = decode_error_body(response)
    cls: type[APIStatusError] = _STATUS_CLASSES.get(status, InternalServerError if status >= 500 else APIStatusError)
    message = f"{what} failed with HTTP {status} {_reason(status)}"
    if error_code or error_message:
        message += f": {error_code or '-'}: {error_message or '-'}"
    elif not isinstance(body, dict | list):
        content_type = response.headers.get("content-type", "no content type")
        message += f" (a non-JSON body: {content_type}, {len(response.content)} bytes)"
    return cls(
        message,
        response=response,
        body=body,
        error_code=error_code,
        error_message=error_message,
        retry_after=retry_after,
    )


def make_auth_error(
    cls: type[AuthenticationError], response: httpx.Response, *, what: str, hint: str, secrets: Sequence[str]
) -> AuthenticationError:
    """A typed error of the credentials flow; any secret the server echoed is masked in the message and codes.

    The token endpoint answers with RFC 6749's ``error``/``error_description``, the login with ThingSpace's
    ``errorCode``/``errorMessage``; both end up in ``error_code``/``error_message``.
    """
    status = response.status_code
    body, error_code, error_message = decode_error_body(response)
    if isinstance(body, dict) and error_code is None and error_message is None:
        code, description = body.get("error"), body.get("error_description")
        error_code = code if isinstance(code, str) else None
        error_message = description if isinstance(description, str) else None
    error_code, error_message = mask_optional(error_code, secrets), mask_optional(error_message, secrets)
    message = f"{what} failed with HTTP {status} {_reason(status)}"
    if error_code or error_message:
        message += f": {error_code or '-'}: {error_message or '-'}"
    return cls(f"{message}. {hint}", response=response, body=body, error_code=error_code, error_message=error_message)


def describe_json(value: Any) -> str:
    """A short name of a JSON value's type for error messages (never the value itself)."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
