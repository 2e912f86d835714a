"""pytest fixtures for code built on thingspace_fota, registered through the ``pytest11`` entry point, so they
are there in every test once the package is installed (``-p no:thingspace_fota`` turns them off):

- ``fota_fake``: a fresh :class:`~thingspace_fota.testing.FakeFota` per test;
- ``fota_client``: a :class:`~thingspace_fota.FotaClient` wired to it, closed after the test;
- ``async_fota_client``: an :class:`~thingspace_fota.AsyncFotaClient` wired to it, returned unopened for your
  own async test runner (pytest-asyncio, anyio, trio) to enter with ``async with``.

It needs nothing but pytest and the library itself (which pytest imports when it loads the plugin).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from thingspace_fota import AsyncFotaClient, FotaClient
    from thingspace_fota.testing import FakeFota


@pytest.fixture
def fota_fake() -> FakeFota:
    """A fresh in-process fake of ThingSpace FOTA v3, with no account: add what the test needs."""
    from thingspace_fota.testing import FakeFota  # noqa: PLC0415 - loaded on first use, not at pytest start

    return FakeFota()


@pytest.fixture
def fota_client(fota_fake: FakeFota) -> Iterator[FotaClient]:
    """A FotaClient wired to ``fota_fake`` with its tokens and the library's defaults; closed after the test."""
    with fota_fake.client() as client:
        yield client


@pytest.fixture
def async_fota_client(fota_fake: FakeFota) -> AsyncFotaClient:
    """An AsyncFotaClient wired to ``fota_fake``, unopened: enter it with ``async with`` in your async test."""
    return fota_fake.async_client()
