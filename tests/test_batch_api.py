"""What the command line needs from the library, as public API of both clients: the progress hook of a chunked
synchronize, and report_device_firmware_many (one report call per device, bounded, stopping on repeating
failures). Against the tests' own server on 127.0.0.1 (tests/test_cli.py covers the concurrency bound)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest
from faultserver import ACC, Reply, Seen, async_client, call, reply_json, running

import thingspace_fota as tf

Progress = list[tuple[list[str], type[tf.FotaError] | None]]


def ids(n: int) -> list[str]:
    return [f"99001390783{i:04d}" for i in range(n)]


def recorder() -> tuple[Progress, object]:
    seen: Progress = []

    def on_progress(device_ids: Sequence[str], error: tf.FotaError | None) -> None:
        seen.append((list(device_ids), None if error is None else type(error)))

    return seen, on_progress


def test_synchronize_reports_each_finished_chunk(kind: str) -> None:
    fleet = ids(250)
    seen, on_progress = recorder()
    with running() as server:
        result = call(kind, server.url, "synchronize_device_firmware", ACC, fleet, on_progress=on_progress)
    assert [d.device_id for d in result.devices] == fleet
    assert sorted(seen) == [(fleet[:100], None), (fleet[100:200], None), (fleet[200:], None)]


def test_synchronize_reports_the_failed_chunk_with_its_error(kind: str) -> None:
    fleet = ids(5)
    seen, on_progress = recorder()

    def second_chunk_fails(request: Seen) -> Reply | None:
        if request.method == "PUT" and request.json()["deviceList"][0] == fleet[2]:
            return reply_json({"errorCode": "DeviceListRejected", "errorMessage": "no"}, 400)
        return None

    with running(second_chunk_fails) as server, pytest.raises(tf.PartialSyncError) as caught:
        call(
            kind,
            server.url,
            "synchronize_device_firmware",
            ACC,
            fleet,
            batch_size=2,
            on_progress=on_progress,
            client={"max_concurrency": 1} if kind == "async" else None,
        )
    assert seen == [(fleet[:2], None), (fleet[2:4], tf.BadRequestError)]  # the third chunk was never started
    assert caught.value.pending_device_ids == fleet[2:]


def test_report_many_keeps_going_past_a_device_error(kind: str) -> None:
    fleet = ids(6)
    seen, on_progress = recorder()

    def one_unknown(request: Seen) -> Reply | None:
        if request.path.endswith(fleet[3]):
            return reply_json({"errorCode": "DeviceNotFound", "errorMessage": "unknown device"}, 404)
        return None

    with running(one_unknown) as server:
        outcomes = call(
            kind, server.url, "report_device_firmware_many", ACC, [*fleet, fleet[0]], on_progress=on_progress
        )
        assert server.count == 6  # the duplicate is asked once
    assert list(outcomes) == fleet  # request order
    assert isinstance(outcomes[fleet[3]], tf.NotFoundError)
    assert all(outcomes[d].request_id.startswith(f"req-{d}-") for d in fleet if d != fleet[3])
    assert sorted(seen) == sorted(([d], tf.NotFoundError if d == fleet[3] else None) for d in fleet)


def test_report_many_stops_after_a_failure_every_call_would_repeat(kind: str) -> None:
    fleet = ids(6)
    refused = reply_json({"errorCode": "UnAuthorized", "errorMessage": "Invalid token."}, 401)
    with running(lambda request: refused) as server:
        outcomes = call(
            kind,
            server.url,
            "report_device_firmware_many",
            ACC,
            fleet,
            client={"max_concurrency": 1} if kind == "async" else None,
        )
        assert server.count == 1
    assert list(outcomes) == fleet[:1]
    assert isinstance(outcomes[fleet[0]], tf.AuthenticationError)


@pytest.mark.parametrize(("device_ids", "argument"), [([], "device_ids"), (["ok1", "bad id"], "device_ids[1]")])
def test_report_many_checks_every_id_before_sending(kind: str, device_ids: list[str], argument: str) -> None:
    with running() as server:
        with pytest.raises(tf.InvalidInputError) as caught:
            call(kind, server.url, "report_device_firmware_many", ACC, device_ids)
        assert caught.value.argument == argument
        assert server.count == 0


# -- the async fan-out stops sending once it has raised or been cancelled ----------------------------------------------


def slow_fota(request: Seen) -> Reply:
    """The default FOTA answer, 50 ms late: the calls overlap, so several are in flight at any moment."""
    device = request.path.rsplit("/", 1)[1]
    return Reply(200, {"accountName": ACC, "requestId": f"req-{device}-1"}, delay=0.05)


def test_async_report_many_sends_nothing_after_its_progress_hook_raised() -> None:
    calls = 0

    def on_progress(device_ids: Sequence[str], error: tf.FotaError | None) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug in the hook")

    async def main(url: str) -> int:
        async with async_client("async", url) as fota:
            with pytest.raises(RuntimeError, match="a bug in the hook"):
                await fota.report_device_firmware_many(ACC, ids(40), on_progress=on_progress)
            return server.count

    with running(slow_fota) as server:
        sent_when_raised = asyncio.run(main(server.url))
        time.sleep(0.5)  # the workers left running (the bug) would keep sending meanwhile
        assert server.count == sent_when_raised
    assert sent_when_raised < 40


def test_cancelling_async_report_many_stops_its_requests() -> None:
    async def main(url: str) -> int:
        async with async_client("async", url) as fota:
            job = asyncio.ensure_future(fota.report_device_firmware_many(ACC, ids(40)))
            deadline = time.monotonic() + 10
            while server.count < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            return server.count

    with running(slow_fota) as server:
        sent_when_cancelled = asyncio.run(main(server.url))
        time.sleep(0.5)
        assert server.count == sent_when_cancelled
    assert 3 <= sent_when_cancelled < 40


# -- every option is checked before anything is sent -------------------------------------------------------------------

BAD_OPTIONS = [
    ({"max_retries": -1}, "max_retries"),
    ({"timeout": -5}, "timeout"),
    ({"extra_headers": {"X-Note": "a\nb"}}, "extra_headers"),
    ({"on_progress": 42}, "on_progress"),
]


@pytest.mark.parametrize(("options", "argument"), BAD_OPTIONS, ids=[a for _, a in BAD_OPTIONS])
def test_report_many_refuses_a_bad_option_before_sending(kind: str, options: dict[str, object], argument: str) -> None:
    """The bug: the option was checked per device, so the first device's outcome was the InvalidInputError and
    the fan-out stopped there, returning {'d1': InvalidInputError} instead of raising."""
    with running() as server:
        with pytest.raises(tf.InvalidInputError) as caught:
            call(kind, server.url, "report_device_firmware_many", ACC, ids(3), **options)
        assert caught.value.argument.startswith(argument)
        assert server.count == 0


BAD_SYNC_OPTIONS = [*BAD_OPTIONS, ({"batch_size": 0}, "batch_size"), ({"batch_size": 101}, "batch_size")]


@pytest.mark.parametrize(("options", "argument"), BAD_SYNC_OPTIONS, ids=[str(o) for o, _ in BAD_SYNC_OPTIONS])
def test_synchronize_refuses_a_bad_option_before_sending(kind: str, options: dict[str, object], argument: str) -> None:
    with running() as server:
        with pytest.raises(tf.InvalidInputError) as caught:
            call(kind, server.url, "synchronize_device_firmware", ACC, ids(3), **options)
        assert caught.value.argument.startswith(argument)
        assert server.count == 0


def test_report_many_stops_when_the_token_callable_gives_no_usable_token(kind: str) -> None:
    """An InvalidInputError can still arise during the run, from a token callable, and every call repeats it."""
    fleet = ids(4)
    with running() as server:
        outcomes = call(
            kind,
            server.url,
            "report_device_firmware_many",
            ACC,
            fleet,
            client={"access_token": lambda: "", **({"max_concurrency": 1} if kind == "async" else {})},
        )
        assert server.count == 0
    assert list(outcomes) == fleet[:1]
    assert isinstance(outcomes[fleet[0]], tf.InvalidInputError)
    assert outcomes[fleet[0]].argument == "access_token"
