"""The headers every request carries, whoever made the httpx client.

A client that makes its own httpx client installs the library's headers (Accept, User-Agent) as that client's
defaults instead of adding them to each request (bench/README.md: per-call CPU); these tests pin that the
headers on the wire are the same either way, for the FOTA calls and the token and login calls.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from test_auth_support import FakeThingSpace, credentials, open_driver

from thingspace_fota._constants import USER_AGENT


@pytest.fixture
def server() -> Iterator[FakeThingSpace]:
    with FakeThingSpace() as fake:
        yield fake


def _library_headers_sent(server: FakeThingSpace, kind: str) -> None:
    [request] = server.requests(kind)
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("thingspace-fota/")


@pytest.mark.parametrize("own_http", [True, False], ids=["own-http-client", "given-http-client"])
def test_the_library_headers_go_with_every_request(kind: str, server: FakeThingSpace, own_http: bool) -> None:
    given: httpx.Client | httpx.AsyncClient | None = None
    if not own_http:
        given = httpx.Client() if kind == "sync" else httpx.AsyncClient()
    with open_driver(kind, **credentials(server, **({} if given is None else {"http_client": given}))) as fota:
        fota.call()
        if isinstance(given, httpx.AsyncClient):
            fota.runner.run(given.aclose())  # type: ignore[attr-defined]
    if isinstance(given, httpx.Client):
        given.close()
    for step in ("token", "login", "fota"):
        _library_headers_sent(server, step)


def test_default_headers_replace_the_library_ones_on_fota_calls_only(kind: str, server: FakeThingSpace) -> None:
    overrides = {"User-Agent": "fleet-tool/1.0", "Accept": "application/json; q=1", "X-Key": "k-1"}
    with open_driver(kind, **credentials(server, default_headers=overrides)) as fota:
        fota.call()
    [request] = server.requests("fota")
    assert request.headers["user-agent"] == "fleet-tool/1.0"
    assert request.headers["accept"] == "application/json; q=1"
    assert request.headers["x-key"] == "k-1"
    for step in ("token", "login"):  # default_headers are for the FOTA API only
        _library_headers_sent(server, step)
        assert "x-key" not in server.requests(step)[0].headers
