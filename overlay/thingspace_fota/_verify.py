"""``thingspace-fota verify ACCOUNT [DEVICE_ID ...]``: check what a server really answers against the spec.

Runs the read-only calls against whatever base URL is configured (production, staging, a mock):
``list_available_firmware`` for every protocol value and ``synchronize_device_firmware`` for the given ids;
``report_device_firmware`` only when asked (it wakes real devices). Every answer is read tolerantly, whatever
``THINGSPACE_FOTA_STRICT`` says, so that the report lists every deviation. ``make verify-live`` runs it nightly.

Exit codes: 0 every answer matches the spec; 4 drift was found; 1 an API error (it wins over drift, and the report
still lists what was found); 2 bad input or configuration. The report names operations, JSON paths, kinds and types
only: never a value from a body, a token or a device id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from . import _validation as valid
from ._client import FotaClient
from ._constants import EXIT_API_ERROR, EXIT_DRIFT, EXIT_OK
from ._exceptions import APIStatusError, FotaError, InvalidInputError, ResponseValidationError
from ._models import Drift, Protocol
from ._reading import DriftCheck, summarize


@attrs.frozen
class CheckResult:
    """One verified call: what was asked, the drift of its answers, and its error (``None`` when it answered)."""

    operation: str
    target: str
    """What was asked, without any id: ``protocol=LWM2M``, ``2 device id(s)``, ``device 1 of 3``."""
    drift: tuple[Drift, ...] = ()
    error: str | None = None
    """The error's class, HTTP status and ``errorCode``: ``NotFoundError (HTTP 404): errorCode DeviceNotFound``.
    Never its message, which may repeat the server's ``errorMessage`` (a body value that can hold a device id)."""
    unanswered: int = 0
    """Requested ids the synchronize answer did not mention."""


@attrs.frozen
class VerifyReport:
    """The result of :func:`verify`: every call made, every deviation found, every error."""

    base_url: str
    checks: tuple[CheckResult, ...]

    @property
    def drift(self) -> tuple[Drift, ...]:
        """Every deviation of every answer, in call order."""
        return tuple(d for check in self.checks for d in check.drift)

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(check.error for check in self.checks if check.error is not None)

    @property
    def exit_code(self) -> int:
        """1 when any call failed (it wins over drift), else 4 when drift was found, else 0."""
        if self.errors:
            return EXIT_API_ERROR
        return EXIT_DRIFT if self.drift else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "exit_code": self.exit_code,
            "checks": [
                {
                    "operation": c.operation,
                    "target": c.target,
                    "error": c.error,
                    "unanswered_device_ids": c.unanswered,
                    "drift": [
                        {"operation": d.operation, "location": d.location, "kind": d.kind.value, "detail": d.detail}
                        for d in c.drift
                    ],
                }
                for c in self.checks
            ],
        }


_PLAIN_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _error(exc: FotaError) -> str:
    """The report's line for an error: class, HTTP status and ``errorCode`` (only when it is a plain code: it is
    body text too), never a message."""
    text = type(exc).__name__
    status = exc.status_code if isinstance(exc, APIStatusError | ResponseValidationError) else None
    if status is not None:
        text += f" (HTTP {status})"
    code = exc.error_code if isinstance(exc, APIStatusError) else None
    if code:
        text += f": errorCode {code}" if _PLAIN_CODE.fullmatch(code) else ": errorCode (not a plain code)"
    return text


def _attempt(operation: str, target: str, call: Callable[[], tuple[tuple[Drift, ...], int]]) -> CheckResult:
    try:
        drift, unanswered = call()
    except InvalidInputError:
        raise
    except FotaError as exc:
        drift = exc.drift if isinstance(exc, ResponseValidationError) else ()
        return CheckResult(operation, target, drift, _error(exc))
    return CheckResult(operation, target, drift, None, unanswered)


def verify(fota: FotaClient, account: str, device_ids: Sequence[str] = (), *, report: bool = False) -> VerifyReport:
    """Run the checks with ``fota``, read tolerantly and without warnings (the report says it all).

    Raises InvalidInputError for a bad account or device id, before anything is sent.
    """
    account = valid.identifier(account, "account")
    device_ids = (
        valid.device_ids(device_ids) if device_ids else []
    )  # checked (and deduplicated) before anything is sent
    # A view of the client that reads tolerantly and silently: the caller's client (perhaps shared with other
    # threads) keeps its own drift check.
    raw = fota._with_drift_check(DriftCheck(strict=False, log=False)).with_raw_response
    checks: list[CheckResult] = []
    for protocol in Protocol:

        def listed(protocol: Protocol = protocol) -> tuple[tuple[Drift, ...], int]:
            return raw.list_available_firmware(account, protocol=protocol).drift, 0

        checks.append(_attempt("list_available_firmware", f"protocol={protocol.value}", listed))
    if device_ids:

        def synchronized() -> tuple[tuple[Drift, ...], int]:
            chunks = raw.synchronize_device_firmware(account, device_ids)
            unanswered = sum(len(c.parsed.unanswered_device_ids) for c in chunks)
            return tuple(d for c in chunks for d in c.drift), unanswered

        checks.append(_attempt("synchronize_device_firmware", f"{len(device_ids)} device id(s)", synchronized))
        if report:
            for number, device in enumerate(device_ids, 1):

                def reported(device: str = device) -> tuple[tuple[Drift, ...], int]:
                    return raw.report_device_firmware(account, device).drift, 0

                target = f"device {number} of {len(device_ids)}"
                checks.append(_attempt("report_device_firmware", target, reported))
    return VerifyReport(fota.base_url, tuple(checks))


def render(report: VerifyReport, *, as_json: bool = False) -> str:
    """The report as a table for people, or as JSON (every deviation, uncollapsed) for machines."""
    if as_json:
        return json.dumps(report.as_dict(), indent=2)
    lines = [f"Verified {report.base_url} against openapi/fota-v3.yaml", ""]
    width = max(len(f"{c.operation} {c.target}") for c in report.checks) if report.checks else 10
    for check in report.checks:
        if check.error is not None:
            outcome = f"ERROR {check.error}"
        elif check.drift:
            outcome = f"DRIFT {len(check.drift)} deviation(s)"
        else:
            outcome = "ok"
        if check.unanswered:
            outcome += f" ({check.unanswered} requested id(s) unanswered)"
        lines.append(f"  {f'{check.operation} {check.target}':<{width}}  {outcome}")
    summary = summarize(report.drift)
    if summary:
        rows = [("OPERATION", "LOCATION", "KIND", "COUNT", "DETAIL")]
        rows += [(s.operation, s.location, s.kind, str(s.times), s.detail) for s in summary]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines += ["", "Deviations from the spec (list indexes collapsed):"]
        for row in rows:
            lines.append(
                "  " + "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
            )
    verdict = {
        EXIT_OK: "every answer matches the spec",
        EXIT_DRIFT: f"{len(report.drift)} deviation(s) from the spec",
        EXIT_API_ERROR: f"{len(report.errors)} call(s) failed; {len(report.drift)} deviation(s) found",
    }[report.exit_code]
    lines += ["", f"Result: {verdict} (exit {report.exit_code})."]
    return "\n".join(lines)
