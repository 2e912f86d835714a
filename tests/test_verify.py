"""``verify`` (issue 10): run_verify against a local server that conforms (exit 0), one that drifts (exit 4, the
field named), one that fails (exit 1, which wins over drift), and bad input (exit 2)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

import pytest
from faultserver import ACC, ACCESS_TOKEN, M2M_TOKEN, PACKAGE, FaultServer, Reply, Seen

from thingspace_fota._verify import add_verify_command, run_verify

DEVICES = ["990013907835573", "990013907884259"]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    monkeypatch.setenv("THINGSPACE_ACCESS_TOKEN", ACCESS_TOKEN)
    monkeypatch.setenv("THINGSPACE_M2M_TOKEN", M2M_TOKEN)
    monkeypatch.setenv("THINGSPACE_FOTA_STRICT", "1")  # verify ignores it: it must report, not stop at the first
    with FaultServer() as srv:
        yield srv


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="thingspace-fota")
    add_verify_command(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["verify", *argv])


def run(server: FaultServer, *argv: str) -> int:
    return run_verify(parse(ACC, *argv, "--base-url", server.url + "/api/fota/v3"))


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
    assert run_verify(parse(*args)) == 2
    assert "error:" in capsys.readouterr().err
    assert server.requests == []
