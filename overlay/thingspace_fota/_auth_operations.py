"""The two calls of the credentials flow: the OAuth token and the M2M session login.

As in ``_operations.py``, the generated code (through the ``_generated`` adapter) builds method, path, body and
content type from ``openapi/thingspace-auth.yaml``; the generated models' ``from_dict`` decode the answers.
Nothing here ever puts a secret into an error message: a shape error names the field and the JSON type only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from thingspace_auth_generated.models import LogInResult as _GenLogInResult
    from thingspace_auth_generated.models import OAuthToken as _GenOAuthToken

from ._auth import is_header_token
from ._exceptions import describe_json
from ._generated import Operation, exact, load
from ._reading import ShapeError


def models() -> ModuleType:
    """The generated auth models (imported on first use)."""
    return load("thingspace_auth_generated.models")


def decode(model: Any, data: object, what: str) -> Any:
    """A generated model decoded from ``data``; ShapeError (naming the field, never a value) when it does not fit."""
    if not isinstance(data, Mapping):
        raise ShapeError(f"{what} must be a JSON object, got {describe_json(data)}")
    try:
        return model.from_dict(data)
    except KeyError as exc:
        raise ShapeError(f"{what} lacks the required field {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ShapeError(f"{what} does not fit the contract ({type(exc).__name__})") from None


@attrs.frozen
class AccessToken:
    """An OAuth access token and its lifetime in seconds (None when the server did not say)."""

    value: str = attrs.field(repr=False)
    expires_in: float | None


def _header_value(value: object, field: str) -> str:
    """A token that can go into a header as it is: a non-empty string without whitespace or control characters."""
    if not isinstance(value, str):
        raise ShapeError(f"field {field!r} must be a string, got {describe_json(value)}")
    if not is_header_token(value):
        raise ShapeError(f"field {field!r} must be a non-empty token of visible ASCII characters")
    return value


def parse_access_token(data: object) -> AccessToken:
    """The token endpoint's answer; only bearer tokens can be used."""
    gen: _GenOAuthToken = decode(models().OAuthToken, data, "the token response")
    value = _header_value(gen.access_token, "access_token")
    if not isinstance(gen.token_type, str) or gen.token_type.lower() != "bearer":
        raise ShapeError("field 'token_type' must be 'bearer'")
    return AccessToken(value, _lifetime(gen.expires_in))


def _lifetime(value: object) -> float | None:
    """``expires_in`` in seconds: a number, or a numeric string as some servers send; None when absent."""
    if value is None or isinstance(value, load("thingspace_auth_generated.types").Unset):
        return None
    seconds: float | None = None
    if isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            seconds = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise ShapeError(f"field 'expires_in' must be a number of seconds >= 0, got {describe_json(value)}")
    return seconds


def parse_session_token(data: object) -> str:
    """The login's answer: the session token."""
    gen: _GenLogInResult = decode(models().LogInResult, data, "the login response")
    return _header_value(gen.session_token, "sessionToken")


GET_ACCESS_TOKEN = Operation(
    "get_access_token", "thingspace_auth_generated.api.oauth.get_access_token", exact(parse_access_token)
)
LOG_IN = Operation("log_in", "thingspace_auth_generated.api.session.log_in", exact(parse_session_token))


def access_token_request() -> dict[str, Any]:
    """httpx request arguments of the token call (form body ``grant_type=client_credentials``)."""
    return GET_ACCESS_TOKEN.build(body=models().TokenRequest(grant_type="client_credentials"))


def login_request(username: str, password: str) -> dict[str, Any]:
    """httpx request arguments of the login call (JSON ``{"username", "password"}``)."""
    return LOG_IN.build(body=models().LogInRequest(username=username, password=password))
