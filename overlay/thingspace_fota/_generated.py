"""The one adapter over the generated code (``thingspace_fota_generated``, ``thingspace_auth_generated``).

Every use of the generated packages goes through here:

- :func:`load` imports a generated module on first use (the one lazy-import mechanism), so that
  ``import thingspace_fota`` loads none of them (bench/README.md: import time);
- :class:`Operation` wraps one generated endpoint module. Its request arguments (method, percent-encoded path,
  query, body, content type) come from the module's ``_get_kwargs``, and so do the method and path template that
  name the call in logs and errors: nothing about an endpoint is written twice. ``_get_kwargs`` is the
  generator's only request builder that does not also send; its output is pinned by ``make check-generated`` and
  ``tests/test_generated_contract.py`` ties every operation to the spec.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from ._models import Drift

T = TypeVar("T")
# An operation's reader: (decoded 2xx body, the JSON body that was sent) -> (result, every deviation from the spec).
Read = Callable[[Any, Any], "tuple[T, tuple[Drift, ...]]"]


@functools.cache
def load(module: str) -> ModuleType:
    """The generated module ``module``, imported on first use."""
    return importlib.import_module(module)


class _BodyStub:
    """Stands in for a body model when the path template is worked out: ``to_dict()`` of nothing."""

    def to_dict(self) -> dict[str, Any]:
        return {}


def _spec_name(python_name: str) -> str:
    """The spec's camelCase name of a parameter the generator snake_cased (``device_id`` -> ``deviceId``)."""
    first, *rest = python_name.split("_")
    return first + "".join(word.capitalize() for word in rest)


class Operation(Generic[T]):
    """One API operation: its generated endpoint module, and the reader of its 2xx body into the public model."""

    def __init__(self, name: str, module: str, read: Read[T]) -> None:
        self.name = name
        self.module_name = module
        self.read = read

    def __repr__(self) -> str:
        return f"Operation({self.name!r})"

    def build(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The httpx request arguments (``method``, ``url`` relative to the base, ``params``, ``json`` or
        ``data``, ``headers``) of one call, from the generated code."""
        request: dict[str, Any] = load(self.module_name)._get_kwargs(*args, **kwargs)
        return request

    @functools.cached_property
    def _template(self) -> tuple[str, str]:
        """(METHOD, /path/{template}), from a request built with placeholders for the path parameters."""
        parameters = inspect.signature(load(self.module_name)._get_kwargs).parameters.values()
        placeholders: dict[str, str] = {}
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for parameter in parameters:
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                if parameter.default is inspect.Parameter.empty:
                    kwargs[parameter.name] = _BodyStub()
            else:  # positional: a path parameter
                placeholder = f"PATHPARAMETER{len(placeholders)}X"
                placeholders[placeholder] = "{" + _spec_name(parameter.name) + "}"
                args.append(placeholder)
        request = self.build(*args, **kwargs)
        path: str = request["url"]
        for placeholder, template in placeholders.items():
            path = path.replace(placeholder, template)
        return str(request["method"]).upper(), path

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return self._template[0]

    @property
    def path_template(self) -> str:
        """The path relative to the base URL, with the spec's ``{parameter}`` names."""
        return self._template[1]

    @functools.cached_property
    def what(self) -> str:
        """``METHOD /path/{template}``: names the call in logs and errors without any id or secret."""
        return f"{self.method} {self.path_template}"


def exact(parse: Callable[[Any], T]) -> Read[T]:
    """The reader of an operation whose answers are read exactly (the token and login calls): ``parse``'s
    result, and never any drift (``parse`` raises ShapeError for what it cannot use)."""

    def read(data: Any, request_body: Any) -> tuple[T, tuple[Drift, ...]]:
        return parse(data), ()

    return read
