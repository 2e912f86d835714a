"""Decoding a response body as JSON: the one place that knows every way a body can fail to be JSON.

``httpx.Response.json()`` raises ``json.JSONDecodeError`` for bad syntax, ``UnicodeDecodeError`` for bad bytes,
``RecursionError`` for nesting deeper than the interpreter's stack, and a plain ``ValueError`` for an integer
longer than Python's int conversion limit (4300 digits by default, ``sys.set_int_max_str_digits``). The first two
are ValueErrors too, so ``(ValueError, RecursionError)`` covers them all.
"""

from __future__ import annotations

from typing import Any

import httpx


class NotJSONError(Exception):
    """The body is not JSON that Python can decode; never leaves the library (callers turn it into a FotaError or
    a text fallback)."""


def decode_json(response: httpx.Response) -> Any:
    """The decoded JSON body of ``response``; raises :class:`NotJSONError` when it cannot be decoded."""
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        raise NotJSONError(type(exc).__name__) from None
