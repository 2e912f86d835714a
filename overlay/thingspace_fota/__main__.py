"""``python -m thingspace_fota`` and the ``thingspace-fota`` console script (see ``thingspace-fota --help``)."""

from __future__ import annotations

import sys

from ._cli import main as _run


def main() -> None:
    """Run the ``thingspace-fota`` command line and exit with its status (0, 1, 2, 3; 4 for verify's drift; 130
    when interrupted)."""
    sys.exit(_run())


if __name__ == "__main__":
    main()
