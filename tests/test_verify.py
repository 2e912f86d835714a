"""``verify`` (issue 10): ``thingspace-fota verify`` (the CLI's main, in process) against a local server that
conforms (exit 0), one that drifts (exit 4, the field named), one that fails (exit 1, which wins over drift), and
bad input (exit 2)."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator

import httpx
import pytest
from faultserver import ACC, ACCESS_TOKEN, M2M_TOKEN, PACKAGE, FaultServer, Reply, Seen

from thingspace_fota import FotaClient, ResponseValidationError
from thingspace_fota._cli import main
from thingspace_fota._verify import verify

DEVICES = ["990013907835573", "990013907884259"]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    monkeypatch.setenv("THINGSPACE_ACCESS_TOKEN", ACCESS_TOKEN)
    monkeypatch.setenv("THINGSPACE_M2M_TOKEN", M2M_TOKEN)
    monkeypatch.setenv("THINGSPACE_FOTA_STRICT", "1")  # verify ignores it: it must report, not stop at the first
    with FaultServer() as srv:
        yield srv


def run(server: FaultServer, *argv: str) -> int:
    return main(["verify", ACC, *argv, "--base-url", server.url + "/api/fota/v3"])


def test_conforming_server_exits_0(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(server, *DEVICES) == 0
    out = capsys.readouterr().out
    assert "every answer matches the spec" in out
    methods = [(s.method, s.query) for s in server.requests]
    assert methods[:4] == [("GET", f"protocol={p}") for p in ("LWM2M", "OMD-DM", "HTTP", "all")]
    assert [s.method for s in server.requests[4:]] == ["PUT"]  # synchronize only: report wakes devices
    assert DEVICES[0] not in out and ACCESS_TOKEN not in out


def test_drifting_server_exits_4_and_names_the_field(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    def handler(request: Seen) -> Reply | None:
        if request.method == "GET":
            return Reply(200, [{k: v for k, v in PACKAGE.items() if k != "releaseNote"}, {**PACKAGE, "Make": "x"}])
        return None

    server.handler = handler
    assert run(server) == 4
    out = capsys.readouterr().out
    assert "$[*].releaseNote" in out and "missing" in out
    # "Make" next to "make": kept in extra, recorded under the declared name (a body key is never printed)
    assert "unknown_field" in out and "$[*].make" in out and "Make" not in out
    assert "(exit 4)" in out


def test_json_report_lists_every_deviation(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.handler = lambda r: (
        Reply(200, {"accountName": ACC, "deviceFirmwarVersionList": [{"deviceId": DEVICES[0], "Reason": ""}]})
        if r.method == "PUT"
        else None
    )
    assert run(server, *DEVICES, "--json") == 4
    report = json.loads(capsys.readouterr().out)
    assert report["exit_code"] == 4
    [sync] = [c for c in report["checks"] if c["operation"] == "synchronize_device_firmware"]
    assert sync["unanswered_device_ids"] == 1
    assert {(d["location"], d["kind"]) for d in sync["drift"]} == {
        ("$.deviceFirmwarVersionList[0].firmwareVersion", "missing"),
        ("$.deviceFirmwarVersionList[0].reason", "renamed"),
    }


def test_api_error_exits_1_and_wins_over_drift(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    def handler(request: Seen) -> Reply | None:
        if request.method == "GET":
            return Reply(200, [{**PACKAGE, "make": None}])
        return Reply(400, {"errorCode": "BAD", "errorMessage": "refused"})

    server.handler = handler
    assert run(server, *DEVICES, "--report") == 1
    out = capsys.readouterr().out
    assert "BadRequestError" in out and "$[*].make" in out
    assert [s.method for s in server.requests].count("PUT") == 3  # synchronize, then one report per device


def test_unreadable_answer_is_an_error_with_its_drift(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.handler = lambda r: Reply(200, {"accountName": ACC, "requestId": ""}) if "/async/" in r.target else None
    assert run(server, DEVICES[0], "--report", "--json") == 1
    report = json.loads(capsys.readouterr().out)
    [check] = [c for c in report["checks"] if c["operation"] == "report_device_firmware"]
    assert check["error"].startswith("ResponseValidationError")
    assert [d["location"] for d in check["drift"]] == ["$.requestId"]


@pytest.mark.parametrize("argv", [("",), (ACC, "bad id with spaces"), (ACC, "--base-url", "ftp://x")])
def test_bad_input_exits_2_before_sending(
    server: FaultServer, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    args = [*argv] if "--base-url" in argv else [*argv, "--base-url", server.url]
    assert main(["verify", *args]) == 2
    assert "error:" in capsys.readouterr().err
    assert server.requests == []


@pytest.mark.parametrize("strict", [True, False])
def test_verify_leaves_the_drift_check_of_a_shared_client_alone(strict: bool, caplog: pytest.LogCaptureFixture) -> None:
    """While verify runs with a client, another thread using the same client keeps strict mode and warnings."""
    caplog.set_level(logging.WARNING, logger="thingspace_fota")
    other: list[object] = []

    def other_thread() -> None:
        try:
            fota.list_available_firmware(ACC, extra_headers={"x-other": "1"})
            other.append("read")
        except ResponseValidationError as exc:
            other.append(exc)

    def handle(request: httpx.Request) -> httpx.Response:
        if "x-other" not in request.headers and not other:  # during verify's first call
            thread = threading.Thread(target=other_thread)
            thread.start()
            thread.join(timeout=30)
        return httpx.Response(200, json=[{**PACKAGE, "make": None}])

    http = httpx.Client(transport=httpx.MockTransport(handle))
    common = {"access_token": ACCESS_TOKEN, "m2m_token": M2M_TOKEN, "max_retries": 0}
    with FotaClient(base_url="https://fota.test/v3", http_client=http, strict=strict, **common) as fota:
        report = verify(fota, ACC)
        assert report.exit_code == 4  # verify itself read every answer tolerantly
        assert len(other) == 1
        assert isinstance(other[0], ResponseValidationError) if strict else other == ["read"]
        [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]  # the other thread's, not verify's
        assert "$[*].make" in warning.getMessage()
        with pytest.raises(ResponseValidationError) if strict else contextlib.nullcontext():
            fota.list_available_firmware(ACC, extra_headers={"x-other": "1"})  # and after verify, as before


@pytest.mark.parametrize(
    ("code", "shown"),
    [("DeviceNotFound", "errorCode DeviceNotFound"), ("Bad\nINFO forged", "errorCode (not a plain code)")],
)
def test_an_error_is_reported_by_class_status_and_code_never_by_message(
    server: FaultServer, capsys: pytest.CaptureFixture[str], code: str, shown: str
) -> None:
    message = f"Device {DEVICES[0]} is not known"
    server.handler = lambda r: Reply(404, {"errorCode": code, "errorMessage": message}) if r.method == "PUT" else None
    assert run(server, *DEVICES, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    [sync] = [c for c in report["checks"] if c["operation"] == "synchronize_device_firmware"]
    assert sync["error"] == f"NotFoundError (HTTP 404): {shown}"
    assert run(server, *DEVICES) == 1
    out = capsys.readouterr().out
    assert f"ERROR NotFoundError (HTTP 404): {shown}" in out
    assert DEVICES[0] not in out and "forged" not in out and "not known" not in out
