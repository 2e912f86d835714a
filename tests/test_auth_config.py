"""Choosing how to authenticate: constructor arguments, environment variables, and the renewal schedule.

Every refusal is InvalidInputError naming exactly the missing or extra arguments or variables, raised before
anything is sent, and never quoting a value.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import thingspace_fota as tf
from thingspace_fota._credentials import renew_after
from thingspace_fota._env import client_kwargs_from_env

SECRET = "cs-SECRET-31b7"
PASSWORD = "pw-SECRET-9e02"
CREDENTIALS = {"client_id": "app-1", "client_secret": SECRET, "username": "user", "password": PASSWORD}
TOKENS = {"access_token": "at-SECRET-5d", "m2m_token": "st-SECRET-6e"}
CLIENTS = [tf.FotaClient, tf.AsyncFotaClient]


def refusal(cls: Any, **kwargs: Any) -> tf.InvalidInputError:
    with pytest.raises(tf.InvalidInputError) as caught:
        cls(**kwargs)
    error = caught.value
    for value in (SECRET, PASSWORD, *TOKENS.values()):
        assert value not in str(error)
    return error


@pytest.mark.parametrize("cls", CLIENTS)
class TestConstructor:
    def test_credentials_are_accepted_and_nothing_is_sent_before_the_first_call(self, cls: Any) -> None:
        sent: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return httpx.Response(500)

        transport = httpx.MockTransport(handle)
        http = httpx.Client(transport=transport) if cls is tf.FotaClient else httpx.AsyncClient(transport=transport)
        client = cls(**CREDENTIALS, http_client=http)
        assert sent == []
        assert SECRET not in repr(client) and PASSWORD not in repr(client)
        if isinstance(http, httpx.Client):
            http.close()
        else:
            asyncio.run(http.aclose())

    def test_tokens_and_credentials_together(self, cls: Any) -> None:
        error = refusal(cls, **TOKENS, **CREDENTIALS)
        assert error.argument == "access_token and m2m_token"
        assert "client_id, client_secret, username and password" in error.problem
        assert "not both" in error.problem

    def test_one_token_with_one_credential(self, cls: Any) -> None:
        error = refusal(cls, access_token=TOKENS["access_token"], password=PASSWORD)
        assert error.argument == "access_token"
        assert "cannot be combined with password" in error.problem

    @pytest.mark.parametrize(
        ("given", "missing"),
        [
            (("client_id", "client_secret"), "username and password"),
            (("password",), "client_id, client_secret and username"),
            (("client_id", "client_secret", "username"), "password"),
            (("client_secret", "username", "password"), "client_id"),
        ],
    )
    def test_half_given_credentials_name_what_is_missing(self, cls: Any, given: tuple[str, ...], missing: str) -> None:
        error = refusal(cls, **{name: CREDENTIALS[name] for name in given})
        assert error.argument == missing
        assert "the credentials flow needs" in error.problem

    def test_half_given_tokens_name_what_is_missing(self, cls: Any) -> None:
        assert refusal(cls, access_token="token").argument == "m2m_token"
        assert refusal(cls, m2m_token="session").argument == "access_token"

    def test_nothing_given_names_both_ways(self, cls: Any) -> None:
        error = refusal(cls)
        assert error.argument == "access_token and m2m_token"
        assert "client_id, client_secret, username and password" in error.problem

    def test_auth_base_url_applies_to_credentials_only(self, cls: Any) -> None:
        error = refusal(cls, **TOKENS, auth_base_url="http://auth.test")
        assert error.argument == "auth_base_url"

    @pytest.mark.parametrize(
        ("overrides", "argument"),
        [
            ({"auth_base_url": "ftp://auth.test"}, "auth_base_url"),
            ({"auth_base_url": "http://user:pw-SECRET-x@auth.test"}, "auth_base_url"),
            ({"client_id": "wrong:id"}, "client_id"),
            ({"client_id": "with space"}, "client_id"),
            ({"client_secret": ""}, "client_secret"),
            ({"client_secret": 42}, "client_secret"),
            ({"username": "line\nbreak"}, "username"),
            ({"password": ""}, "password"),
            ({"password": b"bytes"}, "password"),
        ],
    )
    def test_bad_credential_values(self, cls: Any, overrides: dict[str, Any], argument: str) -> None:
        error = refusal(cls, **{**CREDENTIALS, **overrides})
        assert error.argument == argument
        assert "pw-SECRET-x" not in str(error)


ALL_CREDENTIALS = {
    "THINGSPACE_CLIENT_ID": "app-1",
    "THINGSPACE_CLIENT_SECRET": SECRET,
    "THINGSPACE_USERNAME": "user",
    "THINGSPACE_PASSWORD": PASSWORD,
}
ALL_TOKENS = {"THINGSPACE_ACCESS_TOKEN": "at-SECRET-5d", "THINGSPACE_M2M_TOKEN": "st-SECRET-6e"}


def env_refusal(environ: dict[str, str]) -> str:
    with pytest.raises(tf.InvalidInputError) as caught:
        client_kwargs_from_env(environ)
    assert caught.value.argument == "environment"
    message = str(caught.value)
    for value in environ.values():
        if "SECRET" in value:
            assert value not in message
    return caught.value.problem


class TestEnvironment:
    def test_credentials(self) -> None:
        environ = {**ALL_CREDENTIALS, "THINGSPACE_AUTH_BASE_URL": "http://auth.test", "THINGSPACE_FOTA_BASE_URL": "x"}
        assert client_kwargs_from_env(environ) == {
            "client_id": "app-1",
            "client_secret": SECRET,
            "username": "user",
            "password": PASSWORD,
            "auth_base_url": "http://auth.test",
            "base_url": "x",
        }

    def test_password_and_secret_are_kept_exactly(self) -> None:
        environ = {**ALL_CREDENTIALS, "THINGSPACE_PASSWORD": " spaced pw ", "THINGSPACE_USERNAME": " user\n"}
        kwargs = client_kwargs_from_env(environ)
        assert kwargs["password"] == " spaced pw "
        assert kwargs["username"] == "user"

    def test_tokens(self) -> None:
        environ = {**ALL_TOKENS, "THINGSPACE_AUTH_BASE_URL": "http://auth.test"}
        # The auth base URL means nothing with static tokens, so it is not passed on.
        assert client_kwargs_from_env(environ) == {"access_token": "at-SECRET-5d", "m2m_token": "st-SECRET-6e"}

    @pytest.mark.parametrize(
        ("unset", "named"),
        [
            (["THINGSPACE_PASSWORD"], "THINGSPACE_PASSWORD must be set"),
            (["THINGSPACE_USERNAME", "THINGSPACE_PASSWORD"], "THINGSPACE_USERNAME and THINGSPACE_PASSWORD must be set"),
            (["THINGSPACE_CLIENT_ID"], "THINGSPACE_CLIENT_ID must be set"),
            (
                ["THINGSPACE_CLIENT_ID", "THINGSPACE_CLIENT_SECRET", "THINGSPACE_USERNAME"],
                "THINGSPACE_CLIENT_ID, THINGSPACE_CLIENT_SECRET and THINGSPACE_USERNAME must be set",
            ),
        ],
    )
    def test_half_given_credentials_name_exactly_what_is_missing(self, unset: list[str], named: str) -> None:
        environ = {k: v for k, v in ALL_CREDENTIALS.items() if k not in unset}
        problem = env_refusal(environ)
        assert problem.startswith(named + " (")
        for present in set(ALL_CREDENTIALS) - set(unset):
            assert present not in problem.split(" (")[0]

    def test_blank_counts_as_missing(self) -> None:
        problem = env_refusal({**ALL_CREDENTIALS, "THINGSPACE_PASSWORD": "  "})
        assert problem.startswith("THINGSPACE_PASSWORD must be set")

    def test_half_given_tokens(self) -> None:
        problem = env_refusal({"THINGSPACE_M2M_TOKEN": "st-SECRET-6e"})
        assert problem.startswith("THINGSPACE_ACCESS_TOKEN must be set")

    def test_both_sets(self) -> None:
        problem = env_refusal({**ALL_CREDENTIALS, "THINGSPACE_ACCESS_TOKEN": "at-SECRET-5d"})
        assert problem.startswith("THINGSPACE_ACCESS_TOKEN cannot be combined with THINGSPACE_CLIENT_ID")

    def test_nothing_set_names_both_ways(self) -> None:
        problem = env_refusal({"THINGSPACE_FOTA_BASE_URL": "http://fota.test"})
        for name in (*ALL_CREDENTIALS, *ALL_TOKENS):
            assert name in problem

    def test_auth_overrides_replace_the_environment(self) -> None:
        kwargs = client_kwargs_from_env(ALL_CREDENTIALS, overrides={"access_token": "a", "m2m_token": "b"})
        assert kwargs == {"access_token": "a", "m2m_token": "b"}
        # With nothing in the environment, overrides alone are enough.
        assert client_kwargs_from_env({}, overrides=CREDENTIALS) == CREDENTIALS

    def test_other_overrides_keep_the_environment(self) -> None:
        kwargs = client_kwargs_from_env(ALL_CREDENTIALS, overrides={"auth_base_url": "http://auth.test"})
        assert kwargs["client_secret"] == SECRET and kwargs["auth_base_url"] == "http://auth.test"

    @pytest.mark.parametrize("cls", CLIENTS)
    def test_from_env_refuses_a_half_given_set(self, cls: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in (*ALL_CREDENTIALS, *ALL_TOKENS):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("THINGSPACE_CLIENT_ID", "app-1")
        monkeypatch.setenv("THINGSPACE_PASSWORD", PASSWORD)
        with pytest.raises(tf.InvalidInputError) as caught:
            cls.from_env()
        assert caught.value.problem.startswith("THINGSPACE_CLIENT_SECRET and THINGSPACE_USERNAME must be set")
        assert PASSWORD not in str(caught.value)

    @pytest.mark.parametrize("cls", CLIENTS)
    def test_from_env_with_token_overrides_ignores_env_credentials(
        self, cls: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name, value in ALL_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("THINGSPACE_ACCESS_TOKEN", raising=False)
        monkeypatch.delenv("THINGSPACE_M2M_TOKEN", raising=False)
        seen: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, json={"accountName": "0000123456-00001", "requestId": "r"})

        transport = httpx.MockTransport(handle)
        if cls is tf.FotaClient:
            with cls.from_env(access_token="tok", m2m_token="ses", http_client=httpx.Client(transport=transport)) as c:
                c.report_device_firmware("0000123456-00001", "990013907835573")
        else:

            async def run() -> None:
                http = httpx.AsyncClient(transport=transport)
                async with cls.from_env(access_token="tok", m2m_token="ses", http_client=http) as c:
                    await c.report_device_firmware("0000123456-00001", "990013907835573")
                await http.aclose()

            asyncio.run(run())
        [request] = seen  # no token request, no login: the override's tokens went straight out
        assert request.headers["authorization"] == "Bearer tok"
        assert request.headers["vz-m2m-token"] == "ses"


@pytest.mark.parametrize(
    ("expires_in", "after"),
    [(3600, 3540), (600, 540), (120, 60), (100, 50), (30, 15), (1, 0.5), (0, 0), (None, None)],
)
def test_renewal_schedule(expires_in: float | None, after: float | None) -> None:
    """60 s before the end of a lifetime, halfway through one shorter than 2 minutes, never without one."""
    assert renew_after(expires_in) == after
