"""Client settings from environment variables (``FotaClient.from_env()`` and the command line)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ._exceptions import InvalidInputError

# Names of environment variables, not secrets.
ACCESS_TOKEN = "THINGSPACE_ACCESS_TOKEN"  # noqa: S105
M2M_TOKEN = "THINGSPACE_M2M_TOKEN"  # noqa: S105
FOTA_BASE_URL = "THINGSPACE_FOTA_BASE_URL"


def client_kwargs_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Constructor arguments from the environment; raises InvalidInputError naming what is missing.

    Values are never quoted in messages: they may be secrets.
    """
    env = os.environ if environ is None else environ
    kwargs: dict[str, Any] = {}
    base_url = env.get(FOTA_BASE_URL, "").strip()
    if base_url:
        kwargs["base_url"] = base_url
    tokens = {name: env.get(name, "").strip() for name in (ACCESS_TOKEN, M2M_TOKEN)}
    missing = [name for name, value in tokens.items() if not value]
    if missing:
        raise InvalidInputError(
            "environment", f"{' and '.join(missing)} must be set (both {ACCESS_TOKEN} and {M2M_TOKEN})"
        )
    kwargs["access_token"] = tokens[ACCESS_TOKEN]
    kwargs["m2m_token"] = tokens[M2M_TOKEN]
    return kwargs
