"""The client-wide rate gate: one per client, shared by all its calls, threads and tasks.

A server that rate-limits answers a burst with 429 and ``Retry-After``. Left alone, every call in flight sleeps
the same time, wakes with the others and hits the limit again. The gate makes the calls of one client act
together:

* **Pause.** A 429 or 503 with ``Retry-After`` holds every call of the client until that time has passed, but
  never longer than the client's ``max_retry_wait`` (``max_pause``); calls not yet sent wait instead of being
  refused. A call whose request was already in flight when another call's
  429 arrived was refused as part of the same burst: the gate says so (``observe`` returns True) and the call
  waits it out without spending one of its own retries.
* **Adaptive pacing.** Without any 429 nothing is paced. After a 429 the gate measures what gets through: the
  requests sent between two episodes of 429s that succeeded, divided by the time between them (the server's
  token bucket is empty at both ends, so that is the rate it admits). The window closes when the pause is
  over, so the calls in flight at the 429 have answered. The gate then paces at 90 % of that rate (a gentle
  cut: halving wastes much of the job's time) and raises the pace by 2 % a second until the next 429. Once the
  pace has doubled without a 429, pacing ends.
* **max_rate.** With ``max_rate`` the calls are paced at it from the first request; after a 429, at the lower
  of ``max_rate`` and the adaptive rate.

Pacing is a token bucket (:class:`TokenBucket`) of reservations: a call takes the next free slot and sleeps until
it, with ``time.sleep`` or ``asyncio.sleep``; the gate's lock is a ``threading.Lock`` held only for arithmetic,
never while sleeping, so one gate serves threads and event loops alike (aiolimiter is asyncio-only).

On the unpaced path (no 429 seen, no ``max_rate``) ``wait`` checks one attribute and ``observe`` two; neither
takes the lock or reads the clock.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from ._exceptions import InvalidInputError
from ._logs import logger

CUT = 0.9  # pace at this share of the rate that got through
PROBE_GROWTH = 1.02  # then raise the pace by this factor per second
PACING_ENDS = 2.0  # pacing ends once the pace has grown by this factor without a 429
MAX_WINDOW = 60.0  # seconds; an older measurement says little about the server's limit now: start again
MIN_RATE = 0.1  # requests per second: the slowest pace, one request every ten seconds
MAX_FREE_RETRIES = 8  # refusals a call may wait out for free (shared with other calls) before they count


def checked_rate(value: object, argument: str = "max_rate") -> float:
    """A rate in requests per second: a finite number > 0 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidInputError(argument, f"must be a positive number of requests per second, not {value!r}")
    return float(value)


class TokenBucket:
    """Paces requests at ``rate`` per second, letting ``burst`` of them go at once after a quiet spell.

    Reservations (the generic cell rate algorithm): :meth:`reserve` books the next free slot and says how long
    to wait for it. Not locked: :class:`RateGate` calls it under its lock.
    """

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self.rate = rate
        self.burst = burst
        self._next = -math.inf  # when the next request would be due if none had been let through early

    def reserve(self, now: float) -> float:
        """Book one request; returns the seconds to wait before sending it (0.0: send now)."""
        interval = 1.0 / self.rate
        due = max(self._next, now)
        self._next = due + interval
        return max(due - (self.burst - 1) * interval - now, 0.0)


class RateGate:
    """The rate gate of one client (see the module docstring). ``max_pause`` is the client's ``max_retry_wait``:
    the longest any ``Retry-After`` holds the other calls. ``clock`` is for tests."""

    def __init__(
        self,
        max_rate: float | None = None,
        *,
        max_pause: float = math.inf,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_rate = max_rate
        self.max_pause = max_pause
        self._clock = clock
        self._lock = threading.Lock()
        # Read without the lock on the hot path: is anything to be done at all?
        self.active = max_rate is not None
        self.measuring = False
        self._paused_until = -math.inf
        self._episode_at = -math.inf  # when the latest episode of 429s became known
        self._window_start: float | None = None  # the measurement window: from one episode ...
        self._window_end: float | None = None  # ... to the sending of the request the next one refused
        self._ok = 0  # successes of requests sent in the window
        self._ok_next = 0  # successes of requests sent since the next window began, while that one is closing
        self._rate: float | None = None  # the adaptive pace
        self._cut_rate = 0.0
        self._cut_at = 0.0
        self._bucket = TokenBucket(max_rate) if max_rate is not None else None

    @property
    def rate(self) -> float | None:
        """The pace in requests per second (the lower of max_rate and the adaptive rate), None when unpaced."""
        return None if self._bucket is None else self._bucket.rate

    # -- before each attempt ------------------------------------------------------------------------------------

    def wait(self) -> None:
        """Block until this thread may send its next request."""
        if not self.active:
            return
        while True:
            pause, slot = self._ask()
            if pause > 0:
                time.sleep(pause)
                continue
            if slot <= 0:
                return
            time.sleep(slot)
            if self._paused_until <= self._clock():  # no pause began while waiting for the slot
                return

    async def wait_async(self) -> None:
        """The async twin of :meth:`wait`."""
        if not self.active:
            return
        import asyncio  # noqa: PLC0415 - lazily: `import thingspace_fota` need not load asyncio

        while True:
            pause, slot = self._ask()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if slot <= 0:
                return
            await asyncio.sleep(slot)
            if self._paused_until <= self._clock():
                return

    def _ask(self) -> tuple[float, float]:
        """(seconds of pause left, 0) or (0, seconds until the slot booked for this request)."""
        now = self._clock()
        with self._lock:
            if now < self._paused_until:
                return self._paused_until - now, 0.0
            if self._window_end is not None:
                self._close_window(now)
            if self._rate is not None:
                self._probe(now)
            if self._bucket is None:
                if self._window_start is None or now - self._window_start > MAX_WINDOW:
                    self._window_start = None
                    self.measuring = False
                    self.active = False  # nothing left to do: back to the unpaced path
                return 0.0, 0.0
            return 0.0, self._bucket.reserve(now)

    # -- after each answer --------------------------------------------------------------------------------------

    def observe(self, status: int, retry_after: float | None, started: float) -> bool:
        """Learn from an answer to a request sent at ``started`` (monotonic clock), with the seconds of its
        ``Retry-After`` (read once by the caller, which needs them too). True when it is a refusal the client
        already knew of: the request was in flight when another call's 429 arrived, and the call may wait out the
        pause without spending a retry."""
        if status < 300:
            if self.measuring:
                self._admitted(started)
            return False
        if status != 429 and status != 503:  # noqa: PLR1714 - the hot path: two int compares
            return False
        return self._refused(status, retry_after, started)

    def _admitted(self, started: float) -> None:
        with self._lock:
            start = self._window_start
            if start is None or started < start:
                return
            if self._window_end is None or started < self._window_end:
                self._ok += 1
            elif started >= self._episode_at:
                self._ok_next += 1

    def _refused(self, status: int, retry_after: float | None, started: float) -> bool:
        if status == 503 and retry_after is None:
            return False  # a server error, not a rate limit
        now = self._clock()
        with self._lock:
            if retry_after:
                # Clamped, not ignored: the server has just said it refuses this client, so the other calls
                # still hold back (sending them now would only collect more 429s), but for no longer than the
                # client's max_retry_wait, the longest the user agreed to wait for any Retry-After. The call that
                # got a longer one raises RateLimitError (Call.answered); nobody sleeps for the server's hour.
                self._paused_until = max(self._paused_until, now + min(retry_after, self.max_pause))
                self.active = True
            if started < self._episode_at:
                return True  # sent before the client knew of this episode: refused with the others
            self._episode_at = now
            if status == 429:
                self.active = True
                if self._window_start is None:
                    self._window_start = now
                    self._ok = self._ok_next = 0
                    self.measuring = True
                elif self._window_end is None:
                    self._window_end = started
            return False

    # -- pacing -------------------------------------------------------------------------------------------------

    def _close_window(self, now: float) -> None:
        """Cut the pace to 90 % of what got through in the window that just closed; open the next window."""
        assert self._window_start is not None and self._window_end is not None  # noqa: S101 - for mypy
        duration = self._window_end - self._window_start
        ok = self._ok
        self._window_start, self._window_end = self._episode_at, None
        self._ok, self._ok_next = self._ok_next, 0
        if not 0 < duration <= MAX_WINDOW:
            return  # too short or too old to say anything: measure again from this episode
        got_through = max(ok, 1) / duration
        rate = max(CUT * got_through, MIN_RATE)
        if self._rate is not None:
            rate = min(rate, self._rate)
        starts = self._rate is None
        self._rate, self._cut_rate, self._cut_at = rate, rate, now
        self._apply()
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "rate limited: pacing %s %.1f requests/s (%.1f/s got through)%s",
                "starts at" if starts else "cut to",
                rate,
                got_through,
                f", max_rate {self.max_rate:g}/s" if self.max_rate is not None else "",
            )

    def _probe(self, now: float) -> None:
        """Raise the adaptive pace slowly; end pacing once it has doubled without a 429."""
        rate = self._cut_rate * PROBE_GROWTH ** (now - self._cut_at)
        if rate >= PACING_ENDS * self._cut_rate:
            self._rate = None
            logger.info("rate limited: no 429 for %.0f s, pacing ends", now - self._cut_at)
        else:
            self._rate = rate
        self._apply()

    def _apply(self) -> None:
        """Pace at the lower of max_rate and the adaptive rate, or not at all."""
        rates = [r for r in (self._rate, self.max_rate) if r is not None]
        if not rates:
            self._bucket = None
        elif self._bucket is None:
            self._bucket = TokenBucket(min(rates))
        else:
            self._bucket.rate = min(rates)
