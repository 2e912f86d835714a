"""The structure that keeps the library changeable: each public method and its with_raw_response twin take the
same parameters, the public methods are real functions with docstrings, and every operation the overlay sends
exists in the spec with the method and path the overlay uses."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml

import thingspace_fota as tf
from thingspace_fota._auth_operations import GET_ACCESS_TOKEN, LOG_IN
from thingspace_fota._operations import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
RAW_TWINS = ("list_available_firmware", "synchronize_device_firmware", "report_device_firmware")
CLIENT_OPTIONS = {"base_url": "http://fota.test", "access_token": "a" * 12, "m2m_token": "m" * 12}


def public_methods(cls: type) -> list[str]:
    return sorted(
        name
        for name, value in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(value) and name not in {"close", "aclose"}
    )


@pytest.mark.parametrize("cls", [tf.FotaClient, tf.AsyncFotaClient])
def test_public_methods_are_functions_with_docstrings(cls: type) -> None:
    methods = public_methods(cls)
    assert set(RAW_TWINS) <= set(methods)
    for name in methods:
        function = vars(cls)[name]
        assert function.__qualname__ == f"{cls.__name__}.{name}"
        assert function.__doc__ and len(function.__doc__) > 40, name
        assert function.__module__ == "thingspace_fota._client"


def test_sync_and_async_clients_have_the_same_methods_and_parameters() -> None:
    assert public_methods(tf.FotaClient) == public_methods(tf.AsyncFotaClient)
    for name in public_methods(tf.FotaClient):
        sync_parameters = inspect.signature(getattr(tf.FotaClient, name)).parameters
        async_parameters = inspect.signature(getattr(tf.AsyncFotaClient, name)).parameters
        assert list(sync_parameters) == list(async_parameters), name
    sync_init = inspect.signature(tf.FotaClient.__init__).parameters
    async_init = inspect.signature(tf.AsyncFotaClient.__init__).parameters
    assert set(async_init) - set(sync_init) == {"max_concurrency"}


def _parameters(function: Any) -> list[tuple[str, Any, Any, Any]]:
    return [(p.name, p.kind, p.default, p.annotation) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("name", RAW_TWINS)
def test_each_public_method_and_its_raw_twin_take_the_same_parameters(kind: str, name: str) -> None:
    client = tf.FotaClient(**CLIENT_OPTIONS) if kind == "sync" else tf.AsyncFotaClient(**CLIENT_OPTIONS)
    public = getattr(client, name)
    raw = getattr(client.with_raw_response, name)
    assert _parameters(raw) == _parameters(public)
    assert raw.__doc__ == public.__doc__
    assert inspect.iscoroutinefunction(raw) == (kind == "async")


def test_the_raw_twins_are_exactly_the_operations() -> None:
    for raw_cls in (tf.FotaClient, tf.AsyncFotaClient):
        client: Any = raw_cls(**CLIENT_OPTIONS)
        assert sorted(n for n in vars(client.with_raw_response) if not n.startswith("_")) == sorted(RAW_TWINS)


def spec_operations(spec: str) -> set[tuple[str, str]]:
    document = yaml.safe_load((ROOT / "openapi" / spec).read_text())
    return {
        (method.upper(), path) for path, item in document["paths"].items() for method in item if method != "parameters"
    }


def test_every_operation_the_overlay_sends_is_in_the_spec_with_that_method_and_path() -> None:
    fota = spec_operations("fota-v3.yaml")
    assert {(op.method, op.path_template) for op in OPERATIONS} == fota
    assert [op.what for op in OPERATIONS] == [
        "GET /firmware/{acc}",
        "PUT /firmware/{acc}/devices",
        "PUT /firmware/{acc}/async/{deviceId}",
    ]
    auth = spec_operations("thingspace-auth.yaml")
    assert {(op.method, op.path_template) for op in (GET_ACCESS_TOKEN, LOG_IN)} == auth


def test_the_three_operations_are_the_three_methods() -> None:
    assert [op.name for op in OPERATIONS] == list(RAW_TWINS)
