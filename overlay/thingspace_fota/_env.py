"""Client settings from environment variables (``FotaClient.from_env()`` and the command line).

Two ways to authenticate from the environment: the four credentials (the client then runs the OAuth and login
flow itself), or the two tokens. Exactly one set must be complete; a half-given set raises InvalidInputError
naming exactly the variables that are missing. Values are never quoted in messages: they may be secrets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ._auth import names
from ._exceptions import InvalidInputError
from ._ratelimit import checked_rate

# Names of environment variables, not secrets.
ACCESS_TOKEN = "THINGSPACE_ACCESS_TOKEN"  # noqa: S105
M2M_TOKEN = "THINGSPACE_M2M_TOKEN"  # noqa: S105
FOTA_BASE_URL = "THINGSPACE_FOTA_BASE_URL"
CLIENT_ID = "THINGSPACE_CLIENT_ID"
CLIENT_SECRET = "THINGSPACE_CLIENT_SECRET"  # noqa: S105
USERNAME = "THINGSPACE_USERNAME"
PASSWORD = "THINGSPACE_PASSWORD"  # noqa: S105
AUTH_BASE_URL = "THINGSPACE_AUTH_BASE_URL"
STRICT = "THINGSPACE_FOTA_STRICT"
_STRICT_VALUES = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}
MAX_RATE = "THINGSPACE_FOTA_MAX_RATE"

# Variable -> constructor argument.
TOKEN_VARIABLES = {ACCESS_TOKEN: "access_token", M2M_TOKEN: "m2m_token"}
CREDENTIAL_VARIABLES = {
    CLIENT_ID: "client_id",
    CLIENT_SECRET: "client_secret",
    USERNAME: "username",
    PASSWORD: "password",
}
# Values kept exactly as set (a password may begin or end with a space); the others are stripped.
_UNSTRIPPED = frozenset({CLIENT_SECRET, PASSWORD})
# Keyword arguments that choose how to authenticate: when from_env() is given any of them, the environment's
# auth variables are not read at all, so an override never half-combines with them.
AUTH_ARGUMENTS = frozenset({*TOKEN_VARIABLES.values(), *CREDENTIAL_VARIABLES.values()})


def _read(env: Mapping[str, str], variables: Mapping[str, str]) -> dict[str, str]:
    """The variables that are set to something other than blanks."""
    found: dict[str, str] = {}
    for name in variables:
        value = env.get(name, "")
        if value.strip():
            found[name] = value if name in _UNSTRIPPED else value.strip()
    return found


def auth_kwargs_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The auth arguments: the credentials, or the tokens; InvalidInputError names what is missing or extra."""
    credentials = _read(env, CREDENTIAL_VARIABLES)
    tokens = _read(env, TOKEN_VARIABLES)
    if credentials and tokens:
        raise InvalidInputError(
            "environment",
            f"{names(list(tokens))} cannot be combined with {names(list(credentials))}: set the credentials "
            f"or the tokens, not both",
        )
    if credentials:
        missing = [name for name in CREDENTIAL_VARIABLES if name not in credentials]
        if missing:
            raise InvalidInputError(
                "environment",
                f"{names(missing)} must be set (the credentials flow needs {names(list(CREDENTIAL_VARIABLES))})",
            )
        kwargs: dict[str, Any] = {CREDENTIAL_VARIABLES[name]: value for name, value in credentials.items()}
        auth_base_url = env.get(AUTH_BASE_URL, "").strip()
        if auth_base_url:
            kwargs["auth_base_url"] = auth_base_url
        return kwargs
    if tokens:
        missing = [name for name in TOKEN_VARIABLES if name not in tokens]
        if missing:
            raise InvalidInputError(
                "environment", f"{names(missing)} must be set (both {ACCESS_TOKEN} and {M2M_TOKEN})"
            )
        return {TOKEN_VARIABLES[name]: value for name, value in tokens.items()}
    raise InvalidInputError(
        "environment",
        f"{names(list(CREDENTIAL_VARIABLES))} must be set (or {ACCESS_TOKEN} and {M2M_TOKEN} for static tokens)",
    )


def client_kwargs_from_env(
    environ: Mapping[str, str] | None = None, *, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Constructor arguments from the environment, with ``overrides`` applied; raises InvalidInputError naming
    what is missing.

    When ``overrides`` choose how to authenticate (any of the token or credential arguments), the environment's
    auth variables are ignored. ``THINGSPACE_AUTH_BASE_URL`` is used with credentials only.
    ``THINGSPACE_FOTA_STRICT=1`` turns on strict reading (``strict=True``).
    """
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    kwargs: dict[str, Any] = {}
    base_url = env.get(FOTA_BASE_URL, "").strip()
    if base_url:
        kwargs["base_url"] = base_url
    strict = env.get(STRICT, "").strip().lower()
    if strict:
        if strict not in _STRICT_VALUES:
            raise InvalidInputError("environment", f"{STRICT} must be 1 or 0 (true/false, yes/no, on/off)")
        kwargs["strict"] = _STRICT_VALUES[strict]
    max_rate = env.get(MAX_RATE, "").strip()
    if max_rate:
        try:
            rate = float(max_rate)
        except ValueError:
            raise InvalidInputError(MAX_RATE, "must be a number of requests per second") from None
        kwargs["max_rate"] = checked_rate(rate, MAX_RATE)
    if not AUTH_ARGUMENTS.intersection(overrides):
        kwargs.update(auth_kwargs_from_env(env))
    return {**kwargs, **overrides}
