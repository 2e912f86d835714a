"""Keeping secrets out of logs and errors: the one place that knows what a secret looks like.

Two tools: :func:`redact` replaces the values of secret JSON keys (``password``, ``access_token`` ...) in a decoded
body before it is logged; :func:`mask` replaces known secret values (the auth header values of a call, the client
secret and password of the credentials flow) wherever they appear in a text, should a server echo one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ._decode import NotJSONError, decode_json

REDACTED = "[redacted]"

# JSON keys whose values are secrets, compared case-insensitively.
SECRET_KEYS = frozenset(
    {"access_token", "refresh_token", "id_token", "sessiontoken", "password", "client_secret", "token"}
)

# Shorter values are not masked: replacing every occurrence of a short word would garble messages, and a real
# access or session token is far longer.
MIN_MASKED_LENGTH = 8


def redact(value: Any) -> Any:
    """A copy of a decoded JSON value with the values of secret keys replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[redacted]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


# The userinfo of a URL in a text ("http://user:password@host"): everything between "://" and the last "@" before
# the host, that is before the next "/", whitespace or quote.
_USERINFO = re.compile(r"(?<=://)[^/\s'\"]*@")


def mask_userinfo(text: str) -> str:
    """``text`` with the userinfo of every URL in it (a proxy's user and password) replaced by ``[redacted]``."""
    return _USERINFO.sub(f"{REDACTED}@", text)


def mask_optional(text: str | None, secrets: Iterable[str]) -> str | None:
    """:func:`mask` that passes None through."""
    return None if text is None else mask(text, secrets)


def secrets_of(auth: Mapping[str, str], known: tuple[str, ...]) -> tuple[str, ...]:
    """``known`` plus the auth header values, each also without its scheme (``Bearer``), longest first."""
    found = set(known)
    for value in auth.values():
        found.add(value)
        scheme, _, credential = value.partition(" ")
        if credential and scheme.isalpha():
            found.add(credential.strip())
    return tuple(sorted((s for s in found if len(s) >= MIN_MASKED_LENGTH), key=len, reverse=True))


def loggable_body(response: httpx.Response) -> str:
    """A response body for a DEBUG log: the JSON redacted (at most 4000 characters), else its size and type."""
    try:
        return json.dumps(redact(decode_json(response)))[:4000]
    except (NotJSONError, RecursionError):  # RecursionError: decodable, but too deep for redact's recursion
        return f"<{len(response.content)} bytes of {response.headers.get('content-type', 'unknown type')}>"
