"""No secret (client secret, password, access token, session token) in any log line at any level, any exception
message, repr or traceback, across the whole credentials flow, failures included, sync and async."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import pytest
from test_auth_support import CLIENT_SECRET, PASSWORD, Driver, FakeThingSpace, credentials, open_driver

import thingspace_fota as tf
from mockserver import free_port

# A token answer the client refuses to use: its value must not be shown either.
BAD_TOKEN = "at-TOKEN-with space-77c1"


@pytest.fixture
def server() -> Iterator[FakeThingSpace]:
    with FakeThingSpace() as fake:
        yield fake


def texts_of(error: object) -> list[str]:
    assert isinstance(error, BaseException), error
    return [str(error), repr(error), "".join(traceback.format_exception(error))]


def reprs_of(fota: Driver) -> list[str]:
    auth = fota.client._auth
    return [repr(fota.client), repr(auth), repr(getattr(auth, "_cache", None) and auth._cache.credentials)]  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_no_secret_in_logs_errors_or_reprs(kind: str, server: FakeThingSpace, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the library's, httpx's and httpcore's
    shown: list[str] = []
    errors: dict[str, object] = {}

    # The flow working: first call, cached call, a session renewal and an access-token renewal after 401s.
    with open_driver(kind, **credentials(server, max_retries=1)) as fota:
        server.script("token", (503, {"errorCode": "ServiceUnavailable", "errorMessage": "Try again."}))
        fota.call()
        fota.call()
        server.expire_sessions()
        fota.call()
        server.revoke_access_tokens()
        fota.call()
        refused = (401, {"errorCode": "UnAuthorized", "errorMessage": "Not allowed."})
        server.script("fota", refused, refused)
        errors["second 401"] = fota.outcome()
        shown += reprs_of(fota)

    # A wrong password, and a server that echoes the password in its answer.
    with open_driver(kind, **credentials(server, password="wrong-password")) as fota:
        errors["wrong password"] = fota.outcome()
    with open_driver(kind, **credentials(server)) as fota:
        server.script("login", (400, {"errorCode": "Input.Invalid", "errorMessage": f"password {PASSWORD} refused"}))
        errors["echoed password"] = fota.outcome()
        shown += reprs_of(fota)

    # A wrong client secret, and a token endpoint that echoes the right one.
    with open_driver(kind, **credentials(server, client_secret="wrong-secret")) as fota:
        errors["wrong secret"] = fota.outcome()
    with open_driver(kind, **credentials(server)) as fota:
        echo = {"error": "invalid_client", "error_description": f"secret {CLIENT_SECRET} revoked"}
        server.script("token", (401, echo))
        errors["echoed secret"] = fota.outcome()

    # An unusable token answer, and an unreachable token server.
    with open_driver(kind, **credentials(server, max_retries=0)) as fota:
        server.script("token", (200, {"access_token": BAD_TOKEN, "token_type": "bearer"}))
        errors["bad token"] = fota.outcome()
    nowhere = f"http://127.0.0.1:{free_port()}"
    with open_driver(kind, **credentials(server, auth_base_url=nowhere, max_retries=0)) as fota:
        errors["unreachable"] = fota.outcome()

    expected = {
        "second 401": tf.AuthenticationError,
        "wrong password": tf.LoginRefusedError,
        "echoed password": tf.LoginRefusedError,
        "wrong secret": tf.ClientCredentialsRefusedError,
        "echoed secret": tf.ClientCredentialsRefusedError,
        "bad token": tf.ResponseValidationError,
        "unreachable": tf.APIConnectionError,
    }
    assert {name: type(error) for name, error in errors.items()} == expected
    for error in errors.values():
        shown += texts_of(error)
    shown.append(caplog.text)

    # The test can fail: the flow logged bodies and requests, and the echoes were masked, not dropped.
    assert "POST /ts/v1/oauth2/token response body" in caplog.text
    assert "POST /m2m/v1/session/login response body" in caplog.text
    assert "[redacted]" in caplog.text
    assert "password [redacted] refused" in str(errors["echoed password"])
    assert "secret [redacted] revoked" in str(errors["echoed secret"])
    secrets = [*server.secrets(), BAD_TOKEN]
    assert len(secrets) >= 8  # the secret, the password and the tokens issued above
    for text in shown:
        for secret in secrets:
            assert secret not in text
