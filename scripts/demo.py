"""`make demo`: the ``thingspace-fota`` command line against local Prism mocks, for all three FOTA operations.

It starts Prism on openapi/fota-v3.yaml and on openapi/thingspace-auth.yaml (the OAuth token and the M2M
login), runs the CLI as a user would
(``python -m thingspace_fota``, configured by environment variables only), prints each command with its output
and exit code, and stops the mocks. It exits non-zero if any command does not end as expected.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys

from mockserver import AUTH_SPEC, FOTA_SPEC, running_prism

ACCOUNT = "0000123456-00001"
DEVICES = ["990013907835573", "990013907884259"]
# Demo values for the mocks only: Prism checks that credentials are present, never what they are.
DEMO_CREDENTIALS = {
    "THINGSPACE_CLIENT_ID": "demo-client-id",
    "THINGSPACE_CLIENT_SECRET": "demo-client-secret",
    "THINGSPACE_USERNAME": "demo-user",
    "THINGSPACE_PASSWORD": "demo-password",
}


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
    # SIGTERM (from `timeout`, a CI runner or `kill`) unwinds like Ctrl-C, so the mocks are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with running_prism(FOTA_SPEC) as fota_url, running_prism(AUTH_SPEC) as auth_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("THINGSPACE_")}
        env.update(DEMO_CREDENTIALS, THINGSPACE_FOTA_BASE_URL=fota_url, THINGSPACE_AUTH_BASE_URL=auth_url)
        print(f"Prism mock of openapi/fota-v3.yaml on {fota_url}")
        print(f"Prism mock of openapi/thingspace-auth.yaml on {auth_url}")
        print("Auth: THINGSPACE_CLIENT_ID/_CLIENT_SECRET/_USERNAME/_PASSWORD (token and login from the mock)\n")
        results = [
            run(["list", ACCOUNT, "--protocol", "LWM2M"], env, expect=0),
            run(["sync", ACCOUNT, "--from-file", "-"], env, expect=0, stdin="\n".join(DEVICES) + "\n"),
            run(["report", ACCOUNT, *DEVICES], env, expect=0),
            run(["report", ACCOUNT, DEVICES[0], "--json"], env, expect=0),
        ]
        # What an API error looks like: Prism answers the spec's 404 when asked to (--header goes to the FOTA
        # calls only, not to the token and login calls).
        print("# an API error, forced with Prism's Prefer header")
        results.append(run(["list", ACCOUNT, "--header", "Prefer: code=404"], env, expect=1))
        # Does the service answer as the spec says? The mock serves the spec's own examples: exit 0, no drift.
        print("# the contract check of the nightly job (make verify-live), here against the mock")
        results.append(run(["verify", ACCOUNT, *DEVICES], env, expect=0))
    print("Mocks stopped.")
    if not all(results):
        print("demo: a command did not end as expected", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
