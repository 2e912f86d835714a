"""The credentials flow against a fake ThingSpace on 127.0.0.1, sync and async: the requests it sends, caching,
renewal before expiry and after 401, single flight under 50 concurrent calls, and typed failures."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from test_auth_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    FakeThingSpace,
    credentials,
    open_driver,
)

import thingspace_fota as tf
from mockserver import free_port


@pytest.fixture
def server() -> Iterator[FakeThingSpace]:
    with FakeThingSpace() as fake:
        yield fake


def counts(server: FakeThingSpace) -> tuple[int, int, int]:
    """(token requests, logins, FOTA requests) the fake received."""
    return server.count("token"), server.count("login"), server.count("fota")


def test_first_call_gets_both_tokens_and_later_calls_reuse_them(kind: str, server: FakeThingSpace) -> None:
    with open_driver(kind, **credentials(server)) as fota:
        first = fota.call()
        second = fota.call()
    assert first.account_name == second.account_name == "0000123456-00001"
    assert [s.kind for s in server.seen] == ["token", "login", "fota", "fota"]

    [token] = server.requests("token")
    expected_basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token.method == "POST"
    assert token.headers["authorization"] == f"Basic {expected_basic}"
    assert token.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(token.body.decode()) == {"grant_type": ["client_credentials"]}
    assert token.headers["accept"] == "application/json"

    access, session = server.issued
    [login] = server.requests("login")
    assert login.method == "POST"
    assert login.headers["authorization"] == f"Bearer {access}"
    assert login.headers["content-type"] == "application/json"
    assert json.loads(login.body) == {"username": USERNAME, "password": PASSWORD}

    for call in server.requests("fota"):
        assert call.headers["authorization"] == f"Bearer {access}"
        assert call.headers["vz-m2m-token"] == session
        assert call.status == 200


def test_access_token_is_renewed_before_it_expires_and_the_session_kept(kind: str, server: FakeThingSpace) -> None:
    server.expires_in = 3  # renewed halfway, after 1.5 s (60 s before the end for a one-hour token)
    with open_driver(kind, **credentials(server)) as fota:
        fota.call()
        fota.call()
        assert counts(server) == (1, 1, 2)  # well within the lifetime: cached
        time.sleep(1.8)
        fota.call()
    assert counts(server) == (2, 1, 3)  # a new token before any 401, the same session
    first, session, second = server.issued
    last = server.requests("fota")[-1]
    assert last.headers["authorization"] == f"Bearer {second}" != f"Bearer {first}"
    assert last.headers["vz-m2m-token"] == session
    assert all(s.status == 200 for s in server.seen)


def test_token_without_lifetime_is_kept_until_refused(kind: str, server: FakeThingSpace) -> None:
    server.expires_in = None
    with open_driver(kind, **credentials(server)) as fota:
        fota.call()
        fota.call()
        server.revoke_access_tokens()
        fota.call()
    # The revoked token made the FOTA call and then the re-login answer 401: a new token, a new login, one retry.
    assert counts(server) == (2, 3, 4)


def test_expired_session_is_renewed_once_and_the_call_retried(kind: str, server: FakeThingSpace) -> None:
    with open_driver(kind, **credentials(server)) as fota:
        fota.call()
        server.expire_sessions()
        result = fota.call()
    assert result.request_id
    assert counts(server) == (1, 2, 3)
    access, old_session, new_session = server.issued
    refused, retried = server.requests("fota")[1:]
    assert (refused.status, refused.headers["vz-m2m-token"]) == (401, old_session)
    assert (retried.status, retried.headers["vz-m2m-token"]) == (200, new_session)
    assert retried.headers["authorization"] == f"Bearer {access}"


def test_login_refusing_the_access_token_gets_a_new_token_then_logs_in_again(kind: str, server: FakeThingSpace) -> None:
    with open_driver(kind, **credentials(server)) as fota:
        fota.call()
        server.revoke_access_tokens()
        fota.call()
    # token, login, fota | fota 401, login 401 (old token), token, login 200, fota retry 200
    assert [(s.kind, s.status) for s in server.seen[3:]] == [
        ("fota", 401),
        ("login", 401),
        ("token", 200),
        ("login", 200),
        ("fota", 200),
    ]


def test_a_second_401_raises_authentication_error(kind: str, server: FakeThingSpace) -> None:
    refused = (401, {"errorCode": "UnAuthorized", "errorMessage": "Account not enabled for FOTA."})
    server.script("fota", refused, refused, refused)
    with open_driver(kind, **credentials(server)) as fota:
        error = fota.outcome()
    assert type(error) is tf.AuthenticationError
    assert error.status_code == 401
    assert error.error_code == "UnAuthorized"
    assert counts(server) == (1, 2, 2)  # one renewal (a new login), one retry, then the error


def test_fifty_concurrent_calls_on_a_cold_client_cause_one_token_request_and_one_login(
    kind: str, server: FakeThingSpace
) -> None:
    server.token_delay = server.login_delay = 0.3  # every caller arrives while the first renewal is in flight
    with open_driver(kind, **credentials(server)) as fota:
        outcomes = fota.many(50)
    assert all(isinstance(o, tf.FirmwareReportRequest) for o in outcomes), outcomes
    assert counts(server) == (1, 1, 50)


def test_fifty_concurrent_calls_on_an_expired_client_cause_one_token_request_and_one_login(
    kind: str, server: FakeThingSpace
) -> None:
    server.expires_in = 3
    with open_driver(kind, **credentials(server)) as fota:
        fota.call()
        time.sleep(1.8)  # the access token is due for renewal ...
        server.expire_sessions()  # ... and the server dropped the session
        server.token_delay = server.login_delay = 0.3
        outcomes = fota.many(50)
    assert all(isinstance(o, tf.FirmwareReportRequest) for o in outcomes), outcomes
    tokens, logins, fota_calls = counts(server)
    assert (tokens, logins) == (2, 2)
    assert 1 + 50 <= fota_calls <= 1 + 100  # each call: at most one 401 and one retry
    assert all(s.status == 200 for s in server.requests("fota")[-50:])


def test_wrong_password_is_login_refused_and_never_retried(kind: str, server: FakeThingSpace) -> None:
    with open_driver(kind, **credentials(server, password="not-the-password", max_retries=2)) as fota:
        first = fota.outcome()
        second = fota.outcome()
    assert isinstance(first, tf.LoginRefusedError)
    assert isinstance(first, tf.AuthenticationError)
    assert first.status_code == 400
    assert first.error_code == "UnifiedWebService.Input.Invalid"
    assert "5 failed logins" in str(first)
    assert second is first  # the same refusal, raised again without a request
    assert counts(server) == (1, 1, 0)
    assert server.failed_logins == 1


def test_locked_contact_is_login_refused(kind: str, server: FakeThingSpace) -> None:
    server.locked = True
    with open_driver(kind, **credentials(server, max_retries=2)) as fota:
        error = fota.outcome()
    assert isinstance(error, tf.LoginRefusedError)
    assert (error.status_code, error.error_code) == (403, "UnifiedWebService.Contact.Locked")
    assert counts(server) == (1, 1, 0)


def test_login_refusing_a_fresh_token_is_not_looped(kind: str, server: FakeThingSpace) -> None:
    server.script("login", (401, {"errorCode": "UnAuthorized", "errorMessage": "Token not allowed to log in."}))
    with open_driver(kind, **credentials(server)) as fota:
        error = fota.outcome()
        again = fota.outcome()
    assert isinstance(error, tf.LoginRefusedError)
    assert error.status_code == 401
    assert again is error
    assert counts(server) == (1, 1, 0)


def test_fifty_concurrent_calls_with_a_wrong_password_cause_one_login(kind: str, server: FakeThingSpace) -> None:
    server.token_delay = 0.3
    with open_driver(kind, **credentials(server, password="not-the-password")) as fota:
        outcomes = fota.many(50)
    assert all(isinstance(o, tf.LoginRefusedError) for o in outcomes), outcomes
    assert counts(server) == (1, 1, 0)


def test_wrong_client_secret_is_client_credentials_refused(kind: str, server: FakeThingSpace) -> None:
    with open_driver(kind, **credentials(server, client_secret="not-the-secret", max_retries=2)) as fota:
        first = fota.outcome()
        assert counts(server) == (1, 0, 0)  # a 401 from the token endpoint is not retried
        second = fota.outcome()
    for error in (first, second):
        assert isinstance(error, tf.ClientCredentialsRefusedError)
        assert isinstance(error, tf.AuthenticationError)
        assert (error.status_code, error.error_code) == (401, "invalid_client")
        assert error.error_message == "Client authentication failed."
    # Not latched: each new call asks again (a wrong secret locks nothing), but never logs in.
    assert counts(server) == (2, 0, 0)


def test_fifty_concurrent_calls_with_a_wrong_secret_cause_one_token_request(kind: str, server: FakeThingSpace) -> None:
    server.token_delay = 0.5
    with open_driver(kind, **credentials(server, client_secret="not-the-secret")) as fota:
        outcomes = fota.many(50)
    assert all(isinstance(o, tf.ClientCredentialsRefusedError) for o in outcomes), outcomes
    assert counts(server) == (1, 0, 0)


def test_unreachable_token_server_is_api_connection_error(kind: str, server: FakeThingSpace) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with open_driver(kind, **credentials(server, auth_base_url=nowhere, max_retries=1)) as fota:
        started = time.monotonic()
        error = fota.outcome()
        elapsed = time.monotonic() - started
    assert type(error) is tf.APIConnectionError
    assert "POST /ts/v1/oauth2/token" in str(error)
    assert "2 attempt(s)" in str(error)  # the FOTA calls' connection-error retry, one retry here
    assert elapsed < 20
    assert counts(server) == (0, 0, 0)


def test_token_server_errors_are_retried_like_fota_calls(kind: str, server: FakeThingSpace) -> None:
    server.script("token", (503, {"errorCode": "ServiceUnavailable", "errorMessage": "Try again."}))
    server.script("login", (502, {"errorCode": "BadGateway", "errorMessage": "Upstream failed."}))
    with open_driver(kind, **credentials(server, max_retries=1)) as fota:
        result = fota.call()
    assert result.request_id
    assert [(s.kind, s.status) for s in server.seen] == [
        ("token", 503),
        ("token", 200),
        ("login", 502),
        ("login", 200),
        ("fota", 200),
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"access_token": "abc", "token_type": "mac", "expires_in": 3600}, "token_type"),
        ({"token_type": "bearer", "expires_in": 3600}, "access_token"),
        ({"access_token": "a b", "token_type": "bearer"}, "access_token"),
        ({"access_token": "abc", "token_type": "bearer", "expires_in": -5}, "expires_in"),
    ],
)
def test_unusable_token_answer_is_response_validation_error(
    kind: str, server: FakeThingSpace, body: dict[str, object], problem: str
) -> None:
    server.script("token", (200, body))
    with open_driver(kind, **credentials(server, max_retries=0)) as fota:
        error = fota.outcome()
    assert isinstance(error, tf.ResponseValidationError)
    assert problem in str(error)
    assert "POST /ts/v1/oauth2/token" in str(error)
    assert counts(server) == (1, 0, 0)


def test_numeric_string_lifetime_is_accepted(kind: str, server: FakeThingSpace) -> None:
    server.expires_in = "3600"
    with open_driver(kind, **credentials(server)) as fota:
        fota.call()
        fota.call()
    assert counts(server) == (1, 1, 2)


def test_from_env_runs_the_credentials_flow(server: FakeThingSpace, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("THINGSPACE_ACCESS_TOKEN", "THINGSPACE_M2M_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THINGSPACE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("THINGSPACE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("THINGSPACE_USERNAME", USERNAME)
    monkeypatch.setenv("THINGSPACE_PASSWORD", PASSWORD)
    monkeypatch.setenv("THINGSPACE_FOTA_BASE_URL", server.fota_url)
    monkeypatch.setenv("THINGSPACE_AUTH_BASE_URL", server.url)
    with tf.FotaClient.from_env() as fota:
        fota.report_device_firmware("0000123456-00001", "990013907835573")

    async def use_async() -> None:
        async with tf.AsyncFotaClient.from_env() as fota:
            await fota.report_device_firmware("0000123456-00001", "990013907835573")

    asyncio.run(use_async())
    assert counts(server) == (2, 2, 2)  # one flow per client


def test_one_client_shares_its_tokens_across_operations(kind: str, server: FakeThingSpace) -> None:
    with open_driver(kind, **credentials(server)) as fota:
        fota.call()
        client = fota.client
        if isinstance(client, tf.FotaClient):
            client.list_available_firmware("0000123456-00001")
            client.synchronize_device_firmware("0000123456-00001", ["990013907835573"])
        else:
            fota.runner.run(client.list_available_firmware("0000123456-00001"))
            fota.runner.run(client.synchronize_device_firmware("0000123456-00001", ["990013907835573"]))
    assert counts(server) == (1, 1, 3)
