"""Logging: what each request and each retry logs, bodies only at DEBUG with secrets redacted, no token anywhere
(any logger, any level, any exception text), and the THINGSPACE_FOTA_LOG switch (run in a subprocess, since it
is applied at import)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from faultserver import (
    ACC,
    ACCESS_TOKEN,
    M2M_TOKEN,
    TOKENS,
    Drop,
    FaultServer,
    Reply,
    Reset,
    Stall,
    call,
    reply_json,
    timed,
)

import thingspace_fota as tf
from mockserver import free_port

DEVICE = "990013907835573"
OPERATIONS = [
    ("list_available_firmware", (ACC,), "GET /firmware/{acc}"),
    ("synchronize_device_firmware", (ACC, [DEVICE]), "PUT /firmware/{acc}/devices"),
    ("report_device_firmware", (ACC, DEVICE), "PUT /firmware/{acc}/async/{deviceId}"),
]
REQUEST_LINE = re.compile(
    r"^(?P<what>(GET|PUT) /firmware/\{acc\}(/devices|/async/\{deviceId\})?) -> (?P<outcome>.+?) "
    r"in (?P<ms>\d+\.\d) ms \(attempt (?P<attempt>\d+)/(?P<attempts>\d+)(, request id (?P<rid>\S+))?\)$"
)
RETRY_LINE = re.compile(
    r"^(?P<what>.+?): retrying in (?P<wait>\d+\.\d\d) s because of (?P<reason>.+) \(attempt (?P<next>\d+)/\d+ next\)$"
)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


def ours(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "thingspace_fota" and r.levelno == level]


def request_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    found = [REQUEST_LINE.match(r.getMessage()) for r in ours(caplog)]
    return [m for m in found if m]


def retry_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    found = [RETRY_LINE.match(r.getMessage()) for r in ours(caplog)]
    return [m for m in found if m]


@pytest.mark.parametrize(("method", "args", "what"), OPERATIONS)
def test_each_request_logs_method_path_template_status_duration_attempt_and_request_id(  # noqa: PLR0917
    server: FaultServer, kind: str, caplog: pytest.LogCaptureFixture, method: str, args: tuple[Any, ...], what: str
) -> None:
    caplog.set_level(logging.INFO, logger="thingspace_fota")
    server.script(
        reply_json(
            {"errorCode": "BUSY", "errorMessage": "busy"}, 503, **{"Retry-After": "0", "X-Request-Id": "rid-503"}
        )
    )
    call(kind, server.url, method, *args)
    first, second = request_lines(caplog)
    assert (first["what"], first["outcome"], first["attempt"], first["attempts"], first["rid"]) == (
        what,
        "503",
        "1",
        "3",
        "rid-503",
    )
    assert (second["what"], second["outcome"], second["attempt"], second["rid"]) == (what, "200", "2", "srv-2")
    assert all(float(m["ms"]) < 10_000 for m in (first, second))
    [retry] = retry_lines(caplog)
    assert (retry["what"], retry["reason"], retry["wait"], retry["next"]) == (what, "HTTP 503", "0.00", "2")
    # Ids are not part of the path template: not logged at INFO.
    assert not any(ACC in r.getMessage() or DEVICE in r.getMessage() for r in ours(caplog))


def test_request_line_without_a_request_id(server: FaultServer, kind: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="thingspace_fota")
    server.script(reply_json({"accountName": ACC, "requestId": "r"}))
    call(kind, server.url, "report_device_firmware", ACC, DEVICE)
    [line] = request_lines(caplog)
    assert line["rid"] is None
    assert line["outcome"] == "200"


def test_retry_lines_give_the_reason_and_the_wait(server: FaultServer, kind: str, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="thingspace_fota")
    server.script(
        Drop(),
        Stall(5),
        Reply(429, b"", {"Retry-After": "0"}),
        Reply(502, "<html>bad gateway</html>", {"Retry-After": "0.1"}, content_type="text/html"),
    )
    outcome, _ = timed(
        kind, server.url, "report_device_firmware", ACC, DEVICE, client={"timeout": 0.3, "max_retries": 4}
    )
    assert isinstance(outcome, tf.FirmwareReportRequest)
    reasons = [(m["reason"], float(m["wait"])) for m in retry_lines(caplog)]
    assert [r for r, _ in reasons] == [
        "connection error (RemoteProtocolError)",
        "timed out (ReadTimeout)",
        "HTTP 429",
        "HTTP 502",
    ]
    waits = [w for _, w in reasons]
    assert 0.37 <= waits[0] <= 0.5  # backoff_delay(0)
    assert 0.75 <= waits[1] <= 1.0  # backoff_delay(1)
    assert waits[2] == 0.0  # Retry-After: 0
    assert waits[3] == 0.1  # Retry-After: 0.1
    outcomes = [m["outcome"] for m in request_lines(caplog)]
    assert outcomes == ["connection error (RemoteProtocolError)", "timed out (ReadTimeout)", "429", "502", "200"]
    assert all(r.levelno == logging.INFO for r in ours(caplog) if "retrying" in r.getMessage())


def test_retry_after_above_the_cap_is_logged(server: FaultServer, kind: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="thingspace_fota")
    server.script(Reply(429, b"", {"Retry-After": "90"}))
    outcome, _ = timed(kind, server.url, "report_device_firmware", ACC, DEVICE)
    assert isinstance(outcome, tf.RateLimitError)
    assert any("wait 90.0 s, above the cap of 60.0 s; not retrying" in r.getMessage() for r in ours(caplog))


# -- bodies and secrets ---------------------------------------------------------------------------------------------


def test_bodies_are_logged_at_debug_only_with_secret_keys_redacted(
    server: FaultServer, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    leaked = {"sessionToken": "srv-session-SECRET-1", "password": "srv-password-SECRET-2", "Access_Token": "srv-at-3"}

    def echo_secrets(request: Any) -> Reply:
        body = {
            "accountName": ACC,
            "deviceFirmwarVersionList": [{"deviceId": DEVICE, "firmwareVersion": "1"}],
            **leaked,
        }
        return reply_json(body)

    server.handler = echo_secrets
    caplog.set_level(logging.INFO)
    call(kind, server.url, "synchronize_device_firmware", ACC, [DEVICE])
    assert caplog.records
    assert not any("body" in r.getMessage() or DEVICE in r.getMessage() for r in ours(caplog))

    caplog.clear()
    caplog.set_level(logging.DEBUG)
    call(kind, server.url, "synchronize_device_firmware", ACC, [DEVICE])
    debug = [r.getMessage() for r in ours(caplog, logging.DEBUG)]
    assert f'PUT /firmware/{{acc}}/devices request body: {{"deviceList": ["{DEVICE}"]}}' in debug
    [response_body] = [m for m in debug if "response body" in m]
    assert DEVICE in response_body
    assert response_body.count("[redacted]") == 3
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(secret in everything for secret in leaked.values())


def test_an_error_body_echoing_a_token_is_masked_in_logs_and_error_text(
    server: FaultServer, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"errorCode": f"BadToken {M2M_TOKEN}", "errorMessage": f"token Bearer {ACCESS_TOKEN} is not valid"}
    server.handler = lambda request: reply_json(body, 400)
    caplog.set_level(logging.DEBUG)
    outcome, _ = timed(kind, server.url, "report_device_firmware", ACC, DEVICE)
    assert isinstance(outcome, tf.BadRequestError)
    assert outcome.error_message == "token [redacted] is not valid"  # the whole header value
    assert outcome.error_code == "BadToken [redacted]"
    assert_no_token(caplog, [outcome])
    assert any("[redacted]" in r.getMessage() for r in ours(caplog, logging.DEBUG))


def assert_no_token(caplog: pytest.LogCaptureFixture, errors: list[BaseException]) -> None:
    texts = [r.getMessage() for r in caplog.records]
    texts += [repr(r.args) for r in caplog.records]
    texts += [logging.Formatter().format(r) for r in caplog.records]
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    for secret in TOKENS:
        assert not [t for t in texts if secret in t], secret


def test_no_token_in_any_log_record_or_error_text(server: FaultServer, kind: str, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore, asyncio
    errors: list[BaseException] = []
    for method, args, _ in OPERATIONS:
        server.script(Reply(503, b"", {"Retry-After": "0"}))
        outcome, _ = timed(kind, server.url, method, *args)
        assert not isinstance(outcome, Exception), repr(outcome)
    for action in [
        reply_json({"errorCode": "E", "errorMessage": "bad"}, 400),
        Reply(401, b""),
        Reply(520, "<html/>", content_type="text/html"),
        Reset(),
        Stall(5),
        Drop(),
        Reply(200, b"{not json"),
        reply_json({"unexpected": True}),
    ]:
        server.handler = lambda request, action=action: action
        outcome, _ = timed(
            kind, server.url, "report_device_firmware", ACC, DEVICE, client={"timeout": 0.3}, max_retries=0
        )
        assert isinstance(outcome, tf.FotaError), repr(outcome)
        errors.append(outcome)
    outcome, _ = timed(kind, f"http://127.0.0.1:{free_port()}", "report_device_firmware", ACC, DEVICE, max_retries=0)
    assert type(outcome) is tf.APIConnectionError
    errors.append(outcome)
    assert len(caplog.records) > 50
    assert_no_token(caplog, errors)
    with tf.FotaClient(base_url=server.url, access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN) as sync_client:
        assert not any(secret in repr(sync_client) for secret in TOKENS)  # nor in the client's repr
    async_client = tf.AsyncFotaClient(base_url=server.url, access_token=ACCESS_TOKEN, m2m_token=M2M_TOKEN)
    assert not any(secret in repr(async_client) for secret in TOKENS)
    asyncio.run(async_client.aclose())


# -- the THINGSPACE_FOTA_LOG switch ---------------------------------------------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import logging, sys
    if sys.argv[2] == "basicConfig":
        logging.basicConfig(level=logging.INFO, format="USER %(name)s %(levelname)s %(message)s")
    import thingspace_fota as tf
    with tf.FotaClient(base_url=sys.argv[1], access_token=sys.argv[3], m2m_token=sys.argv[4]) as fota:
        fota.synchronize_device_firmware("0000123456-00001", ["990013907835573"])
    print("done")
    """
)


def run_script(url: str, value: str | None, mode: str = "plain") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "THINGSPACE_FOTA_LOG"}
    if value is not None:
        env["THINGSPACE_FOTA_LOG"] = value
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, url, mode, ACCESS_TOKEN, M2M_TOKEN],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("value", "info", "debug"),
    [
        ("info", True, False),
        ("INFO", True, False),
        ("debug", True, True),
        (" Debug ", True, True),
        (None, False, False),
        ("", False, False),
        ("warning", False, False),
        ("verbose", False, False),
    ],
)
def test_thingspace_fota_log_switch(server: FaultServer, value: str | None, info: bool, debug: bool) -> None:
    server.script(Reply(503, b"", {"Retry-After": "0", "X-Request-Id": "rid-env"}))
    run = run_script(server.url, value)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "done\n"
    lines = run.stderr.splitlines()
    if info:
        assert any(
            "INFO thingspace_fota] PUT /firmware/{acc}/devices -> 503 in " in line
            and "(attempt 1/3, request id rid-env)" in line
            for line in lines
        ), run.stderr
        assert any("retrying in 0.00 s because of HTTP 503" in line for line in lines), run.stderr
        assert any("-> 200 in " in line and "(attempt 2/3, request id srv-2)" in line for line in lines), run.stderr
    else:
        assert run.stderr == ""
    assert any("DEBUG thingspace_fota] PUT /firmware/{acc}/devices request body:" in line for line in lines) == debug
    assert not any(secret in run.stderr + run.stdout for secret in TOKENS)


def test_users_own_logging_configuration_receives_the_records(server: FaultServer) -> None:
    run = run_script(server.url, None, "basicConfig")
    assert run.returncode == 0, run.stderr
    assert "USER thingspace_fota INFO PUT /firmware/{acc}/devices -> 200 in " in run.stderr
    assert "[" not in run.stderr.split("USER", 1)[0]  # no second handler of ours
    assert not any(secret in run.stderr for secret in TOKENS)
