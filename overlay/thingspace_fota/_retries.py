"""When to try again: the server's ``Retry-After`` and the client's own exponential backoff."""

from __future__ import annotations

import email.utils
import math
import random
from datetime import UTC, datetime

import httpx

from ._constants import INITIAL_RETRY_DELAY, JITTER, MAX_RETRY_DELAY


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``; None if absent."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return max(value, 0.0)
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max((when - datetime.now(UTC)).total_seconds(), 0.0)
    return max(value, 0.0) if math.isfinite(value) else None


def backoff_delay(retries_done: int) -> float:
    """Exponential backoff with jitter: ``min(0.5 * 2**n, 8)`` seconds, less up to 25 %."""
    base: float = min(INITIAL_RETRY_DELAY * 2**retries_done, MAX_RETRY_DELAY)
    return base * (1 - JITTER * random.random())  # noqa: S311 - jitter, not cryptography
