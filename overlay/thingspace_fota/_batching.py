"""Many devices in one method call: the chunks of a synchronize, the single-device calls of a fan-out, the
bounded loops that run them (one sync, one async), and the merge of the chunk results.

Both loops stop starting new work once a failure says the rest would fail too, and report every finished unit
to an optional progress hook, so the command line shows progress without a loop of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from . import _validation as check
from ._constants import MAX_BATCH_SIZE
from ._exceptions import (
    APIConnectionError,
    AuthenticationError,
    FotaError,
    InvalidInputError,
    PartialSyncError,
    PermissionDeniedError,
    RateLimitError,
)
from ._models import APIResponse, DeviceFirmwareList
from ._reading import merge_unanswered

I = TypeVar("I")  # noqa: E741 - an item
R = TypeVar("R")

ProgressHook = Callable[[Sequence[str], FotaError | None], None]
"""``on_progress(device_ids, error)``: called once per finished chunk (or single-device call) with its device ids,
and None on success or the error it ended with."""

# After one of these, the next single-device call would fail the same way: a fan-out stops starting new calls.
# The arguments are all checked before the first call; an InvalidInputError during the run comes from a token
# callable that returned no usable token, which every later call would repeat.
REPEATING_FAILURES = (AuthenticationError, PermissionDeniedError, APIConnectionError, RateLimitError, InvalidInputError)


def stop_on_any(error: FotaError) -> bool:
    """The stop rule of a chunked synchronize: after any failure, no new chunk is started."""
    return True


def stop_on_repeating(error: FotaError) -> bool:
    """The stop rule of a fan-out: after a failure that every later call would repeat (auth, permission,
    connection, rate limit, bad input); a failure about one device (404, 400) does not stop the others."""
    return isinstance(error, REPEATING_FAILURES)


def chunks(account_id: str, device_ids: Iterable[str], batch_size: int) -> tuple[str, list[list[str]]]:
    """The checked account and the checked, de-duplicated device ids in consecutive chunks of at most
    ``batch_size``; every input is checked before anything is sent."""
    account = check.identifier(account_id, "account_id")
    size = check.positive_int(batch_size, "batch_size", maximum=MAX_BATCH_SIZE)
    ids = check.device_ids(device_ids)
    return account, [ids[i : i + size] for i in range(0, len(ids), size)]


def run_each(
    items: Sequence[I],
    work: Callable[[I], R],
    *,
    stop: Callable[[FotaError], bool],
    done: Callable[[I, R | FotaError], None] | None = None,
) -> list[R | FotaError | None]:
    """``work(item)`` for each item in order; ``outcomes[i]`` is its result, its FotaError, or None when a failure
    for which ``stop`` is true ended the run first. ``done(item, outcome)`` hears of each finished item."""
    outcomes: list[R | FotaError | None] = [None] * len(items)
    for index, item in enumerate(items):
        outcome: R | FotaError
        try:
            outcome = work(item)
        except FotaError as exc:
            outcome = exc
        outcomes[index] = outcome
        if done is not None:
            done(item, outcome)
        if isinstance(outcome, FotaError) and stop(outcome):
            break
    return outcomes


async def run_each_async(
    items: Sequence[I],
    work: Callable[[I], Awaitable[R]],
    *,
    max_concurrency: int,
    stop: Callable[[FotaError], bool],
    done: Callable[[I, R | FotaError], None] | None = None,
) -> list[R | FotaError | None]:
    """The async twin of :func:`run_each`: at most ``max_concurrency`` items in flight, started in order; after
    a failure for which ``stop`` is true no new item is started (those in flight finish).

    Anything else that ends the run (an exception from ``done``, the user's progress hook; the caller's task
    being cancelled) cancels every item still in flight before it propagates: nothing is sent once the method
    has raised."""
    import asyncio  # noqa: PLC0415 - lazily: `import thingspace_fota` need not load asyncio

    outcomes: list[R | FotaError | None] = [None] * len(items)
    queue = iter(range(len(items)))
    stopped = False

    async def worker() -> None:
        nonlocal stopped
        for index in queue:  # one shared iterator: each item is taken by exactly one worker
            if stopped:
                return
            outcome: R | FotaError
            try:
                outcome = await work(items[index])
            except FotaError as exc:
                outcome = exc
            outcomes[index] = outcome
            if done is not None:
                done(items[index], outcome)
            if isinstance(outcome, FotaError) and stop(outcome):
                stopped = True

    workers = [asyncio.ensure_future(worker()) for _ in range(min(max_concurrency, len(items)))]
    try:
        await asyncio.gather(*workers)  # gather does not cancel the other workers when one raises: we do
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    return outcomes


def merge_chunks(
    chunks: Sequence[Sequence[str]],
    outcomes: Sequence[APIResponse[DeviceFirmwareList] | FotaError | None],
) -> list[APIResponse[DeviceFirmwareList]]:
    """The chunk responses in order, or the error that keeps every result and every id not synchronised.

    ``outcomes[i]`` is chunk i's response, its error, or None when it was never sent (an earlier chunk failed).
    """
    done = [o for o in outcomes if isinstance(o, APIResponse)]
    errors = [o for o in outcomes if isinstance(o, FotaError)]
    if not errors:
        return done
    if not done:
        raise errors[0]
    pending = [i for chunk, o in zip(chunks, outcomes, strict=True) if not isinstance(o, APIResponse) for i in chunk]
    partial = merge_results(done)
    raise PartialSyncError(result=partial, pending_device_ids=pending, error=errors[0]) from errors[0]


def merge_results(responses: Sequence[APIResponse[DeviceFirmwareList]]) -> DeviceFirmwareList:
    """One DeviceFirmwareList from the chunk results, devices in request order."""
    # Never empty: the device list is checked non-empty before anything is sent, and every chunk answers.
    devices = [device for r in responses for device in r.parsed.devices]
    return DeviceFirmwareList(
        account_name=responses[0].parsed.account_name,
        devices=devices,
        unanswered_device_ids=merge_unanswered([r.parsed for r in responses], devices),
    )


def checked_hook(on_progress: object) -> ProgressHook | None:
    """``on_progress``, which must be None or a callable (InvalidInputError before anything is sent)."""
    if on_progress is not None and not callable(on_progress):
        raise InvalidInputError("on_progress", f"must be a callable or None, not {type(on_progress).__name__}")
    return on_progress


def chunk_progress(
    on_progress: ProgressHook | None,
) -> Callable[[list[str], APIResponse[DeviceFirmwareList] | FotaError], None] | None:
    """The ``done`` callback of a chunked call that tells ``on_progress`` of each finished chunk (checked)."""
    hook = checked_hook(on_progress)
    if hook is None:
        return None

    def done(chunk: list[str], outcome: APIResponse[DeviceFirmwareList] | FotaError) -> None:
        hook(chunk, outcome if isinstance(outcome, FotaError) else None)

    return done


def call_progress(on_progress: ProgressHook | None) -> Callable[[str, object], None] | None:
    """The ``done`` callback of a fan-out that tells ``on_progress`` of each finished single-device call
    (checked)."""
    hook = checked_hook(on_progress)
    if hook is None:
        return None

    def done(device_id: str, outcome: object) -> None:
        hook([device_id], outcome if isinstance(outcome, FotaError) else None)

    return done
