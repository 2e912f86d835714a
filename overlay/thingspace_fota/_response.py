"""``with_raw_response``: each public method, returning the :class:`APIResponse` instead of the parsed result.

As in openai-python, the raw variant wraps the public method (it does not re-declare it): the wrapper runs the
public method with a context variable set, and the public method hands its response(s) to :func:`parsed` or
:func:`merged` on the way out, which store them there. So the raw twin has the public method's parameters and
docstring by construction, and the public method is a plain ``def`` that IDEs, ``help()`` and griffe can read.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, cast

from ._batching import merge_results
from ._models import APIResponse, DeviceFirmwareList

P = ParamSpec("P")
R = TypeVar("R")


class _Box:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Any = None


_raw: ContextVar[_Box | None] = ContextVar("thingspace_fota_raw_response", default=None)


def parsed(response: APIResponse[R]) -> R:
    """The parsed result of a public method's one response (which ``with_raw_response`` receives)."""
    box = _raw.get()
    if box is not None:
        box.value = response
    return response.parsed


def merged(responses: Sequence[APIResponse[DeviceFirmwareList]]) -> DeviceFirmwareList:
    """One DeviceFirmwareList from a chunked call's responses (which ``with_raw_response`` receives), devices in
    request order."""
    box = _raw.get()
    if box is not None:
        box.value = list(responses)
    return merge_results(responses)


@contextlib.contextmanager
def _capture() -> Iterator[_Box]:
    box = _Box()
    token = _raw.set(box)
    try:
        yield box
    finally:
        _raw.reset(token)


def to_raw_response_wrapper(func: Callable[P, R]) -> Callable[P, APIResponse[R]]:
    """``func`` returning its APIResponse."""

    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[R]:
        with _capture() as box:
            func(*args, **kwargs)
        return cast(APIResponse[R], box.value)

    return wrapped


def to_raw_chunks_wrapper(
    func: Callable[P, DeviceFirmwareList],
) -> Callable[P, list[APIResponse[DeviceFirmwareList]]]:
    """A chunked ``func`` returning the APIResponse of each chunk, in order."""

    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> list[APIResponse[DeviceFirmwareList]]:
        with _capture() as box:
            func(*args, **kwargs)
        return cast(list[APIResponse[DeviceFirmwareList]], box.value)

    return wrapped


def async_to_raw_response_wrapper(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[APIResponse[R]]]:
    """The async twin of :func:`to_raw_response_wrapper`."""

    @functools.wraps(func)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[R]:
        with _capture() as box:
            await func(*args, **kwargs)
        return cast(APIResponse[R], box.value)

    return wrapped


def async_to_raw_chunks_wrapper(
    func: Callable[P, Awaitable[DeviceFirmwareList]],
) -> Callable[P, Awaitable[list[APIResponse[DeviceFirmwareList]]]]:
    """The async twin of :func:`to_raw_chunks_wrapper`."""

    @functools.wraps(func)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> list[APIResponse[DeviceFirmwareList]]:
        with _capture() as box:
            await func(*args, **kwargs)
        return cast(list[APIResponse[DeviceFirmwareList]], box.value)

    return wrapped
