"""`make demo`: the ``thingspace-fota`` command line against local Prism mocks, for all three FOTA operations.

It starts Prism on openapi/fota-v3.yaml (and, when the library has the credentials flow, on
openapi/thingspace-auth.yaml for the OAuth token and the M2M login), runs the CLI as a user would
(``python -m thingspace_fota``, configured by environment variables only), prints each command with its output
and exit code, and stops the mocks. It exits non-zero if any command does not end as expected.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator

import mockserver
from mockserver import running_prism
from thingspace_fota import _env

ACCOUNT = "0000123456-00001"
DEVICES = ["990013907835573", "990013907884259"]
# Demo values for the mocks only: Prism checks that credentials are present, never what they are.
DEMO_TOKENS = {"THINGSPACE_ACCESS_TOKEN": "demo-access-token", "THINGSPACE_M2M_TOKEN": "demo-session-token"}
DEMO_CREDENTIALS = {
    "THINGSPACE_CLIENT_ID": "demo-client-id",
    "THINGSPACE_CLIENT_SECRET": "demo-client-secret",
    "THINGSPACE_USERNAME": "demo-user",
    "THINGSPACE_PASSWORD": "demo-password",
}


def credentials_flow_available() -> bool:
    """Whether this checkout has the auth spec and a from_env() that reads THINGSPACE_CLIENT_ID."""
    auth_spec = getattr(mockserver, "AUTH_SPEC", None)
    return auth_spec is not None and auth_spec.exists() and hasattr(_env, "CLIENT_ID")


@contextlib.contextmanager
def mocks(with_auth: bool) -> Iterator[tuple[str, str | None]]:
    with running_prism() as fota_url:
        if not with_auth:
            yield fota_url, None
            return
        with running_prism(mockserver.AUTH_SPEC) as auth_url:
            yield fota_url, auth_url


def run(argv: list[str], env: dict[str, str], expect: int, stdin: str | None = None) -> bool:
    shown = "thingspace-fota " + shlex.join(argv)
    print(f"$ {f'printf {stdin!r} | ' if stdin else ''}{shown}")
    proc = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "thingspace_fota", *argv],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for line in proc.stdout.splitlines():
        print(f"  {line}")
    for line in proc.stderr.splitlines():
        print(f"  (stderr) {line}")
    print(f"  exit code {proc.returncode}{'' if proc.returncode == expect else f', expected {expect}'}\n")
    return proc.returncode == expect


def main() -> int:
    with_auth = credentials_flow_available()
    with mocks(with_auth) as (fota_url, auth_url):
        env = {k: v for k, v in os.environ.items() if not k.startswith("THINGSPACE_")}
        env["THINGSPACE_FOTA_BASE_URL"] = fota_url
        print(f"Prism mock of openapi/fota-v3.yaml on {fota_url}")
        if auth_url is not None:
            env.update(DEMO_CREDENTIALS, THINGSPACE_AUTH_BASE_URL=auth_url)
            print(f"Prism mock of openapi/thingspace-auth.yaml on {auth_url}")
            print("Auth: THINGSPACE_CLIENT_ID/_CLIENT_SECRET/_USERNAME/_PASSWORD (token and login from the mock)\n")
        else:
            env.update(DEMO_TOKENS)
            print("Auth: static THINGSPACE_ACCESS_TOKEN and THINGSPACE_M2M_TOKEN\n")
        results = [
            run(["list", ACCOUNT, "--protocol", "LWM2M"], env, expect=0),
            run(["sync", ACCOUNT, "--from-file", "-"], env, expect=0, stdin="\n".join(DEVICES) + "\n"),
            run(["report", ACCOUNT, *DEVICES], env, expect=0),
            run(["report", ACCOUNT, DEVICES[0], "--json"], env, expect=0),
        ]
        # What an API error looks like: Prism answers the spec's 404 when asked to. --header goes to every
        # request, the auth mock's too, so this one runs with static tokens to reach the FOTA mock.
        print("# an API error, forced with Prism's Prefer header (static tokens, so only the FOTA mock sees it)")
        error_env = {k: v for k, v in env.items() if k not in DEMO_CREDENTIALS} | DEMO_TOKENS
        results.append(run(["list", ACCOUNT, "--header", "Prefer: code=404"], error_env, expect=1))
    print("Mocks stopped.")
    if not all(results):
        print("demo: a command did not end as expected", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
