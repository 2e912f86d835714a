"""The ``thingspace-fota`` command line, run as a subprocess (``python -m thingspace_fota``).

Against Prism (the spec's mock): every subcommand in table and JSON mode, --from-file, forced API errors. Against
a small ThreadingHTTPServer of this file on 127.0.0.1 (behaviour Prism cannot produce): partial failures and
their re-run, that bad input sends nothing, that the tokens reach the server and never any output, progress on a
terminal.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ACC = "0000123456-00001"
DEVICES = ["990013907835573", "990013907884259"]
ACCESS_SECRET = "acc-SECRET-7f3a9c21e4"  # distinctive: every output is searched for these
M2M_SECRET = "m2m-SECRET-b85d02c6f1"
CLIENT_SECRET = "client-SECRET-e19b7c4a0d"
PASSWORD = "pass-SECRET-5c2f81d9ab"
SECRETS = (ACCESS_SECRET, M2M_SECRET, CLIENT_SECRET, PASSWORD)
RUN_TIMEOUT = 60


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def stderr_json(self) -> Any:
        return json.loads(self.stderr.strip().splitlines()[-1])


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any THINGSPACE_* variable, with the package on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINGSPACE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overlay"), str(ROOT / "generated")])
    env.update(extra)
    return env


def token_env(base_url: str, **extra: str) -> dict[str, str]:
    tokens = {"THINGSPACE_ACCESS_TOKEN": ACCESS_SECRET, "THINGSPACE_M2M_TOKEN": M2M_SECRET}
    return clean_env(**{**tokens, "THINGSPACE_FOTA_BASE_URL": base_url, **extra})


def cli(*argv: str, env: Mapping[str, str], stdin: str | None = None, cwd: Path | None = None) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "thingspace_fota", *argv],
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=cwd,
        check=False,
    )
    for secret in SECRETS:
        assert secret not in proc.stdout and secret not in proc.stderr, "a token was printed"
    return Run(proc.returncode, proc.stdout, proc.stderr)


# ------------------------------------------------------------------------------------- the local test server


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)  # when the server received it


@dataclass
class FotaServer:
    """Answers like FOTA v3, echoing the ids it is sent; can fail sync calls from the Nth on, or chosen devices."""

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    fail_sync_from: int | None = None  # 1-based index of the first sync request answered 400
    missing_devices: set[str] = field(default_factory=set)  # report answers 404 for these
    report_delay: float = 0.0  # seconds each report answer takes
    refuse_tokens: bool = False  # report answers 401
    drop_fields: set[str] = field(default_factory=set)  # left out of every package and device entry (drift)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, seen: Seen) -> tuple[int, Any]:
        parts = seen.path.strip("/").split("/")
        if seen.method == "GET" and len(parts) == 2 and parts[0] == "firmware":
            protocol = seen.query.get("protocol", ["?"])[0]
            package = {
                "firmwareName": "FW_A_TO_B",
                "firmwareFrom": "A",
                "firmwareTo": "B",
                "launchDate": "0001-01-01 00:00:00 +0000 UTC",
                "releaseNote": "",
                "model": "M1",
                "make": "Acme\x1b[2J",
                "protocol": protocol,
            }
            return 200, [{k: v for k, v in package.items() if k not in self.drop_fields}]
        if seen.method == "PUT" and len(parts) == 3 and parts[2] == "devices":
            with self.lock:
                number = 1 + sum(1 for r in self.requests if r.path.endswith("/devices"))
            if self.fail_sync_from is not None and number >= self.fail_sync_from:
                return 400, {"errorCode": "DeviceListRejected", "errorMessage": "try later"}
            versions = [
                {
                    k: v
                    for k, v in {"deviceId": d, "firmwareVersion": f"fw-{d[-3:]}"}.items()
                    if k not in self.drop_fields
                }
                for d in seen.body["deviceList"]
            ]
            return 200, {"accountName": parts[1], "deviceFirmwarVersionList": versions}
        if seen.method == "PUT" and len(parts) == 4 and parts[2] == "async":
            return self.report_answer(account=parts[1], device_id=parts[3])
        return 404, {"errorCode": "NoRoute", "errorMessage": "no route"}

    def report_answer(self, account: str, device_id: str) -> tuple[int, Any]:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(self.report_delay)
        with self.lock:
            self.in_flight -= 1
        if self.refuse_tokens:
            return 401, {"errorCode": "UnAuthorized", "errorMessage": "Invalid or expired token."}
        if device_id in self.missing_devices:
            return 404, {"errorCode": "DeviceNotFound", "errorMessage": "no such device"}
        return 200, {"accountName": account, "requestId": f"req-{device_id}"}

    def sync_bodies(self) -> list[list[str]]:
        return [r.body["deviceList"] for r in self.requests if r.path.endswith("/devices")]


@pytest.fixture
def server() -> Iterator[FotaServer]:
    state = FotaServer()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            seen = Seen(
                self.command,
                unquote(split.path),
                parse_qs(split.query),
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw) if raw else None,
            )
            status, body = state.answer(seen)
            with state.lock:
                state.requests.append(seen)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def ids(count: int, start: int = 0) -> list[str]:
    return [f"35{n:013d}" for n in range(start, start + count)]


# ---------------------------------------------------------------------------------------------- against Prism


def test_list_table(prism_url: str) -> None:
    run = cli("list", ACC, env=token_env(prism_url))
    assert (run.code, run.stderr) == (0, "")
    header, rule, row = run.stdout.splitlines()
    assert header.split() == ["FIRMWARE_NAME", "FROM", "TO", "MAKE", "MODEL", "PROTOCOL", "LAUNCH_DATE"]
    assert set(rule) <= {"-", " "}
    assert "BG96MAR04A04M1G_BETA0130B" in row and "LCO-277C4N" in row and "LWM2M" in row
    assert "2012-04-23T18:25:43.511000+00:00" in row


def test_list_json(prism_url: str) -> None:
    run = cli("list", ACC, "--protocol", "oma-dm", "--json", env=token_env(prism_url))
    assert (run.code, run.stderr) == (0, "")
    doc = run.json()
    assert doc["account_id"] == ACC
    assert doc["protocol"] == "OMD-DM"
    [package] = doc["packages"]
    assert package == {
        "firmware_name": "VerizonSmartCommunities_LCO-277C4N_BG96MAR04A04M1G_BG96MAR04A04M1G_BETA0130B",
        "firmware_from": "BG96MAR04A04M1G",
        "firmware_to": "BG96MAR04A04M1G_BETA0130B",
        "launch_date": "2012-04-23T18:25:43.511000+00:00",
        "release_note": "",
        "model": "LCO-277C4N",
        "make": "Verizon Smart Communities",
        "protocol": "LWM2M",
    }


def test_list_json_keeps_the_raw_date_when_it_does_not_parse(prism_url: str) -> None:
    run = cli("list", ACC, "--json", "--header", "Prefer: example=goZeroDate", env=token_env(prism_url))
    assert run.code == 0, run.stderr
    [package] = run.json()["packages"]
    assert package["launch_date"] == "0001-01-01 00:00:00 +0000 UTC"
    assert package["protocol"] == "HTTP"


def test_sync_table(prism_url: str) -> None:
    run = cli("sync", ACC, *DEVICES, env=token_env(prism_url))
    assert (run.code, run.stderr) == (0, "")
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["DEVICE_ID", "FIRMWARE_VERSION", "STATUS", "REASON", "UPDATE_TIME"]
    assert lines[2].split() == [
        DEVICES[0],
        "SR1.2.0.0-10657",
        "FirmwareVersionUpdateSuccess",
        "-",
        "2016-03-13T12:52:32.123000+00:00",
    ]
    assert lines[3].split() == [DEVICES[1], "SR1.2.0.0-10657", "FirmwareVersionUpdateSuccess", "-", "-"]


def test_sync_json(prism_url: str) -> None:
    run = cli("sync", ACC, *DEVICES, "--json", env=token_env(prism_url))
    assert (run.code, run.stderr) == (0, "")
    doc = run.json()
    assert doc["account_name"] == ACC
    assert doc["pending_device_ids"] == [] and doc["error"] is None
    assert doc["devices"] == [
        {
            "device_id": DEVICES[0],
            "firmware_version": "SR1.2.0.0-10657",
            "status": "FirmwareVersionUpdateSuccess",
            "reason": "",
            "update_time": "2016-03-13T12:52:32.123000+00:00",
        },
        {
            "device_id": DEVICES[1],
            "firmware_version": "SR1.2.0.0-10657",
            "status": "FirmwareVersionUpdateSuccess",
            "reason": None,
            "update_time": None,
        },
    ]


def test_sync_from_file_and_stdin(prism_url: str, tmp_path: Path) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text(f"# fleet A\n\n  {DEVICES[0]}  \r\n{DEVICES[1]}\n# end\n")
    run = cli("sync", ACC, "--from-file", str(listing), "--json", env=token_env(prism_url))
    assert run.code == 0, run.stderr
    assert len(run.json()["devices"]) == 2
    run = cli("sync", ACC, "--from-file", "-", "--json", env=token_env(prism_url), stdin="\n".join(DEVICES))
    assert run.code == 0, run.stderr
    assert run.json()["account_name"] == ACC


def test_sync_batches_thousands_of_ids(prism_url: str, tmp_path: Path) -> None:
    # Prism refuses a deviceList over the spec's maxItems (100) with a 400: only batching makes this pass.
    listing = tmp_path / "fleet.txt"
    listing.write_text("\n".join(ids(1050)))
    run = cli("sync", ACC, "--from-file", str(listing), "--json", env=token_env(prism_url))
    assert (run.code, run.stderr) == (0, "")
    assert len(run.json()["devices"]) == 11 * 2  # 11 requests, each answered with the spec's two-device example


def test_report_table_and_json(prism_url: str) -> None:
    run = cli("report", ACC, *DEVICES, env=token_env(prism_url))
    assert (run.code, run.stderr) == (0, "")
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["DEVICE_ID", "REQUEST_ID"]
    assert [line.split() for line in lines[2:]] == [[d, "7a3c5e0e-31c3-4b1b-9a0f-2b6a2d3c9e11"] for d in DEVICES]
    run = cli("report", ACC, DEVICES[0], "--json", env=token_env(prism_url))
    assert (run.code, run.stderr) == (0, "")
    assert run.json() == {
        "account_name": ACC,
        "reports": [{"device_id": DEVICES[0], "request_id": "7a3c5e0e-31c3-4b1b-9a0f-2b6a2d3c9e11"}],
        "failures": [],
        "pending_device_ids": [],
    }


@pytest.mark.parametrize(
    "argv",
    [["list", ACC], ["sync", ACC, *DEVICES], ["report", ACC, DEVICES[0]]],
    ids=["list", "sync", "report"],
)
def test_forced_api_error_exits_1_with_the_details(prism_url: str, argv: list[str]) -> None:
    run = cli(*argv, "--header", "Prefer: code=404", env=token_env(prism_url))
    assert run.code == 1
    assert run.stdout == ""
    assert "NotFoundError (HTTP 404): errorCode: NotFound; errorMessage: Account or device not found." in run.stderr

    run = cli(*argv, "--header", "Prefer: code=404", "--json", env=token_env(prism_url))
    assert run.code == 1
    error = run.stderr_json()["error"]
    assert (error["type"], error["status_code"], error["error_code"], error["error_message"]) == (
        "NotFoundError",
        404,
        "NotFound",
        "Account or device not found.",
    )
    if argv[0] != "list":  # the batch commands still print their document, with every id pending
        assert run.json()["pending_device_ids"] == argv[2:]


def test_console_script_is_installed(prism_url: str) -> None:
    script = Path(sys.executable).parent / "thingspace-fota"
    proc = subprocess.run(
        [str(script), "list", ACC, "--json"],
        env=token_env(prism_url),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["packages"][0]["model"] == "LCO-277C4N"


# ------------------------------------------------------------------------------------------------- bad input


BAD_INPUT = {
    "unknown protocol": (["list", ACC, "--protocol", "ZIGBEE"], "--protocol"),
    "account with a slash": (["list", "acc/../x"], "ACC"),
    "no device ids": (["sync", ACC], "no device ids"),
    "report without ids": (["report", ACC], "no device ids"),
    "id with a space": (["sync", ACC, DEVICES[0], "990 013"], "IMEI #2"),
    "zero timeout": (["list", ACC, "--timeout", "0"], "--timeout"),
    "negative retries": (["list", ACC, "--max-retries", "-1"], "--max-retries"),
    "batch too big": (["sync", ACC, DEVICES[0], "--batch-size", "101"], "--batch-size"),
    "concurrency 0": (["report", ACC, DEVICES[0], "--concurrency", "0"], "--concurrency"),
    "ftp base url": (["list", ACC, "--base-url", "ftp://127.0.0.1/x"], "--base-url"),
    "auth header": (["list", ACC, "--header", f"Authorization: Bearer {ACCESS_SECRET}"], "--header"),
    "header without colon": (["list", ACC, "--header", M2M_SECRET], "--header"),
    "missing id file": (["sync", ACC, "--from-file", "/nonexistent/ids.txt"], "--from-file"),
    "missing env file": (["list", ACC, "--env-file", "/nonexistent/.env"], "--env-file"),
    "leftover in a missing folder": (["sync", ACC, DEVICES[0], "--leftover", "/nonexistent/left.txt"], "--leftover"),
}


@pytest.mark.parametrize(("argv", "named"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_exits_2_naming_the_problem_and_sends_nothing(
    server: FotaServer, argv: list[str], named: str
) -> None:
    run = cli(*argv, env=token_env(server.url))
    assert run.code == 2
    assert named in run.stderr
    assert run.stdout == ""
    assert server.requests == []


def test_bad_line_of_an_id_file_is_named(server: FotaServer, tmp_path: Path) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text(f"{DEVICES[0]}\n# comment\n99/01\n")
    run = cli("sync", ACC, "--from-file", str(listing), env=token_env(server.url))
    assert run.code == 2
    assert f"--from-file {listing} line 3: must not contain" in run.stderr
    assert server.requests == []


def test_missing_credentials_exit_2_naming_the_variables(server: FotaServer) -> None:
    run = cli("list", ACC, "--json", env=clean_env(THINGSPACE_FOTA_BASE_URL=server.url))
    assert run.code == 2
    assert "THINGSPACE_ACCESS_TOKEN" in run.stderr and "THINGSPACE_M2M_TOKEN" in run.stderr
    assert run.stderr_json()["error"]["type"] == "InvalidInputError"
    assert server.requests == []


def test_bad_token_is_refused_without_being_shown(server: FotaServer) -> None:
    env = token_env(server.url, THINGSPACE_ACCESS_TOKEN=f"{ACCESS_SECRET} {ACCESS_SECRET}")
    run = cli("report", ACC, DEVICES[0], env=env)  # cli() asserts the value is not printed
    assert run.code == 2
    assert "access_token" in run.stderr
    assert server.requests == []


# ------------------------------------------------------------------------------------------- partial failure


def test_partial_sync_failure_exits_3_and_writes_the_leftover_file(server: FotaServer, tmp_path: Path) -> None:
    fleet = ids(5)
    server.fail_sync_from = 2  # 200 to the first chunk, 400 to the second
    leftover = tmp_path / "left.txt"
    argv = ["sync", ACC, *fleet, "--batch-size", "2", "--max-retries", "0", "--leftover", str(leftover)]
    run = cli(*argv, "--json", env=token_env(server.url))
    assert run.code == 3
    assert server.sync_bodies() == [fleet[:2], fleet[2:4]]  # stopped after the failed chunk
    doc = run.json()
    assert [d["device_id"] for d in doc["devices"]] == fleet[:2]
    assert doc["pending_device_ids"] == fleet[2:]
    assert (doc["error"]["type"], doc["error"]["status_code"], doc["error"]["error_code"]) == (
        "BadRequestError",
        400,
        "DeviceListRejected",
    )
    assert leftover.read_text().split() == fleet[2:]
    assert "BadRequestError (HTTP 400): errorCode: DeviceListRejected; errorMessage: try later" in run.stderr
    assert run.stderr_json()["pending_device_ids"] == fleet[2:]

    # The re-run from the leftover file finishes the job and empties the file.
    server.fail_sync_from = None
    run = cli("sync", ACC, "--from-file", str(leftover), "--leftover", str(leftover), env=token_env(server.url))
    assert (run.code, run.stderr) == (0, "")
    assert server.sync_bodies()[-1] == fleet[2:]
    assert [line.split()[0] for line in run.stdout.splitlines()[2:]] == fleet[2:]
    assert leftover.read_text() == ""


def test_partial_sync_failure_without_leftover_file_puts_rerunnable_ids_on_stderr(server: FotaServer) -> None:
    fleet = ids(250)
    server.fail_sync_from = 2
    run = cli("sync", ACC, *fleet, env=token_env(server.url))
    assert run.code == 3
    assert [line.split()[0] for line in run.stdout.splitlines()[2:]] == fleet[:100]
    assert "synchronized 100 of 250 device id(s); 150 left over" in run.stderr
    ids_on_stderr = [line for line in run.stderr.splitlines() if not line.startswith("#")]
    assert ids_on_stderr == fleet[100:]

    # stderr as it is (messages are # comments) is valid --from-file input for the re-run.
    server.fail_sync_from = None
    rerun = cli("sync", ACC, "--from-file", "-", "--json", env=token_env(server.url), stdin=run.stderr)
    assert rerun.code == 0, rerun.stderr
    assert [d["device_id"] for d in rerun.json()["devices"]] == fleet[100:]


def test_first_chunk_failing_is_an_api_error(server: FotaServer) -> None:
    server.fail_sync_from = 1
    run = cli("sync", ACC, *ids(3), "--max-retries", "0", env=token_env(server.url))
    assert run.code == 1
    assert run.stdout == ""
    assert "synchronized 0 of 3" in run.stderr


def test_report_failure_of_one_device_keeps_the_others(server: FotaServer, tmp_path: Path) -> None:
    fleet = ids(12)
    server.missing_devices = {fleet[3], fleet[7]}
    leftover = tmp_path / "left.txt"
    argv = ["report", ACC, *fleet, "--concurrency", "3", "--leftover", str(leftover), "--json"]
    run = cli(*argv, env=token_env(server.url))
    assert run.code == 3
    doc = run.json()
    assert [r["device_id"] for r in doc["reports"]] == [d for d in fleet if d not in server.missing_devices]
    assert all(r["request_id"] == f"req-{r['device_id']}" for r in doc["reports"])
    assert [f["device_id"] for f in doc["failures"]] == [fleet[3], fleet[7]]
    assert doc["failures"][0]["error"]["error_code"] == "DeviceNotFound"
    assert doc["pending_device_ids"] == [fleet[3], fleet[7]]
    assert leftover.read_text().split() == [fleet[3], fleet[7]]
    assert f"device {fleet[3]}: NotFoundError (HTTP 404): errorCode: DeviceNotFound" in run.stderr
    assert sorted(r.path.rsplit("/", 1)[1] for r in server.requests) == sorted(fleet)  # each id asked exactly once


def test_report_text_mode_partial_and_total_failure(server: FotaServer) -> None:
    fleet = ids(4)
    server.missing_devices = {fleet[1]}
    run = cli("report", ACC, *fleet, env=token_env(server.url))
    assert run.code == 3
    assert [line.split()[0] for line in run.stdout.splitlines()[2:]] == [fleet[0], fleet[2], fleet[3]]
    assert [line for line in run.stderr.splitlines() if not line.startswith("#")] == [fleet[1]]

    server.missing_devices = set(fleet)
    run = cli("report", ACC, *fleet, env=token_env(server.url))
    assert run.code == 1
    assert run.stdout == ""
    assert run.stderr.count("NotFoundError (HTTP 404)") == 4


def test_report_stops_starting_new_calls_after_an_auth_failure(server: FotaServer, tmp_path: Path) -> None:
    server.refuse_tokens = True
    fleet = ids(6)
    leftover = tmp_path / "left.txt"
    run = cli("report", ACC, *fleet, "--concurrency", "1", "--leftover", str(leftover), env=token_env(server.url))
    assert run.code == 1
    assert len(server.requests) == 1  # the other five would have been refused the same way
    assert "AuthenticationError (HTTP 401): errorCode: UnAuthorized" in run.stderr
    assert "asked 0 of 6 device id(s); 6 left over" in run.stderr
    assert leftover.read_text().split() == fleet


def test_report_concurrency_is_bounded(server: FotaServer) -> None:
    server.report_delay = 0.2  # long enough for the workers to overlap, short enough to stay quick
    fleet = ids(9)
    run = cli("report", ACC, *fleet, "--concurrency", "3", "--json", env=token_env(server.url))
    assert run.code == 0, run.stderr
    assert [r["device_id"] for r in run.json()["reports"]] == fleet
    assert 2 <= server.max_in_flight <= 3
    server.max_in_flight = 0
    run = cli("report", ACC, *fleet[:3], "--concurrency", "1", env=token_env(server.url))
    assert run.code == 0, run.stderr
    assert server.max_in_flight == 1


# ---------------------------------------------------------------------------------- secrets, env file, tty


def test_tokens_reach_the_server_but_never_any_output(server: FotaServer) -> None:
    env = token_env(server.url, THINGSPACE_FOTA_LOG="debug")
    server.missing_devices = {DEVICES[1]}
    server.fail_sync_from = 2
    runs = [
        cli("list", ACC, env=env),
        cli("sync", ACC, *ids(3), "--batch-size", "2", "--max-retries", "0", "--json", env=env),
        cli("report", ACC, *DEVICES, env=env),
    ]
    assert [r.code for r in runs] == [0, 3, 3]  # cli() checked every stdout and stderr for the tokens
    assert "thingspace_fota" in runs[0].stderr  # the debug log was on, and still showed no token
    for seen in server.requests:
        assert seen.headers["authorization"] == f"Bearer {ACCESS_SECRET}"
        assert seen.headers["vz-m2m-token"] == M2M_SECRET


def test_env_file_fills_missing_variables_only(server: FotaServer, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"# credentials\nexport THINGSPACE_ACCESS_TOKEN='{ACCESS_SECRET}'\n"
        f'THINGSPACE_M2M_TOKEN="not-this-one"\nTHINGSPACE_FOTA_BASE_URL={server.url}\nOTHER=ignored\n'
    )
    env = clean_env(THINGSPACE_M2M_TOKEN=M2M_SECRET)
    run = cli("list", ACC, "--env-file", str(env_file), env=env)
    assert (run.code, run.stderr) == (0, "")
    [seen] = server.requests
    assert seen.headers["authorization"] == f"Bearer {ACCESS_SECRET}"
    assert seen.headers["vz-m2m-token"] == M2M_SECRET  # the environment wins over the file


def test_malformed_env_file_line_is_named_not_shown(server: FotaServer, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"THINGSPACE_ACCESS_TOKEN={ACCESS_SECRET}\n{M2M_SECRET}\n")
    run = cli("list", ACC, "--env-file", str(env_file), env=clean_env(THINGSPACE_FOTA_BASE_URL=server.url))
    assert run.code == 2
    assert "--env-file line 2" in run.stderr
    assert server.requests == []


def test_list_sends_the_wire_protocol_and_escapes_control_characters(server: FotaServer) -> None:
    run = cli("list", ACC, "--protocol", "OMA-DM", env=token_env(server.url))
    assert run.code == 0, run.stderr
    assert server.requests[0].query["protocol"] == ["OMD-DM"]
    assert "\x1b" not in run.stdout
    assert "0001-01-01 00:00:00 +0000 UTC" in run.stdout  # the raw date when it does not parse


def run_with_tty_stderr(argv: list[str], env: Mapping[str, str]) -> tuple[int, str, str]:
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "thingspace_fota", *argv],
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    return proc.returncode, proc.stdout, b"".join(chunks).decode()


def test_progress_on_a_terminal_only(server: FotaServer) -> None:
    fleet = ids(250)
    code, stdout, terminal = run_with_tty_stderr(["sync", ACC, *fleet], token_env(server.url))
    assert code == 0
    assert len(stdout.splitlines()) == 2 + 250
    assert "sync: 100/250" in terminal and "sync: 250/250 device ids done" in terminal
    code, _, terminal = run_with_tty_stderr(["report", ACC, *ids(5)], token_env(server.url))
    assert code == 0
    assert "report: 5/5 device ids done" in terminal
    # The same work with stderr not a terminal prints nothing there.
    run = cli("sync", ACC, *fleet, env=token_env(server.url))
    assert (run.code, run.stderr) == (0, "")


def test_version_and_help() -> None:
    run = cli("--version", env=clean_env())
    assert run.code == 0 and run.stdout.strip().startswith("thingspace-fota ")
    run = cli("sync", "--help", env=clean_env())
    assert run.code == 0 and "--from-file" in run.stdout and "--leftover" in run.stdout


def test_credentials_flow_against_the_auth_mock(prism_url: str, auth_prism_url: str) -> None:
    env = clean_env(
        THINGSPACE_CLIENT_ID="cli-client-id",
        THINGSPACE_CLIENT_SECRET=CLIENT_SECRET,
        THINGSPACE_USERNAME="cli-user",
        THINGSPACE_PASSWORD=PASSWORD,
        THINGSPACE_AUTH_BASE_URL=auth_prism_url,
        THINGSPACE_FOTA_BASE_URL=prism_url,
        THINGSPACE_FOTA_LOG="debug",
    )
    run = cli("sync", ACC, *DEVICES, "--json", env=env)  # cli() checks that no secret is printed
    assert run.code == 0, run.stderr
    assert [d["device_id"] for d in run.json()["devices"]] == DEVICES
    run = cli("report", ACC, *DEVICES, env=env)
    assert run.code == 0, run.stderr
    # Half the credentials: exit 2 naming the missing variables, not their values.
    del env["THINGSPACE_PASSWORD"]
    run = cli("list", ACC, env=env)
    assert run.code == 2
    assert "THINGSPACE_PASSWORD" in run.stderr
