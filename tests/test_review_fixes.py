"""Regression tests for defects a review found: each failed before its fix."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from faultserver import ACC, Reply, running
from test_auth_support import CLIENT_ID, CLIENT_SECRET, FakeThingSpace, credentials, open_driver

import thingspace_fota as tf


@pytest.fixture
def server() -> Iterator[FakeThingSpace]:
    with FakeThingSpace() as fake:
        yield fake


def test_a_401_that_stays_costs_two_logins_not_one_per_call(kind: str, server: FakeThingSpace) -> None:
    # A 401 on every FOTA call ("not your account"): the first renews the session once; the new session is
    # refused too, so no later call logs in again.
    refused = (401, {"errorCode": "UnAuthorized", "errorMessage": "Not allowed for this account."})
    server.script("fota", *[refused] * 40)
    with open_driver(kind, **credentials(server, max_retries=0)) as fota:
        outcomes = [fota.outcome() for _ in range(20)]
    assert all(isinstance(o, tf.AuthenticationError) for o in outcomes)
    assert server.count("login") == 2
    assert server.count("fota") == 21  # one retry after the single renewal, then one attempt per call


def test_a_renewed_session_that_worked_can_be_renewed_again(kind: str, server: FakeThingSpace) -> None:
    with open_driver(kind, **credentials(server)) as fota:
        fota.call()
        for _ in range(3):  # three real expiries, each followed by a successful call
            server.expire_sessions()
            fota.call()
    assert server.count("login") == 4


@pytest.mark.parametrize("token", ["tök€n-with-non-ascii", "token with space"])
def test_unusable_token_from_the_server_is_a_typed_error_and_not_cached(
    kind: str, server: FakeThingSpace, token: str
) -> None:
    server.script("token", (200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}))
    with open_driver(kind, **credentials(server)) as fota:
        assert isinstance(fota.outcome(), tf.ResponseValidationError)
        fota.call()  # the next call asks for a new token and works
    assert server.count("token") == 2


def test_an_echoed_basic_credential_is_masked(kind: str, server: FakeThingSpace) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    server.script("token", (500, {"errorCode": "Oops", "errorMessage": f"bad header Basic {basic}"}))
    with open_driver(kind, **credentials(server, max_retries=0)) as fota:
        error = fota.outcome()
    assert isinstance(error, tf.InternalServerError)
    assert basic not in str(error)
    assert "[redacted]" in str(error)


@pytest.mark.parametrize("follow", [True, False])
def test_redirects_are_never_followed_with_the_tokens(follow: bool) -> None:
    with running() as elsewhere, running() as fota_server:
        fota_server.script(Reply(302, headers={"Location": f"{elsewhere.url}/steal"}, body=b""))
        http = httpx.Client(follow_redirects=follow)
        with (
            tf.FotaClient(
                base_url=fota_server.url, access_token="access-12345678", m2m_token="session-12345678", http_client=http
            ) as fota,
            pytest.raises(tf.APIStatusError) as caught,
        ):
            fota.report_device_firmware(ACC, "990013907835573")
        http.close()
    assert caught.value.status_code == 302
    assert elsewhere.count == 0


@pytest.mark.parametrize("status", [200, 500])
def test_deeply_nested_json_is_a_typed_error(status: int) -> None:
    nested = b"[" * 200_000 + b"]" * 200_000
    with running() as server:
        server.script(Reply(status, body=nested, headers={"Content-Type": "application/json"}))
        with (
            tf.FotaClient(
                base_url=server.url, access_token="access-12345678", m2m_token="session-12345678", max_retries=0
            ) as fota,
            pytest.raises(tf.FotaError),
        ):
            fota.report_device_firmware(ACC, "990013907835573")


@pytest.mark.parametrize("value", ["secret-value ", " secret-value", "\tsecret"])
def test_header_value_with_space_at_an_end_is_refused_before_sending(value: str) -> None:
    with pytest.raises(tf.InvalidInputError) as caught:
        tf.FotaClient(access_token="access-12345678", m2m_token="session-12345678", default_headers={"X-Key": value})
    assert caught.value.argument == "default_headers['X-Key']"
    assert value.strip() not in str(caught.value)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_environment_proxies_are_honoured(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Environment set-up only (the code under test is not patched): httpx reads HTTPS_PROXY when the client is made.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client_class = tf.FotaClient if kind == "sync" else tf.AsyncFotaClient
    fota = client_class(access_token="access-12345678", m2m_token="session-12345678")
    mounts = fota._http._mounts
    assert any(pattern.scheme == "https" for pattern in mounts)
    monkeypatch.delenv("HTTPS_PROXY")
    plain = client_class(access_token="access-12345678", m2m_token="session-12345678")
    assert not plain._http._mounts


def test_default_headers_go_to_the_fota_api_only(kind: str, server: FakeThingSpace) -> None:
    with open_driver(kind, **credentials(server, default_headers={"Prefer": "code=404"})) as fota:
        fota.call()
    assert [r.headers.get("prefer") for r in server.requests("fota")] == ["code=404"]
    for step in ("token", "login"):
        [request] = server.requests(step)
        assert "prefer" not in request.headers
        assert request.headers["user-agent"].startswith("thingspace-fota/")
