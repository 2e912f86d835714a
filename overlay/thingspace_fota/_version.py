# The one place the version is written: hatchling reads it for the package metadata ([tool.hatch.version] in
# pyproject.toml) and `thingspace_fota.__version__` imports it. SemVer; see CHANGELOG.md.
__version__ = "0.1.0"
