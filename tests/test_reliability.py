"""Retries, backoff, Retry-After, timeouts and partial failures, proven against a real HTTP server on loopback.

Every fault-injection test runs through FotaClient, AsyncFotaClient and AsyncFotaClient on DefaultAioHttpClient
(aiohttp) and asserts the outcome, the number of
requests the server saw and that the elapsed time respects the backoff and timeout bounds. Lower bounds are the
least the client must wait; upper bounds are generous (two cores shared with other jobs).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from faultserver import (
    ACC,
    KINDS,
    Drop,
    FaultServer,
    Reply,
    Reset,
    Seen,
    Stall,
    reply_json,
    timed,
    timeouts_seen,
)

import thingspace_fota as tf
from mockserver import free_port
from thingspace_fota._retries import backoff_delay, parse_retry_after

DEVICE = "990013907835573"
SLACK = 0.05  # clock granularity allowance on lower bounds
FIRST_BACKOFF = 0.5 * 0.75  # backoff_delay(0) is at least this
SECOND_BACKOFF = 1.0 * 0.75  # backoff_delay(1) is at least this
ERROR_BODY = {"errorCode": "SERVICE_UNAVAILABLE", "errorMessage": "try again"}


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Which client a test drives: FotaClient, AsyncFotaClient, or AsyncFotaClient on DefaultAioHttpClient."""
    return str(request.param)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


def always(action: Reply | Reset | Stall | Drop) -> Any:
    """A handler giving ``action`` to every request."""
    return lambda request: action


def report(kind: str, url: str, **kwargs: Any) -> tuple[Any, float]:
    client = kwargs.pop("client", None)
    return timed(kind, url, "report_device_firmware", ACC, DEVICE, client=client, **kwargs)


def assert_reported(outcome: Any) -> None:
    assert isinstance(outcome, tf.FirmwareReportRequest), repr(outcome)
    assert outcome.account_name == ACC
    assert outcome.request_id.startswith(f"req-{DEVICE}-")


# -- the formulas ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("retries_done", range(7))
def test_backoff_delay_is_exponential_capped_and_jittered(retries_done: int) -> None:
    base = min(0.5 * 2**retries_done, 8.0)
    samples = [backoff_delay(retries_done) for _ in range(400)]
    assert all(base * 0.75 <= s <= base for s in samples)
    assert max(samples) - min(samples) > base * 0.1  # jitter really varies
    assert len(set(samples)) > 300


def _http_date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"retry-after": "1"}, 1.0, 1.0),
        ({"retry-after": "2.5"}, 2.5, 2.5),
        ({"retry-after": "0"}, 0.0, 0.0),
        ({"retry-after": "-4"}, 0.0, 0.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25, 0.25),
        ({"retry-after": "date+30"}, 28.0, 30.0),
        ({"retry-after": "date-30"}, 0.0, 0.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0, 0.0),
    ],
)
def test_parse_retry_after(headers: dict[str, str], low: float, high: float) -> None:
    if headers["retry-after"].startswith("date"):  # made now, not at collection time
        headers = {"retry-after": _http_date(float(headers["retry-after"][4:]))}
    wait = parse_retry_after(httpx.Headers(headers))
    assert wait is not None
    assert low <= wait <= high


@pytest.mark.parametrize("value", [None, "soon", "nan", "inf", "", "Wed, 99 Foo 2015"])
def test_parse_retry_after_ignores_what_is_not_a_wait(value: str | None) -> None:
    headers = httpx.Headers({} if value is None else {"retry-after": value})
    assert parse_retry_after(headers) is None


# -- retries --------------------------------------------------------------------------------------------------------


def test_503_then_200_succeeds_after_a_real_backoff(server: FaultServer, kind: str) -> None:
    server.script(reply_json(ERROR_BODY, 503))
    outcome, elapsed = report(kind, server.url)
    assert_reported(outcome)
    assert server.count == 2
    assert [r.path for r in server.requests] == [f"/firmware/{ACC}/async/{DEVICE}"] * 2
    assert FIRST_BACKOFF - SLACK <= elapsed < 5.0


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_every_retryable_status_is_retried(server: FaultServer, kind: str, status: int) -> None:
    server.script(reply_json(ERROR_BODY, status, **{"Retry-After": "0"}))
    outcome, elapsed = timed(kind, server.url, "list_available_firmware", ACC)
    assert [p.firmware_from for p in outcome] == ["BG96MAR04A04M1G"]
    assert server.count == 2
    assert elapsed < 5.0  # generous; the logged wait of 0.00 s is checked in test_logging


def test_persistent_500_makes_exactly_three_attempts_with_exponential_backoff(server: FaultServer, kind: str) -> None:
    server.handler = always(reply_json({"errorCode": "E500", "errorMessage": "boom"}, 500))
    outcome, elapsed = report(kind, server.url)
    assert isinstance(outcome, tf.InternalServerError)
    assert (outcome.status_code, outcome.error_code, outcome.error_message) == (500, "E500", "boom")
    assert server.count == 3  # default max_retries=2
    # Two sleeps: backoff_delay(0) in [0.375, 0.5] and backoff_delay(1) in [0.75, 1.0].
    assert FIRST_BACKOFF + SECOND_BACKOFF - SLACK <= elapsed < 1.5 + 6.0


def test_429_retry_after_in_seconds_is_honoured(server: FaultServer, kind: str) -> None:
    server.script(reply_json(ERROR_BODY, 429, **{"Retry-After": "1"}))
    outcome, elapsed = report(kind, server.url)
    assert_reported(outcome)
    assert server.count == 2
    assert 1.0 - SLACK <= elapsed < 6.0


def test_429_retry_after_as_http_date_is_honoured(server: FaultServer, kind: str) -> None:
    # formatdate drops the fraction of a second: the wait is between 1 and 2 seconds.
    server.script(reply_json(ERROR_BODY, 429, **{"Retry-After": _http_date(2)}))
    outcome, elapsed = report(kind, server.url)
    assert_reported(outcome)
    assert server.count == 2
    assert 1.0 - 2 * SLACK <= elapsed < 7.0


@pytest.mark.parametrize("retry_after", ["120", "date"])
def test_retry_after_above_the_cap_raises_rate_limit_error_at_once(
    server: FaultServer, kind: str, retry_after: str
) -> None:
    value = _http_date(120) if retry_after == "date" else retry_after
    server.handler = always(reply_json(ERROR_BODY, 429, **{"Retry-After": value}))
    outcome, elapsed = report(kind, server.url, client={"max_retry_wait": 5})
    assert isinstance(outcome, tf.RateLimitError)
    assert outcome.retry_after is not None
    assert 115.0 <= outcome.retry_after <= 120.0
    assert server.count == 1
    assert elapsed < 5.0  # no sleep at all


def test_retry_after_above_the_default_cap_of_60_seconds(server: FaultServer, kind: str) -> None:
    server.handler = always(reply_json(ERROR_BODY, 503, **{"Retry-After": "61"}))
    outcome, elapsed = report(kind, server.url)
    assert isinstance(outcome, tf.InternalServerError)
    assert outcome.retry_after == 61.0
    assert server.count == 1
    assert elapsed < 5.0


def test_last_attempt_reports_the_server_retry_after(server: FaultServer, kind: str) -> None:
    server.handler = always(reply_json(ERROR_BODY, 429, **{"Retry-After": "0"}))
    outcome, _ = report(kind, server.url, max_retries=1)
    assert isinstance(outcome, tf.RateLimitError)
    assert outcome.retry_after == 0.0
    assert server.count == 2


@pytest.mark.parametrize("status", [400, 403, 404, 405, 409, 410, 413, 418, 422])
def test_other_4xx_are_never_retried(server: FaultServer, kind: str, status: int) -> None:
    server.handler = always(
        reply_json({"errorCode": f"E{status}", "errorMessage": "no"}, status, **{"Retry-After": "0"})
    )
    outcome, elapsed = report(kind, server.url, max_retries=5)
    assert isinstance(outcome, tf.APIStatusError)
    assert outcome.status_code == status
    assert outcome.error_code == f"E{status}"
    assert server.count == 1
    assert elapsed < 5.0


@pytest.mark.parametrize(
    ("client_retries", "call_retries", "attempts"),
    [(None, None, 3), (0, None, 1), (0, 3, 4), (4, 1, 2), (3, 0, 1)],
)
def test_max_retries_per_client_and_per_call(
    server: FaultServer, kind: str, client_retries: int | None, call_retries: int | None, attempts: int
) -> None:
    server.handler = always(reply_json(ERROR_BODY, 503, **{"Retry-After": "0"}))
    client = {} if client_retries is None else {"max_retries": client_retries}
    outcome, _ = report(kind, server.url, client=client, max_retries=call_retries)
    assert isinstance(outcome, tf.InternalServerError)
    assert outcome.status_code == 503
    assert server.count == attempts


# -- answers that are not what they should be -----------------------------------------------------------------------


def test_200_with_invalid_json(server: FaultServer, kind: str) -> None:
    server.handler = always(Reply(200, b'{"accountName": "0000123456-00001", ', content_type="application/json"))
    outcome, elapsed = report(kind, server.url)
    assert isinstance(outcome, tf.ResponseValidationError)
    assert "not JSON" in str(outcome)
    assert outcome.status_code == 200
    assert server.count == 1  # a 200 is an answer: not retried
    assert elapsed < 5.0


@pytest.mark.parametrize(
    ("method", "args", "body"),
    [
        ("report_device_firmware", (ACC, DEVICE), {"accountName": ACC}),
        ("report_device_firmware", (ACC, DEVICE), ["accountName", ACC]),
        ("report_device_firmware", (ACC, DEVICE), {"accountName": ACC, "requestId": ""}),
        ("list_available_firmware", (ACC,), 42),
        ("list_available_firmware", (ACC,), True),
        ("synchronize_device_firmware", (ACC, [DEVICE]), [{"accountName": ACC}]),
    ],
)
def test_200_with_json_of_the_wrong_shape(
    server: FaultServer, kind: str, method: str, args: tuple[Any, ...], body: Any
) -> None:
    server.handler = always(reply_json(body))
    outcome, _ = timed(kind, server.url, method, *args)
    assert isinstance(outcome, tf.ResponseValidationError), repr(outcome)
    assert "contract" in str(outcome) or "must be" in str(outcome)
    assert server.count == 1


def test_html_502_from_a_proxy(server: FaultServer, kind: str) -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
    server.handler = always(Reply(502, html, content_type="text/html"))
    outcome, elapsed = report(kind, server.url, max_retries=1)
    assert isinstance(outcome, tf.InternalServerError)
    assert outcome.status_code == 502
    assert (outcome.error_code, outcome.error_message) == (None, None)
    assert isinstance(outcome.body, str)
    assert "502 Bad Gateway" in outcome.body
    assert "text/html" in str(outcome)
    assert server.count == 2
    assert FIRST_BACKOFF - SLACK <= elapsed < 5.0


def test_non_standard_520_is_a_server_error_and_not_retried(server: FaultServer, kind: str) -> None:
    server.handler = always(Reply(520, "<html>origin error</html>", content_type="text/html"))
    outcome, elapsed = report(kind, server.url)
    assert isinstance(outcome, tf.InternalServerError)
    assert outcome.status_code == 520
    assert "520" in str(outcome)
    assert server.count == 1
    assert elapsed < 5.0


@pytest.mark.parametrize(("status", "error"), [(200, tf.ResponseValidationError), (404, tf.NotFoundError)])
def test_empty_body(server: FaultServer, kind: str, status: int, error: type[Exception]) -> None:
    server.handler = always(Reply(status, b""))
    outcome, _ = report(kind, server.url)
    assert type(outcome) is error
    assert server.count == 1
    if status == 200:
        assert "empty body" in str(outcome)


def test_empty_503_then_200(server: FaultServer, kind: str) -> None:
    server.script(Reply(503, b"", {"Retry-After": "0"}))
    outcome, _ = report(kind, server.url)
    assert_reported(outcome)
    assert server.count == 2


# -- connections and timeouts ---------------------------------------------------------------------------------------


def test_connection_reset_mid_response_then_success(server: FaultServer, kind: str) -> None:
    server.script(Reset())
    outcome, elapsed = report(kind, server.url)
    assert_reported(outcome)
    assert server.count == 2
    assert server.connections_total == 2  # the reset connection was not reused
    assert FIRST_BACKOFF - SLACK <= elapsed < 5.0


def test_persistent_connection_reset_raises_api_connection_error(server: FaultServer, kind: str) -> None:
    server.handler = always(Reset())
    outcome, elapsed = report(kind, server.url, max_retries=1)
    assert type(outcome) is tf.APIConnectionError, repr(outcome)
    assert "2 attempt(s)" in str(outcome)
    assert server.count == 2
    assert FIRST_BACKOFF - SLACK <= elapsed < 5.0


def test_closed_without_an_answer_raises_api_connection_error(server: FaultServer, kind: str) -> None:
    server.handler = always(Drop())
    outcome, _ = report(kind, server.url, max_retries=1)
    assert type(outcome) is tf.APIConnectionError, repr(outcome)
    assert server.count == 2


def test_stalled_server_raises_api_timeout_error(server: FaultServer, kind: str) -> None:
    server.handler = always(Stall(30))
    outcome, elapsed = report(kind, server.url, client={"timeout": 0.5, "max_retries": 1})
    assert type(outcome) is tf.APITimeoutError, repr(outcome)
    assert isinstance(outcome, tf.APIConnectionError)
    assert "timed out" in str(outcome)
    assert server.count == 2
    # Two waits of the read timeout and one backoff; far from the 30 s stall.
    assert 2 * 0.5 + FIRST_BACKOFF - SLACK <= elapsed < 8.0


def test_per_call_timeout_overrides_the_client_timeout(server: FaultServer, kind: str) -> None:
    server.handler = always(Stall(30))
    outcome, elapsed = report(kind, server.url, client={"timeout": 20}, timeout=0.4, max_retries=0)
    assert type(outcome) is tf.APITimeoutError, repr(outcome)
    assert server.count == 1
    assert 0.4 - SLACK <= elapsed < 5.0


def test_stall_shorter_than_the_timeout_is_not_an_error(server: FaultServer, kind: str) -> None:
    server.script(Stall(0.3))  # the first connection answers nothing and closes after 0.3 s
    outcome, _ = report(kind, server.url, client={"timeout": 5})
    assert_reported(outcome)
    assert server.count == 2


def test_refused_connection_raises_api_connection_error_after_three_attempts(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="thingspace_fota")
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    outcome, elapsed = report(kind, url)
    assert type(outcome) is tf.APIConnectionError, repr(outcome)
    assert "3 attempt(s)" in str(outcome)
    attempts = [r.getMessage() for r in caplog.records if "connection error (ConnectError)" in r.getMessage()]
    assert len([m for m in attempts if "->" in m]) == 3  # one line per attempt; no server to count them
    assert FIRST_BACKOFF + SECOND_BACKOFF - SLACK <= elapsed < 10.0


@pytest.mark.parametrize(
    ("client", "per_call", "expected"),
    [
        ({}, None, {"connect": 5.0, "read": 60.0, "write": 60.0, "pool": 60.0}),
        ({"timeout": 7}, None, {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}),
        ({"timeout": httpx.Timeout(10, connect=2)}, None, {"connect": 2.0, "read": 10.0, "write": 10.0, "pool": 10.0}),
        ({"timeout": 7}, httpx.Timeout(3, connect=1), {"connect": 1.0, "read": 3.0, "write": 3.0, "pool": 3.0}),
        ({}, 2.5, {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}),
    ],
)
def test_timeouts_are_explicit_and_overridable(
    kind: str, client: dict[str, Any], per_call: Any, expected: dict[str, float]
) -> None:
    for method, args in [
        ("list_available_firmware", (ACC,)),
        ("synchronize_device_firmware", (ACC, [DEVICE])),
        ("report_device_firmware", (ACC, DEVICE)),
    ]:
        seen = timeouts_seen(kind, method, *args, client=client, timeout=per_call)
        assert seen == [expected], method


# -- nothing lost ---------------------------------------------------------------------------------------------------


def _ids(count: int) -> list[str]:
    return [f"35{n:013d}" for n in range(count)]


def test_partial_synchronize_keeps_every_result_and_the_rerun_completes(server: FaultServer, kind: str) -> None:
    ids = _ids(250)  # chunks: ids[0:100], ids[100:200], ids[200:250]
    middle = set(ids[100:200])

    def fail_middle_chunk(request: Seen) -> Reply | None:
        if request.method == "PUT" and set(request.json()["deviceList"]) == middle:
            return reply_json(ERROR_BODY, 503, **{"Retry-After": "0"})
        return None

    server.handler = fail_middle_chunk
    outcome, _ = timed(kind, server.url, "synchronize_device_firmware", ACC, ids)
    assert isinstance(outcome, tf.PartialSyncError), repr(outcome)
    assert isinstance(outcome.error, tf.InternalServerError)
    assert outcome.__cause__ is outcome.error
    done = [d.device_id for d in outcome.result.devices]
    assert outcome.result.account_name == ACC
    # Nothing lost, nothing twice: every id is either in the result or pending.
    assert sorted(done + outcome.pending_device_ids) == sorted(ids)
    assert middle <= set(outcome.pending_device_ids)
    middle_attempts = [r for r in server.requests if set(r.json()["deviceList"]) == middle]
    assert len(middle_attempts) == 3  # the middle chunk failed after its retries
    if kind == "sync":  # chunks go one after another and stop at the failure
        assert done == ids[:100]
        assert outcome.pending_device_ids == ids[100:]
        assert server.count == 1 + 3
    else:  # chunks go concurrently: the last one was already sent
        assert done == ids[:100] + ids[200:]
        assert outcome.pending_device_ids == ids[100:200]
        assert server.count == 1 + 3 + 1

    server.handler = None
    rerun, _ = timed(kind, server.url, "synchronize_device_firmware", ACC, outcome.pending_device_ids)
    assert isinstance(rerun, tf.DeviceFirmwareList), repr(rerun)
    assert [d.device_id for d in rerun.devices] == outcome.pending_device_ids
    assert sorted(done + [d.device_id for d in rerun.devices]) == sorted(ids)


def test_partial_synchronize_after_a_connection_reset(server: FaultServer, kind: str) -> None:
    ids = _ids(150)

    def reset_second_chunk(request: Seen) -> Reset | None:
        return Reset() if request.json()["deviceList"][0] == ids[100] else None

    server.handler = reset_second_chunk
    outcome, _ = timed(kind, server.url, "synchronize_device_firmware", ACC, ids, max_retries=0)
    assert isinstance(outcome, tf.PartialSyncError), repr(outcome)
    assert type(outcome.error) is tf.APIConnectionError
    assert [d.device_id for d in outcome.result.devices] == ids[:100]
    assert outcome.pending_device_ids == ids[100:]
    assert server.count == 2


def test_first_and_only_chunk_failing_raises_the_error_itself(server: FaultServer, kind: str) -> None:
    server.handler = always(reply_json(ERROR_BODY, 503, **{"Retry-After": "0"}))
    outcome, _ = timed(kind, server.url, "synchronize_device_firmware", ACC, _ids(3), max_retries=1)
    assert type(outcome) is tf.InternalServerError
    assert server.count == 2
