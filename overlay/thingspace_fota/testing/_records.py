"""What the fake received: :class:`RecordedRequest` and its :class:`RecordedHeaders`, whose reprs never show a
secret (users print them, and pytest prints them when an assertion fails)."""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any

import attrs

from .._redact import REDACTED, redact

# Headers whose values are credentials: masked in reprs (the values stay readable by key).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "vz-m2m-token", "cookie", "set-cookie"})


class RecordedHeaders:
    """The headers of a recorded request, read like a mapping with case-insensitive names.

    ``headers["Authorization"]`` gives the real value, so tests can assert on it; ``repr()`` and ``str()`` show
    ``[redacted]`` for ``Authorization``, ``VZ-M2M-Token`` and the other credential headers, so printing a
    request never leaks a token. It is deliberately not a ``collections.abc.Mapping``: pytest explains a failed
    comparison of two mappings item by item, values included, and would print the tokens; for any other type it
    prints the repr. Equal to any mapping with the same names (in any case) and values; ``dict(headers)`` gives
    a plain dict.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | list[tuple[str, str]]) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            # Repeated headers are joined as HTTP allows (RFC 9110 §5.3).
            self._items[key] = f"{self._items[key]}, {value}" if key in self._items else value

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of header ``name`` (any case), or ``default``."""
        return self._items.get(name.lower(), default)

    def keys(self) -> KeysView[str]:
        """The header names, lowercase."""
        return self._items.keys()

    def values(self) -> ValuesView[str]:
        """The header values, in the order of :meth:`keys`."""
        return self._items.values()

    def items(self) -> ItemsView[str, str]:
        """The (lowercase name, value) pairs."""
        return self._items.items()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return self._items == {str(k).lower(): v for k, v in other.items()}

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = {k: REDACTED if k in SECRET_HEADERS else v for k, v in self._items.items()}
        return f"RecordedHeaders({shown!r})"

    __str__ = __repr__


def _json_repr(value: Any) -> str:
    return repr(redact(value))


@attrs.frozen(eq=False)
class RecordedRequest:
    """One request the fake received, in arrival order in :attr:`FakeFota.requests`.

    Attributes:
        method: ``GET``, ``PUT`` or ``POST``.
        path: The URL path as sent, percent-decoded, e.g. ``/api/fota/v3/firmware/0000123456-00001/devices``.
        operation: ``list_available_firmware``, ``synchronize_device_firmware``, ``report_device_firmware``,
            ``get_access_token``, ``log_in``, or None for a path the fake does not serve.
        params: The query parameters (the last value of each name).
        headers: The request headers (see :class:`RecordedHeaders`: secrets are masked in its repr only).
        json: The decoded JSON body, or None (no body, a form body, or a body that is not JSON). Its repr masks
            secret fields such as ``password``.
        content: The raw body bytes (not in the repr: the login body holds the password).
    """

    method: str
    path: str
    operation: str | None
    params: Mapping[str, str]
    headers: RecordedHeaders
    json: Any = attrs.field(repr=_json_repr)
    content: bytes = attrs.field(repr=False)
