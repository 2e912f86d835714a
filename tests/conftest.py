"""Shared fixtures: Prism mock servers started once per test session, and the anyio backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
