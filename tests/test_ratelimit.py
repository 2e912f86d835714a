"""The client-wide rate gate (issue 13): its token bucket and state machine on a fake clock, the pause shared by the
calls of one client on a real local server, free retries for refusals shared with other calls, max_rate input."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from faultserver import ACC, Reply, Seen, fota_httpx_answer, make_client, running

from thingspace_fota import AsyncFotaClient, FotaClient, InternalServerError, InvalidInputError, RateLimitError
from thingspace_fota._env import MAX_RATE, client_kwargs_from_env
from thingspace_fota._ratelimit import CUT, PROBE_GROWTH, RateGate, TokenBucket

RETRY_AFTER = 1.0  # the seconds of a `Retry-After: 1`, as the send loop reads them
NO_WAIT = None  # an answer without Retry-After
TOKENS_ENV = {"THINGSPACE_ACCESS_TOKEN": "a" * 20, "THINGSPACE_M2M_TOKEN": "m" * 20}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- the token bucket -------------------------------------------------------------------------------------------------


def test_token_bucket_spaces_requests_at_its_rate() -> None:
    bucket = TokenBucket(10.0)
    assert [bucket.reserve(0.0) for _ in range(4)] == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert bucket.reserve(5.0) == 0.0  # after a quiet spell the next one goes at once
    assert bucket.reserve(5.0) == pytest.approx(0.1)


def test_token_bucket_lets_a_burst_through_then_paces() -> None:
    bucket = TokenBucket(10.0, burst=3)
    assert [bucket.reserve(0.0) for _ in range(5)] == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])


def test_token_bucket_follows_a_new_rate() -> None:
    bucket = TokenBucket(10.0)
    bucket.reserve(0.0)
    bucket.rate = 2.0
    assert bucket.reserve(0.0) == pytest.approx(0.1)  # the slot booked at the old rate
    assert bucket.reserve(0.0) == pytest.approx(0.6)


# -- the gate's state machine on a fake clock -------------------------------------------------------------------------


def first_cut(clock: Clock, gate: RateGate, admitted: int = 200, window: float = 2.0) -> None:
    """A 429 at ``clock.now``; ``admitted`` successes over ``window`` s; another 429; the pause ends."""
    start = clock.now
    assert gate.observe(429, RETRY_AFTER, start - 0.01) is False
    for n in range(admitted):
        assert gate.observe(200, NO_WAIT, start + window * n / admitted) is False
    clock.now = start + window
    assert gate.observe(429, RETRY_AFTER, clock.now) is False  # sent after the first episode: new evidence
    clock.now += 1.0
    assert gate._ask() == (0.0, 0.0)  # the pause is over; the window closes; the first slot is free


def later_cut(clock: Clock, gate: RateGate, admitted: int, window: float = 2.0) -> None:
    """After ``first_cut``: ``admitted`` successes over the ``window`` s since the last episode, then a 429."""
    start = clock.now - 1.0  # the last episode: its pause just ended
    for n in range(admitted):
        gate.observe(200, NO_WAIT, start + window * n / admitted)
    clock.now = start + window
    assert gate.observe(429, RETRY_AFTER, clock.now) is False
    clock.now += 1.0
    assert gate._ask()[0] == 0.0


def test_no_pacing_and_no_bookkeeping_without_a_429() -> None:
    gate = RateGate(clock=lambda: pytest.fail("the unpaced path read the clock"))
    for n in range(100):
        assert gate.observe(200, NO_WAIT, float(n)) is False
        gate.wait()
    assert gate.observe(404, NO_WAIT, 1.0) is False
    assert gate.observe(503, NO_WAIT, 1.0) is False  # a 503 without Retry-After is a server error, no limit
    assert (gate.active, gate.measuring, gate.rate) == (False, False, None)


def test_a_429_with_retry_after_pauses_every_call_then_measures() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    gate.observe(429, RETRY_AFTER, clock.now - 0.01)
    assert gate.active and gate.measuring
    assert gate._ask() == (pytest.approx(1.0), 0.0)
    clock.now += 0.4
    assert gate._ask() == (pytest.approx(0.6), 0.0)
    clock.now += 0.6
    assert gate._ask() == (0.0, 0.0)
    assert gate.rate is None  # one episode alone says nothing about the rate: no pacing yet


def test_pacing_starts_at_90_percent_of_what_got_through(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    with caplog.at_level(logging.INFO, logger="thingspace_fota"):
        first_cut(clock, gate)
    assert gate.rate == pytest.approx(CUT * 100.0)
    assert [r.getMessage() for r in caplog.records] == [
        "rate limited: pacing starts at 90.0 requests/s (100.0/s got through)"
    ]
    assert gate._ask() == (0.0, pytest.approx(1 / 90.0))  # the next request waits for its slot


def test_successes_of_calls_in_flight_at_the_429_count() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    start = clock.now
    gate.observe(429, RETRY_AFTER, start - 0.01)
    clock.now = start + 2.0
    gate.observe(429, RETRY_AFTER, clock.now - 0.5)  # the window ends when this refused request was sent
    for n in range(150):  # answers arriving during the pause, of requests sent before the window ended
        gate.observe(200, NO_WAIT, start + 1.5 * n / 150)
    clock.now += 1.0
    gate._ask()
    assert gate.rate == pytest.approx(CUT * 150 / 1.5)


def test_a_refusal_of_a_request_sent_before_the_episode_was_known_is_shared() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    assert gate.observe(429, RETRY_AFTER, clock.now - 0.02) is False  # the first: this call pays
    clock.now += 0.01
    assert gate.observe(429, RETRY_AFTER, clock.now - 0.03) is True  # in flight at the 429: waits for free
    assert gate.observe(503, RETRY_AFTER, clock.now - 0.03) is True
    clock.now += 0.5
    assert gate._ask()[0] == pytest.approx(0.5)  # extended by the in-flight refusal (0.49 without)


def test_pacing_probes_upward_silently_then_ends(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    first_cut(clock, gate)
    cut_at = clock.now
    with caplog.at_level(logging.INFO, logger="thingspace_fota"):
        for second in range(1, 35):
            clock.now = cut_at + second
            gate._ask()
            assert gate.rate == pytest.approx(90.0 * PROBE_GROWTH**second)
        assert caplog.records == []  # no line per probe step or per paced call
        clock.now = cut_at + math.log(2) / math.log(PROBE_GROWTH) + 0.1
        assert gate._ask() == (0.0, 0.0)
    assert gate.rate is None
    assert [r.getMessage() for r in caplog.records] == ["rate limited: no 429 for 35 s, pacing ends"]


def test_each_later_cut_is_logged_once_and_never_raises_the_pace(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    first_cut(clock, gate)  # 90/s
    with caplog.at_level(logging.INFO, logger="thingspace_fota"):
        later_cut(clock, gate, admitted=160)  # 80/s got through: cut to 72/s
        assert gate.rate == pytest.approx(72.0)
        later_cut(clock, gate, admitted=400)  # more got through: the pace stays
        assert gate.rate == pytest.approx(72.0)
    assert [r.getMessage() for r in caplog.records] == [
        "rate limited: pacing cut to 72.0 requests/s (80.0/s got through)",
        "rate limited: pacing cut to 72.0 requests/s (200.0/s got through)",
    ]


def test_max_rate_paces_from_the_start_and_caps_the_adaptive_rate() -> None:
    clock = Clock()
    gate = RateGate(50.0, clock=clock)
    assert gate.rate == 50.0
    assert [gate._ask()[1] for _ in range(3)] == pytest.approx([0.0, 0.02, 0.04])
    first_cut(clock, gate)  # the adaptive rate, 90/s, is above max_rate
    assert gate.rate == 50.0
    later_cut(clock, gate, admitted=40)  # 20/s got through: 18/s, below max_rate
    assert gate.rate == pytest.approx(18.0)


def test_a_503_with_retry_after_pauses_without_pacing() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    gate.observe(503, RETRY_AFTER, clock.now)
    assert gate._ask()[0] == pytest.approx(1.0)
    clock.now += 1.0
    assert gate._ask() == (0.0, 0.0)
    assert (gate.active, gate.measuring, gate.rate) == (False, False, None)


def test_a_measurement_over_a_long_quiet_spell_is_not_used() -> None:
    clock = Clock()
    gate = RateGate(clock=clock)
    first_cut(clock, gate, admitted=10, window=3600.0)  # 10 calls in an hour say nothing about the limit
    assert gate.rate is None


# -- input -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, -0.5, math.nan, math.inf, True, "10", [10]])
def test_invalid_max_rate_is_refused_before_anything_is_sent(kind: str, value: Any) -> None:
    with running() as server:
        with pytest.raises(InvalidInputError, match="max_rate") as info:
            make_client(kind, server.url, max_rate=value)
        assert info.value.argument == "max_rate"
        assert server.count == 0


@pytest.mark.parametrize("value", [100, 2.5])
def test_max_rate_accepts_ints_and_floats(kind: str, value: float) -> None:
    with running() as server:
        fota = make_client(kind, server.url, max_rate=value)
        assert fota._gate.rate == float(value)
        if isinstance(fota, FotaClient):
            fota.close()


def test_max_rate_from_the_environment() -> None:
    assert client_kwargs_from_env({**TOKENS_ENV, MAX_RATE: " 12.5 "})["max_rate"] == 12.5
    assert "max_rate" not in client_kwargs_from_env({**TOKENS_ENV, MAX_RATE: "  "})
    assert client_kwargs_from_env({**TOKENS_ENV, MAX_RATE: "5"}, overrides={"max_rate": 7})["max_rate"] == 7
    for bad in ("fast", "0", "-3", "nan", "inf"):
        with pytest.raises(InvalidInputError, match=MAX_RATE):
            client_kwargs_from_env({**TOKENS_ENV, MAX_RATE: bad})


# -- the shared pause on a real local server ---------------------------------------------------------------------------


def run_both(kind: str, url: str, first: str, second: str, before_second: Any, **client: Any) -> list[Any]:
    """Report firmware for device ``first``, then (once ``before_second()`` returns) for ``second``, concurrently,
    through one client; returns each result or raised exception."""
    if kind == "sync":
        fota = make_client("sync", url, **client)
        assert isinstance(fota, FotaClient)

        def one(device: str) -> Any:
            try:
                return fota.report_device_firmware(ACC, device)
            except Exception as exc:  # the test asserts on it
                return exc

        with fota, ThreadPoolExecutor(2) as pool:
            a = pool.submit(one, first)
            before_second()
            b = pool.submit(one, second)
            return [a.result(timeout=30), b.result(timeout=30)]

    async def main() -> list[Any]:
        fota = make_client("async", url, **client)
        assert isinstance(fota, AsyncFotaClient)
        async with fota:
            a = asyncio.ensure_future(fota.report_device_firmware(ACC, first))
            await asyncio.to_thread(before_second)
            b = asyncio.ensure_future(fota.report_device_firmware(ACC, second))
            return list(await asyncio.gather(a, b, return_exceptions=True))

    return asyncio.run(main())


def device_of(request: Seen) -> str:
    return request.path.rsplit("/", 1)[1]


def test_a_call_waiting_out_another_calls_429_keeps_all_its_retries(kind: str) -> None:
    answers = {"A": [Reply(429, b"", {"Retry-After": "1"})], "B": [Reply(500), Reply(500)]}
    arrived: dict[str, list[float]] = {"A": [], "B": []}

    def handler(request: Seen) -> Reply | None:
        device = device_of(request)
        arrived[device].append(time.monotonic())
        return answers[device].pop(0) if answers[device] else None

    def after_the_429_arrived() -> None:
        deadline = time.monotonic() + 10
        while not arrived["A"] and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # the client has read the 429; call A sleeps its Retry-After

    with running(handler) as server:
        a, b = run_both(kind, server.url, "A", "B", after_the_429_arrived, max_retries=2)
    assert a.request_id.startswith("req-A-")
    # B was not sent during the pause: it waited, then used both its retries on two 500s and succeeded.
    assert b.request_id.startswith("req-B-"), b
    assert len(arrived["B"]) == 3
    assert arrived["B"][0] - arrived["A"][0] >= 0.9


def in_seconds(seconds: float) -> str:
    """An HTTP date ``seconds`` from now, as a Retry-After may carry it."""
    return email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("status", "retry_after", "error"),
    [(429, "30", RateLimitError), (503, "30", InternalServerError), (429, "http-date", RateLimitError)],
    ids=["429-seconds", "503-seconds", "429-http-date"],
)
def test_a_retry_after_above_max_retry_wait_raises_for_its_call_and_pauses_the_others_at_most_that_long(
    kind: str, status: int, retry_after: str, error: type[Exception]
) -> None:
    """The call that got the long Retry-After raises at once; the others hold back for max_retry_wait (1 s), not
    for the server's 30 s (the bug: every later call of the client slept the full Retry-After)."""
    arrived: dict[str, list[float]] = {"A": [], "B": []}

    def handler(request: Seen) -> Reply | None:
        device = device_of(request)
        arrived[device].append(time.monotonic())
        wait = in_seconds(30) if retry_after == "http-date" else retry_after
        return Reply(status, b"", {"Retry-After": wait}) if device == "A" else None

    def after_the_refusal_arrived() -> None:
        deadline = time.monotonic() + 10
        while not arrived["A"] and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)

    with running(handler) as server:
        a, b = run_both(kind, server.url, "A", "B", after_the_refusal_arrived, max_retry_wait=1)
    assert isinstance(a, error), a
    assert a.retry_after > 25
    assert len(arrived["A"]) == 1  # raised at once, as without the gate
    assert b.request_id.startswith("req-B-"), b
    waited = arrived["B"][0] - arrived["A"][0]
    assert 0.9 <= waited < 10, waited  # B waited out the clamped pause rather than be refused; it did not hang


def test_the_pause_is_capped_at_max_pause() -> None:
    clock = Clock()
    gate = RateGate(max_pause=5.0, clock=clock)
    gate.observe(429, 3600.0, clock.now - 0.01)
    assert gate._ask() == (pytest.approx(5.0), 0.0)
    clock.now += 5.0
    assert gate._ask() == (0.0, 0.0)
    gate.observe(503, 2.0, clock.now)  # a wait within the cap pauses in full
    assert gate._ask() == (pytest.approx(2.0), 0.0)


def test_the_clients_gate_is_capped_at_max_retry_wait(kind: str) -> None:
    fota = make_client(kind, "http://127.0.0.1:9", max_retry_wait=7)
    assert fota._gate.max_pause == 7.0
    if isinstance(fota, FotaClient):
        fota.close()


def test_a_refusal_shared_with_another_call_costs_no_retry(kind: str) -> None:
    """B is in flight when A's 429 arrives; B's own 429 is part of the same burst: with max_retries=0 it still
    waits the pause out and succeeds, where alone it would raise."""
    b_arrived = threading.Event()
    a_answered = threading.Event()
    sent: dict[str, int] = {"A": 0, "B": 0}
    limited = {"Retry-After": "0.3"}

    def answer(request: httpx.Request) -> httpx.Response | None:
        device = request.url.path.rsplit("/", 1)[1]
        sent[device] += 1
        if sent[device] > 1:
            return fota_httpx_answer(request)
        if device == "B":
            b_arrived.set()
        return None

    if kind == "sync":

        def handle(request: httpx.Request) -> httpx.Response:
            done = answer(request)
            if done is not None:
                return done
            if request.url.path.endswith("/A"):
                assert b_arrived.wait(10)
                a_answered.set()
                return httpx.Response(429, headers=limited)
            assert a_answered.wait(10)
            time.sleep(0.5)  # let A's thread hand its 429 to the gate
            return httpx.Response(429, headers=limited)

        http: Any = httpx.Client(transport=httpx.MockTransport(handle))
    else:

        async def ahandle(request: httpx.Request) -> httpx.Response:
            done = answer(request)
            if done is not None:
                return done
            if request.url.path.endswith("/A"):
                while not b_arrived.is_set():
                    await asyncio.sleep(0.01)
                return httpx.Response(429, headers=limited)
            await asyncio.sleep(0.3)  # A's task hands its 429 to the gate first
            return httpx.Response(429, headers=limited)

        http = httpx.AsyncClient(transport=httpx.MockTransport(ahandle))

    results = run_both(kind, "http://fota.test", "A", "B", lambda: None, http_client=http, max_retries=0)
    if kind == "sync":
        http.close()
    else:
        asyncio.run(http.aclose())
    assert isinstance(results[0], RateLimitError)  # A's own 429, with no retries left: raised as before
    assert results[1].request_id.startswith("req-B-"), results[1]
    assert sent == {"A": 1, "B": 2}
