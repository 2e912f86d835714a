"""Packaging: one version, a complete sdist (and nothing more), honest wheel metadata, consistent tool pins.

The sdist and the wheel are built here with the pinned hatchling of the venv (no network, about a second each);
`make dist-check` builds them as a release would, runs twine and check-wheel-contents on them and installs the
wheel alone in a fresh venv. Everything here also passes from an unpacked sdist, which has no git.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import json
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pathspec
import pytest

import thingspace_fota

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# Every file of the project is either shipped in the sdist (needed to regenerate and run `make test`) or named
# here with the reason it is not. A new file that is neither makes test_sdist_ships_exactly_the_project fail.
NOT_SHIPPED = {
    "bench/RESULTS.md": "results of a benchmark run on one machine",
    "bench/README.md": "notes on the benchmark method and findings; not needed to run anything",
}
# Paths that the sdist must hold whatever else changes: `make test` cannot run without them.
REQUIRED = [
    "pyproject.toml",
    "uv.lock",
    "Makefile",
    "package.json",
    "package-lock.json",
    "redocly.yaml",
    ".ci/run",
    ".ci/check-node.js",
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "openapi/fota-v3.yaml",
    "openapi/thingspace-auth.yaml",
    "openapi/generator.yaml",
    "scripts/generate.sh",
    "scripts/check-generated.sh",
    "scripts/mockserver.py",
    "tests/conftest.py",
    "tests/test_packaging.py",
    "examples/sync_example.py",
    "bench/run.py",
    "overlay/thingspace_fota/py.typed",
    "overlay/thingspace_fota/_version.py",
    "generated/thingspace_fota_generated/client.py",
    "generated/thingspace_auth_generated/client.py",
]
# Made by the build, in the sdist only.
BUILD_MADE = {"PKG-INFO"}


def _build(target: str, out: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (artifact,) = out.iterdir()
    return artifact


def _project_files() -> set[str]:
    """The project's files as .gitignore sees them (no .venv, node_modules, caches, dist, bench results)."""
    ignored = pathspec.GitIgnoreSpec.from_lines((ROOT / ".gitignore").read_text().splitlines())
    files = set()
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] == ".git" or not path.is_file():
            continue
        if not ignored.match_file(relative.as_posix()):
            files.add(relative.as_posix())
    return files - BUILD_MADE


@pytest.fixture(scope="module")
def sdist_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    archive = _build("sdist", tmp_path_factory.mktemp("sdist"))
    version = thingspace_fota.__version__
    assert archive.name == f"thingspace_fota-{version}.tar.gz"
    with tarfile.open(archive) as tar:
        names = [member.name for member in tar.getmembers() if member.isfile()]
    prefix = f"thingspace_fota-{version}/"
    assert all(name.startswith(prefix) for name in names), names
    return {name.removeprefix(prefix) for name in names}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    return zipfile.ZipFile(_build("wheel", tmp_path_factory.mktemp("wheel")))


def test_sdist_ships_exactly_the_project(sdist_files: set[str]) -> None:
    assert sdist_files >= BUILD_MADE
    shipped = sdist_files - BUILD_MADE
    project = _project_files()
    missing = project - shipped - NOT_SHIPPED.keys()
    assert not missing, f"project files neither in the sdist nor in NOT_SHIPPED: {sorted(missing)}"
    unexpected = shipped - project
    assert not unexpected, f"sdist files that are not project files (ignored or generated): {sorted(unexpected)}"
    leaked = shipped & NOT_SHIPPED.keys()
    assert not leaked, f"sdist ships files it must not: {sorted(leaked)}"


def test_sdist_holds_what_make_test_needs_and_no_clutter(sdist_files: set[str]) -> None:
    assert not [path for path in REQUIRED if path not in sdist_files]
    clutter = re.compile(r"(^|/)(\.venv|node_modules|__pycache__|\.\w+_cache|dist|build|results)/|\.pyc$")
    assert not sorted(path for path in sdist_files if clutter.search(path))


def test_wheel_holds_the_three_packages_the_license_and_py_typed(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    version = thingspace_fota.__version__
    dist_info = f"thingspace_fota-{version}.dist-info"
    toplevel = {name.split("/")[0] for name in names} - {dist_info}
    assert toplevel == {"thingspace_fota", "thingspace_fota_generated", "thingspace_auth_generated"}
    assert "thingspace_fota/py.typed" in names
    assert wheel.read(f"{dist_info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()


def test_published_metadata_is_for_users_only(wheel: zipfile.ZipFile) -> None:
    dist_info = f"thingspace_fota-{thingspace_fota.__version__}.dist-info"
    metadata = email.parser.Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
    assert metadata["Version"] == thingspace_fota.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    classifiers = metadata.get_all("Classifier") or []
    for classifier in ("Typing :: Typed", "Operating System :: OS Independent"):
        assert classifier in classifiers
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)} <= set(classifiers)
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    # The dev, bench and docs tools are dependency groups: no extra and no requirement of the wheel names them.
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert not extras & {"dev", "bench", "docs"}
    requirements = {re.split(r"[ ;<>=!~\[]", r, maxsplit=1)[0].lower() for r in metadata.get_all("Requires-Dist") or []}
    tools = {
        re.split(r"[ ;<>=!~\[]", r, maxsplit=1)[0].lower()
        for group in PYPROJECT["dependency-groups"].values()
        for r in group
        if isinstance(r, str)
    }
    assert {"httpx", "attrs", "sniffio"} <= requirements
    assert not requirements & tools
    # The long description is the README, and it tells a PyPI reader how to install from PyPI.
    assert "pip install thingspace-fota" in metadata.get_payload()


def test_installed_metadata_and_version_agree() -> None:
    assert importlib.metadata.version("thingspace-fota") == thingspace_fota.__version__
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert "version" not in PYPROJECT["project"], "the version is written once, in _version.py"
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "overlay/thingspace_fota/_version.py"


def test_changelog_top_release_is_the_current_version() -> None:
    headings = re.findall(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text(), flags=re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert headings[1] == thingspace_fota.__version__


def test_tool_pins_agree() -> None:
    dev = PYPROJECT["dependency-groups"]["dev"]
    # The sdist test builds with the venv's hatchling: the same one as the build backend of a release.
    assert PYPROJECT["build-system"]["requires"] == [pin for pin in dev if pin.startswith("hatchling==")]
    # uv sync keeps the uv that runs it only when the Makefile's bootstrap pin is the dev group's pin.
    makefile_pin = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    assert makefile_pin is not None
    assert f"uv=={makefile_pin.group(1)}" in dev


def _satisfies(cases: list[tuple[str, str]]) -> list[bool]:
    script = (
        "const { satisfies } = require(process.argv[1]);"
        "console.log(JSON.stringify(JSON.parse(process.argv[2]).map(([v, r]) => satisfies(v, r))));"
    )
    done = subprocess.run(
        ["node", "-e", script, str(ROOT / ".ci" / "check-node.js"), json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: list[bool] = json.loads(done.stdout)
    return result


def test_node_floor_is_what_the_pinned_tools_declare() -> None:
    ours = json.loads((ROOT / "package.json").read_text())["engines"]["node"]
    packages = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    assert packages[""]["engines"]["node"] == ours, "package-lock.json is stale: npm install --package-lock-only"
    theirs = [packages[f"node_modules/{name}"]["engines"]["node"] for name in ("@redocly/cli", "@stoplight/prism-cli")]
    samples = ["18.19.0", "18.20.8", "20.18.3", "20.19.0", "20.20.2", "21.0.0", "21.7.3", "22.11.0", "22.12.0"]
    samples.append("24.5.0")
    verdicts = _satisfies([(v, r) for v in samples for r in [ours, *theirs]])
    for index, version in enumerate(samples):
        ok_ours, *ok_theirs = verdicts[index * 3 : index * 3 + 3]
        assert ok_ours == all(ok_theirs), f"Node {version}: ours says {ok_ours}, the pinned tools {ok_theirs}"


def test_ci_node_check_refuses_an_old_node_with_a_clear_message(tmp_path: Path) -> None:
    # The check reads package.json beside its own folder: give it a copy that demands a Node from the future.
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "check-node.js").write_text((ROOT / ".ci" / "check-node.js").read_text())
    (tmp_path / "package.json").write_text(json.dumps({"engines": {"node": ">=999.0.0"}}))
    done = subprocess.run(
        ["node", str(tmp_path / ".ci" / "check-node.js")], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 1
    assert "needs Node.js >=999.0.0" in done.stderr
