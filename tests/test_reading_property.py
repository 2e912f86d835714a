"""Property test of tolerant reading against the spec (issue 10).

Answers are generated from the spec's own response schemas (by ``from_schema`` below, which covers the keywords the
spec uses and refuses any other; declared properties only, since an undeclared field is drift by definition). Then:

- a generated answer is read without drift and without error;
- a mutated answer gets drift exactly when a JSON Schema validator (jsonschema, against the same schemas, undeclared
  fields forbidden) finds a violation; and the call returns, or raises a FotaError subclass, never anything else.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import thingspace_fota as tf
from thingspace_fota import FotaClient

ACC = "0000123456-00001"
SPEC = yaml.safe_load((Path(__file__).parent.parent / "openapi" / "fota-v3.yaml").read_text())
REQUESTED = ["990013907835573", "990013907884259"]
PATHS = {"list": "/firmware/{acc}", "sync": "/firmware/{acc}/devices", "report": "/firmware/{acc}/async/{deviceId}"}
METHODS = {"list": "get", "sync": "put", "report": "put"}


def _json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as a self-contained JSON Schema: $refs inlined, documentation keys dropped, and
    undeclared properties forbidden."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(SPEC["components"]["schemas"][node["$ref"].split("/")[-1]])
    schema = {
        k: _json_schema(v) for k, v in node.items() if k not in {"description", "example"} and not k.startswith("x-")
    }
    if schema.get("type") == "object":
        schema["additionalProperties"] = False
    return schema


def response_schema(op: str) -> dict[str, Any]:
    operation = SPEC["paths"][PATHS[op]][METHODS[op]]
    schema: dict[str, Any] = _json_schema(operation["responses"]["200"]["content"]["application/json"]["schema"])
    return schema


_KNOWN_KEYWORDS = {"type", "properties", "required", "items", "minLength", "enum", "additionalProperties"}


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid against ``schema``: every required property and any subset of the optional ones."""
    unknown = set(schema) - _KNOWN_KEYWORDS
    assert not unknown, f"extend from_schema for {unknown}"  # never silently generate what the spec does not say
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema["type"]
    if kind == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=12)
    if kind == "array":
        return st.lists(from_schema(schema["items"]), max_size=4)
    assert kind == "object", kind
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {k: from_schema(v) for k, v in properties.items() if k in required},
        optional={k: from_schema(v) for k, v in properties.items() if k not in required},
    )


SCHEMAS = {op: response_schema(op) for op in PATHS}
VALIDATORS = {op: jsonschema.Draft4Validator(schema) for op, schema in SCHEMAS.items()}
ODD_VALUES = [None, 0, 7, -1.5, 1e20, True, False, "", "x", "20120423", [], ["x"], {}, {"a": 1}]
ODD = st.sampled_from(ODD_VALUES).map(copy.deepcopy)  # a fresh copy: later mutations must not change the list


class Reader:
    """One client whose mock server answers with whatever body the test sets."""

    def __init__(self) -> None:
        self.body: Any = None
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json=self.body))
        self.client = FotaClient(
            base_url="https://fota.test/v3",
            access_token="property-access",
            m2m_token="property-session",
            http_client=httpx.Client(transport=transport),
            max_retries=0,
        )

    def read(self, op: str, body: Any) -> tuple[Drift, ...]:
        self.body = body
        raw = self.client.with_raw_response
        if op == "list":
            return raw.list_available_firmware(ACC).drift
        if op == "sync":
            [chunk] = raw.synchronize_device_firmware(ACC, REQUESTED)
            return chunk.drift
        return raw.report_device_firmware(ACC, REQUESTED[0]).drift


Drift = tf.Drift


@pytest.fixture(scope="module")
def reader() -> Iterator[Reader]:
    r = Reader()
    yield r
    r.client.close()


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every object and array in ``value`` with its path."""
    found: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(value, dict | list):
        found.append((path, value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            found += _containers(child, (*path, key))
    return found


@st.composite
def mutated(draw: st.DrawFn, op: str) -> Any:
    """A body generated from the schema, then changed in one to three places."""
    body = copy.deepcopy(draw(from_schema(SCHEMAS[op])))
    for _ in range(draw(st.integers(1, 3))):
        containers = _containers(body)
        if not containers or draw(st.integers(0, 19)) == 0:
            body = draw(st.one_of(ODD, st.sampled_from([[body], {"wrapped": body}])))
            continue
        _path, target = draw(st.sampled_from(containers))
        if isinstance(target, list):
            if target and draw(st.booleans()):
                target[draw(st.integers(0, len(target) - 1))] = draw(ODD)
            else:
                target.append(draw(ODD))
            continue
        action = draw(st.sampled_from(["delete", "retype", "rename", "add"]))
        keys = sorted(target)
        if action == "add" or not keys:
            target[draw(st.sampled_from(["extra", "Extra", "firmwareversion", "REASON", "requestID"]))] = draw(ODD)
            continue
        key = draw(st.sampled_from(keys))
        if action == "delete":
            del target[key]
        elif action == "retype":
            target[key] = draw(ODD)
        else:
            renamed = draw(st.sampled_from([key.upper(), key.lower(), key[:1].swapcase() + key[1:]]))
            target[renamed] = target.pop(key)
    return body


OPS = sorted(PATHS)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("op", OPS)
def test_generated_answers_read_without_drift(reader: Reader, op: str) -> None:
    @SETTINGS
    @given(body=from_schema(SCHEMAS[op]))
    def check(body: Any) -> None:
        assert not list(VALIDATORS[op].iter_errors(body))  # the generator and the validator agree
        assert reader.read(op, body) == ()

    check()


@pytest.mark.parametrize("op", OPS)
def test_mutated_answers_drift_exactly_when_the_validator_objects(reader: Reader, op: str) -> None:
    @SETTINGS
    @given(body=mutated(op))
    def check(body: Any) -> None:
        violations = [e.message for e in VALIDATORS[op].iter_errors(body)]
        try:
            drift = reader.read(op, body)
        except tf.FotaError as exc:
            # Refused only when the answer carries nothing usable, which always violates the spec.
            assert isinstance(exc, tf.ResponseValidationError), repr(exc)
            assert violations, body
            return
        assert bool(drift) == bool(violations), (body, violations, drift)

    check()
