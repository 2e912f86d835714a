"""Every answer checked against the OpenAPI specs: the status must be declared for the operation, and a declared
JSON body must validate against its schema.

The specs are OpenAPI 3.0, whose schema dialect is not plain JSON Schema (``nullable``, ``$ref`` siblings,
``example``...): ``openapi_schema_validator.OAS30Validator``, a ``jsonschema`` validator class for exactly that
dialect, does the validation; ``referencing`` resolves the specs' ``$ref`` s.

``CheckingTransport`` / ``AsyncCheckingTransport`` wrap a transport (the fake's) and check each answer as it
passes, so a test fails with the schema error the moment the fake answers off-spec.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import referencing
import referencing.jsonschema
import yaml
from openapi_schema_validator import OAS30Validator

ROOT = Path(__file__).resolve().parent.parent
SPECS = {"urn:fota": ROOT / "openapi" / "fota-v3.yaml", "urn:auth": ROOT / "openapi" / "thingspace-auth.yaml"}


def _pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) to ``parts``, percent-encoded for a URI fragment."""
    escaped = "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)
    return urllib.parse.quote("/" + escaped, safe="/~")


class SpecChecker:
    """The operations of both specs, found by method and URL path (any prefix: the host and base path vary)."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {uri: yaml.safe_load(path.read_text()) for uri, path in SPECS.items()}
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resources(
            (uri, referencing.Resource.from_contents(doc, default_specification=referencing.jsonschema.DRAFT4))
            for uri, doc in self.docs.items()
        )
        self.routes: list[tuple[re.Pattern[str], str, str, str]] = []
        for uri, doc in self.docs.items():
            for template, item in doc["paths"].items():
                pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
                for method in item:
                    self.routes.append((re.compile(f"^.*?{pattern}/?$"), method.upper(), uri, template))
        # The longest template first: /firmware/{acc}/devices before /firmware/{acc}.
        self.routes.sort(key=lambda route: len(route[3]), reverse=True)
        self._lock = threading.Lock()
        self.checked: list[str] = []  # the operationId of every answer checked, in order

    def operation(self, method: str, raw_path: str) -> tuple[str, str, dict[str, Any]] | None:
        """(spec uri, path template, operation object) of a request, or None when no spec has it."""
        for pattern, route_method, uri, template in self.routes:
            if route_method == method and pattern.match(raw_path):
                return uri, template, self.docs[uri]["paths"][template][method.lower()]
        return None

    def check(self, method: str, raw_path: str, response: httpx.Response) -> None:
        """AssertionError unless ``response`` is a declared answer of the operation, with a valid body."""
        found = self.operation(method, raw_path)
        if found is None:
            return  # not an operation of either spec (a wrong path or method): nothing to conform to
        uri, template, operation = found
        what = f"{method} {template} -> {response.status_code}"
        status = str(response.status_code)
        assert status in operation["responses"], f"{what}: status not declared by the spec"
        parts = ["paths", template, method.lower(), "responses", status]
        declared = operation["responses"][status]
        if "$ref" in declared:
            parts = declared["$ref"].removeprefix("#/").split("/")
            declared = self.docs[uri][parts[0]][parts[1]][parts[2]]
        for name, header in declared.get("headers", {}).items():
            assert not header.get("required") or name in response.headers, f"{what}: header {name} missing"
        content = declared.get("content")
        if not content:
            return
        assert "application/json" in content, f"{what}: the spec declares no JSON body"
        assert response.headers.get("content-type", "").startswith("application/json"), f"{what}: content type"
        body = response.json()
        schema_ref = f"{uri}#{_pointer(*parts, 'content', 'application/json', 'schema')}"
        errors = [e.message for e in OAS30Validator({"$ref": schema_ref}, registry=self.registry).iter_errors(body)]
        assert not errors, f"{what}: the body does not fit the spec: {errors[:3]}"
        with self._lock:
            self.checked.append(operation["operationId"])


def _raw_path(request: httpx.Request) -> str:
    return request.url.raw_path.split(b"?", 1)[0].decode("ascii")


class CheckingTransport(httpx.BaseTransport):
    """A sync transport that checks every answer of ``inner`` against the specs."""

    def __init__(self, inner: httpx.BaseTransport, checker: SpecChecker) -> None:
        self.inner = inner
        self.checker = checker

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.checker.check(request.method, _raw_path(request), response)
        return response


class AsyncCheckingTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`CheckingTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, checker: SpecChecker) -> None:
        self.inner = inner
        self.checker = checker

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.checker.check(request.method, _raw_path(request), response)
        return response
