"""Global options before or after the subcommand, the help text (environment variables and defaults) and the
shell completion scripts of ``thingspace-fota``.

End to end through ``python -m thingspace_fota`` against the local FOTA server of ``test_cli``; the parser itself
(in process) for the namespace each placement gives; the completion scripts run in a real bash.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest
import test_cli as base
from test_cli import ACC, DEVICES, FotaServer, clean_env, cli, token_env

from thingspace_fota import _env as env
from thingspace_fota._cli import PROTOCOL_WORDS, build_parser, main
from thingspace_fota._constants import (
    DEFAULT_AUTH_BASE_URL,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    MAX_BATCH_SIZE,
)
from thingspace_fota._logs import ENV_VAR as LOG_ENV_VAR

server = base.server  # the fixture: a local FOTA server on 127.0.0.1
DEAD_URL = "http://127.0.0.1:9/fota"  # the discard port: nothing answers there
COMMANDS = ("list", "sync", "report", "verify")


def command_argv(command: str) -> list[str]:
    return [command, ACC] if command == "list" else [command, ACC, DEVICES[0]]


def parse(argv: list[str]) -> argparse.Namespace:
    """The namespace main() works on (the --header values joined as main() joins them)."""
    from thingspace_fota._cli import _join_headers

    args = build_parser().parse_args(argv)
    _join_headers(args)
    return args


# ------------------------------------------------------------------------------------------------ placement


# option, its text, the parsed value; a second text and value for the "given twice" case.
GLOBALS = {
    "--base-url": ("http://a.example/fota", "http://a.example/fota", "http://b.example/fota", "http://b.example/fota"),
    "--timeout": ("3", 3.0, "7.5", 7.5),
    "--max-retries": ("0", 0, "5", 5),
    "--max-rate": ("2.5", 2.5, "40", 40.0),
    "--env-file": ("a.env", "a.env", "b.env", "b.env"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("option", GLOBALS)
def test_a_global_option_is_read_before_or_after_the_command_and_the_later_wins(command: str, option: str) -> None:
    first, first_value, second, second_value = GLOBALS[option]
    dest = option[2:].replace("-", "_")
    defaults = parse(command_argv(command))
    assert getattr(defaults, dest) is None
    before = parse([option, first, *command_argv(command)])
    after = parse([*command_argv(command), option, first])
    assert getattr(before, dest) == getattr(after, dest) == first_value
    both = parse([option, first, *command_argv(command), option, second])
    assert getattr(both, dest) == second_value
    # The other options keep their defaults whichever placement was used.
    for other in GLOBALS.keys() - {option}:
        other_dest = other[2:].replace("-", "_")
        assert getattr(before, other_dest) is None and getattr(after, other_dest) is None


@pytest.mark.parametrize("command", COMMANDS)
def test_json_and_headers_before_or_after_the_command(command: str) -> None:
    assert parse(command_argv(command)).json is False
    assert parse(["--json", *command_argv(command)]).json is True
    assert parse([*command_argv(command), "--json"]).json is True
    assert parse(["--json", *command_argv(command), "--json"]).json is True
    assert parse(command_argv(command)).header == []
    # --header adds up: those before the command, then those after it.
    args = parse(["--header", "X-A: 1", *command_argv(command), "--header", "X-B: 2", "--header", "X-C: 3"])
    assert args.header == [("X-A", "1"), ("X-B", "2"), ("X-C", "3")]
    assert parse(["--header", "X-A: 1", *command_argv(command)]).header == [("X-A", "1")]
    assert not hasattr(args, "header_after")


def test_options_before_the_command_reach_the_server(server: FotaServer) -> None:
    # The environment points at a dead port: only --base-url given before the command can reach the server.
    environment = token_env(DEAD_URL)
    run = cli("--json", "--base-url", server.url, "--header", "X-Trace: before", "list", ACC, env=environment)
    assert run.code == 0, run.stderr
    assert run.json()["packages"][0]["model"] == "M1"
    assert server.requests[-1].headers["x-trace"] == "before"
    run = cli("--base-url", server.url, "--json", "sync", ACC, *DEVICES, env=environment)
    assert run.code == 0, run.stderr
    assert [d["device_id"] for d in run.json()["devices"]] == DEVICES


def test_the_option_after_the_command_wins_end_to_end(server: FotaServer) -> None:
    run = cli("--base-url", DEAD_URL, "list", ACC, "--base-url", server.url, "--json", env=token_env(DEAD_URL))
    assert run.code == 0, run.stderr
    assert len(server.requests) == 1
    run = cli("--header", "X-A: 1", "report", ACC, DEVICES[0], "--header", "X-B: 2", env=token_env(server.url))
    assert run.code == 0, run.stderr
    assert (server.requests[-1].headers["x-a"], server.requests[-1].headers["x-b"]) == ("1", "2")


def test_env_file_before_the_command(server: FotaServer, tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"THINGSPACE_ACCESS_TOKEN={base.ACCESS_SECRET}\nTHINGSPACE_M2M_TOKEN={base.M2M_SECRET}\n"
        f"THINGSPACE_FOTA_BASE_URL={server.url}\n"
    )
    run = cli("--env-file", str(dotenv), "--json", "list", ACC, env=clean_env())
    assert run.code == 0, run.stderr
    assert server.requests[-1].headers["vz-m2m-token"] == base.M2M_SECRET


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--timeout", "0", "list", ACC], "--timeout"),
        (["--max-retries", "-1", "sync", ACC, DEVICES[0]], "--max-retries"),
        (["--base-url", "ftp://127.0.0.1/x", "list", ACC], "--base-url"),
        (["--header", "no colon", "report", ACC, DEVICES[0]], "--header"),
    ],
)
def test_a_bad_global_option_before_the_command_is_named_and_nothing_is_sent(
    server: FotaServer, argv: list[str], named: str
) -> None:
    run = cli(*argv, env=token_env(server.url))
    assert run.code == 2
    assert named in run.stderr
    assert run.stdout == ""
    assert server.requests == []


def test_a_command_option_before_the_command_is_refused() -> None:
    run = cli("--protocol=HTTP", "list", ACC, env=clean_env())
    assert run.code == 2
    assert "unrecognized arguments: --protocol=HTTP" in run.stderr


# ------------------------------------------------------------------------------------------------------ help


def flat(text: str) -> str:
    """The help text with argparse's line wrapping undone."""
    return " ".join(text.split())


ENVIRONMENT = (
    *env.TOKEN_VARIABLES,
    *env.CREDENTIAL_VARIABLES,
    env.FOTA_BASE_URL,
    env.AUTH_BASE_URL,
    LOG_ENV_VAR,
    env.STRICT,
    env.MAX_RATE,
)
GLOBAL_DEFAULTS = (
    DEFAULT_BASE_URL,
    DEFAULT_AUTH_BASE_URL,
    f"retries of a failed request (default: {DEFAULT_MAX_RETRIES})",
    f"(default: {DEFAULT_TIMEOUT.read:g} s, {DEFAULT_TIMEOUT.connect:g} s to connect)",
)
COMMAND_DEFAULTS = {
    "list": ("(default: all)",),
    "sync": (f"default: {MAX_BATCH_SIZE})",),
    "report": (f"default: {DEFAULT_MAX_CONCURRENCY})",),
}


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_lists_the_environment_variables_and_the_defaults(command: str | None) -> None:
    run = cli(*([command] if command else []), "--help", env=clean_env())
    assert run.code == 0 and run.stderr == ""
    text = flat(run.stdout)
    for variable in ENVIRONMENT:
        assert variable in text, variable
    for default in (*GLOBAL_DEFAULTS, *COMMAND_DEFAULTS.get(command or "", ())):
        assert default in text, default
    for option in ("--json", "--base-url", "--timeout", "--max-retries", "--max-rate", "--env-file", "--header"):
        assert option in text
    assert "before or after the command" in text


def test_every_option_that_takes_a_value_states_its_default() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, sub in [(parser.prog, parser), *commands.items()]:
        for action in sub._actions:
            if action.option_strings and action.nargs != 0:  # flags are off unless given
                assert "default" in (action.help or ""), f"{name} {action.option_strings[0]}"


def test_main_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = flat(capsys.readouterr().out)
    for line in ("0 success", "1 API error", "2 bad input", "3 partial failure", "4 verify only"):
        assert line in text


# ------------------------------------------------------------------------------------------------ completion


def complete(script: str, *words: str, prelude: str = "") -> list[str]:
    """COMPREPLY of the script's function for the command line ``words`` (the last one being completed)."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (
        f"{prelude}\n{script}\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMPREPLY=()\n"
        "_thingspace_fota\n"
        "complete -p thingspace-fota >&2\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "complete -F _thingspace_fota thingspace-fota" in proc.stderr  # the function is registered
    return [line for line in proc.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def bash_script() -> str:
    run = cli("completion", "bash", env=clean_env())
    assert run.code == 0 and run.stderr == ""
    return run.stdout


def test_bash_completion_script_is_valid_bash(bash_script: str, tmp_path: Path) -> None:
    path = tmp_path / "thingspace-fota.bash"
    path.write_text(bash_script)
    proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr


def test_bash_completion_completes_every_command_name(bash_script: str) -> None:
    parser = build_parser()
    names = list(next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices)
    assert {"list", "sync", "report", "completion"} <= set(names)
    assert complete(bash_script, "thingspace-fota", "") == names
    assert complete(bash_script, "thingspace-fota", "sy") == ["sync"]
    assert complete(bash_script, "thingspace-fota", "re") == ["report"]
    # After global options, the values they take included.
    assert complete(bash_script, "thingspace-fota", "--json", "--timeout", "5", "l") == ["list"]
    assert complete(bash_script, "thingspace-fota", "--base-url", "list", "") == names  # "list" is a URL here


CASES = {
    "global options": (["thingspace-fota", "--ti"], ["--timeout"]),
    "list options after the command": (["thingspace-fota", "list", ACC, "--pr"], ["--protocol"]),
    "global options after the command": (["thingspace-fota", "sync", ACC, "--max-re"], ["--max-retries"]),
    "command options only after their command": (["thingspace-fota", "report", "--c"], ["--concurrency"]),
    "protocol values": (["thingspace-fota", "list", ACC, "--protocol", ""], list(PROTOCOL_WORDS)),
    "no guess at a value": (["thingspace-fota", "list", "--base-url", ""], []),
    "no guess at an id": (["thingspace-fota", "sync", ACC, ""], []),
    "shells": (["thingspace-fota", "completion", ""], ["bash", "zsh"]),
}


@pytest.mark.parametrize(("words", "expected"), CASES.values(), ids=CASES.keys())
def test_bash_completion_of_options_and_values(bash_script: str, words: list[str], expected: list[str]) -> None:
    assert complete(bash_script, *words) == expected


def test_bash_completion_offers_files_after_a_file_option(bash_script: str, tmp_path: Path) -> None:
    (tmp_path / "fleet-ids.txt").write_text("")
    prefix = str(tmp_path / "fleet")
    assert complete(bash_script, "thingspace-fota", "sync", ACC, "--from-file", prefix) == [f"{prefix}-ids.txt"]
    assert complete(bash_script, "thingspace-fota", "--env-file", prefix) == [f"{prefix}-ids.txt"]


def test_zsh_completion_script_uses_the_same_function_through_bashcompinit(bash_script: str) -> None:
    run = cli("completion", "zsh", env=clean_env())
    assert run.code == 0
    assert "autoload -U +X bashcompinit && bashcompinit" in run.stdout
    # zsh's bashcompinit provides bash's `complete`; with stand-ins for the two zsh commands, bash runs it.
    stand_ins = "autoload() { :; }; bashcompinit() { :; }"
    assert complete(run.stdout, "thingspace-fota", "", prelude=stand_ins) == complete(
        bash_script, "thingspace-fota", ""
    )
    assert complete(run.stdout, "thingspace-fota", "list", "--protocol", "H", prelude=stand_ins) == ["HTTP"]


def test_completion_needs_a_known_shell() -> None:
    run = cli("completion", "fish", env=clean_env())
    assert run.code == 2
    assert "invalid choice" in run.stderr
