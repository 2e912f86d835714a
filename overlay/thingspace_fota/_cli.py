"""The ``thingspace-fota`` command line: list, sync and report for fleet operators (argparse, stdlib only).

Exit codes: 0 success; 1 API error; 2 bad input or configuration; 3 partial failure of a batch (the ids left over
go to ``--leftover FILE`` or to stderr, so that ``--from-file`` can finish the job). Secrets come only from the
environment or ``--env-file`` and are never printed: messages are built from exception classes, statuses and the
server's ``errorCode``/``errorMessage``, never from header or environment values.

The command line is a thin layer over the library: it parses arguments, formats results and writes files. The
checks of its options are the library's (``_validation``), the batching, progress and report fan-out are the
clients' (``synchronize_device_firmware(on_progress=...)``, ``report_device_firmware_many``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import sys
import tempfile
import textwrap
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from . import _env as env
from . import _validation as check
from ._client import AsyncFotaClient, FotaClient
from ._completion import SHELLS, completion_script
from ._constants import (
    DEFAULT_AUTH_BASE_URL,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    EXIT_API_ERROR,
    EXIT_BAD_INPUT,
    EXIT_DRIFT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    MAX_BATCH_SIZE,
)
from ._exceptions import (
    APIStatusError,
    FotaError,
    InvalidInputError,
    PartialSyncError,
    ResponseValidationError,
)
from ._logs import ENV_VAR as LOG_ENV_VAR
from ._logs import setup_from_env
from ._models import DeviceFirmware, Drift, FirmwarePackage, FirmwareReportRequest, Protocol
from ._ratelimit import checked_rate
from ._reading import DriftCheck, collapse, summarize
from ._verify import render, verify
from ._version import __version__

PROG = "thingspace-fota"
# The command line's own ceiling of --concurrency (the library's max_concurrency has none).
MAX_CONCURRENCY = 64
ENV_PREFIX = "THINGSPACE_"
# InvalidInputError arguments of the client that have a command-line option of their own.
_OPTION_NAMES = {
    "base_url": "--base-url",
    "timeout": "--timeout",
    "max_retries": "--max-retries",
    "max_rate": "--max-rate",
}
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# ---------------------------------------------------------------------------------------------------- arguments


def _checked(parse: Callable[[str], Any], text: str, problem: str) -> Any:
    """``parse(text)``, the library's check inside it; an argparse error with the check's problem, or ``problem``
    when the text does not even convert."""
    try:
        return parse(text)
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(exc.problem) from None
    except ValueError:
        raise argparse.ArgumentTypeError(problem) from None


def _positive_seconds(text: str) -> float:
    return float(_checked(lambda t: check.seconds(float(t), "seconds"), text, "must be a positive number of seconds"))


def _int_between(minimum: int, maximum: int | None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        return int(
            _checked(
                lambda t: check.positive_int(int(t), "N", minimum=minimum, maximum=maximum), text, "must be an integer"
            )
        )

    return parse


def _rate(text: str) -> float:
    return float(_checked(lambda t: checked_rate(float(t)), text, "must be a positive number of requests per second"))


def _protocol(text: str) -> Protocol:
    protocol: Protocol = _checked(check.protocol, text, "unknown protocol")
    return protocol


def _header(text: str) -> tuple[str, str]:
    # The value is never echoed: a header may carry a secret.
    name, sep, value = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError("must be NAME:VALUE, e.g. 'Prefer: code=404'")
    [(name, value)] = _checked(lambda t: check.headers({name.strip(): value.strip()}, "--header"), text, "").items()
    return name, value


def _timeout_default() -> str:
    read, connect = DEFAULT_TIMEOUT.read, DEFAULT_TIMEOUT.connect
    return f"{read:g} s, {connect:g} s to connect"


# The protocol words of the help and the completion: the wire values, OMA-DM as the docs spell it.
PROTOCOL_WORDS = tuple(p.value if p is Protocol.ALL else p.name.replace("_", "-") for p in Protocol)


def _global_options(*, after_command: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after the subcommand name.

    The main parser holds them with their defaults; each subparser holds a copy whose defaults are SUPPRESS, so a
    value given before the subcommand survives unless the same option is given again after it (the later one
    wins, as the later of two repeats does). ``--header`` adds up instead: the copy after the subcommand collects
    into ``header_after``, joined by :func:`_join_headers`.
    """
    default: Any = argparse.SUPPRESS if after_command else None
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("global options (before or after the command)")
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if after_command else False,
        help="print one JSON document with snake_case keys (default: a table)",
    )
    group.add_argument(
        "--base-url",
        default=default,
        help=f"FOTA v3 base URL (default: ${env.FOTA_BASE_URL}, else {DEFAULT_BASE_URL})",
    )
    group.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=default,
        metavar="SECONDS",
        help=f"timeout of each request, connecting included (default: {_timeout_default()})",
    )
    group.add_argument(
        "--max-retries",
        type=_int_between(0, None),
        default=default,
        metavar="N",
        help=f"retries of a failed request (default: {DEFAULT_MAX_RETRIES})",
    )
    group.add_argument(
        "--max-rate",
        type=_rate,
        default=default,
        metavar="RATE",
        help=f"requests per second at most, shared by all the command's calls (default: ${env.MAX_RATE}, else "
        f"none: paced only after a 429 answer)",
    )
    group.add_argument(
        "--env-file",
        default=default,
        metavar="FILE",
        help="read THINGSPACE_* variables from FILE (KEY=VALUE lines); variables already set win (default: none)",
    )
    group.add_argument(
        "--header",
        action="append",
        type=_header,
        dest="header_after" if after_command else "header",
        default=argparse.SUPPRESS if after_command else [],
        metavar="NAME:VALUE",
        help="extra HTTP header on every request (repeatable; default: none); meant for mocks, e.g. "
        "'Prefer: code=404' for Prism",
    )
    return common


def _strict_option() -> argparse.ArgumentParser:
    strict = argparse.ArgumentParser(add_help=False)
    strict.add_argument(
        "--strict",
        action="store_true",
        help=f"refuse any answer that deviates from the spec: an API error (exit 1) naming where "
        f"(default: ${env.STRICT}, else off: such answers are read tolerantly, with a note on stderr)",
    )
    return strict


def _join_headers(args: argparse.Namespace) -> None:
    """The --header values given before the subcommand, then those given after it."""
    args.header = [*args.header, *vars(args).pop("header_after", [])]


def environment_help() -> str:
    """The epilog of every ``--help``: the environment variables the command line reads, and their defaults."""
    tokens = ", ".join(env.TOKEN_VARIABLES)
    credentials = ", ".join(env.CREDENTIAL_VARIABLES)
    rows = [
        (tokens, "static tokens (both), or:"),
        (credentials, "the four credentials: the client gets and renews the tokens itself"),
        (env.AUTH_BASE_URL, f"token and login base URL, credentials only (default: {DEFAULT_AUTH_BASE_URL})"),
        (env.FOTA_BASE_URL, f"FOTA v3 base URL (default: {DEFAULT_BASE_URL}); --base-url wins"),
        (LOG_ENV_VAR, "info or debug: log each request to stderr (default: no log)"),
        (env.STRICT, "1: as --strict for list, sync and report; verify ignores it (default: 0)"),
        (env.MAX_RATE, "requests per second at most, as --max-rate; the option wins (default: none)"),
    ]
    lines = ["environment variables (also read from --env-file FILE; never printed):"]
    for names, text in rows:
        lines += [f"  {names}", f"      {text}"]
    return "\n".join(lines)


def _subcommand(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    parents: Sequence[argparse.ArgumentParser],
    **kwargs: Any,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        parents=parents,
        epilog=environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )
    return parser


def _batch_options(parser: argparse.ArgumentParser, id_name: str) -> None:
    parser.add_argument(
        "--from-file",
        metavar="FILE",
        help=f"read {id_name}s from FILE, one a line ('-' = stdin; blank lines and # comments are skipped; "
        "default: none)",
    )
    parser.add_argument(
        "--leftover",
        metavar="FILE",
        help="write the ids not done to FILE, one a line (emptied on success; default: stderr on partial failure)",
    )


EXIT_CODES_HELP = f"""exit codes:
  {EXIT_OK}  success
  {EXIT_API_ERROR}  API error
  {EXIT_BAD_INPUT}  bad input or configuration
  {EXIT_PARTIAL}  partial failure: the ids left over go to --leftover FILE or stderr; run them again with --from-file
  {EXIT_DRIFT}  verify only: an answer deviates from the spec (an API error, {EXIT_API_ERROR}, wins over it)"""

PLACEMENT_HELP = (
    "Global options go before or after the command; given in both places, the one after the command wins "
    "(--header adds up)."
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``thingspace-fota``."""
    after = [_global_options(after_command=True)]
    reading = [*after, _strict_option()]
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[_global_options(after_command=False)],
        description=textwrap.fill("Verizon ThingSpace FOTA v3 firmware operations. " + PLACEMENT_HELP, 79),
        epilog=f"{EXIT_CODES_HELP}\n\n{environment_help()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    list_cmd = _subcommand(commands, "list", reading, help="list the firmware available to an account")
    list_cmd.add_argument("account", metavar="ACC", help="account id, e.g. 0000123456-00001")
    list_cmd.add_argument(
        "--protocol",
        type=_protocol,
        default=Protocol.ALL,
        help=f"{', '.join(PROTOCOL_WORDS[:-1])} or {PROTOCOL_WORDS[-1]} (default: {Protocol.ALL.value})",
    )
    list_cmd.set_defaults(handler=_run_list)

    sync_cmd = _subcommand(
        commands, "sync", reading, help="synchronize devices with the FOTA server and show their firmware"
    )
    sync_cmd.add_argument("account", metavar="ACC", help="account id")
    sync_cmd.add_argument("device_ids", nargs="*", metavar="IMEI", help="device ids (IMEIs)")
    _batch_options(sync_cmd, "IMEI")
    sync_cmd.add_argument(
        "--batch-size",
        type=_int_between(1, MAX_BATCH_SIZE),
        default=MAX_BATCH_SIZE,
        metavar="N",
        help=f"ids per request (1 to {MAX_BATCH_SIZE}, default: {MAX_BATCH_SIZE})",
    )
    sync_cmd.set_defaults(handler=_run_sync, id_name="IMEI")

    report_cmd = _subcommand(commands, "report", reading, help="ask devices to report their firmware asynchronously")
    report_cmd.add_argument("account", metavar="ACC", help="account id")
    report_cmd.add_argument("device_ids", nargs="*", metavar="DEVICE_ID", help="device ids")
    _batch_options(report_cmd, "DEVICE_ID")
    report_cmd.add_argument(
        "--concurrency",
        type=_int_between(1, MAX_CONCURRENCY),
        default=DEFAULT_MAX_CONCURRENCY,
        metavar="N",
        help=f"reports in flight at once (1 to {MAX_CONCURRENCY}, default: {DEFAULT_MAX_CONCURRENCY})",
    )
    report_cmd.set_defaults(handler=_run_report, id_name="DEVICE_ID")

    verify_cmd = _subcommand(
        commands,
        "verify",
        after,
        help="check that the server's answers match the spec (exit 0 clean, 4 drift, 1 API error, 2 bad input)",
        description=textwrap.fill(
            "Run list_available_firmware for every protocol and synchronize_device_firmware for the given ids, "
            "read every answer tolerantly and report each deviation from openapi/fota-v3.yaml. Ignores "
            f"{env.STRICT}. Exit {EXIT_OK}: every answer matches; {EXIT_DRIFT}: drift; {EXIT_API_ERROR}: an API "
            f"error; {EXIT_BAD_INPUT}: bad input.",
            79,
        ),
    )
    verify_cmd.add_argument("account", metavar="ACC", help="account id")
    verify_cmd.add_argument("device_ids", nargs="*", metavar="DEVICE_ID", help="devices to synchronize (read-only)")
    verify_cmd.add_argument(
        "--report", action="store_true", help="also ask each device to report its firmware (wakes real devices)"
    )
    verify_cmd.set_defaults(handler=_run_verify)

    completion_cmd = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for SHELL. bash: add 'eval \"$(thingspace-fota completion bash)\"' "
        "to ~/.bashrc. zsh: add 'eval \"$(thingspace-fota completion zsh)\"' to ~/.zshrc (after compinit).",
    )
    completion_cmd.add_argument("shell", choices=SHELLS, metavar="SHELL", help=" or ".join(SHELLS))
    completion_cmd.set_defaults(handler=_run_completion)
    return parser


# ------------------------------------------------------------------------------------------------ configuration


def load_env_file(path: str) -> None:
    """Set the THINGSPACE_* variables of a KEY=VALUE file that the environment does not set already.

    No value and no line of the file ever appears in a message.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InvalidInputError("--env-file", f"cannot read {path!r}: {reason}") from None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _ENV_KEY.match(key):
            raise InvalidInputError(f"--env-file line {number}", "must be KEY=VALUE (the line is not shown)")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if key.startswith(ENV_PREFIX) and not os.environ.get(key):
            os.environ[key] = value


def client_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The client arguments the command-line options set (options a parser does not have count as not given)."""
    overrides: dict[str, Any] = {}
    for name in ("base_url", "timeout", "max_retries", "max_rate"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    if getattr(args, "header", None):
        overrides["default_headers"] = dict(args.header)
    if getattr(args, "strict", False):
        overrides["strict"] = True
    return overrides


Client = TypeVar("Client", FotaClient, AsyncFotaClient)


class _DriftNote(DriftCheck):
    """The clients' drift check in the command line: instead of the library's log lines, the command prints one
    note; in strict mode it refuses the answer as the client's own check does."""

    def __init__(self, *, strict: bool) -> None:
        super().__init__(strict=strict, log=False)
        self.found: Counter[tuple[str, str]] = Counter()
        self._count_lock = threading.Lock()

    def __call__(self, what: str, drift: tuple[Drift, ...], response: httpx.Response) -> None:
        summary = summarize(drift)
        with self._count_lock:
            for s in summary:
                self.found[(s.operation, s.location)] += s.times
        super().__call__(what, drift, response)

    def line(self) -> str | None:
        """The note for stderr, when drift was read tolerantly."""
        if not self.found or self.strict:
            return None
        places = [location for _, location in self.found]
        shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
        return (
            f"note: {sum(self.found.values())} value(s) of the answers deviate from the spec (at {shown}) and were "
            f"read tolerantly; '{PROG} verify' reports them, --strict refuses them"
        )


def _client(client_class: type[Client], args: argparse.Namespace, **more: Any) -> tuple[Client, _DriftNote]:
    """A client from the environment and the options, with the command line's drift check."""
    fota = client_class.from_env(**client_overrides(args), **more)
    note = _DriftNote(strict=fota._drift_check.strict)
    return fota._with_drift_check(note), note


def _option_name(exc: InvalidInputError, args: argparse.Namespace) -> str:
    """The argument of an InvalidInputError, named as the command-line option that set it."""
    option = _OPTION_NAMES.get(exc.argument)
    if option is not None and getattr(args, option[2:].replace("-", "_"), None) is not None:
        return option
    if exc.argument.startswith("default_headers"):
        return "--header" + exc.argument.removeprefix("default_headers")
    return exc.argument


def _read_id_file(path: str) -> list[tuple[str, str]]:
    label = "stdin" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InvalidInputError("--from-file", f"cannot read {label!r}: {reason}") from None
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            found.append((line, f"--from-file {label} line {number}"))
    return found


def _collect_ids(args: argparse.Namespace) -> list[str]:
    """The device ids of the arguments and --from-file, checked, duplicates dropped (first kept); never empty.

    Also checks that --leftover can be written, so that no run does work whose leftovers it cannot keep.
    """
    if args.leftover is not None:
        folder = Path(args.leftover).parent
        if not folder.is_dir() or not os.access(folder, os.W_OK) or Path(args.leftover).is_dir():
            raise InvalidInputError(
                "--leftover", f"cannot write {args.leftover!r} (no such writable folder, or a folder)"
            )
    found = [(value, f"{args.id_name} #{index}") for index, value in enumerate(args.device_ids, 1)]
    if args.from_file is not None:
        found += _read_id_file(args.from_file)
    unique: dict[str, None] = {}
    for value, where in found:
        unique[check.identifier(value, where)] = None
    if not unique:
        raise InvalidInputError(args.id_name, "no device ids: give them as arguments or with --from-file FILE or -")
    return list(unique)


# ------------------------------------------------------------------------------------------------------- output


def error_fields(exc: FotaError) -> dict[str, Any]:
    """The JSON description of an error: type, status_code, error_code, error_message (and message)."""
    status = exc.status_code if isinstance(exc, APIStatusError | ResponseValidationError) else None
    if isinstance(exc, APIStatusError):
        code, message = exc.error_code, exc.error_message
    else:
        code, message = None, str(exc)
    return {
        "type": type(exc).__name__,
        "status_code": status,
        "error_code": code,
        "error_message": message,
        "message": str(exc),
        "drift": [
            {"operation": d.operation, "location": d.location, "kind": d.kind.value, "detail": d.detail}
            for d in (exc.drift if isinstance(exc, ResponseValidationError) else ())
        ],
    }


def describe(exc: FotaError) -> str:
    """One line: class, HTTP status, ``errorCode`` and ``errorMessage`` (or the library's message)."""
    name = type(exc).__name__
    if isinstance(exc, APIStatusError) and (exc.error_code or exc.error_message):
        return (
            f"{name} (HTTP {exc.status_code}): errorCode: {exc.error_code or '-'}; "
            f"errorMessage: {exc.error_message or '-'}"
        )
    if isinstance(exc, ResponseValidationError) and exc.drift:  # strict mode: name every place that deviates
        places = dict.fromkeys(f"{collapse(d.location)} ({d.kind.value})" for d in exc.drift)
        return f"{name}: {exc}; deviations at: {', '.join(places)}"
    return f"{name}: {exc}"


def _cell(value: object) -> str:
    if value is None or value == "":
        return "-"
    # Server text never reaches the terminal raw: control characters could rewrite the screen.
    return "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in str(value))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: a header line, a rule, one line per row, columns padded to their widest cell."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]
    lines = [headers, ["-" * width for width in widths], *cells]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


class _Console:
    """stdout gets the result (a table or one JSON document); stderr gets errors and, on a terminal, progress."""

    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode

    def document(self, doc: dict[str, Any]) -> None:
        print(json.dumps(doc, indent=2, ensure_ascii=False))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], empty: str) -> None:
        print(format_table(headers, rows) if rows else empty)

    def note(self, text: str, *, comment: bool = False) -> None:
        print(f"{'# ' if comment else ''}{PROG}: {text}", file=sys.stderr)

    def error_json(self, exc: FotaError, **more: Any) -> None:
        if self.json_mode:
            print(json.dumps({"error": error_fields(exc), **more}, ensure_ascii=False), file=sys.stderr)


class _Progress:
    """``label: done/total`` on stderr, rewritten in place, only when stderr is a terminal."""

    def __init__(self, label: str, total: int, *, worth_showing: bool) -> None:
        self.label, self.total, self.done = label, total, 0
        self.enabled = worth_showing and sys.stderr.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        if self.enabled:
            sys.stderr.write(f"\r{self.label}: {self.done}/{self.total} device ids done")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _timestamp(parsed: Any, raw: str | None) -> str | None:
    return parsed.isoformat() if parsed is not None else raw


def _package_doc(package: FirmwarePackage) -> dict[str, Any]:
    return {
        "firmware_name": package.firmware_name,
        "firmware_from": package.firmware_from,
        "firmware_to": package.firmware_to,
        "launch_date": _timestamp(package.launch_date, package.launch_date_raw),
        "release_note": package.release_note,
        "model": package.model,
        "make": package.make,
        "protocol": str(package.protocol),
    }


def _device_doc(device: DeviceFirmware) -> dict[str, Any]:
    return {
        "device_id": device.device_id,
        "firmware_version": device.firmware_version,
        "status": device.status,
        "reason": device.reason,
        "update_time": _timestamp(device.update_time, device.update_time_raw),
    }


def _write_leftover(path: str, ids: Sequence[str]) -> None:
    target = Path(path)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", delete=False
    ) as tmp:
        tmp.write("".join(f"{device_id}\n" for device_id in ids))
    try:
        Path(tmp.name).replace(target)
    except OSError:
        Path(tmp.name).unlink(missing_ok=True)
        raise


def _finish_batch(
    con: _Console,
    args: argparse.Namespace,
    *,
    verb: str,
    total: int,
    pending: Sequence[str],
    errors: Sequence[tuple[str, FotaError]],
    note: str | None,
) -> int:
    """Report the drift note, the errors and the ids left over of a sync or report run; the exit code."""
    # With the ids on stderr, every other line there is a # comment, so stderr can be fed back to --from-file.
    ids_to_stderr = args.leftover is None and bool(errors) and len(pending) < total and not con.json_mode
    if note is not None:
        con.note(note, comment=ids_to_stderr)
    if args.leftover is not None:
        try:
            _write_leftover(args.leftover, pending)
        except OSError as exc:
            con.note(f"error: --leftover: cannot write {args.leftover!r}: {exc.strerror}")
            args.leftover = None
            if not errors:
                return EXIT_BAD_INPUT
    if not errors:
        return EXIT_OK
    code = EXIT_PARTIAL if len(pending) < total else EXIT_API_ERROR
    for where, error in errors:
        con.note(f"error: {where}: {describe(error)}", comment=ids_to_stderr)
    con.note(f"{verb} {total - len(pending)} of {total} device id(s); {len(pending)} left over", comment=ids_to_stderr)
    if args.leftover is not None:
        con.note(f"the ids left over are in {args.leftover}; run them again with --from-file {args.leftover}")
    elif ids_to_stderr:
        con.note("the ids left over follow, one a line; run them again with --from-file", comment=True)
        sys.stderr.write("".join(f"{device_id}\n" for device_id in pending))
    con.error_json(errors[0][1], pending_device_ids=list(pending))  # last line of stderr, in --json mode only
    return code


# ----------------------------------------------------------------------------------------------------- commands


def _run_list(args: argparse.Namespace, con: _Console) -> int:
    account = check.identifier(args.account, "ACC")
    protocol: Protocol = args.protocol
    fota, note = _client(FotaClient, args)
    try:
        with fota:
            packages = fota.list_available_firmware(account, protocol=protocol)
    except InvalidInputError:
        raise
    except FotaError as exc:
        con.note(f"error: {describe(exc)}")
        con.error_json(exc)
        return EXIT_API_ERROR
    if (line := note.line()) is not None:
        con.note(line)
    if con.json_mode:
        con.document(
            {"account_id": account, "protocol": protocol.value, "packages": [_package_doc(p) for p in packages]}
        )
    else:
        rows = [
            (
                p.firmware_name,
                p.firmware_from,
                p.firmware_to,
                p.make,
                p.model,
                str(p.protocol),
                _timestamp(p.launch_date, p.launch_date_raw),
            )
            for p in packages
        ]
        headers = ("FIRMWARE_NAME", "FROM", "TO", "MAKE", "MODEL", "PROTOCOL", "LAUNCH_DATE")
        con.table(headers, rows, "(no firmware packages)")
    return EXIT_OK


def _run_sync(args: argparse.Namespace, con: _Console) -> int:
    account = check.identifier(args.account, "ACC")
    ids = _collect_ids(args)
    batch_size: int = args.batch_size
    account_name, devices = account, list[DeviceFirmware]()
    pending: list[str] = []
    errors: list[tuple[str, FotaError]] = []
    chunk_count = math.ceil(len(ids) / batch_size)
    progress = _Progress("sync", len(ids), worth_showing=chunk_count > 1)

    def advance(chunk: Sequence[str], error: FotaError | None) -> None:
        if error is None:
            progress.advance(len(chunk))

    fota, note = _client(FotaClient, args)
    with fota:
        try:
            result = fota.synchronize_device_firmware(account, ids, batch_size=batch_size, on_progress=advance)
        except InvalidInputError:
            raise
        except PartialSyncError as exc:
            account_name, devices, pending, error = (
                exc.result.account_name or account,
                exc.result.devices,
                exc.pending_device_ids,
                exc.error,
            )
        except FotaError as exc:
            pending, error = ids, exc
        else:
            account_name, devices = result.account_name or account, result.devices
        if pending:
            failed = (len(ids) - len(pending)) // batch_size  # the chunks go in order: the first pending one failed
            size = min(batch_size, len(pending))
            errors = [(f"sync batch {failed + 1}/{chunk_count} ({size} ids)", error)]
    progress.finish()
    if con.json_mode:
        con.document(
            {
                "account_name": account_name,
                "devices": [_device_doc(d) for d in devices],
                "pending_device_ids": pending,
                "error": error_fields(errors[0][1]) if errors else None,
            }
        )
    elif devices or not errors:
        rows = [
            (d.device_id, d.firmware_version, d.status, d.reason, _timestamp(d.update_time, d.update_time_raw))
            for d in devices
        ]
        headers = ("DEVICE_ID", "FIRMWARE_VERSION", "STATUS", "REASON", "UPDATE_TIME")
        con.table(headers, rows, "(the server reported no devices)")
    return _finish_batch(
        con, args, verb="synchronized", total=len(ids), pending=pending, errors=errors, note=note.line()
    )


async def _report_all(
    account: str, ids: Sequence[str], fota: AsyncFotaClient, progress: _Progress
) -> dict[str, FirmwareReportRequest | FotaError]:
    """Each id's result or error; an id is missing when a failure that would repeat stopped the run first."""
    async with fota:
        return await fota.report_device_firmware_many(
            account, ids, on_progress=lambda done, error: progress.advance(len(done))
        )


def _run_report(args: argparse.Namespace, con: _Console) -> int:
    account = check.identifier(args.account, "ACC")
    ids = _collect_ids(args)
    fota, note = _client(AsyncFotaClient, args, max_concurrency=args.concurrency)
    progress = _Progress("report", len(ids), worth_showing=len(ids) > 1)
    outcomes = asyncio.run(_report_all(account, ids, fota, progress))
    progress.finish()
    done = [(d, r) for d in ids if isinstance(r := outcomes.get(d), FirmwareReportRequest)]
    errors = [(f"device {d}", e) for d in ids if isinstance(e := outcomes.get(d), FotaError)]
    pending = [d for d in ids if not isinstance(outcomes.get(d), FirmwareReportRequest)]
    account_name = (done[0][1].account_name if done else None) or account
    if con.json_mode:
        con.document(
            {
                "account_name": account_name,
                "reports": [{"device_id": d, "request_id": r.request_id} for d, r in done],
                "failures": [
                    {"device_id": d, "error": error_fields(e)}
                    for d in ids
                    if isinstance(e := outcomes.get(d), FotaError)
                ],
                "pending_device_ids": pending,
            }
        )
    elif done:
        con.table(("DEVICE_ID", "REQUEST_ID"), [(d, r.request_id) for d, r in done], "")
    return _finish_batch(con, args, verb="asked", total=len(ids), pending=pending, errors=errors, note=note.line())


def _run_verify(args: argparse.Namespace, con: _Console) -> int:
    # Always tolerant, whatever --strict or THINGSPACE_FOTA_STRICT say: the report lists every deviation.
    with FotaClient.from_env(**{**client_overrides(args), "strict": False}) as fota:
        report = verify(fota, args.account, list(args.device_ids), report=args.report)
    print(render(report, as_json=args.json))
    return report.exit_code


def _run_completion(args: argparse.Namespace, con: _Console) -> int:
    sys.stdout.write(completion_script(build_parser(), args.shell, {"--protocol": PROTOCOL_WORDS}))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    _join_headers(args)
    con = _Console(args.json)
    try:
        if args.env_file is not None:
            load_env_file(args.env_file)
            setup_from_env()  # THINGSPACE_FOTA_LOG may come from the file
        code: int = args.handler(args, con)
    except InvalidInputError as exc:
        problem = f"{_option_name(exc, args)}: {exc.problem}"
        con.note(f"error: {problem}")
        if con.json_mode:
            fields = {"type": type(exc).__name__, "status_code": None, "error_code": None, "error_message": problem}
            print(json.dumps({"error": fields}, ensure_ascii=False), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        con.note("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # stdout closed early, e.g. piped into `head`
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_API_ERROR
    return code
