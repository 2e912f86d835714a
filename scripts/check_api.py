"""The public-API gate: compare the public API of ``thingspace_fota`` with the committed baseline, using griffe.

    python scripts/check_api.py check     # fail, naming each breaking change (make check-api)
    python scripts/check_api.py baseline  # write the baseline from the tree (make api-baseline)

Options: ``--search-path DIR`` (where the package is; default ``overlay``) and ``--baseline FILE`` (default
``api/thingspace_fota.json``). Breaking: a removed or renamed public name, method or parameter, a parameter made
required, moved or of another kind, a changed default, a changed value of a public constant. Additions pass.
The baseline is griffe's JSON of the package without docstrings and line numbers, so that it changes only when
the API does; refresh it only for a release whose notes announce the break (see the README, "Contributing").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import griffe

PACKAGE = "thingspace_fota"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = ROOT / "api" / f"{PACKAGE}.json"
# Not part of the API: where things are written and what they say (only what they are called and take).
DROPPED_KEYS = frozenset({"docstring"})
ZEROED_KEYS = frozenset({"lineno", "endlineno"})  # griffe's decoder needs them
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def load_tree(search_path: Path) -> griffe.Module:
    """The package as it is in ``search_path``, read statically (nothing is imported)."""
    module = griffe.load(PACKAGE, search_paths=[str(search_path)], resolve_aliases=True, resolve_external=False)
    if not isinstance(module, griffe.Module):
        raise TypeError(f"{PACKAGE} in {search_path} is not a package")
    return module


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: 0 if k in ZEROED_KEYS else _strip(v) for k, v in value.items() if k not in DROPPED_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _prune(package: dict[str, Any]) -> dict[str, Any]:
    """The package's API: the names of its ``__all__``, its public submodules (``testing``), and the private modules
    those names come from. Other private modules (the command line, the request machinery ...) and names that are
    only imported (``typing.Any``) are not API, and would only make the baseline change with every refactoring."""
    members: dict[str, Any] = package["members"]
    exports = set(package.get("exports") or ())
    public = {
        name: m
        for name, m in members.items()
        if name in exports or (m["kind"] == "module" and not name.startswith("_"))
    }
    sources = {m["target_path"].split(".")[1] for m in public.values() if m["kind"] == "alias"}
    kept = {name: m for name, m in members.items() if name in public or name in sources}
    return {**package, "members": kept}


def _relative(data: dict[str, Any], search_path: Path) -> dict[str, Any]:
    text = json.dumps(data).replace(json.dumps(str(search_path.resolve()) + "/")[1:-1], "")
    relative: dict[str, Any] = json.loads(text)
    return relative


def write_baseline(search_path: Path, baseline: Path) -> None:
    data = _strip(json.loads(load_tree(search_path).as_json(full=False)))
    data = _relative(_prune(data), search_path)
    baseline.parent.mkdir(parents=True, exist_ok=True)
    baseline.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_baseline(baseline: Path) -> griffe.Module:
    module = json.loads(baseline.read_text(encoding="utf-8"), object_hook=griffe.json_decoder)
    if not isinstance(module, griffe.Module):
        raise TypeError(f"{baseline} is not griffe's JSON of a package")
    # A decoded module has no modules collection, which griffe needs to resolve the aliases of __init__.py.
    collection = griffe.ModulesCollection()
    collection.set_member(module.path, module)
    module._modules_collection = collection
    return module


def breaking_changes(search_path: Path, baseline: Path) -> list[str]:
    """One line per breaking change from the baseline to the package in ``search_path``."""
    old, new = load_baseline(baseline), load_tree(search_path)
    return [_ANSI.sub("", change.explain()) for change in griffe.find_breaking_changes(old, new)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "baseline"])
    parser.add_argument("--search-path", type=Path, default=ROOT / "overlay")
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    args = parser.parse_args(argv)
    if args.command == "baseline":
        write_baseline(args.search_path, args.baseline)
        print(f"wrote {args.baseline}")
        return 0
    changes = breaking_changes(args.search_path, args.baseline)
    for line in changes:
        print(f"breaking: {line}", file=sys.stderr)
    if changes:
        print(
            f"check-api: {len(changes)} breaking change(s) to the public API of {PACKAGE}. Keep the old names and "
            "parameters, or, for a release whose notes announce the break, run `make api-baseline`.",
            file=sys.stderr,
        )
        return 1
    print(f"check-api: the public API of {PACKAGE} keeps every name and parameter of {args.baseline.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
