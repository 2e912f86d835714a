"""The ``thingspace_fota`` logger and the ``THINGSPACE_FOTA_LOG`` switch, as openai-python's ``_utils/_logs.py``.

Nothing logged here ever holds a header value: request lines name the method, the path template, the status,
the duration, the attempt and the server's request id; bodies are logged at DEBUG only, after ``_redact``.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("thingspace_fota")

ENV_VAR = "THINGSPACE_FOTA_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def setup_from_env() -> None:
    """Give the logger a stderr handler at the level THINGSPACE_FOTA_LOG names (info or debug).

    Users who configure logging themselves leave the variable unset and get no handler from us.
    """
    level = _LEVELS.get(os.environ.get(ENV_VAR, "").strip().lower())
    if level is None or any(getattr(h, "_thingspace_fota", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
    handler._thingspace_fota = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
