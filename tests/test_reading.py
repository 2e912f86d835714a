"""Tolerant reading (issue 10): every row of the issue's table, sync and async, the drift records, the
once-per-client warning, strict mode, unanswered ids, and the reader's field tables tied to the spec."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml

import thingspace_fota as tf
from thingspace_fota import AsyncFotaClient, Drift, DriftKind, FotaClient
from thingspace_fota._env import client_kwargs_from_env
from thingspace_fota._reading import (
    DATE,
    DEVICE,
    DEVICE_LIST,
    ID,
    LIST,
    MAX_SEEN,
    PACKAGE,
    REPORT,
    TEXT,
    DriftCheck,
    Summary,
    Table,
    summarize,
)

ACC = "0000123456-00001"
SPEC = yaml.safe_load((Path(__file__).parent.parent / "openapi" / "fota-v3.yaml").read_text())
PACKAGE_BODY = {
    "firmwareName": "FW",
    "firmwareFrom": "A",
    "firmwareTo": "B",
    "launchDate": "2012-04-23T18:25:43.511Z",
    "releaseNote": "",
    "model": "M",
    "make": "K",
    "protocol": "LWM2M",
}
DEVICE_BODY = {"deviceId": "990013907835573", "firmwareVersion": "SR1", "status": "FirmwareVersionUpdateSuccess"}
TOKENS = {"access_token": "secret-access-1234", "m2m_token": "secret-session-5678"}
OPERATIONS = {
    "list": ("list_available_firmware", (ACC,)),
    "sync": ("synchronize_device_firmware", (ACC, ["990013907835573"])),
    "report": ("report_device_firmware", (ACC, "990013907835573")),
}


def serve(body: object) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    return handle


def raw_call(kind: str, op: str, body: object, *, args: tuple[Any, ...] | None = None, **options: Any) -> Any:
    """The with_raw_response result of operation ``op`` ("list", "sync", "report") answered with ``body``."""
    method, default_args = OPERATIONS[op]
    args = default_args if args is None else args
    transport = httpx.MockTransport(serve(body))
    common: dict[str, Any] = {"base_url": "https://fota.test/v3", "max_retries": 0, **TOKENS, **options}
    if kind == "sync":
        with FotaClient(http_client=httpx.Client(transport=transport), **common) as fota:
            return getattr(fota.with_raw_response, method)(*args)

    async def run() -> Any:
        async with AsyncFotaClient(http_client=httpx.AsyncClient(transport=transport), **common) as fota:
            return await getattr(fota.with_raw_response, method)(*args)

    return anyio.run(run)


def kinds(drift: tuple[Drift, ...]) -> list[tuple[str, str]]:
    return [(d.location, d.kind.value) for d in drift]


# ---------------------------------------------------------------------------------------------- the issue's table


class TestIssueTable:
    def test_package_without_release_note(self, kind: str) -> None:
        body = [{k: v for k, v in PACKAGE_BODY.items() if k != "releaseNote"}]
        response = raw_call(kind, "list", body)
        [package] = response.parsed
        assert package.release_note is None and package.firmware_name == "FW"
        assert kinds(response.drift) == [("$[0].releaseNote", "missing")]
        assert response.drift[0].operation == "list_available_firmware"

    def test_null_launch_date_and_protocol(self, kind: str) -> None:
        response = raw_call(kind, "list", [{**PACKAGE_BODY, "launchDate": None, "protocol": None}])
        [package] = response.parsed
        assert (package.launch_date, package.launch_date_raw, package.protocol) == (None, None, None)
        assert kinds(response.drift) == [("$[0].launchDate", "null"), ("$[0].protocol", "null")]

    def test_one_package_of_fifty_lacks_make(self, kind: str) -> None:
        body = [{**PACKAGE_BODY, "firmwareName": f"FW{i}"} for i in range(50)]
        del body[17]["make"]
        response = raw_call(kind, "list", body)
        assert len(response.parsed) == 50
        assert [p.make for p in response.parsed].count(None) == 1
        assert response.parsed[17].make is None and response.parsed[16].make == "K"
        assert kinds(response.drift) == [("$[17].make", "missing")]

    def test_launch_date_as_a_number(self, kind: str) -> None:
        response = raw_call(kind, "list", [{**PACKAGE_BODY, "launchDate": 20120423}])
        [package] = response.parsed
        assert package.launch_date is None  # a number is not a date, not even one that looks like 2012-04-23
        assert package.launch_date_raw == "20120423"
        assert kinds(response.drift) == [("$[0].launchDate", "wrong_type")]

    @pytest.mark.parametrize("version", [..., None])
    def test_device_entry_without_firmware_version(self, kind: str, version: object) -> None:
        entry = {"deviceId": "990013907835573", "status": "DeviceNotFound"}
        if version is not ...:
            entry["firmwareVersion"] = version  # type: ignore[assignment]
        response = raw_call(kind, "sync", {"accountName": ACC, "deviceFirmwarVersionList": [entry]})
        [chunk] = response
        [device] = chunk.parsed.devices
        assert (device.device_id, device.firmware_version, device.status) == ("990013907835573", None, "DeviceNotFound")
        expected = "missing" if version is ... else "null"
        assert kinds(chunk.drift) == [("$.deviceFirmwarVersionList[0].firmwareVersion", expected)]

    def test_device_id_as_a_number(self, kind: str) -> None:
        entry = {**DEVICE_BODY, "deviceId": 990013907835573}
        [chunk] = raw_call(kind, "sync", {"accountName": ACC, "deviceFirmwarVersionList": [entry]})
        assert [d.device_id for d in chunk.parsed.devices] == ["990013907835573"]
        assert chunk.parsed.unanswered_device_ids == []  # the decimal string matches the requested id
        assert kinds(chunk.drift) == [("$.deviceFirmwarVersionList[0].deviceId", "wrong_type")]

    def test_account_name_missing_in_synchronize(self, kind: str) -> None:
        [chunk] = raw_call(kind, "sync", {"deviceFirmwarVersionList": [DEVICE_BODY]})
        assert chunk.parsed.account_name is None
        assert len(chunk.parsed.devices) == 1
        assert kinds(chunk.drift) == [("$.accountName", "missing")]

    def test_account_name_missing_in_report(self, kind: str) -> None:
        response = raw_call(kind, "report", {"requestId": "r-1"})
        assert (response.parsed.account_name, response.parsed.request_id) == (None, "r-1")
        assert kinds(response.drift) == [("$.accountName", "missing")]

    def test_reason_with_a_capital_r(self, kind: str) -> None:
        entry = {**DEVICE_BODY, "Reason": "Timeout"}
        [chunk] = raw_call(kind, "sync", {"accountName": ACC, "deviceFirmwarVersionList": [entry]})
        [device] = chunk.parsed.devices
        assert device.reason == "Timeout"
        assert device.extra == {}
        assert kinds(chunk.drift) == [("$.deviceFirmwarVersionList[0].reason", "renamed")]  # the declared name
        assert chunk.drift[0].detail == "sent with different letter case; read as 'reason'"

    def test_exact_spelling_wins_and_the_other_stays_in_extra(self, kind: str) -> None:
        entry = {**DEVICE_BODY, "Reason": "upper", "reason": "lower"}
        [chunk] = raw_call(kind, "sync", {"accountName": ACC, "deviceFirmwarVersionList": [entry]})
        [device] = chunk.parsed.devices
        assert device.reason == "lower"
        assert device.extra == {"Reason": "upper"}
        assert kinds(chunk.drift) == [("$.deviceFirmwarVersionList[0].reason", "unknown_field")]


# ------------------------------------------------------------------------------------------------ further shapes


class TestShapes:
    def test_single_object_instead_of_the_list(self, kind: str) -> None:
        response = raw_call(kind, "list", {**PACKAGE_BODY, "make": 7})
        assert [p.make for p in response.parsed] == ["7"]
        assert kinds(response.drift) == [("$", "wrong_type"), ("$.make", "wrong_type")]

    def test_single_device_object_instead_of_the_device_list(self, kind: str) -> None:
        [chunk] = raw_call(kind, "sync", {"accountName": ACC, "deviceFirmwarVersionList": DEVICE_BODY})
        assert [d.device_id for d in chunk.parsed.devices] == ["990013907835573"]
        assert kinds(chunk.drift) == [("$.deviceFirmwarVersionList", "wrong_type")]

    @pytest.mark.parametrize(
        ("entry", "location", "drift_kind"),
        [
            ("990013907835573", "$.deviceFirmwarVersionList[0]", "wrong_type"),
            ({"firmwareVersion": "v"}, "$.deviceFirmwarVersionList[0].deviceId", "missing"),
            ({"deviceId": None, "firmwareVersion": "v"}, "$.deviceFirmwarVersionList[0].deviceId", "null"),
            ({"deviceId": "", "firmwareVersion": "v"}, "$.deviceFirmwarVersionList[0].deviceId", "wrong_type"),
            ({"deviceId": True, "firmwareVersion": "v"}, "$.deviceFirmwarVersionList[0].deviceId", "wrong_type"),
            ({"deviceId": ["1"], "firmwareVersion": "v"}, "$.deviceFirmwarVersionList[0].deviceId", "wrong_type"),
        ],
    )
    def test_unusable_device_entries_are_skipped_and_recorded(
        self, kind: str, entry: object, location: str, drift_kind: str
    ) -> None:
        body = {"accountName": ACC, "deviceFirmwarVersionList": [entry, DEVICE_BODY]}
        [chunk] = raw_call(kind, "sync", body, args=(ACC, ["990013907835573", "2"]))
        assert [d.device_id for d in chunk.parsed.devices] == ["990013907835573"]
        assert chunk.parsed.unanswered_device_ids == ["2"]
        assert kinds(chunk.drift) == [(location, drift_kind)]

    def test_non_object_packages_are_skipped(self, kind: str) -> None:
        response = raw_call(kind, "list", [1, PACKAGE_BODY, None, "x"])
        assert [p.firmware_name for p in response.parsed] == ["FW"]
        assert kinds(response.drift) == [("$[0]", "wrong_type"), ("$[2]", "wrong_type"), ("$[3]", "wrong_type")]

    def test_unknown_fields_stay_in_extra_and_are_recorded(self, kind: str) -> None:
        response = raw_call(kind, "list", [{**PACKAGE_BODY, "channel": "beta"}])
        assert response.parsed[0].extra == {"channel": "beta"}
        assert kinds(response.drift) == [("$[0].<undeclared field>", "unknown_field")]
        assert response.drift[0].detail == "1 field(s) not declared in the spec; kept in extra"

    @pytest.mark.parametrize(
        ("op", "body"),
        [
            ("list", "text"),
            ("list", 42),
            ("sync", [DEVICE_BODY]),
            ("sync", None),
            ("report", {"accountName": ACC}),
            ("report", {"accountName": ACC, "requestId": ""}),
            ("report", {"accountName": ACC, "requestId": None}),
            ("report", {"accountName": ACC, "requestId": {"id": 1}}),
            ("report", [{"requestId": "r"}]),
        ],
    )
    def test_answers_without_usable_data_are_still_refused(self, kind: str, op: str, body: object) -> None:
        with pytest.raises(tf.ResponseValidationError) as caught:
            raw_call(kind, op, body)
        assert caught.value.status_code == 200
        if op == "report" and isinstance(body, dict):
            assert any(d.location == "$.requestId" for d in caught.value.drift)

    def test_request_id_as_a_number_is_its_decimal_string(self, kind: str) -> None:
        response = raw_call(kind, "report", {"accountName": ACC, "requestId": 123456789012})
        assert response.parsed.request_id == "123456789012"
        assert kinds(response.drift) == [("$.requestId", "wrong_type")]

    @pytest.mark.parametrize(("number", "text"), [(5, "5"), (5.0, "5"), (1.5, "1.5"), (-3, "-3")])
    def test_numbers_for_names_become_decimal_strings(self, number: float, text: str) -> None:
        response = raw_call("sync", "list", [{**PACKAGE_BODY, "firmwareFrom": number, "model": number}])
        assert (response.parsed[0].firmware_from, response.parsed[0].model) == (text, text)

    def test_detail_never_holds_a_body_value(self) -> None:
        secretish = "990013907835573-VALUE"
        body = [{**PACKAGE_BODY, "launchDate": [secretish], "make": {"v": secretish}, secretish.lower(): 1}, secretish]
        response = raw_call("sync", "list", body)
        for drift in response.drift:
            assert secretish not in drift.detail
            assert "VALUE" not in drift.detail

    def test_drift_is_frozen_and_public(self) -> None:
        drift = Drift("list_available_firmware", "$[0].make", DriftKind.MISSING, "x")
        with pytest.raises(AttributeError):
            drift.kind = DriftKind.NULL  # type: ignore[misc]
        assert DriftKind.MISSING == "missing"
        assert {"Drift", "DriftKind"} <= set(tf.__all__)


# ------------------------------------------------------------------------ body keys never reach a location or a log

FORGED = "990013907835573\nINFO forged line"


def test_an_undeclared_key_stays_in_extra_and_out_of_locations_details_and_logs(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="thingspace_fota")
    entry = {**DEVICE_BODY, FORGED: "x", "other": 1}
    [chunk] = raw_call(kind, "sync", {"accountName": ACC, "deviceFirmwarVersionList": [entry]})
    [device] = chunk.parsed.devices
    assert device.extra == {FORGED: "x", "other": 1}  # the user's data keeps the key as sent
    assert kinds(chunk.drift) == [("$.deviceFirmwarVersionList[0].<undeclared field>", "unknown_field")]
    assert chunk.drift[0].detail == "2 field(s) not declared in the spec; kept in extra"
    for text in [d.location + d.detail for d in chunk.drift] + [caplog.text]:
        assert "990013907835573" not in text and "forged" not in text and "other" not in text
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "\n" not in record.getMessage()


def test_entries_keyed_by_device_id_give_one_warning_per_client(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="thingspace_fota")
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        entries = [{**DEVICE_BODY, f"99001390{len(calls):03d}{i:04d}": {"v": 1}} for i in range(50)]
        return httpx.Response(200, json={"accountName": ACC, "deviceFirmwarVersionList": entries})

    with FotaClient(
        base_url="https://f.test/v3", http_client=httpx.Client(transport=httpx.MockTransport(handle)), **TOKENS
    ) as fota:
        for _ in range(5):  # 250 distinct keys
            fota.synchronize_device_firmware(ACC, ["990013907835573"])
        assert len(fota._drift_check._seen) == 1
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "unknown_field at $.deviceFirmwarVersionList[*].<undeclared field> (50 time(s)" in record.getMessage()
    assert "99001390" not in caplog.text


def test_the_once_per_client_memory_is_bounded() -> None:
    check = DriftCheck(log=True)
    response = httpx.Response(200)
    drift = tuple(Drift("list_available_firmware", f"$.f{i}", DriftKind.MISSING, "d") for i in range(MAX_SEEN + 50))
    check("list", drift, response)
    check("list", drift, response)
    assert len(check._seen) == MAX_SEEN


# ------------------------------------------------------------------------------- a string where an array is expected


@pytest.mark.parametrize("text", ["xxxxx", "", "y" * 10_000])
def test_a_string_for_the_device_list_is_one_deviation_and_no_devices(kind: str, text: str) -> None:
    requested = ["990013907835573", "990013907884259"]
    body = {"accountName": ACC, "deviceFirmwarVersionList": text}
    [chunk] = raw_call(kind, "sync", body, args=(ACC, requested))
    assert chunk.parsed.devices == []
    assert chunk.parsed.unanswered_device_ids == requested
    assert kinds(chunk.drift) == [("$.deviceFirmwarVersionList", "wrong_type")]
    assert chunk.drift[0].detail.startswith("a string where an array is expected")


def test_a_string_for_the_device_list_under_another_letter_case_is_read_the_same(kind: str) -> None:
    body = {"accountName": ACC, "DeviceFirmwarVersionList": "xyz"}
    [chunk] = raw_call(kind, "sync", body)
    assert chunk.parsed.devices == [] and chunk.parsed.unanswered_device_ids == ["990013907835573"]
    assert kinds(chunk.drift) == [
        ("$.deviceFirmwarVersionList", "renamed"),
        ("$.deviceFirmwarVersionList", "wrong_type"),
    ]


# -------------------------------------------------------------------------------------------------- the summary


def test_summarize_groups_by_operation_collapsed_location_and_kind() -> None:
    drift = [
        Drift("list_available_firmware", "$[0].make", DriftKind.MISSING, "first"),
        Drift("list_available_firmware", "$[1].make", DriftKind.NULL, "null one"),
        Drift("list_available_firmware", "$[7].make", DriftKind.MISSING, "later"),
        Drift("synchronize_device_firmware", "$.accountName", DriftKind.MISSING, "acc"),
    ]
    assert summarize(drift) == [
        Summary("list_available_firmware", "$[*].make", "missing", 2, "first"),
        Summary("list_available_firmware", "$[*].make", "null", 1, "null one"),
        Summary("synchronize_device_firmware", "$.accountName", "missing", 1, "acc"),
    ]
    assert summarize([]) == []


# ------------------------------------------------------------------------------------------- unanswered, per chunk


def test_unanswered_ids_after_merging_chunks_in_request_order(kind: str) -> None:
    answered_by_chunk = {0: ["1", "3"], 1: ["105"], 2: []}
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        index = len(calls)
        calls.append(index)
        # chunk 1 also answers for "2", which was requested in chunk 0: merged, it is not unanswered
        extra = ["2"] if index == 1 else []
        entries = [{"deviceId": i, "firmwareVersion": "v"} for i in answered_by_chunk[index] + extra]
        return httpx.Response(200, json={"accountName": ACC, "deviceFirmwarVersionList": entries})

    ids = [str(i) for i in range(250)]
    common: dict[str, Any] = {"base_url": "https://fota.test/v3", "max_retries": 0, "max_concurrency": 1, **TOKENS}
    if kind == "sync":
        common.pop("max_concurrency")
        with FotaClient(http_client=httpx.Client(transport=httpx.MockTransport(handle)), **common) as fota:
            result = fota.synchronize_device_firmware(ACC, ids)
            calls.clear()
            chunks = fota.with_raw_response.synchronize_device_firmware(ACC, ids)
    else:

        async def run() -> Any:
            http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
            async with AsyncFotaClient(http_client=http, **common) as fota:
                merged = await fota.synchronize_device_firmware(ACC, ids)
                calls.clear()
                return merged, await fota.with_raw_response.synchronize_device_firmware(ACC, ids)

        result, chunks = anyio.run(run)
    expected = [i for i in ids if i not in {"1", "3", "105", "2"}]
    assert result.unanswered_device_ids == expected
    assert [len(c.parsed.unanswered_device_ids) for c in chunks] == [98, 99, 50]
    assert all(c.drift == () for c in chunks)


# --------------------------------------------------------------------------------------------- logging, strictness


def test_each_deviation_is_logged_once_per_client_with_its_count(caplog: pytest.LogCaptureFixture) -> None:
    body = [{k: v for k, v in PACKAGE_BODY.items() if k != "make"} for _ in range(3)]
    body[1]["firmwareName"] = "990013907835573"
    caplog.set_level(logging.WARNING, logger="thingspace_fota")
    transport = httpx.MockTransport(serve(body))
    for _client in range(2):
        with FotaClient(base_url="https://f.test/v3", http_client=httpx.Client(transport=transport), **TOKENS) as fota:
            for _ in range(3):
                fota.list_available_firmware(ACC)
    records = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(records) == 2  # one per client, not one per call or per package
    message = records[0].getMessage()
    assert "list_available_firmware" in message and "$[*].make" in message and "missing" in message
    assert "3 time(s)" in message
    assert "990013907835573" not in caplog.text and "secret" not in caplog.text


def test_distinct_deviations_are_logged_separately(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="thingspace_fota")
    with FotaClient(
        base_url="https://f.test/v3",
        http_client=httpx.Client(transport=httpx.MockTransport(serve([{**PACKAGE_BODY, "make": None, "x": 1}]))),
        **TOKENS,
    ) as fota:
        fota.list_available_firmware(ACC)
        fota.list_available_firmware(ACC)
    assert sorted(r.getMessage().split(":")[2].strip() for r in caplog.records) == [
        "null at $[*].make (1 time(s) in this answer)",
        "unknown_field at $[*].<undeclared field> (1 time(s) in this answer)",
    ]


STRICT_CASES = [
    ("list", [{k: v for k, v in PACKAGE_BODY.items() if k != "releaseNote"}], "missing"),
    ("list", [{**PACKAGE_BODY, "launchDate": None}], "null"),
    ("list", [{**PACKAGE_BODY, "launchDate": 5}], "wrong_type"),
    ("list", [{**PACKAGE_BODY, "x": 1}], "unknown_field"),
    ("list", PACKAGE_BODY, "wrong_type"),
    ("sync", {"accountName": ACC, "deviceFirmwarVersionList": [{**DEVICE_BODY, "Reason": ""}]}, "renamed"),
    ("sync", {"accountName": ACC, "deviceFirmwarVersionList": [{"deviceId": 1, "firmwareVersion": "v"}]}, "wrong_type"),
    ("sync", {"deviceFirmwarVersionList": []}, "missing"),
    ("report", {"accountName": None, "requestId": "r"}, "null"),
]


@pytest.mark.parametrize(("op", "body", "drift_kind"), STRICT_CASES)
def test_strict_mode_raises_with_the_drift(kind: str, op: str, body: object, drift_kind: str) -> None:
    with pytest.raises(tf.ResponseValidationError) as caught:
        raw_call(kind, op, body, strict=True)
    assert drift_kind in [d.kind.value for d in caught.value.drift]
    tolerant = raw_call(kind, op, body)
    [tolerant] = tolerant if isinstance(tolerant, list) else [tolerant]
    assert caught.value.drift == tolerant.drift  # the same deviations the tolerant client records
    assert "deviates from the spec" in str(caught.value)


def test_strict_must_be_a_bool() -> None:
    with pytest.raises(tf.InvalidInputError) as caught:
        FotaClient(base_url="https://f.test/v3", strict="yes", **TOKENS)  # type: ignore[arg-type]
    assert caught.value.argument == "strict"


@pytest.mark.parametrize(
    ("value", "strict"), [("1", True), ("true", True), (" ON ", True), ("0", False), ("no", False)]
)
def test_strict_from_the_environment(value: str, strict: bool) -> None:
    env = {"THINGSPACE_ACCESS_TOKEN": "a", "THINGSPACE_M2M_TOKEN": "b", "THINGSPACE_FOTA_STRICT": value}
    assert client_kwargs_from_env(env)["strict"] is strict


def test_strict_from_env_reaches_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THINGSPACE_ACCESS_TOKEN", "a")
    monkeypatch.setenv("THINGSPACE_M2M_TOKEN", "b")
    monkeypatch.setenv("THINGSPACE_FOTA_STRICT", "1")
    transport = httpx.MockTransport(serve([{**PACKAGE_BODY, "make": None}]))
    with (
        FotaClient.from_env(http_client=httpx.Client(transport=transport)) as fota,
        pytest.raises(tf.ResponseValidationError),
    ):
        fota.list_available_firmware(ACC)
    monkeypatch.setenv("THINGSPACE_FOTA_STRICT", "maybe")
    with pytest.raises(tf.InvalidInputError, match="THINGSPACE_FOTA_STRICT"):
        FotaClient.from_env()


# ------------------------------------------------------------------------------- the spec: examples and the tables

_OPERATION_OF_PATH = {
    "/firmware/{acc}": "list",
    "/firmware/{acc}/devices": "sync",
    "/firmware/{acc}/async/{deviceId}": "report",
}


def _examples() -> list[tuple[str, str, object]]:
    found = []
    for path, methods in SPEC["paths"].items():
        for operation in methods.values():
            content = operation["responses"]["200"]["content"]["application/json"]
            named = {name: e["value"] for name, e in content.get("examples", {}).items()}
            if "example" in content:
                named["example"] = content["example"]
            found += [(_OPERATION_OF_PATH[path], name, value) for name, value in named.items()]
    return found


@pytest.mark.parametrize(("op", "name", "body"), _examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_spec_example_reads_without_drift_even_when_strict(kind: str, op: str, name: str, body: object) -> None:
    args = (ACC, ["990013907835573", "990013907884259"]) if op == "sync" else None
    response = raw_call(kind, op, copy.deepcopy(body), args=args, strict=True)
    for one in response if isinstance(response, list) else [response]:
        assert one.drift == ()


_JSON_TYPE = {TEXT: "string", ID: "string", DATE: "string", LIST: "array"}


@pytest.mark.parametrize("table", [PACKAGE, DEVICE, DEVICE_LIST, REPORT], ids=lambda t: t.schema)
def test_field_tables_match_the_spec(table: Table) -> None:
    """The spec stays the single source of truth: each reader table has exactly its schema's properties, with the
    same JSON type, the same ``required`` and the same ``minLength``."""
    schema = SPEC["components"]["schemas"][table.schema]
    properties = schema["properties"]
    assert [f.key for f in table.fields] == list(properties)
    for field in table.fields:
        declared = properties[field.key]
        assert _JSON_TYPE[field.kind] == declared["type"], field.key
        assert field.required == (field.key in schema.get("required", [])), field.key
        assert field.min_length == declared.get("minLength", 0), field.key
        if field.kind == DATE:
            assert "format" not in declared  # dates are plain strings in the spec (Go-format dates exist)


def test_every_response_schema_has_a_table_and_every_schema_and_response_names_its_source() -> None:
    refs = {
        json.dumps(op["responses"]["200"]["content"]["application/json"]["schema"])
        for methods in SPEC["paths"].values()
        for op in methods.values()
    }
    tabled = {t.schema for t in (PACKAGE, DEVICE_LIST, REPORT)}
    assert {ref.split("/")[-1].strip('"}') for ref in refs if "$ref" in ref} | {"FirmwarePackage"} == tabled
    for name, schema in SPEC["components"]["schemas"].items():
        assert schema.get("x-source"), name
    for name, response in SPEC["components"]["responses"].items():
        assert response.get("x-source"), name
    for methods in SPEC["paths"].values():
        for op in methods.values():
            assert op["responses"]["200"].get("x-source"), op["operationId"]
    for name in ("Unauthorized", "NotFound", "InternalServerError", "ServiceUnavailable"):
        ref = SPEC["components"]["responses"][name]["content"]["application/json"]["schema"]["$ref"]
        assert "required" not in SPEC["components"]["schemas"][ref.split("/")[-1]], name


def test_no_json_schema_validator_at_run_time() -> None:
    import subprocess
    import sys

    heavy = "{'jsonschema', 'yaml', 'hypothesis', 'hypothesis_jsonschema'}"
    code = f"import sys, thingspace_fota; print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
