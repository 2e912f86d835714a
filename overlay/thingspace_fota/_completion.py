"""Shell completion scripts of the command line, written from its argparse parser (no dependency).

The script knows the command names, each command's options, which options take a value (after one of them
nothing is offered, files after a ``FILE`` option, the given words after ``--protocol``) and the choices of a
command's positional argument. It is generated from the parser, so it cannot fall behind the options.
zsh uses the same function through zsh's own ``bashcompinit``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence

SHELLS = ("bash", "zsh")
_FUNCTION = "_thingspace_fota"


def _words(words: Iterable[str]) -> str:
    # Option strings and choices are plain words; anything else would need quoting and is refused here.
    listed = list(dict.fromkeys(words))
    for word in listed:
        if not word or any(not (ch.isalnum() or ch in "-_.") for ch in word):
            raise ValueError(f"not a plain completion word: {word!r}")
    return " ".join(listed)


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [action for action in parser._actions if action.option_strings]


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _positional_choices(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if not action.option_strings and action.choices is not None:
            return [str(choice) for choice in action.choices]
    return []


def _case(patterns: Sequence[str], commands: str) -> list[str]:
    return [f"        {'|'.join(patterns)}) {commands} ;;"] if patterns else []


def _bash_function(parser: argparse.ArgumentParser, values: Mapping[str, Sequence[str]]) -> str:
    commands = _commands(parser)
    every_option = [a for p in [parser, *commands.values()] for a in _options(p)]
    takes_value = list(dict.fromkeys(s for a in every_option if a.nargs != 0 for s in a.option_strings))
    files = list(
        dict.fromkeys(s for a in every_option if a.nargs != 0 and a.metavar == "FILE" for s in a.option_strings)
    )
    others = [s for s in takes_value if s not in files and s not in values]
    value_cases = [f"        {option}) words={_words(words)!r} ;;" for option, words in values.items()]
    command_cases = [
        f"                {name}) words={_words(_positional_choices(sub))!r}; [[ $cur == -* ]] && "
        f"words={_words(s for a in _options(sub) for s in a.option_strings)!r} ;;"
        for name, sub in commands.items()
    ]
    top_options = _words(s for a in _options(parser) for s in a.option_strings)
    return "\n".join(
        [
            f"{_FUNCTION}() {{",
            "    # zsh (bashcompinit) counts array indexes from 1; bash's 0 within this function",
            '    [[ -n "${ZSH_VERSION-}" ]] && setopt localoptions ksharrays',
            '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" words="" i',
            '    (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
            "    for ((i = 1; i < COMP_CWORD; i++)); do",
            '        case "${COMP_WORDS[i]}" in',
            f"            {'|'.join(takes_value)}) ((i++)) ;;",
            f'            {"|".join(commands)}) cmd="${{COMP_WORDS[i]}}"; break ;;',
            "        esac",
            "    done",
            '    case "$prev" in',
            *value_cases,
            *_case(files, 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return 0'),
            *_case(others, "COMPREPLY=(); return 0"),
            "        *)",
            '            case "$cmd" in',
            f"                '') words={_words(commands)!r}; [[ $cur == -* ]] && words={top_options!r} ;;",
            *command_cases,
            "            esac ;;",
            "    esac",
            '    COMPREPLY=($(compgen -W "$words" -- "$cur"))',
            "}",
        ]
    )


def completion_script(
    parser: argparse.ArgumentParser, shell: str, values: Mapping[str, Sequence[str]] | None = None
) -> str:
    """The completion script of ``parser`` for ``shell`` (bash or zsh); ``values`` are the words offered after
    an option, by option string."""
    prog = parser.prog
    body = _bash_function(parser, values or {})
    register = f"complete -F {_FUNCTION} {prog}"
    if shell == "bash":
        return f'# bash completion of {prog}: eval "$({prog} completion bash)" in ~/.bashrc\n{body}\n{register}\n'
    if shell == "zsh":
        return (
            f'# zsh completion of {prog}: eval "$({prog} completion zsh)" in ~/.zshrc, after compinit\n'
            f"autoload -U +X bashcompinit && bashcompinit\n{body}\n{register}\n"
        )
    raise ValueError(f"unknown shell {shell!r}; expected one of {', '.join(SHELLS)}")
