"""The documentation site: a strict build documents every public name, and a broken reference fails it.

Each test runs Sphinx in a subprocess exactly as `make docs` does (-W --keep-going -n), on docs/ itself or on a
temporary copy with one defect, into a temporary folder.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import thingspace_fota
import thingspace_fota.testing
from thingspace_fota import AsyncFotaClient, FotaClient
from thingspace_fota.testing import FakeFota

DOCS = Path(__file__).resolve().parents[1] / "docs"
STRICT = ["-E", "-W", "--keep-going", "-n", "-q", "-b", "html"]


def build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", *STRICT, str(source), str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def copy_of_docs(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("__pycache__")))


@pytest.fixture(scope="module")
def reference_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("site")
    result = build(DOCS, out)
    assert result.returncode == 0, result.stderr
    return (out / "reference.html").read_text(encoding="utf-8")


def entry(page: str, anchor: str) -> tuple[str, str]:
    """The signature (<dt>) and the text of the description (<dd>, up to the next entry) of one object."""
    match = re.search(rf'<dt class="sig sig-object py" id="{re.escape(anchor)}">(.*?)</dt>\s*<dd>(.*?)<dt', page, re.S)
    assert match, f"{anchor} is not in the API reference"

    def text(fragment: str) -> str:
        return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())

    return text(match[1]), text(match[2])


@pytest.mark.parametrize("module", [thingspace_fota, thingspace_fota.testing], ids=lambda module: module.__name__)
def test_every_name_in_all_is_documented(reference_html: str, module: ModuleType) -> None:
    assert module.__all__
    for name in module.__all__:
        assert f'id="{module.__name__}.{name}"' in reference_html, name


def test_the_public_modules_are_found_on_disk() -> None:
    # The build checks the __all__ of every public module it finds: thingspace_fota and each submodule without a
    # leading underscore, so that a new public module cannot be left out of the reference either.
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import public_api  # the Sphinx extension, importable only from docs/_ext
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    names = [module.__name__ for module in public_api.public_modules()]
    assert names == ["thingspace_fota", "thingspace_fota.testing"]


def test_the_fake_is_shown_with_its_methods_and_the_fixtures(reference_html: str) -> None:
    fake = FakeFota()
    methods = [name for name in dir(FakeFota) if not name.startswith("_") and callable(getattr(fake, name))]
    assert {"add_account", "add_device", "fail_next", "client"} <= set(methods)
    for name in methods:
        check_method(reference_html, f"thingspace_fota.testing.FakeFota.{name}", getattr(fake, name))
    for fixture in ("fota_fake", "fota_client", "async_fota_client"):
        assert f'<code class="docutils literal notranslate"><span class="pre">{fixture}</span></code>' in (
            reference_html
        ), fixture


def check_method(page: str, anchor: str, method: object) -> None:
    signature, description = entry(page, anchor)
    for parameter in inspect.signature(method).parameters.values():  # type: ignore[arg-type]
        assert parameter.name in signature, (anchor, parameter.name)
    first_line = (inspect.getdoc(method) or "").splitlines()[0]
    assert plain(first_line) in plain(description), anchor


def plain(text: str) -> str:
    """Docstring markup and its HTML rendering brought to the same text: roles and literals unwrapped, the
    parentheses Sphinx adds after a method reference and its typographic apostrophes undone."""

    def shown(role: re.Match[str]) -> str:  # `~a.b.C` shows as "C", `a.b.C` as itself
        return role[2].rpartition(".")[2] if role[1] else role[2]

    text = re.sub(r":[\w:]+:`(~?)([^`]+)`", shown, text).replace("``", "")
    return " ".join(text.replace("()", "").replace("\u2019", "'").split())


@pytest.mark.parametrize("client_class", [FotaClient, AsyncFotaClient])
def test_each_client_method_is_shown_with_its_signature_and_docstring(
    reference_html: str, client_class: type[FotaClient] | type[AsyncFotaClient]
) -> None:
    client = client_class(access_token="t", m2m_token="t")
    try:
        check_client(reference_html, client_class, client)
    finally:
        if isinstance(client, AsyncFotaClient):
            asyncio.run(client.aclose())
        else:
            client.close()


def check_client(page: str, client_class: type[object], client: FotaClient | AsyncFotaClient) -> None:
    raw = client.with_raw_response
    operations = [name for name in dir(raw) if not name.startswith("_") and callable(getattr(raw, name))]
    assert operations == ["list_available_firmware", "report_device_firmware", "synchronize_device_firmware"]
    public = [name for name in dir(client_class) if not name.startswith("_")]
    for name in public:
        member = getattr(client, name)
        anchor = f"thingspace_fota.{client_class.__name__}.{name}"
        if callable(member):
            check_method(page, anchor, member)
        else:
            assert f'id="{anchor}"' in page, anchor
    raw_path = f"{type(raw).__module__}.{type(raw).__qualname__}"
    for name in operations:
        check_method(page, f"{raw_path}.{name}", getattr(raw, name))


def test_a_broken_reference_fails_the_build(tmp_path: Path) -> None:
    source = copy_of_docs(tmp_path)
    with (source / "quickstart.md").open("a", encoding="utf-8") as page:
        page.write("\nSee {py:class}`thingspace_fota.NoSuchClient`.\n")
    result = build(source, tmp_path / "site")
    assert result.returncode != 0
    assert "reference target not found: thingspace_fota.NoSuchClient" in result.stderr


def test_a_public_name_left_out_of_the_reference_fails_the_build(tmp_path: Path) -> None:
    source = copy_of_docs(tmp_path)
    reference = source / "reference.rst"
    text = reference.read_text(encoding="utf-8")
    assert ".. public-api:: constants\n" in text
    reference.write_text(text.replace(".. public-api:: constants\n", ""), encoding="utf-8")
    result = build(source, tmp_path / "site")
    assert result.returncode != 0
    assert "public name thingspace_fota.DEFAULT_BASE_URL is not in the API reference" in result.stderr


def test_a_testing_name_left_out_of_the_reference_fails_the_build(tmp_path: Path) -> None:
    source = copy_of_docs(tmp_path)
    reference = source / "reference.rst"
    text = reference.read_text(encoding="utf-8")
    directive = ".. public-api:: all\n   :module: thingspace_fota.testing\n"
    assert directive in text
    reference.write_text(text.replace(directive, ""), encoding="utf-8")
    result = build(source, tmp_path / "site")
    assert result.returncode != 0
    for name in thingspace_fota.testing.__all__:
        assert f"public name thingspace_fota.testing.{name} is not in the API reference" in result.stderr


@pytest.mark.parametrize("module", [thingspace_fota, thingspace_fota.testing], ids=lambda module: module.__name__)
def test_the_readme_lists_every_public_name(module: ModuleType) -> None:
    # The README is the front door (and the PyPI page): its "Public names" section names every name of __all__.
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Public names") :]
    listed = set(re.findall(r"`([\w.]+)`", section))
    missing = [name for name in module.__all__ if name not in listed]
    assert not missing, f"add to README's Public names: {missing}"
