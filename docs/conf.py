"""Sphinx configuration of the thingspace-fota documentation (`make docs` builds it into site/).

Built strictly: `sphinx-build -W --keep-going -n` turns every warning, and every cross-reference that does not
resolve (nitpicky mode), into a failed build.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import thingspace_fota  # noqa: E402 - after the path set-up above

project = "thingspace-fota"
author = "thingspace-fota contributors"
copyright = "thingspace-fota contributors"
release = thingspace_fota.__version__
version = release

extensions = [
    "myst_parser",  # the guide pages are Markdown
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # the docstrings use Google style ("Args:")
    "public_api",  # the API reference, driven by thingspace_fota.__all__ (docs/_ext/public_api.py)
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"thingspace-fota {release}"

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
python_use_unqualified_type_names = True  # "Protocol", not "thingspace_fota._models.Protocol"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

nitpicky = True
# The build machines reach PyPI only, so intersphinx cannot download the inventories of Python and httpx (and
# httpx publishes none). References to those third-party and standard-library types therefore stay plain text
# instead of links; every other unresolved reference (one of ours) fails the build.
nitpick_ignore_regex = [
    (r"py:.*", r"httpx\..*"),
    (r"py:.*", r"(collections\.abc|datetime|ssl|types|typing|enum)\..*"),
    # The type variable of the generic APIResponse[T]: a TypeVar has no page of its own.
    ("py:class", r"thingspace_fota\._models\.T"),
]
