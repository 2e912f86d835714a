"""The sync client's pool is fair: threads waiting for a connection are served first come, first served, and a
freed connection goes to the longest waiting thread, never back to the one that freed it."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from faultserver import ACC, FaultServer, Reply, Seen, fota_answer, make_client

from thingspace_fota import FotaClient
from thingspace_fota._transports import FairGate


def late(request: Seen) -> Reply:
    answer = fota_answer(request, 0)
    return Reply(answer.status, answer.body, answer.headers, delay=0.01)


@pytest.mark.timeout(120)
def test_64_threads_on_2_connections_never_miss_the_pool_timeout() -> None:
    # The case of issue 12: with the old gate 120 of these 800 calls failed with "no connection became free within
    # the pool timeout" in every run, while later callers were served. In a fair queue each waits about 0.3 s.
    calls, threads = 800, 64
    with FaultServer(late) as server:
        fota = make_client("sync", server.url, max_connections=2, timeout=httpx.Timeout(10, pool=2), max_retries=0)
        assert isinstance(fota, FotaClient)
        failures: list[BaseException] = []

        def one(n: int) -> None:
            try:
                fota.report_device_firmware(ACC, f"35{n:013d}")
            except Exception as exc:  # counted, not raised: the test reports how many failed
                failures.append(exc)

        with fota, ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(calls)))
        assert failures == []
        assert server.count == calls
        assert server.max_open_connections <= 2


def test_waiters_are_served_in_arrival_order() -> None:
    gate = FairGate(1)
    assert gate.acquire(timeout=1)
    order: list[int] = []
    waiting = []
    for n in range(8):
        ready = threading.Event()

        def wait(n: int = n, ready: threading.Event = ready) -> None:
            ready.set()
            assert gate.acquire(timeout=10)
            order.append(n)
            gate.release()

        thread = threading.Thread(target=wait)
        thread.start()
        ready.wait()
        time.sleep(0.02)  # let it reach the queue before the next one starts
        waiting.append(thread)
    gate.release()
    for thread in waiting:
        thread.join(timeout=10)
    assert order == list(range(8))


def test_the_releasing_thread_cannot_take_the_place_back_before_a_waiter() -> None:
    gate = FairGate(1)
    assert gate.acquire(timeout=1)
    got: list[str] = []
    waiter = threading.Thread(target=lambda: got.append("waiter") if gate.acquire(timeout=5) else None)
    waiter.start()
    time.sleep(0.05)
    gate.release()
    assert not gate.acquire(timeout=0)  # handed over to the waiter: not free for us
    waiter.join(timeout=5)
    assert got == ["waiter"]


def test_a_waiter_that_times_out_leaves_the_queue() -> None:
    gate = FairGate(1)
    assert gate.acquire(timeout=1)
    started = time.monotonic()
    assert not gate.acquire(timeout=0.2)
    assert 0.15 <= time.monotonic() - started < 3.0
    gate.release()
    assert gate.acquire(timeout=0)  # the place is free, not handed to the departed waiter
    gate.release()


class Interrupted(Exception):
    """What the signal handler raises into the waiting thread, as Ctrl-C raises KeyboardInterrupt."""


@pytest.fixture
def interrupt_soon() -> Iterator[Callable[[Callable[[], None]], None]]:
    """Arm a timer that runs ``before`` and then raises Interrupted in the main thread (where the test waits)."""
    previous = signal.getsignal(signal.SIGALRM)

    def arm(before: Callable[[], None]) -> None:
        def handler(signum: int, frame: object) -> None:
            before()
            raise Interrupted

        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, 0.1)

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_an_interrupted_waiter_leaves_the_queue(interrupt_soon: Callable[[Callable[[], None]], None]) -> None:
    gate = FairGate(1)
    assert gate.acquire(timeout=1)  # another request holds the only place
    interrupt_soon(lambda: None)
    with pytest.raises(Interrupted):
        gate.acquire(timeout=5)  # interrupted while waiting
    gate.release()  # the holder finishes: the place must become free, not go to the departed waiter
    assert gate.acquire(timeout=0)
    gate.release()


def test_a_waiter_interrupted_as_the_place_is_handed_over_passes_it_on(
    interrupt_soon: Callable[[Callable[[], None]], None],
) -> None:
    gate = FairGate(1)
    assert gate.acquire(timeout=1)
    interrupt_soon(gate.release)  # the holder hands the place to the waiter, which is then interrupted
    with pytest.raises(Interrupted):
        gate.acquire(timeout=5)
    assert gate.acquire(timeout=0)  # the waiter that gave up did not keep the place
    gate.release()
