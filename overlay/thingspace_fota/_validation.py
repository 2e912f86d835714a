"""Checks of user input. Each failure raises InvalidInputError naming the argument, before anything is sent."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import httpx

from ._constants import MAX_ID_LENGTH
from ._exceptions import InvalidInputError
from ._models import Protocol

# Set by the client from the tokens or credentials, never by the caller's headers.
AUTH_HEADERS = frozenset({"authorization", "vz-m2m-token"})
# RFC 9110 field names are tokens; values are visible ASCII, spaces and tabs (no CR, LF or NUL: no injection).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?")  # and no space at either end


def _first_forbidden(value: str) -> tuple[int, str] | None:
    """The first character that must not be in an id or a protocol: any whitespace, any character that is not
    printable (C0/C1 controls, format characters such as U+200B and U+FEFF, lone surrogates, unassigned code
    points), or the path separator ``/``."""
    # Fast path, same answer: every whitespace character but the space is also not printable.
    if value.isprintable() and " " not in value and "/" not in value:
        return None
    for position, char in enumerate(value):
        if char == "/" or char.isspace() or not char.isprintable():
            return position, char
    return None


def _refuse_forbidden(value: str, argument: str) -> None:
    """InvalidInputError naming the first character of ``value`` that ``_first_forbidden`` refuses, if any."""
    found = _first_forbidden(value)
    if found:
        raise InvalidInputError(
            argument,
            f"must not contain whitespace, control or invisible characters or '/' "
            f"(found {found[1]!r} at position {found[0]})",
        )


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def identifier(value: object, argument: str) -> str:
    """An account or device id: a non-empty string of at most 256 printable characters without whitespace or
    ``/``, and not ``.`` or ``..`` (which would change the URL path)."""
    if not isinstance(value, str):
        raise InvalidInputError(argument, f"must be a string, not {_type_name(value)}")
    if not value:
        raise InvalidInputError(argument, "must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInputError(argument, f"must be at most {MAX_ID_LENGTH} characters long, not {len(value)}")
    if value in {".", ".."}:
        raise InvalidInputError(argument, f"must not be {value!r}")
    _refuse_forbidden(value, argument)
    return value


def device_ids(values: object, argument: str = "device_ids") -> list[str]:
    """Device ids from any iterable of strings, duplicates dropped (first occurrence kept); never empty."""
    if values is None:
        raise InvalidInputError(argument, "must be an iterable of device ids, not None")
    if isinstance(values, str | bytes):
        raise InvalidInputError(argument, "must be an iterable of device ids, not a single string")
    if not isinstance(values, Iterable):
        raise InvalidInputError(argument, f"must be an iterable of device ids, not {_type_name(values)}")
    unique: dict[str, None] = {}
    for index, value in enumerate(values):
        unique[identifier(value, f"{argument}[{index}]")] = None
    if not unique:
        raise InvalidInputError(argument, "must not be empty")
    return list(unique)


def protocol(value: object, argument: str = "protocol") -> Protocol:
    """A Protocol member from a member or its name or wire value in any case."""
    if isinstance(value, str):
        if not value:
            raise InvalidInputError(argument, "must not be empty")
        # Protocol() would strip surrounding whitespace; a value with a control character is a mistake.
        _refuse_forbidden(value, argument)
        try:
            return Protocol(value)
        except ValueError:
            pass
        known = ", ".join(repr(p.value) for p in Protocol)
        raise InvalidInputError(argument, f"unknown protocol {value[:40]!r}; expected one of {known}")
    raise InvalidInputError(argument, f"must be a Protocol or a string, not {_type_name(value)}")


def positive_int(value: object, argument: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An int (not a bool) within [minimum, maximum]."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError(argument, f"must be an int, not {_type_name(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise InvalidInputError(argument, f"must be {bounds}, not {value}")
    return value


def seconds(value: object, argument: str) -> float:
    """A finite number of seconds > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidInputError(argument, f"must be a positive number of seconds, not {value!r}")
    return float(value)


def timeout(value: object, argument: str = "timeout") -> httpx.Timeout:
    """An httpx.Timeout from seconds or an httpx.Timeout; never "no timeout", never zero or negative."""
    if isinstance(value, httpx.Timeout):
        parts = {"connect": value.connect, "read": value.read, "write": value.write, "pool": value.pool}
        if any(part is None for part in parts.values()):
            raise InvalidInputError(
                argument, "every part of an httpx.Timeout must be set: a request never waits forever"
            )
        for name, part in parts.items():
            if isinstance(part, bool) or not isinstance(part, int | float) or not math.isfinite(part) or part <= 0:
                raise InvalidInputError(argument, f"its {name} part must be a positive number of seconds, not {part!r}")
        return value
    return httpx.Timeout(seconds(value, argument))


def base_url(value: object, argument: str = "base_url") -> str:
    """An absolute http(s) URL without query or fragment, with no trailing slash."""
    if not isinstance(value, str) or not value:
        raise InvalidInputError(argument, f"must be a non-empty URL string, not {_type_name(value)}")
    # The value is never echoed: a URL may carry credentials.
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError):
        raise InvalidInputError(argument, "is not a valid URL") from None
    if url.userinfo:
        raise InvalidInputError(argument, "must not contain credentials; pass tokens or credentials as arguments")
    if url.scheme not in {"http", "https"} or not url.host:
        raise InvalidInputError(argument, "must be an absolute http:// or https:// URL")
    if url.query or url.fragment:
        raise InvalidInputError(argument, "must not have a query string or fragment")
    return value.rstrip("/")


def headers(value: Mapping[str, str] | None, argument: str) -> dict[str, str]:
    """Extra headers: valid names and values, and none of the auth headers; the value is never quoted."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(argument, f"must be a mapping of header names to values, not {type(value).__name__}")
    result: dict[str, str] = {}
    for name, header_value in value.items():
        if not isinstance(name, str) or not isinstance(header_value, str):
            raise InvalidInputError(argument, "header names and values must be strings")
        if not _HEADER_NAME.fullmatch(name):
            raise InvalidInputError(argument, f"{name[:40]!r} is not a valid header name")
        where = f"{argument}[{name!r}]"
        if name.lower() in AUTH_HEADERS:
            raise InvalidInputError(where, "auth headers are set by the client; pass access_token/m2m_token instead")
        if not _HEADER_VALUE.fullmatch(header_value):
            raise InvalidInputError(
                where, "a header value must be printable ASCII, without line breaks or spaces at either end"
            )
        result[name] = header_value
    return result
