"""Shared fixtures: Prism mock servers started once per test session, the contract backends (Prism and
thingspace_fota.testing.FakeFota), and the anyio backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from backends import Backend, FakeBackend, PrismBackend

from mockserver import AUTH_SPEC, FOTA_SPEC, running_prism


@pytest.fixture(scope="session")
def prism_url() -> Iterator[str]:
    """Base URL of a Prism mock of openapi/fota-v3.yaml on a free loopback port, stopped after the session."""
    with running_prism(FOTA_SPEC) as url:
        yield url


@pytest.fixture(scope="session")
def auth_prism_url() -> Iterator[str]:
    """Base URL of a Prism mock of openapi/thingspace-auth.yaml (token and login), stopped after the session."""
    with running_prism(AUTH_SPEC) as url:
        yield url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    """Which client a test drives: FotaClient ("sync") or AsyncFotaClient ("async")."""
    return str(request.param)


@pytest.fixture(params=["prism", "fake"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The server a contract test runs against: Prism on the spec, or FakeFota seeded with the spec's examples.
    With the fake, every answer is checked against the spec as it passes, and at least one must have been."""
    if request.param == "prism":
        yield PrismBackend(request.getfixturevalue("prism_url"))
        return
    fake = FakeBackend()
    yield fake
    assert fake.checker.checked, "no answer of the fake was checked against the spec"
