"""``thingspace-fota verify``, ``--strict``, the one-line drift note and ``--max-rate``, end to end through
``python -m thingspace_fota`` (and ``make verify-live``) against the local FOTA server of ``test_cli``, which can
leave fields out of its answers (drift) on request.
"""

from __future__ import annotations

import subprocess

import pytest
import test_cli as base
from test_cli import ACC, DEVICES, ROOT, RUN_TIMEOUT, FotaServer, cli, ids, token_env

from thingspace_fota._env import MAX_RATE, STRICT
from thingspace_fota._models import Protocol

server = base.server  # the fixture: a local FOTA server on 127.0.0.1


# ---------------------------------------------------------------------------------------------------- verify


def test_verify_a_conforming_server_exits_0(server: FotaServer) -> None:
    run = cli("verify", ACC, *DEVICES, env=token_env(server.url))
    assert run.code == 0, run.stdout + run.stderr
    assert "every answer matches the spec" in run.stdout
    lists = [r for r in server.requests if r.method == "GET"]
    assert len(lists) == len(Protocol)  # one list call per protocol value
    assert [r.body["deviceList"] for r in server.requests if r.path.endswith("/devices")] == [DEVICES]
    assert not any("/async/" in r.path for r in server.requests)  # report only with --report


def test_verify_a_drifting_server_exits_4_naming_the_field(server: FotaServer) -> None:
    server.drop_fields = {"releaseNote", "firmwareVersion"}
    run = cli("verify", ACC, *DEVICES, env=token_env(server.url))
    assert run.code == 4, run.stdout + run.stderr
    assert "$[*].releaseNote" in run.stdout
    assert "$.deviceFirmwarVersionList[*].firmwareVersion" in run.stdout
    assert "missing" in run.stdout
    for device in DEVICES:  # the report names paths and kinds, never a value of the body
        assert device not in run.stdout
    assert "WARNING" not in run.stderr


def test_verify_json_with_global_options_before_the_command(server: FotaServer) -> None:
    server.drop_fields = {"make"}
    run = cli("--json", "--base-url", server.url, "verify", ACC, env=token_env("http://127.0.0.1:9/x"))
    assert run.code == 4, run.stderr
    doc = run.json()
    assert doc["exit_code"] == 4
    locations = {d["location"] for c in doc["checks"] for d in c["drift"]}
    assert locations == {"$[0].make"}


def test_verify_reads_tolerantly_whatever_strict_says(server: FotaServer) -> None:
    server.drop_fields = {"releaseNote"}
    run = cli("verify", ACC, env=token_env(server.url, **{STRICT: "1"}))
    assert run.code == 4, run.stdout + run.stderr
    assert "$[*].releaseNote" in run.stdout


def test_verify_api_error_wins_over_drift_and_the_report_lists_both(server: FotaServer) -> None:
    server.drop_fields = {"releaseNote"}
    server.fail_sync_from = 1
    run = cli("verify", ACC, DEVICES[0], env=token_env(server.url))
    assert run.code == 1, run.stdout + run.stderr
    assert "$[*].releaseNote" in run.stdout
    assert "DeviceListRejected" in run.stdout or "BadRequestError" in run.stdout


def test_verify_bad_input_exits_2_and_sends_nothing(server: FotaServer) -> None:
    run = cli("verify", "acc/../x", env=token_env(server.url))
    assert run.code == 2
    assert server.requests == []


def test_make_verify_live_runs_the_command(server: FotaServer) -> None:
    env = token_env(server.url, THINGSPACE_VERIFY_ACCOUNT=ACC, THINGSPACE_VERIFY_DEVICES=" ".join(DEVICES))
    proc = subprocess.run(
        ["make", "-s", "verify-live"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every answer matches the spec" in proc.stdout
    server.drop_fields = {"firmwareVersion"}
    proc = subprocess.run(
        ["make", "-s", "verify-live"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert proc.returncode != 0  # make reports the command's exit 4 as its own failure
    assert "firmwareVersion" in proc.stdout


# ----------------------------------------------------------------------------------------- strict and the note


@pytest.mark.parametrize(
    "argv",
    [["list", ACC], ["sync", ACC, *DEVICES], ["report", ACC, DEVICES[0]]],
    ids=["list", "sync", "report"],
)
def test_a_conforming_answer_gives_no_note(server: FotaServer, argv: list[str]) -> None:
    run = cli(*argv, "--strict", env=token_env(server.url))
    assert (run.code, run.stderr) == (0, "")
    run = cli(*argv, env=token_env(server.url))
    assert (run.code, run.stderr) == (0, "")


def test_drift_gives_one_note_instead_of_log_lines(server: FotaServer) -> None:
    server.drop_fields = {"releaseNote", "make"}
    run = cli("list", ACC, env=token_env(server.url))
    assert run.code == 0
    assert "FW_A_TO_B" in run.stdout  # read tolerantly
    [line] = run.stderr.splitlines()
    assert line.startswith("thingspace-fota: note: 2 value(s) of the answers deviate from the spec")
    assert "$[*].releaseNote" in line and "$[*].make" in line
    assert "WARNING" not in run.stderr


def test_drift_note_of_sync_across_chunks(server: FotaServer) -> None:
    server.drop_fields = {"firmwareVersion"}
    fleet = ids(5)
    run = cli("sync", ACC, *fleet, "--batch-size", "2", "--json", env=token_env(server.url))
    assert run.code == 0
    assert [d["firmware_version"] for d in run.json()["devices"]] == [None] * 5
    [line] = run.stderr.splitlines()
    assert "5 value(s)" in line and "$.deviceFirmwarVersionList[*].firmwareVersion" in line


def test_drift_note_keeps_a_partial_failure_stderr_rerunnable(server: FotaServer) -> None:
    server.drop_fields = {"firmwareVersion"}
    server.fail_sync_from = 2
    fleet = ids(4)
    run = cli("sync", ACC, *fleet, "--batch-size", "2", env=token_env(server.url))
    assert run.code == 3
    lines = run.stderr.splitlines()
    assert any(line.startswith("# thingspace-fota: note:") for line in lines)
    assert [line for line in lines if not line.startswith("#")] == fleet[2:]


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        (["list", ACC], "$[*].releaseNote (missing)"),
        (["sync", ACC, *DEVICES], "$.deviceFirmwarVersionList[*].firmwareVersion (missing)"),
    ],
    ids=["list", "sync"],
)
def test_strict_refuses_drift_as_an_api_error_naming_where(server: FotaServer, argv: list[str], where: str) -> None:
    server.drop_fields = {"releaseNote", "firmwareVersion"}
    run = cli(*argv, "--strict", env=token_env(server.url))
    assert run.code == 1
    assert "ResponseValidationError" in run.stderr and where in run.stderr
    assert "note:" not in run.stderr
    # The same from THINGSPACE_FOTA_STRICT, and with --json the error lists every deviation.
    run = cli(*argv, "--json", env=token_env(server.url, **{STRICT: "1"}))
    assert run.code == 1
    error = run.stderr_json()["error"]
    assert error["type"] == "ResponseValidationError"
    assert {d["kind"] for d in error["drift"]} == {"missing"}


def test_strict_report(server: FotaServer) -> None:
    # A report answer without accountName: drift; strict refuses it (an API error for that device).
    original = server.report_answer

    def without_account(account: str, device_id: str) -> tuple[int, object]:
        status, body = original(account, device_id)
        assert isinstance(body, dict)
        return status, {k: v for k, v in body.items() if k != "accountName"}

    server.report_answer = without_account  # type: ignore[method-assign]
    run = cli("report", ACC, DEVICES[0], env=token_env(server.url))
    assert run.code == 0
    assert "$.accountName" in run.stderr and "note:" in run.stderr
    run = cli("report", ACC, DEVICES[0], "--strict", env=token_env(server.url))
    assert run.code == 1
    assert "ResponseValidationError" in run.stderr and "$.accountName (missing)" in run.stderr


# -------------------------------------------------------------------------------------------------- max rate


@pytest.mark.parametrize("placement", ["before", "after"])
def test_max_rate_paces_the_report_calls(server: FotaServer, placement: str) -> None:
    fleet = ids(5)
    rate = ["--max-rate", "4"]
    argv = [*rate, "report", ACC, *fleet] if placement == "before" else ["report", ACC, *fleet, *rate]
    run = cli(*argv, env=token_env(server.url))
    assert run.code == 0, run.stderr
    times = sorted(r.at for r in server.requests)
    assert len(times) == 5
    assert_paced(times, rate=4)


def assert_paced(arrivals: list[float], rate: float) -> None:
    """N requests at ``rate``/s: the last is let go (N - 1) intervals after the first. Arrivals are a lower bound
    only up to the first request's own latency (its connection is opened after the gate let it go, and load can
    delay it), so allow a quarter of the span for that; unpaced, the requests arrive within a few milliseconds."""
    span = (len(arrivals) - 1) / rate
    assert arrivals[-1] - arrivals[0] >= 0.75 * span


def test_max_rate_from_the_environment(server: FotaServer) -> None:
    run = cli("report", ACC, *ids(5), env=token_env(server.url, **{MAX_RATE: "4"}))
    assert run.code == 0, run.stderr
    assert_paced(sorted(r.at for r in server.requests), rate=4)


@pytest.mark.parametrize("value", ["0", "-1", "fast", "nan", "inf"])
def test_bad_max_rate_is_named_and_nothing_is_sent(server: FotaServer, value: str) -> None:
    run = cli("sync", ACC, DEVICES[0], f"--max-rate={value}", env=token_env(server.url))
    assert run.code == 2
    assert "--max-rate" in run.stderr
    run = cli("sync", ACC, DEVICES[0], env=token_env(server.url, **{MAX_RATE: value}))
    assert run.code == 2
    assert MAX_RATE in run.stderr
    assert server.requests == []
