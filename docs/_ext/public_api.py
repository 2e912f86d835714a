"""The API reference, driven by ``__all__`` so that a new public name cannot be left out.

``.. public-api:: KIND`` documents, with autodoc, every name of ``thingspace_fota.__all__`` of that kind
(``clients``, ``http_clients``, ``models``, ``enums``, ``exceptions``, ``constants``), in the order of
``__all__``. The ``:module:`` option names another public module (``thingspace_fota.testing``), and the kind
``all`` takes every name of its ``__all__``, whatever the kind.

The public modules are ``thingspace_fota`` and each of its submodules whose name has no leading ``_`` (found on
disk, so a new one is not forgotten either). When the build ends, every name of the ``__all__`` of a public module
that no directive documented is a warning (a failed build under ``-W``): a name of a new kind needs a new kind
here and a section in ``reference.rst``; a new public module needs a section of its own.

The clients' ``with_raw_response`` objects are documented after each client. Their methods are read from a live
object (a client with placeholder tokens that sends nothing), so they are found whether the methods are defined
on the class or set on the instance.
"""

from __future__ import annotations

import asyncio
import enum
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, ClassVar

import attrs
import httpx
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docstrings import prepare_docstring
from sphinx.util.docutils import SphinxDirective
from sphinx.util.inspect import evaluate_signature, stringify_signature
from sphinx.util.nodes import nested_parse_with_titles

import thingspace_fota

PACKAGE = "thingspace_fota"
KINDS = ("clients", "http_clients", "models", "enums", "exceptions", "constants", "all")
logger = logging.getLogger(__name__)


def kind_of(obj: object) -> str | None:
    """Which section of the reference a public object belongs to (None: no section knows it)."""
    if isinstance(obj, str | int | float):
        return "constants"
    if not isinstance(obj, type):
        return None
    checks: list[tuple[str, Callable[[type[Any]], bool]]] = [
        ("exceptions", lambda cls: issubclass(cls, BaseException)),
        ("enums", lambda cls: issubclass(cls, enum.Enum)),
        ("http_clients", lambda cls: issubclass(cls, httpx.Client | httpx.AsyncClient)),
        ("clients", lambda cls: hasattr(cls, "with_raw_response")),
        ("models", attrs.has),
    ]
    return next((kind for kind, check in checks if check(obj)), None)


def public_modules() -> list[ModuleType]:
    """``thingspace_fota`` and its submodules without a leading ``_`` (``thingspace_fota.testing``)."""
    found = [
        importlib.import_module(f"{PACKAGE}.{info.name}")
        for info in pkgutil.iter_modules(thingspace_fota.__path__)
        if not info.name.startswith("_")
    ]
    return [thingspace_fota, *found]


def public_names(kind: str, module: ModuleType = thingspace_fota) -> list[str]:
    names: list[str] = module.__all__
    return [name for name in names if kind == "all" or kind_of(getattr(module, name)) == kind]


def _public_owner(target: str) -> ModuleType | None:
    """The public module that exports ``target``'s last part, given by that name or by its private path."""
    short = target.rpartition(".")[2]
    for module in public_modules():
        if short not in module.__all__:
            continue
        private_path = f"{getattr(getattr(module, short), '__module__', '')}.{short}"
        if target in {short, private_path}:
            return module
    return None


@contextmanager
def _client_instance(cls: type[Any]) -> Iterator[Any]:
    """A client with placeholder tokens (nothing is sent), closed afterwards."""
    client = cls(access_token="placeholder", m2m_token="placeholder")  # noqa: S106 - not a secret
    try:
        yield client
    finally:
        closing = getattr(client, "aclose", None) or client.close
        result = closing()
        if inspect.isawaitable(result):
            asyncio.run(result)  # type: ignore[arg-type]


def _method_directive(name: str, method: Callable[..., Any]) -> list[str]:
    """A ``py:method`` directive with the evaluated signature and the docstring of a (bound) method."""
    function = inspect.unwrap(getattr(method, "__func__", method))
    signature = evaluate_signature(inspect.signature(method), function.__globals__)
    lines = [f".. py:method:: {name}{stringify_signature(signature, unqualified_typehints=True)}"]
    if inspect.iscoroutinefunction(function):
        lines.append("   :async:")
    lines.append("")
    lines += [f"   {line}" if line else "" for line in prepare_docstring(inspect.getdoc(method) or "")]
    return lines


def raw_response_lines(client_cls: type[Any]) -> list[str]:
    """The class of ``client_cls.with_raw_response`` and its methods, read from a live client."""
    with _client_instance(client_cls) as client:
        raw = client.with_raw_response
        raw_cls = type(raw)
        lines = [f".. py:class:: {raw_cls.__qualname__}()", f"   :module: {raw_cls.__module__}", ""]
        lines += [f"   {line}" if line else "" for line in prepare_docstring(inspect.getdoc(raw_cls) or "")]
        lines.append("")
        for name in dir(raw):
            if name.startswith("_") or not callable(getattr(raw, name)):
                continue
            lines += [f"   {line}" if line else "" for line in _method_directive(name, getattr(raw, name))]
            lines.append("")
    return lines


class PublicAPI(SphinxDirective):
    """``.. public-api:: KIND``: autodoc for every public name of that kind."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {"module": str}

    def run(self) -> list[nodes.Node]:
        kind = self.arguments[0]
        if kind not in KINDS:
            raise self.error(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
        module_name = self.options.get("module", PACKAGE)
        modules = {module.__name__: module for module in public_modules()}
        if module_name not in modules:
            raise self.error(f"unknown public module {module_name!r}; known: {', '.join(modules)}")
        module = modules[module_name]
        documented: set[str] = set()
        lines: list[str] = []
        for name in public_names(kind, module):
            target = f"{module_name}.{name}"
            documented.add(target)
            obj_kind = kind_of(getattr(module, name)) if kind == "all" else kind
            if obj_kind == "constants":
                lines += [f".. autodata:: {target}", ""]
            elif obj_kind == "clients":
                lines += [f".. autoclass:: {target}", "   :members:", "   :inherited-members:", ""]
                lines += raw_response_lines(getattr(module, name))
            elif obj_kind == "http_clients":
                # Only our own constructor: the inherited httpx.AsyncClient methods are httpx's to document.
                lines += [f".. autoclass:: {target}", "   :show-inheritance:", ""]
            elif obj_kind == "exceptions":
                lines += [f".. autoexception:: {target}", "   :members:", "   :show-inheritance:", ""]
            elif inspect.isfunction(getattr(module, name)):
                lines += [f".. autofunction:: {target}", ""]
            elif kind == "all":
                # Documented members only: a class whose docstring lists its attributes ("Attributes:") would
                # otherwise show each of them twice.
                lines += [f".. autoclass:: {target}", "   :members:", ""]
            else:
                lines += [f".. autoclass:: {target}", "   :members:", "   :undoc-members:", ""]
        self.env.public_api_documented = getattr(self.env, "public_api_documented", set()) | documented
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=f"<public-api {module_name} {kind}>"), node)
        return node.children


def check_all_documented(app: Sphinx, env: Any) -> None:
    """Warn (fail the strict build) for every name of the ``__all__`` of a public module that no ``public-api``
    directive documented."""
    documented = getattr(env, "public_api_documented", set())
    for module in public_modules():
        for name in module.__all__:
            if f"{module.__name__}.{name}" not in documented:
                kind = kind_of(getattr(module, name))
                logger.warning(
                    "public name %s.%s is not in the API reference (kind %s): add it to docs/_ext/public_api.py",
                    module.__name__,
                    name,
                    kind or "unknown",
                )


def explicit_signature(  # noqa: PLR0917 - the signature of Sphinx's autodoc-process-signature event
    app: Sphinx, what: str, name: str, obj: Any, options: Any, signature: str | None, return_annotation: str | None
) -> tuple[str, str | None] | None:
    """A method that carries its own ``__signature__`` (one made at run time, for ``help()`` and IDEs) is shown
    with that signature, not with the annotations of the function that implements it."""
    declared = getattr(obj, "__dict__", {}).get("__signature__")
    if what != "method" or not isinstance(declared, inspect.Signature):
        return None
    parameters = list(declared.parameters.values())
    if parameters and parameters[0].name in {"self", "cls"}:
        declared = declared.replace(parameters=parameters[1:])
    evaluated = evaluate_signature(declared, obj.__globals__)
    text = stringify_signature(evaluated, unqualified_typehints=True)
    arguments, _, returns = text.partition(" -> ")
    return arguments, returns or None


def resolve_public_name(app: Sphinx, env: Any, node: Any, contnode: nodes.Element) -> nodes.Element | None:
    """A reference to a public name by its short name (``:class:`APIResponse``` in a private module's docstring)
    or by its private path (``thingspace_fota._models.APIResponse``) goes to its documented public name."""
    if node.get("refdomain") != "py":
        return None
    target: str = node.get("reftarget", "")
    owner = _public_owner(target)
    if owner is None:
        return None  # the public name itself, or another name: a real miss that Sphinx reports
    short = target.rpartition(".")[2]
    domain = env.get_domain("py")
    return domain.resolve_xref(  # type: ignore[no-any-return]
        env, node["refdoc"], app.builder, node["reftype"], f"{owner.__name__}.{short}", node, contnode
    )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("public-api", PublicAPI)
    app.connect("autodoc-process-signature", explicit_signature)
    app.connect("missing-reference", resolve_public_name)
    app.connect("env-check-consistency", check_all_documented)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
