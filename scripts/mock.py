"""`make mock`: Prism on the FOTA spec (PORT, default 4010) and on the auth spec (AUTH_PORT, default 4011) in
the foreground, until Ctrl-C; both are stopped on exit."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

from mockserver import AUTH_SPEC, FOTA_SPEC, running_prism


def main() -> None:
    # SIGTERM (from `timeout`, a CI runner or `kill`) unwinds like Ctrl-C, so both mocks are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    port, auth_port = int(os.environ.get("PORT", "4010")), int(os.environ.get("AUTH_PORT", "4011"))
    with running_prism(FOTA_SPEC, port) as fota_url, running_prism(AUTH_SPEC, auth_port) as auth_url:
        print(f"FOTA v3 mock:  THINGSPACE_FOTA_BASE_URL={fota_url}")
        print(f"Auth mock:     THINGSPACE_AUTH_BASE_URL={auth_url}")
        print("Any Bearer token and any VZ-M2M-Token are accepted. Ctrl-C stops both.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
